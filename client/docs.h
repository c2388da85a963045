#ifndef DOCS_H_
#define DOCS_H_

#include <stdint.h>

#include <jansson.h>

#include "crypto/age.h"

/*
 * Document operations shared by the commands (put, push, evidence...).
 */

struct session;

/**
 * docs_class_valid(c):
 * Nonzero if ${c} is a document class the server knows.
 */
int docs_class_valid(const char *c);

/**
 * docs_deposit(s, vault, fd, name, class, rcpt, tc_prefix, extra_meta,
 *     idem, receipt, doc_id):
 * Encrypt what ${fd} yields to ${rcpt}, sign it (trusted comment
 * "${tc_prefix}\tsha256:<plaintext>"), upload the blob and deposit the
 * record into ${vault} with encrypted metadata {name, size, type, class,
 * mtime, sha256} merged with ${extra_meta} (may be NULL), and idempotency
 * key ${idem} (NULL: a random one).  On success *${doc_id} is malloc'd and
 * *${receipt} (if non-NULL) holds the server's receipt.  Return an exit
 * code.
 */
int docs_deposit(struct session *s, const char *vault, int fd,
    const char *name, const char *class, const uint8_t rcpt[AGE_X25519_BYTES],
    const char *tc_prefix, json_t *extra_meta, const char *idem,
    json_t **receipt, char **doc_id);

/**
 * docs_list(s, class, out):
 * Every record of the caller's vault (all pages), optionally of one class.
 */
int docs_list(struct session *s, const char *class, json_t **out);

/**
 * docs_resolve(s, id, rec):
 * The record of document ${id}, or of the only document whose id starts
 * with ${id}.  Return an exit code; *${rec} on success.
 */
int docs_resolve(struct session *s, const char *id, json_t **rec);

/**
 * docs_path(id, suffix):
 * "/v1/documents/<escaped id><suffix>", malloc'd.
 */
char *docs_path(const char *id, const char *suffix);

/**
 * docs_lookup_reader(s, target, account, rcpt):
 * Look up a reader in the key directory: a vault address (person) or a
 * service name; SIRETs are refused (employers never read).  On EXIT_OK
 * *${account} is the account id (malloc'd) and ${rcpt} its age recipient.
 * Return an exit code, with a message.
 */
int docs_lookup_reader(struct session *s, const char *target, char **account,
    uint8_t rcpt[AGE_X25519_BYTES]);

/**
 * docs_grant(s, rec, account, rcpt):
 * Give ${account} (age recipient ${rcpt}) a grant on the caller's document
 * record ${rec}: its file key, opened with the caller's key, wrapped in a
 * new header for ${rcpt}.  Return an exit code, with a message.
 */
int docs_grant(struct session *s, json_t *rec, const char *account,
    const uint8_t rcpt[AGE_X25519_BYTES]);

#endif /* !DOCS_H_ */
