/*
 * How fast the activity module reads DSN files and computes an accrual.
 * 1. A 45-year career of one person (540 monthly declarations in one file):
 *    parse, periods, accrual; time per run.
 * 2. One month of an employer with N employees: DSN parse rate in MB/s and
 *    the time to build the periods.
 * Usage: bench_activity [N]   (default 5000 employees)
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activity/accrual.h"
#include "activity/dsn.h"
#include "activity/periods.h"

struct buf {
    char *p;
    size_t len, cap;
};

/* Append a formatted rubric line; exit on allocation failure. */
static void
line(struct buf *b, const char *rubric, const char *value)
{
    size_t n = strlen(rubric) + strlen(value) + 4;

    if (b->len + n + 1 > b->cap) {
        b->cap = (b->cap + n + 1) * 2;
        if ((b->p = realloc(b->p, b->cap)) == NULL) {
            exit(1);
        }
    }
    b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, "%s,'%s'\n",
        rubric, value);
}

/* One declaration of month ${m}/${y} with ${n} employees. */
static void
declaration(struct buf *b, int y, int m, int n)
{
    char v[32];
    int i;

    line(b, "S20.G00.05.001", "01");
    line(b, "S20.G00.05.002", "01");
    snprintf(v, sizeof(v), "01%02d%04d", m, y);
    line(b, "S20.G00.05.005", v);
    line(b, "S21.G00.06.001", "732829320");
    line(b, "S21.G00.11.001", "00074");
    for (i = 0; i < n; i++) {
        snprintf(v, sizeof(v), "18001751%05d", i % 100000);
        line(b, "S21.G00.30.001", v);
        line(b, "S21.G00.30.002", "MARTIN");
        line(b, "S21.G00.40.001", "01011975");
        line(b, "S21.G00.40.009", "C0001");
        line(b, "S21.G00.40.011", "10");
        line(b, "S21.G00.40.012", "151.67");
        snprintf(v, sizeof(v), "28%02d%04d", m, y);
        line(b, "S21.G00.50.001", v);
        snprintf(v, sizeof(v), "01%02d%04d", m, y);
        line(b, "S21.G00.51.001", v);
        snprintf(v, sizeof(v), "28%02d%04d", m, y);
        line(b, "S21.G00.51.002", v);
        line(b, "S21.G00.51.011", "002");
        line(b, "S21.G00.53.001", "01");
        line(b, "S21.G00.53.002", "151.67");
        line(b, "S21.G00.53.003", "10");
    }
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Parse ${b} into a finished periods set; exit on failure. */
static struct periods_set *
read_all(const struct buf *b, double *t_parse, double *t_periods)
{
    struct periods_set *set;
    struct dsn_error err;
    struct dsn_file *f;
    double t0 = now();

    if (dsn_parse((const uint8_t *)b->p, b->len, &f, &err) != 0) {
        fprintf(stderr, "bench: line %zu: %s\n", err.line, err.msg);
        exit(1);
    }
    *t_parse = now() - t0;
    t0 = now();
    if ((set = periods_new()) == NULL || periods_add_dsn(set, f, "b") ||
        periods_finish(set)) {
        exit(1);
    }
    *t_periods = now() - t0;
    dsn_free(f);
    return (set);
}

int
main(int argc, char **argv)
{
    struct accrual_params p;
    struct accrual_result *r;
    struct periods_set *set;
    struct buf career = { 0 }, employer = { 0 };
    double tp, tq, t0, total = 0;
    int y, m, i, runs = 50, n = argc > 1 ? atoi(argv[1]) : 5000;
    char err[128];

    if (n <= 0 || n > 1000000) {
        fprintf(stderr, "usage: bench_activity [EMPLOYEES]\n");
        return (2);
    }
    line(&career, "S10.G00.00.006", "P24V01");
    for (y = 1975; y < 2020; y++) {
        for (m = 1; m <= 12; m++) {
            declaration(&career, y, m, 1);
        }
    }
    memset(&p, 0, sizeof(p));
    p.until = 2024;
    for (i = 0; i < runs; i++) {
        t0 = now();
        set = read_all(&career, &tp, &tq);
        if (accrual_from_periods(set, &p, &r, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            return (1);
        }
        total += now() - t0;
        if (i == 0) {
            printf("career: %zu bytes, %zu months, balance %.2f EUR\n",
                career.len, set->nmonths, r->balance / 100.0);
        }
        accrual_free(r);
        periods_free(set);
    }
    printf("career: parse + periods + accrual of 45 years: %.2f ms a run "
        "(%d runs)\n", total * 1000 / runs, runs);

    line(&employer, "S10.G00.00.006", "P24V01");
    declaration(&employer, 2024, 3, n);
    set = read_all(&employer, &tp, &tq);
    printf("employer month: %d employees, %.1f MB: parse %.1f ms "
        "(%.0f MB/s), periods %.1f ms, %zu records\n", n,
        employer.len / 1e6, tp * 1000, employer.len / 1e6 / tp, tq * 1000,
        set->nmonths);
    periods_free(set);
    free(career.p);
    free(employer.p);
    return (0);
}
