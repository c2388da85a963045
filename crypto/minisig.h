#ifndef MINISIG_H_
#define MINISIG_H_

#include <stddef.h>
#include <stdint.h>

/*
 * minisign-compatible Ed25519 signatures (minisign 0.11): prehashed `ED`
 * signatures over BLAKE2b-512 of the content, with an untrusted comment
 * and a trusted comment covered by a global signature.  Reads and writes
 * `.minisig` files, public keys (`RW...` base64, and .pub files) and
 * unencrypted secret keys (as `minisign -G -W` writes them).
 */

#define MINISIG_KEYID_BYTES 8
#define MINISIG_PK_BYTES 32
#define MINISIG_SK_BYTES 64
#define MINISIG_SIG_BYTES 64
#define MINISIG_COMMENT_MAX 1024  /* bytes of a comment, without prefix */
#define MINISIG_PUBKEY_B64_LEN 56 /* base64 of 42 bytes, without NUL */
#define MINISIG_FILE_MAX 4096     /* larger .minisig/.pub files: refused */
#define MINISIG_UNTRUSTED_MAX 1003 /* untrusted comment bytes minisign reads */
#define MINISIG_KEYID_HEX_LEN 16  /* key id as minisign prints it, no NUL */

#define MINISIG_EFORMAT (-2) /* malformed file, key or comment */
#define MINISIG_EKEYID  (-3) /* signature made by another key */
#define MINISIG_EBADSIG (-4) /* signature or global signature invalid */
#define MINISIG_ELEGACY (-5) /* legacy non-prehashed `Ed`: not accepted */
#define MINISIG_ENOMEM  (-6)

/**
 * minisig_strerror(err):
 * A short English sentence for a MINISIG_E* code.
 */
const char *minisig_strerror(int err);

struct minisig_pubkey {
    uint8_t keyid[MINISIG_KEYID_BYTES];
    uint8_t pk[MINISIG_PK_BYTES];
};

/* Secret key: keep in secmem_alloc() memory. */
struct minisig_seckey {
    uint8_t keyid[MINISIG_KEYID_BYTES];
    uint8_t sk[MINISIG_SK_BYTES];   /* libsodium Ed25519 secret (seed||pk) */
};

/**
 * minisig_keyid_hex(keyid, out):
 * Write ${keyid} as minisign prints it (a little-endian 64-bit number in
 * 16 upper-case hex digits) and a NUL into ${out}.
 */
void minisig_keyid_hex(const uint8_t keyid[MINISIG_KEYID_BYTES],
    char out[MINISIG_KEYID_HEX_LEN + 1]);

/**
 * minisig_keygen(sk, pk):
 * New random key pair and key id.
 */
void minisig_keygen(struct minisig_seckey *sk, struct minisig_pubkey *pk);

/**
 * minisig_seckey_public(sk, pk):
 * The public half of ${sk}.
 */
void minisig_seckey_public(const struct minisig_seckey *sk,
    struct minisig_pubkey *pk);

/**
 * minisig_pubkey_encode(pk, out):
 * Write the base64 `RW...` form (MINISIG_PUBKEY_B64_LEN chars and a NUL).
 */
void minisig_pubkey_encode(const struct minisig_pubkey *pk,
    char out[MINISIG_PUBKEY_B64_LEN + 1]);

/**
 * minisig_pubkey_parse(text, len, pk):
 * Accept either the bare base64 key or a public key file (an
 * `untrusted comment:` line then the key line, as minisign writes it).
 * Return 0 or MINISIG_EFORMAT.
 */
int minisig_pubkey_parse(const char *text, size_t len,
    struct minisig_pubkey *pk);

/**
 * minisig_pubkey_file(pk, out, outlen):
 * Write a public key file exactly as `minisign -G` does.  Return the
 * number of bytes written (without NUL), or -1 if ${outlen} is too small.
 */
int minisig_pubkey_file(const struct minisig_pubkey *pk, char *out,
    size_t outlen);

/**
 * minisig_seckey_file(sk, out, outlen), minisig_seckey_parse(text, len, sk):
 * An unencrypted secret key file as `minisign -G -W` writes and reads it
 * (kdf algorithm 0, BLAKE2b checksum).  ${out} and ${sk} hold secrets.
 * Return bytes written / 0, or -1 / MINISIG_EFORMAT.
 */
int minisig_seckey_file(const struct minisig_seckey *sk, char *out,
    size_t outlen);
int minisig_seckey_parse(const char *text, size_t len,
    struct minisig_seckey *sk);

/* Streaming prehash (BLAKE2b-512) of the signed content. */
struct minisig_hash;

/**
 * minisig_hash_new(), minisig_hash_update(h, buf, len), minisig_hash_free(h):
 * Start, feed and release a prehash.  new returns NULL on failure.
 */
struct minisig_hash *minisig_hash_new(void);
void minisig_hash_update(struct minisig_hash *h, const uint8_t *buf,
    size_t len);
void minisig_hash_free(struct minisig_hash *h);

/**
 * minisig_sign(h, sk, untrusted, trusted, out, outlen):
 * Finish ${h} and write a complete `.minisig` file (four lines) signing it
 * with ${sk}, with the given comments (NUL-terminated, no newline; NULL
 * untrusted gives minisign's default).  The untrusted comment may have at
 * most MINISIG_UNTRUSTED_MAX bytes, the trusted one MINISIG_COMMENT_MAX.
 * ${out} is NUL-terminated.  Return bytes written (without the NUL), or
 * MINISIG_EFORMAT (comment with a CR or LF, too long, or trusted NULL) or
 * -1 (${outlen} too small).  ${h} may only be freed afterwards.
 */
int minisig_sign(struct minisig_hash *h, const struct minisig_seckey *sk,
    const char *untrusted, const char *trusted, char *out, size_t outlen);

/* A parsed signature file. */
struct minisig {
    uint8_t alg[2];                     /* "ED" */
    uint8_t keyid[MINISIG_KEYID_BYTES];
    uint8_t sig[MINISIG_SIG_BYTES];
    uint8_t global_sig[MINISIG_SIG_BYTES];
    char untrusted[MINISIG_COMMENT_MAX + 1];
    char trusted[MINISIG_COMMENT_MAX + 1];
};

/**
 * minisig_parse(text, len, sig):
 * Parse a `.minisig` file strictly (at most MINISIG_FILE_MAX bytes):
 * four lines ending in LF or CRLF (the last may lack it), canonical
 * base64, comments within their limits (docs/FORMATS.md, "minisign").
 * Return 0, MINISIG_EFORMAT or MINISIG_ELEGACY; on error ${sig} is zeroed.
 */
int minisig_parse(const char *text, size_t len, struct minisig *sig);

/**
 * minisig_verify(h, sig, pk):
 * Finish ${h} and check ${sig} (signature and global signature over the
 * trusted comment) with ${pk}.  Return 0 only if both are valid;
 * MINISIG_EKEYID or MINISIG_EBADSIG otherwise (MINISIG_ELEGACY or
 * MINISIG_EFORMAT for a ${sig} that minisig_parse() would not produce).
 */
int minisig_verify(struct minisig_hash *h, const struct minisig *sig,
    const struct minisig_pubkey *pk);

/**
 * minisig_verify_comment(sig, pk):
 * Check only the global signature: that ${pk} signed ${sig}'s signature
 * together with its trusted comment.  This proves who wrote the trusted
 * comment (which binds metadata such as a plaintext digest) without the
 * content; it does not prove the content.  Return 0, MINISIG_ELEGACY,
 * MINISIG_EKEYID or MINISIG_EBADSIG (MINISIG_EFORMAT for a ${sig} whose
 * trusted comment is not NUL-terminated within MINISIG_COMMENT_MAX).
 */
int minisig_verify_comment(const struct minisig *sig,
    const struct minisig_pubkey *pk);

/**
 * minisig_sign_buf(buf, len, ...), minisig_verify_buf(buf, len, sig, pk):
 * One-shot forms of the above over a buffer.
 */
int minisig_sign_buf(const uint8_t *buf, size_t len,
    const struct minisig_seckey *sk, const char *untrusted,
    const char *trusted, char *out, size_t outlen);
int minisig_verify_buf(const uint8_t *buf, size_t len,
    const struct minisig *sig, const struct minisig_pubkey *pk);

#endif /* !MINISIG_H_ */
