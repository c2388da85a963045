#include "crypto/age.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/age_internal.h"

/*
 * The STREAM payload: a 16-byte nonce, then 64 KiB chunks sealed with
 * ChaCha20-Poly1305 under HKDF(file key, nonce, "payload"); the AEAD
 * nonce is an 11-byte big-endian counter and a last-chunk flag byte.
 *
 * A chunk is only sealed or opened once it is known whether it is the
 * last one: a full buffer followed by more input is not last; whatever is
 * buffered at age_stream_final() is.
 */

#define AGE_CT_CHUNK (AGE_CHUNK_BYTES + AGE_TAG_BYTES)
#define AGE_AEAD_NONCE 12

enum age_stream_state { AGE_S_OK, AGE_S_DONE, AGE_S_FAILED };

/*
 * The keys and the chunk buffers (plaintext) are short-lived secrets in
 * ordinary memory: each chunk overwrites the last, and age_stream_free()
 * wipes the whole structure, after success or error alike.  (Guarded
 * pages cost about as much as decrypting a small file, and every
 * document's metadata is a small file.)
 */
struct age_stream {
    int decrypt;
    enum age_stream_state state;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    uint8_t key[AGE_HKDF_BYTES];      /* payload key, once known */
    uint8_t nonce[AGE_NONCE_BYTES];
    size_t noncelen;                  /* nonce bytes seen / written */
    uint64_t counter;                 /* chunks done so far */
    size_t buflen;
    uint8_t buf[AGE_CT_CHUNK];        /* pending input */
    uint8_t out[AGE_CT_CHUNK];        /* output of one chunk */
};

/* Derive the payload key from the file key and the nonce. */
static void
age_stream_key(struct age_stream *s)
{

    age_hkdf(s->fk, AGE_FILE_KEY_BYTES, s->nonce, AGE_NONCE_BYTES,
        "payload", s->key);
}

/* The AEAD nonce of chunk ${counter}, flagged last if ${last}. */
static void
age_stream_nonce(uint64_t counter, int last, uint8_t n[AGE_AEAD_NONCE])
{
    int i;

    memset(n, 0, AGE_AEAD_NONCE);
    for (i = 0; i < 8; i++) {
        n[10 - i] = (uint8_t)(counter >> (8 * i));
    }
    n[11] = last ? 1 : 0;
}

/* Start a stream in direction ${decrypt} with file key ${fk}. */
static struct age_stream *
age_stream_new(const uint8_t fk[AGE_FILE_KEY_BYTES], int decrypt)
{
    struct age_stream *s;

    /* The chunk buffers need no zeroing: only buflen bytes are read. */
    if ((s = malloc(sizeof(*s))) == NULL) {
        return (NULL);
    }
    s->decrypt = decrypt;
    s->state = AGE_S_OK;
    s->noncelen = 0;
    s->counter = 0;
    s->buflen = 0;
    memcpy(s->fk, fk, AGE_FILE_KEY_BYTES);
    if (!decrypt) {
        randombytes_buf(s->nonce, AGE_NONCE_BYTES);
        age_stream_key(s);
    }
    return (s);
}

struct age_stream *
age_stream_new_encrypt(const uint8_t fk[AGE_FILE_KEY_BYTES])
{

    return (age_stream_new(fk, 0));
}

struct age_stream *
age_stream_new_decrypt(const uint8_t fk[AGE_FILE_KEY_BYTES])
{

    return (age_stream_new(fk, 1));
}

void
age_stream_free(struct age_stream *s)
{

    if (s == NULL) {
        return;
    }

    sodium_memzero(s, sizeof(*s));
    free(s);
}

/* Encryption: write the nonce if not done yet.  Return 0 or AGE_EIO. */
static int
age_stream_put_nonce(struct age_stream *s, age_write_fn wr, void *cookie)
{

    if (s->noncelen == AGE_NONCE_BYTES) {
        return (0);
    }
    if (wr(cookie, s->nonce, AGE_NONCE_BYTES) != 0) {
        return (AGE_EIO);
    }
    s->noncelen = AGE_NONCE_BYTES;
    return (0);
}

/* Seal plaintext ${pt} as the next chunk and write it. */
static int
age_stream_seal(struct age_stream *s, const uint8_t *pt, size_t len,
    int last, age_write_fn wr, void *cookie)
{
    uint8_t n[AGE_AEAD_NONCE];
    int rc = 0;

    age_stream_nonce(s->counter, last, n);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(s->out,
        s->out + len, NULL, pt, len, NULL, 0, NULL, n, s->key);
    if (wr(cookie, s->out, len + AGE_TAG_BYTES) != 0) {
        rc = AGE_EIO;
    }
    s->counter++;
    return (rc);
}

/*
 * Open ciphertext ${ct} (${len} bytes, tag included) as the next chunk
 * with last flag ${last}, into s->out.  Return 0 or -1.
 */
static int
age_stream_open1(struct age_stream *s, const uint8_t *ct, size_t len,
    int last)
{
    uint8_t n[AGE_AEAD_NONCE];

    age_stream_nonce(s->counter, last, n);
    return (crypto_aead_chacha20poly1305_ietf_decrypt_detached(s->out,
        NULL, ct, len - AGE_TAG_BYTES, ct + len - AGE_TAG_BYTES, NULL, 0, n,
        s->key) == 0 ? 0 : -1);
}

/*
 * Open a full chunk known not to be last (more bytes follow) and write
 * its plaintext.  A chunk that only opens as last has data after it.
 */
static int
age_stream_open_mid(struct age_stream *s, const uint8_t *ct,
    age_write_fn wr, void *cookie)
{
    int rc = 0;

    if (age_stream_open1(s, ct, AGE_CT_CHUNK, 0) != 0) {
        rc = (age_stream_open1(s, ct, AGE_CT_CHUNK, 1) == 0) ?
            AGE_ETRAIL : AGE_EAUTH;
        sodium_memzero(s->out, AGE_CHUNK_BYTES);
        return (rc);
    }
    /* s->out is overwritten by the next chunk, wiped by age_stream_free. */
    if (wr(cookie, s->out, AGE_CHUNK_BYTES) != 0) {
        rc = AGE_EIO;
    }
    s->counter++;
    return (rc);
}

/* Encryption side of age_stream_update(). */
static int
age_stream_update_enc(struct age_stream *s, const uint8_t *buf, size_t len,
    age_write_fn wr, void *cookie)
{
    size_t take;
    int rc;

    if ((rc = age_stream_put_nonce(s, wr, cookie)) != 0) {
        return (rc);
    }
    while (len > 0) {
        /* A full buffer with more input behind it is not the last. */
        if (s->buflen == AGE_CHUNK_BYTES) {
            if ((rc = age_stream_seal(s, s->buf, AGE_CHUNK_BYTES, 0, wr,
                cookie)) != 0) {
                return (rc);
            }
            s->buflen = 0;
        }

        /* Whole chunks straight from the input, keeping one back. */
        while (s->buflen == 0 && len > AGE_CHUNK_BYTES) {
            if ((rc = age_stream_seal(s, buf, AGE_CHUNK_BYTES, 0, wr,
                cookie)) != 0) {
                return (rc);
            }
            buf += AGE_CHUNK_BYTES;
            len -= AGE_CHUNK_BYTES;
        }
        take = AGE_CHUNK_BYTES - s->buflen;
        if (take > len) {
            take = len;
        }
        memcpy(s->buf + s->buflen, buf, take);
        s->buflen += take;
        buf += take;
        len -= take;
    }
    return (0);
}

/* Decryption side of age_stream_update(). */
static int
age_stream_update_dec(struct age_stream *s, const uint8_t *buf, size_t len,
    age_write_fn wr, void *cookie)
{
    size_t take;
    int rc;

    /* The nonce comes first. */
    if (s->noncelen < AGE_NONCE_BYTES) {
        take = AGE_NONCE_BYTES - s->noncelen;
        if (take > len) {
            take = len;
        }
        memcpy(s->nonce + s->noncelen, buf, take);
        s->noncelen += take;
        buf += take;
        len -= take;
        if (s->noncelen < AGE_NONCE_BYTES) {
            return (0);
        }
        age_stream_key(s);
    }
    while (len > 0) {
        if (s->buflen == AGE_CT_CHUNK) {
            if ((rc = age_stream_open_mid(s, s->buf, wr, cookie)) != 0) {
                return (rc);
            }
            s->buflen = 0;
        }
        while (s->buflen == 0 && len > AGE_CT_CHUNK) {
            if ((rc = age_stream_open_mid(s, buf, wr, cookie)) != 0) {
                return (rc);
            }
            buf += AGE_CT_CHUNK;
            len -= AGE_CT_CHUNK;
        }
        take = AGE_CT_CHUNK - s->buflen;
        if (take > len) {
            take = len;
        }
        memcpy(s->buf + s->buflen, buf, take);
        s->buflen += take;
        buf += take;
        len -= take;
    }
    return (0);
}

int
age_stream_update(struct age_stream *s, const uint8_t *buf, size_t len,
    age_write_fn wr, void *cookie)
{
    int rc;

    if (s->state != AGE_S_OK) {
        return (AGE_EINVAL);
    }
    if (len == 0) {
        return (0);
    }

    /* 2^64 chunks are out of reach; the counter cannot wrap. */
    if (s->decrypt) {
        rc = age_stream_update_dec(s, buf, len, wr, cookie);
    } else {
        rc = age_stream_update_enc(s, buf, len, wr, cookie);
    }
    if (rc != 0) {
        s->state = AGE_S_FAILED;
        sodium_memzero(s->buf, sizeof(s->buf));
    }
    return (rc);
}

/* Decryption side of age_stream_final(): open the buffer as last. */
static int
age_stream_final_dec(struct age_stream *s, age_write_fn wr, void *cookie)
{
    size_t ptlen;
    int rc = 0;

    if (s->noncelen < AGE_NONCE_BYTES || s->buflen < AGE_TAG_BYTES) {
        return (AGE_ETRUNC);
    }
    ptlen = s->buflen - AGE_TAG_BYTES;
    if (age_stream_open1(s, s->buf, s->buflen, 1) != 0) {
        /* A full chunk that opens as non-last: the rest is missing. */
        rc = (s->buflen == AGE_CT_CHUNK &&
            age_stream_open1(s, s->buf, s->buflen, 0) == 0) ?
            AGE_ETRUNC : AGE_EAUTH;
        goto done;
    }

    /* Only an empty file may end with an empty chunk. */
    if (ptlen == 0 && s->counter != 0) {
        rc = AGE_EAUTH;
        goto done;
    }
    if (ptlen > 0 && wr(cookie, s->out, ptlen) != 0) {
        rc = AGE_EIO;
        goto done;
    }
    s->counter++;

done:
    return (rc);
}

int
age_stream_final(struct age_stream *s, age_write_fn wr, void *cookie)
{
    int rc;

    if (s->state != AGE_S_OK) {
        return (AGE_EINVAL);
    }
    if (s->decrypt) {
        rc = age_stream_final_dec(s, wr, cookie);
    } else if ((rc = age_stream_put_nonce(s, wr, cookie)) == 0) {
        rc = age_stream_seal(s, s->buf, s->buflen, 1, wr, cookie);
    }
    /* The buffers keep plaintext until age_stream_free() wipes them. */
    s->buflen = 0;
    s->state = (rc == 0) ? AGE_S_DONE : AGE_S_FAILED;
    return (rc);
}
