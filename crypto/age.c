#include "crypto/age.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/age_internal.h"

/* age: HKDF, error strings, and whole-file encryption over callbacks. */

#define AGE_IO_BYTES AGE_CHUNK_BYTES   /* read size of age_encrypt/decrypt */

void
age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t out[AGE_HKDF_BYTES])
{
    static const uint8_t zero_salt[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    uint8_t prk[crypto_auth_hmacsha256_BYTES];
    const uint8_t one = 1;

    /* Extract: PRK = HMAC(salt, IKM); an absent salt is HashLen zeros. */
    if (saltlen == 0) {
        salt = zero_salt;
        saltlen = sizeof(zero_salt);
    }
    crypto_auth_hmacsha256_init(&st, salt, saltlen);
    crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
    crypto_auth_hmacsha256_final(&st, prk);

    /* Expand, one block: T(1) = HMAC(PRK, info || 0x01). */
    crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
    crypto_auth_hmacsha256_update(&st, &one, 1);
    crypto_auth_hmacsha256_final(&st, out);

    sodium_memzero(&st, sizeof(st));
    sodium_memzero(prk, sizeof(prk));
}

const char *
age_strerror(int err)
{

    switch (err) {
    case 0:
        return ("success");
    case AGE_EFORMAT:
        return ("not an age file, or a malformed header");
    case AGE_ELIMIT:
        return ("header over the limits: too many recipients, too big, "
            "or passphrase work factor too high");
    case AGE_ENOKEY:
        return ("no identity matches any recipient");
    case AGE_EAUTH:
        return ("authentication failed: wrong key or tampered");
    case AGE_ETRUNC:
        return ("file truncated");
    case AGE_ETRAIL:
        return ("trailing data after the end of the encrypted file");
    case AGE_EIO:
        return ("input or output error");
    case AGE_ENOMEM:
        return ("out of memory");
    case AGE_EINVAL:
        return ("invalid argument");
    case AGE_EAGAIN:
        return ("incomplete header");
    default:
        return ("unknown error");
    }
}

void
age_file_key_new(uint8_t fk[AGE_FILE_KEY_BYTES])
{

    randombytes_buf(fk, AGE_FILE_KEY_BYTES);
}

int
age_encrypt(const struct age_recipient *rcpts, size_t n, age_read_fn rd,
    void *rcookie, age_write_fn wr, void *wcookie)
{
    struct age_stream *s;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    uint8_t *buf, *hdr;
    size_t hdrlen, got;
    int rc;

    /* Plaintext: wiped before it is freed. */
    if ((buf = malloc(AGE_IO_BYTES)) == NULL) {
        rc = AGE_ENOMEM;
        goto err0;
    }
    age_file_key_new(fk);
    if ((rc = age_header_new(fk, rcpts, n, &hdr, &hdrlen)) != 0) {
        goto err2;
    }
    if ((s = age_stream_new_encrypt(fk)) == NULL) {
        rc = AGE_ENOMEM;
        goto err3;
    }
    if (wr(wcookie, hdr, hdrlen) != 0) {
        rc = AGE_EIO;
        goto err4;
    }
    for (;;) {
        if (rd(rcookie, buf, AGE_IO_BYTES, &got) != 0 || got > AGE_IO_BYTES) {
            rc = AGE_EIO;
            goto err4;
        }
        if (got == 0) {
            break;
        }
        if ((rc = age_stream_update(s, buf, got, wr, wcookie)) != 0) {
            goto err4;
        }
    }
    if ((rc = age_stream_final(s, wr, wcookie)) != 0) {
        goto err4;
    }
    age_stream_free(s);
    free(hdr);
    sodium_memzero(buf, AGE_IO_BYTES);
    free(buf);
    sodium_memzero(fk, sizeof(fk));

    /* Success! */
    return (0);

err4:
    age_stream_free(s);
err3:
    free(hdr);
err2:
    sodium_memzero(buf, AGE_IO_BYTES);
    free(buf);
    sodium_memzero(fk, sizeof(fk));
err0:
    /* Failure! */
    return (rc);
}

/*
 * Read from ${rd} until a whole header is in ${buf} (at most
 * AGE_MAX_HEADER_BYTES), and parse it.  On success set *${hdr}, *${used}
 * (header bytes) and *${have} (bytes in ${buf}, payload after *${used}).
 */
static int
age_read_header(age_read_fn rd, void *rcookie, uint8_t *buf,
    struct age_header **hdr, size_t *used, size_t *have)
{
    size_t got;
    int rc;

    *have = 0;
    for (;;) {
        if (rd(rcookie, buf + *have, AGE_MAX_HEADER_BYTES - *have, &got) != 0 ||
            got > AGE_MAX_HEADER_BYTES - *have) {
            return (AGE_EIO);
        }
        *have += got;

        /*
         * A header ends, and a line is judged, only at a LF: parse again
         * only when one arrived (or while the version line is short, or
         * at the end), so tiny reads do not make this quadratic.
         */
        if (got > 0 && *have - got >= 32 &&
            memchr(buf + *have - got, '\n', got) == NULL) {
            continue;
        }
        rc = age_header_parse(buf, *have, hdr, used);
        if (rc != AGE_EAGAIN) {
            return (rc);
        }
        if (got == 0) {
            /* End of input inside the header. */
            return (AGE_ETRUNC);
        }
    }
}

int
age_decrypt(const struct age_identity *ids, size_t n, age_read_fn rd,
    void *rcookie, age_write_fn wr, void *wcookie)
{
    struct age_header *hdr;
    struct age_stream *s;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    uint8_t *buf;
    size_t used, have, got;
    int rc;

    /* Ciphertext only. */
    if ((buf = malloc(AGE_MAX_HEADER_BYTES)) == NULL) {
        rc = AGE_ENOMEM;
        goto err0;
    }
    if ((rc = age_read_header(rd, rcookie, buf, &hdr, &used, &have)) != 0) {
        goto err2;
    }
    rc = age_header_unwrap(hdr, ids, n, fk);
    age_header_free(hdr);
    if (rc != 0) {
        goto err2;
    }
    if ((s = age_stream_new_decrypt(fk)) == NULL) {
        rc = AGE_ENOMEM;
        goto err2;
    }
    if ((rc = age_stream_update(s, buf + used, have - used, wr,
        wcookie)) != 0) {
        goto err3;
    }
    for (;;) {
        if (rd(rcookie, buf, AGE_MAX_HEADER_BYTES, &got) != 0 ||
            got > AGE_MAX_HEADER_BYTES) {
            rc = AGE_EIO;
            goto err3;
        }
        if (got == 0) {
            break;
        }
        if ((rc = age_stream_update(s, buf, got, wr, wcookie)) != 0) {
            goto err3;
        }
    }
    if ((rc = age_stream_final(s, wr, wcookie)) != 0) {
        goto err3;
    }
    age_stream_free(s);
    free(buf);
    sodium_memzero(fk, sizeof(fk));

    /* Success! */
    return (0);

err3:
    age_stream_free(s);
err2:
    free(buf);
    sodium_memzero(fk, sizeof(fk));
err0:
    /* Failure! */
    return (rc);
}
