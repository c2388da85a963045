#ifndef SECMEM_H_
#define SECMEM_H_

#include <stddef.h>

/*
 * Memory for secrets: guarded pages from libsodium (sodium_malloc), locked
 * where the system allows, wiped on release.
 */

/**
 * secmem_alloc(len):
 * Allocate ${len} bytes of guarded memory, zeroed.  Return NULL on failure.
 */
void *secmem_alloc(size_t len);

/**
 * secmem_free(p):
 * Wipe and release memory from secmem_alloc().  secmem_free(NULL) is a no-op.
 */
void secmem_free(void *p);

/**
 * secmem_noaccess(p), secmem_readonly(p), secmem_readwrite(p):
 * Change the protection of a secmem_alloc() region while it is idle.
 * Return 0 or -1.
 */
int secmem_noaccess(void *p);
int secmem_readonly(void *p);
int secmem_readwrite(void *p);

/**
 * secmem_wipe(p, len):
 * Overwrite ${len} bytes at ${p} with zeroes in a way the compiler keeps.
 */
void secmem_wipe(void *p, size_t len);

/**
 * secmem_eq(a, b, len):
 * Constant-time comparison of ${len} bytes: 1 if equal, 0 otherwise.
 */
int secmem_eq(const void *a, const void *b, size_t len);

/**
 * secmem_random(buf, len):
 * Fill ${buf} with ${len} bytes from the system's secure generator.
 */
void secmem_random(void *buf, size_t len);

#endif /* !SECMEM_H_ */
