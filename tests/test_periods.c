#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "activity/accrual.h"
#include "activity/dsn.h"
#include "activity/facts.h"
#include "activity/periods.h"
#include "tests/util/activity_gen.h"

/*
 * Allocation failures: the objects of this program call __wrap_malloc and
 * friends (see test_periods.mk); after ${fail_after} more allocations, the
 * next ones fail.  -1 never fails.
 */
static long fail_after = -1;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* Return 1 if this allocation must fail. */
static int
fail_now(void)
{

    if (fail_after < 0) {
        return (0);
    }
    if (fail_after == 0) {
        return (1);
    }
    fail_after--;
    return (0);
}

void *
__wrap_malloc(size_t n)
{

    return (fail_now() ? NULL : __real_malloc(n));
}

void *
__wrap_calloc(size_t n, size_t size)
{

    return (fail_now() ? NULL : __real_calloc(n, size));
}

void *
__wrap_realloc(void *p, size_t n)
{

    return (fail_now() ? NULL : __real_realloc(p, n));
}

char *
__wrap_strdup(const char *s)
{

    return (fail_now() ? NULL : __real_strdup(s));
}

/* jansson's allocator, failing with the others. */
static void *
json_failing_malloc(size_t n)
{

    return (__wrap_malloc(n));
}

static const struct activity_gen_month base = { .year = 2016, .month = 3,
    .paid = "151.67" };

/* Add the document ${text} to ${set}; return the result code. */
static int
add(struct periods_set *set, const char *text)
{
    char err[256];

    return (periods_add_document(set, (const uint8_t *)text, strlen(text),
        "doc", NULL, err, sizeof(err)));
}

/* A file with the months ${ms}. */
static char *
file_of(const struct activity_gen_month *ms, size_t n)
{
    struct activity_gen_buf b = { 0 };
    size_t i;

    activity_gen_header(&b);
    for (i = 0; i < n; i++) {
        activity_gen_month(&b, &ms[i]);
    }
    return (b.p);
}

/* Payroll facts for March 2016 of the base contract, paying ${paid}. */
static char *
facts_text(const char *paid)
{
    char *t;

    t = malloc(1024);
    assert_non_null(t);
    snprintf(t, 1024, "{\"schema\":\"coffre.payroll-facts/1\","
        "\"employer\":{\"siret\":\"73282932000074\",\"name\":\"Acme SA\"},"
        "\"contract\":{\"number\":\"C0001\",\"start\":\"2015-01-01\","
        "\"end\":null,\"nature\":\"01\",\"unit\":\"10\","
        "\"reference_quota\":151.67,\"contract_quota\":151.67},"
        "\"period\":{\"start\":\"2016-03-01\",\"end\":\"2016-03-31\"},"
        "\"paid\":%s,\"absences\":[]}", paid);
    return (t);
}

static void
test_periods_full_career_one_record_per_month(void **state)
{
    struct activity_gen_buf b = { 0 };
    struct periods_set *set;
    size_t i;
    int y;

    (void)state;
    activity_gen_header(&b);
    for (y = 2015; y <= 2018; y++) {
        activity_gen_year(&b, &base, y, "151.67");
    }
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, b.p), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 48);
    for (i = 0; i < 48; i++) {
        assert_int_equal(set->months[i].year, 2015 + (int)i / 12);
        assert_int_equal(set->months[i].month, 1 + (int)i % 12);
        assert_int_equal(set->months[i].counted, 15167);
        assert_int_equal(set->months[i].sources, 1u << PERIODS_SRC_DSN);
    }
    assert_int_equal(set->nconflicts, 0);
    periods_free(set);
    activity_gen_free(&b);
}

static void
test_periods_same_dsn_twice_counts_once(void **state)
{
    struct periods_set *set;
    char *text = file_of(&base, 1);

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].v.paid, 15167);
    periods_free(set);
    free(text);
}

static void
test_periods_replaced_declaration_replaces(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set;
    char *text;

    (void)state;
    m[0].paid = "100.00";
    m[1].type = "03";
    m[1].paid = "140.00";
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].v.paid, 14000);
    periods_free(set);
    free(text);
}

static void
test_periods_cancelled_declaration_is_removed(void **state)
{
    struct activity_gen_month m[3] = { base, base, base };
    struct periods_set *set;
    char *first, *cancel;

    (void)state;
    m[1].month = 4;
    first = file_of(m, 2);
    m[2].type = "04";
    m[2].paid = NULL;
    cancel = file_of(&m[2], 1);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, first), 0);
    assert_int_equal(add(set, cancel), 0);
    assert_int_equal(periods_finish(set), 0);
    /* March is cancelled, April stays. */
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].month, 4);
    periods_free(set);
    free(first);
    free(cancel);
}

static void
test_periods_cancel_of_another_siret_changes_nothing(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set;
    char *text;

    (void)state;
    m[1].type = "04";
    m[1].siren = "552100554";
    m[1].paid = NULL;
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_string_equal(set->months[0].siret, "73282932000074");
    periods_free(set);
    free(text);
}

static void
test_periods_two_employers_in_one_year(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set;
    char *text;

    (void)state;
    m[1].siren = "552100554";
    m[1].start = "01032016";
    m[1].paid = "50.00";
    m[1].cq = "50.00";
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 2);
    assert_string_equal(set->months[0].siret, "55210055400074");
    assert_int_equal(set->months[0].counted, 5000);
    assert_string_equal(set->months[1].siret, "73282932000074");
    periods_free(set);
    free(text);
}

static void
test_periods_partial_maternity_fills_unpaid_days(void **state)
{
    struct activity_gen_month m = base;
    struct periods_set *set;
    char *text;

    (void)state;
    /* Leave from 17 March: 15 days of 31, paid half a month. */
    m.paid = "75.84";
    m.contract_extra = "S21.G00.60.001,'02'\nS21.G00.60.002,'16032016'\n";
    text = file_of(&m, 1);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->months[0].absence_days, 15);
    /* 151.67 × 15 / 31 = 73.38 */
    assert_int_equal(set->months[0].absence, 7338);
    assert_int_equal(set->months[0].counted, 7584 + 7338);
    periods_free(set);
    free(text);
}

static void
test_periods_ordinary_sickness_does_not_count(void **state)
{
    struct activity_gen_month m = base;
    struct periods_set *set;
    char *text;

    (void)state;
    m.paid = "0.00";
    m.contract_extra = "S21.G00.60.001,'01'\nS21.G00.60.002,'29022016'\n";
    text = file_of(&m, 1);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->months[0].absence_days, 0);
    assert_int_equal(set->months[0].counted, 0);
    periods_free(set);
    free(text);
}

static void
test_periods_absence_with_return_date_overrides_open_copy(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set;
    char *text;

    (void)state;
    /* Declared open in March, the return (10 April) told in April. */
    m[0].paid = "0.00";
    m[0].contract_extra = "S21.G00.60.001,'06'\nS21.G00.60.002,'29022016'\n";
    m[1].month = 4;
    m[1].paid = "100.00";
    m[1].contract_extra = "S21.G00.60.001,'06'\nS21.G00.60.002,'29022016'\n"
        "S21.G00.60.010,'10042016'\n";
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 2);
    assert_int_equal(set->months[0].absence_days, 31);
    assert_int_equal(set->months[1].absence_days, 9);
    periods_free(set);
    free(text);
}

static void
test_periods_facts_and_dsn_agree(void **state)
{
    struct periods_set *set;
    char *dsn = file_of(&base, 1), *facts = facts_text("151.67");

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, dsn), 0);
    assert_int_equal(add(set, facts), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].sources,
        (1u << PERIODS_SRC_DSN) | (1u << PERIODS_SRC_FACTS));
    assert_string_equal(set->months[0].employer, "Acme SA");
    assert_int_equal(set->nconflicts, 0);
    periods_free(set);
    free(dsn);
    free(facts);
}

static void
test_periods_facts_and_dsn_conflict_is_reported(void **state)
{
    struct periods_set *set;
    char *dsn = file_of(&base, 1), *facts = facts_text("140.00");

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, facts), 0);
    assert_int_equal(add(set, dsn), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].v.paid, 14000); /* facts are kept */
    assert_int_equal(set->nconflicts, 1);
    assert_string_equal(set->conflicts[0].what, "paid: payroll facts "
        "140.00, DSN 151.67 (payroll facts kept)");
    /* Finishing again does not repeat the conflict. */
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nconflicts, 1);
    periods_free(set);
    free(dsn);
    free(facts);
}

static void
test_periods_add_json_reads_hook_output(void **state)
{
    static const char json[] = "{\"periods\":[{\"siret\":\"73282932000074\","
        "\"month\":\"2016-03\",\"contract_start\":\"2015-01-01\","
        "\"paid\":151.67,\"absences\":[{\"type\":\"suspension\","
        "\"reason\":\"632\",\"start\":\"2016-03-01\",\"end\":\"2016-03-31\"}"
        "]}]}";
    struct periods_set *set;
    char err[128];

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_json(set, json, strlen(json), err,
        sizeof(err)), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].sources, 1u << PERIODS_SRC_HOOK);
    assert_int_equal(set->months[0].v.ref_quota, PERIODS_LEGAL_QUOTA);
    assert_int_equal(set->months[0].absence_days, 31);
    /* Paid in full already: the absence adds nothing. */
    assert_int_equal(set->months[0].counted, 15167);
    periods_free(set);
}

static void
test_periods_add_json_rejects_bad_entries(void **state)
{
    static const char *const bad[] = { "", "[]", "{}", "{\"periods\":{}}",
        "{\"periods\":[{\"siret\":\"123\",\"month\":\"2016-03\","
        "\"paid\":1}]}",
        "{\"periods\":[{\"siret\":\"73282932000074\",\"month\":\"2016-13\","
        "\"paid\":1}]}",
        "{\"periods\":[{\"siret\":\"73282932000074\",\"month\":\"2016-03\","
        "\"paid\":1.234}]}",
        "{\"periods\":[{\"siret\":\"73282932000074\",\"month\":\"2016-03\"}"
        "]}",
        "{\"periods\":[{\"siret\":\"73282932000074\",\"month\":\"2016-03\","
        "\"paid\":1,\"contract_start\":\"2016-02-30\"}]}" };
    struct periods_set *set;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_non_null(set = periods_new());
        assert_int_equal(periods_add_json(set, bad[i], strlen(bad[i]), err,
            sizeof(err)), -2);
        periods_free(set);
    }
}

static void
test_periods_add_document_tells_kinds_apart(void **state)
{
    struct periods_set *set;
    char err[256], *text = file_of(&base, 1), *broken;

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_document(set, (const uint8_t *)"%PDF-1.4",
        8, "a.pdf", NULL, err, sizeof(err)), PERIODS_EUNKNOWN);
    assert_non_null(strstr(err, "a.pdf"));
    broken = strdup(text);
    assert_non_null(broken);
    *strstr(broken, "S21.G00.40.012,'151.67'") = 'X';
    assert_int_equal(periods_add_document(set, (const uint8_t *)broken,
        strlen(broken), "b.dsn", NULL, err, sizeof(err)), PERIODS_EDOC);
    assert_non_null(strstr(err, "b.dsn: line "));
    assert_int_equal(add(set, "{\"schema\":\"coffre.payroll-facts/1\"}"),
        PERIODS_EDOC);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 0);
    periods_free(set);
    free(broken);
    free(text);
}

static void
test_periods_to_json_lists_months_and_conflicts(void **state)
{
    struct periods_set *set;
    char *dsn = file_of(&base, 1), *facts = facts_text("140.00");
    json_t *j, *p;

    (void)state;
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, dsn), 0);
    assert_int_equal(add(set, facts), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_non_null(j = periods_to_json(set));
    assert_int_equal(json_array_size(json_object_get(j, "periods")), 1);
    p = json_array_get(json_object_get(j, "periods"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "siret")),
        "73282932000074");
    assert_string_equal(json_string_value(json_object_get(p, "month")),
        "2016-03");
    assert_string_equal(json_string_value(json_object_get(p,
        "contract_start")), "2015-01-01");
    assert_string_equal(json_string_value(json_object_get(p, "unit")), "10");
    assert_true(json_real_value(json_object_get(p, "paid")) == 140.0);
    assert_int_equal(json_array_size(json_object_get(p, "sources")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "conflicts")), 1);
    assert_true(json_is_array(json_object_get(j, "warnings")));
    json_decref(j);
    periods_free(set);
    free(dsn);
    free(facts);
}

static void
test_periods_keeps_persons_apart(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set;
    char *text;

    (void)state;
    m[1].nir = "2850275123456";
    m[1].paid = "80.00";
    m[1].contract_extra = "S21.G00.60.001,'02'\nS21.G00.60.002,'29022016'\n";
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 2);
    assert_int_equal(periods_count_persons(set), 2);
    assert_int_equal(periods_keep_person(set, "1800175123456"), 0);
    assert_int_equal(set->nmonths, 1);
    assert_string_equal(set->months[0].nir, "1800175123456");
    assert_int_equal(set->months[0].v.paid, 15167);
    /* The other person's maternity leave is not this person's. */
    assert_int_equal(set->months[0].absence_days, 0);
    assert_int_equal(periods_count_persons(set), 1);
    periods_free(set);
    free(text);
}

static void
test_periods_days_without_reference_count_nothing(void **state)
{
    struct periods_set *set;
    char *text;

    (void)state;
    /* Found by fuzz_dsn: a day contract without 40.012 counted -0.01. */
    text = strdup("S10.G00.00.006,'P24V01'\nS20.G00.05.001,'01'\n"
        "S20.G00.05.002,'01'\nS20.G00.05.005,'01012015'\n"
        "S21.G00.06.001,'732829320'\nS21.G00.11.001,'00074'\n"
        "S21.G00.30.001,'1800175123456'\nS21.G00.40.001,'01012015'\n"
        "S21.G00.40.011,'12'\n");
    assert_non_null(text);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_int_equal(set->months[0].v.unit, PERIODS_UNIT_NONE);
    assert_int_equal(set->months[0].counted, 0);
    assert_int_equal(set->nwarnings, 1);
    periods_free(set);
    /* An unknown unit is not counted either. */
    text[strlen(text) - 3] = '3';
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->months[0].counted, 0);
    assert_non_null(strstr(set->warnings[0], "unknown unit 13"));
    periods_free(set);
    free(text);
}

static void
test_periods_json_output_reads_back_as_hook_output(void **state)
{
    struct activity_gen_month m[2] = { base, base };
    struct periods_set *set, *back;
    char err[128], *text, *json;
    json_t *j;
    size_t i;

    (void)state;
    m[1].month = 4;
    m[1].paid = "120.25";
    m[1].cq = "130.00";
    text = file_of(m, 2);
    assert_non_null(set = periods_new());
    assert_int_equal(add(set, text), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_non_null(j = periods_to_json(set));
    assert_non_null(json = json_dumps(j, JSON_COMPACT |
        JSON_REAL_PRECISION(15)));
    assert_non_null(back = periods_new());
    assert_int_equal(periods_add_json(back, json, strlen(json), err,
        sizeof(err)), 0);
    assert_int_equal(periods_finish(back), 0);
    assert_int_equal(back->nmonths, set->nmonths);
    for (i = 0; i < set->nmonths; i++) {
        assert_string_equal(back->months[i].siret, set->months[i].siret);
        assert_string_equal(back->months[i].nir, set->months[i].nir);
        assert_int_equal(back->months[i].contract_start,
            set->months[i].contract_start);
        assert_int_equal(back->months[i].v.paid, set->months[i].v.paid);
        assert_int_equal(back->months[i].v.ref_quota,
            set->months[i].v.ref_quota);
        assert_int_equal(back->months[i].v.contract_quota,
            set->months[i].v.contract_quota);
        assert_int_equal(back->months[i].counted, set->months[i].counted);
        assert_int_equal(back->months[i].sources, 1u << PERIODS_SRC_HOOK);
    }
    free(json);
    json_decref(j);
    periods_free(back);
    periods_free(set);
    free(text);
}

/* The whole pipeline on ${dsn} and ${facts}; 0, or non-zero on failure. */
static int
pipeline(const char *dsn, const char *facts, json_t **pj, json_t **aj)
{
    struct accrual_params p = { 0 };
    struct accrual_result *r = NULL;
    struct periods_set *set;
    char err[256];
    int rc = -1;

    *pj = *aj = NULL;
    if ((set = periods_new()) == NULL) {
        return (-1);
    }
    if (periods_add_document(set, (const uint8_t *)dsn, strlen(dsn), "d",
        NULL, err, sizeof(err)) != 0 ||
        periods_add_document(set, (const uint8_t *)facts, strlen(facts),
        "f", NULL, err, sizeof(err)) != 0 ||
        periods_finish(set) != 0 ||
        (*pj = periods_to_json(set)) == NULL) {
        goto done;
    }
    p.until = 2016;
    if (accrual_from_periods(set, &p, &r, err, sizeof(err)) != 0 ||
        (*aj = accrual_to_json(r)) == NULL) {
        goto done;
    }
    rc = 0;
done:
    accrual_free(r);
    periods_free(set);
    return (rc);
}

static void
test_periods_survives_every_allocation_failure(void **state)
{
    struct activity_gen_month m[3] = { base, base, base };
    json_t *pj, *aj, *pj0, *aj0;
    char *dsn, *facts = facts_text("140.00");
    long k;
    int rc;

    (void)state;
    m[0].contract_extra = "S21.G00.60.001,'02'\nS21.G00.60.002,'20032016'\n";
    m[1].month = 4;
    m[2].month = 5;
    m[2].type = "03";
    dsn = file_of(m, 3);
    assert_int_equal(pipeline(dsn, facts, &pj0, &aj0), 0);
    json_set_alloc_funcs(json_failing_malloc, free);
    for (k = 0;; k++) {
        fail_after = k;
        rc = pipeline(dsn, facts, &pj, &aj);
        fail_after = -1;
        if (rc == 0) {
            break;
        }
        assert_null(aj);
        json_decref(pj);
        assert_true(k < 100000);
    }
    /* The injection did reach the code: many allocations were failed. */
    assert_true(k > 100);
    /* Once every allocation succeeds, the same answer. */
    assert_true(json_equal(pj, pj0));
    assert_true(json_equal(aj, aj0));
    json_set_alloc_funcs(malloc, free);
    json_decref(pj);
    json_decref(aj);
    json_decref(pj0);
    json_decref(aj0);
    free(dsn);
    free(facts);
}

static void
test_periods_warnings_are_valid_utf8(void **state)
{
    struct periods_set *set;
    json_t *j;

    (void)state;
    assert_non_null(set = periods_new());
    /* A Latin-1 file name, and a cut inside a character. */
    assert_int_equal(periods_warn(set, "%s: read as Latin-1",
        "fiche-f\xe9vrier.dsn"), 0);
    assert_string_equal(set->warnings[0], "fiche-f?vrier.dsn: read as "
        "Latin-1");
    assert_int_equal(periods_warn(set, "%0254d\xe2\x86\x92", 0), 0);
    assert_int_equal(strlen(set->warnings[1]), 255);
    assert_int_equal(set->warnings[1][254], '?');
    assert_int_equal(periods_finish(set), 0);
    assert_non_null(j = periods_to_json(set));
    json_decref(j);
    periods_free(set);
}

static void
test_periods_day_helpers(void **state)
{
    int32_t d;
    char buf[11];
    int y, m, dd;

    (void)state;
    assert_int_equal(periods_day(1970, 1, 1), 0);
    assert_int_equal(periods_day(2016, 2, 29), 16860);
    assert_int_equal(periods_day(2017, 2, 29), INT32_MIN);
    assert_int_equal(periods_day(2200, 1, 1), INT32_MIN);
    periods_ymd(16860, &y, &m, &dd);
    assert_int_equal(y * 10000 + m * 100 + dd, 20160229);
    assert_int_equal(periods_parse_iso_date("2016-02-29", &d), 0);
    assert_int_equal(d, 16860);
    assert_int_equal(periods_parse_iso_date("2016-2-29", &d), -1);
    assert_int_equal(periods_parse_iso_date("2016-02-29x", &d), -1);
    periods_format_day(16860, buf);
    assert_string_equal(buf, "2016-02-29");
    periods_format_day(PERIODS_DAY_OPEN, buf);
    assert_string_equal(buf, "");
    assert_int_equal(periods_days_in_month(2016, 2), 29);
    assert_int_equal(periods_days_in_month(1900, 2), 28);
    assert_int_equal(periods_days_in_month(2000, 2), 29);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods_full_career_one_record_per_month),
        cmocka_unit_test(test_periods_same_dsn_twice_counts_once),
        cmocka_unit_test(test_periods_replaced_declaration_replaces),
        cmocka_unit_test(test_periods_cancelled_declaration_is_removed),
        cmocka_unit_test(test_periods_cancel_of_another_siret_changes_nothing),
        cmocka_unit_test(test_periods_two_employers_in_one_year),
        cmocka_unit_test(test_periods_partial_maternity_fills_unpaid_days),
        cmocka_unit_test(test_periods_ordinary_sickness_does_not_count),
        cmocka_unit_test(test_periods_absence_with_return_date_overrides_open_copy),
        cmocka_unit_test(test_periods_facts_and_dsn_agree),
        cmocka_unit_test(test_periods_facts_and_dsn_conflict_is_reported),
        cmocka_unit_test(test_periods_add_json_reads_hook_output),
        cmocka_unit_test(test_periods_add_json_rejects_bad_entries),
        cmocka_unit_test(test_periods_add_document_tells_kinds_apart),
        cmocka_unit_test(test_periods_to_json_lists_months_and_conflicts),
        cmocka_unit_test(test_periods_keeps_persons_apart),
        cmocka_unit_test(test_periods_days_without_reference_count_nothing),
        cmocka_unit_test(test_periods_json_output_reads_back_as_hook_output),
        cmocka_unit_test(test_periods_survives_every_allocation_failure),
        cmocka_unit_test(test_periods_warnings_are_valid_utf8),
        cmocka_unit_test(test_periods_day_helpers),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
