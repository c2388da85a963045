#ifndef AUDITLOG_H_
#define AUDITLOG_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"

/*
 * The audit log's hash chain, one definition for the server that writes it
 * and the client that verifies it (docs/FORMATS.md):
 *
 *   hash = SHA-256( prev || be64(seq) || be64(time) || lp(chain) ||
 *                   lp(actor) || lp(action) || lp(target) || lp(detail) )
 *
 * where lp(s) = be32(length of s) || s, prev is the hash of entry seq - 1
 * (32 zero bytes for seq 1) and time is in seconds since the epoch.
 */

struct auditlog_entry {
    uint64_t seq;
    int64_t time;
    const char *chain, *actor, *action, *target, *detail;
    uint8_t prev[DIGEST_BYTES];
};

/**
 * auditlog_hash(e, out):
 * The hash of entry ${e} into ${out}.  Return 0, or -1 on allocation
 * failure (then ${out} is all 0xff, which no entry hash matches).
 */
int auditlog_hash(const struct auditlog_entry *e, uint8_t out[DIGEST_BYTES]);

#endif /* !AUDITLOG_H_ */
