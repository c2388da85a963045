#ifndef AGE_INTERNAL_H_
#define AGE_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

/* Shared by crypto/age*.c and the tests only. */

#define AGE_HKDF_BYTES 32

/**
 * age_hkdf(ikm, ikmlen, salt, saltlen, info, out):
 * HKDF-SHA-256 (RFC 5869) with 32 bytes of output, built from libsodium's
 * HMAC-SHA-256.  An empty salt means HashLen zero bytes.  ${out} is a
 * secret; intermediate values are wiped.
 */
void age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t out[AGE_HKDF_BYTES]);

#endif /* !AGE_INTERNAL_H_ */
