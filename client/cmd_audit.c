#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/auditchain.h"
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

/* Parse 64 hex digits. */
static int
hex32(const char *s, uint8_t out[DIGEST_BYTES])
{

    return (s == NULL ? -1 : digest_hex_parse(s, strlen(s), out));
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
        (rc = auditchain_fetch(s, 0, all, &head)) != EXIT_OK) {
        rc = (rc == EXIT_OK) ? EXIT_ERR : rc;
        goto done;
    }
    if (verify) {
        if (auditchain_verify(s, all, head, &hseq, hhash) != 0 ||
            check_remembered(s, all, hseq, hhash) != 0) {
            rc = EXIT_INTEGRITY;
            goto done;
        }
    }
    if (json) {
        json_t *o = json_pack("{s:O, s:O?, s:b}", "entries", all, "head",
            head, "verified", verify);

        json_print(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(o);
    } else {
        json_array_foreach(all, i, v) {
            printf("%5lld  %s  %-18s %-16s %s %s\n",
                (long long)json_integer_value(json_object_get(v, "seq")),
                term_text(json_string_value(json_object_get(v, "time"))),
                term_text(json_string_value(json_object_get(v, "action"))),
                term_text(json_string_value(json_object_get(v, "actor"))),
                term_text(json_string_value(json_object_get(v, "target"))),
                term_text(json_string_value(json_object_get(v, "detail"))));
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
