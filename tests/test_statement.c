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
#include "activity/periods.h"
#include "activity/statement.h"

#define SIRET "73282932000074"
#define KEY "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"
#define SIG "untrusted comment: x\nRUQ=\ntrusted comment: y\nAAAA\n"

/* The payroll facts of one month of 2016, paid ${paid}. */
static char *
facts_text(int month, const char *paid)
{
    char *s = malloc(512);

    assert_non_null(s);
    snprintf(s, 512, "{\"schema\":\"coffre.payroll-facts/1\","
        "\"employer\":{\"siret\":\"" SIRET "\",\"name\":\"Acme SA\"},"
        "\"contract\":{\"start\":\"2015-01-01\",\"nature\":\"01\","
        "\"unit\":\"10\",\"reference_quota\":151.67},"
        "\"period\":{\"start\":\"2016-%02d-01\",\"end\":\"2016-%02d-28\"},"
        "\"paid\":%s}", month, month, paid);
    return (s);
}

/* A statement for 2016-2020 of twelve months of 2016 at 80 %, with its
 * periods and accrual computed. */
static struct statement *
make_statement(void)
{
    struct statement_diffs d;
    struct statement_fact f;
    struct statement *st;
    unsigned m;

    assert_non_null(st = calloc(1, sizeof(*st)));
    strcpy(st->vault, "CF7Q-K2M9-XW4D-3");
    strcpy(st->service, "cnav");
    strcpy(st->created, "2026-11-28T01:13:00Z");
    st->from = 2016;
    st->to = 2020;
    for (m = 1; m <= 12; m++) {
        memset(&f, 0, sizeof(f));
        snprintf(f.document, sizeof(f.document), "doc%02u", m);
        strcpy(f.siret, SIRET);
        snprintf(f.period, sizeof(f.period), "2016-%02u", m % 100);
        strcpy(f.employer_key, KEY);
        f.text = facts_text((int)m, "121.34");
        f.textlen = strlen(f.text);
        f.signature = (char *)(uintptr_t)SIG;
        assert_int_equal(statement_add_fact(st, &f), 0);
        free(f.text);
    }
    memset(&d, 0, sizeof(d));
    assert_int_equal(statement_recompute(st, NULL, &st->periods,
        &st->accrual, &d), 0);
    assert_int_equal(d.n, 0);
    assert_non_null(st->accrual);
    statement_diffs_clear(&d);
    return (st);
}

/* ${st} as compact JSON text (malloc'd). */
static char *
statement_text(const struct statement *st)
{
    json_t *j = statement_to_json(st);
    char *s;

    assert_non_null(j);
    s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(j);
    assert_non_null(s);
    return (s);
}

/* Parse ${text}; return the code. */
static int
parse(const char *text, struct statement **st, char *err, size_t errlen)
{

    return (statement_parse((const uint8_t *)text, strlen(text), st, err,
        errlen));
}

/* Parse the statement JSON ${j} after ${edit} (python-like path edits are
 * done by the callers); return the code and the error. */
static int
parse_json(json_t *j, char *err, size_t errlen)
{
    struct statement *st;
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    int rc;

    assert_non_null(s);
    rc = parse(s, &st, err, errlen);
    statement_free(st);
    free(s);
    return (rc);
}

static void
test_statement_round_trip(void **state)
{
    struct statement *st = make_statement(), *g;
    char err[256], *text = statement_text(st), *again;
    double bal;

    (void)state;
    assert_int_equal(parse(text, &g, err, sizeof(err)), 0);
    assert_string_equal(g->vault, st->vault);
    assert_string_equal(g->service, "cnav");
    assert_string_equal(g->created, st->created);
    assert_int_equal(g->from, 2016);
    assert_int_equal(g->to, 2020);
    assert_int_equal(g->nfacts, 12);
    assert_string_equal(g->facts[3].period, "2016-04");
    assert_string_equal(g->facts[3].text, st->facts[3].text);
    assert_int_equal(g->facts[3].textlen, st->facts[3].textlen);
    assert_string_equal(g->facts[3].signature, SIG);
    assert_true(json_equal(g->periods, st->periods));
    /* 80 % of 2016: 20 h, converted to 300 EUR in 2019. */
    bal = json_number_value(json_object_get(json_object_get(g->accrual,
        "balance"), "amount"));
    assert_true(bal > 299.999 && bal < 300.001);
    again = statement_text(g);
    assert_string_equal(again, text);
    free(again);
    statement_free(g);
    free(text);
    statement_free(st);
}

static void
test_statement_parse_tells_other_documents_apart(void **state)
{
    struct statement *st;
    char err[256];

    (void)state;
    assert_int_equal(parse("", &st, err, sizeof(err)),
        STATEMENT_ENOTSTATEMENT);
    assert_null(st);
    assert_int_equal(parse("%PDF-1.4", &st, err, sizeof(err)),
        STATEMENT_ENOTSTATEMENT);
    assert_int_equal(parse("{\"schema\":\"coffre.payroll-facts/1\"}", &st,
        err, sizeof(err)), STATEMENT_ENOTSTATEMENT);
    assert_int_equal(parse("[1,2]", &st, err, sizeof(err)),
        STATEMENT_ENOTSTATEMENT);
    /* Damaged JSON that names the schema is a damaged statement. */
    assert_int_equal(parse("{\"schema\":\"coffre.activity-statement/1\",",
        &st, err, sizeof(err)), STATEMENT_EINVALID);
    assert_non_null(strstr(err, "bad JSON"));
    assert_int_equal(parse("{\"schema\":\"coffre.activity-statement/2\"}",
        &st, err, sizeof(err)), STATEMENT_EINVALID);
    assert_non_null(strstr(err, "unsupported"));
}

/* Set ${key} of member ${obj} (NULL: the root) of a good statement to
 * ${v} (stolen; NULL deletes) and check that parsing fails naming
 * ${want}. */
static void
refuse(const char *obj, const char *key, json_t *v, const char *want)
{
    struct statement *st = make_statement();
    char err[256], *text = statement_text(st);
    json_t *j = json_loads(text, 0, NULL), *o;

    assert_non_null(j);
    o = obj == NULL ? j : json_object_get(j, obj);
    if (json_is_array(o)) {
        o = json_array_get(o, 0);
    }
    assert_non_null(o);
    if (v == NULL) {
        assert_int_equal(json_object_del(o, key), 0);
    } else {
        assert_int_equal(json_object_set_new(o, key, v), 0);
    }
    assert_int_equal(parse_json(j, err, sizeof(err)), STATEMENT_EINVALID);
    if (strstr(err, want) == NULL) {
        fail_msg("%s.%s: \"%s\" does not mention \"%s\"", obj ? obj : "",
            key, err, want);
    }
    json_decref(j);
    free(text);
    statement_free(st);
}

static void
test_statement_parse_refuses_bad_members(void **state)
{

    (void)state;
    refuse(NULL, "extra", json_true(), "unknown member");
    refuse(NULL, "vault", json_string("CF7Q-K2M9-XW4D"), "vault");
    refuse(NULL, "vault", json_string("cf7q-k2m9-xw4d-3"), "vault");
    refuse(NULL, "vault", NULL, "vault");
    refuse(NULL, "service", json_string("Cnav"), "service");
    refuse(NULL, "service", json_integer(1), "service");
    refuse(NULL, "created", json_string("2026-02-30T00:00:00Z"), "created");
    refuse(NULL, "created", json_string("2026-11-28 01:13:00"), "created");
    refuse("years", "from", json_integer(2014), "from");
    refuse("years", "to", json_integer(2015), "after");
    refuse("years", "from", json_real(2016.0), "from");
    refuse("years", "until", json_integer(2020), "unknown member");
    refuse("declared", "dif_hours", json_integer(121), "dif_hours");
    refuse("declared", "low_qualified_since", json_string("2017"),
        "low_qualified_since");
    refuse("declared", "cec", json_pack("[s]", "gardening:2018"), "cec");
    refuse("declared", "cec", NULL, "cec");
    refuse(NULL, "periods", json_object(), "periods");
    refuse(NULL, "accrual", json_array(), "accrual");
    refuse(NULL, "facts", json_object(), "facts");
    refuse("facts", "siret", json_string("7328293200007"), "siret");
    refuse("facts", "period", json_string("2016-13"), "period");
    refuse("facts", "period", json_string("2016-3"), "period");
    refuse("facts", "employer_key", json_string("RW"), "employer_key");
    refuse("facts", "document", json_string("a/b"), "document");
    refuse("facts", "document", json_string(""), "document");
    refuse("facts", "facts", json_string(""), "facts");
    refuse("facts", "facts", json_stringn("{\0}", 3), "bad JSON");
    refuse("facts", "signature", NULL, "signature");
    refuse("facts", "nir", json_string("1"), "unknown member");
}

static void
test_statement_parse_refuses_more_periods_than_facts(void **state)
{
    struct statement *st = make_statement();
    char err[256], *text = statement_text(st);
    json_t *j = json_loads(text, 0, NULL), *p;
    size_t i;

    (void)state;
    /* Each period comes from one fact at least: a statement that states
     * more is not one a client made, and would make the service compare
     * every stated period with every recomputed one. */
    assert_non_null(j);
    p = json_object_get(j, "periods");
    assert_int_equal(json_array_size(p), 12);
    assert_int_equal(parse_json(j, err, sizeof(err)), 0);
    for (i = 0; i < 1; i++) {
        assert_int_equal(json_array_append(p, json_array_get(p, 0)), 0);
    }
    assert_int_equal(parse_json(j, err, sizeof(err)), STATEMENT_EINVALID);
    assert_non_null(strstr(err, "periods"));
    json_decref(j);
    free(text);
    statement_free(st);
}

static void
test_statement_parse_survives_every_truncation(void **state)
{
    struct statement *st = make_statement(), *g;
    char err[256], *text = statement_text(st);
    size_t n = strlen(text), i;
    int rc;

    (void)state;
    for (i = 0; i < n; i += 7) {
        rc = statement_parse((const uint8_t *)text, i, &g, err,
            sizeof(err));
        assert_true(rc == STATEMENT_ENOTSTATEMENT ||
            rc == STATEMENT_EINVALID);
        assert_null(g);
    }
    free(text);
    statement_free(st);
}

static void
test_statement_recompute_uses_only_verified_facts(void **state)
{
    struct statement *st = make_statement();
    struct statement_diffs d;
    unsigned char use[12];
    json_t *p, *a;

    (void)state;
    memset(&d, 0, sizeof(d));
    /* All facts: no difference. */
    assert_int_equal(statement_recompute(st, NULL, &p, &a, &d), 0);
    assert_int_equal(statement_compare(st->periods, p, "periods", &d), 0);
    assert_int_equal(statement_compare(st->accrual, a, "accrual", &d), 0);
    assert_int_equal(d.n, 0);
    json_decref(p);
    json_decref(a);
    /* One fact not verified: that month is missing, the ratio drops. */
    memset(use, 1, sizeof(use));
    use[5] = 0;
    assert_int_equal(statement_recompute(st, use, &p, &a, &d), 0);
    assert_int_equal(json_array_size(p), 11);
    assert_int_equal(statement_compare(st->periods, p, "periods", &d), 0);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[0], "periods: stated 12 entries, recomputed 11");
    assert_non_null(strstr(d.v[1], "periods[2016-06 " SIRET
        " 2015-01-01]: stated {"));
    assert_non_null(strstr(d.v[1], "recomputed nothing"));
    assert_int_equal(statement_compare(st->accrual, a, "accrual", &d), 0);
    assert_non_null(strstr(d.v[2], "accrual.years[2016].ratio: stated 0.8, "
        "recomputed 0.733"));
    statement_diffs_clear(&d);
    /* A period stated twice is one entry too many. */
    assert_int_equal(json_array_append(p, json_array_get(p, 0)), 0);
    assert_int_equal(statement_compare(p, p, "periods", &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(json_array_remove(p, 11), 0);
    assert_int_equal(json_array_append(p, json_array_get(p, 0)), 0);
    {
        json_t *q = json_deep_copy(p);

        assert_int_equal(json_array_remove(q, 11), 0);
        assert_int_equal(statement_compare(p, q, "periods", &d), 0);
        json_decref(q);
    }
    assert_int_equal(d.n, 1);
    assert_string_equal(d.v[0], "periods: stated 12 entries, recomputed 11");
    json_decref(p);
    json_decref(a);
    statement_diffs_clear(&d);
    statement_free(st);
}

static void
test_statement_recompute_checks_each_fact(void **state)
{
    struct statement *st = make_statement();
    struct statement_diffs d;
    json_t *p, *a;

    (void)state;
    memset(&d, 0, sizeof(d));
    /* Facts that say another month than their entry. */
    strcpy(st->facts[0].period, "2016-02");
    /* Facts outside the statement's years. */
    free(st->facts[1].text);
    st->facts[1].text = facts_text(2, "121.34");
    st->facts[1].textlen = strlen(st->facts[1].text);
    st->to = 2016;
    st->from = 2016;
    strcpy(st->facts[1].text + strlen(st->facts[1].text) - 10, "}");
    st->facts[1].textlen = strlen(st->facts[1].text);
    assert_int_equal(statement_recompute(st, NULL, &p, &a, &d), 0);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.v[0], "facts[0] (document doc01): the facts "
        "are for SIRET " SIRET " 2016-01, the entry says " SIRET
        " 2016-02"));
    assert_non_null(strstr(d.v[1], "facts[1] (document doc02)"));
    assert_int_equal(json_array_size(p), 10);
    json_decref(p);
    json_decref(a);
    statement_diffs_clear(&d);
    /* A statement that ends before its facts. */
    st->facts[0].period[6] = '1';
    st->from = 2015;
    st->to = 2015;
    assert_int_equal(statement_recompute(st, NULL, &p, &a, &d), 0);
    assert_non_null(strstr(d.v[0], "lies outside the years 2015-2015"));
    assert_null(a);
    assert_non_null(strstr(d.v[d.n - 1], "accrual: cannot be recomputed"));
    json_decref(p);
    statement_diffs_clear(&d);
    statement_free(st);
}

static void
test_statement_compare_names_differences(void **state)
{
    struct statement_diffs d;
    json_t *a, *b;
    size_t i;

    (void)state;
    memset(&d, 0, sizeof(d));
    a = json_pack("{s:f,s:i,s:[{s:i,s:i}],s:s}", "x", 500.0, "y", 3, "years",
        "year", 2016, "credit", 20, "s", "a");
    b = json_pack("{s:i,s:i,s:[{s:i,s:i}],s:s,s:n}", "x", 500, "y", 4,
        "years", "year", 2016, "credit", 19, "s", "a", "z");
    assert_int_equal(statement_compare(a, b, "accrual", &d), 0);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0], "accrual.y: stated 3, recomputed 4");
    assert_string_equal(d.v[1], "accrual.years[2016].credit: stated 20, "
        "recomputed 19");
    assert_string_equal(d.v[2], "accrual.z: stated nothing, recomputed "
        "null");
    statement_diffs_clear(&d);
    json_decref(a);
    json_decref(b);
    /* Arrays of other things go by index and length. */
    a = json_pack("[i,i,i]", 1, 2, 3);
    b = json_pack("[i,i]", 1, 5);
    assert_int_equal(statement_compare(a, b, "v", &d), 0);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[0], "v: stated 3 entries, recomputed 2");
    assert_string_equal(d.v[1], "v[1]: stated 2, recomputed 5");
    statement_diffs_clear(&d);
    /* Past the cap, differences are counted. */
    for (i = 0; i < STATEMENT_DIFFS_MAX + 5; i++) {
        assert_int_equal(statement_compare(a, b, "v", &d), 0);
    }
    assert_int_equal(d.n, STATEMENT_DIFFS_MAX);
    assert_int_equal(d.dropped, 2 * (STATEMENT_DIFFS_MAX + 5) -
        STATEMENT_DIFFS_MAX);
    statement_diffs_clear(&d);
    json_decref(a);
    json_decref(b);
}

/* Nonzero if ${s} holds a control character (C0, DEL, or C1 in UTF-8). */
static int
has_control(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 &&
            p[1] <= 0x9f)) {
            return (1);
        }
    }
    return (0);
}

static void
test_statement_diffs_hold_no_control_characters(void **state)
{
    struct statement_diffs d;
    struct statement *st;
    json_t *a, *b;
    char err[256];
    size_t i;

    (void)state;
    memset(&d, 0, sizeof(d));
    /* A difference is one line: no line end, escape or C1 control from
     * the statement reaches the terminal of the service that reads it. */
    assert_int_equal(statement_diff(&d, "x: %s", "a\nb\x1b[8m\r\x7f"
        "\xc2\x9b" "2J\xc3\xa9"), 0);
    assert_string_equal(d.v[0], "x: a?b?[8m????2J\xc3\xa9");
    /* A period key is built from the stated strings. */
    a = json_pack("[{s:s,s:s,s:s}]", "month", "2016-0\n", "siret",
        "7328\x1b[8m", "contract_start", "\r2015");
    b = json_pack("[{s:s,s:s}]", "month", "2016-01", "siret",
        "73282932000074");
    assert_int_equal(statement_compare(a, b, "periods", &d), 0);
    assert_true(d.n > 1);
    for (i = 0; i < d.n; i++) {
        if (has_control(d.v[i])) {
            fail_msg("difference %zu holds a control character", i);
        }
    }
    json_decref(a);
    json_decref(b);
    statement_diffs_clear(&d);
    /* Nor does a parse error that names a member. */
    assert_int_equal(parse("{\"schema\":\"coffre.activity-statement/1\","
        "\"\\u001b[8m\\n\":1}", &st, err, sizeof(err)), STATEMENT_EINVALID);
    assert_non_null(strstr(err, "unknown member"));
    assert_false(has_control(err));
}

static void
test_statement_ids(void **state)
{

    (void)state;
    assert_true(statement_vault_valid("CF7Q-K2M9-XW4D-3"));
    assert_false(statement_vault_valid("CF7Q-K2M9-XW4D-"));
    assert_false(statement_vault_valid("CF7Q-K2M9-XW4DI3"));
    assert_false(statement_vault_valid("CF7Q-K2M9-XW4I-3"));
    assert_true(statement_service_valid("cnav"));
    assert_true(statement_service_valid("caisse-des-depots"));
    assert_false(statement_service_valid("c"));
    assert_false(statement_service_valid("9nav"));
    assert_false(statement_service_valid("cnav_"));
    assert_false(statement_service_valid(
        "abcdefghijklmnopqrstuvwxyzabcdefg"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_round_trip),
        cmocka_unit_test(test_statement_parse_tells_other_documents_apart),
        cmocka_unit_test(test_statement_parse_refuses_bad_members),
        cmocka_unit_test(test_statement_parse_refuses_more_periods_than_facts),
        cmocka_unit_test(test_statement_parse_survives_every_truncation),
        cmocka_unit_test(test_statement_recompute_uses_only_verified_facts),
        cmocka_unit_test(test_statement_recompute_checks_each_fact),
        cmocka_unit_test(test_statement_compare_names_differences),
        cmocka_unit_test(test_statement_diffs_hold_no_control_characters),
        cmocka_unit_test(test_statement_ids),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
