#ifndef STORAGE_H_
#define STORAGE_H_

/*
 * Error codes shared by every storage interface (blob store, catalog,
 * maintenance).  Functions return 0 on success or one of these negative
 * codes; storage_detail() gives a human-readable detail of the last failure
 * in the calling thread (in the style of sqlite3_errmsg, but thread-local so
 * that handles may be shared between threads).  Storage never prints.
 */

#define STORAGE_OK          0
#define STORAGE_EIO        -1   /* I/O or database error (see detail) */
#define STORAGE_ENOTFOUND  -2   /* no such object/row, or not visible */
#define STORAGE_EEXIST     -3   /* uniqueness violated */
#define STORAGE_EDIGEST    -4   /* bytes do not hash to the expected id */
#define STORAGE_ENOSPC     -5   /* disk full or quota (daemon: 507) */
#define STORAGE_ETOOBIG    -6   /* over a size limit */
#define STORAGE_EINVAL     -7   /* bad argument (caller bug or bad input) */
#define STORAGE_ECORRUPT   -8   /* stored data fails its own checks */
#define STORAGE_ENOMEM     -9   /* allocation failure */
#define STORAGE_EBUSY     -10   /* database locked past the busy timeout */

/* Longest detail string, including the NUL. */
#define STORAGE_DETAIL_BUFLEN 256

/**
 * storage_strerror(err):
 * Return a static English description of the storage error code ${err}.
 */
const char *storage_strerror(int err);

/**
 * storage_detail():
 * Return the detail string of the last storage failure in this thread
 * ("" if none).  The string lives until the next storage call of the same
 * thread.  It never contains secrets (no token, header or metadata bytes).
 */
const char *storage_detail(void);

#endif /* !STORAGE_H_ */
