#ifndef FETCHDOC_H_
#define FETCHDOC_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/age.h"
#include "crypto/digest.h"
#include "crypto/minisig.h"

/*
 * The verified download of one document, shared by get and export: the
 * blob is streamed from the server, its SHA-256 checked against the blob
 * id, every STREAM chunk authenticated as it is decrypted, and the
 * author's minisign signature checked over the plaintext.  Bytes reach the
 * caller's sinks as they arrive, before the end of the checks: a caller
 * must treat them as provisional (write them to an outfile_* or an archive
 * it removes) until fetchdoc_run() returns EXIT_OK.
 */

struct session;

struct fetchdoc {
    /* In: where the bytes go; either may be NULL. */
    int (*cipher_sink)(void *cookie, const uint8_t *buf, size_t len);
    void *cipher_cookie;            /* payload bytes, as downloaded */
    int (*plain_sink)(void *cookie, const uint8_t *buf, size_t len);
    void *plain_cookie;             /* plaintext, as authenticated */
    const char *label;              /* names the document in messages */

    /* Out. */
    uint64_t ct_size;               /* payload bytes */
    uint64_t pt_size;               /* plaintext bytes */
    uint8_t pt_sha256[DIGEST_BYTES];
    char trusted[MINISIG_COMMENT_MAX + 1];  /* signature's trusted comment */
    int sig_failed;                 /* only the signature failed */
};

/**
 * fetchdoc_run(s, rec, sk, f):
 * Download the blob of document record ${rec} (as the API lists it), open
 * the record's header with X25519 secret ${sk}, decrypt, and verify the
 * digest, the payload and the signature (record's "signature" by its
 * "signer_key"), feeding ${f}'s sinks on the way.  Return EXIT_OK when
 * every check passed.  EXIT_INTEGRITY when one failed, with a message;
 * then ${f}->sig_failed is 1 if everything but the signature was sound
 * (all bytes were delivered).  Other exit codes for network, server or
 * sink failures (a message is printed for server errors).
 */
int fetchdoc_run(struct session *s, json_t *rec,
    const uint8_t sk[AGE_X25519_BYTES], struct fetchdoc *f);

/**
 * fetchdoc_check_signature(mh, sigtext, key, trusted, tlen):
 * Finish prehash ${mh} and verify minisign signature text ${sigtext} by
 * public key ${key} (RW... base64); copy the trusted comment into
 * ${trusted}.  Return 0 if valid, -1 (with a message) otherwise.
 */
int fetchdoc_check_signature(struct minisig_hash *mh, const char *sigtext,
    const char *key, char *trusted, size_t tlen);

#endif /* !FETCHDOC_H_ */
