/*
 * libFuzzer target: the bech32 decoder and the age key decoders.  What
 * decodes must re-encode to the same string (in its case).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/bech32.h"
#include "crypto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char hrp[90], *s, *again;
    uint8_t out[512], k[32];
    size_t n;
    int upper = 0;

    if (size > 1024) {
        return (0);
    }
    if ((s = malloc(size + 1)) == NULL || (again = malloc(2 * size +
        100)) == NULL) {
        abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (bech32_decode(s, size, hrp, sizeof(hrp), out, sizeof(out), &n) ==
        0) {
        for (size_t i = 0; i < size; i++) {
            if (s[i] >= 'A' && s[i] <= 'Z') {
                upper = 1;
            }
        }
        if (bech32_encode(hrp, out, n, upper, again, 2 * size + 100) !=
            (int)size || memcmp(again, s, size) != 0) {
            abort();
        }
    }
    (void)keys_recipient_decode(s, k);
    (void)keys_secret_decode(s, size, k);
    free(again);
    free(s);
    return (0);
}
