#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"
#include "storage/blobstore_internal.h"
#include "tests/util/storage_tu.h"

/*
 * Fault injection.  When ${fault_at} > 0, the fault_at-th call (counted
 * from arming) to any wrapped function fails with ${fault_errno}.
 */
static int fault_at;
static int fault_calls;
static int fault_errno;
static char fault_hit[32];

ssize_t __real_write(int, const void *, size_t);
int __real_fsync(int);
int __real_renameat(int, const char *, int, const char *);
int __real_openat(int, const char *, int, ...);
int __real_mkdirat(int, const char *, mode_t);
int __real_close(int);
ssize_t __wrap_write(int, const void *, size_t);
int __wrap_fsync(int);
int __wrap_renameat(int, const char *, int, const char *);
int __wrap_openat(int, const char *, int, ...);
int __wrap_mkdirat(int, const char *, mode_t);
int __wrap_close(int);

/* Return 1 if this call must fail (and record which one it was). */
static int
fault(const char *name)
{

    if (fault_at <= 0) {
        return (0);
    }
    if (++fault_calls != fault_at) {
        return (0);
    }
    (void)snprintf(fault_hit, sizeof(fault_hit), "%s", name);
    errno = fault_errno;
    return (1);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t len)
{

    if (fault("write")) {
        return (-1);
    }
    /* Also exercise short writes: never more than 1000 bytes at once. */
    return (__real_write(fd, buf, fault_at > 0 && len > 1000 ? 1000 : len));
}

int
__wrap_fsync(int fd)
{

    return (fault("fsync") ? -1 : __real_fsync(fd));
}

int
__wrap_renameat(int a, const char *b, int c, const char *d)
{

    return (fault("renameat") ? -1 : __real_renameat(a, b, c, d));
}

int
__wrap_openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode = 0;

    if (flags & O_CREAT) {
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return (fault("openat") ? -1 : __real_openat(dirfd, path, flags, mode));
}

int
__wrap_mkdirat(int dirfd, const char *path, mode_t mode)
{

    return (fault("mkdirat") ? -1 : __real_mkdirat(dirfd, path, mode));
}

int
__wrap_close(int fd)
{

    if (fault("close")) {
        /* Like Linux: the descriptor is released even when close fails. */
        (void)__real_close(fd);
        return (-1);
    }
    return (__real_close(fd));
}

struct fx {
    char *dir;
    struct blobstore *bs;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    assert_int_equal(blobstore_open(f->dir, &f->bs), 0);
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    fault_at = 0;
    blobstore_close(f->bs);
    storage_tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return (0);
}

/* Path of object ${id} under ${dir}, in a static buffer. */
static const char *
objpath(const char *dir, const uint8_t id[DIGEST_BYTES])
{
    static char p[4096];
    char s[DIGEST_ID_BUFLEN];

    digest_id_format(id, s);
    (void)snprintf(p, sizeof(p), "%s/objects/sha256/%.2s/%.2s/%s", dir,
        s + 7, s + 9, s + 7);
    return (p);
}

static int
tmpcount(const char *dir)
{
    char p[4096];

    (void)snprintf(p, sizeof(p), "%s/tmp", dir);
    return (storage_tu_nfiles(p));
}

/* Put ${len} bytes in chunks of ${chunk}; return the put's result. */
static int
put_chunks(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    const uint8_t *buf, size_t len, size_t chunk)
{
    struct blobstore_put *p;
    size_t off, n;
    int rc;

    if ((rc = blobstore_put_begin(bs, id, 0, &p)) != 0) {
        return (rc);
    }
    for (off = 0; off < len; off += n) {
        n = len - off < chunk ? len - off : chunk;
        if ((rc = blobstore_put_write(p, buf + off, n)) != 0) {
            blobstore_put_abort(p);
            return (rc);
        }
    }
    return (blobstore_put_commit(p));
}

static void
test_blobstore_put_roundtrip(void **state)
{
    struct fx *f = *state;
    uint8_t buf[10000], id[DIGEST_BYTES], *back;
    uint64_t size;
    int64_t mtime;
    size_t len;
    ssize_t r;
    int fd;

    storage_tu_fill(buf, sizeof(buf), 1);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(put_chunks(f->bs, id, buf, sizeof(buf), 777), 0);
    assert_int_equal(blobstore_exists(f->bs, id), 0);
    assert_int_equal(blobstore_stat(f->bs, id, &size, &mtime), 0);
    assert_int_equal(size, sizeof(buf));
    assert_true(mtime > 0);
    assert_int_equal(blobstore_open_read(f->bs, id, &fd, &size), 0);
    assert_int_equal(size, sizeof(buf));
    back = malloc(sizeof(buf) + 1);
    r = read(fd, back, sizeof(buf) + 1);
    assert_int_equal(r, (ssize_t)sizeof(buf));
    assert_memory_equal(back, buf, sizeof(buf));
    free(back);
    assert_int_equal(close(fd), 0);
    assert_int_equal(blobstore_read_all(f->bs, id, sizeof(buf), &back, &len),
        0);
    assert_int_equal(len, sizeof(buf));
    assert_memory_equal(back, buf, len);
    free(back);
    assert_int_equal(tmpcount(f->dir), 0);
    /* The file is where the layout says. */
    assert_int_equal(access(objpath(f->dir, id), R_OK), 0);
}

static void
test_blobstore_put_empty_object(void **state)
{
    struct fx *f = *state;
    uint8_t id[DIGEST_BYTES];
    uint64_t size = 1;
    int fd;

    digest_buf((const uint8_t *)"", 0, id);
    assert_int_equal(blobstore_put_buf(f->bs, id, (const uint8_t *)"", 0), 0);
    assert_int_equal(blobstore_open_read(f->bs, id, &fd, &size), 0);
    assert_int_equal(size, 0);
    (void)close(fd);
}

static void
test_blobstore_put_rejects_digest_mismatch(void **state)
{
    struct fx *f = *state;
    uint8_t buf[5000], id[DIGEST_BYTES];

    storage_tu_fill(buf, sizeof(buf), 2);
    digest_buf(buf, sizeof(buf), id);
    buf[100] ^= 1;
    assert_int_equal(put_chunks(f->bs, id, buf, sizeof(buf), 1000),
        STORAGE_EDIGEST);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(tmpcount(f->dir), 0);
}

static void
test_blobstore_put_rejects_short_body(void **state)
{
    struct fx *f = *state;
    uint8_t buf[5000], id[DIGEST_BYTES];
    size_t cut;

    storage_tu_fill(buf, sizeof(buf), 3);
    digest_buf(buf, sizeof(buf), id);
    for (cut = 0; cut < sizeof(buf); cut += 499) {
        assert_int_equal(put_chunks(f->bs, id, buf, cut, 256),
            STORAGE_EDIGEST);
        assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    }
    assert_int_equal(tmpcount(f->dir), 0);
}

static void
test_blobstore_put_rejects_oversize(void **state)
{
    struct fx *f = *state;
    struct blobstore_put *p;
    uint8_t buf[3000], id[DIGEST_BYTES];

    storage_tu_fill(buf, sizeof(buf), 4);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_begin(f->bs, id, 2999, &p), 0);
    assert_int_equal(blobstore_put_write(p, buf, 2000), 0);
    assert_int_equal(blobstore_put_write(p, buf + 2000, 1000),
        STORAGE_ETOOBIG);
    assert_int_not_equal(blobstore_put_commit(p), 0);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(tmpcount(f->dir), 0);
    /* Exactly at the limit is fine. */
    assert_int_equal(blobstore_put_begin(f->bs, id, 3000, &p), 0);
    assert_int_equal(blobstore_put_write(p, buf, 3000), 0);
    assert_int_equal(blobstore_put_commit(p), 0);
}

static void
test_blobstore_put_existing_still_verifies(void **state)
{
    struct fx *f = *state;
    uint8_t buf[2000], bad[2000], id[DIGEST_BYTES], *back;
    size_t len;

    storage_tu_fill(buf, sizeof(buf), 5);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    memcpy(bad, buf, sizeof(bad));
    bad[0] ^= 0x80;
    assert_int_equal(blobstore_put_buf(f->bs, id, bad, sizeof(bad)),
        STORAGE_EDIGEST);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_int_equal(blobstore_read_all(f->bs, id, 1 << 20, &back, &len), 0);
    assert_memory_equal(back, buf, sizeof(buf));
    free(back);
    assert_int_equal(tmpcount(f->dir), 0);
}

static void
test_blobstore_abort_leaves_nothing(void **state)
{
    struct fx *f = *state;
    struct blobstore_put *p;
    uint8_t buf[2000], id[DIGEST_BYTES];

    storage_tu_fill(buf, sizeof(buf), 6);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_begin(f->bs, id, 0, &p), 0);
    assert_int_equal(blobstore_put_write(p, buf, sizeof(buf)), 0);
    assert_int_equal(tmpcount(f->dir), 1);
    blobstore_put_abort(p);
    blobstore_put_abort(NULL);
    assert_int_equal(tmpcount(f->dir), 0);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
}

struct same {
    struct blobstore *bs;
    const uint8_t *buf;
    size_t len;
    const uint8_t *id;
    int rc;
};

static void *
put_thread(void *arg)
{
    struct same *s = arg;

    s->rc = put_chunks(s->bs, s->id, s->buf, s->len, 4096);
    return (NULL);
}

static void
test_blobstore_put_concurrent_same_id(void **state)
{
    struct fx *f = *state;
    static uint8_t buf[200000];
    uint8_t id[DIGEST_BYTES], *back;
    struct same s[8];
    pthread_t t[8];
    size_t len;
    int i;

    storage_tu_fill(buf, sizeof(buf), 7);
    digest_buf(buf, sizeof(buf), id);
    for (i = 0; i < 8; i++) {
        s[i] = (struct same){f->bs, buf, sizeof(buf), id, -100};
        assert_int_equal(pthread_create(&t[i], NULL, put_thread, &s[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(s[i].rc, 0);
    }
    assert_int_equal(blobstore_read_all(f->bs, id, sizeof(buf), &back, &len),
        0);
    assert_int_equal(len, sizeof(buf));
    free(back);
    assert_int_equal(tmpcount(f->dir), 0);
}

static void
test_blobstore_delete_removes(void **state)
{
    struct fx *f = *state;
    uint8_t buf[100], id[DIGEST_BYTES];

    storage_tu_fill(buf, sizeof(buf), 8);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_delete(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_int_equal(blobstore_delete(f->bs, id), 0);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(blobstore_delete(f->bs, id), STORAGE_ENOTFOUND);
}

struct seen {
    uint8_t ids[16][DIGEST_BYTES];
    int n;
};

static int
collect(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{
    struct seen *s = cookie;

    (void)size;
    (void)mtime;
    if (s->n < 16) {
        memcpy(s->ids[s->n], id, DIGEST_BYTES);
    }
    s->n++;
    return (0);
}

static int
stop_at_first(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{

    (void)cookie;
    (void)id;
    (void)size;
    (void)mtime;
    return (42);
}

static void
test_blobstore_iterate_skips_junk(void **state)
{
    struct fx *f = *state;
    uint8_t buf[100], id[3][DIGEST_BYTES], other[DIGEST_BYTES];
    char p[4096], hex[DIGEST_ID_BUFLEN];
    struct seen s;
    int i, j, found;

    for (i = 0; i < 3; i++) {
        storage_tu_fill(buf, sizeof(buf), 100 + (uint64_t)i);
        digest_buf(buf, sizeof(buf), id[i]);
        assert_int_equal(blobstore_put_buf(f->bs, id[i], buf, sizeof(buf)),
            0);
    }
    /* Junk: a bad name, and a good name in the wrong fan-out folder. */
    memcpy(p, objpath(f->dir, id[0]), strlen(objpath(f->dir, id[0])) + 1);
    *strrchr(p, '/') = '\0';
    (void)snprintf(p + strlen(p), sizeof(p) - strlen(p), "/notanid");
    assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0600)) , 0);
    memset(other, 0xab, sizeof(other));
    digest_id_format(other, hex);
    *strrchr(p, '/') = '\0';
    (void)snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%s", hex + 7);
    assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0600)), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(blobstore_iterate(f->bs, collect, &s), 0);
    assert_int_equal(s.n, 3);
    for (i = 0; i < 3; i++) {
        for (found = 0, j = 0; j < 3; j++) {
            found |= memcmp(s.ids[j], id[i], DIGEST_BYTES) == 0;
        }
        assert_true(found);
    }
    assert_int_equal(blobstore_iterate(f->bs, stop_at_first, NULL), 42);
}

static void
test_blobstore_quarantine_moves_aside(void **state)
{
    struct fx *f = *state;
    uint8_t buf[100], id[DIGEST_BYTES];
    char p[4096];

    storage_tu_fill(buf, sizeof(buf), 9);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_int_equal(blobstore_quarantine(f->bs, id), 0);
    assert_int_equal(blobstore_exists(f->bs, id), STORAGE_ENOTFOUND);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_int_equal(blobstore_quarantine(f->bs, id), 0);
    (void)snprintf(p, sizeof(p), "%s/quarantine", f->dir);
    assert_int_equal(storage_tu_nfiles(p), 2);
}

static void
test_blobstore_read_all_detects_corruption(void **state)
{
    struct fx *f = *state;
    uint8_t buf[1000], id[DIGEST_BYTES], *back;
    size_t len;
    FILE *fp;

    storage_tu_fill(buf, sizeof(buf), 10);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_non_null(fp = fopen(objpath(f->dir, id), "r+"));
    assert_int_equal(fseek(fp, 500, SEEK_SET), 0);
    assert_int_equal(fputc(buf[500] ^ 1, fp), buf[500] ^ 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(blobstore_read_all(f->bs, id, sizeof(buf), &back, &len),
        STORAGE_ECORRUPT);
    assert_null(back);
    assert_int_equal(blobstore_read_all(f->bs, id, 10, &back, &len),
        STORAGE_ETOOBIG);
}

static void
test_blobstore_open_read_refuses_symlink(void **state)
{
    struct fx *f = *state;
    uint8_t buf[100], id[DIGEST_BYTES];
    uint64_t size;
    int fd;

    storage_tu_fill(buf, sizeof(buf), 11);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    assert_int_equal(unlink(objpath(f->dir, id)), 0);
    assert_int_equal(symlink("/etc/passwd", objpath(f->dir, id)), 0);
    assert_int_not_equal(blobstore_open_read(f->bs, id, &fd, &size), 0);
    assert_int_equal(fd, -1);
    assert_int_not_equal(blobstore_exists(f->bs, id), 0);
}

static void
test_blobstore_open_cleans_dead_temp_files(void **state)
{
    struct fx *f = *state;
    struct blobstore *bs2;
    char p[4096];
    pid_t pid;
    int st;

    /* A pid that is certainly gone: a reaped child. */
    if ((pid = fork()) == 0) {
        _exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    (void)snprintf(p, sizeof(p), "%s/tmp/put-%ld-00", f->dir, (long)pid);
    assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0600)), 0);
    /* A live process's file (ours) and a foreign name stay. */
    (void)snprintf(p, sizeof(p), "%s/tmp/put-%ld-01", f->dir, (long)getppid());
    assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0600)), 0);
    (void)snprintf(p, sizeof(p), "%s/tmp/other", f->dir);
    assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0600)), 0);
    assert_int_equal(tmpcount(f->dir), 3);
    assert_int_equal(blobstore_open(f->dir, &bs2), 0);
    assert_int_equal(tmpcount(f->dir), 2);
    blobstore_close(bs2);
}

static void
test_blobstore_open_ns_rejects_unknown(void **state)
{
    struct fx *f = *state;
    struct blobstore *bs2 = (struct blobstore *)1;

    assert_int_equal(blobstore_open_ns(f->dir, "../etc", &bs2),
        STORAGE_EINVAL);
    assert_null(bs2);
    assert_int_equal(blobstore_open_ns(f->dir, "records", &bs2), 0);
    blobstore_close(bs2);
    blobstore_close(NULL);
}

static void
test_storage_strerror_and_detail(void **state)
{
    struct fx *f = *state;
    uint8_t id[DIGEST_BYTES];
    int e;

    for (e = 0; e >= -10; e--) {
        assert_true(strlen(storage_strerror(e)) > 0);
        assert_string_not_equal(storage_strerror(e),
            "unknown storage error");
    }
    assert_string_equal(storage_strerror(-99), "unknown storage error");
    memset(id, 0, sizeof(id));
    assert_int_equal(blobstore_delete(f->bs, id), STORAGE_ENOTFOUND);
    assert_true(strlen(storage_detail()) > 0);
    assert_int_equal(blobstore_put_buf(f->bs, id, (const uint8_t *)"x", 1),
        STORAGE_EDIGEST);
    assert_non_null(strstr(storage_detail(), "match"));
}

/* Run puts of fresh objects failing the k-th system call, k = 1, 2, ...
 * until a put gets through; check the aftermath of every failure. */
static void
fault_each_step(struct fx *f, int err, int expect_rc, const char *only)
{
    uint8_t buf[5000], id[DIGEST_BYTES];
    int k, rc, fds, checked = 0;
    struct stat st;

    /* One clean put first: the store's one-time scan of its folders (whose
     * failures are harmless) must not absorb the injected faults. */
    storage_tu_fill(buf, sizeof(buf), 999999);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    for (k = 1; k < 100; k++) {
        /* A fresh id each time, so that fan-out directories are new too. */
        storage_tu_fill(buf, sizeof(buf), 1000 + (uint64_t)k +
            (uint64_t)err * 1000);
        digest_buf(buf, sizeof(buf), id);
        fds = storage_tu_nfds();
        fault_calls = 0;
        fault_errno = err;
        fault_hit[0] = '\0';
        fault_at = k;
        rc = put_chunks(f->bs, id, buf, sizeof(buf), 2500);
        fault_at = 0;
        if (fault_hit[0] == '\0') {
            /* Fewer than k calls: the put ran clean. */
            assert_int_equal(rc, 0);
            assert_int_equal(blobstore_exists(f->bs, id), 0);
            break;
        }
        if (strcmp(fault_hit, "close") == 0 && rc == 0) {
            /* A failed close of a directory we only read is harmless. */
            continue;
        }
        assert_int_not_equal(rc, 0);
        if (only == NULL || strcmp(fault_hit, only) == 0) {
            assert_int_equal(rc, expect_rc);
            checked++;
        }
        /* No temp file, no descriptor leaked. */
        assert_int_equal(tmpcount(f->dir), 0);
        assert_int_equal(storage_tu_nfds(), fds);
        /* No object, unless the bytes were verified and in place and only
         * the last directory fsync failed: then they are the right bytes. */
        if (stat(objpath(f->dir, id), &st) == 0) {
            uint8_t *back;
            size_t len;

            assert_string_equal(fault_hit, "fsync");
            assert_int_equal(blobstore_read_all(f->bs, id, sizeof(buf),
                &back, &len), 0);
            free(back);
        }
    }
    assert_true(k > 5);
    if (only != NULL) {
        assert_true(checked > 0);
    }
}

static void
test_blobstore_put_fault_each_step_eio(void **state)
{

    fault_each_step(*state, EIO, STORAGE_EIO, NULL);
}

static void
test_blobstore_put_fault_enospc_maps(void **state)
{

    fault_each_step(*state, ENOSPC, STORAGE_ENOSPC, "write");
    fault_each_step(*state, ENOSPC, STORAGE_ENOSPC, "fsync");
    fault_each_step(*state, EDQUOT, STORAGE_ENOSPC, "write");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blobstore_put_roundtrip,
            setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobstore_put_empty_object,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_rejects_digest_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_rejects_short_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobstore_put_rejects_oversize,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_existing_still_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobstore_abort_leaves_nothing,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_concurrent_same_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobstore_delete_removes,
            setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobstore_iterate_skips_junk,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_quarantine_moves_aside, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_read_all_detects_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_open_read_refuses_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_open_cleans_dead_temp_files, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_open_ns_rejects_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_strerror_and_detail,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_fault_each_step_eio, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_blobstore_put_fault_enospc_maps, setup, teardown),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
