#ifndef DIGEST_H_
#define DIGEST_H_

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 digests and `sha256:<64 hex>` blob ids, computed while streaming.
 * The digest of a blob id is over the stored (encrypted) bytes.
 */

#define DIGEST_BYTES 32
#define DIGEST_ID_PREFIX "sha256:"
#define DIGEST_ID_LEN (7 + 2 * DIGEST_BYTES) /* without the NUL */
#define DIGEST_ID_BUFLEN (DIGEST_ID_LEN + 1)

struct digest;

/**
 * digest_new():
 * Start a SHA-256 computation.  Return NULL on allocation failure.
 */
struct digest *digest_new(void);

/**
 * digest_update(d, buf, len):
 * Feed ${len} bytes of ${buf} into ${d}.
 */
void digest_update(struct digest *d, const uint8_t *buf, size_t len);

/**
 * digest_final(d, out):
 * Write the digest of everything fed to ${d} into ${out}.  ${d} may then
 * only be freed or reset with digest_reset().
 */
void digest_final(struct digest *d, uint8_t out[DIGEST_BYTES]);

/**
 * digest_reset(d):
 * Make ${d} ready for a new computation.
 */
void digest_reset(struct digest *d);

/**
 * digest_free(d):
 * Wipe and free ${d}.  digest_free(NULL) is a no-op.
 */
void digest_free(struct digest *d);

/**
 * digest_buf(buf, len, out):
 * One-shot SHA-256 of ${buf}.
 */
void digest_buf(const uint8_t *buf, size_t len, uint8_t out[DIGEST_BYTES]);

/**
 * digest_id_format(dig, out):
 * Write `sha256:<lowercase hex>` and a NUL into ${out}.
 */
void digest_id_format(const uint8_t dig[DIGEST_BYTES],
    char out[DIGEST_ID_BUFLEN]);

/**
 * digest_id_parse(s, len, dig):
 * Parse exactly ${len} characters of ${s} as `sha256:` followed by 64
 * lowercase hex digits into ${dig}.  Return 0, or -1 if ${s} is anything
 * else (upper case, short, long, other prefix, embedded NUL).
 */
int digest_id_parse(const char *s, size_t len, uint8_t dig[DIGEST_BYTES]);

/**
 * digest_hex_parse(s, len, dig):
 * As digest_id_parse() for the 64 hex digits alone (no prefix).
 */
int digest_hex_parse(const char *s, size_t len, uint8_t dig[DIGEST_BYTES]);

#endif /* !DIGEST_H_ */
