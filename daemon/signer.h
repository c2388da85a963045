#ifndef SIGNER_H_
#define SIGNER_H_

#include <stddef.h>

#include "crypto/minisig.h"

/*
 * The daemon's own minisign key: created at first start as DATA/coffred.key
 * (an unencrypted minisign secret key file, mode 0600), kept in guarded
 * memory, used to sign receipts and audit heads.  Its public half is served
 * by GET /v1/info so that anyone can check them with `minisign -V`.
 */

#define SIGNER_KEY_FILE "coffred.key"
#define SIGNER_SIG_MAX 1024           /* a .minisig text we write */
#define SIGNER_PUBFILE_MAX 256

struct signer;

/**
 * signer_open(datadir):
 * Load DATA/coffred.key, or create it (0600, fsynced) if absent.  Return
 * the signer, or NULL on failure (logged).
 */
struct signer *signer_open(const char *datadir);

/**
 * signer_sign(s, buf, len, trusted, out, outlen):
 * Write the `.minisig` text signing ${buf} with trusted comment ${trusted}
 * into ${out}.  Return its length or -1.  Thread-safe.
 */
int signer_sign(struct signer *s, const char *buf, size_t len,
    const char *trusted, char *out, size_t outlen);

/**
 * signer_pubkey(s), signer_pubkey_file(s):
 * The public key as `RW...` base64, and as a minisign .pub file text.
 */
const char *signer_pubkey(const struct signer *s);
const char *signer_pubkey_file(const struct signer *s);

/**
 * signer_free(s):
 * Wipe and free.  NULL is a no-op.
 */
void signer_free(struct signer *s);

#endif /* !SIGNER_H_ */
