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

/**
 * auditchain_stream(s, fn, cookie, head, hseq, hhash):
 * As auditchain_fetch() then auditchain_verify(), one page at a time
 * without keeping the entries: each entry is checked against the chain,
 * then handed to ${fn}(${cookie}, entry), which returns 0 or -1.
 * *${head} gets the signed head (json_decref()); *${hseq} and ${hhash}
 * what it names.  Return EXIT_OK once the head is verified,
 * EXIT_INTEGRITY (with a message) if the chain or the head does not
 * verify (${fn} may have seen entries by then), or another exit code.
 */
int auditchain_stream(struct session *s, int (*fn)(void *, json_t *),
    void *cookie, json_t **head, uint64_t *hseq,
    uint8_t hhash[DIGEST_BYTES]);

#endif /* !AUDITCHAIN_H_ */
