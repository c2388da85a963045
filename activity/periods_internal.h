#ifndef PERIODS_INTERNAL_H_
#define PERIODS_INTERNAL_H_

#include <stddef.h>

/*
 * Shared by the files of the periods module (and tests); not an API.
 */

struct periods_set;

/**
 * periods_grow(p, cap, n, size):
 * Make room for element ${n} of ${size} bytes in the array *${p} (a
 * pointer to the array pointer) of capacity *${cap}, doubling it and
 * zeroing the new part.  Return 0 or -1.
 */
int periods_grow(void *p, size_t *cap, size_t n, size_t size);

/**
 * periods_same_person(a, b):
 * Return 1 if two NIRs may be the same person (equal, or one is "").
 */
int periods_same_person(const char *a, const char *b);

/**
 * periods_index_rebuild(set, want):
 * Rebuild the hash index of ${set}'s months with room for ${want}.
 * Return 0 or -1 (the old index is kept on failure).
 */
int periods_index_rebuild(struct periods_set *set, size_t want);

#endif /* !PERIODS_INTERNAL_H_ */
