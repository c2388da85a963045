#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/auditlog.h"
#include "crypto/digest.h"
#include "crypto/minisig.h"

/*
 * coffre audit: the vault's log.  --verify recomputes the hash chain,
 * checks the daemon's signature on its head with the key pinned at init,
 * and checks that the head remembered from the last verification is still
 * in the chain (a rewritten or truncated history is noticed).
 */

enum { OPT_PASSFILE = 256, OPT_JSON, OPT_VERIFY };

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

/* Fetch entries after ${after} into ${all}; *${head} gets the last head. */
static int
fetch_entries(struct session *s, uint64_t after, json_t *all, json_t **head)
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

/*
 * Verify ${all} as one chain from seq 1, and the signed ${head}.  Return
 * 0, or -1 after printing the first problem.
 */
static int
verify_chain(struct session *s, json_t *all, json_t *head, uint64_t *hseq,
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

/* Check the head remembered last time against ${all}; then remember. */
static int
check_remembered(struct session *s, json_t *all, uint64_t hseq,
    const uint8_t hhash[DIGEST_BYTES])
{
    uint8_t old[DIGEST_BYTES], now[DIGEST_BYTES];
    char *path, hex[DIGEST_ID_BUFLEN];
    json_t *o, *e;
    uint64_t oseq;
    int rc = 0;

    if ((path = session_path(s, "audit-head.json")) == NULL) {
        return (-1);
    }
    if ((o = json_file_read(path)) != NULL) {
        oseq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
        if (hex32(json_string_value(json_object_get(o, "hash")), old) == 0 &&
            oseq > 0) {
            e = json_array_get(all, (size_t)(oseq - 1));
            if (oseq > hseq || e == NULL ||
                hex32(json_string_value(json_object_get(e, "hash")), now) !=
                    0 ||
                memcmp(old, now, DIGEST_BYTES) != 0) {
                warnx_("the log no longer contains entry %llu as it was when "
                       "last verified: history was rewritten or truncated",
                    (unsigned long long)oseq);
                rc = -1;
            }
        }
        json_decref(o);
    }
    if (rc == 0) {
        digest_id_format(hhash, hex);
        o = json_pack("{s:I, s:s}", "seq", (json_int_t)hseq, "hash", hex + 7);
        if (o == NULL || json_file_write(path, o, 0600) != 0) {
            rc = -1;
        }
        json_decref(o);
    }
    free(path);
    return (rc);
}

int
cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"json", no_argument, NULL, OPT_JSON},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL;
    struct session *s = NULL;
    json_t *all = NULL, *head = NULL, *v;
    uint8_t hhash[DIGEST_BYTES];
    uint64_t hseq = 0;
    size_t i;
    int c, rc, json = 0, verify = 0;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_VERIFY: verify = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("audit"));
        default: return (usage_error("audit", "bad option"));
        }
    }
    if (optind != argc) {
        return (usage_error("audit", "unexpected argument '%s'",
            argv[optind]));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((all = json_array()) == NULL ||
        (rc = fetch_entries(s, 0, all, &head)) != EXIT_OK) {
        rc = (rc == EXIT_OK) ? EXIT_ERR : rc;
        goto done;
    }
    if (verify) {
        if (verify_chain(s, all, head, &hseq, hhash) != 0 ||
            check_remembered(s, all, hseq, hhash) != 0) {
            rc = EXIT_INTEGRITY;
            goto done;
        }
    }
    if (json) {
        json_t *o = json_pack("{s:O, s:O?, s:b}", "entries", all, "head",
            head, "verified", verify);

        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(o);
    } else {
        json_array_foreach(all, i, v) {
            printf("%5lld  %s  %-18s %-16s %s %s\n",
                (long long)json_integer_value(json_object_get(v, "seq")),
                json_string_value(json_object_get(v, "time")),
                json_string_value(json_object_get(v, "action")),
                json_string_value(json_object_get(v, "actor")),
                json_string_value(json_object_get(v, "target")),
                json_string_value(json_object_get(v, "detail")));
        }
        if (verify) {
            printf("audit log verified: %llu entries, head signed by the "
                   "server\n", (unsigned long long)hseq);
        }
    }
    rc = EXIT_OK;

done:
    json_decref(head);
    json_decref(all);
    session_free(s);
    return (rc);
}
