#define _DEFAULT_SOURCE
#include "client/employer.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "activity/facts.h"
#include "client/client.h"
#include "client/doc.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/* Crockford base32, and its check alphabet (docs/API.md §1). */
static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char b32check[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

int
employer_vault_normalise(const char *in, char out[EMPLOYER_VAULT_LEN + 1])
{
    char sym[13];
    const char *p;
    uint64_t v = 0;
    size_t n = 0, i, o = 0;
    int c;

    out[0] = '\0';
    for (; *in != '\0'; in++) {
        c = toupper((unsigned char)*in);
        if (c == ' ' || c == '-') {
            continue;
        }
        if (c == 'I' || c == 'L') {
            c = '1';
        } else if (c == 'O') {
            c = '0';
        }
        if (n == sizeof(sym)) {
            return (-1);
        }
        sym[n++] = (char)c;
    }
    if (n != sizeof(sym)) {
        return (-1);
    }
    for (i = 0; i < 12; i++) {
        if (sym[i] == '\0' || (p = strchr(b32, sym[i])) == NULL) {
            return (-1);
        }
        v = (v << 5) | (uint64_t)(p - b32);
    }
    if (sym[12] != b32check[v % 37]) {
        return (-1);
    }
    for (i = 0; i < 13; i++) {
        if (i == 4 || i == 8 || i == 12) {
            out[o++] = '-';
        }
        out[o++] = sym[i];
    }
    out[o] = '\0';
    return (0);
}

int
employer_siret_valid(const char *s)
{
    unsigned sum = 0, plain = 0, d;
    size_t i;

    if (strlen(s) != EMPLOYER_SIRET_LEN) {
        return (0);
    }
    for (i = 0; i < EMPLOYER_SIRET_LEN; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
        d = (unsigned)(s[i] - '0');
        plain += d;
        /* Luhn: double every second digit from the right. */
        if ((EMPLOYER_SIRET_LEN - i) % 2 == 0) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    if (sum % 10 == 0) {
        return (1);
    }
    return (strncmp(s, "356000000", 9) == 0 && plain % 5 == 0);
}

void
employer_csv_clear(struct employer_csv_rec *rec)
{
    size_t i;

    for (i = 0; i < rec->n; i++) {
        free(rec->f[i]);
        rec->f[i] = NULL;
    }
    rec->n = 0;
}

/*
 * Skip to the start of the next record after an error, ${quoted} if the
 * error came inside a quoted field: a newline between quotes does not end
 * the record.
 */
static void
csv_skip_record(const char *buf, size_t len, size_t *off, unsigned *line,
    int quoted)
{
    char c;

    while (*off < len) {
        c = buf[(*off)++];
        if (c == '"') {
            quoted = !quoted;
        } else if (c == '\n') {
            (*line)++;
            if (!quoted) {
                break;
            }
        }
    }
}

/* Append byte ${c} to field buffer ${fb} of length *${fl}. */
static int
csv_put(char *fb, size_t *fl, char c)
{

    if (*fl >= EMPLOYER_CSV_MAX_FIELD) {
        return (-1);
    }
    fb[(*fl)++] = c;
    return (0);
}

/* Finish the field in ${fb} into ${rec}.  Return 0 or -1. */
static int
csv_end_field(struct employer_csv_rec *rec, char *fb, size_t fl)
{

    if (rec->n == EMPLOYER_CSV_MAX_FIELDS) {
        return (-1);
    }
    if ((rec->f[rec->n] = malloc(fl + 1)) == NULL) {
        return (-1);
    }
    memcpy(rec->f[rec->n], fb, fl);
    rec->f[rec->n][fl] = '\0';
    rec->n++;
    return (0);
}

int
employer_csv_next(const char *buf, size_t len, size_t *off, unsigned *line,
    struct employer_csv_rec *rec, char *err, size_t errlen)
{
    char *fb;
    size_t i = *off, fl = 0;
    int quoted = 0, after_quote = 0;
    char c;

    memset(rec, 0, sizeof(*rec));
    err[0] = '\0';
    if (i >= len) {
        return (0);
    }
    if ((fb = malloc(EMPLOYER_CSV_MAX_FIELD)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return (-1);
    }
    rec->line = *line;
    for (;;) {
        if (i == len) {
            if (quoted) {
                snprintf(err, errlen, "unterminated quoted field");
                goto bad;
            }
            break;
        }
        c = buf[i++];
        if (c == '\0') {
            snprintf(err, errlen, "NUL byte");
            goto bad;
        }
        if (quoted) {
            if (c == '"') {
                if (i < len && buf[i] == '"') {
                    i++;
                    if (csv_put(fb, &fl, '"') != 0) {
                        goto toolong;
                    }
                    continue;
                }
                quoted = 0;
                after_quote = 1;
                continue;
            }
            if (c == '\n') {
                (*line)++;
            }
            if (csv_put(fb, &fl, c) != 0) {
                goto toolong;
            }
            continue;
        }
        if (c == ',') {
            if (csv_end_field(rec, fb, fl) != 0) {
                goto toomany;
            }
            fl = 0;
            after_quote = 0;
            continue;
        }
        if (c == '\r' && i < len && buf[i] == '\n') {
            continue;
        }
        if (c == '\n') {
            (*line)++;
            break;
        }
        if (after_quote) {
            snprintf(err, errlen, "text after a closing quote");
            goto bad;
        }
        if (c == '"') {
            if (fl != 0) {
                snprintf(err, errlen, "quote inside an unquoted field");
                goto bad;
            }
            quoted = 1;
            continue;
        }
        if (csv_put(fb, &fl, c) != 0) {
            goto toolong;
        }
    }
    if (csv_end_field(rec, fb, fl) != 0) {
        goto toomany;
    }
    *off = i;
    free(fb);

    /* Success! */
    return (1);

toomany:
    snprintf(err, errlen, "more than %d fields", EMPLOYER_CSV_MAX_FIELDS);
    goto bad;
toolong:
    snprintf(err, errlen, "field longer than %d bytes",
        EMPLOYER_CSV_MAX_FIELD);
bad:
    /* Failure! */
    free(fb);
    employer_csv_clear(rec);
    *off = i;
    if (quoted || (i > 0 && buf[i - 1] != '\n')) {
        /* Resynchronise at the next record (a newline already read was
         * counted). */
        csv_skip_record(buf, len, off, line, quoted);
    }
    return (-1);
}

int
employer_csv_field(int fd, const char *s, int last)
{
    size_t n, i, o = 0;
    char *q;
    int quote, rc;

    if (s == NULL) {
        s = "";
    }
    n = strlen(s);
    quote = strpbrk(s, ",\"\r\n") != NULL ||
        (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
    /* One write per field: quotes at most double the length. */
    if (n > (SIZE_MAX - 4) / 2 || (q = malloc(2 * n + 4)) == NULL) {
        return (-1);
    }
    if (quote) {
        q[o++] = '"';
    }
    for (i = 0; i < n; i++) {
        if (quote && s[i] == '"') {
            q[o++] = '"';
        }
        q[o++] = s[i];
    }
    if (quote) {
        q[o++] = '"';
    }
    q[o++] = last ? '\n' : ',';
    rc = write_all(fd, q, o);
    free(q);
    return (rc);
}

int
employer_receipt_check(const char *text, const char *sig, const char *key,
    const char *doc, const char *vault, const char *class, char *why,
    size_t whylen)
{
    struct minisig_pubkey pk;
    struct minisig ms;
    json_t *o = NULL;
    char want[160], *canon = NULL;
    int err, rc = -1;

    why[0] = '\0';
    if (text == NULL || sig == NULL || text[0] == '\0' || sig[0] == '\0') {
        snprintf(why, whylen, "no receipt");
        return (-1);
    }
    if (minisig_pubkey_parse(key, strlen(key), &pk) != 0) {
        snprintf(why, whylen, "the server key is malformed");
        return (-1);
    }
    if ((err = minisig_parse(sig, strlen(sig), &ms)) != 0) {
        snprintf(why, whylen, "signature unreadable: %s",
            minisig_strerror(err));
        return (-1);
    }
    if ((err = minisig_verify_buf((const uint8_t *)text, strlen(text), &ms,
             &pk)) != 0) {
        snprintf(why, whylen, "signature check failed: %s",
            minisig_strerror(err));
        return (-1);
    }
    snprintf(want, sizeof(want), "coffre-receipt-v1 document=%s", doc);
    if (strcmp(ms.trusted, want) != 0) {
        snprintf(why, whylen, "the signed comment names another document");
        return (-1);
    }
    /* Signed, so the server wrote it; now check it says what we think. */
    if ((o = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(o)) {
        snprintf(why, whylen, "the receipt is not JSON");
        goto done;
    }
    if ((canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
        strcmp(canon, text) != 0) {
        snprintf(why, whylen, "the receipt is not canonical JSON");
        goto done;
    }
    if (json_string_value(json_object_get(o, "type")) == NULL ||
        strcmp(json_string_value(json_object_get(o, "type")),
            "coffre-receipt-v1") != 0) {
        snprintf(why, whylen, "not a coffre-receipt-v1");
        goto done;
    }
    if (json_string_value(json_object_get(o, "document")) == NULL ||
        strcmp(json_string_value(json_object_get(o, "document")), doc) != 0) {
        snprintf(why, whylen, "the receipt names another document");
        goto done;
    }
    if (vault != NULL &&
        (json_string_value(json_object_get(o, "vault")) == NULL ||
            strcmp(json_string_value(json_object_get(o, "vault")), vault) !=
                0)) {
        snprintf(why, whylen, "the receipt names another vault");
        goto done;
    }
    if (class != NULL &&
        (json_string_value(json_object_get(o, "class")) == NULL ||
            strcmp(json_string_value(json_object_get(o, "class")), class) !=
                0)) {
        snprintf(why, whylen, "the receipt names another class");
        goto done;
    }
    rc = 0;

done:
    free(canon);
    json_decref(o);
    return (rc);
}

/* Print the command the operator runs to register us from our keys. */
static void
operator_hint(const char *kind, const char *siret, const char *name,
    const char *rcpt, const char *pub)
{

    printf("This server registers %s accounts through its operator.  Give "
           "the operator\nthese public keys (they are not secret):\n\n",
        kind);
    printf("    coffred account add --kind %s", kind);
    if (siret != NULL) {
        printf(" --siret %s", siret);
    }
    if (name != NULL) {
        printf(" --name '%s'", name);
    }
    printf(" --age-recipient %s --minisign-key %s\n\n", rcpt, pub);
}

int
employer_init(struct session *s, const struct keys *k, const char *kind,
    const char *siret, const char *name)
{
    char rcpt[KEYS_RECIPIENT_MAX], pub[MINISIG_PUBKEY_B64_LEN + 1];
    const char *code = NULL, *acct;
    struct minisig_pubkey mpk;
    json_t *body, *resp = NULL;
    long status;
    int rc;

    minisig_seckey_public(&k->sign, &mpk);
    minisig_pubkey_encode(&mpk, pub);
    if (keys_recipient_encode(k->x25519_pk, rcpt, sizeof(rcpt)) != 0) {
        return (EXIT_ERR);
    }
    if (strcmp(kind, "employer") == 0) {
        body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", kind, "siret",
            siret, "name", name, "age_recipient", rcpt, "minisign_key", pub);
    } else {
        body = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "name", name,
            "age_recipient", rcpt, "minisign_key", pub);
    }
    if (body == NULL) {
        return (EXIT_ERR);
    }
    rc = http_json(s->http, "POST", "/v1/accounts", body, 0, &status, &resp);
    json_decref(body);
    if (rc != 0) {
        return (EXIT_ERR);
    }
    if (resp != NULL) {
        code = json_string_value(json_object_get(json_object_get(resp,
            "error"), "code"));
    }
    if (status == 201 || status == 202) {
        acct = json_string_value(json_object_get(resp, "account"));
        if (acct == NULL) {
            acct = strcmp(kind, "employer") == 0 ? siret : name;
        }
        if (status == 202) {
            printf("Registration request filed for %s; the operator must "
                   "approve it\n(coffred account approve %s) before the "
                   "account can be used.\n", term_text(acct),
                term_text(acct));
        }
    } else if ((status == 403 && code != NULL &&
                   strcmp(code, "registration_closed") == 0) ||
               (status == 400 && code != NULL &&
                   (strcmp(code, "bad_field") == 0 ||
                       strcmp(code, "unknown_field") == 0))) {
        acct = strcmp(kind, "employer") == 0 ? siret : name;
        operator_hint(kind, siret, name, rcpt, pub);
    } else {
        rc = http_error_exit("registration", status, resp);
        json_decref(resp);
        return (rc);
    }
    s->account = strdup(acct);
    s->kind = strdup(kind);
    json_decref(resp);
    if (s->account == NULL || s->kind == NULL) {
        return (EXIT_ERR);
    }
    printf("Account: %s (%s)\n", term_text(s->account), s->kind);
    return (EXIT_OK);
}

/* ---- The push engine ---------------------------------------------- */

#define PUSH_FACTS_MAX (64 * 1024)  /* bytes of a payroll-facts file */
#define PUSH_IDEM_PREFIX "coffre-push-v1:"
#define PUSH_IDEM_LEN (sizeof(PUSH_IDEM_PREFIX) - 1 + 2 * DIGEST_BYTES)
#define PUSH_READ_CHUNK 65536
#define PUSH_MANIFEST_JOURNAL_MAX (1024u * 1024 * 1024)

/* A recipient cache entry: looked up once per run. */
struct employer_vault {
    const char *vault;             /* points into a row */
    int state;                     /* 0 not yet, 1 found, -1 failed */
    uint8_t rcpt[AGE_X25519_BYTES];
    char code[32];
    char msg[256];
};

struct employer_worker {
    struct employer_run *run;
    struct session *s;             /* a clone: own connection, shared keys */
};

void
employer_row_fail(struct employer_row *row, const char *code,
    const char *fmt, ...)
{
    va_list ap;

    if (row->failed) {
        return;
    }
    row->failed = 1;
    snprintf(row->code, sizeof(row->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(row->msg, sizeof(row->msg), fmt, ap);
    va_end(ap);
}

/* The token of the session, as cached in session.json (malloc'd). */
static char *
token_load(const struct session *s)
{
    const char *t;
    char *path, *r = NULL;
    json_t *o;

    if ((path = session_path(s, "session.json")) == NULL) {
        return (NULL);
    }
    if ((o = json_file_read(path)) != NULL &&
        (t = json_string_value(json_object_get(o, "token"))) != NULL &&
        json_string_value(json_object_get(o, "account")) != NULL &&
        strcmp(json_string_value(json_object_get(o, "account")),
            s->account) == 0) {
        if ((r = secmem_alloc(strlen(t) + 1)) != NULL) {
            memcpy(r, t, strlen(t) + 1);
        }
    }
    json_decref(o);
    free(path);
    return (r);
}

int
employer_run_init(struct employer_run *run, const char *passfile)
{
    json_t *me = NULL;
    const char *kind, *status;
    int rc;

    memset(run, 0, sizeof(*run));
    run->jfd = -1;
    if ((rc = session_open(passfile, 1, &run->s)) != EXIT_OK) {
        return (rc);
    }
    rc = EXIT_AUTH;
    if (session_keys(run->s) == NULL) {
        goto err;
    }
    /* A receipt proves a delivery only under the key pinned at init. */
    if (run->s->server_key == NULL) {
        warnx_("push: no server key pinned in the configuration: run "
               "coffre init again");
        rc = EXIT_ERR;
        goto err;
    }
    if ((rc = api_call(run->s, "GET", "/v1/me", NULL, 200, "account",
             &me)) != EXIT_OK) {
        goto err;
    }
    rc = EXIT_USAGE;
    kind = json_string_value(json_object_get(me, "kind"));
    status = json_string_value(json_object_get(me, "status"));
    if (kind == NULL || strcmp(kind, "employer") != 0) {
        warnx_("push: %s is not an employer account", run->s->account);
        goto err;
    }
    if (status != NULL && strcmp(status, "active") != 0) {
        warnx_("push: the account %s is %s: the operator must approve it "
               "first", run->s->account, status);
        rc = EXIT_AUTH;
        goto err;
    }
    rc = EXIT_ERR;
    run->siret = strdup(run->s->account);
    run->name = strdup(json_string_value(json_object_get(me, "name")) != NULL
            ? json_string_value(json_object_get(me, "name"))
            : run->s->account);
    if (run->siret == NULL || run->name == NULL ||
        (run->journal = json_object()) == NULL) {
        goto err;
    }
    if (pthread_mutex_init(&run->mu, NULL) != 0) {
        goto err;
    }
    if (pthread_cond_init(&run->seal_cv, NULL) != 0) {
        pthread_mutex_destroy(&run->mu);
        goto err;
    }
    run->token = token_load(run->s);
    json_decref(me);

    /* Success! */
    return (EXIT_OK);

err:
    /* Failure! */
    json_decref(me);
    json_decref(run->journal);
    free(run->siret);
    free(run->name);
    session_free(run->s);
    memset(run, 0, sizeof(*run));
    run->jfd = -1;
    return (rc);
}

/* Release the strings of ${d}. */
static void
doc_clear(struct employer_doc *d)
{

    free(d->id);
    free(d->rtext);
    free(d->rsig);
    d->id = d->rtext = d->rsig = NULL;
}

void
employer_run_clear(struct employer_run *run)
{
    size_t i;

    for (i = 0; i < run->nrows; i++) {
        free(run->rows[i].file);
        free(run->rows[i].path);
        free(run->rows[i].facts);
        free(run->rows[i].facts_path);
        doc_clear(&run->rows[i].slip);
        doc_clear(&run->rows[i].fact);
    }
    free(run->rows);
    free(run->vaults);
    if (run->jfd >= 0) {
        close(run->jfd);
    }
    json_decref(run->journal);
    secmem_free(run->token);
    free(run->siret);
    free(run->name);
    free(run->dir);
    pthread_cond_destroy(&run->seal_cv);
    pthread_mutex_destroy(&run->mu);
    session_free(run->s);
}

/* FNV-1a of a vault address. */
static size_t
vault_hash(const char *v)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *v != '\0'; v++) {
        h = (h ^ (uint8_t)*v) * 1099511628211ULL;
    }
    return ((size_t)h);
}

int
employer_vaults_index(struct employer_run *run)
{
    size_t cap = 16, i, j, *slot;
    struct employer_row *row;

    while (cap < 2 * run->nrows + 1) {
        cap *= 2;
    }
    if ((slot = malloc(cap * sizeof(*slot))) == NULL ||
        (run->vaults = calloc(run->nrows + 1, sizeof(*run->vaults))) ==
            NULL) {
        free(slot);
        warnx_("out of memory");
        return (-1);
    }
    for (i = 0; i < cap; i++) {
        slot[i] = SIZE_MAX;
    }
    for (i = 0; i < run->nrows; i++) {
        row = &run->rows[i];
        if (row->vault[0] == '\0' || row->failed) {
            continue;
        }
        for (j = vault_hash(row->vault) & (cap - 1); slot[j] != SIZE_MAX;
             j = (j + 1) & (cap - 1)) {
            if (strcmp(run->vaults[slot[j]].vault, row->vault) == 0) {
                break;
            }
        }
        if (slot[j] == SIZE_MAX) {
            slot[j] = run->nvaults;
            run->vaults[run->nvaults++].vault = row->vault;
        }
        row->vix = slot[j];
    }
    free(slot);
    return (0);
}

int
employer_journal_open(struct employer_run *run, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0, off = 0, n, whole = 0;
    const char *idem;
    json_t *o;
    char *nl;

    if (access(path, F_OK) == 0 &&
        file_read_all(path, PUSH_MANIFEST_JOURNAL_MAX, &buf, &len) != 0) {
        return (-1);
    }
    while (off < len) {
        nl = memchr(buf + off, '\n', len - off);
        n = (nl != NULL) ? (size_t)(nl - (char *)buf) - off : len - off;
        /* A line without its newline was torn by a kill: ignore it. */
        if (nl != NULL &&
            (o = json_loadb((const char *)buf + off, n,
                 JSON_REJECT_DUPLICATES, NULL)) != NULL) {
            idem = json_string_value(json_object_get(o, "idem"));
            if (idem != NULL &&
                json_is_string(json_object_get(o, "document")) &&
                json_is_string(json_object_get(o, "text")) &&
                json_is_string(json_object_get(o, "signature"))) {
                json_object_set(run->journal, idem, o);
            }
            json_decref(o);
        }
        if (nl != NULL) {
            whole = off + n + 1;
        }
        off += n + 1;
    }
    free(buf);
    run->jfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (run->jfd < 0) {
        warnx_("cannot open the journal %s: %s", path, strerror(errno));
        return (-1);
    }
    /* Two runs on one journal would each miss the other's deposits. */
    if (flock(run->jfd, LOCK_EX | LOCK_NB) != 0) {
        warnx_("%s: %s", path, errno == EWOULDBLOCK
            ? "another push is using this journal" : strerror(errno));
        return (-1);
    }
    /* Cut a torn last line, or the next entry would be glued to it. */
    if (whole < len && ftruncate(run->jfd, (off_t)whole) != 0) {
        warnx_("cannot repair the journal %s: %s", path, strerror(errno));
        return (-1);
    }
    return (0);
}

void
employer_journal_sync(struct employer_run *run)
{

    if (run->jfd >= 0 && fsync(run->jfd) != 0) {
        warnx_("warning: the journal was not synced: %s", strerror(errno));
    }
}

/* Append one acknowledged deposit to the journal (one write). */
static void
journal_append(struct employer_run *run, const char *idem,
    const struct employer_doc *d)
{
    json_t *o;
    char *text, *line;

    o = json_pack("{s:s, s:s, s:s, s:s}", "idem", idem, "document", d->id,
        "text", d->rtext, "signature", d->rsig);
    if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
        json_decref(o);
        return;
    }
    json_decref(o);
    if ((line = str_concat(text, "\n")) != NULL) {
        pthread_mutex_lock(&run->mu);
        if (write_all(run->jfd, line, strlen(line)) != 0) {
            warnx_("warning: cannot write the journal: %s", strerror(errno));
        }
        pthread_mutex_unlock(&run->mu);
    }
    free(line);
    free(text);
}

/*
 * Fill ${d} from the journal entry of ${idem} for ${row}'s deposit of
 * ${class}.  Return 1 if found with a receipt that verifies under the
 * pinned server key; an entry that does not is asked of the server again.
 */
static int
journal_find(struct employer_run *run, const struct employer_row *row,
    const char *class, const char *idem, struct employer_doc *d)
{
    json_t *o = json_object_get(run->journal, idem);
    char why[160];

    if (o == NULL ||
        employer_receipt_check(
            json_string_value(json_object_get(o, "text")),
            json_string_value(json_object_get(o, "signature")),
            run->s->server_key,
            json_string_value(json_object_get(o, "document")), row->vault,
            class, why, sizeof(why)) != 0) {
        return (0);
    }
    d->id = strdup(json_string_value(json_object_get(o, "document")));
    d->rtext = strdup(json_string_value(json_object_get(o, "text")));
    d->rsig = strdup(json_string_value(json_object_get(o, "signature")));
    if (d->id == NULL || d->rtext == NULL || d->rsig == NULL) {
        doc_clear(d);
        return (0);
    }
    return (1);
}

struct employer_worker *
employer_worker_new(struct employer_run *run)
{
    struct employer_worker *w;
    struct session *m = run->s, *s;

    if ((w = calloc(1, sizeof(*w))) == NULL ||
        (s = calloc(1, sizeof(*s))) == NULL) {
        free(w);
        warnx_("out of memory");
        return (NULL);
    }
    w->run = run;
    w->s = s;
    s->passfile = m->passfile;
    s->keys = m->keys;   /* borrowed: unset before session_free() */
    if ((s->home = strdup(m->home)) == NULL ||
        (s->server = strdup(m->server)) == NULL ||
        (s->account = strdup(m->account)) == NULL ||
        (m->kind != NULL && (s->kind = strdup(m->kind)) == NULL) ||
        (s->keyfile = strdup(m->keyfile)) == NULL ||
        (s->http = http_new(m->server)) == NULL ||
        (run->token != NULL && http_set_token(s->http, run->token) != 0)) {
        employer_worker_free(w);
        warnx_("out of memory");
        return (NULL);
    }
    return (w);
}

void
employer_worker_free(struct employer_worker *w)
{

    if (w == NULL) {
        return;
    }
    if (w->s != NULL) {
        w->s->keys = NULL;
        session_free(w->s);
    }
    free(w);
}

/* Lowercase hex of ${n} bytes into ${out} (2n+1 bytes). */
static void
hex_of(const uint8_t *b, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/*
 * The idempotency key of a deposit: "coffre-push-v1:" and the SHA-256 of
 * SIRET, vault, period, class and the plaintext digest, so that the same
 * payslip for the same person and month is one document however often it
 * is pushed.
 */
static void
idem_make(const struct employer_run *run, const struct employer_row *row,
    const char *class, const uint8_t pt[DIGEST_BYTES],
    char out[PUSH_IDEM_LEN + 1])
{
    char hex[2 * DIGEST_BYTES + 1], buf[256];
    uint8_t h[DIGEST_BYTES];
    int n;

    hex_of(pt, DIGEST_BYTES, hex);
    n = snprintf(buf, sizeof(buf), "coffre-push-v1\n%s\n%s\n%s\n%s\n%s\n",
        run->siret, row->vault, row->period, class, hex);
    digest_buf((const uint8_t *)buf, (size_t)n, h);
    memcpy(out, PUSH_IDEM_PREFIX, sizeof(PUSH_IDEM_PREFIX) - 1);
    hex_of(h, DIGEST_BYTES, out + sizeof(PUSH_IDEM_PREFIX) - 1);
}

/* SHA-256 of everything ${fd} yields; rewinds it.  Return 0 or -1. */
static int
digest_fd(int fd, uint8_t out[DIGEST_BYTES])
{
    struct digest *d;
    uint8_t *buf;
    ssize_t r;

    if ((d = digest_new()) == NULL) {
        return (-1);
    }
    if ((buf = malloc(PUSH_READ_CHUNK)) == NULL) {
        digest_free(d);
        return (-1);
    }
    while ((r = read(fd, buf, PUSH_READ_CHUNK)) != 0) {
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            break;
        }
        digest_update(d, buf, (size_t)r);
    }
    if (r == 0) {
        digest_final(d, out);
    }
    free(buf);
    digest_free(d);
    return ((r == 0 && lseek(fd, 0, SEEK_SET) == 0) ? 0 : -1);
}

/*
 * A request on the worker's connection, logging in again once on 401.
 * Return 0 with *${status} and *${resp}, or -1 on a network failure.
 */
static int
w_request(struct employer_worker *w, const char *method, const char *path,
    json_t *body, long *status, json_t **resp)
{
    int i;

    for (i = 0; i < 2; i++) {
        if (http_json(w->s->http, method, path, body, 1, status, resp) !=
            0) {
            return (-1);
        }
        if (*status != 401 || i > 0) {
            break;
        }
        json_decref(*resp);
        *resp = NULL;
        if (session_login(w->s) != EXIT_OK) {
            return (-1);
        }
    }
    return (0);
}

/* Record the server's error in ${row}. */
static void
row_fail_http(struct employer_row *row, const char *what, long status,
    json_t *resp)
{
    json_t *e = json_object_get(resp, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));

    if (code == NULL) {
        employer_row_fail(row, "http", "%s: HTTP %ld", what, status);
    } else {
        employer_row_fail(row, code, "%s: %s (HTTP %ld)", what,
            msg != NULL ? msg : code, status);
    }
}

/*
 * The age recipient of ${row}'s vault, from the cache or the directory.
 * Return 0 with ${rcpt} filled, or -1 with the row failed.
 */
static int
vault_rcpt(struct employer_worker *w, struct employer_row *row,
    uint8_t rcpt[AGE_X25519_BYTES])
{
    struct employer_run *run = w->run;
    struct employer_vault *v = &run->vaults[row->vix];
    json_t *resp = NULL;
    const char *r;
    char *ev = NULL, *path = NULL;
    long status;
    int state;

    pthread_mutex_lock(&run->mu);
    if ((state = v->state) == 1) {
        memcpy(rcpt, v->rcpt, AGE_X25519_BYTES);
    } else if (state < 0) {
        employer_row_fail(row, v->code, "%s", v->msg);
    }
    pthread_mutex_unlock(&run->mu);
    if (state != 0) {
        return (state > 0 ? 0 : -1);
    }
    if ((ev = http_escape(row->vault)) == NULL ||
        (path = str_concat("/v1/directory/vaults/", ev)) == NULL) {
        free(ev);
        employer_row_fail(row, "error", "out of memory");
        return (-1);
    }
    free(ev);
    if (w_request(w, "GET", path, NULL, &status, &resp) != 0) {
        free(path);
        employer_row_fail(row, "network", "cannot reach the server");
        return (-1);
    }
    free(path);
    if (status == 200 &&
        (r = json_string_value(json_object_get(resp, "age_recipient"))) !=
            NULL &&
        keys_recipient_decode(r, rcpt) == 0) {
        state = 1;
    } else if (status == 200) {
        employer_row_fail(row, "bad_recipient", "the directory's recipient "
            "of %s is malformed", row->vault);
        state = -1;
    } else if (status == 404 || status == 400) {
        employer_row_fail(row, "unknown_vault", "no vault %s on the server",
            row->vault);
        state = -1;
    } else {
        /* A transient answer: not cached. */
        row_fail_http(row, "directory", status, resp);
    }
    json_decref(resp);
    if (state != 0) {
        pthread_mutex_lock(&run->mu);
        v->state = state;
        if (state == 1) {
            memcpy(v->rcpt, rcpt, AGE_X25519_BYTES);
        } else {
            snprintf(v->code, sizeof(v->code), "%s", row->code);
            snprintf(v->msg, sizeof(v->msg), "%s", row->msg);
        }
        pthread_mutex_unlock(&run->mu);
    }
    return (state == 1 ? 0 : -1);
}

/* "/v1/<a><escaped b><c>", malloc'd. */
static char *
path3(const char *a, const char *b, const char *c)
{
    char *e, *x, *y;

    if ((e = http_escape(b)) == NULL) {
        return (NULL);
    }
    x = str_concat(a, e);
    free(e);
    if (x == NULL) {
        return (NULL);
    }
    y = str_concat(x, c);
    free(x);
    return (y);
}

/* What one deposit needs besides the row. */
struct dep {
    const char *name;      /* file name for the metadata */
    const char *class;
    const char *type;      /* MIME type */
    const char *tc;        /* trusted comment prefix */
    char *idem;            /* PUSH_IDEM_LEN + 1 bytes; see deposit() */
    const char *payslip;   /* for payroll facts: the payslip's id */
    const uint8_t *want;   /* plaintext digest read before, or NULL */
};

/* The encrypted metadata of a deposit, base64 (malloc'd) or NULL. */
static char *
dep_meta(const struct employer_run *run, const struct employer_row *row,
    const struct dep *p, const struct doc_sealed *d, time_t mtime,
    const uint8_t rcpt[AGE_X25519_BYTES])
{
    char hex[2 * DIGEST_BYTES + 1], when[32], *b64 = NULL;
    struct tm tm;
    json_t *m;

    hex_of(d->pt_sha256, DIGEST_BYTES, hex);
    gmtime_r(&mtime, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    m = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "v",
        1, "name", p->name, "size", (json_int_t)d->pt_size, "type", p->type,
        "class", p->class, "mtime", when, "sha256", hex, "period",
        row->period, "employer", run->name, "siret", run->siret);
    if (m == NULL) {
        return (NULL);
    }
    if (p->payslip != NULL) {
        json_object_set_new(m, "payslip", json_string(p->payslip));
    }
    if (doc_meta_seal(m, rcpt, &b64) != 0) {
        b64 = NULL;
    }
    json_decref(m);
    return (b64);
}

/* Upload the sealed blob.  Return 0, or -1 with the row failed. */
static int
dep_upload(struct employer_worker *w, struct employer_row *row,
    struct doc_sealed *d)
{
    json_t *resp = NULL;
    char *path;
    long status;
    int i, rc = -1;

    if ((path = path3("/v1/blobs/", d->blob_id, "")) == NULL) {
        employer_row_fail(row, "error", "out of memory");
        return (-1);
    }
    for (i = 0; i < 2; i++) {
        if (http_put_fd(w->s->http, path, d->ct_fd, d->ct_size, &status,
                &resp) != 0) {
            employer_row_fail(row, "network", "upload failed");
            goto done;
        }
        if (status != 401 || i > 0) {
            break;
        }
        json_decref(resp);
        resp = NULL;
        if (session_login(w->s) != EXIT_OK) {
            employer_row_fail(row, "auth", "login failed");
            goto done;
        }
    }
    if (status != 200 && status != 201) {
        row_fail_http(row, "upload", status, resp);
        goto done;
    }
    rc = 0;

done:
    json_decref(resp);
    free(path);
    return (rc);
}

/* Wait for a turn to encrypt: at most run->seal_max at once. */
static void
seal_enter(struct employer_run *run)
{

    pthread_mutex_lock(&run->mu);
    while (run->seal_max > 0 && run->sealing >= run->seal_max) {
        pthread_cond_wait(&run->seal_cv, &run->mu);
    }
    run->sealing++;
    pthread_mutex_unlock(&run->mu);
}

/* Give the turn taken by seal_enter() to another worker. */
static void
seal_leave(struct employer_run *run)
{

    pthread_mutex_lock(&run->mu);
    run->sealing--;
    pthread_cond_signal(&run->seal_cv);
    pthread_mutex_unlock(&run->mu);
}

/*
 * Encrypt what ${fd} holds to ${rcpt}, sign, upload and deposit it into
 * the row's vault; fill ${out}.  When ${p}->want is NULL (no digest was
 * read before), the idempotency key is made here in ${p}->idem from the
 * digest of the one pass that encrypts; otherwise that pass must find
 * the same digest.  Return 0, or -1 with the row failed.
 */
static int
deposit(struct employer_worker *w, struct employer_row *row, int fd,
    const struct dep *p, const uint8_t rcpt[AGE_X25519_BYTES],
    struct employer_doc *out)
{
    struct doc_sealed d;
    struct stat st;
    json_t *body = NULL, *resp = NULL, *rc_;
    char *meta64 = NULL, *hdr64 = NULL, *path = NULL;
    const char *id, *text, *sig;
    char why[160];
    long status;
    int rc = -1;

    if (fstat(fd, &st) != 0) {
        employer_row_fail(row, "unreadable", "%s: %s", p->name,
            strerror(errno));
        return (-1);
    }
    seal_enter(w->run);
    rc = doc_seal(fd, rcpt, &w->s->keys->sign, p->tc, &d);
    seal_leave(w->run);
    if (rc != 0) {
        employer_row_fail(row, "unreadable", "%s: cannot encrypt", p->name);
        return (-1);
    }
    rc = -1;
    if (p->want == NULL) {
        idem_make(w->run, row, p->class, d.pt_sha256, p->idem);
    } else if (!secmem_eq(d.pt_sha256, p->want, DIGEST_BYTES)) {
        employer_row_fail(row, "changed", "%s changed while being pushed",
            p->name);
        goto done;
    }
    if (dep_upload(w, row, &d) != 0) {
        goto done;
    }
    if ((meta64 = dep_meta(w->run, row, p, &d, st.st_mtime, rcpt)) == NULL ||
        (hdr64 = b64_encode_std(d.header, d.header_len)) == NULL ||
        (path = path3("/v1/vaults/", row->vault, "/documents")) == NULL ||
        (body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "blob",
             d.blob_id, "class", p->class, "header", hdr64, "metadata",
             meta64, "signature", d.sig, "idempotency_key", p->idem)) ==
            NULL) {
        employer_row_fail(row, "error", "out of memory");
        goto done;
    }
    /* Retried on network errors: the idempotency key makes it safe. */
    if (w_request(w, "POST", path, body, &status, &resp) != 0) {
        employer_row_fail(row, "network", "cannot reach the server");
        goto done;
    }
    if (status != 200 && status != 201) {
        row_fail_http(row, "deposit", status, resp);
        goto done;
    }
    row->replayed |= (status == 200);
    rc_ = json_object_get(resp, "receipt");
    id = json_string_value(json_object_get(resp, "document"));
    text = json_string_value(json_object_get(rc_, "text"));
    sig = json_string_value(json_object_get(rc_, "signature"));
    if (id == NULL || text == NULL || sig == NULL) {
        employer_row_fail(row, "bad_answer", "the server's answer has no "
            "document id or receipt");
        goto done;
    }
    /* Not delivered until the server's signed receipt says so. */
    if (employer_receipt_check(text, sig, w->run->s->server_key, id,
            row->vault, p->class, why, sizeof(why)) != 0) {
        employer_row_fail(row, "bad_receipt", "deposit: %s", why);
        goto done;
    }
    if ((out->id = strdup(id)) == NULL || (out->rtext = strdup(text)) ==
            NULL || (out->rsig = strdup(sig)) == NULL) {
        doc_clear(out);
        employer_row_fail(row, "error", "out of memory");
        goto done;
    }
    rc = 0;

done:
    json_decref(resp);
    json_decref(body);
    free(path);
    free(hdr64);
    free(meta64);
    doc_sealed_free(&d);
    return (rc);
}

/* Base name of a path. */
static const char *
base_name(const char *p)
{
    const char *s = strrchr(p, '/');

    return (s != NULL ? s + 1 : p);
}

/*
 * Read and check the payroll facts of ${row} from ${fd}: a valid
 * coffre.payroll-facts document of this employer and period.  Return 0
 * with their digest in ${dig} and ${fd} rewound, or -1 (row failed).
 */
static int
facts_check(const struct employer_run *run, struct employer_row *row,
    int fd, uint8_t dig[DIGEST_BYTES])
{
    struct facts *f = NULL;
    uint8_t *buf;
    size_t len = 0;
    ssize_t r;
    char err[160], per[32];
    int rc = -1;

    if ((buf = malloc(PUSH_FACTS_MAX + 1)) == NULL) {
        employer_row_fail(row, "error", "out of memory");
        return (-1);
    }
    while (len <= PUSH_FACTS_MAX &&
           (r = read(fd, buf + len, PUSH_FACTS_MAX + 1 - len)) != 0) {
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            employer_row_fail(row, "unreadable", "%s: %s", row->facts,
                strerror(errno));
            goto done;
        }
        len += (size_t)r;
    }
    if (len > PUSH_FACTS_MAX) {
        employer_row_fail(row, "bad_facts", "%s: larger than %d bytes",
            row->facts, PUSH_FACTS_MAX);
        goto done;
    }
    if (facts_parse(buf, len, &f, err, sizeof(err)) != 0) {
        employer_row_fail(row, "bad_facts", "%s: %s", row->facts,
            f == NULL && err[0] == '\0' ? "not payroll facts" : err);
        goto done;
    }
    snprintf(per, sizeof(per), "%04d-%02d", f->year % 10000, f->month % 100);
    if (strcmp(f->siret, run->siret) != 0) {
        employer_row_fail(row, "bad_facts", "%s: SIRET %s is not this "
            "account's", row->facts, f->siret);
        goto done;
    }
    if (strcmp(per, row->period) != 0) {
        employer_row_fail(row, "bad_facts", "%s: period %s, the row says "
            "%s", row->facts, per, row->period);
        goto done;
    }
    digest_buf(buf, len, dig);
    if (lseek(fd, 0, SEEK_SET) != 0) {
        employer_row_fail(row, "unreadable", "%s: %s", row->facts,
            strerror(errno));
        goto done;
    }
    rc = 0;

done:
    facts_free(f);
    free(buf);
    return (rc);
}

/*
 * Push one document of ${row} unless the journal has it (looked up only
 * when ${p}->want, the digest read before, is set).  0 or -1.
 */
static int
push_one(struct employer_worker *w, struct employer_row *row, int fd,
    struct dep *p, struct employer_doc *out, int *resumed)
{
    uint8_t rcpt[AGE_X25519_BYTES];
    char idem[PUSH_IDEM_LEN + 1];

    p->idem = idem;
    if (p->want != NULL) {
        idem_make(w->run, row, p->class, p->want, idem);
        if (journal_find(w->run, row, p->class, idem, out)) {
            return (0);
        }
    }
    *resumed = 0;
    if (vault_rcpt(w, row, rcpt) != 0 ||
        deposit(w, row, fd, p, rcpt, out) != 0) {
        return (-1);
    }
    journal_append(w->run, idem, out);
    return (0);
}

/* Push the payslip of ${row}, then its payroll facts. */
static void
row_push(struct employer_worker *w, struct employer_row *row)
{
    const struct employer_run *run = w->run;
    uint8_t dslip[DIGEST_BYTES], dfact[DIGEST_BYTES];
    char tc[512];
    struct dep p;
    int fd = -1, ffd = -1, resumed = 1;
    int journal_empty = json_object_size(run->journal) == 0;

    if (row->failed) {
        return;
    }
    /*
     * The digest of the payslip names its journal entry.  With an empty
     * journal there is nothing to look up, so the digest comes from the
     * pass that encrypts instead of a pass of its own.
     */
    if ((fd = open(row->path, O_RDONLY | O_CLOEXEC)) < 0 ||
        (!journal_empty && digest_fd(fd, dslip) != 0)) {
        employer_row_fail(row, "unreadable", "%s: %s", row->file,
            strerror(errno));
        goto done;
    }
    if (row->facts != NULL &&
        ((ffd = open(row->facts_path, O_RDONLY | O_CLOEXEC)) < 0)) {
        employer_row_fail(row, "unreadable", "%s: %s", row->facts,
            strerror(errno));
        goto done;
    }
    if (ffd >= 0 && facts_check(run, row, ffd, dfact) != 0) {
        goto done;
    }
    memset(&p, 0, sizeof(p));
    snprintf(tc, sizeof(tc), "coffre-payslip-v1\tsiret:%s\tvault:%s\t"
        "period:%s\tclass:payslip", run->siret, row->vault, row->period);
    p.name = base_name(row->file);
    p.class = "payslip";
    p.type = "application/pdf";
    p.tc = tc;
    p.want = journal_empty ? NULL : dslip;
    if (push_one(w, row, fd, &p, &row->slip, &resumed) != 0 || ffd < 0) {
        goto done;
    }
    snprintf(tc, sizeof(tc), "coffre-payroll-facts-v1\tsiret:%s\tvault:%s\t"
        "period:%s\tclass:payroll-facts\tpayslip:%s", run->siret, row->vault,
        row->period, row->slip.id);
    p.name = base_name(row->facts);
    p.class = "payroll-facts";
    p.type = "application/json";
    p.want = dfact;
    p.payslip = row->slip.id;
    (void)push_one(w, row, ffd, &p, &row->fact, &resumed);

done:
    row->resumed = resumed && !row->failed;
    if (ffd >= 0) {
        close(ffd);
    }
    if (fd >= 0) {
        close(fd);
    }
}

void *
employer_worker_main(void *arg)
{
    struct employer_worker *w = arg;
    struct employer_run *run = w->run;
    struct employer_row *row;
    size_t i;

    for (;;) {
        pthread_mutex_lock(&run->mu);
        i = run->next < run->nrows ? run->next++ : run->nrows;
        pthread_mutex_unlock(&run->mu);
        if (i >= run->nrows) {
            break;
        }
        row = &run->rows[i];
        row_push(w, row);
        pthread_mutex_lock(&run->mu);
        run->done++;
        if (row->failed) {
            run->nfailed++;
        } else if (row->resumed) {
            run->nresumed++;
        } else if (row->replayed) {
            run->nreplayed++;
        } else {
            run->ndeposited++;
        }
        pthread_mutex_unlock(&run->mu);
    }
    return (NULL);
}
