#define _DEFAULT_SOURCE
#include "client/safedocs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/facts.h"
#include "activity/periods.h"
#include "client/client.h"
#include "client/doc.h"
#include "client/docs.h"
#include "client/fetchdoc.h"
#include "client/session.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

#define FACTS_TC_KIND "coffre-payroll-facts-v1"

int
safedocs_tc_check(const char *tc, const char *kind, const char *vault,
    const char *class, const uint8_t sha256[DIGEST_BYTES], const char *siret,
    char period[8], char *why, size_t whylen)
{
    char v[128], hex[2 * DIGEST_BYTES + 1];
    size_t n = strlen(kind), i;

    if (strncmp(tc, kind, n) != 0 || tc[n] != '\t') {
        snprintf(why, whylen, "the signature's comment is not a %s one",
            kind);
        return (-1);
    }
    if (doc_trusted_field(tc, "vault", v, sizeof(v)) != 0 ||
        strcmp(v, vault) != 0) {
        snprintf(why, whylen, "signed for another vault");
        return (-1);
    }
    if (doc_trusted_field(tc, "class", v, sizeof(v)) != 0 ||
        strcmp(v, class) != 0) {
        snprintf(why, whylen, "signed as another class of document");
        return (-1);
    }
    for (i = 0; i < DIGEST_BYTES; i++) {
        snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
    }
    if (doc_trusted_field(tc, "sha256", v, sizeof(v)) != 0 ||
        strcmp(v, hex) != 0) {
        snprintf(why, whylen, "the signed digest is not that of these "
            "bytes");
        return (-1);
    }
    if (siret != NULL && (doc_trusted_field(tc, "siret", v, sizeof(v)) != 0 ||
        strcmp(v, siret) != 0)) {
        snprintf(why, whylen, "signed for another SIRET");
        return (-1);
    }
    if (period != NULL) {
        if (doc_trusted_field(tc, "period", v, sizeof(v)) != 0 ||
            strlen(v) != 7 || v[4] != '-') {
            snprintf(why, whylen, "the signature names no period");
            return (-1);
        }
        memcpy(period, v, 8);
    }
    return (0);
}

/*
 * Check the payroll facts ${b} deposited by employer ${siret} and signed
 * with trusted comment ${tc}: the comment binds this vault, the class, the
 * bytes and a period, and the facts are that SIRET's for that period.  On
 * success fill ${period}; return 0, or -1 with the reason in ${why}.
 */
static int
employer_facts_check(struct session *s, const struct plainbuf *b,
    const uint8_t sha[DIGEST_BYTES], const char *tc, const char *siret,
    char period[8], char *why, size_t whylen)
{
    struct facts *f;
    char err[160], month[16];
    int rc;

    if (safedocs_tc_check(tc, FACTS_TC_KIND, s->account, "payroll-facts",
        sha, siret, period, why, whylen) != 0) {
        return (-1);
    }
    if ((rc = facts_parse(b->p, b->len, &f, err, sizeof(err))) != 0) {
        snprintf(why, whylen, "%s", rc == -1 ? "out of memory" : err);
        return (-1);
    }
    snprintf(month, sizeof(month), "%04d-%02d", f->year % 10000,
        f->month % 100);
    rc = strcmp(f->siret, siret) == 0 && strcmp(month, period) == 0;
    facts_free(f);
    if (!rc) {
        snprintf(why, whylen, "the facts are not those of SIRET %s for %s",
            siret, period);
        return (-1);
    }
    return (0);
}

/* Keep a verified employer fact in ${out}.  Return 0 or -1. */
static int
keep_fact(struct safedocs *out, json_t *rec, const struct plainbuf *b,
    const char *siret, const char *period)
{
    struct safedocs_fact *nv, *f;
    const char *id = json_string_value(json_object_get(rec, "document"));
    const char *sig = json_string_value(json_object_get(rec, "signature"));
    const char *key = json_string_value(json_object_get(rec, "signer_key"));

    if (id == NULL || sig == NULL || key == NULL) {
        return (-1);
    }
    if ((nv = realloc(out->facts, (out->nfacts + 1) * sizeof(*nv))) ==
        NULL) {
        return (-1);
    }
    out->facts = nv;
    f = &nv[out->nfacts];
    memset(f, 0, sizeof(*f));
    snprintf(f->siret, sizeof(f->siret), "%s", siret);
    snprintf(f->period, sizeof(f->period), "%s", period);
    f->doc = strdup(id);
    f->signature = strdup(sig);
    f->signer_key = strdup(key);
    f->text = malloc(b->len + 1);
    if (f->doc == NULL || f->signature == NULL || f->signer_key == NULL ||
        f->text == NULL) {
        free(f->doc);
        free(f->signature);
        free(f->signer_key);
        free(f->text);
        return (-1);
    }
    memcpy(f->text, b->p, b->len);
    f->text[b->len] = '\0';
    f->len = b->len;
    out->nfacts++;
    return (0);
}

/* Add the periods of the document ${b} (${name}, class ${class}) to
 * ${set}.  Return 0 (used), 1 (passed over or skipped) or -1. */
static int
add_periods(struct periods_set *set, const struct plainbuf *b, const char *name,
    const char *class, const char *hook)
{
    char err[512];
    int rc;

    if (strcmp(class, "payslip") == 0) {
        rc = periods_add_hook(set, b->p, b->len, class, name, hook, err,
            sizeof(err));
    } else {
        rc = periods_add_document(set, b->p, b->len, name, NULL, err,
            sizeof(err));
    }
    if (rc == -1) {
        warnx_("out of memory");
        return (-1);
    }
    if (rc == PERIODS_EUNKNOWN) {
        return (1);
    }
    if (rc != 0) {
        warnx_("warning: %s; not used", err);
        return (1);
    }
    return (0);
}

/* Read one document record ${rec}; return EXIT_OK (also when it was left
 * out after a warning), or the exit code of a failure that stops the run. */
static int
read_one(struct session *s, json_t *rec, const char *hook,
    struct periods_set *set, struct safedocs *out)
{
    const char *class = json_string_value(json_object_get(rec, "class"));
    const char *dk = json_string_value(json_object_get(rec, "depositor_kind"));
    const char *dep = json_string_value(json_object_get(rec, "depositor"));
    const char *id = json_string_value(json_object_get(rec, "document"));
    const char *nm;
    struct keys *k;
    struct fetchdoc f;
    struct plainbuf b;
    json_t *meta;
    char label[256], why[200], period[8];
    int rc, employer;

    if (class == NULL || dk == NULL || dep == NULL || id == NULL ||
        (k = session_keys(s)) == NULL) {
        return (EXIT_ERR);
    }
    if (strcmp(class, "payroll-facts") != 0 &&
        (set == NULL || strcmp(class, "other") != 0) &&
        (set == NULL || strcmp(class, "payslip") != 0 || hook == NULL)) {
        return (EXIT_OK);
    }
    meta = doc_meta_open(json_string_value(json_object_get(rec, "metadata")),
        k->x25519_sk);
    nm = json_string_value(json_object_get(meta, "name"));
    snprintf(label, sizeof(label), "%s (%s)", id, nm != NULL ? nm : class);
    json_decref(meta);
    memset(&b, 0, sizeof(b));
    b.max = SAFEDOCS_DOC_MAX;
    memset(&f, 0, sizeof(f));
    f.plain_sink = plainbuf_sink;
    f.plain_cookie = &b;
    f.label = label;
    employer = strcmp(dk, "employer") == 0;
    if ((rc = fetchdoc_run(s, rec, k->x25519_sk, &f)) != EXIT_OK) {
        if (b.toobig) {
            warnx_("%s: larger than %u bytes", label, SAFEDOCS_DOC_MAX);
        }
        plainbuf_free(&b);
        if (rc == EXIT_INTEGRITY) {
            warnx_("warning: %s: %s; not used", label, f.sig_failed ?
                "the signature does not verify" : "the document is damaged");
            out->nskipped++;
            return (EXIT_OK);
        }
        return (rc);
    }
    if (b.p == NULL && plainbuf_sink(&b, (const uint8_t *)"", 0) != 0) {
        return (EXIT_ERR);
    }
    if (employer && strcmp(class, "payroll-facts") == 0) {
        if (employer_facts_check(s, &b, f.pt_sha256, f.trusted, dep, period,
            why, sizeof(why)) != 0) {
            warnx_("warning: %s: employer signature: %s; not used", label,
                why);
            plainbuf_free(&b);
            out->nskipped++;
            return (EXIT_OK);
        }
        if (keep_fact(out, rec, &b, dep, period) != 0) {
            plainbuf_free(&b);
            warnx_("out of memory");
            return (EXIT_ERR);
        }
    }
    rc = set != NULL ? add_periods(set, &b, label, class, hook) : 0;
    plainbuf_free(&b);
    if (rc < 0) {
        return (EXIT_ERR);
    }
    if (rc == 0) {
        out->nread++;
    }
    return (EXIT_OK);
}

int
safedocs_read(struct session *s, const char *hook, struct periods_set *set,
    struct safedocs *out)
{
    json_t *all = NULL;
    size_t i, n;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = docs_list(s, NULL, &all)) != EXIT_OK) {
        return (rc);
    }
    /* The listing is newest first; read in the order of deposit, so that
     * a DSN that cancels or replaces another comes after it. */
    n = json_array_size(all);
    for (i = n; i > 0; i--) {
        rc = read_one(s, json_array_get(all, i - 1), hook, set, out);
        if (rc != EXIT_OK) {
            json_decref(all);
            safedocs_clear(out);
            return (rc);
        }
    }
    json_decref(all);
    return (EXIT_OK);
}

void
safedocs_clear(struct safedocs *sd)
{
    size_t i;

    for (i = 0; i < sd->nfacts; i++) {
        secmem_wipe(sd->facts[i].text, sd->facts[i].len);
        free(sd->facts[i].text);
        free(sd->facts[i].doc);
        free(sd->facts[i].signature);
        free(sd->facts[i].signer_key);
    }
    free(sd->facts);
    memset(sd, 0, sizeof(*sd));
}
