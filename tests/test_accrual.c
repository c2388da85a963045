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
#include "tests/util/activity_gen.h"

/*
 * Every worked example of the domain notes on CPF accrual, computed from
 * DSN files the tests write, then the policy cases on the engine directly.
 */

static const struct activity_gen_month base = { .year = 2015, .month = 1 };

/* Read the DSN ${text} into a finished set. */
static struct periods_set *
set_of(const char *text)
{
    struct periods_set *set;
    char err[256];

    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_document(set, (const uint8_t *)text,
        strlen(text), "test.dsn", NULL, err, sizeof(err)), 0);
    assert_int_equal(periods_finish(set), 0);
    return (set);
}

/* Compute the accrual of the DSN ${text} up to ${until}. */
static struct accrual_result *
accrue(const char *text, int until, int lq, int dif)
{
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    struct periods_set *set = set_of(text);
    char err[256];

    p.until = until;
    p.low_qualified_since = lq;
    p.dif_hours = dif;
    assert_int_equal(accrual_from_periods(set, &p, &r, err, sizeof(err)), 0);
    periods_free(set);
    return (r);
}

/* Full time from ${from} to ${to} at one employer. */
static char *
full_time(int from, int to)
{
    struct activity_gen_buf b = { 0 };
    int y;

    activity_gen_header(&b);
    for (y = from; y <= to; y++) {
        activity_gen_year(&b, &base, y, "151.67");
    }
    return (b.p);
}

static void
test_accrual_full_time_2015_to_2018_is_96_hours(void **state)
{
    struct accrual_result *r;
    char *text = full_time(2015, 2018);
    size_t i;

    (void)state;
    r = accrue(text, 2018, 0, 0);
    assert_int_equal(r->nyears, 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(r->years[i].year, 2015 + (int)i);
        assert_int_equal(r->years[i].era, ACCRUAL_ERA_HOURS);
        assert_int_equal(r->years[i].ratio, ACCRUAL_RATIO_ONE);
        assert_int_equal(r->years[i].credit, 24);
    }
    assert_int_equal(r->converted, 0);
    assert_int_equal(r->era, ACCRUAL_ERA_HOURS);
    assert_int_equal(r->balance, 96);
    assert_string_equal(r->years[0].explanation, "2015: 1,820.0 paid hours "
        "of 1,820.0 → ratio 1.000 → 24 h × 1.000 = 24.0 → 24 h; "
        "balance 24 h");
    accrual_free(r);
    free(text);
}

static void
test_accrual_part_time_80_percent_2016_is_20_hours(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;

    (void)state;
    m.cq = "121.34";
    activity_gen_header(&b);
    activity_gen_year(&b, &m, 2016, "121.33");
    r = accrue(b.p, 2016, 0, 0);
    assert_int_equal(r->nyears, 1);
    assert_int_equal(r->years[0].credit, 20);
    assert_int_equal(r->balance, 20);
    assert_string_equal(r->years[0].explanation, "2016: 1,456.0 paid hours "
        "of 1,820.0 → ratio 0.800 → 24 h × 0.800 = 19.2 → 20 h; "
        "balance 20 h");
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_explanation_matches_the_documented_sentence(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;

    (void)state;
    activity_gen_header(&b);
    activity_gen_year(&b, &base, 2015, "151.67");
    m.cq = "121.34";
    activity_gen_year(&b, &m, 2016, "121.33");
    r = accrue(b.p, 2016, 0, 0);
    assert_int_equal(r->nyears, 2);
    assert_string_equal(r->years[1].explanation, "2016: 1,456.0 paid hours "
        "of 1,820.0 → ratio 0.800 → 24 h × 0.800 = 19.2 → 20 h; "
        "balance 44 h");
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_conversion_2019_gives_1440_then_1940_euros(void **state)
{
    struct accrual_result *r;
    char *text = full_time(2015, 2019);

    (void)state;
    r = accrue(text, 2019, 0, 0);
    assert_int_equal(r->nyears, 5);
    assert_int_equal(r->converted, 1);
    assert_int_equal(r->conv_hours, 96);
    assert_int_equal(r->conv_dif_hours, 0);
    assert_int_equal(r->conv_cents, 144000);
    assert_int_equal(r->years[4].era, ACCRUAL_ERA_EUROS);
    assert_int_equal(r->years[4].credit, 50000);
    assert_int_equal(r->years[4].balance, 194000);
    assert_int_equal(r->era, ACCRUAL_ERA_EUROS);
    assert_int_equal(r->balance, 194000);
    assert_string_equal(r->years[4].explanation, "2019: 1,820.0 paid hours "
        "of 1,820.0 → ratio 1.000, at least half → 500.00 €; "
        "balance 1,940.00 €");
    accrual_free(r);
    free(text);
}

static void
test_accrual_conversion_with_120_dif_hours_is_3240_euros(void **state)
{
    struct accrual_result *r;
    char *text = full_time(2015, 2018);

    (void)state;
    r = accrue(text, 2019, 0, 120);
    assert_int_equal(r->conv_hours, 96);
    assert_int_equal(r->conv_dif_hours, 120);
    assert_int_equal(r->conv_cents, 324000);
    /* 2019 has no work: listed with ratio 0, nothing earned. */
    assert_int_equal(r->years[4].ratio, 0);
    assert_int_equal(r->years[4].credit, 0);
    assert_int_equal(r->balance, 324000);
    assert_non_null(strstr(r->years[4].explanation, "no work"));
    accrual_free(r);
    free(text);
}

/* One year ${y} at ${paid} hours a month. */
static char *
one_year(int y, const char *paid)
{
    struct activity_gen_buf b = { 0 };

    activity_gen_header(&b);
    activity_gen_year(&b, &base, y, paid);
    return (b.p);
}

static void
test_accrual_30_percent_in_2019_is_150_euros(void **state)
{
    struct accrual_result *r;
    char *text = one_year(2019, "45.50");

    (void)state;
    r = accrue(text, 2019, 0, 0);
    assert_int_equal(r->nyears, 1);
    assert_int_equal(r->years[0].credit, 15000);
    assert_int_equal(r->balance, 15000);
    accrual_free(r);
    free(text);
}

static void
test_accrual_50_percent_in_2019_is_500_euros(void **state)
{
    struct accrual_result *r;
    char *text;

    (void)state;
    text = one_year(2019, "75.84");
    r = accrue(text, 2019, 0, 0);
    assert_int_equal(r->years[0].credit, 50000);
    accrual_free(r);
    free(text);
    /* Half of 151.67 rounded down to the hundredth is still half. */
    text = one_year(2019, "75.83");
    r = accrue(text, 2019, 0, 0);
    assert_int_equal(r->years[0].credit, 50000);
    accrual_free(r);
    free(text);
    /* 49 % is not. */
    text = one_year(2019, "74.32");
    r = accrue(text, 2019, 0, 0);
    assert_true(r->years[0].credit < 50000);
    assert_int_equal(r->years[0].credit, 24501);
    accrual_free(r);
    free(text);
}

static void
test_accrual_full_year_of_maternity_leave_2016_is_24_hours(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;

    (void)state;
    m.contract_extra = "S21.G00.60.001,'02'\nS21.G00.60.002,'31122015'\n"
        "S21.G00.60.003,'31122016'\n";
    activity_gen_header(&b);
    activity_gen_year(&b, &m, 2016, "0.00");
    r = accrue(b.p, 2016, 0, 0);
    assert_int_equal(r->years[0].ratio, ACCRUAL_RATIO_ONE);
    assert_int_equal(r->years[0].credit, 24);
    assert_non_null(strstr(r->years[0].explanation, "0.0 paid hours + "
        "1,820.0 h of assimilated absence of 1,820.0"));
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_six_months_of_ordinary_sickness_is_12_hours(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;
    int mo;

    (void)state;
    activity_gen_header(&b);
    for (mo = 1; mo <= 12; mo++) {
        m.year = 2016;
        m.month = mo;
        m.paid = mo <= 6 ? "151.67" : "0.00";
        m.contract_extra = mo <= 6 ? NULL : "S21.G00.60.001,'01'\n"
            "S21.G00.60.002,'30062016'\nS21.G00.60.003,'31122016'\n";
        activity_gen_month(&b, &m);
    }
    r = accrue(b.p, 2016, 0, 0);
    assert_int_equal(r->years[0].ratio, ACCRUAL_RATIO_ONE / 2);
    assert_int_equal(r->years[0].credit, 12);
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_work_accident_counts_as_work(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;
    int mo;

    (void)state;
    activity_gen_header(&b);
    for (mo = 1; mo <= 12; mo++) {
        m.year = 2017;
        m.month = mo;
        m.paid = mo <= 9 ? "151.67" : "0.00";
        m.contract_extra = mo <= 9 ? NULL : "S21.G00.60.001,'06'\n"
            "S21.G00.60.002,'30092017'\nS21.G00.60.010,'01012018'\n";
        activity_gen_month(&b, &m);
    }
    r = accrue(b.p, 2017, 0, 0);
    assert_int_equal(r->years[0].ratio, ACCRUAL_RATIO_ONE);
    assert_int_equal(r->years[0].credit, 24);
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_half_time_at_two_employers_2017_is_24_hours(void **state)
{
    struct activity_gen_month a = base, c = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;

    (void)state;
    a.cq = "75.84";
    c.cq = "75.83";
    c.siren = "552100554";
    c.nic = "00013";
    c.start = "01022016";
    c.number = "B-77";
    activity_gen_header(&b);
    activity_gen_year(&b, &a, 2017, "75.84");
    activity_gen_year(&b, &c, 2017, "75.83");
    r = accrue(b.p, 2017, 0, 0);
    assert_int_equal(r->years[0].credit, 24);
    assert_non_null(strstr(r->years[0].explanation, "SIRET 55210055400013"));
    assert_non_null(strstr(r->years[0].explanation, "SIRET 73282932000074"));
    accrual_free(r);
    activity_gen_free(&b);
}

static void
test_accrual_low_qualified_from_2017_is_144_hours(void **state)
{
    struct accrual_result *r;
    char *text = full_time(2015, 2018);

    (void)state;
    r = accrue(text, 2018, 2017, 0);
    assert_int_equal(r->years[0].credit, 24);
    assert_int_equal(r->years[1].credit, 24);
    assert_int_equal(r->years[2].credit, 48);
    assert_int_equal(r->years[3].credit, 48);
    assert_int_equal(r->balance, 144);
    accrual_free(r);
    /* Declared earlier, it still applies only from 2017. */
    r = accrue(text, 2018, 2010, 0);
    assert_int_equal(r->balance, 144);
    accrual_free(r);
    free(text);
}

static void
test_accrual_contract_that_ends_counts_its_months(void **state)
{
    struct activity_gen_month m = base;
    struct activity_gen_buf b = { 0 };
    struct accrual_result *r;
    int mo;

    (void)state;
    activity_gen_header(&b);
    for (mo = 1; mo <= 6; mo++) {
        m.year = 2016;
        m.month = mo;
        m.paid = "151.67";
        m.contract_extra = mo < 6 ? NULL :
            "S21.G00.62.001,'30062016'\nS21.G00.62.002,'059'\n";
        activity_gen_month(&b, &m);
    }
    r = accrue(b.p, 2016, 0, 0);
    assert_int_equal(r->years[0].ratio, ACCRUAL_RATIO_ONE / 2);
    assert_int_equal(r->years[0].credit, 12);
    accrual_free(r);
    activity_gen_free(&b);
}

/* One contract-year of ${counted} hundredths of a 151.67 h quota. */
static struct accrual_contract_year
cy(int year, int64_t counted)
{
    struct accrual_contract_year c;

    memset(&c, 0, sizeof(c));
    c.year = year;
    memcpy(c.siret, "73282932000074", 15);
    c.unit = 10;
    c.counted = counted;
    c.reference = c.reference_euros = 12 * 15167;
    return (c);
}

static void
test_accrual_compute_crossing_120_hours_follows_policy(void **state)
{
    struct accrual_contract_year in[1] = { cy(2016, 12 * 15167) };
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    p.until = 2016;
    p.opening_hours = 110;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 17);
    assert_int_equal(r->years[0].balance, 127);
    assert_non_null(strstr(r->years[0].explanation, "24 h × 0.417 = 10.0 "
        "up to 120 h, then 12 h × 0.583 = 7.0 → 17 h; balance 127 h"));
    accrual_free(r);
}

static void
test_accrual_compute_caps_at_150_hours(void **state)
{
    struct accrual_contract_year in[1] = { cy(2016, 12 * 15167) };
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    p.until = 2016;
    p.opening_hours = 140;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 10);
    assert_int_equal(r->years[0].balance, 150);
    assert_non_null(strstr(r->years[0].explanation, "ceiling"));
    accrual_free(r);
    p.opening_hours = 150;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 0);
    assert_int_equal(r->years[0].balance, 150);
    accrual_free(r);
}

static void
test_accrual_compute_caps_at_5000_euros(void **state)
{
    struct accrual_contract_year in[3] = { cy(2019, 12 * 15167),
        cy(2020, 12 * 15167), cy(2021, 12 * 15167) };
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    p.until = 2021;
    p.opening_hours = 150;
    p.dif_hours = 120;
    assert_int_equal(accrual_compute(in, 3, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->conv_cents, 405000);
    assert_int_equal(r->years[0].balance, 455000);
    assert_int_equal(r->years[1].credit, 45000);
    assert_int_equal(r->years[1].balance, 500000);
    assert_int_equal(r->years[2].credit, 0);
    assert_int_equal(r->balance, 500000);
    accrual_free(r);
}

static void
test_accrual_compute_low_qualified_euros(void **state)
{
    struct accrual_contract_year in[1] = { cy(2020, 6 * 15167) };
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    p.until = 2020;
    p.low_qualified_since = 2019;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 80000);
    accrual_free(r);
    in[0] = cy(2020, 3 * 15167);
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 20000);
    accrual_free(r);
}

static void
test_accrual_compute_citizen_engagement(void **state)
{
    struct accrual_contract_year in[1] = { cy(2016, 12 * 15167) };
    struct accrual_cec cec[ACCRUAL_CEC_MAX];
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];
    size_t ncec = 0;

    (void)state;
    assert_int_equal(accrual_cec_parse_list("civic-service:2017,"
        "volunteering:2017", cec, &ncec), 0);
    assert_int_equal(accrual_cec_parse_list("volunteering:2017", cec,
        &ncec), 0);
    assert_int_equal(accrual_cec_parse_list("military-reserve:2018,"
        "health-reserve:2019", cec, &ncec), 0);
    assert_int_equal(ncec, 5);
    assert_string_equal(cec[1].activity, "volunteering");
    assert_int_equal(cec[4].year, 2019);
    /* A bad item, or an empty one, appends nothing. */
    assert_int_equal(accrual_cec_parse_list("volunteering:2017,x:2017", cec,
        &ncec), -1);
    assert_int_equal(accrual_cec_parse_list("volunteering:2017,", cec,
        &ncec), -1);
    assert_int_equal(ncec, 5);
    assert_int_equal(accrual_cec_parse("knitting:2019", &cec[0]) +
        accrual_cec_parse("civic-service:19", &cec[0]) +
        accrual_cec_parse("civic-service", &cec[0]), -3);
    p.until = 2020;
    p.cec = cec;
    p.ncec = 5;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->has_cec, 1);
    assert_int_equal(r->years[1].cec_credit, 40); /* 2017, one counted once */
    assert_int_equal(r->years[2].cec_credit, 20); /* 2018: 60 h ceiling */
    assert_int_equal(r->conv_cec_hours, 60);
    assert_int_equal(r->conv_cec_cents, 72000);
    assert_int_equal(r->years[3].cec_credit, 0); /* 720 EUR ceiling */
    assert_int_equal(r->cec_balance, 72000);
    /* The CPF itself is unchanged: 24 + 0 + 0 → 360 EUR. */
    assert_int_equal(r->conv_hours, 24);
    assert_int_equal(r->balance, 36000);
    accrual_free(r);
}

static void
test_accrual_compute_citizen_engagement_before_any_work(void **state)
{
    struct accrual_contract_year in[1] = { cy(2019, 12 * 15167) };
    struct accrual_cec cec[1];
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    assert_int_equal(accrual_cec_parse("civic-service:2018", &cec[0]), 0);
    p.until = 2019;
    p.cec = cec;
    p.ncec = 1;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    /* 2018 is listed for the engagement, with no work. */
    assert_int_equal(r->nyears, 2);
    assert_int_equal(r->years[0].year, 2018);
    assert_int_equal(r->years[0].ratio, 0);
    assert_int_equal(r->years[0].cec_credit, 20);
    assert_int_equal(r->conv_cec_cents, 24000);
    assert_int_equal(r->balance, 50000);
    assert_int_equal(r->cec_balance, 24000);
    accrual_free(r);
}

static void
test_accrual_compute_cuts_long_sentences_on_a_character(void **state)
{
    static const int64_t scales[] = { 1015473, 1099182, 100 };
    struct accrual_contract_year in[17];
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];
    json_t *j;
    size_t i, k;

    (void)state;
    /* Seventeen contracts make the sentence longer than its buffer; with
     * these figures the cut falls inside a multi-byte arrow or sign (found
     * by search), which must be dropped whole. */
    p.until = 2016;
    for (k = 0; k < sizeof(scales) / sizeof(scales[0]); k++) {
        for (i = 0; i < 17; i++) {
            in[i] = cy(2016, scales[k] + (int64_t)i);
            in[i].siret[13] = (char)('0' + i % 10);
            in[i].siret[12] = (char)('0' + i / 10);
        }
        assert_int_equal(accrual_compute(in, 17, &p, &r, err, sizeof(err)),
            0);
        assert_true(strlen(r->years[0].explanation) >=
            ACCRUAL_EXPLAIN_MAX - 4 || k == 2);
        /* jansson refuses invalid UTF-8. */
        assert_non_null(j = accrual_to_json(r));
        json_decref(j);
        accrual_free(r);
    }
}

static void
test_accrual_compute_forfait_days(void **state)
{
    struct accrual_contract_year in[1];
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    memset(in, 0, sizeof(in));
    in[0].year = 2016;
    in[0].days = 1;
    in[0].unit = 20;
    in[0].counted = 10900;
    in[0].reference = in[0].reference_euros = 21800;
    p.until = 2016;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), 0);
    assert_int_equal(r->years[0].credit, 12);
    assert_non_null(strstr(r->years[0].explanation, "109.0 days worked of "
        "218.0"));
    accrual_free(r);
}

static void
test_accrual_compute_rejects_bad_parameters(void **state)
{
    struct accrual_contract_year in[1] = { cy(2016, 12 * 15167) };
    struct accrual_params p = { 0 };
    struct accrual_result *r;
    char err[128];

    (void)state;
    p.until = 2015;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
    assert_null(r);
    p.until = 2016;
    p.dif_hours = 121;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
    p.dif_hours = 0;
    assert_int_equal(accrual_compute(in, 0, &p, &r, err, sizeof(err)), -2);
    in[0].year = 2010; /* the DIF era alone: nothing to compute */
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
    in[0] = cy(2016, -1);
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
    in[0] = cy(2016, INT64_MAX / 2);
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
    in[0] = cy(2016, 100);
    p.opening_hours = 401;
    assert_int_equal(accrual_compute(in, 1, &p, &r, err, sizeof(err)), -2);
}

static void
test_accrual_to_json_has_the_documented_shape(void **state)
{
    struct accrual_result *r;
    char *text = full_time(2015, 2019);
    json_t *j, *y, *c, *b;

    (void)state;
    r = accrue(text, 2019, 0, 0);
    assert_non_null(j = accrual_to_json(r));
    assert_int_equal(json_array_size(json_object_get(j, "years")), 5);
    y = json_array_get(json_object_get(j, "years"), 1);
    assert_int_equal(json_integer_value(json_object_get(y, "year")), 2016);
    assert_string_equal(json_string_value(json_object_get(y, "era")),
        "hours");
    assert_true(json_real_value(json_object_get(y, "ratio")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(y, "credit")), 24);
    assert_string_equal(json_string_value(json_object_get(y, "unit")), "h");
    assert_int_equal(json_integer_value(json_object_get(y, "balance")), 48);
    assert_non_null(json_string_value(json_object_get(y, "explanation")));
    y = json_array_get(json_object_get(j, "years"), 4);
    assert_string_equal(json_string_value(json_object_get(y, "era")),
        "euros");
    assert_true(json_real_value(json_object_get(y, "credit")) == 500.0);
    assert_string_equal(json_string_value(json_object_get(y, "unit")),
        "EUR");
    assert_true(json_real_value(json_object_get(y, "balance")) == 1940.0);
    c = json_object_get(j, "conversion");
    assert_int_equal(json_integer_value(json_object_get(c, "hours")), 96);
    assert_int_equal(json_integer_value(json_object_get(c, "dif_hours")), 0);
    assert_true(json_real_value(json_object_get(c, "euros")) == 1440.0);
    /* Exactly the members of the documented shape. */
    assert_int_equal(json_object_size(j), 3);
    assert_int_equal(json_object_size(y), 7);
    assert_int_equal(json_object_size(c), 3);
    b = json_object_get(j, "balance");
    assert_int_equal(json_object_size(b), 2);
    assert_true(json_real_value(json_object_get(b, "amount")) == 1940.0);
    assert_string_equal(json_string_value(json_object_get(b, "unit")),
        "EUR");
    json_decref(j);
    accrual_free(r);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accrual_full_time_2015_to_2018_is_96_hours),
        cmocka_unit_test(test_accrual_part_time_80_percent_2016_is_20_hours),
        cmocka_unit_test(test_accrual_explanation_matches_the_documented_sentence),
        cmocka_unit_test(test_accrual_conversion_2019_gives_1440_then_1940_euros),
        cmocka_unit_test(test_accrual_conversion_with_120_dif_hours_is_3240_euros),
        cmocka_unit_test(test_accrual_30_percent_in_2019_is_150_euros),
        cmocka_unit_test(test_accrual_50_percent_in_2019_is_500_euros),
        cmocka_unit_test(test_accrual_full_year_of_maternity_leave_2016_is_24_hours),
        cmocka_unit_test(test_accrual_six_months_of_ordinary_sickness_is_12_hours),
        cmocka_unit_test(test_accrual_work_accident_counts_as_work),
        cmocka_unit_test(test_accrual_half_time_at_two_employers_2017_is_24_hours),
        cmocka_unit_test(test_accrual_low_qualified_from_2017_is_144_hours),
        cmocka_unit_test(test_accrual_contract_that_ends_counts_its_months),
        cmocka_unit_test(test_accrual_compute_crossing_120_hours_follows_policy),
        cmocka_unit_test(test_accrual_compute_caps_at_150_hours),
        cmocka_unit_test(test_accrual_compute_caps_at_5000_euros),
        cmocka_unit_test(test_accrual_compute_low_qualified_euros),
        cmocka_unit_test(test_accrual_compute_citizen_engagement),
        cmocka_unit_test(test_accrual_compute_citizen_engagement_before_any_work),
        cmocka_unit_test(test_accrual_compute_cuts_long_sentences_on_a_character),
        cmocka_unit_test(test_accrual_compute_forfait_days),
        cmocka_unit_test(test_accrual_compute_rejects_bad_parameters),
        cmocka_unit_test(test_accrual_to_json_has_the_documented_shape),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
