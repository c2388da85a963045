#ifndef BLOBSTORE_H_
#define BLOBSTORE_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"
#include "storage/storage.h"

/*
 * Content-addressed object store.  An object is named by the SHA-256 of its
 * bytes (DIGEST_BYTES binary; `sha256:<hex>` only at the edges).  The
 * interface is deliberately small so that a second backend (S3-compatible)
 * is one more file implementing struct blobstore_ops (blobstore_internal.h).
 *
 * Filesystem backend layout, under the data directory DATA:
 *   DATA/objects/sha256/ab/cd/<64 hex>   payload blobs
 *   DATA/records/sha256/ab/cd/<64 hex>   record objects (catalog-internal)
 *   DATA/tmp/                            in-flight puts ("put-<pid>-<rnd>")
 *   DATA/quarantine/                     objects moved aside by scrub
 *
 * Durability: a put returns success only after the object file is fsynced,
 * renamed into place, and its directory (and any new fan-out directory's
 * parent) is fsynced.  A digest mismatch, a short body, an oversize body or
 * any I/O error leaves neither an object nor a temp file behind.  Putting an
 * id that exists still verifies the bytes and is then a no-op; concurrent
 * puts of one id are safe (identical bytes, atomic rename).
 *
 * Threads: a struct blobstore may be shared by any number of threads.  A
 * struct blobstore_put belongs to one thread at a time.
 *
 * All functions return 0 or a negative STORAGE_E* code (storage.h).
 */

struct blobstore;
struct blobstore_put;

/**
 * blobstore_open(datadir, out):
 * Open (creating if needed) the filesystem store of payload blobs under
 * ${datadir} (DATA/objects, DATA/tmp).  Leftover temp files of dead
 * processes are removed.  On success set ${*out}; free with
 * blobstore_close().
 */
int blobstore_open(const char *datadir, struct blobstore **out);

/**
 * blobstore_open_ns(datadir, ns, out):
 * As blobstore_open() but for the namespace folder ${ns} ("objects" or
 * "records"); the catalog keeps its record objects in "records", apart
 * from anything a client may upload.
 */
int blobstore_open_ns(const char *datadir, const char *ns,
    struct blobstore **out);

/**
 * blobstore_close(bs):
 * Release ${bs}.  blobstore_close(NULL) is a no-op.
 */
void blobstore_close(struct blobstore *bs);

/**
 * blobstore_put_begin(bs, id, maxbytes, out):
 * Start storing the object whose SHA-256 must be ${id}.  Bytes beyond
 * ${maxbytes} (0: no limit) make blobstore_put_write() fail with
 * STORAGE_ETOOBIG.  On success set ${*out}; it must be ended by exactly one
 * of blobstore_put_commit() or blobstore_put_abort().
 */
int blobstore_put_begin(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    uint64_t maxbytes, struct blobstore_put **out);

/**
 * blobstore_put_write(p, buf, len):
 * Append ${len} bytes to the object being put, hashing them as they come.
 * On failure (STORAGE_ENOSPC, STORAGE_ETOOBIG, STORAGE_EIO) the put is
 * spoiled: the caller must still call blobstore_put_abort() (or commit, which
 * then fails and cleans up).
 */
int blobstore_put_write(struct blobstore_put *p, const uint8_t *buf,
    size_t len);

/**
 * blobstore_put_commit(p):
 * Finish the put: check the digest (STORAGE_EDIGEST if the bytes do not hash
 * to the id given at begin), fsync, rename into place, fsync directories.
 * Return 0 only once the object is durable.  Always frees ${p}; on failure no
 * object and no temp file remain.
 */
int blobstore_put_commit(struct blobstore_put *p);

/**
 * blobstore_put_abort(p):
 * Abandon the put, remove its temp file and free ${p}.  NULL is a no-op.
 */
void blobstore_put_abort(struct blobstore_put *p);

/**
 * blobstore_put_buf(bs, id, buf, len):
 * Put ${len} bytes of ${buf} under ${id} in one call (begin/write/commit).
 */
int blobstore_put_buf(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    const uint8_t *buf, size_t len);

/**
 * blobstore_open_read(bs, id, fd, size):
 * Open object ${id} for reading.  On success set ${*fd} to a read-only
 * descriptor positioned at 0 (O_CLOEXEC; the caller closes it, and may
 * sendfile() from it) and ${*size} to its length.  STORAGE_ENOTFOUND if
 * absent.  The bytes are not re-hashed here (scrub does that).
 */
int blobstore_open_read(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    int *fd, uint64_t *size);

/**
 * blobstore_stat(bs, id, size, mtime):
 * Return 0 and set ${*size} and ${*mtime} (seconds since the epoch; either
 * pointer may be NULL) if object ${id} exists, STORAGE_ENOTFOUND if not.
 */
int blobstore_stat(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    uint64_t *size, int64_t *mtime);

/**
 * blobstore_exists(bs, id):
 * Return 0 if object ${id} exists, STORAGE_ENOTFOUND if not, or an error.
 */
int blobstore_exists(struct blobstore *bs, const uint8_t id[DIGEST_BYTES]);

/**
 * blobstore_delete(bs, id):
 * Remove object ${id} durably (directory fsynced).  STORAGE_ENOTFOUND if it
 * was absent.
 */
int blobstore_delete(struct blobstore *bs, const uint8_t id[DIGEST_BYTES]);

/**
 * blobstore_quarantine(bs, id):
 * Move object ${id} out of the store into DATA/quarantine/<64 hex> (suffixed
 * if that exists), durably.  Used by scrub for corrupt objects.
 */
int blobstore_quarantine(struct blobstore *bs,
    const uint8_t id[DIGEST_BYTES]);

/**
 * blobstore_iter_fn(cookie, id, size, mtime):
 * Called once per object by blobstore_iterate(); a non-zero return stops
 * the iteration and is returned by blobstore_iterate().
 */
typedef int (*blobstore_iter_fn)(void *cookie,
    const uint8_t id[DIGEST_BYTES], uint64_t size, int64_t mtime);

/**
 * blobstore_iterate(bs, fn, cookie):
 * Call ${fn} for every object in the store, in no particular order.  Files
 * whose names are not a well-formed id in the right fan-out directory are
 * skipped.  Objects added or removed during the walk may or may not be seen.
 */
int blobstore_iterate(struct blobstore *bs, blobstore_iter_fn fn,
    void *cookie);

/**
 * blobstore_read_all(bs, id, maxbytes, buf, len):
 * Read the whole of object ${id} into a malloc'd buffer ${*buf} of ${*len}
 * bytes and check that it hashes to ${id} (STORAGE_ECORRUPT if not;
 * STORAGE_ETOOBIG if longer than ${maxbytes}).  The caller frees ${*buf}.
 */
int blobstore_read_all(struct blobstore *bs, const uint8_t id[DIGEST_BYTES],
    size_t maxbytes, uint8_t **buf, size_t *len);

#endif /* !BLOBSTORE_H_ */
