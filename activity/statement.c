#include "activity/statement.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/jsonin.h"

#include "activity/facts.h"
#include "activity/periods.h"

_Static_assert(STATEMENT_EINVALID == JSONIN_EINVALID,
    "one code for an invalid document");

/* Nonzero if the ${n} bytes of ${s} are digits. */
static int
digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
    }
    return (1);
}

int
statement_vault_valid(const char *s)
{
    static const char sym[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    size_t i;

    if (strlen(s) != STATEMENT_VAULT_LEN) {
        return (0);
    }
    for (i = 0; i < STATEMENT_VAULT_LEN; i++) {
        if (i == 4 || i == 9 || i == 14) {
            if (s[i] != '-') {
                return (0);
            }
        } else if (s[i] == '\0' || strchr(sym, s[i]) == NULL) {
            return (0);
        }
    }
    return (1);
}

int
statement_service_valid(const char *s)
{
    size_t i, n = strlen(s);

    if (n < 2 || n > STATEMENT_SERVICE_MAX || s[0] < 'a' || s[0] > 'z') {
        return (0);
    }
    for (i = 1; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
            s[i] == '-')) {
            return (0);
        }
    }
    return (1);
}

/* Nonzero if ${s} is a document id: 1 to 64 of [A-Za-z0-9_-]. */
static int
docid_valid(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > STATEMENT_DOC_MAX) {
        return (0);
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')) {
            return (0);
        }
    }
    return (1);
}

/* Nonzero if ${s} is 56 characters of standard base64. */
static int
key_valid(const char *s)
{
    size_t i;

    if (strlen(s) != STATEMENT_KEY_LEN) {
        return (0);
    }
    for (i = 0; i < STATEMENT_KEY_LEN; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/')) {
            return (0);
        }
    }
    return (1);
}

/* The value of the ${n} digits at ${s}. */
static int
num(const char *s, size_t n)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return (v);
}

/* Nonzero if ${s} is a YYYY-MM month. */
static int
month_valid(const char *s)
{
    int m;

    if (strlen(s) != 7 || !digits(s, 4) || s[4] != '-' ||
        !digits(s + 5, 2)) {
        return (0);
    }
    m = num(s + 5, 2);
    return (m >= 1 && m <= 12);
}

/* Nonzero if ${s} is YYYY-MM-DDTHH:MM:SSZ with a real date. */
static int
time_valid(const char *s)
{
    int y, mo, d, h, mi, se;

    if (strlen(s) != 20 || !digits(s, 4) || s[4] != '-' ||
        !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2) ||
        s[19] != 'Z') {
        return (0);
    }
    y = num(s, 4);
    mo = num(s + 5, 2);
    d = num(s + 8, 2);
    h = num(s + 11, 2);
    mi = num(s + 14, 2);
    se = num(s + 17, 2);
    return (periods_day(y, mo, d) != INT32_MIN && h < 24 && mi < 60 &&
        se < 60);
}

/* Copy string member ${key} of ${o} into ${out} (at most ${max} bytes,
 * checked by ${valid}).  Return 0 or STATEMENT_EINVALID. */
static int
get_id(struct jsonin *c, const json_t *o, const char *key, const char *where,
    int (*valid)(const char *), char *out, size_t max)
{
    const char *s = json_string_value(json_object_get(o, key));

    if (s == NULL) {
        return (jsonin_bad(c, "%s: \"%s\" missing or not a string", where,
            key));
    }
    if (strlen(s) > max || strlen(s) != json_string_length(
        json_object_get(o, key)) || !valid(s)) {
        return (jsonin_bad(c, "%s: bad \"%s\"", where, key));
    }
    memcpy(out, s, strlen(s) + 1);
    return (0);
}

/* Integer member ${key} of ${o} in [${min}, ${max}].  Return 0 or
 * STATEMENT_EINVALID. */
static int
get_int(struct jsonin *c, const json_t *o, const char *key, const char *where,
    int min, int max, int *out)
{
    const json_t *v = json_object_get(o, key);
    json_int_t i;

    if (!json_is_integer(v)) {
        return (jsonin_bad(c, "%s: \"%s\" missing or not an integer", where,
            key));
    }
    i = json_integer_value(v);
    if (i < min || i > max) {
        return (jsonin_bad(c, "%s: \"%s\" out of range", where, key));
    }
    *out = (int)i;
    return (0);
}

/* Is ${s} a SIRET (14 digits)? */
static int
siret_shape(const char *s)
{

    return (strlen(s) == 14 && digits(s, 14));
}

/* A copy of string member ${key} (any bytes but NUL, at most ${max}). */
static int
get_blob(struct jsonin *c, const json_t *o, const char *key, const char *where,
    size_t max, char **out, size_t *outlen)
{
    const json_t *v = json_object_get(o, key);
    size_t n;

    if (!json_is_string(v)) {
        return (jsonin_bad(c, "%s: \"%s\" missing or not a string", where,
            key));
    }
    n = json_string_length(v);
    if (n == 0 || n > max || strlen(json_string_value(v)) != n) {
        return (jsonin_bad(c, "%s: bad \"%s\"", where, key));
    }
    if ((*out = malloc(n + 1)) == NULL) {
        return (-1);
    }
    memcpy(*out, json_string_value(v), n + 1);
    if (outlen != NULL) {
        *outlen = n;
    }
    return (0);
}

/* Parse entry ${i} of "facts" into ${f}. */
static int
parse_fact(struct jsonin *c, const json_t *o, size_t i,
    struct statement_fact *f)
{
    static const char *const keys[] = { "document", "siret", "period",
        "employer_key", "facts", "signature", NULL };
    char where[48];
    int rc;

    snprintf(where, sizeof(where), "facts[%zu]", i);
    if (!json_is_object(o)) {
        return (jsonin_bad(c, "%s: not an object", where));
    }
    if ((rc = jsonin_only_keys(c, o, where, keys)) != 0 ||
        (rc = get_id(c, o, "document", where, docid_valid, f->document,
        STATEMENT_DOC_MAX)) != 0 ||
        (rc = get_id(c, o, "siret", where, siret_shape, f->siret, 14)) != 0 ||
        (rc = get_id(c, o, "period", where, month_valid, f->period, 7)) !=
        0 ||
        (rc = get_id(c, o, "employer_key", where, key_valid,
        f->employer_key, STATEMENT_KEY_LEN)) != 0 ||
        (rc = get_blob(c, o, "facts", where, FACTS_MAX_BYTES, &f->text,
        &f->textlen)) != 0 ||
        (rc = get_blob(c, o, "signature", where, STATEMENT_SIG_MAX,
        &f->signature, NULL)) != 0) {
        return (rc);
    }
    return (0);
}

/* Parse "declared": {"low_qualified_since", "dif_hours", "cec"}. */
static int
parse_declared(struct jsonin *c, const json_t *o, struct statement *st)
{
    static const char *const keys[] = { "low_qualified_since", "dif_hours",
        "cec", NULL };
    const json_t *lq, *cec, *e;
    size_t i;
    int rc;

    if (!json_is_object(o)) {
        return (jsonin_bad(c, "\"declared\" missing or not an object"));
    }
    if ((rc = jsonin_only_keys(c, o, "declared", keys)) != 0 ||
        (rc = get_int(c, o, "dif_hours", "declared", 0, ACCRUAL_DIF_MAX,
        &st->dif_hours)) != 0) {
        return (rc);
    }
    lq = json_object_get(o, "low_qualified_since");
    if (json_is_null(lq)) {
        st->low_qualified_since = 0;
    } else if ((rc = get_int(c, o, "low_qualified_since", "declared", 1900,
        ACCRUAL_LAST_YEAR, &st->low_qualified_since)) != 0) {
        return (rc);
    }
    cec = json_object_get(o, "cec");
    if (!json_is_array(cec) || json_array_size(cec) > ACCRUAL_CEC_MAX) {
        return (jsonin_bad(c, "declared: \"cec\" missing, not an array or too "
            "long"));
    }
    json_array_foreach((json_t *)(uintptr_t)cec, i, e) {
        if (!json_is_string(e) ||
            accrual_cec_parse(json_string_value(e), &st->cec[i]) != 0) {
            return (jsonin_bad(c, "declared: bad \"cec\" entry %zu", i));
        }
    }
    st->ncec = json_array_size(cec);
    return (0);
}

/* Parse the members of the statement object ${root} into ${st}. */
static int
parse_root(struct jsonin *c, const json_t *root, struct statement *st)
{
    static const char *const keys[] = { "schema", "vault", "service",
        "created", "years", "declared", "periods", "facts", "accrual",
        NULL };
    static const char *const ykeys[] = { "from", "to", NULL };
    const json_t *years, *facts, *e;
    size_t i;
    int rc;

    if ((rc = jsonin_only_keys(c, root, "statement", keys)) != 0 ||
        (rc = get_id(c, root, "vault", "statement", statement_vault_valid,
        st->vault, STATEMENT_VAULT_LEN)) != 0 ||
        (rc = get_id(c, root, "service", "statement",
        statement_service_valid, st->service, STATEMENT_SERVICE_MAX)) != 0 ||
        (rc = get_id(c, root, "created", "statement", time_valid,
        st->created, 20)) != 0) {
        return (rc);
    }
    years = json_object_get(root, "years");
    if (!json_is_object(years)) {
        return (jsonin_bad(c, "\"years\" missing or not an object"));
    }
    if ((rc = jsonin_only_keys(c, years, "years", ykeys)) != 0 ||
        (rc = get_int(c, years, "from", "years", ACCRUAL_FIRST_YEAR,
        ACCRUAL_LAST_YEAR, &st->from)) != 0 ||
        (rc = get_int(c, years, "to", "years", ACCRUAL_FIRST_YEAR,
        ACCRUAL_LAST_YEAR, &st->to)) != 0) {
        return (rc);
    }
    if (st->from > st->to) {
        return (jsonin_bad(c, "years: \"from\" after \"to\""));
    }
    if ((rc = parse_declared(c, json_object_get(root, "declared"), st)) !=
        0) {
        return (rc);
    }
    st->periods = json_incref(json_object_get(root, "periods"));
    st->accrual = json_incref(json_object_get(root, "accrual"));
    if (!json_is_array(st->periods)) {
        return (jsonin_bad(c, "\"periods\" missing or not an array"));
    }
    if (!json_is_object(st->accrual)) {
        return (jsonin_bad(c, "\"accrual\" missing or not an object"));
    }
    facts = json_object_get(root, "facts");
    if (!json_is_array(facts) ||
        json_array_size(facts) > STATEMENT_FACTS_MAX) {
        return (jsonin_bad(c, "\"facts\" missing, not an array or too long"));
    }
    if (json_array_size(facts) > 0 && (st->facts = calloc(
        json_array_size(facts), sizeof(*st->facts))) == NULL) {
        return (-1);
    }
    json_array_foreach((json_t *)(uintptr_t)facts, i, e) {
        st->nfacts = i + 1;
        if ((rc = parse_fact(c, e, i, &st->facts[i])) != 0) {
            return (rc);
        }
    }
    /* A period is a contract-month of one fact at least. */
    if (json_array_size(st->periods) > st->nfacts) {
        return (jsonin_bad(c, "\"periods\": more entries than facts"));
    }
    return (0);
}

int
statement_parse(const uint8_t *buf, size_t len, struct statement **out,
    char *err, size_t errlen)
{
    struct jsonin c = { err, errlen };
    json_error_t jerr;
    struct statement *st;
    const char *schema;
    json_t *root;
    int rc;

    /* Safe values on entry. */
    *out = NULL;
    if (errlen > 0) {
        err[0] = '\0';
    }
    if (len > STATEMENT_MAX_BYTES) {
        return (jsonin_bad(&c, "larger than %u bytes", STATEMENT_MAX_BYTES));
    }
    root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
        &jerr);
    if (root == NULL) {
        if (jsonin_mentions(buf, len, STATEMENT_SCHEMA_PREFIX)) {
            return (jsonin_bad(&c, "bad JSON: %s (line %d)", jerr.text,
                jerr.line));
        }
        snprintf(err, errlen, "not an activity statement");
        return (STATEMENT_ENOTSTATEMENT);
    }
    schema = json_string_value(json_object_get(root, "schema"));
    if (!json_is_object(root) || schema == NULL ||
        strncmp(schema, STATEMENT_SCHEMA_PREFIX,
        strlen(STATEMENT_SCHEMA_PREFIX)) != 0) {
        snprintf(err, errlen, "not an activity statement");
        json_decref(root);
        return (STATEMENT_ENOTSTATEMENT);
    }
    if (strcmp(schema, STATEMENT_SCHEMA_V1) != 0) {
        rc = jsonin_bad(&c, "unsupported schema \"%.40s\"", schema);
        goto err1;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        rc = -1;
        goto err1;
    }
    if ((rc = parse_root(&c, root, st)) != 0) {
        goto err2;
    }
    json_decref(root);
    *out = st;

    /* Success! */
    return (0);

err2:
    statement_free(st);
err1:
    json_decref(root);

    /* Failure! */
    return (rc);
}

void
statement_free(struct statement *st)
{
    size_t i;

    if (st == NULL) {
        return;
    }
    for (i = 0; i < st->nfacts; i++) {
        free(st->facts[i].text);
        free(st->facts[i].signature);
    }
    free(st->facts);
    json_decref(st->periods);
    json_decref(st->accrual);
    free(st);
}

int
statement_add_fact(struct statement *st, const struct statement_fact *f)
{
    struct statement_fact *nv, *g;

    if (st->nfacts >= STATEMENT_FACTS_MAX) {
        return (-1);
    }
    if ((nv = realloc(st->facts, (st->nfacts + 1) * sizeof(*nv))) ==
        NULL) {
        return (-1);
    }
    st->facts = nv;
    g = &nv[st->nfacts];
    *g = *f;
    g->text = malloc(f->textlen + 1);
    g->signature = strdup(f->signature);
    if (g->text == NULL || g->signature == NULL) {
        free(g->text);
        free(g->signature);
        return (-1);
    }
    memcpy(g->text, f->text, f->textlen);
    g->text[f->textlen] = '\0';
    st->nfacts++;
    return (0);
}

json_t *
statement_to_json(const struct statement *st)
{
    json_t *root, *facts, *cec, *e;
    char buf[48];
    size_t i;

    facts = json_array();
    cec = json_array();
    for (i = 0; facts != NULL && i < st->nfacts; i++) {
        const struct statement_fact *f = &st->facts[i];

        e = json_pack("{s:s,s:s,s:s,s:s,s:s%,s:s}", "document", f->document,
            "siret", f->siret, "period", f->period, "employer_key",
            f->employer_key, "facts", f->text, f->textlen, "signature",
            f->signature);
        if (e == NULL || json_array_append_new(facts, e) != 0) {
            json_decref(facts);
            facts = NULL;
        }
    }
    for (i = 0; cec != NULL && i < st->ncec; i++) {
        snprintf(buf, sizeof(buf), "%s:%d", st->cec[i].activity,
            st->cec[i].year);
        if (json_array_append_new(cec, json_string(buf)) != 0) {
            json_decref(cec);
            cec = NULL;
        }
    }
    if (facts == NULL || cec == NULL || st->periods == NULL ||
        st->accrual == NULL) {
        json_decref(facts);
        json_decref(cec);
        return (NULL);
    }
    root = json_pack("{s:s,s:s,s:s,s:s,s:{s:i,s:i},s:{s:o,s:i,s:o},s:O,"
        "s:o,s:O}", "schema", STATEMENT_SCHEMA_V1, "vault", st->vault,
        "service", st->service, "created", st->created, "years", "from",
        st->from, "to", st->to, "declared", "low_qualified_since",
        st->low_qualified_since ? json_integer(st->low_qualified_since) :
        json_null(), "dif_hours", st->dif_hours, "cec", cec, "periods",
        st->periods, "facts", facts, "accrual", st->accrual);
    return (root);
}

void
statement_params(const struct statement *st, struct accrual_params *p)
{

    memset(p, 0, sizeof(*p));
    p->first_year = 0;
    p->until = st->to;
    p->low_qualified_since = st->low_qualified_since;
    p->dif_hours = st->dif_hours;
    p->cec = st->cec;
    p->ncec = st->ncec;
}

int
statement_diff(struct statement_diffs *d, const char *fmt, ...)
{
    va_list ap;
    char **nv, *s;
    int n;

    if (d->n >= STATEMENT_DIFFS_MAX) {
        d->dropped++;
        return (0);
    }
    if (d->n == d->cap) {
        if ((nv = realloc(d->v, (d->cap ? 2 * d->cap : 8) * sizeof(*nv))) ==
            NULL) {
            return (-1);
        }
        d->v = nv;
        d->cap = d->cap ? 2 * d->cap : 8;
    }
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL) {
        return (-1);
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* Differences quote the statement: keep them one plain line. */
    jsonin_scrub(s);
    d->v[d->n++] = s;
    return (0);
}

void
statement_diffs_clear(struct statement_diffs *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        free(d->v[i]);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* Check fact ${i} of ${st} against its entry and its years, and add it to
 * ${set}.  Return 0, 1 if
 * it was left out (recorded in ${d}), or -1. */
static int
add_fact(const struct statement *st, size_t i, struct periods_set *set,
    struct statement_diffs *d)
{
    const struct statement_fact *f = &st->facts[i];
    struct facts *pf;
    char err[200], month[16];
    int rc;

    rc = facts_parse((const uint8_t *)f->text, f->textlen, &pf, err,
        sizeof(err));
    if (rc == -1) {
        return (-1);
    }
    if (rc != 0) {
        return (statement_diff(d, "facts[%zu] (document %s): %s", i,
            f->document, err) ? -1 : 1);
    }
    snprintf(month, sizeof(month), "%04d-%02d", pf->year % 10000,
        pf->month % 100);
    if (pf->year < st->from || pf->year > st->to) {
        facts_free(pf);
        return (statement_diff(d, "facts[%zu] (document %s): %s lies "
            "outside the years %d-%d", i, f->document, month, st->from,
            st->to) ? -1 : 1);
    }
    if (strcmp(pf->siret, f->siret) != 0 || strcmp(month, f->period) != 0) {
        rc = statement_diff(d, "facts[%zu] (document %s): the facts are "
            "for SIRET %s %s, the entry says %s %s", i, f->document,
            pf->siret, month, f->siret, f->period);
        facts_free(pf);
        return (rc != 0 ? -1 : 1);
    }
    rc = periods_add_facts(set, pf);
    facts_free(pf);
    return (rc);
}

int
statement_recompute(const struct statement *st, const unsigned char *use,
    json_t **periods, json_t **accrual, struct statement_diffs *d)
{
    struct accrual_params p;
    struct accrual_result *r = NULL;
    struct periods_set *set;
    json_t *pj;
    char err[256];
    size_t i;
    int rc;

    *periods = NULL;
    *accrual = NULL;
    if ((set = periods_new()) == NULL) {
        return (-1);
    }
    for (i = 0; i < st->nfacts; i++) {
        if (use != NULL && !use[i]) {
            continue;
        }
        if (add_fact(st, i, set, d) < 0) {
            goto err0;
        }
    }
    if (periods_finish(set) != 0 || (pj = periods_to_json(set)) == NULL) {
        goto err0;
    }
    *periods = json_incref(json_object_get(pj, "periods"));
    json_decref(pj);
    if (*periods == NULL) {
        goto err0;
    }
    if (periods_count_persons(set) > 1 && statement_diff(d, "the facts "
        "describe %zu persons", periods_count_persons(set)) != 0) {
        goto err0;
    }
    statement_params(st, &p);
    rc = accrual_from_periods(set, &p, &r, err, sizeof(err));
    if (rc == -1) {
        goto err0;
    }
    if (rc != 0) {
        if (statement_diff(d, "accrual: cannot be recomputed: %s", err) !=
            0) {
            goto err0;
        }
    } else if ((*accrual = accrual_to_json(r)) == NULL) {
        goto err0;
    }
    accrual_free(r);
    periods_free(set);

    /* Success! */
    return (0);

err0:
    accrual_free(r);
    periods_free(set);
    json_decref(*periods);
    *periods = NULL;

    /* Failure! */
    return (-1);
}

/* A short text of a JSON value for a difference (malloc'd). */
static char *
show(const json_t *v)
{
    char *s;
    size_t n;

    if (v == NULL) {
        return (strdup("nothing"));
    }
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS |
        JSON_REAL_PRECISION(15));
    if (s != NULL && (n = strlen(s)) > 80) {
        memcpy(s + 74, " [...]", 7);
    }
    return (s);
}

/* The name of element ${i} of an array: its year when it has one
 * ("years[2016]"). */
static void
elem_name(const char *path, size_t i, const json_t *e, char *out,
    size_t outlen)
{
    const json_t *y = json_object_get(e, "year");

    if (json_is_integer(y)) {
        snprintf(out, outlen, "%s[%lld]", path,
            (long long)json_integer_value(y));
    } else {
        snprintf(out, outlen, "%s[%zu]", path, i);
    }
}

/* The key of a period entry ("2016-03 73282932000074 2015-01-01"), or
 * -1 if ${e} is not one. */
static int
period_key(const json_t *e, char *out, size_t outlen)
{
    const char *m = json_string_value(json_object_get(e, "month"));
    const char *s = json_string_value(json_object_get(e, "siret"));
    const char *c = json_string_value(json_object_get(e, "contract_start"));
    const char *n = json_string_value(json_object_get(e, "nir"));

    if (m == NULL || s == NULL) {
        return (-1);
    }
    snprintf(out, outlen, "%.7s %.14s%s%.10s%s%.13s", m, s, c ? " " : "",
        c ? c : "", n ? " " : "", n ? n : "");
    return (0);
}

/* Nonzero if every element of arrays ${a} and ${b} is a period entry. */
static int
periods_arrays(const json_t *a, const json_t *b)
{
    char k[80];
    size_t i;

    for (i = 0; i < json_array_size(a); i++) {
        if (period_key(json_array_get(a, i), k, sizeof(k)) != 0) {
            return (0);
        }
    }
    for (i = 0; i < json_array_size(b); i++) {
        if (period_key(json_array_get(b, i), k, sizeof(k)) != 0) {
            return (0);
        }
    }
    return (json_array_size(a) + json_array_size(b) > 0);
}

/* The element of period array ${arr} whose key is ${key}, or NULL. */
static const json_t *
find_period(const json_t *arr, const char *key)
{
    char k[80];
    size_t i;

    for (i = 0; i < json_array_size(arr); i++) {
        if (period_key(json_array_get(arr, i), k, sizeof(k)) == 0 &&
            strcmp(k, key) == 0) {
            return (json_array_get(arr, i));
        }
    }
    return (NULL);
}

static int differ(struct statement_diffs *d, const char *path,
    const json_t *a, const json_t *b);

/* Compare two arrays of periods entry by entry, matched by their key, so
 * that one missing month is one difference. */
static int
compare_periods(const json_t *a, const json_t *b, const char *path,
    struct statement_diffs *d)
{
    char k[80], sub[256];
    size_t i;

    /* A period stated twice matches one entry twice: count them too. */
    if (json_array_size(a) != json_array_size(b) && statement_diff(d,
        "%s: stated %zu entries, recomputed %zu", path, json_array_size(a),
        json_array_size(b)) != 0) {
        return (-1);
    }
    for (i = 0; i < json_array_size(a); i++) {
        (void)period_key(json_array_get(a, i), k, sizeof(k));
        snprintf(sub, sizeof(sub), "%s[%s]", path, k);
        if (statement_compare(json_array_get(a, i), find_period(b, k), sub,
            d) != 0) {
            return (-1);
        }
    }
    for (i = 0; i < json_array_size(b); i++) {
        (void)period_key(json_array_get(b, i), k, sizeof(k));
        if (find_period(a, k) == NULL) {
            snprintf(sub, sizeof(sub), "%s[%s]", path, k);
            if (differ(d, sub, NULL, json_array_get(b, i)) != 0) {
                return (-1);
            }
        }
    }
    return (0);
}

/* Record "${path}: stated A, recomputed B". */
static int
differ(struct statement_diffs *d, const char *path, const json_t *a,
    const json_t *b)
{
    char *sa = show(a), *sb = show(b);
    int rc = -1;

    if (sa != NULL && sb != NULL) {
        rc = statement_diff(d, "%s: stated %s, recomputed %s", path, sa, sb);
    }
    free(sa);
    free(sb);
    return (rc);
}

int
statement_compare(const json_t *a, const json_t *b, const char *path,
    struct statement_diffs *d)
{
    const char *key;
    json_t *v;
    char sub[256];
    size_t i, n;
    double x, y;

    if (a == NULL || b == NULL) {
        return (a == b ? 0 : differ(d, path, a, b));
    }
    if (json_is_number(a) && json_is_number(b)) {
        x = json_number_value(a);
        y = json_number_value(b);
        if (fabs(x - y) > 1e-9 * (fabs(x) > 1 ? fabs(x) : 1)) {
            return (differ(d, path, a, b));
        }
        return (0);
    }
    if (json_typeof(a) != json_typeof(b)) {
        return (differ(d, path, a, b));
    }
    if (json_is_object(a)) {
        json_object_foreach((json_t *)(uintptr_t)a, key, v) {
            snprintf(sub, sizeof(sub), "%s.%.60s", path, key);
            if (statement_compare(v, json_object_get(b, key), sub, d) !=
                0) {
                return (-1);
            }
        }
        json_object_foreach((json_t *)(uintptr_t)b, key, v) {
            if (json_object_get(a, key) == NULL) {
                snprintf(sub, sizeof(sub), "%s.%.60s", path, key);
                if (differ(d, sub, NULL, v) != 0) {
                    return (-1);
                }
            }
        }
        return (0);
    }
    if (json_is_array(a) && periods_arrays(a, b)) {
        return (compare_periods(a, b, path, d));
    }
    if (json_is_array(a)) {
        n = json_array_size(a);
        if (n != json_array_size(b) && statement_diff(d, "%s: stated %zu "
            "entries, recomputed %zu", path, n, json_array_size(b)) != 0) {
            return (-1);
        }
        if (json_array_size(b) < n) {
            n = json_array_size(b);
        }
        for (i = 0; i < n; i++) {
            elem_name(path, i, json_array_get(a, i), sub, sizeof(sub));
            if (statement_compare(json_array_get(a, i), json_array_get(b,
                i), sub, d) != 0) {
                return (-1);
            }
        }
        return (0);
    }
    return (json_equal((json_t *)(uintptr_t)a, (json_t *)(uintptr_t)b) ?
        0 : differ(d, path, a, b));
}
