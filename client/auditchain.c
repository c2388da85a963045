#define _GNU_SOURCE
#include "client/auditchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/auditlog.h"
#include "crypto/minisig.h"

/*
 * The vault's audit log as the client fetches and checks it (coffre audit,
 * coffre export).
 */

#define AUDIT_PAGE 200

/* Seconds since the epoch of an RFC 3339 UTC time, or -1. */
static int64_t
rfc3339(const char *t)
{
    struct tm tm;
    char *end;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || (end = strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
        *end != '\0') {
        return (-1);
    }
    return ((int64_t)timegm(&tm));
}

int
auditchain_fetch(struct session *s, uint64_t after, json_t *all, json_t **head)
{
    json_t *resp, *v, *next;
    char path[256], *ev;
    size_t i;
    int rc;

    if ((ev = http_escape(s->account)) == NULL) {
        return (EXIT_ERR);
    }
    for (;;) {
        snprintf(path, sizeof(path), "/v1/vaults/%s/audit?after=%llu&limit=%d",
            ev, (unsigned long long)after, AUDIT_PAGE);
        if ((rc = api_call(s, "GET", path, NULL, 200, "audit", &resp)) !=
            EXIT_OK) {
            break;
        }
        json_array_foreach(json_object_get(resp, "entries"), i, v) {
            json_array_append(all, v);
        }
        json_decref(*head);
        *head = json_incref(json_object_get(resp, "head"));
        next = json_object_get(resp, "next");
        if (!json_is_integer(next)) {
            json_decref(resp);
            break;
        }
        after = (uint64_t)json_integer_value(next);
        json_decref(resp);
    }
    free(ev);
    return (rc);
}

/* Parse 64 hex digits. */
static int
hex32(const char *s, uint8_t out[DIGEST_BYTES])
{

    return (s == NULL ? -1 : digest_hex_parse(s, strlen(s), out));
}

int
auditchain_verify(struct session *s, json_t *all, json_t *head, uint64_t *hseq,
    uint8_t hhash[DIGEST_BYTES])
{
    struct auditlog_entry e;
    struct minisig_pubkey pk;
    struct minisig sig;
    uint8_t prev[DIGEST_BYTES], h[DIGEST_BYTES], got[DIGEST_BYTES];
    const char *text, *sigtext;
    json_t *v, *ht;
    size_t i;

    memset(prev, 0, sizeof(prev));
    json_array_foreach(all, i, v) {
        memset(&e, 0, sizeof(e));
        e.seq = (uint64_t)json_integer_value(json_object_get(v, "seq"));
        e.time = rfc3339(json_string_value(json_object_get(v, "time")));
        e.chain = json_string_value(json_object_get(v, "chain"));
        e.actor = json_string_value(json_object_get(v, "actor"));
        e.action = json_string_value(json_object_get(v, "action"));
        e.target = json_string_value(json_object_get(v, "target"));
        e.detail = json_string_value(json_object_get(v, "detail"));
        if (e.seq != i + 1 || e.time < 0 ||
            hex32(json_string_value(json_object_get(v, "prev")), e.prev) != 0 ||
            hex32(json_string_value(json_object_get(v, "hash")), got) != 0) {
            warnx_("audit entry %zu is malformed or out of order", i + 1);
            return (-1);
        }
        if (memcmp(e.prev, prev, DIGEST_BYTES) != 0) {
            warnx_("audit chain broken at entry %llu: it does not follow "
                   "the previous one", (unsigned long long)e.seq);
            return (-1);
        }
        auditlog_hash(&e, h);
        if (memcmp(h, got, DIGEST_BYTES) != 0) {
            warnx_("audit entry %llu was altered: its hash does not match",
                (unsigned long long)e.seq);
            return (-1);
        }
        memcpy(prev, h, DIGEST_BYTES);
    }

    /* The daemon's signature on the head, with the key pinned at init. */
    text = json_string_value(json_object_get(head, "text"));
    sigtext = json_string_value(json_object_get(head, "signature"));
    if (s->server_key == NULL ||
        minisig_pubkey_parse(s->server_key, strlen(s->server_key), &pk) != 0) {
        warnx_("no pinned server key in the configuration: run init again");
        return (-1);
    }
    if (text == NULL || sigtext == NULL ||
        minisig_parse(sigtext, strlen(sigtext), &sig) != 0 ||
        minisig_verify_buf((const uint8_t *)text, strlen(text), &sig, &pk) !=
            0) {
        warnx_("the audit head is not signed by the server's key");
        return (-1);
    }
    if ((ht = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        warnx_("the signed audit head is malformed");
        return (-1);
    }
    *hseq = (uint64_t)json_integer_value(json_object_get(ht, "seq"));
    if (hex32(json_string_value(json_object_get(ht, "hash")), hhash) != 0 ||
        strcmp(json_string_value(json_object_get(ht, "vault")) != NULL
                   ? json_string_value(json_object_get(ht, "vault")) : "",
            s->account) != 0) {
        json_decref(ht);
        warnx_("the signed audit head is for another vault");
        return (-1);
    }
    json_decref(ht);
    if (*hseq != json_array_size(all) ||
        (*hseq > 0 && memcmp(hhash, prev, DIGEST_BYTES) != 0)) {
        warnx_("the signed head (entry %llu) does not match the log's last "
               "entry", (unsigned long long)*hseq);
        return (-1);
    }
    return (0);
}

