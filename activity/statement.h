#ifndef STATEMENT_H_
#define STATEMENT_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "activity/accrual.h"

/*
 * Activity statements (docs/ACTIVITY.md §7): what a person hands an account
 * service as evidence of the training-account rights it should hold.  A
 * statement carries the periods, the employer-signed payroll facts behind
 * them (their exact bytes and minisign signatures), the declarations the
 * person adds (low qualification, DIF hours, citizen engagements) and the
 * accrual as `coffre accrual --json` prints it.  This module builds, parses
 * and re-computes statements; checking signatures is the client's part
 * (it needs crypto/): the recomputation uses only the facts the caller
 * marked as verified.
 */

#define STATEMENT_SCHEMA_V1 "coffre.activity-statement/1"
#define STATEMENT_SCHEMA_PREFIX "coffre.activity-statement/"
#define STATEMENT_MAX_BYTES (64u * 1024 * 1024)
#define STATEMENT_FACTS_MAX 20000      /* 50 years, 12 months, 30 jobs */
#define STATEMENT_SIG_MAX 4096          /* bytes of a .minisig text */
#define STATEMENT_KEY_LEN 56            /* a minisign public key, base64 */
#define STATEMENT_DOC_MAX 64            /* a document id */
#define STATEMENT_VAULT_LEN 16
#define STATEMENT_SERVICE_MAX 32
#define STATEMENT_DIFFS_MAX 100         /* differences kept, then counted */

#define STATEMENT_ENOTSTATEMENT (-2) /* not an activity statement */
#define STATEMENT_EINVALID (-3)      /* a statement, but not a valid one */

/* One employer-signed payroll-facts document behind the periods. */
struct statement_fact {
    char document[STATEMENT_DOC_MAX + 1]; /* id in the person's vault */
    char siret[15];
    char period[8];                       /* YYYY-MM */
    char employer_key[STATEMENT_KEY_LEN + 1];
    char *text;          /* the facts' exact bytes (UTF-8 JSON), malloc'd */
    size_t textlen;
    char *signature;     /* the employer's .minisig text, malloc'd */
};

struct statement {
    char vault[STATEMENT_VAULT_LEN + 1];
    char service[STATEMENT_SERVICE_MAX + 1];
    char created[21];                     /* YYYY-MM-DDTHH:MM:SSZ */
    int from, to;                         /* the years covered */
    int low_qualified_since;              /* 0: not declared */
    int dif_hours;
    struct accrual_cec cec[ACCRUAL_CEC_MAX];
    size_t ncec;
    struct statement_fact *facts;
    size_t nfacts;
    json_t *periods;                      /* as stated (an array) */
    json_t *accrual;                      /* as stated (an object) */
};

/* Differences found between a statement and its recomputation. */
struct statement_diffs {
    char **v;
    size_t n, cap;
    size_t dropped;                       /* beyond STATEMENT_DIFFS_MAX */
};

/**
 * statement_parse(buf, len, out, err, errlen):
 * Parse the statement ${buf} of ${len} bytes strictly (unknown members,
 * wrong types, malformed ids and more periods than facts are refused).
 * On success store a new
 * statement in ${out} (statement_free()) and return 0.  Return
 * STATEMENT_ENOTSTATEMENT if the bytes are not a JSON object naming the
 * statement schema, STATEMENT_EINVALID with a message in ${err} if they are
 * but something is wrong, -1 on allocation failure.
 */
int statement_parse(const uint8_t *buf, size_t len, struct statement **out,
    char *err, size_t errlen);

/**
 * statement_free(st):
 * Release ${st}.  statement_free(NULL) does nothing.
 */
void statement_free(struct statement *st);

/**
 * statement_to_json(st):
 * Return ${st} as a statement JSON object (new reference; the periods and
 * accrual are shared with ${st}), or NULL on allocation failure.
 */
json_t *statement_to_json(const struct statement *st);

/**
 * statement_add_fact(st, f):
 * Append a copy of ${f} (its text and signature are copied) to ${st}.
 * Return 0, or -1 on allocation failure or beyond STATEMENT_FACTS_MAX.
 */
int statement_add_fact(struct statement *st, const struct statement_fact *f);

/**
 * statement_params(st, p):
 * Fill the accrual parameters ${p} from ${st}: from the first year with
 * data (as `coffre accrual`: the facts are all within ${st}->from..to)
 * until ${st}->to, with the person's declarations (${p}->cec points into
 * ${st}).
 */
void statement_params(const struct statement *st, struct accrual_params *p);

/**
 * statement_recompute(st, use, periods, accrual, d):
 * Compute the periods and the accrual again from the facts ${i} of ${st}
 * for which ${use}[i] is nonzero (NULL: all), in their order.  A fact that
 * does not parse, lies outside the statement's years, or whose SIRET or
 * month differs from its entry's, is recorded in ${d} and left out.  On
 * success set ${periods} (the periods array of periods_to_json()) and
 * ${accrual} (accrual_to_json(), or NULL if nothing could be computed,
 * which is recorded in ${d}) and return 0; -1 on allocation failure.
 */
int statement_recompute(const struct statement *st,
    const unsigned char *use, json_t **periods, json_t **accrual,
    struct statement_diffs *d);

/**
 * statement_compare(stated, computed, path, d):
 * Record in ${d} every place where the JSON values ${stated} and
 * ${computed} differ, named from ${path} ("accrual.years[2016].credit:
 * stated 20, recomputed 19").  Numbers compare by value (500 equals
 * 500.0).  Arrays of periods (objects with "month" and "siret") are
 * matched by month, SIRET, contract start and NIR rather than by index,
 * and their counts compared.  Return 0, or -1 on allocation failure.
 */
int statement_compare(const json_t *stated, const json_t *computed,
    const char *path, struct statement_diffs *d);

/**
 * statement_diff(d, fmt, ...):
 * Record one difference, its control characters replaced with '?' (it
 * quotes the statement, which is untrusted text).  Return 0 or -1.
 */
int statement_diff(struct statement_diffs *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * statement_diffs_clear(d):
 * Release the differences of ${d} and empty it.
 */
void statement_diffs_clear(struct statement_diffs *d);

/**
 * statement_vault_valid(s), statement_service_valid(s):
 * Nonzero if ${s} has the shape of a vault address ("XXXX-XXXX-XXXX-C",
 * Crockford symbols) or of a service name ([a-z][a-z0-9-]{1,31}).
 */
int statement_vault_valid(const char *s);
int statement_service_valid(const char *s);

#endif /* !STATEMENT_H_ */
