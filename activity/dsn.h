#ifndef DSN_H_
#define DSN_H_

#include <stddef.h>
#include <stdint.h>

#include "activity/periods.h"

/*
 * A strict reader of DSN files (déclaration sociale nominative), keeping the
 * rubrics that describe employment (see docs/ACTIVITY.md and the domain
 * notes on DSN).  Input is bytes in memory, UTF-8 or Latin-1 (converted to
 * UTF-8).  Unknown blocks and fields are checked for syntax and skipped.
 */

#define DSN_ENOTDSN (-2)    /* the bytes are not a DSN file at all */
#define DSN_EMALFORMED (-3) /* a DSN file that is damaged; see the error */
#define DSN_MAX_BYTES (256u * 1024 * 1024)
#define DSN_LINE_MAX 1024
#define DSN_VERSION_MAX 15

/* Where and why parsing failed. */
struct dsn_error {
    size_t line; /* 1-based; 0 when not tied to a line */
    char msg[160];
};

/* A sick leave (block 60) or another suspension (block 65). */
struct dsn_absence {
    int sick;              /* 1: block 60, 0: block 65 */
    char reason[4];        /* 60.001 (2 digits) or 65.001 (3 digits) */
    int32_t last_worked;   /* 60.002; 0 if absent */
    int32_t planned_end;   /* 60.003; 0 if absent */
    int32_t return_date;   /* 60.010; 0 if absent */
    int32_t start, end;    /* 65.002 / 65.003; 0 if absent */
    size_t line;
};

/* A contract (block 40) with its end (block 62) and suspensions. */
struct dsn_contract {
    int32_t start;          /* 40.001, required */
    char nature[3];         /* 40.007 */
    char number[PERIODS_CONTRACT_MAX + 1]; /* 40.009 */
    int32_t planned_end;    /* 40.010; 0 if absent */
    int unit;               /* 40.011; 0 if absent */
    int64_t ref_quota;      /* 40.012 in hundredths; -1 if absent */
    int64_t contract_quota; /* 40.013 in hundredths; -1 if absent */
    char modality[3];       /* 40.014 */
    int32_t end;            /* 62.001; 0 if none */
    char end_reason[4];     /* 62.002; "099" cancels the end */
    struct dsn_absence *absences;
    size_t nabsences, capabsences;
    size_t line;
};

/* A remuneration block (51) and the activity blocks (53) beneath it. */
struct dsn_pay {
    int32_t start, end;     /* 51.001 / 51.002 */
    char contract[PERIODS_CONTRACT_MAX + 1]; /* 51.010 */
    char type[4];           /* 51.011 */
    int64_t hours;          /* 51.012; valid if has_hours */
    int has_hours;
    int64_t work_hours;     /* sum of 53.002 where 53.001 = 01, unit 10 */
    int64_t work_days;      /* same, unit 12 */
    int has_activity;
    size_t line;
};

struct dsn_individual {
    char nir[PERIODS_NIR_LEN + 1];
    char last_name[PERIODS_NAME_MAX + 1];
    char first_names[PERIODS_NAME_MAX + 1];
    char siret[PERIODS_SIRET_LEN + 1];
    struct dsn_contract *contracts;
    size_t ncontracts, capcontracts;
    struct dsn_pay *pays;
    size_t npays, cappays;
    size_t line;
};

struct dsn_declaration {
    char nature[3];    /* 05.001 */
    char type[3];      /* 05.002: 01 normal, 03 cancel and replace, 04 cancel */
    int year, month;   /* 05.005 */
    char siren[10];    /* 06.001 */
    char nic[6];       /* 11.001 */
    char siret[PERIODS_SIRET_LEN + 1];
    struct dsn_individual *individuals;
    size_t nindividuals, capindividuals;
    size_t line;
};

struct dsn_file {
    char version[DSN_VERSION_MAX + 1]; /* S10.G00.00.006 */
    int latin1;                        /* input was converted from Latin-1 */
    struct dsn_declaration *decls;
    size_t ndecls, capdecls;
};

/**
 * dsn_parse(buf, len, out, err):
 * Parse the DSN file ${buf} of ${len} bytes.  On success store a new file in
 * ${out} (free it with dsn_free()) and return 0.  Return DSN_ENOTDSN if the
 * bytes do not begin like a DSN, DSN_EMALFORMED if they do but a line is
 * wrong (${err} says which and why), -1 on allocation failure.
 */
int dsn_parse(const uint8_t *buf, size_t len, struct dsn_file **out,
    struct dsn_error *err);

/**
 * dsn_free(f):
 * Release ${f}.  dsn_free(NULL) does nothing.
 */
void dsn_free(struct dsn_file *f);

/**
 * dsn_looks_like(buf, len):
 * Return 1 if ${buf} begins like a DSN file (first line a rubric), else 0.
 */
int dsn_looks_like(const uint8_t *buf, size_t len);

#endif /* !DSN_H_ */
