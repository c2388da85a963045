#ifndef STORAGE_TU_H_
#define STORAGE_TU_H_

/* Test helpers of the storage tests: temp data directories and leaks. */

#include <stddef.h>
#include <stdint.h>

/**
 * storage_tu_mkdtemp():
 * Create a fresh directory under $TMPDIR (or /tmp); return its malloc'd
 * path (aborts on failure).
 */
char *storage_tu_mkdtemp(void);

/**
 * storage_tu_rmrf(path):
 * Remove ${path} and everything below it.
 */
void storage_tu_rmrf(const char *path);

/**
 * storage_tu_nfds():
 * Number of open file descriptors of this process.
 */
int storage_tu_nfds(void);

/**
 * storage_tu_nfiles(dir):
 * Number of entries in ${dir} other than "." and ".." (-1 if unreadable).
 */
int storage_tu_nfiles(const char *dir);

/**
 * storage_tu_fill(buf, len, seed):
 * Fill ${buf} with deterministic pseudo-random bytes from ${seed}.
 */
void storage_tu_fill(uint8_t *buf, size_t len, uint64_t seed);

#endif /* !STORAGE_TU_H_ */
