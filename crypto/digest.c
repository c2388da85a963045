#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

/*
 * The one place that knows which SHA-256 implementation backs blob ids.
 * OpenSSL's libcrypto, not libsodium: the daemon hashes every byte it
 * stores, and on CPUs with SHA extensions libcrypto's SHA-256 is 4.5 to 7
 * times faster (docs/BENCHMARKS.md, "Storage"); that gap was what kept
 * durable puts at 8 writers from the 80 % target.  Every other primitive
 * still comes from libsodium.
 *
 * A failure inside libcrypto (allocation, in practice) cannot be returned
 * through this void API; it poisons the state so that the digest comes out
 * as all 0xff bytes, which matches no blob id and so fails verification.
 */
struct digest {
    EVP_MD_CTX *ctx;
    int failed;
};

/* Start (or restart) ${d}. */
static void
digest_start(struct digest *d)
{

    d->failed = (EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1);
}

struct digest *
digest_new(void)
{
    struct digest *d;

    if ((d = malloc(sizeof(*d))) == NULL) {
        return (NULL);
    }
    if ((d->ctx = EVP_MD_CTX_new()) == NULL) {
        free(d);
        return (NULL);
    }
    digest_start(d);
    return (d);
}

void
digest_update(struct digest *d, const uint8_t *buf, size_t len)
{

    if (!d->failed && len > 0 && EVP_DigestUpdate(d->ctx, buf, len) != 1) {
        d->failed = 1;
    }
}

void
digest_final(struct digest *d, uint8_t out[DIGEST_BYTES])
{
    unsigned int n = 0;

    if (d->failed || EVP_DigestFinal_ex(d->ctx, out, &n) != 1 ||
        n != DIGEST_BYTES) {
        memset(out, 0xff, DIGEST_BYTES);
    }
    d->failed = 1;
}

void
digest_reset(struct digest *d)
{

    digest_start(d);
}

void
digest_free(struct digest *d)
{

    if (d == NULL) {
        return;
    }
    /* EVP_MD_CTX_free cleanses the state. */
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

/*
 * Below this many bytes digest_buf() uses libsodium: for short inputs (the
 * daemon hashes a 32-byte bearer token on every request) the cost is
 * libcrypto's per-call setup (method lookup, context allocation), not the
 * compression function, and libsodium has none.  Both give the same
 * SHA-256 (test_digest checks every length around this bound).
 */
#define SMALL_BYTES 256

void
digest_buf(const uint8_t *buf, size_t len, uint8_t out[DIGEST_BYTES])
{
    unsigned int n = 0;

    if (len < SMALL_BYTES) {
        /* Cannot fail: the state is on the stack. */
        (void)crypto_hash_sha256(out, buf, (unsigned long long)len);
        return;
    }
    if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1 ||
        n != DIGEST_BYTES) {
        memset(out, 0xff, DIGEST_BYTES);
    }
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
