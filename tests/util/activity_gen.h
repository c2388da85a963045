#ifndef ACTIVITY_GEN_H_
#define ACTIVITY_GEN_H_

#include <stddef.h>

/*
 * Test helpers: DSN files written on the fly, one declaration a month for one
 * person with one contract.  Strings are DSN values (dates JJMMAAAA,
 * quantities "151.67").  Every helper aborts the test program on allocation
 * failure.
 */

struct activity_gen_buf {
    char *p;
    size_t len, cap;
};

struct activity_gen_month {
    int year, month;
    const char *type;   /* S20.G00.05.002; NULL: "01" */
    const char *siren;  /* NULL: "732829320" */
    const char *nic;    /* NULL: "00074" */
    const char *nir;    /* NULL: "1800175123456" */
    const char *name;   /* NULL: "MARTIN" */
    const char *first;  /* NULL: "CLAIRE" */
    const char *start;  /* contract start; NULL: "01012015" */
    const char *number; /* NULL: "C0001" */
    const char *unit;   /* NULL: "10" */
    const char *ref;    /* NULL: "151.67" */
    const char *cq;     /* NULL: same as ref */
    const char *paid;   /* paid hours of the month; NULL: no pay block */
    int old_norm;       /* hours in 51.012 instead of a 53 block */
    const char *contract_extra; /* raw lines after the contract block */
};

/**
 * activity_gen_line(b, rubric, value):
 * Append the line `rubric,'value'` to ${b}.
 */
void activity_gen_line(struct activity_gen_buf *b, const char *rubric,
    const char *value);

/**
 * activity_gen_raw(b, text):
 * Append ${text} as is.
 */
void activity_gen_raw(struct activity_gen_buf *b, const char *text);

/**
 * activity_gen_header(b):
 * Append the S10 envelope (norm P24V01).
 */
void activity_gen_header(struct activity_gen_buf *b);

/**
 * activity_gen_month(b, m):
 * Append one declaration for the month ${m} describes.
 */
void activity_gen_month(struct activity_gen_buf *b,
    const struct activity_gen_month *m);

/**
 * activity_gen_year(b, tmpl, year, paid):
 * Append twelve monthly declarations of ${year} from ${tmpl}, each with
 * ${paid} hours.
 */
void activity_gen_year(struct activity_gen_buf *b,
    const struct activity_gen_month *tmpl, int year, const char *paid);

/**
 * activity_gen_free(b):
 * Release the text of ${b} and reset it.
 */
void activity_gen_free(struct activity_gen_buf *b);

#endif /* !ACTIVITY_GEN_H_ */
