/*
 * Disk full: the daemon's data directory on a size-limited tmpfs.
 *
 *  - The payloads' disk fills: uploads, deposits, grants and share links
 *    fail with 507 and {"error": {"code": "storage_full"}}; nothing partial
 *    remains (no temp file, no new document, scrub clean once space is
 *    back); reads (listings, records, blobs) keep working; once the space
 *    is freed, deposits work again.
 *  - The index's commit fails: the daemon has one data directory, so the
 *    blob is uploaded first, then the disk is filled to leave a few pages
 *    free, and the deposit is tried: its record object may still fit while
 *    SQLite's write-ahead log cannot grow.  Free space from 0 to 64 KiB is
 *    tried, the daemon restarted before each try (a clean stop checkpoints
 *    and removes the WAL, so the commit must allocate).  Each try answers
 *    201 (then the document is there) or 507 (then it is not, no temp file
 *    and no stray record is left); at least one try must have failed in
 *    SQLite itself, as the daemon's log says.
 *
 *  - The disk fills under concurrent deposits: 8 clients deposit until each
 *    was refused 10 times; every deposit was either acknowledged (201) or
 *    refused with 507, and each vault lists exactly the acknowledged ones,
 *    which read back right; once space is freed each client deposits again.
 *
 * Mounting needs root (CAP_SYS_ADMIN): elsewhere the tests are skipped,
 * and cmocka counts them as skipped, not passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "tests/util/api_harness.h"

#define FS_SIZE "size=12m,mode=0700"
#define FILL_CHUNK (256 * 1024)
#define BASE_DOCS 4
#define BASE_BYTES 3000

static struct api_daemon D;
static int mounted;
static char skip_why[512];
static struct api_user alice, bob;
static char docs[BASE_DOCS][64];
static uint8_t payloads[BASE_DOCS][BASE_BYTES];

/* DATA/filler: the file that takes the space. */
static void
filler_path(char *buf, size_t len)
{

    snprintf(buf, len, "%s/filler", D.data);
}

/*
 * Fill the file system of DATA until only ${leave} bytes are free (0: until
 * the first ENOSPC).  Return the bytes written, or -1.
 */
static long
fill(uint64_t leave)
{
    static uint8_t chunk[FILL_CHUNK];
    struct statvfs sv;
    char path[512];
    uint64_t avail, want, done = 0;
    ssize_t w;
    size_t n;
    int fd;

    filler_path(path, sizeof(path));
    if (statvfs(D.data, &sv) != 0 ||
        (fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0) {
        return (-1);
    }
    avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    want = leave == 0 ? UINT64_MAX : avail > leave ? avail - leave : 0;
    while (done < want) {
        n = want - done < sizeof(chunk) ? (size_t)(want - done) :
            sizeof(chunk);
        if ((w = write(fd, chunk, n)) <= 0) {
            break;
        }
        done += (uint64_t)w;
    }
    close(fd);
    return ((long)done);
}

/* Give the space back. */
static void
unfill(void)
{
    char path[512];

    filler_path(path, sizeof(path));
    (void)unlink(path);
}

/* Number of files in DATA/${sub} (recursively), or -1. */
static int
count_files(const char *sub)
{
    char cmd[600];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f | wc -l", D.data, sub);
    if ((p = popen(cmd, "r")) != NULL) {
        if (fscanf(p, "%d", &n) != 1) {
            n = -1;
        }
        pclose(p);
    }
    return (n);
}

/* Status and error code of a request; the code "" if none. */
static long
call(const char *method, const char *path, const char *token,
    const void *body, size_t len, char *code, size_t codelen)
{
    struct api_resp r;
    long st;

    code[0] = '\0';
    if (api_request(&D, method, path, token, body, len, NULL, &r) != 0) {
        api_resp_free(&r);
        return (-1);
    }
    st = r.status;
    (void)api_json_field(r.body, "code", code, codelen);
    api_resp_free(&r);
    return (st);
}

/* Base64 of a text (malloc'd). */
static char *
b64(const char *s)
{
    size_t n = sodium_base64_ENCODED_LEN(strlen(s),
        sodium_base64_VARIANT_ORIGINAL);
    char *o = malloc(n);

    if (o != NULL) {
        sodium_bin2base64(o, n, (const unsigned char *)s, strlen(s),
            sodium_base64_VARIANT_ORIGINAL);
    }
    return (o);
}

/* Number of documents listed in ${u}'s vault, or -1. */
static int
listed(const struct api_user *u)
{
    char path[256];
    struct api_resp r;
    json_t *o;
    int n = -1;

    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=200",
        u->vault);
    if (api_request(&D, "GET", path, u->token, NULL, 0, NULL, &r) == 0 &&
        r.status == 200 && (o = json_loads(r.body, 0, NULL)) != NULL) {
        n = (int)json_array_size(json_object_get(o, "documents"));
        json_decref(o);
    }
    api_resp_free(&r);
    return (n);
}

/* Every base document reads back with its bytes: 0, or -1. */
static int
reads_ok(void)
{
    char path[512], id[DIGEST_ID_BUFLEN];
    uint8_t dig[DIGEST_BYTES];
    struct api_resp r;
    int i, ok;

    for (i = 0; i < BASE_DOCS; i++) {
        snprintf(path, sizeof(path), "/v1/documents/%s", docs[i]);
        if (api_status(&D, "GET", path, alice.token, NULL) != 200) {
            return (-1);
        }
        digest_buf(payloads[i], BASE_BYTES, dig);
        digest_id_format(dig, id);
        snprintf(path, sizeof(path), "/v1/blobs/%s", id);
        if (api_request(&D, "GET", path, alice.token, NULL, 0, NULL, &r) !=
            0) {
            api_resp_free(&r);
            return (-1);
        }
        ok = r.status == 200 && r.len == BASE_BYTES &&
            memcmp(r.body, payloads[i], BASE_BYTES) == 0;
        api_resp_free(&r);
        if (!ok) {
            return (-1);
        }
    }
    return (0);
}

/* Stop the daemon cleanly (SIGTERM); 0 if it exited 0. */
static int
stop_daemon(void)
{
    int st;

    if (D.pid <= 0) {
        return (0);
    }
    kill(D.pid, SIGTERM);
    if (waitpid(D.pid, &st, 0) != D.pid) {
        return (-1);
    }
    D.pid = 0;
    return (WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1);
}

static int
setup(void **state)
{
    int i;

    (void)state;
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        api_daemon_init(&D) != 0) {
        return (-1);
    }
    if (mount("coffre-diskfull", D.data, "tmpfs", MS_NOSUID | MS_NODEV,
        FS_SIZE) != 0) {
        snprintf(skip_why, sizeof(skip_why), "cannot mount a tmpfs on %s: "
            "%s (needs root)", D.data, strerror(errno));
        return (0);
    }
    mounted = 1;
    if (api_daemon_restart(&D, NULL) != 0 ||
        api_user_person(&D, &alice) != 0 ||
        api_user_person(&D, &bob) != 0) {
        return (-1);
    }
    for (i = 0; i < BASE_DOCS; i++) {
        randombytes_buf(payloads[i], BASE_BYTES);
        if (api_upload_doc(&D, &alice, &alice, payloads[i], BASE_BYTES,
            docs[i], sizeof(docs[i])) != 201) {
            return (-1);
        }
    }
    return (0);
}

static int
teardown(void **state)
{
    int rc;

    (void)state;
    rc = stop_daemon();
    if (mounted) {
        unfill();
        if (umount2(D.data, MNT_DETACH) != 0) {
            rc = -1;
        }
    }
    /* The daemon is stopped: this only removes the temp directory. */
    (void)api_daemon_stop(&D);
    return (rc);
}

static void
test_diskfull_payloads(void **state)
{
    char path[256], code[64], id[DIGEST_ID_BUFLEN], out[4096], *h, *text;
    uint8_t buf[64 * 1024], dig[DIGEST_BYTES];
    char doc[64];
    json_t *o;

    (void)state;
    if (!mounted) {
        print_message("skipped: %s\n", skip_why);
        skip();
    }
    assert_true(fill(0) > 0);

    /* A blob upload: 507 with its JSON code, no temp file left. */
    randombytes_buf(buf, sizeof(buf));
    digest_buf(buf, sizeof(buf), dig);
    digest_id_format(dig, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    assert_int_equal(call("PUT", path, alice.token, buf, sizeof(buf), code,
        sizeof(code)), 507);
    assert_string_equal(code, "storage_full");
    assert_int_equal(count_files("tmp"), 0);
    /* A whole deposit (the client's view: the PUT fails first). */
    assert_int_equal(api_upload_doc(&D, &alice, &alice, buf, sizeof(buf),
        doc, sizeof(doc)), -507);
    assert_int_equal(listed(&alice), BASE_DOCS);

    /* A grant and a share link: 507 too (their record cannot be written). */
    assert_non_null(h = b64(api_fake_header("grantee")));
    snprintf(out, sizeof(out), "{\"header\":\"%s\"}", h);
    snprintf(path, sizeof(path), "/v1/documents/%s/grants/%s", docs[0],
        bob.vault);
    assert_int_equal(call("PUT", path, alice.token, out, strlen(out), code,
        sizeof(code)), 507);
    assert_string_equal(code, "storage_full");
    o = json_pack("{s:s,s:i,s:i}", "header", h, "expires_in", 3600, "uses",
        1);
    text = json_dumps(o, 0);
    json_decref(o);
    snprintf(path, sizeof(path), "/v1/documents/%s/links", docs[0]);
    assert_int_equal(call("POST", path, alice.token, text, strlen(text),
        code, sizeof(code)), 507);
    assert_string_equal(code, "storage_full");
    free(text);
    free(h);

    /* Reads keep working on a full disk. */
    assert_int_equal(reads_ok(), 0);
    assert_int_equal(listed(&alice), BASE_DOCS);
    assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL), 200);

    /* Space back: the same deposit works, scrub is clean. */
    unfill();
    assert_int_equal(api_upload_doc(&D, &alice, &alice, buf, sizeof(buf),
        doc, sizeof(doc)), 201);
    assert_int_equal(listed(&alice), BASE_DOCS + 1);
    assert_int_equal(count_files("tmp"), 0);
    assert_int_equal(api_daemon_cli(&D, out, sizeof(out), "scrub", NULL), 0);
}

/* Upload a blob of ${len} random bytes into ${buf}; the POST body after. */
static char *
deposit_body(uint8_t *buf, size_t len, char *id)
{
    char sig[2048], meta[512], *hdr, *mb, *text;
    uint8_t dig[DIGEST_BYTES];
    char path[256], code[64];
    json_t *o;

    randombytes_buf(buf, len);
    digest_buf(buf, len, dig);
    digest_id_format(dig, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    if (call("PUT", path, alice.token, buf, len, code, sizeof(code)) !=
        201 || api_sign_text(&alice, buf, len, sig, sizeof(sig)) != 0) {
        return (NULL);
    }
    snprintf(meta, sizeof(meta), "%sMETADATA", api_fake_header("meta"));
    hdr = b64(api_fake_header("owner"));
    mb = b64(meta);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", id, "class", "payslip",
        "header", hdr, "metadata", mb, "signature", sig);
    free(hdr);
    free(mb);
    text = json_dumps(o, 0);
    json_decref(o);
    return (text);
}

/* Does the daemon's log name SQLite's "disk is full"? */
static int
log_says_sqlite_full(void)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "grep -q 'disk is full' '%s/log'", D.dir);
    return (system(cmd) == 0);
}

static void
test_diskfull_index_commit(void **state)
{
    static const uint64_t leave[] = { 0, 4096, 8192, 12288, 16384, 24576,
        32768, 49152, 65536 };
    char path[256], code[64], id[DIGEST_ID_BUFLEN], out[4096], *body;
    uint8_t buf[2048];
    int docs_now, records, i, ok = 0, full = 0, in_sqlite = 0;
    long st;

    (void)state;
    if (!mounted) {
        print_message("skipped: %s\n", skip_why);
        skip();
    }
    docs_now = listed(&alice);
    assert_true(docs_now >= BASE_DOCS);
    for (i = 0; i < (int)(sizeof(leave) / sizeof(leave[0])); i++) {
        /* A clean restart checkpoints the index and removes its WAL. */
        assert_int_equal(api_daemon_restart(&D, NULL), 0);
        assert_non_null(body = deposit_body(buf, sizeof(buf), id));
        records = count_files("records");
        assert_true(fill(leave[i]) >= 0);
        snprintf(path, sizeof(path), "/v1/vaults/%s/documents", alice.vault);
        st = call("POST", path, alice.token, body, strlen(body), code,
            sizeof(code));
        free(body);
        if (st == 201) {
            ok++;
            docs_now++;
        } else {
            assert_int_equal(st, 507);
            assert_string_equal(code, "storage_full");
            full++;
            /* Nothing of the failed deposit stays. */
            assert_int_equal(count_files("records"), records);
        }
        assert_int_equal(count_files("tmp"), 0);
        assert_int_equal(listed(&alice), docs_now);
        assert_int_equal(reads_ok(), 0);
        unfill();
    }
    in_sqlite = log_says_sqlite_full();
    print_message("disk full, index: %d of %d deposits refused (507), %d "
        "accepted; SQLite's own commit failed: %s\n", full, ok + full, ok,
        in_sqlite ? "yes" : "no");
    assert_true(full > 0);
    assert_true(in_sqlite);
    /* Space back: deposits work, scrub is clean. */
    assert_non_null(body = deposit_body(buf, sizeof(buf), id));
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", alice.vault);
    assert_int_equal(call("POST", path, alice.token, body, strlen(body), code,
        sizeof(code)), 201);
    free(body);
    assert_int_equal(api_daemon_cli(&D, out, sizeof(out), "scrub", NULL), 0);
}

#define NFILLERS 8
#define FULL_REFUSALS 10

struct filler {
    pthread_t t;
    struct api_user u;
    char (*docs)[64];
    uint8_t (*blobs)[DIGEST_BYTES];
    size_t *sizes;
    int nacks, refused, wrong;
    long last;                  /* the first unexpected answer */
};

/* Deposit 8 to 48 KiB documents until refused FULL_REFUSALS times. */
static void *
filler_main(void *arg)
{
    struct filler *c = arg;
    uint8_t *buf = malloc(48 * 1024);
    size_t len;
    long st;

    while (buf != NULL && c->refused < FULL_REFUSALS && c->nacks < 4096) {
        len = 8192 + randombytes_uniform(40 * 1024);
        randombytes_buf(buf, len);
        st = api_upload_doc(&D, &c->u, &c->u, buf, len, c->docs[c->nacks],
            sizeof(c->docs[0]));
        if (st == 201) {
            digest_buf(buf, len, c->blobs[c->nacks]);
            c->sizes[c->nacks++] = len;
        } else if (st == 507 || st == -507) {
            c->refused++;
        } else {
            c->wrong++;
            c->last = st;
            break;
        }
    }
    free(buf);
    return (NULL);
}

/* Every acknowledged document of ${c} reads back right: 0, or -1. */
static int
filler_reads_ok(struct filler *c)
{
    char path[256], id[DIGEST_ID_BUFLEN];
    uint8_t got[DIGEST_BYTES];
    struct api_resp r;
    int i, ok;

    for (i = 0; i < c->nacks; i++) {
        digest_id_format(c->blobs[i], id);
        snprintf(path, sizeof(path), "/v1/blobs/%s", id);
        if (api_request(&D, "GET", path, c->u.token, NULL, 0, NULL, &r) !=
            0) {
            api_resp_free(&r);
            return (-1);
        }
        digest_buf((const uint8_t *)r.body, r.len, got);
        ok = r.status == 200 && r.len == c->sizes[i] &&
            memcmp(got, c->blobs[i], DIGEST_BYTES) == 0;
        api_resp_free(&r);
        if (!ok) {
            return (-1);
        }
    }
    return (0);
}

static void
test_diskfull_under_concurrent_deposits(void **state)
{
    static struct filler cs[NFILLERS];
    char out[4096], doc[64];
    uint8_t one[100];
    int i, acked = 0, refused = 0;

    (void)state;
    if (!mounted) {
        print_message("skipped: %s\n", skip_why);
        skip();
    }
    assert_int_equal(api_daemon_restart(&D, NULL), 0);
    for (i = 0; i < NFILLERS; i++) {
        assert_int_equal(api_user_person(&D, &cs[i].u), 0);
        assert_non_null(cs[i].docs = calloc(4096, sizeof(cs[i].docs[0])));
        assert_non_null(cs[i].blobs = calloc(4096, sizeof(cs[i].blobs[0])));
        assert_non_null(cs[i].sizes = calloc(4096, sizeof(cs[i].sizes[0])));
    }
    /* About 1.5 MiB left: some thirty deposits fit, the rest are refused. */
    assert_true(fill(1536 * 1024) >= 0);
    for (i = 0; i < NFILLERS; i++) {
        assert_int_equal(pthread_create(&cs[i].t, NULL, filler_main, &cs[i]),
            0);
    }
    for (i = 0; i < NFILLERS; i++) {
        pthread_join(cs[i].t, NULL);
    }
    for (i = 0; i < NFILLERS; i++) {
        if (cs[i].wrong > 0) {
            print_error("client %d: unexpected answer %ld\n", i,
                cs[i].last);
        }
        assert_int_equal(cs[i].wrong, 0);
        assert_int_equal(cs[i].refused, FULL_REFUSALS);
        /* Exactly the acknowledged deposits: a refused one left nothing. */
        assert_int_equal(listed(&cs[i].u), cs[i].nacks);
        assert_int_equal(filler_reads_ok(&cs[i]), 0);
        acked += cs[i].nacks;
        refused += cs[i].refused;
    }
    assert_int_equal(count_files("tmp"), 0);
    print_message("disk full under %d clients: %d deposits acknowledged, "
        "%d refused (507), every vault lists exactly its acknowledged "
        "ones\n", NFILLERS, acked, refused);
    /* Space back: every client deposits again; scrub is clean. */
    unfill();
    for (i = 0; i < NFILLERS; i++) {
        randombytes_buf(one, sizeof(one));
        assert_int_equal(api_upload_doc(&D, &cs[i].u, &cs[i].u, one,
            sizeof(one), doc, sizeof(doc)), 201);
        assert_int_equal(listed(&cs[i].u), cs[i].nacks + 1);
        free(cs[i].docs);
        free(cs[i].blobs);
        free(cs[i].sizes);
    }
    assert_int_equal(api_daemon_cli(&D, out, sizeof(out), "scrub", NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diskfull_payloads),
        cmocka_unit_test(test_diskfull_index_commit),
        cmocka_unit_test(test_diskfull_under_concurrent_deposits),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
