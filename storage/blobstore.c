#include "storage/blobstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore_internal.h"
#include "storage/storage_internal.h"

/* Generic half of a put: hash, count, then hand the bytes to the backend. */
struct blobstore_put {
    struct blobstore *bs;
    void *bp;                   /* backend state; NULL: verify only */
    struct digest *d;
    uint8_t id[DIGEST_BYTES];
    uint64_t n;
    uint64_t max;
    int spoiled;                /* a write failed: commit must fail */
};

int
blobstore_open(const char *datadir, struct blobstore **out)
{

    return (blobstore_open_ns(datadir, "objects", out));
}

int
blobstore_open_ns(const char *datadir, const char *ns,
    struct blobstore **out)
{
    int rc;

    *out = NULL;
    storage_clear_detail();
    if (datadir == NULL || ns == NULL) {
        return (storage_fail(STORAGE_EINVAL, "no data directory"));
    }
    if (strcmp(ns, "objects") != 0 && strcmp(ns, "records") != 0) {
        return (storage_fail(STORAGE_EINVAL, "unknown namespace"));
    }
    if ((rc = blobstore_fs_new(datadir, ns, out)) != 0) {
        return (rc);
    }
    if ((rc = blobstore_fs_tmpdir_clean(datadir)) < 0) {
        blobstore_close(*out);
        *out = NULL;
        return (rc);
    }
    return (0);
}

void
blobstore_close(struct blobstore *bs)
{

    if (bs == NULL) {
        return;
    }
    bs->ops->close(bs);
}

int
blobstore_put_begin(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    uint64_t maxbytes, struct blobstore_put **out)
{
    struct blobstore_put *p;
    int rc;

    *out = NULL;
    storage_clear_detail();
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return (storage_errno(errno, "calloc"));
    }
    if ((p->d = digest_new()) == NULL) {
        rc = storage_fail(STORAGE_ENOMEM, "digest_new");
        goto err1;
    }
    p->bs = bs;
    memcpy(p->id, id, DIGEST_BYTES);
    p->max = maxbytes;
    if ((rc = bs->ops->put_begin(bs, id, &p->bp)) != 0) {
        goto err2;
    }

    /* Success! */
    *out = p;
    return (0);

err2:
    digest_free(p->d);
err1:
    free(p);

    /* Failure! */
    return (rc);
}

int
blobstore_put_write(struct blobstore_put *p, const uint8_t *buf, size_t len)
{
    int rc;

    if (p->spoiled) {
        return (storage_fail(STORAGE_EINVAL, "write after a failed write"));
    }
    if (p->max != 0 && (len > p->max || p->n > p->max - len)) {
        p->spoiled = 1;
        return (storage_fail(STORAGE_ETOOBIG, "object over %llu bytes",
            (unsigned long long)p->max));
    }
    digest_update(p->d, buf, len);
    p->n += len;
    if (p->bp != NULL && len > 0 &&
        (rc = p->bs->ops->put_write(p->bp, buf, len)) != 0) {
        p->spoiled = 1;
        return (rc);
    }
    return (0);
}

/* Free the generic half of ${p}. */
static void
put_free(struct blobstore_put *p)
{

    digest_free(p->d);
    free(p);
}

int
blobstore_put_commit(struct blobstore_put *p)
{
    uint8_t got[DIGEST_BYTES];
    int rc;

    storage_clear_detail();
    if (p->spoiled) {
        rc = storage_fail(STORAGE_EIO, "put spoiled by a failed write");
        goto err;
    }
    digest_final(p->d, got);
    if (!secmem_eq(got, p->id, DIGEST_BYTES)) {
        rc = storage_fail(STORAGE_EDIGEST, "content does not match its id");
        goto err;
    }
    if (p->bp == NULL) {
        /* The object existed at begin and these bytes match: no-op. */
        put_free(p);
        return (0);
    }
    rc = p->bs->ops->put_commit(p->bp);
    put_free(p);
    return (rc);

err:
    if (p->bp != NULL) {
        p->bs->ops->put_abort(p->bp);
    }
    put_free(p);

    /* Failure! */
    return (rc);
}

void
blobstore_put_abort(struct blobstore_put *p)
{

    if (p == NULL) {
        return;
    }
    if (p->bp != NULL) {
        p->bs->ops->put_abort(p->bp);
    }
    put_free(p);
}

int
blobstore_put_buf(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    const uint8_t *buf, size_t len)
{
    struct blobstore_put *p;
    int rc;

    if ((rc = blobstore_put_begin(bs, id, 0, &p)) != 0) {
        return (rc);
    }
    if ((rc = blobstore_put_write(p, buf, len)) != 0) {
        blobstore_put_abort(p);
        return (rc);
    }
    return (blobstore_put_commit(p));
}

int
blobstore_open_read(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    int *fd, uint64_t *size)
{

    *fd = -1;
    *size = 0;
    storage_clear_detail();
    return (bs->ops->open_read(bs, id, fd, size));
}

int
blobstore_stat(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    uint64_t *size, int64_t *mtime)
{

    storage_clear_detail();
    return (bs->ops->stat(bs, id, size, mtime));
}

int
blobstore_exists(struct blobstore *bs, const uint8_t id[DIGEST_BYTES])
{

    return (blobstore_stat(bs, id, NULL, NULL));
}

int
blobstore_delete(struct blobstore *bs, const uint8_t id[DIGEST_BYTES])
{

    storage_clear_detail();
    return (bs->ops->del(bs, id));
}

int
blobstore_quarantine(struct blobstore *bs, const uint8_t id[DIGEST_BYTES])
{

    storage_clear_detail();
    return (bs->ops->quarantine(bs, id));
}

int
blobstore_iterate(struct blobstore *bs, blobstore_iter_fn fn, void *cookie)
{

    storage_clear_detail();
    return (bs->ops->iterate(bs, fn, cookie));
}

int
blobstore_read_all(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    size_t maxbytes, uint8_t **buf, size_t *len)
{
    uint8_t got[DIGEST_BYTES];
    uint64_t size;
    uint8_t *b;
    size_t off;
    ssize_t r;
    int fd;
    int rc;

    *buf = NULL;
    *len = 0;
    if ((rc = blobstore_open_read(bs, id, &fd, &size)) != 0) {
        return (rc);
    }
    if (size > maxbytes) {
        rc = storage_fail(STORAGE_ETOOBIG, "object of %llu bytes",
            (unsigned long long)size);
        goto err1;
    }
    if ((b = malloc(size > 0 ? (size_t)size : 1)) == NULL) {
        rc = storage_errno(errno, "malloc");
        goto err1;
    }
    for (off = 0; off < size; off += (size_t)r) {
        if ((r = read(fd, b + off, (size_t)size - off)) < 0) {
            if (errno == EINTR) {
                r = 0;
                continue;
            }
            rc = storage_errno(errno, "read");
            goto err2;
        }
        if (r == 0) {
            rc = storage_fail(STORAGE_ECORRUPT, "object shrank");
            goto err2;
        }
    }
    digest_buf(b, (size_t)size, got);
    if (!secmem_eq(got, id, DIGEST_BYTES)) {
        rc = storage_fail(STORAGE_ECORRUPT, "object does not match its id");
        goto err2;
    }
    (void)close(fd);

    /* Success! */
    *buf = b;
    *len = (size_t)size;
    return (0);

err2:
    free(b);
err1:
    (void)close(fd);

    /* Failure! */
    return (rc);
}
