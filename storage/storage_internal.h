#ifndef STORAGE_INTERNAL_H_
#define STORAGE_INTERNAL_H_

/* Helpers shared by the storage module (and its tests) only. */

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define STORAGE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define STORAGE_PRINTF(a, b)
#endif

/**
 * storage_fail(err, fmt, ...):
 * Set the thread's detail string and return ${err} (for `return
 * (storage_fail(STORAGE_EIO, "fsync: %s", strerror(errno)));`).
 */
int storage_fail(int err, const char *fmt, ...) STORAGE_PRINTF(2, 3);

/**
 * storage_errno(e, what):
 * Map errno value ${e} to a storage code (ENOSPC/EDQUOT -> STORAGE_ENOSPC,
 * ENOENT -> STORAGE_ENOTFOUND, ENOMEM -> STORAGE_ENOMEM, else STORAGE_EIO),
 * set the detail "${what}: strerror(e)" and return the code.
 */
int storage_errno(int e, const char *what);

/**
 * storage_clear_detail():
 * Reset the thread's detail string to "".
 */
void storage_clear_detail(void);

/**
 * storage_be64(p, v), storage_be32(p, v):
 * Store ${v} big-endian at ${p}.
 */
void storage_be64(uint8_t p[8], uint64_t v);
void storage_be32(uint8_t p[4], uint32_t v);

#endif /* !STORAGE_INTERNAL_H_ */
