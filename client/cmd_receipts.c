#define _DEFAULT_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/employer.h"
#include "client/session.h"
#include "crypto/minisig.h"

/*
 * coffre receipts verify REPORT: an employer's proof of delivery.  Every
 * receipt in a push report is checked against the server's signing key:
 * the signature over the exact receipt text, the signed comment naming
 * the document, and the text naming the report's document, vault and
 * class.
 */

enum { OPT_KEY = 256, OPT_KEYFILE };

#define RECEIPTS_REPORT_MAX (1024u * 1024 * 1024)

/* Columns the check needs, by name. */
enum { C_LINE, C_VAULT, C_DOC, C_REC, C_SIG, C_FDOC, C_FREC, C_FSIG, C_N };
static const char *const colnames[C_N] = {
    "line", "vault", "document", "receipt", "receipt_signature",
    "facts_document", "facts_receipt", "facts_receipt_signature",
};

/* The server key: --key, --key-file, or the one pinned at init. */
static int
key_get(const char *key, const char *keyfile, char **out)
{
    struct session *s;
    uint8_t *buf;
    size_t len;
    int rc;

    *out = NULL;
    if (key != NULL) {
        *out = strdup(key);
        return (*out != NULL ? EXIT_OK : EXIT_ERR);
    }
    if (keyfile != NULL) {
        if (file_read_all(keyfile, MINISIG_FILE_MAX, &buf, &len) != 0) {
            return (EXIT_ERR);
        }
        *out = (char *)buf;
        return (EXIT_OK);
    }
    if ((rc = session_open(NULL, 0, &s)) != EXIT_OK) {
        return (rc);
    }
    if (s->server_key == NULL) {
        warnx_("no server key pinned in the configuration: give --key");
        session_free(s);
        return (EXIT_USAGE);
    }
    *out = strdup(s->server_key);
    session_free(s);
    return (*out != NULL ? EXIT_OK : EXIT_ERR);
}

/* Field ${c} of ${rec} under the column map ${ix}, or "". */
static const char *
col(const struct employer_csv_rec *rec, const int ix[C_N], int c)
{

    return (ix[c] >= 0 && (size_t)ix[c] < rec->n ? rec->f[ix[c]] : "");
}

/* Check one receipt; print why not.  Return 0 if valid, 1 if not. */
static int
check_one(const struct employer_csv_rec *rec, const int ix[C_N],
    const char *key, int doc, int text, int sig, const char *class)
{
    char why[160];

    if (employer_receipt_check(col(rec, ix, text), col(rec, ix, sig), key,
            col(rec, ix, doc), col(rec, ix, C_VAULT), class, why,
            sizeof(why)) != 0) {
        printf("BAD  line %s  %s %s: %s\n", term_text(col(rec, ix, C_LINE)),
            class, term_text(col(rec, ix, doc)), term_text(why));
        return (1);
    }
    if (!client_quiet) {
        printf("ok   line %s  %s %s\n", term_text(col(rec, ix, C_LINE)),
            class, term_text(col(rec, ix, doc)));
    }
    return (0);
}

/* Verify every receipt of report ${path}.  Return an exit code. */
static int
receipts_verify(const char *path, const char *key)
{
    struct employer_csv_rec rec;
    uint8_t *buf;
    size_t len, off = 0, i, ok = 0, bad = 0, none = 0;
    unsigned line = 1;
    char err[128];
    int ix[C_N], c, r, header = 1;

    if (file_read_all(path, RECEIPTS_REPORT_MAX, &buf, &len) != 0) {
        return (EXIT_ERR);
    }
    for (c = 0; c < C_N; c++) {
        ix[c] = -1;
    }
    while ((r = employer_csv_next((const char *)buf, len, &off, &line, &rec,
                err, sizeof(err))) != 0) {
        if (r < 0) {
            printf("BAD  %s:%u: %s\n", term_text(path), rec.line,
                term_text(err));
            bad++;
            continue;
        }
        if (header) {
            for (i = 0; i < rec.n; i++) {
                for (c = 0; c < C_N; c++) {
                    if (strcmp(rec.f[i], colnames[c]) == 0) {
                        ix[c] = (int)i;
                    }
                }
            }
            header = 0;
            employer_csv_clear(&rec);
            if (ix[C_DOC] < 0 || ix[C_REC] < 0 || ix[C_SIG] < 0) {
                warnx_("%s is not a push report (no document, receipt and "
                       "receipt_signature columns)", path);
                free(buf);
                return (EXIT_ERR);
            }
            continue;
        }
        if (col(&rec, ix, C_DOC)[0] == '\0') {
            none++;
        } else if (check_one(&rec, ix, key, C_DOC, C_REC, C_SIG,
                       "payslip") == 0) {
            ok++;
        } else {
            bad++;
        }
        if (col(&rec, ix, C_FDOC)[0] != '\0') {
            if (check_one(&rec, ix, key, C_FDOC, C_FREC, C_FSIG,
                    "payroll-facts") == 0) {
                ok++;
            } else {
                bad++;
            }
        }
        employer_csv_clear(&rec);
    }
    free(buf);
    printf("%zu receipts verified, %zu bad, %zu rows without a receipt\n",
        ok, bad, none);
    return (bad == 0 ? EXIT_OK : EXIT_INTEGRITY);
}

int
cmd_receipts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"key-file", required_argument, NULL, OPT_KEYFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *keyarg = NULL, *keyfile = NULL;
    struct minisig_pubkey pk;
    char *key = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "P:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'P':
        case OPT_KEY: keyarg = optarg; break;
        case 'p':
        case OPT_KEYFILE: keyfile = optarg; break;
        case 'h': return (command_help("receipts"));
        default: return (usage_error("receipts", "bad option"));
        }
    }
    if (argc - optind != 2 || strcmp(argv[optind], "verify") != 0) {
        return (usage_error("receipts", "usage: receipts verify REPORT"));
    }
    if ((rc = key_get(keyarg, keyfile, &key)) != EXIT_OK) {
        return (rc);
    }
    if (minisig_pubkey_parse(key, strlen(key), &pk) != 0) {
        warnx_("the server key is not a minisign public key");
        free(key);
        return (EXIT_USAGE);
    }
    rc = receipts_verify(argv[optind + 1], key);
    free(key);
    return (rc);
}
