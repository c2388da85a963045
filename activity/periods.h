#ifndef PERIODS_H_
#define PERIODS_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Employment periods: one record per contract and calendar month, merged
 * across sources (DSN declarations, payroll facts, hook output) so that no
 * month is counted twice.  Quantities are integers in hundredths (of hours,
 * or of days for day-based contracts); dates are civil day numbers (days
 * since 1970-01-01).  Rules and policy: docs/ACTIVITY.md.
 */

struct dsn_file;
struct facts;

#define PERIODS_SIRET_LEN 14
#define PERIODS_NIR_LEN 13
#define PERIODS_CONTRACT_MAX 20
#define PERIODS_NAME_MAX 320      /* bytes of UTF-8, 80 characters */
#define PERIODS_DAY_OPEN INT32_MAX /* an end date that is not known */
#define PERIODS_DAY_MIN (-25567)   /* 1900-01-01 */
#define PERIODS_DAY_MAX 84005      /* 2199-12-31 */
#define PERIODS_QUANTITY_MAX 100000000 /* hundredths: 1,000,000.00 */
#define PERIODS_LEGAL_QUOTA 15167 /* 151.67 h a month: legal full time */

/* Where a record's values come from; also the merge priority (low wins). */
enum periods_source {
    PERIODS_SRC_FACTS = 0, /* employer-signed payroll facts */
    PERIODS_SRC_DSN = 1,   /* DSN declarations */
    PERIODS_SRC_HOOK = 2,  /* an external hook command */
    PERIODS_NSRC = 3
};

/* Working-time units, the codes of DSN rubric S21.G00.40.011. */
enum periods_unit {
    PERIODS_UNIT_HOUR = 10,
    PERIODS_UNIT_DAY = 12,
    PERIODS_UNIT_FORFAIT_DAYS = 20,
    PERIODS_UNIT_FORFAIT_HOURS = 21,
    PERIODS_UNIT_NONE = 99
};

/* What one source says about a contract-month. */
struct periods_values {
    int present;
    int unit;
    int64_t ref_quota;      /* monthly (annual for forfait units) */
    int64_t contract_quota; /* 0 when not stated */
    int64_t paid;           /* paid work in the month */
    int32_t contract_end;   /* PERIODS_DAY_OPEN when none */
    char nature[3];
    char contract[PERIODS_CONTRACT_MAX + 1];
    char nir[PERIODS_NIR_LEN + 1]; /* the person; "" when not stated */
    /* DSN only: which declaration gave the values. */
    int32_t decl_ym;    /* year * 12 + month - 1 of the declared month */
    unsigned long seq;  /* declaration instance, unique in a set */
};

/* One contract and month.  The fields after "merged" are filled in by
 * periods_finish(). */
struct periods_month {
    char siret[PERIODS_SIRET_LEN + 1];
    int32_t contract_start; /* 0 when no source stated it */
    int year, month;        /* month 1..12 */
    char employer[PERIODS_NAME_MAX + 1];
    char nir[PERIODS_NIR_LEN + 1]; /* the first NIR a source stated */
    struct periods_values src[PERIODS_NSRC];
    /* merged */
    unsigned sources;       /* bit (1 << enum periods_source) per source */
    struct periods_values v; /* values of the highest-priority source */
    int absence_days;       /* calendar days of assimilated absence */
    int64_t absence;        /* hundredths of hours (days) they are worth */
    int64_t counted;        /* paid work and absence, as the rules count */
};

/* A suspension of a contract: sick leave (DSN block 60) or another
 * suspension (block 65); both ends inclusive. */
struct periods_absence {
    char siret[PERIODS_SIRET_LEN + 1];
    char nir[PERIODS_NIR_LEN + 1]; /* "" when not stated */
    int32_t contract_start;
    int sick;          /* 1: sick leave reason code, 0: suspension code */
    char reason[4];
    int32_t start, end; /* end PERIODS_DAY_OPEN when not known */
    int counts;         /* assimilated to work for the training account */
    enum periods_source source;
    int32_t decl_ym;    /* DSN only, as in struct periods_values */
    unsigned long seq;
};

struct periods_conflict {
    char siret[PERIODS_SIRET_LEN + 1];
    int32_t contract_start;
    int year, month;
    char what[200];
};

/* A collection of periods; callers read the arrays, and change them only
 * through the functions below. */
struct periods_set {
    struct periods_month *months;
    size_t nmonths, capmonths;
    struct periods_absence *absences;
    size_t nabsences, capabsences;
    struct periods_conflict *conflicts;
    size_t nconflicts, capconflicts;
    char **warnings;
    size_t nwarnings, capwarnings;
    unsigned long seq;
    int finished;
    /* Private: the name of the document being read, for warnings. */
    const char *doc;
    /* Private: a hash index of the months (slot = month index + 1). */
    size_t *slots;
    size_t nslots;
};

/**
 * periods_new():
 * Return an empty set, or NULL on allocation failure.  Free it with
 * periods_free().
 */
struct periods_set *periods_new(void);

/**
 * periods_free(set):
 * Release ${set} and everything in it.  periods_free(NULL) does nothing.
 */
void periods_free(struct periods_set *set);

/**
 * periods_add_dsn(set, dsn, name):
 * Add the contract-months, paid hours and absences of every declaration of
 * ${dsn}.  A declaration of type 03/04/05 first removes what earlier
 * declarations of the same month and SIRET brought into ${set}; a declaration
 * seen twice replaces its earlier copy.  ${name} (may be NULL) is used in
 * warnings.  Return 0, or -1 on allocation failure.
 */
int periods_add_dsn(struct periods_set *set, const struct dsn_file *dsn,
    const char *name);

/**
 * periods_add_facts(set, facts):
 * Add the month of one payroll-facts document.  The same contract-month
 * given twice by payroll facts keeps the later one.  Return 0, or -1 on
 * allocation failure.
 */
int periods_add_facts(struct periods_set *set, const struct facts *facts);

/**
 * periods_add_json(set, buf, len, err, errlen):
 * Add periods given as JSON (the output of an external hook; the schema is
 * in docs/ACTIVITY.md) with source PERIODS_SRC_HOOK.  Return 0; -1 on
 * allocation failure; -2 if the JSON is invalid, with a message in ${err}.
 */
int periods_add_json(struct periods_set *set, const char *buf, size_t len,
    char *err, size_t errlen);

#define PERIODS_EDOC (-2)     /* a damaged DSN or payroll-facts document */
#define PERIODS_EHOOK (-3)    /* the hook failed or printed bad periods */
#define PERIODS_EUNKNOWN (-4) /* not a DSN or payroll facts, and no hook */

/**
 * periods_add_document(set, buf, len, name, hook, err, errlen):
 * Tell by content what the document ${buf} of ${len} bytes is and add its
 * periods: payroll facts, a DSN file, periods JSON, or else, when ${hook} is
 * not NULL, what the hook program ${hook} prints for it (run with
 * hook_run(), class "file" and name ${name}).  Return 0; -1 on allocation
 * failure; PERIODS_EDOC, PERIODS_EHOOK or PERIODS_EUNKNOWN with a message in
 * ${err} (a DSN error names its line).
 */
int periods_add_document(struct periods_set *set, const uint8_t *buf,
    size_t len, const char *name, const char *hook, char *err,
    size_t errlen);

/**
 * periods_add_hook(set, buf, len, doc_class, name, hook, err, errlen):
 * Run the hook program ${hook} over the document ${buf} (class
 * ${doc_class}, name ${name}, see hook_run()) and add the periods it
 * prints.  Return 0; -1 on allocation failure; PERIODS_EHOOK with a
 * message in ${err} if the hook failed or printed bad periods.
 */
int periods_add_hook(struct periods_set *set, const uint8_t *buf,
    size_t len, const char *doc_class, const char *name, const char *hook,
    char *err, size_t errlen);

/**
 * periods_add_month(set, src, siret, contract_start, year, month, vals):
 * Merge what source ${src} says about one contract-month into ${set} (the
 * primitive under the periods_add_* readers).  Records of different
 * persons (both NIRs stated and different) are kept apart.  Return 0 or -1.
 */
int periods_add_month(struct periods_set *set, enum periods_source src,
    const char *siret, int32_t contract_start, int year, int month,
    const struct periods_values *vals);

/**
 * periods_add_absence(set, abs):
 * Record an absence (copied).  Return 0 or -1.
 */
int periods_add_absence(struct periods_set *set,
    const struct periods_absence *abs);

/**
 * periods_warn(set, fmt, ...):
 * Append a warning to ${set}.  Return 0 or -1.
 */
int periods_warn(struct periods_set *set, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * periods_finish(set):
 * Merge the sources of every record (recording conflicts), compute the
 * assimilated absences and counted time of each month, drop empty records
 * and sort by month, SIRET and contract.  Call it once all sources are in;
 * adding more afterwards is allowed and needs another call.  Return 0 or -1.
 */
int periods_finish(struct periods_set *set);

/**
 * periods_count_persons(set):
 * Return how many distinct NIRs the records of ${set} state.
 */
size_t periods_count_persons(const struct periods_set *set);

/**
 * periods_keep_person(set, nir):
 * Drop the records and absences of ${set} that state a NIR other than
 * ${nir} (those that state none are kept), then finish the set again.
 * Return 0 or -1.
 */
int periods_keep_person(struct periods_set *set, const char *nir);

/**
 * periods_to_json(set):
 * Return the finished ${set} as {"periods":[…],"conflicts":[…],
 * "warnings":[…]} (docs/ACTIVITY.md), or NULL on allocation failure.
 */
json_t *periods_to_json(const struct periods_set *set);

/**
 * periods_absence_counts(sick, reason):
 * Return 1 if a sick leave (${sick} = 1, DSN 60.001 codes) or a suspension
 * (${sick} = 0, DSN 65.001 codes) of reason ${reason} is assimilated to
 * time worked for the training account, else 0.
 */
int periods_absence_counts(int sick, const char *reason);

/* Dates and numbers shared by the readers of this module. */

/**
 * periods_day(y, m, d):
 * Return the civil day number of a valid date, or INT32_MIN if the date does
 * not exist or lies outside 1900..2199.
 */
int32_t periods_day(int y, int m, int d);

/**
 * periods_ymd(day, y, m, d):
 * Split the civil day number ${day} into year, month and day.
 */
void periods_ymd(int32_t day, int *y, int *m, int *d);

/**
 * periods_days_in_month(y, m):
 * Return the number of days of month ${m} of year ${y}.
 */
int periods_days_in_month(int y, int m);

/**
 * periods_parse_iso_date(s, day):
 * Parse a strict YYYY-MM-DD into a civil day number.  Return 0 or -1.
 */
int periods_parse_iso_date(const char *s, int32_t *day);

/**
 * periods_format_day(day, buf):
 * Write YYYY-MM-DD (or "" for 0 / PERIODS_DAY_OPEN) into ${buf}.
 */
void periods_format_day(int32_t day, char buf[11]);

/**
 * periods_parse_decimal(s, len, neg_ok, out):
 * Parse a strict decimal with exactly two fraction digits ("151.67") into
 * hundredths, bounded by PERIODS_QUANTITY_MAX.  Return 0 or -1.
 */
int periods_parse_decimal(const char *s, size_t len, int neg_ok,
    int64_t *out);

/**
 * periods_hundredths_from_json(j, out):
 * Convert a JSON number with at most two decimals into hundredths.
 * Return 0, or -1 if ${j} is not such a number or out of range.
 */
int periods_hundredths_from_json(const json_t *j, int64_t *out);

#endif /* !PERIODS_H_ */
