#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * Interoperability with the real minisign program: what we write, it
 * verifies and reads; what it writes, we verify and read.  Each test runs
 * in its own mkdtemp() directory.  Tests skip only if minisign is absent.
 */

#define OUT_MAX 16384
#define DOC_BYTES 100000
#define SIG_MAX 4096

struct fixture {
    char dir[64];
    char minisign[1024]; /* path of the program, "" if absent */
};

/* Find minisign on $PATH into ${out}; return 0, or -1 if absent. */
static int
find_minisign(char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    const char *p, *e;
    int n;

    if (path == NULL) {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    for (p = path; *p != '\0'; p = (*e == '\0') ? e : e + 1) {
        if ((e = strchr(p, ':')) == NULL) {
            e = p + strlen(p);
        }
        n = snprintf(out, outlen, "%.*s/minisign", (int)(e - p), p);
        if (n > 0 && (size_t)n < outlen && access(out, X_OK) == 0) {
            return (0);
        }
    }
    out[0] = '\0';
    return (-1);
}

static int
setup(void **state)
{
    struct fixture *f;
    const char *tmp = getenv("TMPDIR");

    if ((f = calloc(1, sizeof(*f))) == NULL) {
        return (-1);
    }
    snprintf(f->dir, sizeof(f->dir), "%s/minisig.XXXXXX",
        (tmp != NULL && strlen(tmp) < 40) ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return (-1);
    }
    (void)find_minisign(f->minisign, sizeof(f->minisign));
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    struct dirent *de;
    char path[512];
    DIR *d;

    if ((d = opendir(f->dir)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
            (void)unlink(path);
        }
        closedir(d);
    }
    (void)rmdir(f->dir);
    free(f);
    return (0);
}

/* Skip the test if minisign is not installed. */
static void
need_minisign(const struct fixture *f)
{

    if (f->minisign[0] == '\0') {
        print_message("minisign not found on PATH: skipped\n");
        skip();
    }
}

/*
 * Run minisign with ${args} (NULL-terminated, without argv[0]) in the
 * fixture directory, stdin from /dev/null so it cannot wait for a
 * password.  Collect its stdout, NUL-terminated, into ${out}.  Return its
 * exit status, or -1 if it did not exit normally.
 */
static int
run(const struct fixture *f, const char *const args[], char *out,
    size_t outlen)
{
    const char *argv[16];
    size_t n = 0, i;
    ssize_t r;
    int fds[2], st, fd;
    pid_t pid;

    argv[0] = "minisign";
    for (i = 0; args[i] != NULL; i++) {
        assert_true(i + 2 < sizeof(argv) / sizeof(argv[0]));
        argv[i + 1] = args[i];
    }
    argv[i + 1] = NULL;
    assert_int_equal(pipe(fds), 0);
    assert_true((pid = fork()) >= 0);
    if (pid == 0) {
        if (chdir(f->dir) != 0 || (fd = open("/dev/null", O_RDONLY)) < 0
            || dup2(fd, 0) < 0 || dup2(fds[1], 1) < 0) {
            _exit(126);
        }
        close(fds[0]);
        /* execv() takes char *const[]; minisign does not write to it. */
        execv(f->minisign, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(fds[1]);
    while ((r = read(fds[0], out + n, outlen - 1 - n)) > 0) {
        n += (size_t)r;
        if (n == outlen - 1) {
            break;
        }
    }
    out[n] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Write ${len} bytes of ${buf} to ${name} in the fixture directory. */
static void
put(const struct fixture *f, const char *name, const void *buf, size_t len)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_non_null(fp = fopen(path, "wb"));
    if (len > 0) {
        assert_int_equal(fwrite(buf, 1, len, fp), len);
    }
    assert_int_equal(fclose(fp), 0);
}

/* Read ${name} from the fixture directory; free() the result. */
static char *
get(const struct fixture *f, const char *name, size_t *lenp)
{
    char path[512];
    char *buf;
    FILE *fp;
    long n;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_non_null(fp = fopen(path, "rb"));
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    assert_true((n = ftell(fp)) >= 0);
    rewind(fp);
    assert_non_null(buf = malloc((size_t)n + 1));
    if (n > 0) {
        assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    }
    fclose(fp);
    buf[n] = '\0';
    *lenp = (size_t)n;
    return (buf);
}

/* A document of DOC_BYTES pseudo-random bytes; free() it. */
static uint8_t *
make_doc(void)
{
    static const uint8_t seed[randombytes_SEEDBYTES] = { 7, 7, 7 };
    uint8_t *doc;

    assert_non_null(doc = malloc(DOC_BYTES));
    randombytes_buf_deterministic(doc, DOC_BYTES, seed);
    return (doc);
}

/* Sign ${doc} in uneven pieces through the streaming interface. */
static int
sign_stream(const uint8_t *doc, size_t len, const struct minisig_seckey *sk,
    const char *untrusted, const char *trusted, char *out, size_t outlen)
{
    struct minisig_hash *h;
    size_t off, k;
    int n;

    assert_non_null(h = minisig_hash_new());
    for (off = 0; off < len; off += k) {
        k = (len - off < 4093) ? len - off : 4093;
        minisig_hash_update(h, doc + off, k);
    }
    n = minisig_sign(h, sk, untrusted, trusted, out, outlen);
    minisig_hash_free(h);
    return (n);
}

static void
test_minisig_interop_minisign_verifies_ours(void **state)
{
    static const char tc[] = "timestamp:1795828545\tfile:bulletin-2026-10."
                             "pdf\temployeur:Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9"
                             "n\xc3\xa9rale";
    struct fixture *f = *state;
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    char pub[256], b64[MINISIG_PUBKEY_B64_LEN + 1];
    char sig[SIG_MAX], out[OUT_MAX], expect[2048];
    char big_u[MINISIG_UNTRUSTED_MAX + 1], big_t[MINISIG_COMMENT_MAX + 1];
    uint8_t *doc;
    int n;

    need_minisign(f);
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    assert_true((n = minisig_pubkey_file(&pk, pub, sizeof(pub))) > 0);
    put(f, "our.pub", pub, (size_t)n);
    doc = make_doc();
    put(f, "doc.pdf", doc, DOC_BYTES);
    n = sign_stream(doc, DOC_BYTES, sk, NULL, tc, sig, sizeof(sig));
    assert_true(n > 0);
    put(f, "doc.pdf.minisig", sig, (size_t)n);

    /* minisign prints the trusted comment it verified. */
    assert_int_equal(run(f,
                         (const char *const[]) { "-V", "-m", "doc.pdf", "-p",
                             "our.pub", NULL },
                         out, sizeof(out)),
        0);
    snprintf(expect, sizeof(expect),
        "Signature and comment signature verified\nTrusted comment: %s\n",
        tc);
    assert_string_equal(out, expect);
    /* Prehashed as -H requires; the bare key through -P. */
    minisig_pubkey_encode(&pk, b64);
    assert_int_equal(run(f,
                         (const char *const[]) { "-V", "-H", "-Q", "-m",
                             "doc.pdf", "-P", b64, NULL },
                         out, sizeof(out)),
        0);
    snprintf(expect, sizeof(expect), "%s\n", tc);
    assert_string_equal(out, expect);

    /* The longest comments we write are still read by minisign. */
    memset(big_u, 'u', MINISIG_UNTRUSTED_MAX);
    big_u[MINISIG_UNTRUSTED_MAX] = '\0';
    memset(big_t, 't', MINISIG_COMMENT_MAX);
    big_t[MINISIG_COMMENT_MAX] = '\0';
    n = sign_stream(doc, DOC_BYTES, sk, big_u, big_t, sig, sizeof(sig));
    assert_true(n > 0);
    put(f, "big.minisig", sig, (size_t)n);
    assert_int_equal(run(f,
                         (const char *const[]) { "-V", "-Q", "-x",
                             "big.minisig", "-m", "doc.pdf", "-p", "our.pub",
                             NULL },
                         out, sizeof(out)),
        0);
    assert_int_equal(strlen(out), MINISIG_COMMENT_MAX + 1);

    /* minisign does refuse: changed content, or another key. */
    doc[DOC_BYTES / 2] ^= 0x01;
    put(f, "doc.pdf", doc, DOC_BYTES);
    assert_int_not_equal(run(f,
                             (const char *const[]) { "-V", "-q", "-m",
                                 "doc.pdf", "-p", "our.pub", NULL },
                             out, sizeof(out)),
        0);
    doc[DOC_BYTES / 2] ^= 0x01;
    put(f, "doc.pdf", doc, DOC_BYTES);
    minisig_keygen(sk, &pk);
    assert_true((n = minisig_pubkey_file(&pk, pub, sizeof(pub))) > 0);
    put(f, "other.pub", pub, (size_t)n);
    assert_int_not_equal(run(f,
                             (const char *const[]) { "-V", "-q", "-m",
                                 "doc.pdf", "-p", "other.pub", NULL },
                             out, sizeof(out)),
        0);
    free(doc);
    secmem_free(sk);
}

static void
test_minisig_interop_ours_verifies_minisign(void **state)
{
    static const char tc[] = "period:2026-10\temployer:12345678900011";
    struct fixture *f = *state;
    struct minisig_seckey *sk;
    struct minisig_pubkey pk, pk2;
    struct minisig sig;
    char out[OUT_MAX];
    size_t plen, klen, slen;
    char *pub, *key, *s;
    uint8_t *doc;

    need_minisign(f);
    assert_int_equal(run(f,
                         (const char *const[]) { "-G", "-W", "-p", "m.pub",
                             "-s", "m.key", NULL },
                         out, sizeof(out)),
        0);
    doc = make_doc();
    put(f, "doc.pdf", doc, DOC_BYTES);
    assert_int_equal(run(f,
                         (const char *const[]) { "-S", "-s", "m.key", "-m",
                             "doc.pdf", "-t", tc, "-c", "from minisign",
                             NULL },
                         out, sizeof(out)),
        0);

    pub = get(f, "m.pub", &plen);
    assert_int_equal(minisig_pubkey_parse(pub, plen, &pk), 0);
    s = get(f, "doc.pdf.minisig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_string_equal(sig.trusted, tc);
    assert_string_equal(sig.untrusted, "from minisign");
    assert_int_equal(minisig_verify_buf(doc, DOC_BYTES, &sig, &pk), 0);
    doc[0] ^= 0x80;
    assert_int_equal(minisig_verify_buf(doc, DOC_BYTES, &sig, &pk),
        MINISIG_EBADSIG);
    doc[0] ^= 0x80;
    free(s);

    /* Its default trusted comment (timestamp, file name, "hashed"). */
    assert_int_equal(run(f,
                         (const char *const[]) { "-S", "-s", "m.key", "-m",
                             "doc.pdf", "-x", "default.minisig", NULL },
                         out, sizeof(out)),
        0);
    s = get(f, "default.minisig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_non_null(strstr(sig.trusted, "\tfile:doc.pdf\thashed"));
    assert_int_equal(minisig_verify_buf(doc, DOC_BYTES, &sig, &pk), 0);
    free(s);

    /* Its secret key file is ours to read, and matches its public key. */
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    key = get(f, "m.key", &klen);
    assert_int_equal(minisig_seckey_parse(key, klen, sk), 0);
    minisig_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof(pk));
    sodium_memzero(key, klen);
    free(key);
    free(pub);
    free(doc);
    secmem_free(sk);
}

/*
 * Assert that the public key files ${a} and ${b} (NUL-terminated) hold the
 * same key line and name the same key id in their comment.  The comment's
 * key id is compared as a number: some minisign versions print it without
 * its leading zeros (one key in sixteen), and the comment is untrusted.
 */
static void
same_pubkey_file(const char *a, const char *b)
{
    static const char pre[] = "untrusted comment: minisign public key ";
    const char *ka = strchr(a, '\n'), *kb = strchr(b, '\n');

    assert_non_null(ka);
    assert_non_null(kb);
    assert_string_equal(ka, kb);
    assert_memory_equal(a, pre, sizeof(pre) - 1);
    assert_memory_equal(b, pre, sizeof(pre) - 1);
    assert_true(strtoull(a + sizeof(pre) - 1, NULL, 16) ==
        strtoull(b + sizeof(pre) - 1, NULL, 16));
}

static void
test_minisig_interop_minisign_signs_with_our_key(void **state)
{
    struct fixture *f = *state;
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    struct minisig sig;
    char keyfile[512], pub[256], mine[SIG_MAX], out[OUT_MAX];
    size_t slen, rlen;
    char *s, *re;
    uint8_t *doc;
    int n;

    need_minisign(f);
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    assert_true((n = minisig_seckey_file(sk, keyfile, sizeof(keyfile))) > 0);
    put(f, "our.key", keyfile, (size_t)n);
    sodium_memzero(keyfile, sizeof(keyfile));
    assert_true((n = minisig_pubkey_file(&pk, pub, sizeof(pub))) > 0);
    put(f, "our.pub", pub, (size_t)n);
    doc = make_doc();
    put(f, "doc.pdf", doc, DOC_BYTES);

    /* With -p, minisign also checks the signature against our .pub. */
    assert_int_equal(run(f,
                         (const char *const[]) { "-S", "-s", "our.key", "-p",
                             "our.pub", "-m", "doc.pdf", "-t", "signed by "
                             "minisign", "-x", "doc.sig", NULL },
                         out, sizeof(out)),
        0);
    s = get(f, "doc.sig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_string_equal(sig.trusted, "signed by minisign");
    assert_int_equal(minisig_verify_buf(doc, DOC_BYTES, &sig, &pk), 0);
    /* Same key, same content: Ed25519 gives our very signature line. */
    n = minisig_sign_buf(doc, DOC_BYTES, sk, NULL, "signed by minisign",
        mine, sizeof(mine));
    assert_true(n > 0);
    assert_int_equal(slen, (size_t)n);
    assert_memory_equal(mine, s, slen);
    free(s);

    /* minisign recreates from our secret key the .pub we write. */
    assert_int_equal(run(f,
                         (const char *const[]) { "-R", "-s", "our.key", "-p",
                             "re.pub", NULL },
                         out, sizeof(out)),
        0);
    re = get(f, "re.pub", &rlen);
    same_pubkey_file(re, pub);
    free(re);

    /* Its legacy format, which we refuse. */
    assert_int_equal(run(f,
                         (const char *const[]) { "-S", "-l", "-s", "our.key",
                             "-m", "doc.pdf", "-x", "legacy.sig", NULL },
                         out, sizeof(out)),
        0);
    s = get(f, "legacy.sig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), MINISIG_ELEGACY);
    free(s);
    free(doc);
    secmem_free(sk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_minisig_interop_minisign_verifies_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_minisig_interop_ours_verifies_minisign, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_minisig_interop_minisign_signs_with_our_key, setup,
            teardown),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("minisig_interop", tests, NULL, NULL));
}
