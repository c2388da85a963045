#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/age.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

/*
 * Interoperability with the reference implementation: the `age` and
 * `age-keygen` programs, in both directions.  Passphrase prompts are
 * answered through a pseudo-terminal, as age reads them from the tty.
 */

extern char **environ;

#define PASSPHRASE "quatre mots au hasard"

struct ictx {
    char dir[64];
    char age[4096];
    char keygen[4096];
};

/* Find ${name} on $PATH into ${out}; 0 or -1. */
static int
find_tool(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    const char *p, *e;

    for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = e) {
        if ((e = strchr(p, ':')) == NULL) {
            e = p + strlen(p);
        }
        snprintf(out, outlen, "%.*s/%s", (int)(e - p), p, name);
        if (access(out, X_OK) == 0) {
            return (0);
        }
        if (*e == ':') {
            e++;
        }
    }
    return (-1);
}

/* Skip the test, with a message, if age or age-keygen is missing. */
static int
setup(void **state)
{
    struct ictx *c;

    assert_non_null(c = calloc(1, sizeof(*c)));
    strcpy(c->dir, "/tmp/coffre-age-interop-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    if (find_tool("age", c->age, sizeof(c->age)) != 0) {
        c->age[0] = '\0';
    }
    if (find_tool("age-keygen", c->keygen, sizeof(c->keygen)) != 0) {
        c->keygen[0] = '\0';
    }
    *state = c;
    return (0);
}

static int
teardown(void **state)
{
    struct ictx *c = *state;
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", c->dir);
    }
    free(c);
    return (0);
}

#define NEED_TOOLS(c) do {                                              \
    if ((c)->age[0] == '\0' || (c)->keygen[0] == '\0') {                \
        fprintf(stderr, "age or age-keygen not installed: skipped\n");  \
        skip();                                                         \
    }                                                                   \
} while (0)

/* ${dir}/${name} into ${out}. */
static void
path_in(const struct ictx *c, const char *name, char *out, size_t outlen)
{

    snprintf(out, outlen, "%s/%s", c->dir, name);
}

static void
write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f;

    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f;
    uint8_t *p = NULL;
    size_t cap = 0, n;

    *len = 0;
    assert_non_null(f = fopen(path, "rb"));
    for (;;) {
        if (*len + 4096 + 1 > cap) {
            cap = (*len + 4096 + 1) * 2;
            assert_non_null(p = realloc(p, cap));
        }
        if ((n = fread(p + *len, 1, 4096, f)) == 0) {
            break;
        }
        *len += n;
    }
    fclose(f);
    p[*len] = '\0';
    return (p);
}

/*
 * Run ${argv} with stdout to ${out} (or /dev/null) and stdin and stderr
 * from/to /dev/null; return the exit status, or -1.
 */
/* Copies of ${argv} that exec may take; free with argv_free(). */
#define ARGV_MAX 16
static void
argv_dup(const char *const argv[], char *v[ARGV_MAX])
{
    size_t i;

    for (i = 0; argv[i] != NULL; i++) {
        assert_true(i < ARGV_MAX - 1);
        assert_non_null(v[i] = strdup(argv[i]));
    }
    v[i] = NULL;
}

static void
argv_free(char *v[ARGV_MAX])
{
    size_t i;

    for (i = 0; v[i] != NULL; i++) {
        free(v[i]);
    }
}

static int
run(const char *const argv[], const char *out)
{
    posix_spawn_file_actions_t fa;
    char *v[ARGV_MAX];
    pid_t pid;
    int st;

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out != NULL ? out :
        "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    argv_dup(argv, v);
    assert_int_equal(posix_spawn(&pid, v[0], &fa, NULL, v, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    argv_free(v);
    while (waitpid(pid, &st, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * Run ${argv} on a pseudo-terminal and answer each of its first
 * ${answers} passphrase prompts with PASSPHRASE.  Return the exit status.
 */
static int
run_pty(const char *const argv[], int answers)
{
    char *v[ARGV_MAX];
    char buf[4096], seen[8192];
    size_t seenlen = 0;
    struct pollfd pfd;
    pid_t pid;
    ssize_t n;
    int fd, st, given = 0, prompts;
    char *p;

    argv_dup(argv, v);
    if ((pid = forkpty(&fd, NULL, NULL, NULL)) == 0) {
        execv(v[0], v);
        _exit(127);
    }
    argv_free(v);
    assert_true(pid > 0);
    seen[0] = '\0';
    pfd.fd = fd;
    pfd.events = POLLIN;
    for (;;) {
        if (poll(&pfd, 1, 60000) <= 0) {
            break;
        }
        if ((n = read(fd, buf, sizeof(buf))) <= 0) {
            break;       /* EIO once the child has closed the tty */
        }
        if (seenlen + (size_t)n < sizeof(seen)) {
            memcpy(seen + seenlen, buf, (size_t)n);
            seenlen += (size_t)n;
            seen[seenlen] = '\0';
        }

        /* Count prompts seen so far; answer the new ones. */
        for (prompts = 0, p = seen; (p = strstr(p, "assphrase")) != NULL;
            p++) {
            prompts++;
        }
        while (given < prompts && given < answers) {
            assert_int_equal(write(fd, PASSPHRASE "\n",
                strlen(PASSPHRASE) + 1), (ssize_t)strlen(PASSPHRASE) + 1);
            given++;
        }
    }
    close(fd);
    while (waitpid(pid, &st, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    if (given < answers) {
        fprintf(stderr, "age said: %s\n", seen);
    }
    return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A read callback over a buffer and a write callback to a growing one. */
struct ibuf {
    const uint8_t *in;
    size_t inlen;
    size_t pos;
    uint8_t *out;
    size_t outlen;
};

static int
ibuf_read(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    struct ibuf *b = cookie;
    size_t n = b->inlen - b->pos < len ? b->inlen - b->pos : len;

    memcpy(buf, b->in + b->pos, n);
    b->pos += n;
    *got = n;
    return (0);
}

static int
ibuf_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct ibuf *b = cookie;

    assert_non_null(b->out = realloc(b->out, b->outlen + len + 1));
    memcpy(b->out + b->outlen, buf, len);
    b->outlen += len;
    return (0);
}

/* The scrypt work factor for our key files in tests. */
static int
work_factor(void)
{
    const char *s = getenv("COFFRE_WORK_FACTOR");
    int v = s != NULL ? atoi(s) : AGE_MIN_SCRYPT_LOG2;

    return (v >= AGE_MIN_SCRYPT_LOG2 && v <= AGE_MAX_SCRYPT_LOG2 ? v :
        AGE_MIN_SCRYPT_LOG2);
}

/* Ours, to two X25519 recipients, opened by `age -d -i`. */
static void
test_age_interop_ours_opened_by_age(void **state)
{
    static const size_t sizes[] = { 0, 5, 65536, 200000 };
    struct ictx *c = *state;
    struct keys *k, *other;
    struct age_recipient r[2];
    struct ibuf b;
    char key[4200], in[4200], out[4200], sec[KEYS_SECRET_MAX + 1];
    uint8_t *pt, *got;
    size_t i, len;

    NEED_TOOLS(c);
    assert_non_null(k = keys_generate());
    assert_non_null(other = keys_generate());
    assert_int_equal(keys_secret_encode(k->x25519_sk, sec, sizeof(sec) - 1),
        0);
    strcat(sec, "\n");
    path_in(c, "key.txt", key, sizeof(key));
    write_file(key, (uint8_t *)sec, strlen(sec));
    memset(r, 0, sizeof(r));
    r[0].kind = r[1].kind = AGE_X25519;
    memcpy(r[0].x25519, other->x25519_pk, 32);
    memcpy(r[1].x25519, k->x25519_pk, 32);
    assert_non_null(pt = malloc(200000));
    randombytes_buf(pt, 200000);
    path_in(c, "ours.age", in, sizeof(in));
    path_in(c, "ours.out", out, sizeof(out));
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(&b, 0, sizeof(b));
        b.in = pt;
        b.inlen = sizes[i];
        assert_int_equal(age_encrypt(r, 2, ibuf_read, &b, ibuf_write, &b),
            0);
        write_file(in, b.out, b.outlen);
        free(b.out);
        {
            /* stdout: age -o creates no file for an empty plaintext. */
            const char *argv[] = { c->age, "-d", "-i", key, in, NULL };

            assert_int_equal(run(argv, out), 0);
        }
        got = read_file(out, &len);
        assert_int_equal(len, sizes[i]);
        assert_memory_equal(got, pt, sizes[i]);
        free(got);
    }
    free(pt);
    keys_free(other);
    keys_free(k);
}

/* age-keygen and `age -r` make a file; ours opens it. */
static void
test_age_interop_age_opened_by_ours(void **state)
{
    struct ictx *c = *state;
    struct age_identity *ids;
    struct ibuf b;
    char key[4200], pub[4200], in[4200], enc[4200], rcpt[200];
    uint8_t *pt, *keytext, *ct, *pubtext;
    size_t len, keylen, ctlen, publen, n;

    NEED_TOOLS(c);
    path_in(c, "kg.txt", key, sizeof(key));
    path_in(c, "kg.pub", pub, sizeof(pub));
    path_in(c, "plain", in, sizeof(in));
    path_in(c, "theirs.age", enc, sizeof(enc));
    {
        const char *argv[] = { c->keygen, "-o", key, NULL };

        assert_int_equal(run(argv, NULL), 0);
    }
    {
        const char *argv[] = { c->keygen, "-y", key, NULL };

        assert_int_equal(run(argv, pub), 0);
    }
    pubtext = read_file(pub, &publen);
    assert_true(publen > 4 && publen < sizeof(rcpt));
    memcpy(rcpt, pubtext, publen - 1);      /* without the LF */
    rcpt[publen - 1] = '\0';
    free(pubtext);

    len = 3 * 65536 + 11;
    assert_non_null(pt = malloc(len));
    randombytes_buf(pt, len);
    write_file(in, pt, len);
    {
        const char *argv[] = { c->age, "-r", rcpt, "-o", enc, in, NULL };

        assert_int_equal(run(argv, NULL), 0);
    }

    /* Our reading of the identity file, then of the age file. */
    keytext = read_file(key, &keylen);
    assert_non_null(ids = secmem_alloc(4 * sizeof(*ids)));
    assert_int_equal(keys_identities_parse(keytext, keylen, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    ct = read_file(enc, &ctlen);
    memset(&b, 0, sizeof(b));
    b.in = ct;
    b.inlen = ctlen;
    assert_int_equal(age_decrypt(ids, n, ibuf_read, &b, ibuf_write, &b), 0);
    assert_int_equal(b.outlen, len);
    assert_memory_equal(b.out, pt, len);
    free(b.out);

    /* The recipient we compute is the one age-keygen printed. */
    {
        uint8_t pk[32];
        char mine[KEYS_RECIPIENT_MAX];

        crypto_scalarmult_base(pk, ids[0].x25519);
        assert_int_equal(keys_recipient_encode(pk, mine, sizeof(mine)), 0);
        assert_string_equal(mine, rcpt);
    }
    secmem_free(ids);
    free(ct);
    free(keytext);
    free(pt);
}

/*
 * Our key file opens with `age -d` and the passphrase, and serves as an
 * encrypted identity file for `age -d -i`.
 */
static void
test_age_interop_key_file_opened_by_age(void **state)
{
    struct ictx *c = *state;
    struct keys *k;
    struct age_recipient r;
    struct ibuf b;
    char kf[4200], out[4200], doc[4200], docout[4200];
    uint8_t *text, *got;
    size_t len, glen;

    NEED_TOOLS(c);
    assert_non_null(k = keys_generate());
    memset(&b, 0, sizeof(b));
    assert_int_equal(keys_file_write(k, PASSPHRASE, strlen(PASSPHRASE),
        work_factor(), ibuf_write, &b), 0);
    path_in(c, "key.coffre", kf, sizeof(kf));
    path_in(c, "key.plain", out, sizeof(out));
    write_file(kf, b.out, b.outlen);
    free(b.out);
    {
        const char *argv[] = { c->age, "-d", "-o", out, kf, NULL };

        assert_int_equal(run_pty(argv, 1), 0);
    }
    text = read_file(out, &len);
    assert_int_equal(memcmp(text, "# coffre key file v1\n", 21), 0);
    {
        char sec[KEYS_SECRET_MAX];

        assert_int_equal(keys_secret_encode(k->x25519_sk, sec, sizeof(sec)),
            0);
        assert_non_null(strstr((char *)text, sec));
    }
    sodium_memzero(text, len);
    free(text);

    /* A document for this account, opened by age with the key file. */
    memset(&r, 0, sizeof(r));
    r.kind = AGE_X25519;
    memcpy(r.x25519, k->x25519_pk, 32);
    memset(&b, 0, sizeof(b));
    b.in = (const uint8_t *)"bulletin de paie, mars";
    b.inlen = 22;
    assert_int_equal(age_encrypt(&r, 1, ibuf_read, &b, ibuf_write, &b), 0);
    path_in(c, "doc.age", doc, sizeof(doc));
    path_in(c, "doc.out", docout, sizeof(docout));
    write_file(doc, b.out, b.outlen);
    free(b.out);
    {
        const char *argv[] = { c->age, "-d", "-i", kf, "-o", docout, doc,
            NULL };

        assert_int_equal(run_pty(argv, 1), 0);
    }
    got = read_file(docout, &glen);
    assert_int_equal(glen, 22);
    assert_memory_equal(got, "bulletin de paie, mars", 22);
    free(got);
    keys_free(k);
}

/* `age -p` makes a passphrase file; ours opens it; a wrong one fails. */
static void
test_age_interop_age_passphrase_opened_by_ours(void **state)
{
    struct ictx *c = *state;
    struct age_identity id;
    struct ibuf b;
    char in[4200], enc[4200];
    uint8_t pt[1000], *ct;
    size_t ctlen;

    NEED_TOOLS(c);
    randombytes_buf(pt, sizeof(pt));
    path_in(c, "pp.plain", in, sizeof(in));
    path_in(c, "pp.age", enc, sizeof(enc));
    write_file(in, pt, sizeof(pt));
    {
        const char *argv[] = { c->age, "-p", "-o", enc, in, NULL };

        assert_int_equal(run_pty(argv, 2), 0);
    }
    ct = read_file(enc, &ctlen);
    assert_true(keys_file_is_encrypted(ct, ctlen));
    memset(&id, 0, sizeof(id));
    id.kind = AGE_SCRYPT;
    id.passphrase = PASSPHRASE;
    id.passlen = strlen(PASSPHRASE);
    memset(&b, 0, sizeof(b));
    b.in = ct;
    b.inlen = ctlen;
    assert_int_equal(age_decrypt(&id, 1, ibuf_read, &b, ibuf_write, &b), 0);
    assert_int_equal(b.outlen, sizeof(pt));
    assert_memory_equal(b.out, pt, sizeof(pt));
    free(b.out);

    /* A maximum below age's default work factor (18) refuses it. */
    id.max_log2_n = 16;
    memset(&b, 0, sizeof(b));
    b.in = ct;
    b.inlen = ctlen;
    assert_int_equal(age_decrypt(&id, 1, ibuf_read, &b, ibuf_write, &b),
        AGE_ELIMIT);
    free(b.out);
    free(ct);
}

/* age refuses what we refuse: a truncated file of ours. */
static void
test_age_interop_age_refuses_truncated(void **state)
{
    struct ictx *c = *state;
    struct keys *k;
    struct age_recipient r;
    struct ibuf b;
    char key[4200], in[4200], sec[KEYS_SECRET_MAX + 1];
    uint8_t pt[70000];

    NEED_TOOLS(c);
    assert_non_null(k = keys_generate());
    assert_int_equal(keys_secret_encode(k->x25519_sk, sec, sizeof(sec) - 1),
        0);
    strcat(sec, "\n");
    path_in(c, "key2.txt", key, sizeof(key));
    write_file(key, (uint8_t *)sec, strlen(sec));
    memset(&r, 0, sizeof(r));
    r.kind = AGE_X25519;
    memcpy(r.x25519, k->x25519_pk, 32);
    randombytes_buf(pt, sizeof(pt));
    memset(&b, 0, sizeof(b));
    b.in = pt;
    b.inlen = sizeof(pt);
    assert_int_equal(age_encrypt(&r, 1, ibuf_read, &b, ibuf_write, &b), 0);
    path_in(c, "trunc.age", in, sizeof(in));

    /* Cut right after the first (full, non-last) chunk. */
    write_file(in, b.out, b.outlen - (sizeof(pt) - 65536) - 16);
    {
        const char *argv[] = { c->age, "-d", "-i", key, in, NULL };

        assert_int_not_equal(run(argv, NULL), 0);
    }
    write_file(in, b.out, b.outlen);
    {
        const char *argv[] = { c->age, "-d", "-i", key, in, NULL };

        assert_int_equal(run(argv, NULL), 0);
    }
    free(b.out);
    keys_free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_age_interop_ours_opened_by_age,
            setup, teardown),
        cmocka_unit_test_setup_teardown(test_age_interop_age_opened_by_ours,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_age_interop_key_file_opened_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_age_interop_age_passphrase_opened_by_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_age_interop_age_refuses_truncated, setup, teardown),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("age_interop", tests, NULL, NULL));
}
