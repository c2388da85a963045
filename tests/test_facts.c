#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "activity/facts.h"
#include "activity/periods.h"

static const char good[] =
    "{\"schema\":\"coffre.payroll-facts/1\","
    "\"employer\":{\"siret\":\"73282932000074\",\"name\":\"L\xc3\xa9on SA\"},"
    "\"employee\":{\"nir\":\"1800175123456\",\"name\":\"Claire Martin\"},"
    "\"contract\":{\"number\":\"C0001\",\"start\":\"2015-01-01\","
    "\"end\":\"2016-12-31\",\"nature\":\"02\",\"unit\":\"10\","
    "\"reference_quota\":151.67,\"contract_quota\":75.84},"
    "\"period\":{\"start\":\"2016-03-01\",\"end\":\"2016-03-31\"},"
    "\"paid\":70,"
    "\"absences\":[{\"type\":\"sick-leave\",\"reason\":\"02\","
    "\"start\":\"2016-03-20\",\"end\":null},{\"type\":\"suspension\","
    "\"reason\":\"650\",\"start\":\"2016-03-01\",\"end\":\"2016-03-02\"}]}";

/* Parse ${text}; return the code. */
static int
parse(const char *text, struct facts **f, char *err, size_t errlen)
{

    return (facts_parse((const uint8_t *)text, strlen(text), f, err,
        errlen));
}

/* ${good} with ${from} replaced by ${to}. */
static char *
variant(const char *from, const char *to)
{
    const char *p = strstr(good, from);
    char *out;

    assert_non_null(p);
    out = malloc(sizeof(good) + strlen(to));
    assert_non_null(out);
    memcpy(out, good, (size_t)(p - good));
    strcpy(out + (p - good), to);
    strcat(out, p + strlen(from));
    return (out);
}

static void
test_facts_parse_reads_every_member(void **state)
{
    struct facts *f;
    char err[160];

    (void)state;
    assert_int_equal(parse(good, &f, err, sizeof(err)), 0);
    assert_int_equal(f->version, 1);
    assert_string_equal(f->siret, "73282932000074");
    assert_string_equal(f->employer, "L\xc3\xa9on SA");
    assert_string_equal(f->nir, "1800175123456");
    assert_string_equal(f->contract, "C0001");
    assert_int_equal(f->contract_start, periods_day(2015, 1, 1));
    assert_int_equal(f->contract_end, periods_day(2016, 12, 31));
    assert_string_equal(f->nature, "02");
    assert_int_equal(f->unit, 10);
    assert_int_equal(f->ref_quota, 15167);
    assert_int_equal(f->contract_quota, 7584);
    assert_int_equal(f->year, 2016);
    assert_int_equal(f->month, 3);
    assert_int_equal(f->paid, 7000);
    assert_int_equal(f->nabsences, 2);
    assert_int_equal(f->absences[0].sick, 1);
    assert_int_equal(f->absences[0].end, PERIODS_DAY_OPEN);
    assert_string_equal(f->absences[1].reason, "650");
    facts_free(f);
}

static void
test_facts_to_json_round_trips(void **state)
{
    struct facts *f, *g;
    char err[160], *text;
    json_t *j;

    (void)state;
    assert_int_equal(parse(good, &f, err, sizeof(err)), 0);
    assert_non_null(j = facts_to_json(f));
    assert_non_null(text = json_dumps(j, JSON_COMPACT |
        JSON_REAL_PRECISION(15)));
    assert_int_equal(parse(text, &g, err, sizeof(err)), 0);
    /* The employee name is not kept: everything else is. */
    assert_string_equal(g->siret, f->siret);
    assert_int_equal(g->contract_quota, f->contract_quota);
    assert_int_equal(g->paid, f->paid);
    assert_int_equal(g->nabsences, f->nabsences);
    assert_int_equal(g->absences[1].end, f->absences[1].end);
    free(text);
    json_decref(j);
    facts_free(f);
    facts_free(g);
}

static void
test_facts_parse_rejects_invalid_documents(void **state)
{
    static const char *const edits[][2] = {
        { "\"paid\":70,", "\"paid\":70,\"bonus\":1," },
        { "\"siret\":\"73282932000074\"", "\"siret\":\"7328293200007\"" },
        { "\"start\":\"2015-01-01\"", "\"start\":\"2015-02-30\"" },
        { "\"paid\":70", "\"paid\":70.125" },
        { "\"paid\":70", "\"paid\":-1" },
        { "\"paid\":70", "\"paid\":\"70\"" },
        { "\"end\":\"2016-03-31\"", "\"end\":\"2016-04-01\"" },
        { "\"unit\":\"10\"", "\"unit\":\"11\"" },
        { "\"reason\":\"02\"", "\"reason\":\"2\"" },
        { "\"type\":\"sick-leave\"", "\"type\":\"holiday\"" },
        { "\"end\":\"2016-12-31\"", "\"end\":\"2014-12-31\"" },
        { "\"end\":\"2016-12-31\"", "\"end\":\"2016-02-29\"" },
        { "\"reference_quota\":151.67,", "" },
        { "coffre.payroll-facts/1", "coffre.payroll-facts/2" },
        { "\"name\":\"Claire Martin\"", "\"name\":\"Claire\\u0007\"" },
        { "\"paid\":70,", "\"paid\":70,\"paid\":71," },
    };
    struct facts *f;
    char err[160], *text;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        text = variant(edits[i][0], edits[i][1]);
        assert_int_equal(parse(text, &f, err, sizeof(err)), FACTS_EINVALID);
        assert_null(f);
        assert_true(err[0] != '\0');
        free(text);
    }
}

static void
test_facts_parse_tells_other_documents_apart(void **state)
{
    static const char *const others[] = { "", "S10.G00.00.006,'P24V01'",
        "{\"periods\":[]}", "{\"schema\":\"other/1\"}", "[1,2]", "{" };
    struct facts *f;
    char err[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(parse(others[i], &f, err, sizeof(err)),
            FACTS_ENOTFACTS);
        assert_null(f);
    }
}

static void
test_facts_parse_survives_every_truncation(void **state)
{
    struct facts *f;
    char err[160];
    size_t i, len = strlen(good);
    int rc;

    (void)state;
    for (i = 0; i < len; i++) {
        uint8_t *copy = malloc(i + 1);

        assert_non_null(copy);
        memcpy(copy, good, i);
        rc = facts_parse(copy, i, &f, err, sizeof(err));
        assert_true(rc == FACTS_ENOTFACTS || rc == FACTS_EINVALID);
        assert_null(f);
        free(copy);
    }
}

static void
test_facts_parse_reads_the_documented_example(void **state)
{
    const char *src = getenv("COFFRE_SRCDIR");
    char path[512], err[160], buf[4096];
    struct facts *f;
    size_t n;
    FILE *fp;

    (void)state;
    snprintf(path, sizeof(path), "%s/tests/data/facts-2016-03.json",
        src ? src : ".");
    assert_non_null(fp = fopen(path, "rb"));
    n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    assert_true(n > 0 && n < sizeof(buf));
    assert_int_equal(facts_parse((const uint8_t *)buf, n, &f, err,
        sizeof(err)), 0);
    assert_int_equal(f->paid, 14050);
    assert_int_equal(f->nabsences, 2);
    facts_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_parse_reads_every_member),
        cmocka_unit_test(test_facts_to_json_round_trips),
        cmocka_unit_test(test_facts_parse_rejects_invalid_documents),
        cmocka_unit_test(test_facts_parse_tells_other_documents_apart),
        cmocka_unit_test(test_facts_parse_survives_every_truncation),
        cmocka_unit_test(test_facts_parse_reads_the_documented_example),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
