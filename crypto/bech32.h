#ifndef BECH32_H_
#define BECH32_H_

#include <stddef.h>
#include <stdint.h>

/*
 * Bech32 (BIP 173) as age uses it: no limit on the length of the data
 * part, all lower or all upper case, checksum over the lower-case form.
 * Data are 8-bit bytes regrouped into 5-bit characters without padding
 * bits beyond the last byte.
 */

/**
 * bech32_encode(hrp, data, len, upper, out, outlen):
 * Write `${hrp}1<data><checksum>` and a NUL into ${out}, in upper case if
 * ${upper} is nonzero, else lower case.  ${hrp} is 1..83 printable ASCII
 * characters (any case; it is folded).  Return the number of characters
 * written (without the NUL), or -1 on a bad ${hrp} or a too small
 * ${outlen}.  ${out} may hold a secret; intermediate values are wiped.
 */
int bech32_encode(const char *hrp, const uint8_t *data, size_t len,
    int upper, char *out, size_t outlen);

/**
 * bech32_decode(s, slen, hrp, hrpmax, data, datamax, datalen):
 * Decode exactly ${slen} characters of ${s}.  Write the human-readable
 * part, in lower case and NUL-terminated, into ${hrp} (${hrpmax} bytes
 * with the NUL), and the data into ${data} (at most ${datamax} bytes);
 * set *${datalen}.  Return 0, or -1 on mixed case, a character outside
 * 33..126, a missing separator, a bad checksum, nonzero padding bits or a
 * too small buffer.  ${data} may receive secrets; it is wiped on failure.
 */
int bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpmax,
    uint8_t *data, size_t datamax, size_t *datalen);

#endif /* !BECH32_H_ */
