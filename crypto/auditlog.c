#include "crypto/auditlog.h"

#include <string.h>

/* Big-endian encodings of the fixed-size fields. */
static void
be_put(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

/* Feed lp(s): big-endian 4-byte length, then the bytes. */
static void
hash_lp(struct digest *d, const char *s)
{
    uint8_t len[4];
    size_t n = (s != NULL) ? strlen(s) : 0;

    be_put(len, (uint64_t)n, 4);
    digest_update(d, len, 4);
    if (n > 0) {
        digest_update(d, (const uint8_t *)s, n);
    }
}

int
auditlog_hash(const struct auditlog_entry *e, uint8_t out[DIGEST_BYTES])
{
    struct digest *d;
    uint8_t be[8];

    if ((d = digest_new()) == NULL) {
        memset(out, 0xff, DIGEST_BYTES);
        return (-1);
    }
    digest_update(d, e->prev, DIGEST_BYTES);
    be_put(be, e->seq, 8);
    digest_update(d, be, 8);
    be_put(be, (uint64_t)e->time, 8);
    digest_update(d, be, 8);
    hash_lp(d, e->chain);
    hash_lp(d, e->actor);
    hash_lp(d, e->action);
    hash_lp(d, e->target);
    hash_lp(d, e->detail);
    digest_final(d, out);
    digest_free(d);
    return (0);
}
