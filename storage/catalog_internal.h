#ifndef CATALOG_INTERNAL_H_
#define CATALOG_INTERNAL_H_

/*
 * Internals of the catalog shared by catalog*.c, maint.c and the tests.
 */

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "storage/catalog.h"

#define CATALOG_SCHEMA_VERSION 2
#define CATALOG_STMT_CACHE 96
#define CATALOG_BUSY_MS 10000
/* Changes that lose a race on a revision retry this many times. */
#define CATALOG_RETRIES 8
/* A conditional update found a newer revision (positive: not an error
 * code callers see). */
#define CATALOG_ERACE 1

struct blobstore;
struct record;

/* One SQLite connection and its prepared statements. */
struct catalog_conn {
    sqlite3 *db;
    size_t nstmt;
    struct {
        const char *sql;        /* static SQL text: cached by address */
        sqlite3_stmt *st;
    } stmt[CATALOG_STMT_CACHE];
    struct catalog_conn *next;  /* free list of readers */
};

/* A queued change, run by the group-commit leader inside a SAVEPOINT. */
struct catalog_wop {
    int (*fn)(struct catalog_conn *, void *);
    void *arg;
    int rc;
    int done;
    char detail[STORAGE_DETAIL_BUFLEN];
    struct catalog_wop *next;
};

struct catalog {
    char *dbpath;
    struct blobstore *records;      /* DATA/records */

    pthread_mutex_t rlock;          /* readers free list */
    struct catalog_conn *readers;
    struct catalog_conn *all[256];  /* every connection, for close */
    size_t nall;

    pthread_mutex_t wlock;          /* write queue */
    pthread_cond_t wcond;
    struct catalog_wop *qhead, *qtail;
    int leader;                     /* a thread is committing a batch */
    struct catalog_conn *writer;

    uint64_t batches;               /* committed batches (statistics) */
    uint64_t ops;                   /* committed changes */
};

/**
 * catalog_conn_open(path, out):
 * Open a connection with the catalog's settings (WAL, synchronous=FULL,
 * foreign keys, defensive, limits, busy timeout).
 */
int catalog_conn_open(const char *path, struct catalog_conn **out);

/**
 * catalog_conn_close(c):
 * Finalize the statements of ${c} and close it.  NULL is a no-op.
 */
void catalog_conn_close(struct catalog_conn *c);

/**
 * catalog_stmt(c, sql):
 * Return the cached prepared statement for the static text ${sql}, ready to
 * bind (reset, bindings cleared), or NULL with the detail set.
 */
sqlite3_stmt *catalog_stmt(struct catalog_conn *c, const char *sql);

/**
 * catalog_exec(c, sql):
 * Run constant SQL without parameters (schema, pragmas, transactions).
 */
int catalog_exec(struct catalog_conn *c, const char *sql);

/**
 * catalog_sqlerr(c, rc, what):
 * Map an SQLite result code to a storage code and set the detail.
 */
int catalog_sqlerr(struct catalog_conn *c, int rc, const char *what);

/**
 * catalog_step_done(c, st, what):
 * Step ${st} expecting SQLITE_DONE; map failures (constraint violations to
 * STORAGE_EEXIST); reset ${st}.
 */
int catalog_step_done(struct catalog_conn *c, sqlite3_stmt *st,
    const char *what);

/**
 * catalog_migrate(c, target):
 * Bring the schema of ${c} from its user_version up to ${target} (one
 * transaction per step).  STORAGE_ECORRUPT if the file is newer than this
 * program.
 */
int catalog_migrate(struct catalog_conn *c, int target);

/**
 * catalog_reader(cat, out), catalog_reader_put(cat, c):
 * Borrow and return a read connection.
 */
int catalog_reader(struct catalog *cat, struct catalog_conn **out);
void catalog_reader_put(struct catalog *cat, struct catalog_conn *c);

/**
 * catalog_write(cat, fn, arg):
 * Run ${fn}(writer, ${arg}) inside the next group-committed transaction;
 * return its result once the transaction is durable (or rolled back).
 */
int catalog_write(struct catalog *cat,
    int (*fn)(struct catalog_conn *, void *), void *arg);

/**
 * catalog_record_put(cat, rec, digest):
 * Encode ${rec}, store it durably in the record store, set ${digest}.
 */
int catalog_record_put(struct catalog *cat, const struct record *rec,
    uint8_t digest[DIGEST_BYTES]);

/**
 * catalog_record_drop(cat, digest):
 * Remove a record object whose change did not commit (best effort).
 */
void catalog_record_drop(struct catalog *cat,
    const uint8_t digest[DIGEST_BYTES]);

/**
 * catalog_tombstone(cat, dig, at, tomb):
 * Store durably a tombstone record voiding record ${dig} at time ${at}; set
 * ${tomb} to the tombstone's own digest (to drop it if the change fails).
 */
int catalog_tombstone(struct catalog *cat, const uint8_t dig[DIGEST_BYTES],
    int64_t at, uint8_t tomb[DIGEST_BYTES]);

/**
 * catalog_audit_conn(c, chain, actor, action, target, detail, now):
 * Append an audit entry using connection ${c}, inside its transaction.
 */
int catalog_audit_conn(struct catalog_conn *c, const char *chain,
    const char *actor, const char *action, const char *target,
    const char *detail, int64_t now);

/**
 * catalog_text_ok(s, buflen):
 * Return 1 if ${s} is non-NULL and shorter than ${buflen}.
 */
int catalog_text_ok(const char *s, size_t buflen);

/**
 * catalog_copy_col(st, i, out, outlen):
 * Copy text column ${i} into ${out} (truncation is an error: ECORRUPT).
 */
int catalog_copy_col(sqlite3_stmt *st, int i, char *out, size_t outlen);

/**
 * catalog_dup_blob(st, i, buf, len):
 * Copy blob column ${i} into a malloc'd buffer (non-NULL even if empty).
 */
int catalog_dup_blob(sqlite3_stmt *st, int i, uint8_t **buf, size_t *len);

/**
 * catalog_step_row(c, st, what):
 * Step a one-row lookup: 0 with a row ready to read, STORAGE_ENOTFOUND
 * (statement reset), or an error (statement reset).
 */
int catalog_step_row(struct catalog_conn *c, sqlite3_stmt *st,
    const char *what);

/**
 * catalog_acct_exists(c, id):
 * Return 0 if account ${id} exists on ${c}, else STORAGE_ENOTFOUND.
 */
int catalog_acct_exists(struct catalog_conn *c, const char *id);

/**
 * catalog_run_id(c, sql, id):
 * Run the statement ${sql} whose one parameter is the text ${id}.
 */
int catalog_run_id(struct catalog_conn *c, const char *sql, const char *id);

/**
 * catalog_doc_live(c, id, vault):
 * Return 0 and copy the vault of live document ${id}, or
 * STORAGE_ENOTFOUND.
 */
int catalog_doc_live(struct catalog_conn *c, const char *id,
    char vault[CATALOG_ID_BUFLEN]);

/**
 * catalog_add_nonce(rec):
 * Add a random "nonce" field, so that equal changes make distinct records.
 */
int catalog_add_nonce(struct record *rec);

/* Row writers shared by the live path and reindex (no audit, no records). */
int catalog_row_account(struct catalog_conn *c,
    const struct catalog_account *a, int64_t rev);
int catalog_row_document(struct catalog_conn *c,
    const struct catalog_deposit *in, const char *id, int64_t created,
    const uint8_t record[DIGEST_BYTES]);
int catalog_row_grant(struct catalog_conn *c, const char *document,
    const char *reader, const char *granted_by, int64_t created,
    const uint8_t *header, size_t headerlen,
    const uint8_t record[DIGEST_BYTES]);
int catalog_row_opposition(struct catalog_conn *c, const char *vault,
    const char *siret, int64_t since, const uint8_t record[DIGEST_BYTES]);
int catalog_row_setting(struct catalog_conn *c, const char *key,
    const char *value, int64_t rev);

/* Record builders shared by the live path and reindex. */
int catalog_account_record(const struct catalog_account *a, int64_t rev,
    struct record *rec);
int catalog_document_record(const struct catalog_deposit *in,
    const char *id, int64_t created, struct record *rec);
/**
 * catalog_row_to_account(st, base, a, rev):
 * Fill ${a} from the CATALOG_ACCT_COLS columns of ${st} starting at column
 * ${base}; set ${*rev} if not NULL.
 */
#define CATALOG_ACCT_COLS "id, kind, vault, siret, name, age_recipient," \
    " minisign_key, state, created, rev"
#define CATALOG_ACCT_NCOLS 10
int catalog_row_to_account(sqlite3_stmt *st, int base,
    struct catalog_account *a, int64_t *rev);

int catalog_account_from_record(const struct record *rec,
    struct catalog_account *a, int64_t *rev);

#endif /* !CATALOG_INTERNAL_H_ */
