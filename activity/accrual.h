#ifndef ACCRUAL_H_
#define ACCRUAL_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The training-account (CPF) accrual engine: from the time worked each year,
 * the rights earned under the rules in force that year (hours for 2015-2018,
 * euros from 2019, with the conversion of 1 January 2019), with a sentence a
 * person can check for every year.  Rules and policy: docs/ACTIVITY.md.
 *
 * Arithmetic is in integers: quantities of time in hundredths, ratios in
 * billionths (rounded down), money in cents.  Only each year's credit is
 * rounded up (to the hour, or to the cent); the ratio itself is never
 * rounded, except that "at least half" in the euro era is judged on the
 * ratio rounded to the nearest thousandth, the precision it is shown with.
 */

struct periods_set;

#define ACCRUAL_FIRST_YEAR 2015 /* the first year of the CPF */
#define ACCRUAL_EURO_YEAR 2019  /* rights in euros from this year */
#define ACCRUAL_CEC_YEAR 2017   /* first year of the citizen account */
#define ACCRUAL_LQ_YEAR 2017    /* first year of the low-qualified rule */
#define ACCRUAL_LAST_YEAR 2199
#define ACCRUAL_RATIO_ONE 1000000000LL /* a full year, in billionths */
#define ACCRUAL_DIF_MAX 120     /* hours of DIF one could hold */
#define ACCRUAL_OPENING_MAX 400 /* the highest hours-era ceiling */
#define ACCRUAL_CEC_MAX 64      /* activities given on the command line */
#define ACCRUAL_EXPLAIN_MAX 1024

enum accrual_era { ACCRUAL_ERA_HOURS, ACCRUAL_ERA_EUROS };

/* One contract's time in one calendar year: the input of the engine. */
struct accrual_contract_year {
    int year;
    char siret[15];
    int32_t contract_start; /* civil day number; 0 if unknown */
    int unit;           /* enum periods_unit */
    int days;           /* quantities are days (forfait-jours), not hours */
    int64_t counted;    /* hundredths: paid work plus assimilated absence */
    int64_t absence;    /* hundredths of ${counted} that are absence */
    int64_t reference;  /* hundredths: a full year, hours-era rule */
    int64_t reference_euros; /* hundredths: a full year, euro-era rule */
};

/* One citizen-engagement activity in one year (--cec ACTIVITY:YEAR). */
struct accrual_cec {
    char activity[32];
    int year;
};

struct accrual_params {
    int first_year;          /* 0: the first year with data */
    int until;               /* the last year computed */
    int low_qualified_since; /* year declared; 0: never */
    int dif_hours;           /* former DIF hours, 0..ACCRUAL_DIF_MAX */
    int opening_hours;       /* CPF hours held on 1 January of the first
                              * year, 0..ACCRUAL_OPENING_MAX */
    const struct accrual_cec *cec;
    size_t ncec;
};

struct accrual_year {
    int year;
    enum accrual_era era;
    int64_t ratio;       /* billionths, at most ACCRUAL_RATIO_ONE */
    int64_t credit;      /* whole hours, or cents */
    int64_t balance;     /* whole hours, or cents (after the credit) */
    int64_t cec_credit;  /* hours or cents of the citizen account */
    int64_t cec_balance;
    char explanation[ACCRUAL_EXPLAIN_MAX]; /* UTF-8; cut if longer */
};

struct accrual_result {
    struct accrual_year *years;
    size_t nyears;
    int converted;            /* the years reach 2019 */
    int64_t conv_hours;       /* CPF hours converted on 1 Jan 2019 */
    int64_t conv_dif_hours;
    int64_t conv_cents;       /* (CPF + DIF hours) at 15 EUR */
    int64_t conv_cec_hours;
    int64_t conv_cec_cents;   /* CEC hours at 12 EUR */
    char conv_explanation[256]; /* for text output; not in the JSON */
    enum accrual_era era;     /* unit of ${balance} */
    int64_t balance;
    int64_t dif_hours;        /* DIF held apart while not converted */
    int has_cec;
    int64_t cec_balance;      /* in the unit of ${era} */
};

/**
 * accrual_compute(cy, n, p, out, err, errlen):
 * Compute the rights of every year from ${p}->first_year (or the first year
 * of ${cy}, at least 2015) to ${p}->until, from the ${n} contract-years
 * ${cy}.  On success store a new result in ${out} (free with accrual_free())
 * and return 0.  Return -2 with a message in ${err} if the parameters are
 * invalid or there is no year to compute, -1 on allocation failure.
 */
int accrual_compute(const struct accrual_contract_year *cy, size_t n,
    const struct accrual_params *p, struct accrual_result **out, char *err,
    size_t errlen);

/**
 * accrual_contract_years(set, out, n):
 * Sum the months of the finished ${set} into contract-years (the reference
 * of a contract-year is that of its last month in the year).  Store a new
 * array in ${out} (the caller frees it) of ${n} entries; return 0 or -1.
 */
int accrual_contract_years(const struct periods_set *set,
    struct accrual_contract_year **out, size_t *n);

/**
 * accrual_from_periods(set, p, out, err, errlen):
 * accrual_contract_years() then accrual_compute(); same returns.
 */
int accrual_from_periods(const struct periods_set *set,
    const struct accrual_params *p, struct accrual_result **out, char *err,
    size_t errlen);

/**
 * accrual_free(r):
 * Release ${r}.  accrual_free(NULL) does nothing.
 */
void accrual_free(struct accrual_result *r);

/**
 * accrual_to_json(r):
 * Return ${r} as {"years":[…],"conversion":{…}|null,"balance":{…}}
 * (docs/ACTIVITY.md), or NULL on allocation failure.
 */
json_t *accrual_to_json(const struct accrual_result *r);

/**
 * accrual_cec_parse(s, out):
 * Parse "ACTIVITY:YEAR" where ACTIVITY is one of the citizen-engagement
 * activities of docs/ACTIVITY.md.  Return 0 or -1.
 */
int accrual_cec_parse(const char *s, struct accrual_cec *out);

/**
 * accrual_cec_parse_list(s, cec, ncec):
 * Parse "ACTIVITY:YEAR[,ACTIVITY:YEAR...]" (one --cec option), appending
 * to ${cec}, which holds *${ncec} of at most ACCRUAL_CEC_MAX.  Return 0,
 * or -1 (nothing appended) on a bad item or too many.
 */
int accrual_cec_parse_list(const char *s, struct accrual_cec *cec,
    size_t *ncec);

#endif /* !ACCRUAL_H_ */
