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

/* Call ${fn} on every entry after ${after}, page by page; *${head}. */
static int
fetch_pages(struct session *s, uint64_t after,
    int (*fn)(void *, json_t *), void *cookie, json_t **head)
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
            if ((rc = fn(cookie, v)) != EXIT_OK) {
                break;
            }
        }
        json_decref(*head);
        *head = json_incref(json_object_get(resp, "head"));
        next = json_object_get(resp, "next");
        if (rc != EXIT_OK || !json_is_integer(next)) {
            json_decref(resp);
            break;
        }
        after = (uint64_t)json_integer_value(next);
        json_decref(resp);
    }
    free(ev);
    return (rc);
}

/* fetch_pages() callback of auditchain_fetch(): keep every entry. */
static int
keep_entry(void *cookie, json_t *v)
{

    return (json_array_append(cookie, v) == 0 ? EXIT_OK : EXIT_ERR);
}

int
auditchain_fetch(struct session *s, uint64_t after, json_t *all, json_t **head)
{

    return (fetch_pages(s, after, keep_entry, all, head));
}

/* Parse 64 hex digits. */
static int
hex32(const char *s, uint8_t out[DIGEST_BYTES])
{

    return (s == NULL ? -1 : digest_hex_parse(s, strlen(s), out));
}

/*
 * Check entry ${v} as number ${n} of the chain, following the entry whose
 * hash is ${prev}; then set ${prev} to its hash.  Return 0, or -1 after
 * printing the problem.
 */
static int
entry_check(json_t *v, uint64_t n, uint8_t prev[DIGEST_BYTES])
{
    struct auditlog_entry e;
    uint8_t h[DIGEST_BYTES], got[DIGEST_BYTES];

    memset(&e, 0, sizeof(e));
    e.seq = (uint64_t)json_integer_value(json_object_get(v, "seq"));
    e.time = rfc3339(json_string_value(json_object_get(v, "time")));
    e.chain = json_string_value(json_object_get(v, "chain"));
    e.actor = json_string_value(json_object_get(v, "actor"));
    e.action = json_string_value(json_object_get(v, "action"));
    e.target = json_string_value(json_object_get(v, "target"));
    e.detail = json_string_value(json_object_get(v, "detail"));
    if (e.seq != n || e.time < 0 ||
        hex32(json_string_value(json_object_get(v, "prev")), e.prev) != 0 ||
        hex32(json_string_value(json_object_get(v, "hash")), got) != 0) {
        warnx_("audit entry %llu is malformed or out of order",
            (unsigned long long)n);
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
    return (0);
}

/*
 * Check that ${head} is signed by the pinned server key, is for this
 * vault and names entry ${n} with hash ${last}.  Set *${hseq}, ${hhash}.
 */
static int
head_check(struct session *s, json_t *head, uint64_t n,
    const uint8_t last[DIGEST_BYTES], uint64_t *hseq,
    uint8_t hhash[DIGEST_BYTES])
{
    struct minisig_pubkey pk;
    struct minisig sig;
    const char *text, *sigtext;
    json_t *ht;

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
    if (*hseq != n || (*hseq > 0 && memcmp(hhash, last, DIGEST_BYTES) != 0)) {
        warnx_("the signed head (entry %llu) does not match the log's last "
               "entry", (unsigned long long)*hseq);
        return (-1);
    }
    return (0);
}

int
auditchain_verify(struct session *s, json_t *all, json_t *head, uint64_t *hseq,
    uint8_t hhash[DIGEST_BYTES])
{
    uint8_t prev[DIGEST_BYTES];
    json_t *v;
    size_t i;

    memset(prev, 0, sizeof(prev));
    json_array_foreach(all, i, v) {
        if (entry_check(v, (uint64_t)i + 1, prev) != 0) {
            return (-1);
        }
    }
    return (head_check(s, head, json_array_size(all), prev, hseq, hhash));
}

/* State of auditchain_stream(). */
struct stream {
    int (*fn)(void *, json_t *);
    void *cookie;
    uint64_t n;
    uint8_t prev[DIGEST_BYTES];
    int bad;
};

/* fetch_pages() callback of auditchain_stream(): check, then hand over. */
static int
stream_entry(void *cookie, json_t *v)
{
    struct stream *st = cookie;

    if (entry_check(v, st->n + 1, st->prev) != 0) {
        st->bad = 1;
        return (EXIT_INTEGRITY);
    }
    st->n++;
    return (st->fn(st->cookie, v) == 0 ? EXIT_OK : EXIT_ERR);
}

int
auditchain_stream(struct session *s, int (*fn)(void *, json_t *),
    void *cookie, json_t **head, uint64_t *hseq, uint8_t hhash[DIGEST_BYTES])
{
    struct stream st;
    int rc;

    *head = NULL;
    memset(&st, 0, sizeof(st));
    st.fn = fn;
    st.cookie = cookie;
    if ((rc = fetch_pages(s, 0, stream_entry, &st, head)) != EXIT_OK) {
        return (rc);
    }
    if (head_check(s, *head, st.n, st.prev, hseq, hhash) != 0) {
        return (EXIT_INTEGRITY);
    }
    return (EXIT_OK);
}
