/*
 * libFuzzer target: the age header parser, then unwrapping with a fixed
 * X25519 identity and a low-maximum scrypt identity.  Must never crash,
 * leak or return the file key without a valid MAC.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    struct age_identity ids[2];
    struct age_header *h;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    size_t used, i;
    int rc;

    if (!init) {
        if (sodium_init() < 0) {
            abort();
        }
        init = 1;
    }
    rc = age_header_parse(data, size, &h, &used);
    if (rc != 0) {
        if (h != NULL || used != 0) {
            abort();
        }
        return (0);
    }
    if (used > size || used > AGE_MAX_HEADER_BYTES ||
        age_header_nstanzas(h) == 0 ||
        age_header_nstanzas(h) > AGE_MAX_STANZAS) {
        abort();
    }
    for (i = 0; i < age_header_nstanzas(h); i++) {
        if (age_header_stanza_type(h, i) == NULL) {
            abort();
        }
    }

    /* Fixed identities; the scrypt one only up to 2^10. */
    memset(ids, 0, sizeof(ids));
    ids[0].kind = AGE_X25519;
    memset(ids[0].x25519, 0x42, AGE_X25519_BYTES);
    ids[1].kind = AGE_SCRYPT;
    ids[1].passphrase = "fuzz";
    ids[1].passlen = 4;
    ids[1].max_log2_n = 10;
    rc = age_header_unwrap(h, ids, 2, fk);
    if (rc != 0 && !sodium_is_zero(fk, sizeof(fk))) {
        abort();
    }
    age_header_free(h);
    return (0);
}
