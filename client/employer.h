#ifndef EMPLOYER_H_
#define EMPLOYER_H_

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/*
 * Pieces shared by the employer side of the client (push, receipts,
 * employers, and `init --kind employer|service`): account ids as the
 * server spells them, a strict RFC 4180 CSV reader and writer for
 * manifests and reports, receipt checks, and the registration request.
 */

struct session;
struct keys;

#define EMPLOYER_VAULT_LEN 16   /* "XXXX-XXXX-XXXX-C", without the NUL */
#define EMPLOYER_SIRET_LEN 14
#define EMPLOYER_CSV_MAX_FIELDS 32
#define EMPLOYER_CSV_MAX_FIELD (64 * 1024) /* bytes of one field */

/**
 * employer_vault_normalise(in, out):
 * Normalise a vault address typed by a person (upper case; I, L -> 1;
 * O -> 0; spaces and dashes dropped) into its canonical form
 * "XXXX-XXXX-XXXX-C" in ${out}, and check its check symbol (docs/API.md
 * §1).  Return 0, or -1 if ${in} is not a valid vault address.
 */
int employer_vault_normalise(const char *in,
    char out[EMPLOYER_VAULT_LEN + 1]);

/**
 * employer_siret_valid(s):
 * Nonzero if ${s} is 14 digits with a valid Luhn key (or, for SIRETs of
 * La Poste starting 356000000, a digit sum that is a multiple of 5).
 */
int employer_siret_valid(const char *s);

/* A parsed CSV record: ${n} malloc'd NUL-terminated fields. */
struct employer_csv_rec {
    char *f[EMPLOYER_CSV_MAX_FIELDS];
    size_t n;
    unsigned line;  /* line number where the record starts (1-based) */
};

/**
 * employer_csv_next(buf, len, off, line, rec, err, errlen):
 * Read the next record of RFC 4180 CSV text ${buf} of ${len} bytes from
 * *${off}; *${line} is the current line number (start at 1), advanced
 * past the record.  Fields may be quoted ("..." with "" for a quote, and
 * line breaks inside); LF or CRLF end a record.  Return 1 with ${rec}
 * filled (employer_csv_clear()), 0 at the end of the text, or -1 with a
 * message in ${err} (unterminated quote, text after a closing quote, a NUL
 * byte, too many or too long fields); after -1 *${off} is past the bad
 * record (quotes honoured) so that reading may go on.
 */
int employer_csv_next(const char *buf, size_t len, size_t *off,
    unsigned *line, struct employer_csv_rec *rec, char *err, size_t errlen);

/**
 * employer_csv_clear(rec):
 * Free the fields of ${rec}.
 */
void employer_csv_clear(struct employer_csv_rec *rec);

/**
 * employer_csv_field(fd, s, last):
 * Write ${s} (NULL: empty) as one CSV field, quoted when it holds a comma,
 * quote, CR, LF or leading or trailing space, followed by "," or, if
 * ${last}, by LF.  Return 0 or -1.
 */
int employer_csv_field(int fd, const char *s, int last);

/**
 * employer_receipt_check(text, sig, key, doc, vault, class, why, whylen):
 * Check a deposit receipt: ${sig} (.minisig text) must be a valid
 * signature of the exact bytes of ${text} by minisign public key ${key}
 * (RW... or a key file), with the trusted comment "coffre-receipt-v1
 * document=<doc>", and ${text} must be the canonical receipt JSON of type
 * coffre-receipt-v1 naming document ${doc} and, when non-NULL, vault
 * ${vault} and class ${class}.  Return 0, or -1 with the reason in ${why}.
 */
int employer_receipt_check(const char *text, const char *sig,
    const char *key, const char *doc, const char *vault, const char *class,
    char *why, size_t whylen);

/**
 * employer_init(s, k, kind, siret, name):
 * File the registration request of an employer (${kind} "employer", with
 * ${siret} and ${name}) or an account service ("service", ${name}) with
 * the public halves of ${k}, and set s->account and s->kind.  A server that
 * takes no such requests (403 registration_closed, or 400 for a kind it
 * does not register over HTTP) leaves the operator to register the
 * account from its public keys: the command to give them is printed and
 * EXIT_OK returned.  Return an exit code.
 */
int employer_init(struct session *s, const struct keys *k, const char *kind,
    const char *siret, const char *name);

/*
 * The push engine (coffre push): rows of a manifest deposited by worker
 * threads, each with its own HTTP connection and the shared bearer token,
 * a cache of employees' recipients, and the journal of acknowledged
 * deposits.  There may be more workers than documents encrypted at once
 * (seal_max): the others upload or wait on the server's durable writes.
 */

/* A deposited document of a row: all NULL until it is. */
struct employer_doc {
    char *id;       /* document id */
    char *rtext;    /* receipt: canonical JSON text */
    char *rsig;     /* receipt: the server's .minisig text */
};

/* One manifest row and its outcome. */
struct employer_row {
    unsigned line;                       /* in the manifest */
    char vault[EMPLOYER_VAULT_LEN + 1];  /* canonical */
    char period[8];                      /* YYYY-MM */
    char *file, *path;                   /* as written, and resolved */
    char *facts, *facts_path;            /* NULL when none */
    size_t vix;                          /* index in the vault cache */
    struct employer_doc slip, fact;
    int failed;
    int resumed;                         /* taken from the journal */
    int replayed;                        /* the server had it already */
    char code[32];                       /* error code when failed */
    char msg[256];
};

struct employer_vault;

/* A push run: the rows, the shared state of the workers. */
struct employer_run {
    struct session *s;
    char *siret, *name;      /* the employer, from GET /v1/me */
    char *dir;               /* the manifest's folder, or NULL */
    struct employer_row *rows;
    size_t nrows;
    struct employer_vault *vaults;
    size_t nvaults;
    json_t *journal;         /* idempotency key -> journal entry */
    int jfd;                 /* journal, open for appending */
    char *token;             /* bearer token shared by the workers */
    int seal_max;            /* documents encrypted at once; 0: no bound */
    pthread_cond_t seal_cv;  /* signalled when one stops encrypting */
    pthread_mutex_t mu;      /* guards what follows, the cache, jfd */
    size_t next, done, nfailed, ndeposited, nresumed, nreplayed;
    int sealing;             /* documents being encrypted now */
    struct timespec t0;
};

/**
 * employer_row_fail(row, code, fmt, ...):
 * Mark ${row} failed with error ${code} and a message, unless it already
 * failed (the first error stays).
 */
void employer_row_fail(struct employer_row *row, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * employer_run_init(run, passfile):
 * Open the session (log in), load the keys and check that the account is
 * an active employer.  Return an exit code; on EXIT_OK release ${run} with
 * employer_run_clear().
 */
int employer_run_init(struct employer_run *run, const char *passfile);

/**
 * employer_run_clear(run):
 * Release everything ${run} holds (closes the journal).
 */
void employer_run_clear(struct employer_run *run);

/**
 * employer_vaults_index(run):
 * Build the recipient cache: one entry per distinct vault of the rows.
 * Return 0 or -1.
 */
int employer_vaults_index(struct employer_run *run);

/**
 * employer_journal_open(run, path):
 * Load the journal at ${path} (lines of JSON, one per acknowledged
 * deposit; a torn last line is ignored) and open it for appending,
 * creating it with mode 0600.  Return 0, or -1 with a message.
 */
int employer_journal_open(struct employer_run *run, const char *path);

/**
 * employer_journal_sync(run):
 * fsync the journal.
 */
void employer_journal_sync(struct employer_run *run);

struct employer_worker;

/**
 * employer_worker_new(run):
 * A worker with its own connection to the server (call from the main
 * thread).  NULL on failure.
 */
struct employer_worker *employer_worker_new(struct employer_run *run);

/**
 * employer_worker_main(w):
 * Thread body: take rows in turn until none are left.  Returns NULL.
 */
void *employer_worker_main(void *w);

/**
 * employer_worker_free(w):
 * Release ${w}.  employer_worker_free(NULL) is a no-op.
 */
void employer_worker_free(struct employer_worker *w);

#endif /* !EMPLOYER_H_ */
