#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The one place that knows which SHA-256 implementation backs blob ids. */
struct digest {
    crypto_hash_sha256_state st;
};

struct digest *
digest_new(void)
{
    struct digest *d;

    if ((d = malloc(sizeof(*d))) == NULL) {
        return (NULL);
    }
    crypto_hash_sha256_init(&d->st);
    return (d);
}

void
digest_update(struct digest *d, const uint8_t *buf, size_t len)
{

    crypto_hash_sha256_update(&d->st, buf, len);
}

void
digest_final(struct digest *d, uint8_t out[DIGEST_BYTES])
{

    crypto_hash_sha256_final(&d->st, out);
}

void
digest_reset(struct digest *d)
{

    crypto_hash_sha256_init(&d->st);
}

void
digest_free(struct digest *d)
{

    if (d == NULL) {
        return;
    }
    sodium_memzero(d, sizeof(*d));
    free(d);
}

void
digest_buf(const uint8_t *buf, size_t len, uint8_t out[DIGEST_BYTES])
{

    crypto_hash_sha256(out, buf, len);
}

void
digest_id_format(const uint8_t dig[DIGEST_BYTES], char out[DIGEST_ID_BUFLEN])
{

    memcpy(out, DIGEST_ID_PREFIX, 7);
    sodium_bin2hex(out + 7, 2 * DIGEST_BYTES + 1, dig, DIGEST_BYTES);
}

int
digest_hex_parse(const char *s, size_t len, uint8_t dig[DIGEST_BYTES])
{
    size_t i;

    if (len != 2 * DIGEST_BYTES) {
        return (-1);
    }
    /* Lowercase only: one id, one spelling. */
    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return (-1);
        }
    }
    for (i = 0; i < DIGEST_BYTES; i++) {
        int hi = (s[2 * i] <= '9') ? s[2 * i] - '0' : s[2 * i] - 'a' + 10;
        int lo = (s[2 * i + 1] <= '9') ? s[2 * i + 1] - '0'
                                       : s[2 * i + 1] - 'a' + 10;
        dig[i] = (uint8_t)(hi * 16 + lo);
    }
    return (0);
}

int
digest_id_parse(const char *s, size_t len, uint8_t dig[DIGEST_BYTES])
{

    if (len != DIGEST_ID_LEN || memcmp(s, DIGEST_ID_PREFIX, 7) != 0) {
        return (-1);
    }
    return (digest_hex_parse(s + 7, len - 7, dig));
}
