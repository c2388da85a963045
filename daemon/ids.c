#include "daemon/ids.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Crockford base32 data symbols, and the five extra check symbols. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of Crockford data symbol ${c} (canonical upper case), or -1. */
static int
crockford_value(char c)
{
    const char *p;

    if (c == '\0') {
        return (-1);
    }
    p = memchr(crockford, c, 32);
    if (p == NULL) {
        return (-1);
    }
    return ((int)(p - crockford));
}

int
ids_vault_make(uint64_t value, char out[IDS_VAULT_BUFLEN])
{
    unsigned check;
    size_t i, o;

    value &= (UINT64_C(1) << 60) - 1;
    check = (unsigned)(value % 37);
    if (check >= 32) {
        return (-1);
    }
    o = 0;
    for (i = 0; i < 12; i++) {
        if (i > 0 && i % 4 == 0) {
            out[o++] = '-';
        }
        out[o++] = crockford[(value >> (5 * (11 - i))) & 31];
    }
    out[o++] = '-';
    out[o++] = crockford[check];
    out[o] = '\0';
    return (0);
}

int
ids_vault_parse(const char *s, size_t len, uint64_t *value)
{
    uint64_t v = 0;
    size_t i, n = 0;
    int c;

    if (value != NULL) {
        *value = 0;
    }
    if (len != IDS_VAULT_LEN) {
        return (-1);
    }
    for (i = 0; i < 14; i++) {
        if (i == 4 || i == 9) {
            if (s[i] != '-') {
                return (-1);
            }
            continue;
        }
        if ((c = crockford_value(s[i])) < 0) {
            return (-1);
        }
        v = (v << 5) | (uint64_t)c;
        n++;
    }
    if (n != 12 || s[14] != '-') {
        return (-1);
    }
    if ((c = crockford_value(s[15])) < 0 || (uint64_t)c != v % 37) {
        return (-1);
    }
    if (value != NULL) {
        *value = v;
    }
    return (0);
}

int
ids_siret_valid(const char *s, size_t len)
{
    unsigned sum = 0, d;
    size_t i;

    if (len != IDS_SIRET_LEN) {
        return (0);
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
    }
    /* La Poste: one SIREN, many establishments; digit sum mod 5. */
    if (memcmp(s, "356000000", 9) == 0) {
        for (i = 0; i < len; i++) {
            sum += (unsigned)(s[i] - '0');
        }
        if (sum % 5 == 0) {
            return (1);
        }
        sum = 0;
    }
    /* Luhn: double every second digit from the right. */
    for (i = 0; i < len; i++) {
        d = (unsigned)(s[len - 1 - i] - '0');
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    return (sum % 10 == 0);
}

int
ids_service_valid(const char *s, size_t len)
{
    size_t i;

    if (len < 2 || len > IDS_SERVICE_MAX || s[0] < 'a' || s[0] > 'z') {
        return (0);
    }
    for (i = 1; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
            s[i] == '-')) {
            return (0);
        }
    }
    return (1);
}

int
ids_account_kind(const char *s, size_t len)
{

    if (ids_vault_parse(s, len, NULL) == 0) {
        return (IDS_KIND_PERSON);
    }
    if (ids_siret_valid(s, len)) {
        return (IDS_KIND_EMPLOYER);
    }
    if (ids_service_valid(s, len)) {
        return (IDS_KIND_SERVICE);
    }
    return (0);
}

int
ids_opaque_valid(const char *s, size_t len)
{
    size_t i;

    if (len < 1 || len > IDS_OPAQUE_MAX) {
        return (0);
    }
    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_')) {
            return (0);
        }
    }
    return (1);
}

int
ids_printable_valid(const char *s, size_t len, size_t max)
{
    size_t i;

    if (len < 1 || len > max) {
        return (0);
    }
    for (i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return (0);
        }
    }
    return (1);
}

/* Encode ${len} bytes with ${alpha}; pad with '=' if ${pad}.  -1: room. */
static int
b64_enc(const char *alpha, int pad, const uint8_t *in, size_t len,
    char *out, size_t outlen)
{
    size_t i, o = 0, need;
    uint32_t v;

    need = (len / 3) * 4;
    if (len % 3) {
        need += pad ? 4 : (len % 3) + 1;
    }
    if (outlen <= need) {
        return (-1);
    }
    for (i = 0; i + 2 < len; i += 3) {
        v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        v = (uint32_t)in[i] << 16;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    return (0);
}

/* Value of ${c} in ${alpha}, or -1. */
static int
b64_val(const char *alpha, char c)
{
    const char *p;

    if (c == '\0' || (p = memchr(alpha, c, 64)) == NULL) {
        return (-1);
    }
    return ((int)(p - alpha));
}

/*
 * Decode ${len} characters (no padding) into ${out} (room for
 * len * 3 / 4 bytes); refuse impossible lengths and non-zero spare bits.
 */
static int
b64_dec(const char *alpha, const char *s, size_t len, uint8_t *out,
    size_t *outlen)
{
    uint32_t acc = 0;
    size_t i, o = 0;
    int bits = 0, v;

    if (len % 4 == 1) {
        return (-1);
    }
    for (i = 0; i < len; i++) {
        if ((v = b64_val(alpha, s[i])) < 0) {
            return (-1);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1U << bits) - 1;
        }
    }
    if (acc != 0) {
        return (-1);
    }
    *outlen = o;
    return (0);
}

int
ids_token_encode(const uint8_t *raw, size_t rawlen, char *out, size_t outlen)
{

    return (b64_enc(b64url, 0, raw, rawlen, out, outlen));
}

int
ids_token_decode(const char *s, size_t len, uint8_t *raw, size_t rawlen)
{
    uint8_t buf[96];
    size_t n, i;

    if (rawlen > 64 || len != (rawlen * 4 + 2) / 3 ||
        b64_dec(b64url, s, len, buf, &n) != 0 || n != rawlen) {
        memset(raw, 0, rawlen);
        return (-1);
    }
    for (i = 0; i < n; i++) {
        raw[i] = buf[i];
    }
    memset(buf, 0, sizeof(buf));
    return (0);
}

int
ids_b64_decode(const char *s, size_t len, uint8_t **out, size_t max,
    size_t *outlen)
{
    uint8_t *buf;
    size_t npad = 0, n;

    *out = NULL;
    *outlen = 0;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > max + 2) {
        return (-1);
    }
    if (s[len - 1] == '=') {
        npad++;
        if (s[len - 2] == '=') {
            npad++;
        }
    }
    if ((buf = malloc(len / 4 * 3 + 1)) == NULL) {
        return (-1);
    }
    if (b64_dec(b64std, s, len - npad, buf, &n) != 0 || n == 0 ||
        n > max) {
        free(buf);
        return (-1);
    }
    *out = buf;
    *outlen = n;
    return (0);
}

char *
ids_b64_encode(const uint8_t *buf, size_t len)
{
    char *out;
    size_t n;

    if (len > (SIZE_MAX - 4) / 4 * 3) {
        return (NULL);
    }
    n = (len + 2) / 3 * 4 + 1;
    if ((out = malloc(n)) == NULL) {
        return (NULL);
    }
    if (b64_enc(b64std, 1, buf, len, out, n) != 0) {
        free(out);
        return (NULL);
    }
    return (out);
}

int
ids_b64_encode_to(const uint8_t *buf, size_t len, char *out, size_t outlen)
{

    if (len > (SIZE_MAX - 4) / 4 * 3) {
        return (-1);
    }
    return (b64_enc(b64std, 1, buf, len, out, outlen));
}

int
ids_u64_parse(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
    uint64_t v = 0, d;
    size_t i;

    *out = 0;
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
        return (-1);
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (-1);
        }
        d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return (-1);
        }
        v = v * 10 + d;
    }
    if (v < min || v > max) {
        return (-1);
    }
    *out = v;
    return (0);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468);
}

int
ids_time_format(int64_t t, char out[IDS_TIME_BUFLEN])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (t < 0 || t > INT64_C(253402300799) || gmtime_r(&tt, &tm) == NULL ||
        strftime(out, IDS_TIME_BUFLEN, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20) {
        out[0] = '\0';
        return (-1);
    }
    return (0);
}

/* Parse exactly ${n} digits of ${s}. */
static int
digits(const char *s, size_t n, unsigned *out)
{
    size_t i;

    *out = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (-1);
        }
        *out = *out * 10 + (unsigned)(s[i] - '0');
    }
    return (0);
}

int
ids_time_parse(const char *s, size_t len, int64_t *t)
{
    static const unsigned mdays[12] =
        { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned y, mo, d, h, mi, se;
    int leap;

    *t = 0;
    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
        return (-1);
    }
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
        digits(s + 17, 2, &se)) {
        return (-1);
    }
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 59) {
        return (-1);
    }
    *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return (0);
}

int
ids_range_parse(const char *h, size_t hlen, uint64_t size, uint64_t *off,
    uint64_t *len)
{
    const char *dash, *end = h + hlen;
    uint64_t a, b;

    *off = 0;
    *len = size;
    if (hlen < 6 || memcmp(h, "bytes=", 6) != 0 ||
        memchr(h, ',', hlen) != NULL || memchr(h, '\0', hlen) != NULL) {
        return (1);
    }
    h += 6;
    if ((dash = memchr(h, '-', (size_t)(end - h))) == NULL) {
        return (1);
    }
    if (dash == h) {
        /* Suffix: the last b bytes. */
        if (ids_u64_parse(dash + 1, (size_t)(end - dash - 1), 1,
            UINT64_MAX, &b) != 0) {
            return (1);
        }
        if (size == 0) {
            return (-1);
        }
        if (b > size) {
            b = size;
        }
        *off = size - b;
        *len = b;
        return (0);
    }
    if (ids_u64_parse(h, (size_t)(dash - h), 0, UINT64_MAX, &a) != 0) {
        return (1);
    }
    if (end == dash + 1) {
        b = size - 1;
    } else if (ids_u64_parse(dash + 1, (size_t)(end - dash - 1), 0,
        UINT64_MAX, &b) != 0 || b < a) {
        return (1);
    }
    if (a >= size) {
        return (-1);
    }
    if (b >= size) {
        b = size - 1;
    }
    *off = a;
    *len = b - a + 1;
    return (0);
}
