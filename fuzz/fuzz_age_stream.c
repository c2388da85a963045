/*
 * libFuzzer target: STREAM decryption with a fixed file key.  The first
 * input byte picks a split size; the rest is the payload.  Decrypting in
 * pieces must give the same result and output as decrypting in one go.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    uint8_t *p;
    size_t len;
};

/* Keep output; abort if it exceeds what the input could hold. */
static int
sink_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct sink *s = cookie;
    uint8_t *np;

    if ((np = realloc(s->p, s->len + len + 1)) == NULL) {
        return (-1);
    }
    s->p = np;
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    return (0);
}

/* Decrypt ${len} bytes in pieces of ${step} (0: one go). */
static int
decrypt(const uint8_t *p, size_t len, size_t step, struct sink *out)
{
    static const uint8_t fk[AGE_FILE_KEY_BYTES] = { 0x42 };
    struct age_stream *s;
    size_t off = 0, n;
    int rc = 0;

    if ((s = age_stream_new_decrypt(fk)) == NULL) {
        abort();
    }
    while (off < len && rc == 0) {
        n = (step == 0 || step > len - off) ? len - off : step;
        rc = age_stream_update(s, p + off, n, sink_write, out);
        off += n;
    }
    if (rc == 0) {
        rc = age_stream_final(s, sink_write, out);
    }
    age_stream_free(s);
    return (rc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sink a = { NULL, 0 }, b = { NULL, 0 };
    size_t step;
    int ra, rb;

    if (size < 1) {
        return (0);
    }
    step = 1 + (size_t)data[0] * 257;
    ra = decrypt(data + 1, size - 1, 0, &a);
    rb = decrypt(data + 1, size - 1, step, &b);
    if (ra != rb || (ra == 0 && (a.len != b.len ||
        (a.len > 0 && memcmp(a.p, b.p, a.len) != 0)))) {
        abort();
    }
    if (ra == 0 && a.len + 32 > size) {
        abort();        /* more plaintext than ciphertext could carry */
    }
    free(a.p);
    free(b.p);
    return (0);
}
