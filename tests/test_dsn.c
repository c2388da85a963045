#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "activity/dsn.h"
#include "activity/periods.h"
#include "tests/util/activity_gen.h"

/* One month of full time, as the generator writes it. */
static const struct activity_gen_month full = { .year = 2016, .month = 3,
    .paid = "151.67" };

/* Parse ${text}; return the result code and the file in ${f}. */
static int
parse(const char *text, struct dsn_file **f, struct dsn_error *err)
{

    return (dsn_parse((const uint8_t *)text, strlen(text), f, err));
}

/* A file with one month written by the generator. */
static char *
one_month(const struct activity_gen_month *m)
{
    struct activity_gen_buf b = { 0 };

    activity_gen_header(&b);
    activity_gen_month(&b, m);
    return (b.p);
}

static void
test_dsn_parse_reads_a_month(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    struct dsn_declaration *d;
    struct dsn_individual *ind;
    struct dsn_contract *c;
    char *text = one_month(&full);

    (void)state;
    assert_int_equal(parse(text, &f, &err), 0);
    assert_string_equal(f->version, "P24V01");
    assert_int_equal(f->latin1, 0);
    assert_int_equal(f->ndecls, 1);
    d = &f->decls[0];
    assert_string_equal(d->type, "01");
    assert_int_equal(d->year, 2016);
    assert_int_equal(d->month, 3);
    assert_string_equal(d->siret, "73282932000074");
    assert_int_equal(d->nindividuals, 1);
    ind = &d->individuals[0];
    assert_string_equal(ind->nir, "1800175123456");
    assert_string_equal(ind->last_name, "MARTIN");
    assert_string_equal(ind->first_names, "CLAIRE");
    assert_int_equal(ind->ncontracts, 1);
    c = &ind->contracts[0];
    assert_int_equal(c->start, periods_day(2015, 1, 1));
    assert_string_equal(c->nature, "01");
    assert_string_equal(c->number, "C0001");
    assert_int_equal(c->unit, 10);
    assert_int_equal(c->ref_quota, 15167);
    assert_int_equal(c->contract_quota, 15167);
    assert_int_equal(c->end, 0);
    assert_int_equal(ind->npays, 1);
    assert_string_equal(ind->pays[0].type, "002");
    assert_int_equal(ind->pays[0].has_activity, 1);
    assert_int_equal(ind->pays[0].work_hours, 15167);
    assert_int_equal(ind->pays[0].start, periods_day(2016, 3, 1));
    assert_int_equal(ind->pays[0].end, periods_day(2016, 3, 31));
    dsn_free(f);
    free(text);
}

static void
test_dsn_parse_reads_hours_of_older_norms(void **state)
{
    struct activity_gen_month m = full;
    struct dsn_error err;
    struct dsn_file *f;
    char *text;

    (void)state;
    m.old_norm = 1;
    m.paid = "121.33";
    text = one_month(&m);
    assert_int_equal(parse(text, &f, &err), 0);
    assert_int_equal(f->decls[0].individuals[0].pays[0].has_activity, 0);
    assert_int_equal(f->decls[0].individuals[0].pays[0].has_hours, 1);
    assert_int_equal(f->decls[0].individuals[0].pays[0].hours, 12133);
    dsn_free(f);
    free(text);
}

static void
test_dsn_parse_converts_latin1_names(void **state)
{
    struct activity_gen_month m = full;
    struct dsn_error err;
    struct dsn_file *f;
    char *text;

    (void)state;
    m.name = "L\xc9VEQUE";       /* É in Latin-1 */
    m.first = "J\xe9r\xf4me";    /* é, ô */
    text = one_month(&m);
    assert_int_equal(parse(text, &f, &err), 0);
    assert_int_equal(f->latin1, 1);
    assert_string_equal(f->decls[0].individuals[0].last_name,
        "L\xc3\x89VEQUE");
    assert_string_equal(f->decls[0].individuals[0].first_names,
        "J\xc3\xa9r\xc3\xb4me");
    dsn_free(f);
    free(text);
}

static void
test_dsn_parse_keeps_utf8_names(void **state)
{
    struct activity_gen_month m = full;
    struct dsn_error err;
    struct dsn_file *f;
    char *text;

    (void)state;
    m.first = "J\xc3\xa9r\xc3\xb4me";
    m.name = "D'ARTAGNAN";
    text = one_month(&m);
    assert_int_equal(parse(text, &f, &err), 0);
    assert_int_equal(f->latin1, 0);
    assert_string_equal(f->decls[0].individuals[0].first_names,
        "J\xc3\xa9r\xc3\xb4me");
    assert_string_equal(f->decls[0].individuals[0].last_name, "D'ARTAGNAN");
    dsn_free(f);
    free(text);
}

/* Return the 1-based number of the line of ${text} that starts ${prefix}. */
static size_t
line_of(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    size_t n = 1;

    assert_non_null(p);
    while (p > text) {
        n += (*--p == '\n');
    }
    return (n);
}

/* The number of lines of ${text}. */
static size_t
count_lines(const char *text)
{
    size_t n = 0;

    for (; *text; text++) {
        n += (*text == '\n');
    }
    return (n);
}

/* Replace the first occurrence of ${from} in ${text} by ${to}. */
static char *
replace(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    char *out;

    assert_non_null(p);
    out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
    assert_non_null(out);
    memcpy(out, text, (size_t)(p - text));
    strcpy(out + (p - text), to);
    strcat(out, p + strlen(from));
    return (out);
}

static void
test_dsn_parse_rejects_missing_quote(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full), *bad;

    (void)state;
    bad = replace(text, "S21.G00.40.009,'C0001'", "S21.G00.40.009,'C0001");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_null(f);
    assert_int_equal(err.line, line_of(bad, "S21.G00.40.009"));
    assert_non_null(strstr(err.msg, "apostrophe"));
    free(bad);
    bad = replace(text, "S21.G00.40.009,'C0001'", "S21.G00.40.009,C0001'");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S21.G00.40.009"));
    free(bad);
    free(text);
}

static void
test_dsn_parse_rejects_unknown_rubric_order(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full), *bad;

    (void)state;
    /* A contract straight under the establishment, without individual. */
    bad = replace(text, "S21.G00.30.001,'1800175123456'\n"
        "S21.G00.30.002,'MARTIN'\nS21.G00.30.004,'CLAIRE'\n", "");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S21.G00.40.001"));
    assert_non_null(strstr(err.msg, "order"));
    free(bad);
    /* A field of the contract after its sick-leave block. */
    bad = replace(text, "S21.G00.40.014,'10'\n",
        "S21.G00.60.001,'01'\nS21.G00.40.014,'10'\n");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S21.G00.40.014"));
    free(bad);
    /* The envelope after the declarations. */
    bad = malloc(strlen(text) + 64);
    assert_non_null(bad);
    strcpy(bad, text);
    strcat(bad, "S10.G00.00.006,'P24V01'\n");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, count_lines(bad));
    free(bad);
    free(text);
}

static void
test_dsn_parse_rejects_impossible_dates(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full), *bad;

    (void)state;
    bad = replace(text, "S21.G00.40.001,'01012015'",
        "S21.G00.40.001,'31022017'");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S21.G00.40.001"));
    assert_non_null(strstr(err.msg, "31022017"));
    free(bad);
    bad = replace(text, "S20.G00.05.005,'01032016'",
        "S20.G00.05.005,'15032016'");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S20.G00.05.005"));
    free(bad);
    bad = replace(text, "S21.G00.40.001,'01012015'",
        "S21.G00.40.001,'2015-01-01'");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    free(bad);
    free(text);
}

static void
test_dsn_parse_rejects_bad_quantities(void **state)
{
    static const char *const bad_values[] = { "151.6", "151", "151.670",
        "-151.67", "1e2.00", ".67", "151,67" };
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full), *bad, line[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        snprintf(line, sizeof(line), "S21.G00.40.012,'%s'", bad_values[i]);
        bad = replace(text, "S21.G00.40.012,'151.67'", line);
        assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
        assert_int_equal(err.line, line_of(bad, "S21.G00.40.012"));
        free(bad);
    }
    free(text);
}

static void
test_dsn_parse_tells_other_files_apart(void **state)
{
    static const char *const others[] = { "", "%PDF-1.4\n", "{\"a\":1}",
        "hello\nS21.G00.40.001,'01012015'\n", "S21.G00.40.001 '01012015'",
        "s10.G00.00.006,'P24V01'\n" };
    struct dsn_error err;
    struct dsn_file *f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(parse(others[i], &f, &err), DSN_ENOTDSN);
        assert_null(f);
        assert_int_equal(dsn_looks_like((const uint8_t *)others[i],
            strlen(others[i])), 0);
    }
    /* A DSN without declaration is damaged, not something else. */
    assert_int_equal(parse("S10.G00.00.006,'P24V01'\n", &f, &err),
        DSN_EMALFORMED);
}

static void
test_dsn_parse_rejects_missing_required_fields(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full), *bad;

    (void)state;
    bad = replace(text, "S20.G00.05.005,'01032016'\n", "");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_non_null(strstr(err.msg, "month"));
    free(bad);
    bad = replace(text, "S21.G00.40.001,'01012015'\n", "");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_non_null(strstr(err.msg, "start"));
    free(bad);
    bad = replace(text, "S21.G00.11.001,'00074'\n", "");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    free(bad);
    bad = replace(text, "S21.G00.06.001,'732829320'",
        "S21.G00.06.001,'73282932'");
    assert_int_equal(parse(bad, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, line_of(bad, "S21.G00.06.001"));
    free(bad);
    free(text);
}

static void
test_dsn_parse_reads_contract_end_and_absences(void **state)
{
    struct activity_gen_month m = full;
    struct dsn_error err;
    struct dsn_file *f;
    struct dsn_contract *c;
    char *text;

    (void)state;
    m.contract_extra = "S21.G00.60.001,'02'\nS21.G00.60.002,'09032016'\n"
        "S21.G00.60.003,'30062016'\n"
        "S21.G00.62.001,'31032016'\nS21.G00.62.002,'059'\n"
        "S21.G00.65.001,'607'\nS21.G00.65.002,'01032016'\n"
        "S21.G00.65.003,'05032016'\n";
    text = one_month(&m);
    assert_int_equal(parse(text, &f, &err), 0);
    c = &f->decls[0].individuals[0].contracts[0];
    assert_int_equal(c->end, periods_day(2016, 3, 31));
    assert_string_equal(c->end_reason, "059");
    assert_int_equal(c->nabsences, 2);
    assert_int_equal(c->absences[0].sick, 1);
    assert_string_equal(c->absences[0].reason, "02");
    assert_int_equal(c->absences[0].last_worked, periods_day(2016, 3, 9));
    assert_int_equal(c->absences[0].planned_end, periods_day(2016, 6, 30));
    assert_int_equal(c->absences[1].sick, 0);
    assert_string_equal(c->absences[1].reason, "607");
    assert_int_equal(c->absences[1].end, periods_day(2016, 3, 5));
    dsn_free(f);
    free(text);
}

static void
test_dsn_parse_starts_new_instance_when_fields_go_down(void **state)
{
    struct activity_gen_month m = full;
    struct dsn_error err;
    struct dsn_file *f;
    struct dsn_individual *ind;
    char *text;

    (void)state;
    m.contract_extra = "S21.G00.40.001,'01022016'\nS21.G00.40.007,'02'\n"
        "S21.G00.40.009,'C0002'\nS21.G00.40.011,'10'\n"
        "S21.G00.40.012,'151.67'\n";
    text = one_month(&m);
    assert_int_equal(parse(text, &f, &err), 0);
    ind = &f->decls[0].individuals[0];
    assert_int_equal(ind->ncontracts, 2);
    assert_string_equal(ind->contracts[1].number, "C0002");
    assert_string_equal(ind->contracts[1].nature, "02");
    assert_int_equal(ind->contracts[1].contract_quota, -1);
    dsn_free(f);
    free(text);
}

static void
test_dsn_parse_accepts_suspensions_after_payments(void **state)
{
    struct activity_gen_buf b = { 0 };
    struct dsn_error err;
    struct dsn_file *f;
    struct dsn_contract *c;

    (void)state;
    /* Blocks in ascending order: 40, 50, 51, 53, then 60, 62, 65. */
    activity_gen_header(&b);
    activity_gen_month(&b, &full);
    activity_gen_raw(&b, "S21.G00.60.001,'02'\nS21.G00.60.002,'09032016'\n"
        "S21.G00.62.001,'31032016'\nS21.G00.62.002,'059'\n"
        "S21.G00.65.001,'650'\nS21.G00.65.002,'01032016'\n"
        "S21.G00.30.001,'2800175123456'\nS21.G00.40.001,'01022016'\n");
    assert_int_equal(parse(b.p, &f, &err), 0);
    assert_int_equal(f->decls[0].nindividuals, 2);
    c = &f->decls[0].individuals[0].contracts[0];
    assert_int_equal(c->nabsences, 2);
    assert_int_equal(c->end, periods_day(2016, 3, 31));
    assert_int_equal(f->decls[0].individuals[0].ncontracts, 1);
    assert_int_equal(f->decls[0].individuals[0].npays, 1);
    dsn_free(f);
    /* Without any contract before them they are still out of order. */
    activity_gen_free(&b);
    activity_gen_header(&b);
    activity_gen_raw(&b, "S20.G00.05.001,'01'\nS20.G00.05.002,'01'\n"
        "S20.G00.05.005,'01032016'\nS21.G00.06.001,'732829320'\n"
        "S21.G00.11.001,'00074'\nS21.G00.30.001,'1800175123456'\n"
        "S21.G00.60.001,'02'\n");
    assert_int_equal(parse(b.p, &f, &err), DSN_EMALFORMED);
    assert_int_equal(err.line, 13);
    activity_gen_free(&b);
}

static void
test_dsn_parse_accepts_crlf_and_skips_unknown_blocks(void **state)
{
    struct activity_gen_buf b = { 0 };
    struct dsn_error err;
    struct dsn_file *f;
    char *crlf;
    size_t i, o = 0;

    (void)state;
    activity_gen_header(&b);
    activity_gen_line(&b, "S10.G00.01.001", "732829320");
    activity_gen_month(&b, &full);
    activity_gen_line(&b, "S21.G00.78.001", "02");
    activity_gen_line(&b, "S90.G00.90.001", "1000.00");
    crlf = malloc(2 * b.len + 1);
    assert_non_null(crlf);
    for (i = 0; i < b.len; i++) {
        if (b.p[i] == '\n') {
            crlf[o++] = '\r';
        }
        crlf[o++] = b.p[i];
    }
    crlf[o] = '\0';
    assert_int_equal(parse(crlf, &f, &err), 0);
    assert_int_equal(f->ndecls, 1);
    dsn_free(f);
    free(crlf);
    activity_gen_free(&b);
}

static void
test_dsn_parse_survives_every_truncation(void **state)
{
    struct dsn_error err;
    struct dsn_file *f;
    char *text = one_month(&full);
    size_t len = strlen(text), i, ok = 0;
    int rc;

    (void)state;
    for (i = 0; i <= len; i++) {
        uint8_t *copy = malloc(i + 1);

        assert_non_null(copy);
        memcpy(copy, text, i);
        rc = dsn_parse(copy, i, &f, &err);
        assert_true(rc == 0 || rc == DSN_EMALFORMED || rc == DSN_ENOTDSN);
        if (rc == 0) {
            ok++;
            dsn_free(f);
        } else {
            assert_null(f);
        }
        free(copy);
    }
    /* At least the whole file parses. */
    assert_true(ok >= 1);
    free(text);
}

static void
test_dsn_parse_several_declarations_and_types(void **state)
{
    struct activity_gen_month m = full;
    struct activity_gen_buf b = { 0 };
    struct dsn_error err;
    struct dsn_file *f;

    (void)state;
    activity_gen_header(&b);
    activity_gen_month(&b, &m);
    m.type = "03";
    m.siren = "552100554";
    activity_gen_month(&b, &m);
    assert_int_equal(parse(b.p, &f, &err), 0);
    assert_int_equal(f->ndecls, 2);
    assert_string_equal(f->decls[1].type, "03");
    assert_string_equal(f->decls[1].siret, "55210055400074");
    dsn_free(f);
    activity_gen_free(&b);
}

/* Read tests/data/${name}; abort the test if missing. */
static uint8_t *
read_data(const char *name, size_t *len)
{
    const char *src = getenv("COFFRE_SRCDIR");
    char path[512];
    uint8_t *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_true((n = ftell(f)) > 0);
    rewind(f);
    assert_non_null(buf = malloc((size_t)n));
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return (buf);
}

static void
test_dsn_parse_reads_an_older_latin1_file(void **state)
{
    struct periods_set *set;
    struct dsn_error err;
    struct dsn_file *f;
    struct dsn_individual *ind;
    uint8_t *buf;
    size_t len;

    (void)state;
    /* Norm P22V01, Latin-1, CRLF, hours in 51.012, a type-001 block. */
    buf = read_data("dsn-p22-latin1.dsn", &len);
    assert_int_equal(dsn_parse(buf, len, &f, &err), 0);
    assert_string_equal(f->version, "P22V01");
    assert_int_equal(f->latin1, 1);
    assert_int_equal(f->ndecls, 3);
    ind = &f->decls[2].individuals[0];
    assert_string_equal(ind->last_name, "L\xc3\x89V\xc3\x8aQUE");
    assert_string_equal(ind->first_names, "H\xc3\xa9l\xc3\xa8ne "
        "Fran\xc3\xa7oise");
    assert_int_equal(ind->npays, 2);
    assert_string_equal(ind->pays[1].type, "002");
    assert_int_equal(ind->pays[1].hours, 6067);
    assert_int_equal(ind->contracts[0].nabsences, 1);
    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_dsn(set, f, "p22"), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 3);
    /* March: half paid, the rest maternity leave, up to the contract's
     * own quota of 121.34 h. */
    assert_int_equal(set->months[2].absence_days, 16);
    assert_int_equal(set->months[2].counted, 12134);
    periods_free(set);
    dsn_free(f);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsn_parse_reads_a_month),
        cmocka_unit_test(test_dsn_parse_reads_hours_of_older_norms),
        cmocka_unit_test(test_dsn_parse_converts_latin1_names),
        cmocka_unit_test(test_dsn_parse_keeps_utf8_names),
        cmocka_unit_test(test_dsn_parse_rejects_missing_quote),
        cmocka_unit_test(test_dsn_parse_rejects_unknown_rubric_order),
        cmocka_unit_test(test_dsn_parse_rejects_impossible_dates),
        cmocka_unit_test(test_dsn_parse_rejects_bad_quantities),
        cmocka_unit_test(test_dsn_parse_tells_other_files_apart),
        cmocka_unit_test(test_dsn_parse_rejects_missing_required_fields),
        cmocka_unit_test(test_dsn_parse_reads_contract_end_and_absences),
        cmocka_unit_test(test_dsn_parse_starts_new_instance_when_fields_go_down),
        cmocka_unit_test(test_dsn_parse_accepts_suspensions_after_payments),
        cmocka_unit_test(test_dsn_parse_accepts_crlf_and_skips_unknown_blocks),
        cmocka_unit_test(test_dsn_parse_survives_every_truncation),
        cmocka_unit_test(test_dsn_parse_several_declarations_and_types),
        cmocka_unit_test(test_dsn_parse_reads_an_older_latin1_file),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
