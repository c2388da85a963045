/*
 * libFuzzer target for the daemon's parsers of outside text: vault
 * addresses, SIRETs, names, tokens, base64, numbers, times, Range headers
 * and config lines.  The first byte picks the parser; the rest is input.
 * Round-trip properties are checked where a formatter exists.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.c"
#include "daemon/ids.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)(data + 1);
    size_t n = size > 0 ? size - 1 : 0;
    char buf[IDS_VAULT_BUFLEN], tbuf[IDS_TIME_BUFLEN], *text, *eq;
    uint8_t raw[32], *out;
    uint64_t v, off, len;
    struct config cfg;
    size_t outlen;
    int64_t t;

    if (size == 0) {
        return (0);
    }
    switch (data[0] % 9) {
    case 0:
        if (ids_vault_parse(s, n, &v) == 0) {
            /* A parsed address formats back to exactly the input. */
            if (ids_vault_make(v, buf) != 0 || n != IDS_VAULT_LEN ||
                memcmp(buf, s, n) != 0) {
                abort();
            }
        }
        break;
    case 1:
        (void)ids_siret_valid(s, n);
        (void)ids_service_valid(s, n);
        (void)ids_opaque_valid(s, n);
        (void)ids_account_kind(s, n);
        break;
    case 2:
        (void)ids_token_decode(s, n, raw, sizeof(raw));
        break;
    case 3:
        if (ids_b64_decode(s, n, &out, 4096, &outlen) == 0) {
            text = ids_b64_encode(out, outlen);
            /* Strict decoding means the encoding is the input. */
            if (text == NULL || strlen(text) != n || memcmp(text, s, n)) {
                abort();
            }
            free(text);
            free(out);
        }
        break;
    case 4:
        (void)ids_u64_parse(s, n, 0, UINT64_MAX, &v);
        break;
    case 5:
        if (ids_time_parse(s, n, &t) == 0) {
            if (ids_time_format(t, tbuf) != 0 || memcmp(tbuf, s, n) != 0) {
                abort();
            }
        }
        break;
    case 6:
        if (ids_range_parse(s, n, 1000, &off, &len) == 0 &&
            (len == 0 || off + len > 1000)) {
            abort();
        }
        break;
    case 7:
        if ((text = malloc(n + 1)) == NULL) {
            return (0);
        }
        memcpy(text, s, n);
        text[n] = '\0';
        if ((eq = strchr(text, '=')) != NULL && config_init(&cfg) == 0) {
            *eq = '\0';
            (void)config_set(&cfg, text, eq + 1);
            config_clear(&cfg);
        }
        free(text);
        break;
    default:
        (void)ids_printable_valid(s, n, 128);
        break;
    }
    return (0);
}
