#ifndef AUDITCHAIN_H_
#define AUDITCHAIN_H_

#include <stdint.h>

#include <jansson.h>

#include "crypto/digest.h"

struct session;

/**
 * auditchain_fetch(s, after, all, head):
 * Append to array ${all} every audit entry of the session's vault after
 * sequence number ${after} (all pages); *${head} gets the signed head of
 * the last page (json_decref(); replaced, so start with NULL).  Return an
 * exit code.
 */
int auditchain_fetch(struct session *s, uint64_t after, json_t *all,
    json_t **head);

/**
 * auditchain_verify(s, all, head, hseq, hhash):
 * Verify ${all} as one hash chain from seq 1, and ${head} as signed by the
 * server key pinned in the session, naming the last entry of ${all}.  Set
 * *${hseq} and ${hhash} to the head.  Return 0, or -1 after printing the
 * first problem.
 */
int auditchain_verify(struct session *s, json_t *all, json_t *head,
    uint64_t *hseq, uint8_t hhash[DIGEST_BYTES]);

#endif /* !AUDITCHAIN_H_ */
