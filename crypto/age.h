#ifndef AGE_H_
#define AGE_H_

#include <stddef.h>
#include <stdint.h>

/*
 * age v1 (C2SP age.md): X25519 and scrypt recipients, header with its MAC,
 * and the STREAM payload (16-byte nonce, 64 KiB ChaCha20-Poly1305 chunks,
 * last-chunk flag).  The header and the payload are made and read
 * separately so that one payload (a blob) can carry many headers (one per
 * reader): `header || payload` is always a complete standard age file.
 *
 * No I/O here but caller-supplied callbacks.  File keys are secrets: keep
 * them in secmem_alloc() memory and wipe them.  Inside these functions the
 * per-file secrets (file key, derived keys, plaintext chunks) are
 * short-lived and live in ordinary memory, wiped on every exit path.
 */

#define AGE_FILE_KEY_BYTES 16
#define AGE_NONCE_BYTES 16
#define AGE_CHUNK_BYTES 65536
#define AGE_TAG_BYTES 16
#define AGE_X25519_BYTES 32

/* Bounds checked before any public-key or scrypt work. */
#define AGE_MAX_STANZAS 20
#define AGE_MAX_HEADER_BYTES 65536
#define AGE_MAX_SCRYPT_LOG2 22     /* on decryption */
#define AGE_MIN_SCRYPT_LOG2 10     /* never write below */
#define AGE_DEFAULT_SCRYPT_LOG2 18

/* Errors (negative).  Crypto failures are one code on purpose. */
#define AGE_EFORMAT  (-2)  /* not an age file, or a malformed header */
#define AGE_ELIMIT   (-3)  /* too many stanzas, header too big, work factor */
#define AGE_ENOKEY   (-4)  /* no identity matches any recipient */
#define AGE_EAUTH    (-5)  /* header MAC or payload tag: wrong key/tampered */
#define AGE_ETRUNC   (-6)  /* payload ends before its last chunk */
#define AGE_ETRAIL   (-7)  /* data after the last chunk */
#define AGE_EIO      (-8)  /* a callback failed */
#define AGE_ENOMEM   (-9)
#define AGE_EINVAL   (-10) /* bad argument from the caller */
#define AGE_EAGAIN   (-11) /* age_header_parse: need more bytes */

/**
 * age_strerror(err):
 * A short English sentence for an AGE_E* code, suitable for users:
 * "no identity matches any recipient", "header MAC mismatch: wrong key or
 * tampered", "file truncated", ...
 */
const char *age_strerror(int err);

/*
 * Callbacks.  read: fill up to ${len} bytes, set *${got} (0 at end of
 * input), return 0 or -1.  write: consume all ${len} bytes, return 0 or -1.
 */
typedef int (*age_read_fn)(void *cookie, uint8_t *buf, size_t len,
    size_t *got);
typedef int (*age_write_fn)(void *cookie, const uint8_t *buf, size_t len);

/* A recipient: public, may live in ordinary memory (passphrase excepted). */
enum age_kind { AGE_X25519 = 1, AGE_SCRYPT = 2 };
struct age_recipient {
    enum age_kind kind;
    uint8_t x25519[AGE_X25519_BYTES]; /* AGE_X25519: public key */
    const char *passphrase;           /* AGE_SCRYPT (secret: caller's) */
    size_t passlen;
    int log2_n;                       /* AGE_SCRYPT work factor */
};

/* An identity: secret.  Allocate with secmem_alloc(). */
struct age_identity {
    enum age_kind kind;
    uint8_t x25519[AGE_X25519_BYTES]; /* AGE_X25519: secret scalar */
    const char *passphrase;           /* AGE_SCRYPT */
    size_t passlen;
    int max_log2_n;                   /* AGE_SCRYPT: 0 = AGE_MAX_SCRYPT_LOG2 */
};

/**
 * age_file_key_new(fk):
 * Fill ${fk} with a fresh random file key.
 */
void age_file_key_new(uint8_t fk[AGE_FILE_KEY_BYTES]);

/**
 * age_header_new(fk, rcpts, n, out, outlen):
 * Make a header that wraps ${fk} to the ${n} recipients, including its
 * final `--- <mac>\n` line.  A scrypt recipient must be alone.  On success
 * *${out} is malloc'd (public bytes; free()) and 0 is returned; otherwise
 * AGE_EINVAL (no or too many recipients, scrypt not alone or work factor
 * out of range, empty passphrase, low-order X25519 key) or AGE_ENOMEM.
 */
int age_header_new(const uint8_t fk[AGE_FILE_KEY_BYTES],
    const struct age_recipient *rcpts, size_t n, uint8_t **out,
    size_t *outlen);

struct age_header;

/**
 * age_header_parse(buf, len, hdr, used):
 * Parse the header at the start of ${buf}, strictly (canonical base64,
 * 64-column body lines, stanza rules, at most AGE_MAX_STANZAS stanzas and
 * AGE_MAX_HEADER_BYTES bytes).  On success set *${hdr} (free with
 * age_header_free()) and *${used} (bytes of header, the payload starts
 * there) and return 0.  Return AGE_EAGAIN if ${buf} ends before the header
 * does (and is still under the bounds), AGE_EFORMAT or AGE_ELIMIT.
 */
int age_header_parse(const uint8_t *buf, size_t len, struct age_header **hdr,
    size_t *used);

/**
 * age_header_nstanzas(hdr), age_header_stanza_type(hdr, i):
 * How many stanzas, and the type string of stanza ${i} ("X25519", ...).
 */
size_t age_header_nstanzas(const struct age_header *hdr);
const char *age_header_stanza_type(const struct age_header *hdr, size_t i);

/**
 * age_header_unwrap(hdr, ids, n, fk):
 * Find a stanza that one of the ${n} identities opens, then check the
 * header MAC; only then write the file key into ${fk} (secret).  Return 0,
 * AGE_ENOKEY, AGE_EAUTH (MAC mismatch), AGE_ELIMIT (scrypt work factor
 * over the identity's maximum), AGE_EFORMAT (scrypt stanza not alone, or
 * a malformed X25519/scrypt stanza) or AGE_ENOMEM.  On failure ${fk} is
 * zero.
 */
int age_header_unwrap(const struct age_header *hdr,
    const struct age_identity *ids, size_t n,
    uint8_t fk[AGE_FILE_KEY_BYTES]);

/**
 * age_header_free(hdr):
 * Free a parsed header.  age_header_free(NULL) is a no-op.
 */
void age_header_free(struct age_header *hdr);

/*
 * STREAM payload, push style: feed any number of bytes, then finish.
 * Encryption writes the nonce first.  Decryption releases a chunk's
 * plaintext only after its tag verifies and it is known whether it is the
 * last one; memory is constant (about two chunks).
 */
struct age_stream;

/**
 * age_stream_new_encrypt(fk), age_stream_new_decrypt(fk):
 * Start a payload with file key ${fk} (copied; age_stream_free() wipes
 * it).  Encryption draws a random nonce.  Return NULL on allocation
 * failure.
 */
struct age_stream *age_stream_new_encrypt(const uint8_t fk[AGE_FILE_KEY_BYTES]);
struct age_stream *age_stream_new_decrypt(const uint8_t fk[AGE_FILE_KEY_BYTES]);

/**
 * age_stream_update(s, buf, len, wr, cookie):
 * Feed ${len} bytes; complete output goes to ${wr}.  Return 0, AGE_EAUTH,
 * AGE_ETRAIL (bytes after a chunk that decrypted as last) or AGE_EIO.
 * After an error the stream only accepts age_stream_free().
 */
int age_stream_update(struct age_stream *s, const uint8_t *buf, size_t len,
    age_write_fn wr, void *cookie);

/**
 * age_stream_final(s, wr, cookie):
 * End of input: encrypt or decrypt the last chunk.  Return 0, AGE_EAUTH,
 * AGE_ETRUNC (no last chunk, or no nonce) or AGE_EIO.
 */
int age_stream_final(struct age_stream *s, age_write_fn wr, void *cookie);

/**
 * age_stream_free(s):
 * Wipe and free.  age_stream_free(NULL) is a no-op.
 */
void age_stream_free(struct age_stream *s);

/**
 * age_encrypt(rcpts, n, rd, rc, wr, wc):
 * A whole age file: a fresh file key, the header, then the payload of
 * everything ${rd} yields.  Return 0 or an AGE_E* code.
 */
int age_encrypt(const struct age_recipient *rcpts, size_t n, age_read_fn rd,
    void *rc, age_write_fn wr, void *wc);

/**
 * age_decrypt(ids, n, rd, rc, wr, wc):
 * Read a whole age file from ${rd}, write its plaintext to ${wr}.  Output
 * written before an error must be discarded by the caller.  Return 0 or an
 * AGE_E* code.
 */
int age_decrypt(const struct age_identity *ids, size_t n, age_read_fn rd,
    void *rc, age_write_fn wr, void *wc);

#endif /* !AGE_H_ */
