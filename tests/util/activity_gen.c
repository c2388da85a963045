#include "tests/util/activity_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
activity_gen_raw(struct activity_gen_buf *b, const char *text)
{
    size_t n = strlen(text);

    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;

        while (ncap < b->len + n + 1) {
            ncap *= 2;
        }
        if ((b->p = realloc(b->p, ncap)) == NULL) {
            abort();
        }
        b->cap = ncap;
    }
    memcpy(b->p + b->len, text, n + 1);
    b->len += n;
}

void
activity_gen_line(struct activity_gen_buf *b, const char *rubric,
    const char *value)
{
    char line[512];

    snprintf(line, sizeof(line), "%s,'%s'\n", rubric, value);
    activity_gen_raw(b, line);
}

void
activity_gen_header(struct activity_gen_buf *b)
{

    activity_gen_line(b, "S10.G00.00.001", "PAYROLL SOFTWARE");
    activity_gen_line(b, "S10.G00.00.002", "EDITOR");
    activity_gen_line(b, "S10.G00.00.003", "1.0");
    activity_gen_line(b, "S10.G00.00.005", "01");
    activity_gen_line(b, "S10.G00.00.006", "P24V01");
    activity_gen_line(b, "S10.G00.00.008", "01");
}

/* ${s} or the default ${d}. */
static const char *
dflt(const char *s, const char *d)
{

    return (s != NULL ? s : d);
}

void
activity_gen_month(struct activity_gen_buf *b,
    const struct activity_gen_month *m)
{
    char buf[32];
    int dim;

    dim = (m->month == 2) ? ((m->year % 4 == 0) ? 29 : 28) :
        (m->month == 4 || m->month == 6 || m->month == 9 ||
        m->month == 11) ? 30 : 31;
    activity_gen_line(b, "S20.G00.05.001", "01");
    activity_gen_line(b, "S20.G00.05.002", dflt(m->type, "01"));
    snprintf(buf, sizeof(buf), "01%02d%04d", m->month, m->year);
    activity_gen_line(b, "S20.G00.05.005", buf);
    activity_gen_line(b, "S21.G00.06.001", dflt(m->siren, "732829320"));
    activity_gen_line(b, "S21.G00.11.001", dflt(m->nic, "00074"));
    activity_gen_line(b, "S21.G00.30.001", dflt(m->nir, "1800175123456"));
    activity_gen_line(b, "S21.G00.30.002", dflt(m->name, "MARTIN"));
    activity_gen_line(b, "S21.G00.30.004", dflt(m->first, "CLAIRE"));
    activity_gen_line(b, "S21.G00.40.001", dflt(m->start, "01012015"));
    activity_gen_line(b, "S21.G00.40.007", "01");
    activity_gen_line(b, "S21.G00.40.009", dflt(m->number, "C0001"));
    activity_gen_line(b, "S21.G00.40.011", dflt(m->unit, "10"));
    activity_gen_line(b, "S21.G00.40.012", dflt(m->ref, "151.67"));
    activity_gen_line(b, "S21.G00.40.013", dflt(m->cq, dflt(m->ref, "151.67")));
    activity_gen_line(b, "S21.G00.40.014", "10");
    if (m->contract_extra != NULL) {
        activity_gen_raw(b, m->contract_extra);
    }
    if (m->paid == NULL) {
        return;
    }
    snprintf(buf, sizeof(buf), "%02d%02d%04d", dim, m->month, m->year);
    activity_gen_line(b, "S21.G00.50.001", buf);
    snprintf(buf, sizeof(buf), "01%02d%04d", m->month, m->year);
    activity_gen_line(b, "S21.G00.51.001", buf);
    snprintf(buf, sizeof(buf), "%02d%02d%04d", dim, m->month, m->year);
    activity_gen_line(b, "S21.G00.51.002", buf);
    activity_gen_line(b, "S21.G00.51.010", dflt(m->number, "C0001"));
    activity_gen_line(b, "S21.G00.51.011", "002");
    if (m->old_norm) {
        activity_gen_line(b, "S21.G00.51.012", m->paid);
    }
    activity_gen_line(b, "S21.G00.51.013", "2500.00");
    if (!m->old_norm) {
        activity_gen_line(b, "S21.G00.53.001", "01");
        activity_gen_line(b, "S21.G00.53.002", m->paid);
        activity_gen_line(b, "S21.G00.53.003", "10");
    }
}

void
activity_gen_year(struct activity_gen_buf *b,
    const struct activity_gen_month *tmpl, int year, const char *paid)
{
    struct activity_gen_month m = *tmpl;
    int mo;

    for (mo = 1; mo <= 12; mo++) {
        m.year = year;
        m.month = mo;
        m.paid = paid;
        activity_gen_month(b, &m);
    }
}

void
activity_gen_free(struct activity_gen_buf *b)
{

    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
