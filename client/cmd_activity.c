#define _GNU_SOURCE /* getopt_long permutes: files may follow --from */
#include "client/cmd_activity.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "activity/accrual.h"
#include "activity/periods.h"
#include "client/client.h"
#include "client/safedocs.h"
#include "client/session.h"

#define ACTIVITY_FILE_MAX (256u * 1024 * 1024)
#define ACTIVITY_FILES_MAX 100000

const char cmd_periods_summary[] =
    "employment periods from DSN files and payroll facts";
const char cmd_periods_help[] =
    "Usage: coffre periods [--from FILE...] [--json] [--hook PATH]\n"
    "                      [--nir NIR] [--passphrase-file F]\n"
    "\n"
    "Read DSN files and payroll-facts documents (told apart by content)\n"
    "and list the employment periods they describe: one line per contract\n"
    "and month, merged across files so that no month counts twice.  A\n"
    "payslip's facts that disagree with the DSN of the same month are\n"
    "reported as conflicts (the payroll facts are kept).  Any other file\n"
    "goes through the hook program when --hook is given; a hook that fails\n"
    "is a warning and the other files are still read.  Declarations that\n"
    "cancel or replace an earlier one (types 03, 04) must come after it.\n"
    "\n"
    "Without --from, read your safe instead, oldest deposit first: every\n"
    "payroll-facts and other document (DSN files told apart by content),\n"
    "and the payslips through the hook (--hook, or \"hook\" in\n"
    "config.json).  Each document's signature is checked, and payroll\n"
    "facts from an employer must be signed for this vault, their period\n"
    "and their bytes; one that is not is a warning and is not used.\n"
    "\n"
    "Options:\n"
    "  --from FILE...   the files to read (every later operand is a file)\n"
    "  --hook PATH      program that prints periods as JSON for other files\n"
    "                   (hooks/pdf-payslip reads payslip PDFs)\n"
    "  --nir NIR        only the person with this social security number\n"
    "                   (records that state none are kept)\n"
    "  --json           print {\"periods\":[...],\"conflicts\":[...],\n"
    "                   \"warnings\":[...]} (docs/ACTIVITY.md)\n"
    "  --passphrase-file F  the key file's passphrase (reading the safe)\n"
    "\n"
    "Examples:\n"
    "  coffre periods --from dsn/2016-*.dsn facts/*.json\n"
    "  coffre periods --json --hook hooks/pdf-payslip --from payslips/*.pdf\n"
    "  coffre periods --json\n";
const char cmd_accrual_summary[] =
    "training-account (CPF) rights, year by year, with explanations";
const char cmd_accrual_help[] =
    "Usage: coffre accrual [--from FILE...] [--until YEAR]\n"
    "                      [--low-qualified-since YEAR] [--dif-hours N]\n"
    "                      [--cec ACTIVITY:YEAR...] [--hook PATH] [--nir NIR]\n"
    "                      [--json] [--passphrase-file F]\n"
    "\n"
    "Compute what the training account (CPF) should hold from the periods\n"
    "of the files, or of your safe without --from (as `coffre periods`\n"
    "reads them): hours for 2015-2018, converted on 1 January 2019 at\n"
    "15 EUR an hour, euros from 2019, with a sentence per year that shows\n"
    "the computation.  Years run from the\n"
    "first with data (2015 at the earliest) to --until; a year without\n"
    "work is listed with ratio 0.  Rules and policy: docs/ACTIVITY.md.\n"
    "\n"
    "Options:\n"
    "  --from FILE...              DSN files and payroll facts (default:\n"
    "                              the documents of your safe)\n"
    "  --until YEAR                last year (default: the last complete\n"
    "                              calendar year)\n"
    "  --low-qualified-since YEAR  declared low-qualified (no CAP/BEP) from\n"
    "                              YEAR: 48 h / 800 EUR a year, from 2017\n"
    "  --dif-hours N               hours of the former DIF (0-120), converted\n"
    "                              with the CPF hours in 2019\n"
    "  --cec ACTIVITY:YEAR         a citizen-engagement activity (repeat, or\n"
    "                              separate with commas): civic-service,\n"
    "                              military-reserve, citizen-reserve,\n"
    "                              municipal-reserve, health-reserve,\n"
    "                              apprentice-master, volunteering\n"
    "  --hook PATH                 program that prints periods for other\n"
    "                              files\n"
    "  --nir NIR                   the person, when the files describe\n"
    "                              several (required then)\n"
    "  --json                      print {\"years\":[...],\"conversion\":{...},\n"
    "                              \"balance\":{...}}\n"
    "  --passphrase-file F         the key file's passphrase (reading the\n"
    "                              safe)\n"
    "\n"
    "Examples:\n"
    "  coffre accrual --from dsn/*.dsn\n"
    "  coffre accrual --until 2024\n"
    "  coffre accrual --from dsn/*.dsn --until 2024 --dif-hours 120 \\\n"
    "      --cec civic-service:2018 --json\n";

enum { OPT_FROM = 256, OPT_JSON, OPT_HOOK, OPT_UNTIL, OPT_LQ, OPT_DIF,
    OPT_CEC, OPT_HELP, OPT_NIR, OPT_PASSFILE };

/* Options shared by both commands. */
struct activity_opts {
    const char **files;
    size_t nfiles;
    const char *hook;
    const char *nir;
    const char *passfile;
    int json;
    int until, lq, dif;
    struct accrual_cec cec[ACCRUAL_CEC_MAX];
    size_t ncec;
};

/* Add a file name; return 0 or -1. */
static int
add_file(struct activity_opts *o, const char *f)
{
    const char **nf;

    if (o->nfiles >= ACTIVITY_FILES_MAX) {
        return (-1);
    }
    if ((nf = realloc(o->files, (o->nfiles + 1) * sizeof(*nf))) == NULL) {
        return (-1);
    }
    o->files = nf;
    o->files[o->nfiles++] = f;
    return (0);
}

/* Parse a year option; return 0 or -1. */
static int
year_arg(const char *s, int *out)
{
    unsigned long long v;

    if (parse_uint(s, ACCRUAL_LAST_YEAR, &v) || v < 1900) {
        return (-1);
    }
    *out = (int)v;
    return (0);
}

/* Parse the options of ${cmd}; return -1 to go on, or an exit code. */
static int
parse_opts(const char *cmd, int accrual, int argc, char **argv,
    struct activity_opts *o)
{
    static const struct option opts[] = {
        { "from", required_argument, NULL, OPT_FROM },
        { "json", no_argument, NULL, OPT_JSON },
        { "hook", required_argument, NULL, OPT_HOOK },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "low-qualified-since", required_argument, NULL, OPT_LQ },
        { "dif-hours", required_argument, NULL, OPT_DIF },
        { "cec", required_argument, NULL, OPT_CEC },
        { "help", no_argument, NULL, OPT_HELP },
        { "nir", required_argument, NULL, OPT_NIR },
        { "passphrase-file", required_argument, NULL, OPT_PASSFILE },
        { NULL, 0, NULL, 0 },
    };
    unsigned long long v;
    int c;

    optind = 1;
    opterr = 0; /* our own messages below */
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (!accrual && (c == OPT_UNTIL || c == OPT_LQ || c == OPT_DIF ||
            c == OPT_CEC)) {
            return (usage_error(cmd, "%s takes no such option", cmd));
        }
        switch (c) {
        case OPT_FROM:
            if (add_file(o, optarg)) {
                return (usage_error(cmd, "too many files"));
            }
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_HOOK:
            o->hook = optarg;
            break;
        case OPT_PASSFILE:
            o->passfile = optarg;
            break;
        case OPT_NIR:
            if (strlen(optarg) != PERIODS_NIR_LEN) {
                return (usage_error(cmd, "--nir takes 13 characters"));
            }
            o->nir = optarg;
            break;
        case OPT_UNTIL:
            if (year_arg(optarg, &o->until)) {
                return (usage_error(cmd, "bad --until year: %s", optarg));
            }
            break;
        case OPT_LQ:
            if (year_arg(optarg, &o->lq)) {
                return (usage_error(cmd, "bad --low-qualified-since year: "
                    "%s", optarg));
            }
            break;
        case OPT_DIF:
            if (parse_uint(optarg, ACCRUAL_DIF_MAX, &v)) {
                return (usage_error(cmd, "--dif-hours takes 0 to %d",
                    ACCRUAL_DIF_MAX));
            }
            o->dif = (int)v;
            break;
        case OPT_CEC:
            if (accrual_cec_parse_list(optarg, o->cec, &o->ncec)) {
                return (usage_error(cmd, "bad --cec %s (ACTIVITY:YEAR)",
                    optarg));
            }
            break;
        case 'h':
        case OPT_HELP:
            fputs(accrual ? cmd_accrual_help : cmd_periods_help, stdout);
            return (EXIT_OK);
        case ':':
            return (usage_error(cmd, "%s needs a value",
                argv[optind - 1]));
        default:
            return (usage_error(cmd, "unknown option %s",
                argv[optind - 1]));
        }
    }
    for (; optind < argc; optind++) {
        if (o->nfiles == 0) {
            return (usage_error(cmd, "files come after --from"));
        }
        if (add_file(o, argv[optind])) {
            return (usage_error(cmd, "too many files"));
        }
    }
    return (-1);
}

/* Read the person's own safe into ${set}; return 0 or an exit code. */
static int
read_safe(const struct activity_opts *o, struct periods_set *set)
{
    struct session *s = NULL;
    struct safedocs sd;
    int rc;

    if ((rc = session_open(o->passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if (s->kind != NULL && strcmp(s->kind, "person") != 0) {
        warnx_("only a person's safe holds activity documents");
        session_free(s);
        return (EXIT_USAGE);
    }
    rc = safedocs_read(s, o->hook != NULL ? o->hook : s->hook, set, &sd);
    if (rc == EXIT_OK) {
        infox("%zu documents read, %zu left out", sd.nread, sd.nskipped);
    }
    safedocs_clear(&sd);
    session_free(s);
    return (rc);
}

/* Read every file (or, without --from, the safe) into ${set}; return 0 or
 * an exit code. */
static int
read_files(const struct activity_opts *o, struct periods_set *set)
{
    uint8_t *buf;
    size_t i, len;
    char err[512];
    int rc;

    if (o->nfiles == 0 && (rc = read_safe(o, set)) != 0) {
        return (rc);
    }
    for (i = 0; i < o->nfiles; i++) {
        if (file_read_all(o->files[i], ACTIVITY_FILE_MAX, &buf, &len)) {
            return (EXIT_ERR);
        }
        rc = periods_add_document(set, buf, len, o->files[i], o->hook, err,
            sizeof(err));
        free(buf);
        if (rc == PERIODS_EHOOK) {
            warnx_("warning: %s", err);
        } else if (rc == -1) {
            warnx_("out of memory");
            return (EXIT_ERR);
        } else if (rc != 0) {
            warnx_("%s", err);
            return (EXIT_ERR);
        }
    }
    if ((o->nir != NULL ? periods_keep_person(set, o->nir) :
        periods_finish(set)) != 0) {
        warnx_("out of memory");
        return (EXIT_ERR);
    }
    return (0);
}

/* Print what deserves attention on stderr. */
static void
print_notes(const struct periods_set *set)
{
    char start[11];
    size_t i;

    for (i = 0; i < set->nconflicts; i++) {
        const struct periods_conflict *c = &set->conflicts[i];

        periods_format_day(c->contract_start, start);
        warnx_("conflict: %04d-%02d SIRET %s contract %s: %s", c->year,
            c->month, c->siret, start[0] ? start : "?", c->what);
    }
    for (i = 0; i < set->nwarnings; i++) {
        warnx_("warning: %s", set->warnings[i]);
    }
}

/* Print ${j} (which it releases) on stdout; return an exit code. */
static int
print_json(json_t *j)
{
    int rc;

    if (j == NULL) {
        warnx_("out of memory");
        return (EXIT_ERR);
    }
    rc = json_print(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (rc != 0 || putchar('\n') == EOF || fflush(stdout) == EOF) {
        warnx_("cannot write the output");
        return (EXIT_ERR);
    }
    return (EXIT_OK);
}

/* Hundredths as text. */
static void
hundredths(int64_t v, char *buf, size_t len)
{
    int64_t a = v < 0 ? -v : v;

    snprintf(buf, len, "%s%lld.%02lld", v < 0 ? "-" : "",
        (long long)(a / 100), (long long)(a % 100));
}

/* The table of `coffre periods`. */
static void
print_periods(const struct periods_set *set)
{
    char start[11], paid[24], abs[24], counted[24], ref[24];
    size_t i;
    int s;

    printf("%-7s  %-14s  %-10s  %-4s  %9s  %9s  %9s  %9s  %s\n", "MONTH",
        "SIRET", "START", "UNIT", "REFERENCE", "PAID", "ABSENCE", "COUNTED",
        "SOURCES");
    for (i = 0; i < set->nmonths; i++) {
        const struct periods_month *m = &set->months[i];
        const char *sep = "";

        periods_format_day(m->contract_start, start);
        hundredths(m->v.ref_quota, ref, sizeof(ref));
        hundredths(m->v.paid, paid, sizeof(paid));
        hundredths(m->absence, abs, sizeof(abs));
        hundredths(m->counted, counted, sizeof(counted));
        printf("%04d-%02d  %-14s  %-10s  %-4d  %9s  %9s  %9s  %9s  ",
            m->year, m->month, term_text(m->siret), start[0] ? start : "?", m->v.unit,
            ref, paid, abs, counted);
        for (s = 0; s < PERIODS_NSRC; s++) {
            if (m->sources & (1u << s)) {
                printf("%s%s", sep, s == PERIODS_SRC_FACTS ? "facts" :
                    s == PERIODS_SRC_DSN ? "dsn" : "hook");
                sep = ",";
            }
        }
        putchar('\n');
    }
}

int
cmd_periods(int argc, char **argv)
{
    struct activity_opts o;
    struct periods_set *set;
    int rc;

    memset(&o, 0, sizeof(o));
    if ((rc = parse_opts("periods", 0, argc, argv, &o)) >= 0) {
        goto done0;
    }
    if ((set = periods_new()) == NULL) {
        warnx_("out of memory");
        rc = EXIT_ERR;
        goto done0;
    }
    if ((rc = read_files(&o, set)) != 0) {
        goto done1;
    }
    if (o.json) {
        rc = print_json(periods_to_json(set));
    } else {
        print_periods(set);
        print_notes(set);
        rc = EXIT_OK;
    }
done1:
    periods_free(set);
done0:
    free(o.files);
    return (rc);
}

/* The text of `coffre accrual`. */
static void
print_accrual(const struct accrual_result *r)
{
    char amount[32];
    size_t i;

    for (i = 0; i < r->nyears; i++) {
        if (r->converted && r->years[i].year == ACCRUAL_EURO_YEAR) {
            printf("%s\n", r->conv_explanation);
        }
        printf("%s\n", r->years[i].explanation);
    }
    if (r->era == ACCRUAL_ERA_EUROS) {
        hundredths(r->balance, amount, sizeof(amount));
        printf("balance: %s EUR\n", amount);
    } else {
        printf("balance: %lld h", (long long)r->balance);
        if (r->dif_hours > 0) {
            printf(" (and %lld h of DIF)", (long long)r->dif_hours);
        }
        putchar('\n');
    }
    if (r->has_cec) {
        if (r->era == ACCRUAL_ERA_EUROS) {
            hundredths(r->cec_balance, amount, sizeof(amount));
            printf("citizen engagement account: %s EUR\n", amount);
        } else {
            printf("citizen engagement account: %lld h\n",
                (long long)r->cec_balance);
        }
    }
}

int
cmd_accrual(int argc, char **argv)
{
    struct accrual_params p;
    struct accrual_result *r;
    struct activity_opts o;
    struct periods_set *set;
    char err[256];
    int rc;

    memset(&o, 0, sizeof(o));
    if ((rc = parse_opts("accrual", 1, argc, argv, &o)) >= 0) {
        goto done0;
    }
    if ((set = periods_new()) == NULL) {
        warnx_("out of memory");
        rc = EXIT_ERR;
        goto done0;
    }
    if ((rc = read_files(&o, set)) != 0) {
        goto done1;
    }
    print_notes(set);
    if (periods_count_persons(set) > 1) {
        warnx_("the files describe %zu persons; choose one with --nir NIR",
            periods_count_persons(set));
        rc = EXIT_ERR;
        goto done1;
    }
    memset(&p, 0, sizeof(p));
    p.until = o.until ? o.until : last_complete_year();
    p.low_qualified_since = o.lq;
    p.dif_hours = o.dif;
    p.cec = o.cec;
    p.ncec = o.ncec;
    rc = accrual_from_periods(set, &p, &r, err, sizeof(err));
    if (rc != 0) {
        warnx_("accrual: %s", rc == -1 ? "out of memory" : err);
        rc = EXIT_ERR;
        goto done1;
    }
    if (o.json) {
        rc = print_json(accrual_to_json(r));
    } else {
        print_accrual(r);
        rc = EXIT_OK;
    }
    accrual_free(r);
done1:
    periods_free(set);
done0:
    free(o.files);
    return (rc);
}
