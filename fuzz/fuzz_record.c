/*
 * Record objects are read back from disk during reindex: bytes that may
 * have been damaged or planted.  The parser must never crash, and what it
 * accepts must re-encode to exactly the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct record r;
    uint8_t *again, *bin;
    size_t len, binlen, i;

    if (record_parse(data, size, &r) == 0) {
        if (record_encode(&r, &again, &len) != 0 || len != size ||
            memcmp(again, data, size) != 0) {
            abort();
        }
        free(again);
        for (i = 0; i < r.n; i++) {
            if (!r.f[i].is_int &&
                record_get_b64(&r, r.f[i].key, RECORD_MAX_BYTES, &bin,
                &binlen) == 0) {
                free(bin);
            }
        }
    }
    record_clear(&r);
    return (0);
}
