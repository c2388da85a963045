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

#endif /* !SECMEM_H_ */
