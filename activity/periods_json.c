#include "activity/periods.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/dsn.h"
#include "activity/facts.h"
#include "activity/hook.h"

/*
 * Periods as JSON: the output of `coffre periods --json`, and the same shape
 * read back from an external hook.
 */

#define PERIODS_JSON_MAX (HOOK_OUTPUT_MAX)
#define PERIODS_JSON_MAX_ENTRIES 100000

static const char *const src_keys[PERIODS_NSRC] = { "facts", "dsn",
    "hook" };

/* Set ${key} of ${obj} to ${v}, which it takes; return 0 or -1. */
static int
set_new(json_t *obj, const char *key, json_t *v)
{

    if (v == NULL) {
        return (-1);
    }
    return (json_object_set_new(obj, key, v));
}

/* A JSON number for hundredths. */
static json_t *
hundredths(int64_t v)
{

    return (json_real((double)v / 100.0));
}

/* Return month ${m} as one JSON object, or NULL. */
static json_t *
month_to_json(const struct periods_month *m)
{
    json_t *o, *src;
    char buf[16];
    int s;

    if ((o = json_object()) == NULL) {
        return (NULL);
    }
    if (set_new(o, "siret", json_string(m->siret))) {
        goto err;
    }
    if (m->employer[0] && set_new(o, "employer", json_string(m->employer))) {
        goto err;
    }
    if (m->nir[0] && set_new(o, "nir", json_string(m->nir))) {
        goto err;
    }
    if (m->v.contract[0] &&
        set_new(o, "contract", json_string(m->v.contract))) {
        goto err;
    }
    periods_format_day(m->contract_start, buf);
    if (set_new(o, "contract_start", buf[0] ? json_string(buf) :
        json_null())) {
        goto err;
    }
    periods_format_day(m->v.contract_end, buf);
    if (buf[0] && set_new(o, "contract_end", json_string(buf))) {
        goto err;
    }
    if (m->v.nature[0] && set_new(o, "nature", json_string(m->v.nature))) {
        goto err;
    }
    snprintf(buf, sizeof(buf), "%04d-%02d", m->year % 10000, m->month % 100);
    if (set_new(o, "month", json_string(buf))) {
        goto err;
    }
    snprintf(buf, sizeof(buf), "%02d", m->v.unit % 100);
    if (set_new(o, "unit", json_string(buf)) ||
        set_new(o, "reference_quota", hundredths(m->v.ref_quota))) {
        goto err;
    }
    if (m->v.contract_quota > 0 && set_new(o, "contract_quota",
        hundredths(m->v.contract_quota))) {
        goto err;
    }
    if (set_new(o, "paid", hundredths(m->v.paid)) ||
        set_new(o, "absence_days", json_integer(m->absence_days)) ||
        set_new(o, "absence", hundredths(m->absence)) ||
        set_new(o, "counted", hundredths(m->counted))) {
        goto err;
    }
    if ((src = json_array()) == NULL || set_new(o, "sources", src)) {
        goto err;
    }
    for (s = 0; s < PERIODS_NSRC; s++) {
        if ((m->sources & (1u << s)) &&
            json_array_append_new(src, json_string(src_keys[s]))) {
            goto err;
        }
    }
    return (o);

err:
    json_decref(o);
    return (NULL);
}

json_t *
periods_to_json(const struct periods_set *set)
{
    json_t *root, *arr, *o;
    char buf[16];
    size_t i;

    if ((root = json_object()) == NULL) {
        goto err0;
    }
    if ((arr = json_array()) == NULL || set_new(root, "periods", arr)) {
        goto err1;
    }
    for (i = 0; i < set->nmonths; i++) {
        if (json_array_append_new(arr, month_to_json(&set->months[i]))) {
            goto err1;
        }
    }
    if ((arr = json_array()) == NULL || set_new(root, "conflicts", arr)) {
        goto err1;
    }
    for (i = 0; i < set->nconflicts; i++) {
        const struct periods_conflict *c = &set->conflicts[i];

        if ((o = json_object()) == NULL || json_array_append_new(arr, o)) {
            goto err1;
        }
        snprintf(buf, sizeof(buf), "%04d-%02d", c->year % 10000,
            c->month % 100);
        if (set_new(o, "siret", json_string(c->siret)) ||
            set_new(o, "month", json_string(buf))) {
            goto err1;
        }
        periods_format_day(c->contract_start, buf);
        if (set_new(o, "contract_start", buf[0] ? json_string(buf) :
            json_null()) || set_new(o, "what", json_string(c->what))) {
            goto err1;
        }
    }
    if ((arr = json_array()) == NULL || set_new(root, "warnings", arr)) {
        goto err1;
    }
    for (i = 0; i < set->nwarnings; i++) {
        if (json_array_append_new(arr, json_string(set->warnings[i]))) {
            goto err1;
        }
    }

    /* Success! */
    return (root);

err1:
    json_decref(root);
err0:
    /* Failure! */
    return (NULL);
}

/* Return 1 if ${s} is exactly ${n} digits. */
static int
all_digits(const char *s, size_t n)
{
    size_t i;

    if (strlen(s) != n) {
        return (0);
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
    }
    return (1);
}

/* Read one absence of hook output into ${a}; 0 or -1. */
static int
absence_from_json(const json_t *j, struct periods_absence *a)
{
    const char *type, *reason, *start, *end = NULL;
    json_t *je;

    if (!json_is_object(j) ||
        (type = json_string_value(json_object_get(j, "type"))) == NULL ||
        (reason = json_string_value(json_object_get(j, "reason"))) == NULL ||
        (start = json_string_value(json_object_get(j, "start"))) == NULL) {
        return (-1);
    }
    if (strcmp(type, "sick-leave") == 0) {
        a->sick = 1;
    } else if (strcmp(type, "suspension") != 0) {
        return (-1);
    }
    if (!all_digits(reason, a->sick ? 2 : 3)) {
        return (-1);
    }
    memcpy(a->reason, reason, strlen(reason) + 1);
    if (periods_parse_iso_date(start, &a->start)) {
        return (-1);
    }
    a->end = PERIODS_DAY_OPEN;
    je = json_object_get(j, "end");
    if (je != NULL && !json_is_null(je) &&
        ((end = json_string_value(je)) == NULL ||
        periods_parse_iso_date(end, &a->end) || a->end < a->start)) {
        return (-1);
    }
    a->counts = periods_absence_counts(a->sick, a->reason);
    a->source = PERIODS_SRC_HOOK;
    return (0);
}

/* Read the optional members of one hook period into ${v}; 0 or -1. */
static int
values_from_json(const json_t *e, struct periods_values *v)
{
    const char *s;
    json_t *j;
    int32_t d;

    v->present = 1;
    v->unit = PERIODS_UNIT_HOUR;
    v->ref_quota = PERIODS_LEGAL_QUOTA;
    v->contract_end = PERIODS_DAY_OPEN;
    if ((j = json_object_get(e, "unit")) != NULL) {
        if ((s = json_string_value(j)) == NULL || !all_digits(s, 2)) {
            return (-1);
        }
        v->unit = (s[0] - '0') * 10 + (s[1] - '0');
        if (v->unit != PERIODS_UNIT_HOUR && v->unit != PERIODS_UNIT_DAY &&
            v->unit != PERIODS_UNIT_FORFAIT_DAYS &&
            v->unit != PERIODS_UNIT_FORFAIT_HOURS &&
            v->unit != PERIODS_UNIT_NONE) {
            return (-1);
        }
    }
    if ((j = json_object_get(e, "reference_quota")) != NULL &&
        (periods_hundredths_from_json(j, &v->ref_quota) ||
        v->ref_quota <= 0)) {
        return (-1);
    }
    if ((j = json_object_get(e, "contract_quota")) != NULL &&
        (periods_hundredths_from_json(j, &v->contract_quota) ||
        v->contract_quota < 0)) {
        return (-1);
    }
    if (periods_hundredths_from_json(json_object_get(e, "paid"), &v->paid) ||
        v->paid < 0) {
        return (-1);
    }
    if ((j = json_object_get(e, "contract")) != NULL) {
        if ((s = json_string_value(j)) == NULL || strlen(s) == 0 ||
            strlen(s) > PERIODS_CONTRACT_MAX) {
            return (-1);
        }
        memcpy(v->contract, s, strlen(s) + 1);
    }
    if ((j = json_object_get(e, "nir")) != NULL) {
        if ((s = json_string_value(j)) == NULL ||
            strlen(s) != PERIODS_NIR_LEN) {
            return (-1);
        }
        memcpy(v->nir, s, PERIODS_NIR_LEN + 1);
    }
    if ((j = json_object_get(e, "nature")) != NULL) {
        if ((s = json_string_value(j)) == NULL || !all_digits(s, 2)) {
            return (-1);
        }
        memcpy(v->nature, s, 3);
    }
    if ((j = json_object_get(e, "contract_end")) != NULL && !json_is_null(j)) {
        if ((s = json_string_value(j)) == NULL ||
            periods_parse_iso_date(s, &d)) {
            return (-1);
        }
        v->contract_end = d;
    }
    return (0);
}

/* Add one entry of hook output; return 0, -1 on memory, -2 if invalid. */
static int
entry_from_json(struct periods_set *set, const json_t *e)
{
    struct periods_values v;
    struct periods_absence a;
    const char *siret, *month, *s;
    int32_t start = 0;
    json_t *j, *abs;
    size_t i;
    int y, m;

    memset(&v, 0, sizeof(v));
    if (!json_is_object(e) ||
        (siret = json_string_value(json_object_get(e, "siret"))) == NULL ||
        !all_digits(siret, PERIODS_SIRET_LEN) ||
        (month = json_string_value(json_object_get(e, "month"))) == NULL ||
        strlen(month) != 7 || month[4] != '-' || !all_digits(month + 5, 2)) {
        return (-2);
    }
    y = 0;
    for (i = 0; i < 4; i++) {
        if (month[i] < '0' || month[i] > '9') {
            return (-2);
        }
        y = y * 10 + (month[i] - '0');
    }
    m = (month[5] - '0') * 10 + (month[6] - '0');
    if (periods_day(y, m, 1) == INT32_MIN) {
        return (-2);
    }
    if ((j = json_object_get(e, "contract_start")) != NULL &&
        !json_is_null(j)) {
        if ((s = json_string_value(j)) == NULL ||
            periods_parse_iso_date(s, &start)) {
            return (-2);
        }
    }
    if (values_from_json(e, &v)) {
        return (-2);
    }
    if (periods_add_month(set, PERIODS_SRC_HOOK, siret, start, y, m, &v)) {
        return (-1);
    }
    if ((abs = json_object_get(e, "absences")) == NULL) {
        return (0);
    }
    if (!json_is_array(abs) || json_array_size(abs) > 62) {
        return (-2);
    }
    for (i = 0; i < json_array_size(abs); i++) {
        memset(&a, 0, sizeof(a));
        if (absence_from_json(json_array_get(abs, i), &a)) {
            return (-2);
        }
        memcpy(a.siret, siret, sizeof(a.siret));
        memcpy(a.nir, v.nir, sizeof(a.nir));
        a.contract_start = start;
        if (periods_add_absence(set, &a)) {
            return (-1);
        }
    }
    return (0);
}

int
periods_add_json(struct periods_set *set, const char *buf, size_t len,
    char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root, *arr;
    size_t i;
    int rc;

    if (len > PERIODS_JSON_MAX) {
        snprintf(err, errlen, "periods JSON larger than %u bytes",
            PERIODS_JSON_MAX);
        return (-2);
    }
    if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
        NULL) {
        snprintf(err, errlen, "periods JSON: %s (line %d)", jerr.text,
            jerr.line);
        return (-2);
    }
    arr = json_object_get(root, "periods");
    if (!json_is_object(root) || !json_is_array(arr) ||
        json_array_size(arr) > PERIODS_JSON_MAX_ENTRIES) {
        snprintf(err, errlen, "periods JSON: no \"periods\" array");
        json_decref(root);
        return (-2);
    }
    for (i = 0; i < json_array_size(arr); i++) {
        if ((rc = entry_from_json(set, json_array_get(arr, i))) != 0) {
            if (rc == -2) {
                snprintf(err, errlen, "periods JSON: entry %zu is invalid",
                    i);
            }
            json_decref(root);
            return (rc);
        }
    }
    json_decref(root);
    return (0);
}

/* Add the periods of a DSN file. */
static int
add_dsn(struct periods_set *set, const uint8_t *buf, size_t len,
    const char *name, char *err, size_t errlen)
{
    struct dsn_error derr;
    struct dsn_file *f;
    int rc;

    if ((rc = dsn_parse(buf, len, &f, &derr)) != 0) {
        if (rc == -1) {
            return (-1);
        }
        if (derr.line > 0) {
            snprintf(err, errlen, "%s: line %zu: %s", name, derr.line,
                derr.msg);
        } else {
            snprintf(err, errlen, "%s: %s", name, derr.msg);
        }
        return (PERIODS_EDOC);
    }
    if (f->latin1 && periods_warn(set, "%s: read as Latin-1", name)) {
        dsn_free(f);
        return (-1);
    }
    rc = periods_add_dsn(set, f, name);
    dsn_free(f);
    return (rc);
}

int
periods_add_hook(struct periods_set *set, const uint8_t *buf, size_t len,
    const char *doc_class, const char *name, const char *hook, char *err,
    size_t errlen)
{
    char herr[160], jerr[160];
    char *out;
    size_t outlen;
    int rc;

    rc = hook_run(hook, doc_class, name, buf, len, HOOK_TIMEOUT_MS,
        HOOK_OUTPUT_MAX, &out, &outlen, herr, sizeof(herr));
    if (rc != 0) {
        snprintf(err, errlen, "%s: hook %s: %s", name, hook,
            rc == -1 ? "system error" : herr);
        return (PERIODS_EHOOK);
    }
    rc = periods_add_json(set, out, outlen, jerr, sizeof(jerr));
    free(out);
    if (rc == -2) {
        snprintf(err, errlen, "%s: hook %s: %s", name, hook, jerr);
        return (PERIODS_EHOOK);
    }
    return (rc);
}

int
periods_add_document(struct periods_set *set, const uint8_t *buf,
    size_t len, const char *name, const char *hook, char *err,
    size_t errlen)
{
    struct facts *f;
    char ferr[160];
    int rc;

    err[0] = '\0';
    if (name == NULL) {
        name = "(document)";
    }
    if (facts_looks_like(buf, len)) {
        rc = facts_parse(buf, len, &f, ferr, sizeof(ferr));
        if (rc == 0) {
            rc = periods_add_facts(set, f);
            facts_free(f);
            return (rc);
        }
        if (rc == -1) {
            return (-1);
        }
        if (rc == FACTS_EINVALID) {
            snprintf(err, errlen, "%s: %s", name, ferr);
            return (PERIODS_EDOC);
        }
        /* Not payroll facts: perhaps periods JSON. */
        rc = periods_add_json(set, (const char *)buf, len, ferr,
            sizeof(ferr));
        if (rc != -2) {
            return (rc);
        }
    } else if (dsn_looks_like(buf, len)) {
        return (add_dsn(set, buf, len, name, err, errlen));
    }
    if (hook != NULL) {
        return (periods_add_hook(set, buf, len, "file", name, hook, err,
            errlen));
    }
    snprintf(err, errlen, "%s: neither a DSN file nor payroll facts "
        "(a hook may read it: --hook PATH)", name);
    return (PERIODS_EUNKNOWN);
}
