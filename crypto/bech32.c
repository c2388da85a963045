#include "crypto/bech32.h"

#include <string.h>

#include <sodium.h>

#define BECH32_CHECKSUM_CHARS 6
#define BECH32_HRP_MAX 83

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* One step of the BCH checksum over 5-bit value ${v}. */
static uint32_t
bech32_polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {
        0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
    };
    uint32_t top = chk >> 25;
    int i;

    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (i = 0; i < 5; i++) {
        if ((top >> i) & 1) {
            chk ^= gen[i];
        }
    }
    return (chk);
}

/* Checksum state after the expanded human-readable part (lower case). */
static uint32_t
bech32_hrp_polymod(const char *hrp, size_t len)
{
    uint32_t chk = 1;
    size_t i;

    for (i = 0; i < len; i++) {
        chk = bech32_polymod_step(chk, (uint8_t)((uint8_t)hrp[i] >> 5));
    }
    chk = bech32_polymod_step(chk, 0);
    for (i = 0; i < len; i++) {
        chk = bech32_polymod_step(chk, (uint8_t)(hrp[i] & 0x1f));
    }
    return (chk);
}

/* ASCII lower case of ${c}, without locale. */
static char
bech32_lower(char c)
{

    return ((c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
}

/* ASCII upper case of ${c}, without locale. */
static char
bech32_upper(char c)
{

    return ((c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c);
}

int
bech32_encode(const char *hrp, const uint8_t *data, size_t len, int upper,
    char *out, size_t outlen)
{
    char lhrp[BECH32_HRP_MAX + 1];
    size_t hlen = strlen(hrp);
    size_t nchars, need, pos, i;
    uint32_t chk, acc = 0;
    unsigned int bits = 0;
    uint8_t v = 0;

    if (hlen < 1 || hlen > BECH32_HRP_MAX) {
        goto err0;
    }
    if (len > (SIZE_MAX - 16) / 8) {
        goto err0;
    }
    nchars = (len * 8 + 4) / 5;
    if (nchars > SIZE_MAX - hlen - BECH32_CHECKSUM_CHARS - 2) {
        goto err0;
    }
    need = hlen + 1 + nchars + BECH32_CHECKSUM_CHARS;
    if (outlen < need + 1) {
        goto err0;
    }
    for (i = 0; i < hlen; i++) {
        if (hrp[i] < 33 || hrp[i] > 126) {
            goto err0;
        }
        lhrp[i] = bech32_lower(hrp[i]);
    }
    lhrp[hlen] = '\0';

    /* Human-readable part and separator. */
    memcpy(out, lhrp, hlen);
    pos = hlen;
    out[pos++] = '1';
    chk = bech32_hrp_polymod(lhrp, hlen);

    /* Regroup 8-bit bytes into 5-bit values, zero-padding the last. */
    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | data[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            v = (uint8_t)((acc >> bits) & 0x1f);
            chk = bech32_polymod_step(chk, v);
            out[pos++] = bech32_charset[v];
        }
    }
    if (bits > 0) {
        v = (uint8_t)((acc << (5 - bits)) & 0x1f);
        chk = bech32_polymod_step(chk, v);
        out[pos++] = bech32_charset[v];
    }

    /* Checksum: six zero values, then xor with the constant 1. */
    for (i = 0; i < BECH32_CHECKSUM_CHARS; i++) {
        chk = bech32_polymod_step(chk, 0);
    }
    chk ^= 1;
    for (i = 0; i < BECH32_CHECKSUM_CHARS; i++) {
        out[pos++] = bech32_charset[(chk >> (5 * (5 - i))) & 0x1f];
    }
    out[pos] = '\0';
    if (upper) {
        for (i = 0; i < pos; i++) {
            out[i] = bech32_upper(out[i]);
        }
    }

    /* Wipe what described the data. */
    sodium_memzero(&acc, sizeof(acc));
    sodium_memzero(&v, sizeof(v));
    sodium_memzero(&chk, sizeof(chk));

    /* Success! */
    return ((int)pos);

err0:
    /* Failure! */
    return (-1);
}

int
bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpmax,
    uint8_t *data, size_t datamax, size_t *datalen)
{
    const char *p;
    size_t sep, i, n = 0;
    int haslower = 0, hasupper = 0;
    uint32_t chk, acc = 0;
    unsigned int bits = 0;
    uint8_t v = 0;
    char c;

    *datalen = 0;
    if (hrpmax > 0) {
        hrp[0] = '\0';
    }

    /* Printable ASCII only, one case only. */
    for (i = 0; i < slen; i++) {
        if (s[i] < 33 || s[i] > 126) {
            goto err0;
        }
        if (s[i] >= 'a' && s[i] <= 'z') {
            haslower = 1;
        }
        if (s[i] >= 'A' && s[i] <= 'Z') {
            hasupper = 1;
        }
    }
    if (haslower && hasupper) {
        goto err0;
    }

    /* The separator is the last '1'. */
    for (sep = slen; sep > 0; sep--) {
        if (s[sep - 1] == '1') {
            break;
        }
    }
    if (sep == 0) {
        goto err0;
    }
    sep--;
    if (sep < 1 || sep > BECH32_HRP_MAX || sep + 1 > hrpmax ||
        slen - sep - 1 < BECH32_CHECKSUM_CHARS) {
        goto err0;
    }
    for (i = 0; i < sep; i++) {
        hrp[i] = bech32_lower(s[i]);
    }
    hrp[sep] = '\0';
    chk = bech32_hrp_polymod(hrp, sep);

    /* Data characters, regrouped into bytes on the fly. */
    for (i = sep + 1; i < slen; i++) {
        c = bech32_lower(s[i]);
        if ((p = strchr(bech32_charset, c)) == NULL || c == '\0') {
            goto err1;
        }
        v = (uint8_t)(p - bech32_charset);
        chk = bech32_polymod_step(chk, v);
        if (i >= slen - BECH32_CHECKSUM_CHARS) {
            continue;
        }
        acc = ((acc << 5) | v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n >= datamax) {
                goto err1;
            }
            data[n++] = (uint8_t)((acc >> bits) & 0xff);
        }
    }
    if (chk != 1) {
        goto err1;
    }

    /* At most 4 padding bits, and they are zero. */
    if (bits >= 5 || (acc & ((1U << bits) - 1)) != 0) {
        goto err1;
    }
    *datalen = n;

    sodium_memzero(&acc, sizeof(acc));
    sodium_memzero(&v, sizeof(v));

    /* Success! */
    return (0);

err1:
    sodium_memzero(data, datamax);
    sodium_memzero(&acc, sizeof(acc));
err0:
    /* Failure! */
    return (-1);
}
