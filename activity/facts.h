#ifndef FACTS_H_
#define FACTS_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "activity/periods.h"

/*
 * Payroll facts: the small JSON document an employer deposits beside each
 * payslip, carrying the DSN data of one month for one contract.  The schema
 * (versioned by its "schema" member) is docs/payroll-facts.md.  The reader
 * is strict: unknown members, wrong types, impossible dates and numbers with
 * more than two decimals are refused.
 */

#define FACTS_SCHEMA_V1 "coffre.payroll-facts/1"
#define FACTS_SCHEMA_PREFIX "coffre.payroll-facts/"
#define FACTS_ENOTFACTS (-2) /* not a payroll-facts document */
#define FACTS_EINVALID (-3)  /* payroll facts, but not valid ones */
#define FACTS_MAX_BYTES (1024u * 1024)
#define FACTS_MAX_ABSENCES 62

struct facts_absence {
    int sick;          /* 1: sick-leave code (DSN 60.001), 0: suspension */
    char reason[4];
    int32_t start, end; /* end PERIODS_DAY_OPEN when not given */
};

struct facts {
    int version;
    char siret[PERIODS_SIRET_LEN + 1];
    char employer[PERIODS_NAME_MAX + 1];
    char nir[PERIODS_NIR_LEN + 1];              /* "" when not given */
    char contract[PERIODS_CONTRACT_MAX + 1];    /* "" when not given */
    int32_t contract_start;
    int32_t contract_end;                       /* PERIODS_DAY_OPEN if none */
    char nature[3];
    int unit;
    int64_t ref_quota;      /* hundredths */
    int64_t contract_quota; /* hundredths; 0 when not given */
    int32_t period_start, period_end;
    int year, month;        /* of the pay period */
    int64_t paid;           /* hundredths, in the contract's unit */
    struct facts_absence absences[FACTS_MAX_ABSENCES];
    size_t nabsences;
};

/**
 * facts_parse(buf, len, out, err, errlen):
 * Parse a payroll-facts document.  On success store a new struct in ${out}
 * (free it with facts_free()) and return 0.  Return FACTS_ENOTFACTS if the
 * bytes are not a JSON object with a payroll-facts "schema",
 * FACTS_EINVALID if they are but something is wrong, or if they do not
 * parse as JSON yet name the schema (${err} says what), -1 on allocation
 * failure.
 */
int facts_parse(const uint8_t *buf, size_t len, struct facts **out,
    char *err, size_t errlen);

/**
 * facts_free(f):
 * Release ${f}.  facts_free(NULL) does nothing.
 */
void facts_free(struct facts *f);

/**
 * facts_to_json(f):
 * Return ${f} as a payroll-facts JSON object (the canonical form an
 * employer signs), or NULL on allocation failure.
 */
json_t *facts_to_json(const struct facts *f);

/**
 * facts_looks_like(buf, len):
 * Return 1 if ${buf} begins (after white space) with '{', else 0.
 */
int facts_looks_like(const uint8_t *buf, size_t len);

#endif /* !FACTS_H_ */
