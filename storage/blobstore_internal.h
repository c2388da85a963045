#ifndef BLOBSTORE_INTERNAL_H_
#define BLOBSTORE_INTERNAL_H_

/*
 * The backend side of the blob store.  blobstore.c does what every backend
 * shares (hashing while writing, size limit, digest check before commit,
 * argument checks); a backend only moves bytes.  A backend embeds struct
 * blobstore as the first member of its own handle.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"

struct blobstore_ops {
    /* Start a put of ${id}; set ${*bp} to backend state, or to NULL when the
     * object already exists (the put then only verifies the bytes). */
    int (*put_begin)(struct blobstore *, const uint8_t *, void **);
    int (*put_write)(void *, const uint8_t *, size_t);
    /* Make the bytes durable under their id and free the state. */
    int (*put_commit)(void *);
    /* Drop the bytes and free the state. */
    void (*put_abort)(void *);
    int (*open_read)(struct blobstore *, const uint8_t *, int *, uint64_t *);
    int (*stat)(struct blobstore *, const uint8_t *, uint64_t *, int64_t *);
    int (*del)(struct blobstore *, const uint8_t *);
    int (*quarantine)(struct blobstore *, const uint8_t *);
    int (*iterate)(struct blobstore *, blobstore_iter_fn, void *);
    void (*close)(struct blobstore *);
};

struct blobstore {
    const struct blobstore_ops *ops;
};

/**
 * blobstore_fs_new(datadir, ns, out):
 * Open the filesystem backend rooted at ${datadir}/${ns}.
 */
int blobstore_fs_new(const char *datadir, const char *ns,
    struct blobstore **out);

/**
 * blobstore_fs_tmpdir_clean(datadir):
 * Remove the temp files in ${datadir}/tmp left by processes that are no
 * longer running.  Return the number removed, or a negative code.
 */
int blobstore_fs_tmpdir_clean(const char *datadir);

#endif /* !BLOBSTORE_INTERNAL_H_ */
