#include "crypto/secmem.h"

#include <string.h>

#include <sodium.h>

void *
secmem_alloc(size_t len)
{
    void *p;

    /* sodium_malloc fills with 0xdb; callers expect zeroes. */
    if ((p = sodium_malloc(len == 0 ? 1 : len)) == NULL) {
        return (NULL);
    }
    sodium_memzero(p, len == 0 ? 1 : len);
    return (p);
}

void
secmem_free(void *p)
{

    /* sodium_free wipes before unmapping. */
    sodium_free(p);
}

int
secmem_noaccess(void *p)
{

    return (sodium_mprotect_noaccess(p));
}

int
secmem_readonly(void *p)
{

    return (sodium_mprotect_readonly(p));
}

int
secmem_readwrite(void *p)
{

    return (sodium_mprotect_readwrite(p));
}

void
secmem_wipe(void *p, size_t len)
{

    sodium_memzero(p, len);
}

int
secmem_eq(const void *a, const void *b, size_t len)
{

    return (sodium_memcmp(a, b, len) == 0);
}

void
secmem_random(void *buf, size_t len)
{

    randombytes_buf(buf, len);
}
