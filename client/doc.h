#ifndef DOC_H_
#define DOC_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/age.h"
#include "crypto/digest.h"
#include "crypto/minisig.h"

/*
 * A document on the client side (DESIGN.md §6): one pass over the
 * plaintext encrypts it (age STREAM), hashes the ciphertext (the blob id),
 * hashes the plaintext (SHA-256, for the manifest and the trusted comment)
 * and prehashes it for the author's minisign signature.
 */

#define DOC_META_MAX (16 * 1024)   /* bytes of encrypted metadata */
#define DOC_HEADER_MAX AGE_MAX_HEADER_BYTES
#define DOC_MEMFD_MAX (4 * 1024 * 1024) /* plaintext bytes kept in memory */

struct doc_sealed {
    int ct_fd;                          /* payload: memfd or temp file */
    uint64_t ct_size;
    char blob_id[DIGEST_ID_BUFLEN];
    uint8_t *header;                    /* owner's age header (malloc) */
    size_t header_len;
    char *sig;                          /* .minisig text (malloc) */
    uint8_t pt_sha256[DIGEST_BYTES];
    uint64_t pt_size;
    uint8_t fk[AGE_FILE_KEY_BYTES];     /* file key: wiped on free */
};

/**
 * doc_seal(in, rcpt, sk, tc_prefix, out):
 * Encrypt everything read from ${in} to the X25519 recipient ${rcpt}, sign
 * it with ${sk} with the trusted comment "${tc_prefix}\tsha256:<hex of the
 * plaintext>", and fill ${out} (doc_sealed_free()).  The ciphertext of a
 * regular file of at most DOC_MEMFD_MAX bytes goes to an anonymous memory
 * file, anything else to an unlinked temp file.  The file key lives in
 * ${out} itself (ordinary memory, like every per-document secret) and is
 * wiped by doc_sealed_free().  Return 0, or -1 with a message.
 */
int doc_seal(int in, const uint8_t rcpt[AGE_X25519_BYTES],
    const struct minisig_seckey *sk, const char *tc_prefix,
    struct doc_sealed *out);

/**
 * doc_sealed_free(d):
 * Close the ciphertext file, wipe the file key, free the rest.
 */
void doc_sealed_free(struct doc_sealed *d);

/**
 * doc_header_for(fk, rcpt, b64):
 * A new age header wrapping file key ${fk} for ${rcpt}, base64-encoded
 * (malloc'd) in *${b64}.  Return 0 or -1.
 */
int doc_header_for(const uint8_t fk[AGE_FILE_KEY_BYTES],
    const uint8_t rcpt[AGE_X25519_BYTES], char **b64);

/**
 * doc_unwrap(header_b64, sk, fk):
 * Open base64 age header ${header_b64} with X25519 secret ${sk} into ${fk}
 * (caller's secmem).  Return 0 or an AGE_E* code.
 */
int doc_unwrap(const char *header_b64, const uint8_t sk[AGE_X25519_BYTES],
    uint8_t fk[AGE_FILE_KEY_BYTES]);

/**
 * doc_meta_seal(meta, rcpt, b64):
 * ${meta} as compact JSON, encrypted as a small age file to ${rcpt},
 * base64 in *${b64} (malloc'd).  Return 0 or -1.
 */
int doc_meta_seal(json_t *meta, const uint8_t rcpt[AGE_X25519_BYTES],
    char **b64);

/**
 * doc_meta_open(b64, sk):
 * Decrypt metadata made by doc_meta_seal(); NULL if absent or unreadable.
 */
json_t *doc_meta_open(const char *b64, const uint8_t sk[AGE_X25519_BYTES]);

/**
 * doc_safe_name(name):
 * A file name safe to create in the current folder (no slashes, no
 * control characters C0, DEL or C1, no leading dot or dash, at most 200
 * bytes cut on a UTF-8 boundary); malloc'd.
 */
char *doc_safe_name(const char *name);

/**
 * doc_trusted_field(tc, key, out, outlen):
 * Copy the value of "key:value" in tab-separated trusted comment ${tc}.
 * Return 0, or -1 if absent or too long.
 */
int doc_trusted_field(const char *tc, const char *key, char *out,
    size_t outlen);

#endif /* !DOC_H_ */
