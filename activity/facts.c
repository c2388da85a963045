#include "activity/facts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/jsonin.h"

_Static_assert(FACTS_EINVALID == JSONIN_EINVALID,
    "one code for an invalid document");

/* Return 1 if ${s} is exactly ${n} digits. */
static int
all_digits(const char *s, size_t n)
{
    size_t i;

    if (s == NULL || strlen(s) != n) {
        return (0);
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
    }
    return (1);
}

/* Read a required (or, with ${optional}, absent/null) ISO date. */
static int
get_date(struct jsonin *c, const json_t *o, const char *key, int optional,
    int32_t *day, const char *where)
{
    json_t *j = json_object_get(o, key);
    const char *s;

    if (j == NULL || json_is_null(j)) {
        if (optional) {
            *day = PERIODS_DAY_OPEN;
            return (0);
        }
        return (jsonin_bad(c, "%s: missing \"%s\"", where, key));
    }
    if ((s = json_string_value(j)) == NULL ||
        periods_parse_iso_date(s, day)) {
        return (jsonin_bad(c, "%s: \"%s\" is not a date (YYYY-MM-DD)", where,
            key));
    }
    return (0);
}

/* Read a string member of 1..${max} bytes without control characters. */
static int
get_text(struct jsonin *c, const json_t *o, const char *key, int optional,
    size_t max, char *dst, const char *where)
{
    json_t *j = json_object_get(o, key);
    const char *s;
    size_t i, n;

    dst[0] = '\0';
    if (j == NULL && optional) {
        return (0);
    }
    if ((s = json_string_value(j)) == NULL) {
        return (jsonin_bad(c, "%s: \"%s\" must be a string", where, key));
    }
    n = json_string_length(j);
    if (n == 0 || n > max || strlen(s) != n) {
        return (jsonin_bad(c, "%s: \"%s\" has a bad length", where, key));
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return (jsonin_bad(c, "%s: \"%s\" holds a control character",
                where, key));
        }
    }
    memcpy(dst, s, n + 1);
    return (0);
}

/* Read a quantity in hundredths. */
static int
get_quantity(struct jsonin *c, const json_t *o, const char *key, int optional,
    int64_t *out, const char *where)
{
    json_t *j = json_object_get(o, key);

    *out = 0;
    if (j == NULL && optional) {
        return (0);
    }
    if (periods_hundredths_from_json(j, out) || *out < 0) {
        return (jsonin_bad(c,
            "%s: \"%s\" must be a number >= 0 with at most two "
            "decimals", where, key));
    }
    return (0);
}

static int
parse_employer(struct jsonin *c, const json_t *o, struct facts *f)
{
    static const char *const keys[] = { "siret", "name", NULL };
    const char *siret;

    if (!json_is_object(o)) {
        return (jsonin_bad(c, "\"employer\" must be an object"));
    }
    if (jsonin_only_keys(c, o, "employer", keys)) {
        return (FACTS_EINVALID);
    }
    siret = json_string_value(json_object_get(o, "siret"));
    if (!all_digits(siret, PERIODS_SIRET_LEN)) {
        return (jsonin_bad(c, "employer: \"siret\" must be 14 digits"));
    }
    memcpy(f->siret, siret, PERIODS_SIRET_LEN + 1);
    return (get_text(c, o, "name", 0, PERIODS_NAME_MAX, f->employer,
        "employer"));
}

static int
parse_employee(struct jsonin *c, const json_t *o, struct facts *f)
{
    static const char *const keys[] = { "nir", "name", NULL };
    char name[PERIODS_NAME_MAX + 1];
    json_t *j;
    const char *nir;

    if (o == NULL) {
        return (0);
    }
    if (!json_is_object(o) || jsonin_only_keys(c, o, "employee", keys)) {
        return (c->err[0] ? FACTS_EINVALID :
            jsonin_bad(c, "\"employee\" must be an object"));
    }
    if ((j = json_object_get(o, "nir")) != NULL) {
        nir = json_string_value(j);
        if (nir == NULL || strlen(nir) != PERIODS_NIR_LEN) {
            return (jsonin_bad(c, "employee: \"nir\" must be 13 characters"));
        }
        memcpy(f->nir, nir, PERIODS_NIR_LEN + 1);
    }
    return (get_text(c, o, "name", 1, PERIODS_NAME_MAX, name, "employee"));
}

static int
parse_contract(struct jsonin *c, const json_t *o, struct facts *f)
{
    static const char *const keys[] = { "number", "start", "end", "nature",
        "unit", "reference_quota", "contract_quota", NULL };
    const char *s;

    if (!json_is_object(o)) {
        return (jsonin_bad(c, "\"contract\" must be an object"));
    }
    if (jsonin_only_keys(c, o, "contract", keys) ||
        get_text(c, o, "number", 1, PERIODS_CONTRACT_MAX, f->contract,
        "contract") ||
        get_date(c, o, "start", 0, &f->contract_start, "contract") ||
        get_date(c, o, "end", 1, &f->contract_end, "contract")) {
        return (FACTS_EINVALID);
    }
    if (f->contract_end < f->contract_start) {
        return (jsonin_bad(c, "contract: ends before it starts"));
    }
    s = json_string_value(json_object_get(o, "nature"));
    if (!all_digits(s, 2)) {
        return (jsonin_bad(c, "contract: \"nature\" must be a 2-digit code"));
    }
    memcpy(f->nature, s, 3);
    s = json_string_value(json_object_get(o, "unit"));
    if (!all_digits(s, 2)) {
        return (jsonin_bad(c, "contract: \"unit\" must be a 2-digit code"));
    }
    f->unit = (s[0] - '0') * 10 + (s[1] - '0');
    if (f->unit != PERIODS_UNIT_HOUR && f->unit != PERIODS_UNIT_DAY &&
        f->unit != PERIODS_UNIT_FORFAIT_DAYS &&
        f->unit != PERIODS_UNIT_FORFAIT_HOURS &&
        f->unit != PERIODS_UNIT_NONE) {
        return (jsonin_bad(c, "contract: unknown unit \"%s\"", s));
    }
    if (get_quantity(c, o, "reference_quota", 0, &f->ref_quota,
        "contract") ||
        get_quantity(c, o, "contract_quota", 1, &f->contract_quota,
        "contract")) {
        return (FACTS_EINVALID);
    }
    if (f->ref_quota == 0 && f->unit != PERIODS_UNIT_NONE) {
        return (jsonin_bad(c, "contract: \"reference_quota\" must not be 0"));
    }
    return (0);
}

static int
parse_period(struct jsonin *c, const json_t *o, struct facts *f)
{
    static const char *const keys[] = { "start", "end", NULL };
    int y2, m2, d;

    if (!json_is_object(o)) {
        return (jsonin_bad(c, "\"period\" must be an object"));
    }
    if (jsonin_only_keys(c, o, "period", keys) ||
        get_date(c, o, "start", 0, &f->period_start, "period") ||
        get_date(c, o, "end", 0, &f->period_end, "period")) {
        return (FACTS_EINVALID);
    }
    periods_ymd(f->period_start, &f->year, &f->month, &d);
    periods_ymd(f->period_end, &y2, &m2, &d);
    if (f->period_end < f->period_start || y2 != f->year ||
        m2 != f->month) {
        return (jsonin_bad(c, "period: must lie within one calendar month"));
    }
    if (f->contract_start > f->period_end ||
        f->contract_end < f->period_start) {
        return (jsonin_bad(c, "period: outside the contract"));
    }
    return (0);
}

static int
parse_absences(struct jsonin *c, const json_t *arr, struct facts *f)
{
    static const char *const keys[] = { "type", "reason", "start", "end",
        NULL };
    struct facts_absence *a;
    const char *type, *reason;
    size_t i;

    if (arr == NULL) {
        return (0);
    }
    if (!json_is_array(arr) || json_array_size(arr) > FACTS_MAX_ABSENCES) {
        return (jsonin_bad(c, "\"absences\" must be an array of at most %d",
            FACTS_MAX_ABSENCES));
    }
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);

        a = &f->absences[f->nabsences++];
        if (!json_is_object(o)) {
            return (jsonin_bad(c, "absences[%zu] must be an object", i));
        }
        if (jsonin_only_keys(c, o, "absence", keys)) {
            return (FACTS_EINVALID);
        }
        type = json_string_value(json_object_get(o, "type"));
        if (type != NULL && strcmp(type, "sick-leave") == 0) {
            a->sick = 1;
        } else if (type == NULL || strcmp(type, "suspension") != 0) {
            return (jsonin_bad(c,
                "absences[%zu]: \"type\" must be \"sick-leave\" "
                "or \"suspension\"", i));
        }
        reason = json_string_value(json_object_get(o, "reason"));
        if (!all_digits(reason, a->sick ? 2 : 3)) {
            return (jsonin_bad(c, "absences[%zu]: bad \"reason\" code", i));
        }
        memcpy(a->reason, reason, strlen(reason) + 1);
        if (get_date(c, o, "start", 0, &a->start, "absence") ||
            get_date(c, o, "end", 1, &a->end, "absence")) {
            return (FACTS_EINVALID);
        }
        if (a->end < a->start) {
            return (jsonin_bad(c, "absences[%zu]: ends before it starts", i));
        }
    }
    return (0);
}

int
facts_looks_like(const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
            buf[i] != '\n') {
            return (buf[i] == '{');
        }
    }
    return (0);
}

void
facts_free(struct facts *f)
{

    free(f);
}

int
facts_parse(const uint8_t *buf, size_t len, struct facts **out,
    char *err, size_t errlen)
{
    static const char *const keys[] = { "schema", "employer", "employee",
        "contract", "period", "paid", "absences", NULL };
    struct jsonin c = { err, errlen };
    json_error_t jerr;
    struct facts *f;
    const char *schema;
    json_t *root;
    int rc = FACTS_EINVALID;

    /* Safe values on entry. */
    *out = NULL;
    if (errlen > 0) {
        err[0] = '\0';
    }
    if (len > FACTS_MAX_BYTES || !facts_looks_like(buf, len)) {
        snprintf(err, errlen, "not payroll facts");
        return (FACTS_ENOTFACTS);
    }
    root = json_loadb((const char *)buf, len,
        JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL && jsonin_mentions(buf, len, FACTS_SCHEMA_PREFIX)) {
        /* Damaged payroll facts rather than some other JSON. */
        return (jsonin_bad(&c, "bad JSON: %s (line %d)", jerr.text,
            jerr.line));
    }
    schema = json_string_value(json_object_get(root, "schema"));
    if (root == NULL || !json_is_object(root) || schema == NULL ||
        strncmp(schema, FACTS_SCHEMA_PREFIX,
        strlen(FACTS_SCHEMA_PREFIX)) != 0) {
        snprintf(err, errlen, "not payroll facts");
        json_decref(root);
        return (FACTS_ENOTFACTS);
    }
    if (strcmp(schema, FACTS_SCHEMA_V1) != 0) {
        rc = jsonin_bad(&c, "unsupported schema \"%.40s\"", schema);
        goto err1;
    }
    if ((f = calloc(1, sizeof(*f))) == NULL) {
        rc = -1;
        goto err1;
    }
    f->version = 1;
    if (jsonin_only_keys(&c, root, "payroll facts", keys) ||
        parse_employer(&c, json_object_get(root, "employer"), f) ||
        parse_employee(&c, json_object_get(root, "employee"), f) ||
        parse_contract(&c, json_object_get(root, "contract"), f) ||
        parse_period(&c, json_object_get(root, "period"), f) ||
        get_quantity(&c, root, "paid", 0, &f->paid, "payroll facts") ||
        parse_absences(&c, json_object_get(root, "absences"), f)) {
        goto err2;
    }
    json_decref(root);
    *out = f;

    /* Success! */
    return (0);

err2:
    free(f);
err1:
    json_decref(root);

    /* Failure! */
    return (rc);
}

/* Set ${key} of ${o} to ${v}, which it takes; 0 or -1. */
static int
put(json_t *o, const char *key, json_t *v)
{

    return (v == NULL ? -1 : json_object_set_new(o, key, v));
}

/* A date member, or null for an open end. */
static json_t *
date_json(int32_t day)
{
    char buf[11];

    periods_format_day(day, buf);
    return (buf[0] ? json_string(buf) : json_null());
}

json_t *
facts_to_json(const struct facts *f)
{
    json_t *root, *o, *arr, *a;
    char unit[3];
    size_t i;

    if ((root = json_object()) == NULL) {
        return (NULL);
    }
    if (put(root, "schema", json_string(FACTS_SCHEMA_V1))) {
        goto err;
    }
    if ((o = json_object()) == NULL || put(root, "employer", o) ||
        put(o, "siret", json_string(f->siret)) ||
        put(o, "name", json_string(f->employer))) {
        goto err;
    }
    if (f->nir[0] != '\0' && ((o = json_object()) == NULL ||
        put(root, "employee", o) || put(o, "nir", json_string(f->nir)))) {
        goto err;
    }
    snprintf(unit, sizeof(unit), "%02u", (unsigned)f->unit % 100u);
    if ((o = json_object()) == NULL || put(root, "contract", o) ||
        (f->contract[0] && put(o, "number", json_string(f->contract))) ||
        put(o, "start", date_json(f->contract_start)) ||
        put(o, "end", date_json(f->contract_end)) ||
        put(o, "nature", json_string(f->nature)) ||
        put(o, "unit", json_string(unit)) ||
        put(o, "reference_quota", json_real(f->ref_quota / 100.0)) ||
        (f->contract_quota > 0 && put(o, "contract_quota",
        json_real(f->contract_quota / 100.0)))) {
        goto err;
    }
    if ((o = json_object()) == NULL || put(root, "period", o) ||
        put(o, "start", date_json(f->period_start)) ||
        put(o, "end", date_json(f->period_end)) ||
        put(root, "paid", json_real(f->paid / 100.0))) {
        goto err;
    }
    if ((arr = json_array()) == NULL || put(root, "absences", arr)) {
        goto err;
    }
    for (i = 0; i < f->nabsences; i++) {
        if ((a = json_object()) == NULL || json_array_append_new(arr, a) ||
            put(a, "type", json_string(f->absences[i].sick ? "sick-leave" :
            "suspension")) ||
            put(a, "reason", json_string(f->absences[i].reason)) ||
            put(a, "start", date_json(f->absences[i].start)) ||
            put(a, "end", date_json(f->absences[i].end))) {
            goto err;
        }
    }
    return (root);

err:
    json_decref(root);
    return (NULL);
}
