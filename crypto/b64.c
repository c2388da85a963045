#include "crypto/b64.h"

#include <string.h>

#include <sodium.h>

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL_NO_PADDING

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    size_t need = B64_ENCODED_LEN(len);

    if (len > (SIZE_MAX - 4) / 4 * 3 || outlen < need + 1) {
        return (-1);
    }
    sodium_bin2base64(out, need + 1, in, len, B64_VARIANT);
    return ((int)need);
}

/* Nonzero if ${c} is in the standard base64 alphabet. */
static int
b64_ischar(char c)
{

    return (c != '\0' && strchr(b64_alphabet, c) != NULL);
}

int
b64_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
    const char *end = NULL;
    size_t n = 0;
    size_t i;
    uint8_t last;

    *outlen = 0;

    /* One leftover character can never encode a byte. */
    if (slen % 4 == 1) {
        goto err0;
    }
    for (i = 0; i < slen; i++) {
        if (!b64_ischar(s[i])) {
            goto err0;
        }
    }
    if (slen / 4 * 3 + (slen % 4 ? slen % 4 - 1 : 0) > outmax) {
        goto err0;
    }
    if (slen == 0) {
        goto done;
    }
    if (sodium_base642bin(out, outmax, s, slen, NULL, &n, &end,
        B64_VARIANT) != 0 || end != s + slen) {
        goto err1;
    }

    /*
     * Canonical: the bits of the last character that carry no data must
     * be zero (RFC 4648 section 3.5).  With 2 leftover characters 4 bits
     * are unused, with 3 leftover characters 2 bits.
     */
    if (slen % 4 != 0) {
        last = (uint8_t)(strchr(b64_alphabet, s[slen - 1]) - b64_alphabet);
        if ((slen % 4 == 2 && (last & 0x0f) != 0) ||
            (slen % 4 == 3 && (last & 0x03) != 0)) {
            goto err1;
        }
    }

done:
    *outlen = n;

    /* Success! */
    return (0);

err1:
    sodium_memzero(out, outmax);
err0:
    /* Failure! */
    return (-1);
}
