#ifndef KEYS_H_
#define KEYS_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/age.h"
#include "crypto/minisig.h"

/*
 * An account's two key pairs (DESIGN.md §3): an age X25519 identity that
 * receives documents, and an Ed25519 (minisign) key that signs.  Text forms:
 * `age1...` / `AGE-SECRET-KEY-1...` (bech32) and minisign's base64 keys.
 *
 * The key file is the text below, itself encrypted as an age file to a
 * passphrase (scrypt), so that `age -d` opens it, and `age -d -i keyfile`
 * uses it directly as an identity file: the minisign secret key is kept in
 * comment lines (docs/FORMATS.md):
 *
 *   # coffre key file v1
 *   # age recipient: age1...
 *   # minisign public key: RW...
 *   # minisign secret key (minisign -W), without the "# " prefixes:
 *   # untrusted comment: <as minisign -G -W writes it>
 *   # <base64 of the unencrypted minisign secret key>
 *   AGE-SECRET-KEY-1...
 */

#define KEYS_RECIPIENT_MAX 128   /* buffer for an `age1...` string */
#define KEYS_SECRET_MAX 128      /* buffer for `AGE-SECRET-KEY-1...` */

/* Both secrets; always in secmem_alloc() memory (keys_new/keys_free). */
struct keys {
    uint8_t x25519_sk[AGE_X25519_BYTES];
    uint8_t x25519_pk[AGE_X25519_BYTES];
    struct minisig_seckey sign;      /* includes public key and key id */
};

/**
 * keys_generate():
 * Fresh key pairs in guarded memory; NULL on failure.  keys_free() wipes.
 */
struct keys *keys_generate(void);

/**
 * keys_free(k):
 * Wipe and free.  keys_free(NULL) is a no-op.
 */
void keys_free(struct keys *k);

/**
 * keys_recipient_encode(pk, out, outlen):
 * Write the `age1...` form of X25519 public key ${pk}.  Return 0, or -1 if
 * ${outlen} is too small.
 */
int keys_recipient_encode(const uint8_t pk[AGE_X25519_BYTES], char *out,
    size_t outlen);

/**
 * keys_recipient_decode(s, pk):
 * Parse an `age1...` recipient (strict bech32, lower case).  Return 0/-1.
 */
int keys_recipient_decode(const char *s, uint8_t pk[AGE_X25519_BYTES]);

/**
 * keys_secret_encode(sk, out, outlen), keys_secret_decode(s, len, sk):
 * `AGE-SECRET-KEY-1...` (bech32, upper case) forms of an X25519 secret.
 * ${out} and ${sk} hold secrets.  Return 0/-1.
 */
int keys_secret_encode(const uint8_t sk[AGE_X25519_BYTES], char *out,
    size_t outlen);
int keys_secret_decode(const char *s, size_t len,
    uint8_t sk[AGE_X25519_BYTES]);

/**
 * keys_file_write(k, passphrase, passlen, log2_n, wr, cookie):
 * Write the key file of ${k}, encrypted to the passphrase with scrypt work
 * factor ${log2_n} (AGE_MIN_SCRYPT_LOG2..AGE_MAX_SCRYPT_LOG2).  Return 0 or
 * an AGE_E* code.
 */
int keys_file_write(const struct keys *k, const char *passphrase,
    size_t passlen, int log2_n, age_write_fn wr, void *cookie);

/**
 * keys_file_read(buf, len, passphrase, passlen, out):
 * Decrypt and parse a key file.  On success set *${out} (keys_free()) and
 * return 0; return AGE_EAUTH for a wrong passphrase, AGE_EFORMAT for a file
 * that is not a key file, or another AGE_E* code.
 */
int keys_file_read(const uint8_t *buf, size_t len, const char *passphrase,
    size_t passlen, struct keys **out);

/**
 * keys_file_is_encrypted(buf, len):
 * Nonzero if ${buf} starts like an age file with an scrypt stanza (a key
 * file, which needs a passphrase), zero otherwise (for example a plain age
 * identity file as age-keygen writes it).
 */
int keys_file_is_encrypted(const uint8_t *buf, size_t len);

/**
 * keys_identities_parse(text, len, ids, max, n):
 * Parse an age identity file as age-keygen writes it (comments, blank
 * lines, one AGE-SECRET-KEY-1 per line) into at most ${max} X25519
 * identities in ${ids} (caller's guarded memory).  Return 0 and set *${n},
 * or -1 on a malformed line, more than ${max} keys, or no key at all.
 */
int keys_identities_parse(const uint8_t *text, size_t len,
    struct age_identity *ids, size_t max, size_t *n);

#endif /* !KEYS_H_ */
