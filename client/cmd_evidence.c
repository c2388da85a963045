#define _GNU_SOURCE /* getopt_long */
#include "client/cmd_evidence.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "activity/accrual.h"
#include "activity/statement.h"
#include "client/client.h"
#include "client/commands.h"
#include "client/docs.h"
#include "client/fetchdoc.h"
#include "client/http.h"
#include "client/safedocs.h"
#include "client/session.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * The person publishes a statement built from the employer-signed payroll
 * facts of its safe and grants it to a service; the service pulls what it
 * was given and checks every signature and every figure again.
 */

#define EVIDENCE_TC_KIND "coffre-doc-v1"
#define FACTS_TC_KIND "coffre-payroll-facts-v1"
#define EMPLOYERS_MAX 256       /* employer keys cached during a pull */

const char cmd_evidence_summary[] =
    "hand activity statements to an account service, or check them";
const char cmd_evidence_help[] =
    "Usage: coffre evidence publish --to SERVICE [--years FROM-TO]\n"
    "                       [--low-qualified-since YEAR] [--dif-hours N]\n"
    "                       [--cec ACTIVITY:YEAR...]\n"
    "       coffre evidence revoke [--to SERVICE] [DOC...]\n"
    "       coffre evidence pull [--json]\n"
    "\n"
    "publish (a person): build an activity statement from the payroll\n"
    "facts that employers deposited in the safe (each one's signature and\n"
    "trusted comment verified; DSN files and payslips read by a hook are\n"
    "not in it, as no employer signature backs them), with the periods and\n"
    "the accrual as `coffre accrual --json` prints it; sign it, store it as\n"
    "class evidence and share it with SERVICE.  Prints the document id.\n"
    "--years keeps the facts of those years and computes the accrual from\n"
    "FROM to TO (default: from the first year with facts to the last\n"
    "complete year).  The declarations (--low-qualified-since, --dif-hours,\n"
    "--cec, as for `coffre accrual`) go into the statement as the person's.\n"
    "\n"
    "revoke (a person): take back the services' grants on statements: on\n"
    "the DOCs given, or on every evidence document; only SERVICE's with\n"
    "--to.\n"
    "\n"
    "pull (an account service): list the statements shared with the\n"
    "service, download each, verify the person's signature (key from the\n"
    "directory), every employer signature behind the periods (key from the\n"
    "directory by SIRET; the trusted comment must bind the vault, period,\n"
    "class and bytes), compute the periods and accrual again and compare.\n"
    "Prints per statement: vault, years, balance and OK, or each difference\n"
    "(FLAGGED).  Exit code 5 when any statement is flagged.\n"
    "\n"
    "Options:\n"
    "  --to SERVICE          the account service (a directory name)\n"
    "  --years FROM-TO       years of the statement, e.g. 2015-2024\n"
    "  --json                pull: print {\"statements\":[...]}\n"
    "  --passphrase-file F   read the key file's passphrase from F\n"
    "\n"
    "Examples:\n"
    "  coffre evidence publish --to cnav --years 2015-2024\n"
    "  coffre evidence revoke --to cnav\n"
    "  coffre evidence pull --json\n";

enum { OPT_TO = 256, OPT_YEARS, OPT_LQ, OPT_DIF, OPT_CEC, OPT_JSON,
    OPT_PASSFILE, OPT_HELP };

struct evopts {
    const char *to;
    const char *passfile;
    int from, until, lq, dif, json;
    struct accrual_cec cec[ACCRUAL_CEC_MAX];
    size_t ncec;
};

/* Parse "FROM-TO" (or one YEAR); return 0 or -1. */
static int
years_arg(const char *s, int *from, int *to)
{
    char a[16];
    const char *dash = strchr(s, '-');
    unsigned long long x, y;
    size_t n = dash != NULL ? (size_t)(dash - s) : strlen(s);

    if (n == 0 || n >= sizeof(a)) {
        return (-1);
    }
    memcpy(a, s, n);
    a[n] = '\0';
    if (parse_uint(a, ACCRUAL_LAST_YEAR, &x) != 0 ||
        parse_uint(dash != NULL ? dash + 1 : a, ACCRUAL_LAST_YEAR, &y) !=
        0 || x < ACCRUAL_FIRST_YEAR || y < x) {
        return (-1);
    }
    *from = (int)x;
    *to = (int)y;
    return (0);
}

/* Parse the options of subcommand ${sub}; -1 to go on, else an exit code. */
static int
parse_opts(const char *sub, int argc, char **argv, struct evopts *o)
{
    static const struct option opts[] = {
        { "to", required_argument, NULL, OPT_TO },
        { "years", required_argument, NULL, OPT_YEARS },
        { "low-qualified-since", required_argument, NULL, OPT_LQ },
        { "dif-hours", required_argument, NULL, OPT_DIF },
        { "cec", required_argument, NULL, OPT_CEC },
        { "json", no_argument, NULL, OPT_JSON },
        { "passphrase-file", required_argument, NULL, OPT_PASSFILE },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    int publish = strcmp(sub, "publish") == 0, c;
    unsigned long long v;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if ((!publish && (c == OPT_YEARS || c == OPT_LQ || c == OPT_DIF ||
            c == OPT_CEC)) || (strcmp(sub, "pull") == 0 && c == OPT_TO) ||
            (strcmp(sub, "pull") != 0 && c == OPT_JSON)) {
            return (usage_error("evidence", "evidence %s takes no %s", sub,
                argv[optind - 1]));
        }
        switch (c) {
        case OPT_TO:
            if (!statement_service_valid(optarg)) {
                return (usage_error("evidence", "--to takes a service "
                    "name, not '%s'", optarg));
            }
            o->to = optarg;
            break;
        case OPT_YEARS:
            if (years_arg(optarg, &o->from, &o->until) != 0) {
                return (usage_error("evidence", "bad --years '%s' (for "
                    "example 2015-2024)", optarg));
            }
            break;
        case OPT_LQ:
            if (parse_uint(optarg, ACCRUAL_LAST_YEAR, &v) != 0 || v < 1900) {
                return (usage_error("evidence", "bad --low-qualified-since "
                    "year: %s", optarg));
            }
            o->lq = (int)v;
            break;
        case OPT_DIF:
            if (parse_uint(optarg, ACCRUAL_DIF_MAX, &v) != 0) {
                return (usage_error("evidence", "--dif-hours takes 0 to "
                    "%d", ACCRUAL_DIF_MAX));
            }
            o->dif = (int)v;
            break;
        case OPT_CEC:
            if (accrual_cec_parse_list(optarg, o->cec, &o->ncec) != 0) {
                return (usage_error("evidence", "bad --cec %s "
                    "(ACTIVITY:YEAR)", optarg));
            }
            break;
        case OPT_JSON: o->json = 1; break;
        case OPT_PASSFILE: o->passfile = optarg; break;
        case 'h':
        case OPT_HELP: return (command_help("evidence"));
        case ':':
            return (usage_error("evidence", "%s needs a value",
                argv[optind - 1]));
        default:
            return (usage_error("evidence", "unknown option %s",
                argv[optind - 1]));
        }
    }
    if (publish && o->to == NULL) {
        return (usage_error("evidence", "publish needs --to SERVICE"));
    }
    if (strcmp(sub, "revoke") != 0 && optind != argc) {
        return (usage_error("evidence", "evidence %s takes no operand",
            sub));
    }
    return (-1);
}

/* Open the session as an account of ${kind}; return an exit code. */
static int
open_as(const struct evopts *o, const char *kind, struct session **s)
{
    int rc;

    if ((rc = session_open(o->passfile, 1, s)) != EXIT_OK) {
        return (rc);
    }
    if ((*s)->kind == NULL || strcmp((*s)->kind, kind) != 0) {
        warnx_("this command is for %s accounts; this one is a %s",
            strcmp(kind, "person") == 0 ? "person" : "service",
            (*s)->kind != NULL ? (*s)->kind : "(unknown kind)");
        session_free(*s);
        *s = NULL;
        return (EXIT_USAGE);
    }
    return (EXIT_OK);
}

/* The RFC 3339 time of now into ${buf}. */
static void
now_rfc3339(char buf[21])
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20) {
        strcpy(buf, "1970-01-01T00:00:00Z");
    }
}

/* Wipe the facts' plaintext in ${st}, then release it. */
static void
statement_wipe_free(struct statement *st)
{
    size_t i;

    for (i = 0; st != NULL && i < st->nfacts; i++) {
        secmem_wipe(st->facts[i].text, st->facts[i].textlen);
    }
    statement_free(st);
}

/* Build statement ${st} (vault and service set) from the verified facts
 * of ${sd}.  Return an exit code, with a message. */
static int
build_statement(const struct evopts *o, const struct safedocs *sd,
    struct statement *st)
{
    struct statement_diffs d;
    struct statement_fact f;
    json_t *periods = NULL, *accrual = NULL;
    size_t i;
    int y;

    st->from = o->from ? o->from : ACCRUAL_LAST_YEAR;
    st->to = o->until ? o->until : last_complete_year();
    st->low_qualified_since = o->lq;
    st->dif_hours = o->dif;
    memcpy(st->cec, o->cec, sizeof(st->cec));
    st->ncec = o->ncec;
    now_rfc3339(st->created);
    for (i = 0; i < sd->nfacts; i++) {
        const struct safedocs_fact *sf = &sd->facts[i];

        /* Years before the training account (DIF) do not count. */
        y = (int)strtol(sf->period, NULL, 10);
        if (y < (o->from ? o->from : ACCRUAL_FIRST_YEAR) || y > st->to) {
            continue;
        }
        if (o->from == 0 && y < st->from) {
            st->from = y;
        }
        memset(&f, 0, sizeof(f));
        snprintf(f.document, sizeof(f.document), "%s", sf->doc);
        snprintf(f.siret, sizeof(f.siret), "%s", sf->siret);
        snprintf(f.period, sizeof(f.period), "%s", sf->period);
        snprintf(f.employer_key, sizeof(f.employer_key), "%s",
            sf->signer_key);
        f.text = sf->text;
        f.textlen = sf->len;
        f.signature = sf->signature;
        if (statement_add_fact(st, &f) != 0) {
            warnx_("out of memory");
            return (EXIT_ERR);
        }
    }
    if (st->nfacts == 0) {
        warnx_("no payroll facts signed by an employer for those years in "
            "the safe: nothing to publish");
        return (EXIT_ERR);
    }
    memset(&d, 0, sizeof(d));
    if (statement_recompute(st, NULL, &periods, &accrual, &d) != 0) {
        warnx_("out of memory");
        statement_diffs_clear(&d);
        return (EXIT_ERR);
    }
    if (d.n > 0 || accrual == NULL) {
        for (i = 0; i < d.n; i++) {
            warnx_("%s", d.v[i]);
        }
        warnx_("the statement cannot be built from these facts");
        statement_diffs_clear(&d);
        json_decref(periods);
        json_decref(accrual);
        return (EXIT_ERR);
    }
    statement_diffs_clear(&d);
    st->periods = periods;
    st->accrual = accrual;
    return (EXIT_OK);
}

/* Store the statement text ${text} in the person's vault; *${id} gets the
 * new document's id.  Return an exit code. */
static int
deposit_statement(struct session *s, const struct statement *st,
    const char *text, char **id)
{
    struct keys *k;
    char tc[256], name[128], stamp[32];
    size_t i, j;
    int fd, rc;

    *id = NULL;
    if ((k = session_keys(s)) == NULL) {
        return (EXIT_AUTH);
    }
    for (i = j = 0; st->created[i] != '\0' && j + 1 < sizeof(stamp); i++) {
        if (st->created[i] != '-' && st->created[i] != ':') {
            stamp[j++] = st->created[i];
        }
    }
    stamp[j] = '\0';
    snprintf(name, sizeof(name), "activity-statement-%s-%s.json",
        st->service, stamp);
    snprintf(tc, sizeof(tc), "%s\tvault:%s\tclass:evidence",
        EVIDENCE_TC_KIND, s->account);
    if ((fd = tmpfile_fd()) < 0) {
        return (EXIT_ERR);
    }
    if (write_all(fd, text, strlen(text)) != 0 ||
        lseek(fd, 0, SEEK_SET) != 0) {
        warnx_("cannot write a temporary file");
        close(fd);
        return (EXIT_ERR);
    }
    rc = docs_deposit(s, s->account, fd, name, "evidence", k->x25519_pk, tc,
        NULL, NULL, NULL, id);
    close(fd);
    return (rc);
}

/* coffre evidence publish */
static int
evidence_publish(const struct evopts *o)
{
    uint8_t rcpt[AGE_X25519_BYTES];
    struct session *s = NULL;
    struct statement *st = NULL;
    struct safedocs sd;
    json_t *j = NULL, *rec = NULL;
    char *account = NULL, *text = NULL, *id = NULL;
    int rc;

    memset(&sd, 0, sizeof(sd));
    if ((rc = open_as(o, "person", &s)) != EXIT_OK) {
        return (rc);
    }
    if ((rc = docs_lookup_reader(s, o->to, &account, rcpt)) != EXIT_OK ||
        (rc = safedocs_read(s, NULL, NULL, &sd)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        goto done;
    }
    snprintf(st->vault, sizeof(st->vault), "%s", s->account);
    snprintf(st->service, sizeof(st->service), "%s", account);
    if ((rc = build_statement(o, &sd, st)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if ((j = statement_to_json(st)) == NULL ||
        (text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15))) ==
        NULL) {
        warnx_("out of memory");
        goto done;
    }
    if ((rc = deposit_statement(s, st, text, &id)) != EXIT_OK ||
        (rc = docs_resolve(s, id, &rec)) != EXIT_OK ||
        (rc = docs_grant(s, rec, account, rcpt)) != EXIT_OK) {
        if (id != NULL) {
            warnx_("the statement %s is stored but not shared", id);
        }
        goto done;
    }
    printf("%s\n", term_text(id));
    infox("statement for %d-%d (%zu payroll facts) shared with %s", st->from,
        st->to, st->nfacts, account);
    rc = EXIT_OK;

done:
    json_decref(rec);
    json_decref(j);
    if (text != NULL) {
        secmem_wipe(text, strlen(text));
    }
    free(text);
    free(id);
    free(account);
    statement_wipe_free(st);
    safedocs_clear(&sd);
    session_free(s);
    return (rc);
}

/* Revoke the service grants of document ${rec} (only ${to}'s if set);
 * add to *${n}.  Return an exit code. */
static int
revoke_one(struct session *s, json_t *rec, const char *to, size_t *n)
{
    const char *id = json_string_value(json_object_get(rec, "document"));
    const char *acct, *kind;
    json_t *resp = NULL, *g, *dresp;
    char *path = NULL, *p2 = NULL, *e, *suffix;
    size_t i;
    int rc;

    if (id == NULL || (path = docs_path(id, "/grants")) == NULL) {
        return (EXIT_ERR);
    }
    if ((rc = api_call(s, "GET", path, NULL, 200, "grants", &resp)) !=
        EXIT_OK) {
        free(path);
        return (rc);
    }
    json_array_foreach(json_object_get(resp, "grants"), i, g) {
        acct = json_string_value(json_object_get(g, "account"));
        kind = json_string_value(json_object_get(g, "kind"));
        if (acct == NULL || kind == NULL || strcmp(kind, "service") != 0 ||
            (to != NULL && strcmp(acct, to) != 0)) {
            continue;
        }
        if ((e = http_escape(acct)) == NULL ||
            (suffix = str_concat("/grants/", e)) == NULL) {
            free(e);
            rc = EXIT_ERR;
            break;
        }
        free(e);
        p2 = docs_path(id, suffix);
        free(suffix);
        if (p2 == NULL) {
            rc = EXIT_ERR;
            break;
        }
        rc = api_call(s, "DELETE", p2, NULL, 204, "revoke", &dresp);
        free(p2);
        json_decref(dresp);
        if (rc != EXIT_OK) {
            break;
        }
        printf("%s\t%s\trevoked\n", term_text(id), term_text(acct));
        (*n)++;
    }
    json_decref(resp);
    free(path);
    return (rc);
}

/* coffre evidence revoke */
static int
evidence_revoke(const struct evopts *o, int argc, char **argv)
{
    struct session *s = NULL;
    json_t *all = NULL, *rec, *cls;
    size_t i, n = 0;
    int rc, a;

    if ((rc = open_as(o, "person", &s)) != EXIT_OK) {
        return (rc);
    }
    if (optind == argc) {
        if ((rc = docs_list(s, "evidence", &all)) != EXIT_OK) {
            goto done;
        }
        json_array_foreach(all, i, rec) {
            if ((rc = revoke_one(s, rec, o->to, &n)) != EXIT_OK) {
                goto done;
            }
        }
    }
    for (a = optind; a < argc; a++) {
        if ((rc = docs_resolve(s, argv[a], &rec)) != EXIT_OK) {
            goto done;
        }
        cls = json_object_get(rec, "class");
        if (json_string_value(cls) == NULL ||
            strcmp(json_string_value(cls), "evidence") != 0) {
            warnx_("%s is not an activity statement (class %s)", argv[a],
                json_string_value(cls) != NULL ? json_string_value(cls) :
                "?");
            json_decref(rec);
            rc = EXIT_USAGE;
            goto done;
        }
        rc = revoke_one(s, rec, o->to, &n);
        json_decref(rec);
        if (rc != EXIT_OK) {
            goto done;
        }
    }
    if (n == 0) {
        infox("no grant to revoke");
    }
    rc = EXIT_OK;

done:
    json_decref(all);
    session_free(s);
    return (rc);
}

/*
 * The service side.
 */

/* Employer keys already looked up during a pull. */
struct keycache {
    struct {
        char name[20];
        char key[STATEMENT_KEY_LEN + 1];  /* "" if unknown */
    } v[EMPLOYERS_MAX];
    size_t n;
};

/* The minisign key of directory entry ${dir}/${name} into ${key}.  Return
 * EXIT_OK; EXIT_NOTFOUND if the directory does not know it or gives no
 * key; another exit code if the directory could not be asked (a message
 * is printed): that says nothing of the entry. */
static int
dir_key(struct session *s, const char *dir, const char *name,
    char key[STATEMENT_KEY_LEN + 1])
{
    json_t *resp = NULL;
    const char *k;
    char *e, *p1, *path;
    int rc;

    key[0] = '\0';
    if ((e = http_escape(name)) == NULL) {
        return (EXIT_ERR);
    }
    p1 = str_concat(dir, e);
    free(e);
    if ((path = p1) == NULL) {
        return (EXIT_ERR);
    }
    if ((rc = api_call(s, "GET", path, NULL, 200, name, &resp)) ==
        EXIT_OK) {
        if ((k = json_string_value(json_object_get(resp,
            "minisign_key"))) != NULL && strlen(k) == STATEMENT_KEY_LEN) {
            memcpy(key, k, STATEMENT_KEY_LEN + 1);
        } else {
            rc = EXIT_NOTFOUND;
        }
    }
    json_decref(resp);
    free(path);
    return (rc);
}

/* The employer key of ${siret}, cached, into *${key} (NULL if the
 * directory does not know it).  Return EXIT_OK, or the exit code of a
 * directory that could not be asked (not cached). */
static int
employer_key(struct session *s, struct keycache *kc, const char *siret,
    const char **key)
{
    size_t i;
    int rc;

    *key = NULL;
    for (i = 0; i < kc->n; i++) {
        if (strcmp(kc->v[i].name, siret) == 0) {
            *key = kc->v[i].key[0] != '\0' ? kc->v[i].key : NULL;
            return (EXIT_OK);
        }
    }
    if (kc->n == EMPLOYERS_MAX) {
        kc->n = 0;  /* forget them all: a statement rarely has so many */
    }
    rc = dir_key(s, "/v1/directory/employers/", siret, kc->v[kc->n].key);
    if (rc != EXIT_OK && rc != EXIT_NOTFOUND) {
        return (rc);
    }
    snprintf(kc->v[kc->n].name, sizeof(kc->v[kc->n].name), "%s", siret);
    kc->n++;
    *key = kc->v[kc->n - 1].key[0] != '\0' ? kc->v[kc->n - 1].key : NULL;
    return (EXIT_OK);
}

/* Verify fact ${i} of ${st}; record what is wrong in ${d}.  Return 1 if it
 * may be used, 0 if not, -1 on allocation failure or if the directory
 * could not be asked (a message is printed). */
static int
check_fact(struct session *s, struct keycache *kc, const struct statement *st,
    size_t i, struct statement_diffs *d)
{
    const struct statement_fact *f = &st->facts[i];
    struct minisig_pubkey pk;
    struct minisig sig;
    uint8_t sha[DIGEST_BYTES];
    const char *key;
    char why[200], period[8];

    if (employer_key(s, kc, f->siret, &key) != EXIT_OK) {
        return (-1);
    }
    if (key == NULL) {
        return (statement_diff(d, "facts[%zu] (SIRET %s, %s): the employer "
            "is not in the directory", i, f->siret, f->period) ? -1 : 0);
    }
    if (strcmp(key, f->employer_key) != 0 &&
        statement_diff(d, "facts[%zu] (SIRET %s, %s): employer_key is not "
        "the directory's key of that SIRET", i, f->siret, f->period) != 0) {
        return (-1);
    }
    if (minisig_parse(f->signature, strlen(f->signature), &sig) != 0 ||
        minisig_pubkey_parse(key, strlen(key), &pk) != 0 ||
        minisig_verify_buf((const uint8_t *)f->text, f->textlen, &sig,
        &pk) != 0) {
        return (statement_diff(d, "facts[%zu] (SIRET %s, %s): the employer "
            "signature does not verify", i, f->siret, f->period) ? -1 : 0);
    }
    digest_buf((const uint8_t *)f->text, f->textlen, sha);
    if (safedocs_tc_check(sig.trusted, FACTS_TC_KIND, st->vault,
        "payroll-facts", sha, f->siret, period, why, sizeof(why)) != 0) {
        return (statement_diff(d, "facts[%zu] (SIRET %s, %s): %s", i,
            f->siret, f->period, why) ? -1 : 0);
    }
    if (strcmp(period, f->period) != 0) {
        return (statement_diff(d, "facts[%zu] (SIRET %s, %s): the employer "
            "signed them for %s", i, f->siret, f->period, period) ? -1 : 0);
    }
    return (1);
}

/* The outcome of one statement. */
struct pulled {
    const char *doc;
    char vault[STATEMENT_VAULT_LEN + 1];
    char created[21];
    int from, to;
    json_t *balance;       /* stated, or NULL */
    json_t *recomputed;    /* recomputed balance, or NULL */
    struct statement_diffs d;
};

/* Download, verify and recompute the statement of record ${rec} into
 * ${p}.  Return an exit code for failures that stop the pull (the
 * statement's own faults are differences in ${p}->d). */
static int
check_statement(struct session *s, struct keycache *kc, json_t *rec,
    struct pulled *p)
{
    const char *vault = json_string_value(json_object_get(rec, "vault"));
    const char *dep = json_string_value(json_object_get(rec, "depositor"));
    char key[STATEMENT_KEY_LEN + 1], why[200], err[256];
    struct statement *st = NULL;
    json_t *periods = NULL, *accrual = NULL;
    unsigned char *use = NULL;
    struct fetchdoc f;
    struct keys *k;
    struct plainbuf b;
    size_t i;
    int rc = EXIT_ERR, r;

    memset(&b, 0, sizeof(b));
    b.max = STATEMENT_MAX_BYTES;
    if (vault == NULL || dep == NULL || (k = session_keys(s)) == NULL) {
        return (EXIT_ERR);
    }
    snprintf(p->vault, sizeof(p->vault), "%s", vault);
    if (strcmp(dep, vault) != 0) {
        return (statement_diff(&p->d, "deposited by %s, not by the vault's "
            "owner", dep) ? EXIT_ERR : EXIT_OK);
    }
    /* The person's key comes from the directory, not from the record. */
    if ((r = dir_key(s, "/v1/directory/vaults/", vault, key)) ==
        EXIT_NOTFOUND) {
        return (statement_diff(&p->d, "the vault is not in the directory")
            ? EXIT_ERR : EXIT_OK);
    }
    if (r != EXIT_OK) {
        return (r);
    }
    if (json_object_set_new(rec, "signer_key", json_string(key)) != 0) {
        return (EXIT_ERR);
    }
    memset(&f, 0, sizeof(f));
    f.plain_sink = plainbuf_sink;
    f.plain_cookie = &b;
    f.label = p->doc;
    r = fetchdoc_run(s, rec, k->x25519_sk, &f);
    if (b.toobig) {
        rc = statement_diff(&p->d, "larger than a statement may be (%u "
            "bytes)", STATEMENT_MAX_BYTES) ? EXIT_ERR : EXIT_OK;
        goto done;
    }
    if (r == EXIT_INTEGRITY) {
        rc = statement_diff(&p->d, "%s", f.sig_failed ? "the person's "
            "signature does not verify" : "the document is damaged") ?
            EXIT_ERR : EXIT_OK;
        goto done;
    }
    if (r != EXIT_OK) {
        rc = r;
        goto done;
    }
    if (safedocs_tc_check(f.trusted, EVIDENCE_TC_KIND, vault, "evidence",
        f.pt_sha256, NULL, NULL, why, sizeof(why)) != 0) {
        rc = statement_diff(&p->d, "the person's signature: %s", why) ?
            EXIT_ERR : EXIT_OK;
        goto done;
    }
    if ((r = statement_parse(b.p != NULL ? b.p : (const uint8_t *)"", b.len,
        &st, err, sizeof(err))) != 0) {
        rc = r == -1 || statement_diff(&p->d, "not a valid statement: %s",
            err) ? EXIT_ERR : EXIT_OK;
        goto done;
    }
    p->from = st->from;
    p->to = st->to;
    snprintf(p->created, sizeof(p->created), "%s", st->created);
    p->balance = json_incref(json_object_get(st->accrual, "balance"));
    if ((strcmp(st->vault, vault) != 0 && statement_diff(&p->d, "the "
        "statement names vault %s", st->vault) != 0) ||
        (strcmp(st->service, s->account) != 0 && statement_diff(&p->d,
        "the statement is for service %s", st->service) != 0)) {
        goto done;
    }
    if (st->nfacts > 0 && (use = calloc(st->nfacts, 1)) == NULL) {
        goto done;
    }
    for (i = 0; i < st->nfacts; i++) {
        if ((r = check_fact(s, kc, st, i, &p->d)) < 0) {
            goto done;
        }
        use[i] = (unsigned char)r;
    }
    if (statement_recompute(st, use, &periods, &accrual, &p->d) != 0 ||
        statement_compare(st->periods, periods, "periods", &p->d) != 0 ||
        (accrual != NULL && statement_compare(st->accrual, accrual,
        "accrual", &p->d) != 0)) {
        goto done;
    }
    p->recomputed = json_incref(json_object_get(accrual, "balance"));
    rc = EXIT_OK;

done:
    plainbuf_free(&b);
    free(use);
    json_decref(periods);
    json_decref(accrual);
    statement_wipe_free(st);
    return (rc);
}

/* A balance {"amount":…,"unit":…} as text.  It is the statement's, not
 * yet checked: a unit other than those of accrual_to_json() is not
 * printed (it could hold a terminal escape). */
static void
balance_text(const json_t *bal, char *out, size_t outlen)
{
    const char *unit = json_string_value(json_object_get(bal, "unit"));
    double a = json_number_value(json_object_get(bal, "amount"));

    if (unit != NULL && strcmp(unit, "EUR") == 0) {
        snprintf(out, outlen, "%.2f EUR", a);
    } else if (unit != NULL && strcmp(unit, "h") == 0) {
        snprintf(out, outlen, "%.0f h", a);
    } else {
        snprintf(out, outlen, "?");
    }
}

/* Print ${p} as text. */
static void
print_pulled(const struct pulled *p)
{
    char bal[64];
    size_t i;
    int ok = p->d.n == 0 && p->d.dropped == 0;

    balance_text(p->balance, bal, sizeof(bal));
    printf("%s  %s  %d-%d  %s  %s\n", term_text(p->doc), term_text(p->vault),
        p->from, p->to, bal, ok ? "OK" : "FLAGGED");
    for (i = 0; i < p->d.n; i++) {
        printf("  - %s\n", term_text(p->d.v[i]));
    }
    if (p->d.dropped > 0) {
        printf("  - ... and %zu more differences\n", p->d.dropped);
    }
}

/* ${p} as a JSON object (new reference or NULL). */
static json_t *
pulled_json(const struct pulled *p)
{
    json_t *diffs = json_array(), *o;
    size_t i;

    for (i = 0; diffs != NULL && i < p->d.n; i++) {
        if (json_array_append_new(diffs, json_string(p->d.v[i])) != 0) {
            json_decref(diffs);
            diffs = NULL;
        }
    }
    if (diffs == NULL) {
        return (NULL);
    }
    o = json_pack("{s:s,s:s,s:s?,s:{s:i,s:i},s:O?,s:O?,s:b,s:o,s:I}",
        "document", p->doc, "vault", p->vault, "created",
        p->created[0] ? p->created : NULL, "years", "from", p->from, "to",
        p->to, "balance", p->balance, "recomputed_balance", p->recomputed,
        "ok", p->d.n == 0 && p->d.dropped == 0, "differences", diffs,
        "more_differences", (json_int_t)p->d.dropped);
    return (o);
}

/* One page of GET /v1/shared?class=evidence after ${cursor}. */
static int
shared_page(struct session *s, const char *cursor, json_t **resp)
{
    char *e = NULL, *path;
    int rc;

    if (cursor != NULL && (e = http_escape(cursor)) == NULL) {
        return (EXIT_ERR);
    }
    path = str_concat("/v1/shared?class=evidence&limit=200&cursor=",
        e != NULL ? e : "");
    free(e);
    if (path == NULL) {
        return (EXIT_ERR);
    }
    if (cursor == NULL) {
        path[strlen(path) - strlen("&cursor=")] = '\0';
    }
    rc = api_call(s, "GET", path, NULL, 200, "shared documents", resp);
    free(path);
    return (rc);
}

/* Pull and check one listed statement; append to ${out} or print.  Set
 * *${flagged} when it failed.  Return an exit code. */
static int
pull_one(struct session *s, struct keycache *kc, json_t *entry,
    const struct evopts *o, json_t *out, int *flagged)
{
    const char *id = json_string_value(json_object_get(entry, "document"));
    struct pulled p;
    json_t *rec = NULL, *j;
    char *path;
    int rc;

    if (id == NULL || (path = docs_path(id, "")) == NULL) {
        return (EXIT_ERR);
    }
    /* Read the record itself: the read goes to the owner's audit log. */
    rc = api_call(s, "GET", path, NULL, 200, id, &rec);
    free(path);
    if (rc == EXIT_NOTFOUND) {
        return (EXIT_OK);  /* revoked or deleted since the listing */
    }
    if (rc != EXIT_OK) {
        return (rc);
    }
    memset(&p, 0, sizeof(p));
    p.doc = id;
    rc = check_statement(s, kc, rec, &p);
    if (rc == EXIT_OK) {
        if (p.d.n > 0 || p.d.dropped > 0) {
            *flagged = 1;
        }
        if (o->json) {
            if ((j = pulled_json(&p)) == NULL ||
                json_array_append_new(out, j) != 0) {
                rc = EXIT_ERR;
            }
        } else {
            print_pulled(&p);
        }
    }
    json_decref(p.balance);
    json_decref(p.recomputed);
    statement_diffs_clear(&p.d);
    json_decref(rec);
    return (rc);
}

/* coffre evidence pull */
static int
evidence_pull(const struct evopts *o)
{
    struct session *s = NULL;
    struct keycache *kc = NULL;
    json_t *resp = NULL, *out = NULL, *e;
    char *cursor = NULL;
    const char *next;
    size_t i, n = 0;
    int rc, flagged = 0;

    if ((rc = open_as(o, "service", &s)) != EXIT_OK) {
        return (rc);
    }
    rc = EXIT_ERR;
    if ((kc = calloc(1, sizeof(*kc))) == NULL ||
        (out = json_array()) == NULL) {
        goto done;
    }
    for (;;) {
        if ((rc = shared_page(s, cursor, &resp)) != EXIT_OK) {
            goto done;
        }
        json_array_foreach(json_object_get(resp, "documents"), i, e) {
            if ((rc = pull_one(s, kc, e, o, out, &flagged)) != EXIT_OK) {
                goto done;
            }
            n++;
        }
        free(cursor);
        cursor = NULL;
        next = json_string_value(json_object_get(resp, "next"));
        if (next != NULL && (cursor = strdup(next)) == NULL) {
            rc = EXIT_ERR;
            goto done;
        }
        json_decref(resp);
        resp = NULL;
        if (cursor == NULL) {
            break;
        }
    }
    if (o->json) {
        e = json_pack("{s:O}", "statements", out);
        if (e == NULL || json_print(e, JSON_INDENT(2) |
            JSON_REAL_PRECISION(15)) != 0 || putchar('\n') == EOF) {
            json_decref(e);
            rc = EXIT_ERR;
            goto done;
        }
        json_decref(e);
    } else if (n == 0) {
        infox("no statements shared with %s", s->account);
    }
    if (fflush(stdout) == EOF) {
        rc = EXIT_ERR;
        goto done;
    }
    rc = flagged ? EXIT_INTEGRITY : EXIT_OK;

done:
    json_decref(resp);
    json_decref(out);
    free(cursor);
    free(kc);
    session_free(s);
    return (rc);
}

int
cmd_evidence(int argc, char **argv)
{
    struct evopts o;
    const char *sub;
    int rc;

    if (argc < 2) {
        return (usage_error("evidence", "name a subcommand: publish, "
            "revoke or pull"));
    }
    sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
        strcmp(sub, "help") == 0) {
        return (command_help("evidence"));
    }
    if (strcmp(sub, "publish") != 0 && strcmp(sub, "revoke") != 0 &&
        strcmp(sub, "pull") != 0) {
        return (usage_error("evidence", "unknown subcommand '%s'", sub));
    }
    memset(&o, 0, sizeof(o));
    if ((rc = parse_opts(sub, argc - 1, argv + 1, &o)) >= 0) {
        return (rc);
    }
    if (strcmp(sub, "publish") == 0) {
        return (evidence_publish(&o));
    }
    if (strcmp(sub, "revoke") == 0) {
        return (evidence_revoke(&o, argc - 1, argv + 1));
    }
    return (evidence_pull(&o));
}
