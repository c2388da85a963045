#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "activity/facts.h"
#include "client/client.h"
#include "client/commands.h"
#include "client/employer.h"
#include "client/session.h"
#include "crypto/digest.h"

/*
 * coffre push: an employer deposits a month of payslips from a manifest.
 * The manifest is read whole and checked first (each bad row gets its
 * own error and the others go on); then --jobs workers take rows in turn,
 * each with its own HTTP connection and the shared token.  Every deposit
 * that the server acknowledges is appended to the journal beside the
 * report at once, so that a run killed at any point resumes without
 * redoing it; and every deposit carries an idempotency key derived from
 * what it is (SIRET, vault, period, class, digest of the plaintext), so
 * that even a deposit the journal missed is never duplicated by the server.
 */

enum { OPT_PASSFILE = 256, OPT_MANIFEST, OPT_REPORT, OPT_JOBS,
    OPT_NO_PROGRESS };

#define PUSH_MANIFEST_MAX (256u * 1024 * 1024)
#define PUSH_MAX_JOBS 32
#define PUSH_DEFAULT_JOBS 4
#define PUSH_IN_FLIGHT 4        /* deposits in flight per job */
#define PUSH_MAX_WORKERS 32     /* connections, under the per-IP limit */

/* Nonzero if ${p} is "YYYY-MM" with a month 01..12. */
static int
period_valid(const char *p)
{
    size_t i;

    if (strlen(p) != 7 || p[4] != '-') {
        return (0);
    }
    for (i = 0; i < 7; i++) {
        if (i != 4 && (p[i] < '0' || p[i] > '9')) {
            return (0);
        }
    }
    return ((p[5] == '0' && p[6] >= '1') ||
        (p[5] == '1' && p[6] >= '0' && p[6] <= '2'));
}

/* ${name} relative to folder ${dir} unless absolute; malloc'd. */
static char *
path_in(const char *dir, const char *name)
{
    char *a, *b;

    if (name[0] == '/' || dir == NULL) {
        return (strdup(name));
    }
    if ((a = str_concat(dir, "/")) == NULL) {
        return (NULL);
    }
    b = str_concat(a, name);
    free(a);
    return (b);
}

/* Fill ${row} from CSV record ${rec}. */
static void
row_from_record(struct employer_row *row, struct employer_csv_rec *rec,
    const char *dir)
{
    char vault[EMPLOYER_VAULT_LEN + 1];
    const char *period;

    row->line = rec->line;
    if (rec->n != 3 && rec->n != 4) {
        employer_row_fail(row, "bad_row", "%zu fields; want vault, payslip, "
            "[payroll facts,] period", rec->n);
        return;
    }
    period = rec->f[rec->n - 1];
    if (employer_vault_normalise(rec->f[0], vault) != 0) {
        snprintf(row->vault, sizeof(row->vault), "%.16s", rec->f[0]);
        employer_row_fail(row, "bad_row", "'%.40s' is not a vault address "
            "(check symbol)", rec->f[0]);
        return;
    }
    memcpy(row->vault, vault, sizeof(vault));
    if (!period_valid(period)) {
        employer_row_fail(row, "bad_row", "period '%.20s' is not YYYY-MM",
            period);
        return;
    }
    memcpy(row->period, period, 8);
    if (rec->f[1][0] == '\0') {
        employer_row_fail(row, "bad_row", "no payslip file");
        return;
    }
    row->file = strdup(rec->f[1]);
    row->path = path_in(dir, rec->f[1]);
    if (rec->n == 4 && rec->f[2][0] != '\0') {
        row->facts = strdup(rec->f[2]);
        row->facts_path = path_in(dir, rec->f[2]);
        if (row->facts == NULL || row->facts_path == NULL) {
            employer_row_fail(row, "error", "out of memory");
        }
    }
    if (row->file == NULL || row->path == NULL) {
        employer_row_fail(row, "error", "out of memory");
    }
}

/* Nonzero if record ${rec} is a header line ("vault,..."). */
static int
is_header(const struct employer_csv_rec *rec)
{

    return (rec->n > 0 && strncasecmp(rec->f[0], "vault", 5) == 0);
}

/*
 * Read manifest ${path} into ${run}->rows.  Relative file names are
 * taken from the manifest's folder.  Return 0, or -1 with a message.
 */
static int
manifest_read(struct employer_run *run, const char *path)
{
    struct employer_csv_rec rec;
    struct employer_row *row, *nr;
    uint8_t *buf;
    size_t len, off = 0, cap = 0;
    unsigned line = 1;
    char err[128], *dcopy, *slash;
    int r, first = 1;

    if (file_read_all(path, PUSH_MANIFEST_MAX, &buf, &len) != 0) {
        return (-1);
    }
    if ((dcopy = strdup(path)) == NULL) {
        free(buf);
        return (-1);
    }
    if ((slash = strrchr(dcopy, '/')) != NULL) {
        *slash = '\0';
        run->dir = dcopy;
    } else {
        free(dcopy);
        run->dir = NULL;
    }
    for (;;) {
        r = employer_csv_next((const char *)buf, len, &off, &line, &rec, err,
            sizeof(err));
        if (r == 0) {
            break;
        }
        if (r == 1 && (rec.n == 1 && rec.f[0][0] == '\0')) {
            employer_csv_clear(&rec);   /* blank line */
            continue;
        }
        if (r == 1 && first && is_header(&rec)) {
            first = 0;
            employer_csv_clear(&rec);
            continue;
        }
        first = 0;
        if (run->nrows == cap) {
            cap = cap ? 2 * cap : 256;
            if ((nr = realloc(run->rows, cap * sizeof(*nr))) == NULL) {
                employer_csv_clear(&rec);
                free(buf);
                warnx_("out of memory");
                return (-1);
            }
            run->rows = nr;
        }
        row = &run->rows[run->nrows++];
        memset(row, 0, sizeof(*row));
        if (r < 0) {
            row->line = rec.line;
            employer_row_fail(row, "bad_row", "%s", err);
            continue;
        }
        row_from_record(row, &rec, run->dir);
        employer_csv_clear(&rec);
    }
    free(buf);
    return (0);
}

/* The report's columns. */
static const char *const report_cols[] = {
    "line", "vault", "payslip", "payroll_facts", "period", "status",
    "document", "receipt", "receipt_signature", "facts_document",
    "facts_receipt", "facts_receipt_signature", "error_code",
    "error_message", NULL,
};

/* Write the report of every row, atomically.  Return 0 or -1. */
static int
report_write(const struct employer_run *run, const char *path)
{
    struct outfile of;
    const struct employer_row *r;
    char line[16];
    size_t i;
    int err = 0;

    if (outfile_open_replace(&of, path, 0600) != 0) {
        return (-1);
    }
    for (i = 0; report_cols[i] != NULL; i++) {
        err |= employer_csv_field(of.fd, report_cols[i],
            report_cols[i + 1] == NULL);
    }
    for (i = 0; i < run->nrows && err == 0; i++) {
        r = &run->rows[i];
        snprintf(line, sizeof(line), "%u", r->line);
        err |= employer_csv_field(of.fd, line, 0);
        err |= employer_csv_field(of.fd, r->vault, 0);
        err |= employer_csv_field(of.fd, r->file, 0);
        err |= employer_csv_field(of.fd, r->facts, 0);
        err |= employer_csv_field(of.fd, r->period, 0);
        err |= employer_csv_field(of.fd, r->failed ? "failed" : "ok", 0);
        err |= employer_csv_field(of.fd, r->slip.id, 0);
        err |= employer_csv_field(of.fd, r->slip.rtext, 0);
        err |= employer_csv_field(of.fd, r->slip.rsig, 0);
        err |= employer_csv_field(of.fd, r->fact.id, 0);
        err |= employer_csv_field(of.fd, r->fact.rtext, 0);
        err |= employer_csv_field(of.fd, r->fact.rsig, 0);
        err |= employer_csv_field(of.fd, r->failed ? r->code : "", 0);
        err |= employer_csv_field(of.fd, r->failed ? r->msg : "", 1);
    }
    if (err != 0) {
        warnx_("cannot write %s: %s", path, strerror(errno));
        outfile_abort(&of);
        return (-1);
    }
    return (outfile_commit(&of));
}

/* The progress line, on a terminal only. */
static void
progress_show(struct employer_run *run, int final)
{
    size_t done, failed, i, n = run->nrows;
    double el;
    struct timespec now;

    pthread_mutex_lock(&run->mu);
    done = run->done;
    failed = run->nfailed;
    pthread_mutex_unlock(&run->mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    el = (double)(now.tv_sec - run->t0.tv_sec) +
        (double)(now.tv_nsec - run->t0.tv_nsec) / 1e9;
    fputs("\rpush [", stderr);
    for (i = 0; i < 30; i++) {
        fputc(n > 0 && i < done * 30 / n ? '#' : '.', stderr);
    }
    fprintf(stderr, "] %zu/%zu rows, %zu failed, %.1f/s ", done, n, failed,
        el > 0 ? (double)done / el : 0.0);
    if (final) {
        fputc('\n', stderr);
    }
}

/* Parse --jobs. */
static int
jobs_parse(const char *s, int *jobs)
{
    unsigned long long v;

    if (parse_uint(s, PUSH_MAX_JOBS, &v) != 0 || v == 0) {
        return (-1);
    }
    *jobs = (int)v;
    return (0);
}

/* The default report path: the manifest's, ".csv" replaced. */
static char *
report_default(const char *manifest)
{
    size_t n = strlen(manifest);
    char *base, *r;

    if (n > 4 && strcmp(manifest + n - 4, ".csv") == 0) {
        if ((base = strndup(manifest, n - 4)) == NULL) {
            return (NULL);
        }
        r = str_concat(base, ".report.csv");
        free(base);
        return (r);
    }
    return (str_concat(manifest, ".report.csv"));
}

/*
 * Run the workers, with a progress bar on a terminal.  ${jobs} documents
 * are encrypted at once, and each job keeps up to PUSH_IN_FLIGHT deposits
 * in flight (one worker and connection each, PUSH_MAX_WORKERS in all): a
 * deposit spends most of its time waiting on the server's durable writes,
 * not on this machine's CPU.
 */
static int
run_workers(struct employer_run *run, int jobs, int progress)
{
    pthread_t th[PUSH_MAX_WORKERS];
    struct employer_worker *w[PUSH_MAX_WORKERS] = { NULL };
    struct timespec ts = { 0, 150 * 1000 * 1000 };
    int i, nw, started = 0, rc = 0;

    run->seal_max = jobs;
    nw = jobs > PUSH_MAX_WORKERS / PUSH_IN_FLIGHT ? PUSH_MAX_WORKERS
                                                  : jobs * PUSH_IN_FLIGHT;

    for (i = 0; i < nw; i++) {
        if ((w[i] = employer_worker_new(run)) == NULL) {
            rc = -1;
            break;
        }
    }
    for (i = 0; rc == 0 && i < nw; i++) {
        if (pthread_create(&th[i], NULL, employer_worker_main, w[i]) != 0) {
            warnx_("cannot start a worker thread");
            rc = -1;
            break;
        }
        started++;
    }
    if (rc != 0) {
        /* Workers already started stop at the next row. */
        pthread_mutex_lock(&run->mu);
        run->next = run->nrows;
        pthread_mutex_unlock(&run->mu);
        progress = 0;
    }
    while (progress && started > 0) {
        pthread_mutex_lock(&run->mu);
        i = run->done >= run->nrows;
        pthread_mutex_unlock(&run->mu);
        progress_show(run, 0);
        if (i) {
            break;
        }
        nanosleep(&ts, NULL);
    }
    for (i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
    }
    if (progress && started > 0) {
        progress_show(run, 1);
    }
    for (i = 0; i < nw; i++) {
        employer_worker_free(w[i]);
    }
    return (rc);
}

int
cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"report", required_argument, NULL, OPT_REPORT},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *manifest = NULL, *report = NULL, *passfile = NULL;
    struct employer_run run;
    char *rdefault = NULL, *jpath = NULL;
    size_t i;
    int c, rc, jobs = PUSH_DEFAULT_JOBS, progress = 1;

    while ((c = getopt_long(argc, argv, "m:o:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
        case OPT_MANIFEST: manifest = optarg; break;
        case 'o':
        case OPT_REPORT: report = optarg; break;
        case 'j':
        case OPT_JOBS:
            if (jobs_parse(optarg, &jobs) != 0) {
                return (usage_error("push", "--jobs: 1 to %d",
                    PUSH_MAX_JOBS));
            }
            break;
        case OPT_NO_PROGRESS: progress = 0; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("push"));
        default: return (usage_error("push", "bad option"));
        }
    }
    if (manifest == NULL || optind != argc) {
        return (usage_error("push", "need --manifest FILE"));
    }
    if (report == NULL) {
        if ((rdefault = report_default(manifest)) == NULL) {
            return (EXIT_ERR);
        }
        report = rdefault;
    }
    if ((jpath = str_concat(report, ".journal")) == NULL) {
        free(rdefault);
        return (EXIT_ERR);
    }
    if ((rc = employer_run_init(&run, passfile)) != EXIT_OK) {
        free(jpath);
        free(rdefault);
        return (rc);
    }
    rc = EXIT_ERR;
    if (manifest_read(&run, manifest) != 0 ||
        employer_journal_open(&run, jpath) != 0 ||
        employer_vaults_index(&run) != 0) {
        goto done;
    }
    if (run.nrows == 0) {
        warnx_("%s: no rows", manifest);
    }
    progress = progress && !client_quiet && isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &run.t0);
    if (run_workers(&run, jobs, progress) != 0) {
        goto done;
    }
    employer_journal_sync(&run);
    if (report_write(&run, report) != 0) {
        goto done;
    }
    for (i = 0; i < run.nrows; i++) {
        if (run.rows[i].failed) {
            fprintf(stderr, "coffre: line %u: %s: %s\n", run.rows[i].line,
                term_text(run.rows[i].code), term_text(run.rows[i].msg));
        }
    }
    infox("%zu rows: %zu deposited now, %zu done before (journal), %zu "
          "already on the server, %zu failed; report in %s", run.nrows,
        run.ndeposited, run.nresumed, run.nreplayed, run.nfailed, report);
    rc = run.nfailed == 0 ? EXIT_OK : EXIT_ERR;

done:
    employer_run_clear(&run);
    free(jpath);
    free(rdefault);
    return (rc);
}
