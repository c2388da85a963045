#define _DEFAULT_SOURCE /* mkdtemp */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "activity/hook.h"
#include "activity/periods.h"

/*
 * The hook runner against small shell scripts, and the shipped
 * hooks/pdf-payslip against payslip PDFs written here: a minimal PDF 1.4
 * with one page of Helvetica text.
 */

static char dir[64];

static int
setup(void **state)
{

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/coffre-hook-XXXXXX");
    return (mkdtemp(dir) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return (system(cmd) == 0 ? 0 : -1);
}

/* Write an executable script ${name} with ${body}; return its path. */
static char *
script(const char *name, const char *body)
{
    char *path = malloc(256);
    FILE *f;

    assert_non_null(path);
    snprintf(path, 256, "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0700), 0);
    return (path);
}

static int64_t
ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
test_hook_run_passes_bytes_and_environment(void **state)
{
    char *path, *out, err[160];
    size_t len;

    (void)state;
    path = script("echo", "printf '%s|%s|' \"$COFFRE_DOC_CLASS\" "
        "\"$COFFRE_DOC_NAME\"; cat");
    assert_int_equal(hook_run(path, "payslip", "mars.pdf",
        (const uint8_t *)"hello", 5, HOOK_TIMEOUT_MS, 1024, &out, &len,
        err, sizeof(err)), 0);
    assert_string_equal(out, "payslip|mars.pdf|hello");
    assert_int_equal(len, strlen("payslip|mars.pdf|hello"));
    free(out);
    free(path);
}

static void
test_hook_run_kills_at_the_deadline(void **state)
{
    char *path, *out, err[160];
    size_t len;
    int64_t t0;

    (void)state;
    path = script("sleep", "sleep 30 & sleep 30");
    t0 = ms();
    assert_int_equal(hook_run(path, "c", "n", (const uint8_t *)"", 0, 300,
        1024, &out, &len, err, sizeof(err)), HOOK_ETIMEOUT);
    assert_true(ms() - t0 < 8000); /* 300 ms, and a loaded machine */
    assert_null(out);
    assert_non_null(strstr(err, "300 ms"));
    free(path);
}

static void
test_hook_run_caps_the_output(void **state)
{
    char *path, *out, err[160];
    size_t len;

    (void)state;
    path = script("yes", "yes coffre");
    assert_int_equal(hook_run(path, "c", "n", (const uint8_t *)"", 0,
        HOOK_TIMEOUT_MS, 4096, &out, &len, err, sizeof(err)), HOOK_ETOOBIG);
    assert_null(out);
    free(path);
}

static void
test_hook_run_reports_failures(void **state)
{
    char *path, *out, err[160], missing[256];
    size_t len;

    (void)state;
    path = script("fail", "echo partial; exit 3");
    assert_int_equal(hook_run(path, "c", "n", (const uint8_t *)"x", 1,
        HOOK_TIMEOUT_MS, 1024, &out, &len, err, sizeof(err)), HOOK_EFAILED);
    assert_non_null(strstr(err, "status 3"));
    free(path);
    path = script("kill", "kill -9 $$");
    assert_int_equal(hook_run(path, "c", "n", (const uint8_t *)"x", 1,
        HOOK_TIMEOUT_MS, 1024, &out, &len, err, sizeof(err)), HOOK_EFAILED);
    assert_non_null(strstr(err, "signal 9"));
    free(path);
    snprintf(missing, sizeof(missing), "%s/none", dir);
    assert_int_equal(hook_run(missing, "c", "n", (const uint8_t *)"x", 1,
        HOOK_TIMEOUT_MS, 1024, &out, &len, err, sizeof(err)), HOOK_EEXEC);
    assert_non_null(strstr(err, "cannot run"));
}

static void
test_hook_run_survives_a_hook_that_does_not_read(void **state)
{
    char *path, *out, err[160];
    uint8_t *big;
    size_t len, n = 4 * 1024 * 1024;

    (void)state;
    assert_non_null(big = calloc(1, n));
    path = script("noread", "echo '{\"periods\":[]}'");
    assert_int_equal(hook_run(path, "c", "n", big, n, HOOK_TIMEOUT_MS, 1024,
        &out, &len, err, sizeof(err)), 0);
    assert_string_equal(out, "{\"periods\":[]}\n");
    free(out);
    free(path);
    free(big);
}

/* Append ${s} to a PDF under construction. */
struct pdf {
    char buf[8192];
    size_t len;
    size_t off[8];
};

static void
put(struct pdf *p, const char *s)
{
    size_t n = strlen(s);

    assert_true(p->len + n < sizeof(p->buf));
    memcpy(p->buf + p->len, s, n);
    p->len += n;
}

/* A one-page PDF with ${lines} (Latin-1, no parentheses) in Helvetica. */
static void
make_pdf(struct pdf *p, const char *const *lines, size_t nlines)
{
    char content[4096], tmp[512];
    size_t i, clen = 0;

    memset(p, 0, sizeof(*p));
    clen += (size_t)snprintf(content + clen, sizeof(content) - clen,
        "BT /F1 11 Tf 14 TL 50 800 Td\n");
    for (i = 0; i < nlines; i++) {
        clen += (size_t)snprintf(content + clen, sizeof(content) - clen,
            "(%s) Tj T*\n", lines[i]);
    }
    clen += (size_t)snprintf(content + clen, sizeof(content) - clen, "ET\n");
    put(p, "%PDF-1.4\n");
    p->off[1] = p->len;
    put(p, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    p->off[2] = p->len;
    put(p, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    p->off[3] = p->len;
    put(p, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\n"
        "endobj\n");
    p->off[4] = p->len;
    snprintf(tmp, sizeof(tmp), "4 0 obj\n<< /Length %zu >>\nstream\n", clen);
    put(p, tmp);
    put(p, content);
    put(p, "endstream\nendobj\n");
    p->off[5] = p->len;
    put(p, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        "/Encoding /WinAnsiEncoding >>\nendobj\n");
    p->off[6] = p->len;
    put(p, "xref\n0 6\n0000000000 65535 f \n");
    for (i = 1; i <= 5; i++) {
        snprintf(tmp, sizeof(tmp), "%010zu 00000 n \n", p->off[i]);
        put(p, tmp);
    }
    snprintf(tmp, sizeof(tmp), "trailer\n<< /Size 6 /Root 1 0 R >>\n"
        "startxref\n%zu\n%%%%EOF\n", p->off[6]);
    put(p, tmp);
}

/* The path of the shipped hook. */
static void
pdf_hook(char *buf, size_t len)
{
    const char *src = getenv("COFFRE_SRCDIR");

    snprintf(buf, len, "%s/hooks/pdf-payslip", src ? src : ".");
}

static const char *const payslip[] = {
    "BULLETIN DE PAIE",
    "Employeur : ACME SA   SIRET : 732 829 320 00074",
    "Salari\351e : Claire MARTIN",
    "Date d'entr\351e : 01/01/2015",
    "P\351riode du 01/03/2016 au 31/03/2016",
    "Horaire mensuel de r\351f\351rence : 151,67",
    "Salaire de base     151,67     16,4800     2 499,52",
    "Heures pay\351es : 151,67",
    "Net \340 payer : 1 950,00",
};

static void
test_hook_pdf_payslip_finds_the_period(void **state)
{
    struct periods_set *set;
    struct pdf p;
    char hook[512], err[256];

    (void)state;
    pdf_hook(hook, sizeof(hook));
    make_pdf(&p, payslip, sizeof(payslip) / sizeof(payslip[0]));
    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_document(set, (const uint8_t *)p.buf, p.len,
        "mars.pdf", hook, err, sizeof(err)), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    assert_string_equal(set->months[0].siret, "73282932000074");
    assert_int_equal(set->months[0].year, 2016);
    assert_int_equal(set->months[0].month, 3);
    assert_int_equal(set->months[0].contract_start, periods_day(2015, 1, 1));
    assert_int_equal(set->months[0].v.paid, 15167);
    assert_int_equal(set->months[0].v.ref_quota, 15167);
    assert_int_equal(set->months[0].sources, 1u << PERIODS_SRC_HOOK);
    periods_free(set);
}

static void
test_hook_failing_is_a_warning_and_others_continue(void **state)
{
    static const char *const not_payslip[] = { "Lettre de bienvenue",
        "Bonjour." };
    struct periods_set *set;
    struct pdf p;
    char hook[512], err[256];

    (void)state;
    pdf_hook(hook, sizeof(hook));
    assert_non_null(set = periods_new());
    make_pdf(&p, not_payslip, 2);
    assert_int_equal(periods_add_document(set, (const uint8_t *)p.buf, p.len,
        "lettre.pdf", hook, err, sizeof(err)), PERIODS_EHOOK);
    assert_non_null(strstr(err, "lettre.pdf"));
    assert_int_equal(periods_add_document(set, (const uint8_t *)"plain", 5,
        "notes.txt", hook, err, sizeof(err)), PERIODS_EHOOK);
    make_pdf(&p, payslip, sizeof(payslip) / sizeof(payslip[0]));
    assert_int_equal(periods_add_document(set, (const uint8_t *)p.buf, p.len,
        "mars.pdf", hook, err, sizeof(err)), 0);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 1);
    periods_free(set);
}

static void
test_hook_bad_output_is_a_warning(void **state)
{
    struct periods_set *set;
    char *path, err[256];

    (void)state;
    path = script("garbage", "cat >/dev/null; echo 'periods: none'");
    assert_non_null(set = periods_new());
    assert_int_equal(periods_add_document(set, (const uint8_t *)"x", 1,
        "x.bin", path, err, sizeof(err)), PERIODS_EHOOK);
    assert_non_null(strstr(err, "periods JSON"));
    free(path);
    path = script("badentry", "echo '{\"periods\":[{\"siret\":\"1\"}]}'");
    assert_int_equal(periods_add_document(set, (const uint8_t *)"x", 1,
        "x.bin", path, err, sizeof(err)), PERIODS_EHOOK);
    assert_int_equal(periods_finish(set), 0);
    assert_int_equal(set->nmonths, 0);
    periods_free(set);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_run_passes_bytes_and_environment),
        cmocka_unit_test(test_hook_run_kills_at_the_deadline),
        cmocka_unit_test(test_hook_run_caps_the_output),
        cmocka_unit_test(test_hook_run_reports_failures),
        cmocka_unit_test(test_hook_run_survives_a_hook_that_does_not_read),
        cmocka_unit_test(test_hook_pdf_payslip_finds_the_period),
        cmocka_unit_test(test_hook_failing_is_a_warning_and_others_continue),
        cmocka_unit_test(test_hook_bad_output_is_a_warning),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
