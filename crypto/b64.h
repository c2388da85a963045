#ifndef B64_H_
#define B64_H_

#include <stddef.h>
#include <stdint.h>

/*
 * Strict base64 as age uses it: RFC 4648 standard alphabet, no `=`
 * padding, canonical only (unused trailing bits must be zero).
 */

/**
 * B64_ENCODED_LEN(n):
 * Characters needed to encode ${n} bytes, without the NUL.
 */
#define B64_ENCODED_LEN(n) (((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))

/**
 * b64_encode(in, len, out, outlen):
 * Write the unpadded base64 of ${in} and a NUL into ${out}, which must
 * hold B64_ENCODED_LEN(${len}) + 1 characters.  Return the number of
 * characters written (without the NUL), or -1 if ${outlen} is too small.
 */
int b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/**
 * b64_decode(s, slen, out, outmax, outlen):
 * Decode exactly ${slen} characters of ${s}.  Refuse padding, characters
 * outside the alphabet (spaces and line breaks included), impossible
 * lengths and non-canonical encodings, or output over ${outmax} bytes.
 * Return 0 and set *${outlen}, or -1.  ${out} may receive secrets; it is
 * wiped on failure.
 */
int b64_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen);

#endif /* !B64_H_ */
