/* Catalog handle: connections, statement cache, schema, group commit. */
#include "storage/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"

/*
 * Schema steps: migration[i] brings user_version i to i + 1.  Never edit a
 * step once released; add one.
 */
static const char *const migration[CATALOG_SCHEMA_VERSION] = {
    /* 0 -> 1: the core tables. */
    "CREATE TABLE accounts ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),"
    " vault TEXT UNIQUE,"
    " siret TEXT UNIQUE,"
    " name TEXT NOT NULL,"
    " age_recipient TEXT NOT NULL,"
    " minisign_key TEXT NOT NULL,"
    " state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),"
    " created INTEGER NOT NULL,"
    " rev INTEGER NOT NULL);"
    "CREATE TABLE challenges ("
    " hash BLOB PRIMARY KEY NOT NULL,"
    " account TEXT NOT NULL REFERENCES accounts(id),"
    " expires INTEGER NOT NULL);"
    "CREATE TABLE sessions ("
    " hash BLOB PRIMARY KEY NOT NULL,"
    " account TEXT NOT NULL REFERENCES accounts(id),"
    " expires INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX sessions_account ON sessions(account);"
    "CREATE TABLE documents ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " vault TEXT NOT NULL REFERENCES accounts(id),"
    " depositor TEXT NOT NULL REFERENCES accounts(id),"
    " class TEXT NOT NULL,"
    " blob BLOB NOT NULL,"
    " size INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " meta BLOB NOT NULL,"
    " signature TEXT NOT NULL,"
    " receipt BLOB,"
    " idem_key TEXT,"
    " state INTEGER NOT NULL CHECK (state IN (1, 2)),"
    " deleted INTEGER NOT NULL DEFAULT 0,"
    " record BLOB NOT NULL);"
    "CREATE INDEX documents_vault ON documents(vault, created, id);"
    "CREATE TABLE grants ("
    " document TEXT NOT NULL REFERENCES documents(id),"
    " reader TEXT NOT NULL REFERENCES accounts(id),"
    " granted_by TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " header BLOB NOT NULL,"
    " record BLOB NOT NULL,"
    " PRIMARY KEY (document, reader));"
    "CREATE TABLE shares ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " token_hash BLOB NOT NULL UNIQUE,"
    " document TEXT NOT NULL REFERENCES documents(id),"
    " created_by TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " uses_left INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " header BLOB NOT NULL);"
    "CREATE INDEX shares_document ON shares(document);"
    "CREATE TABLE idem ("
    " depositor TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " document TEXT NOT NULL REFERENCES documents(id),"
    " PRIMARY KEY (depositor, key));"
    "CREATE TABLE audit ("
    " chain TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " time INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " prev BLOB NOT NULL,"
    " hash BLOB NOT NULL,"
    " PRIMARY KEY (chain, seq)) WITHOUT ROWID;",

    /* 1 -> 2: oppositions, settings, lookups by reader and by blob. */
    "CREATE TABLE oppositions ("
    " vault TEXT NOT NULL REFERENCES accounts(id),"
    " siret TEXT NOT NULL,"
    " since INTEGER NOT NULL,"
    " record BLOB NOT NULL,"
    " PRIMARY KEY (vault, siret));"
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT NOT NULL,"
    " rev INTEGER NOT NULL);"
    "CREATE INDEX grants_reader ON grants(reader);"
    "CREATE INDEX documents_blob ON documents(blob);",
};

int
catalog_sqlerr(struct catalog_conn *c, int rc, const char *what)
{
    const char *msg = c != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    int err;

    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        err = STORAGE_EEXIST;
        break;
    case SQLITE_FULL:
        err = STORAGE_ENOSPC;
        break;
    case SQLITE_NOMEM:
        err = STORAGE_ENOMEM;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        err = STORAGE_EBUSY;
        break;
    case SQLITE_TOOBIG:
        err = STORAGE_ETOOBIG;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        err = STORAGE_ECORRUPT;
        break;
    case SQLITE_IOERR:
        /* An fsync, a truncate or the shared memory may meet a full disk
         * or a quota too: the caller must see "full", not "I/O error". */
        if (c != NULL && (sqlite3_system_errno(c->db) == ENOSPC ||
            sqlite3_system_errno(c->db) == EDQUOT)) {
            err = STORAGE_ENOSPC;
            break;
        }
        err = STORAGE_EIO;
        break;
    default:
        err = STORAGE_EIO;
        break;
    }
    return (storage_fail(err, "%s: %s", what, msg));
}

int
catalog_exec(struct catalog_conn *c, const char *sql)
{
    int rc;

    if ((rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
        return (catalog_sqlerr(c, rc, "exec"));
    }
    return (0);
}

sqlite3_stmt *
catalog_stmt(struct catalog_conn *c, const char *sql)
{
    sqlite3_stmt *st;
    size_t i;
    int rc;

    for (i = 0; i < c->nstmt; i++) {
        if (c->stmt[i].sql == sql) {
            st = c->stmt[i].st;
            (void)sqlite3_reset(st);
            (void)sqlite3_clear_bindings(st);
            return (st);
        }
    }
    if ((rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
        &st, NULL)) != SQLITE_OK) {
        (void)catalog_sqlerr(c, rc, "prepare");
        return (NULL);
    }
    if (c->nstmt < CATALOG_STMT_CACHE) {
        c->stmt[c->nstmt].sql = sql;
        c->stmt[c->nstmt].st = st;
        c->nstmt++;
    } else {
        /* Cache full: a programming error; fail rather than leak. */
        (void)sqlite3_finalize(st);
        (void)storage_fail(STORAGE_EIO, "statement cache full");
        return (NULL);
    }
    return (st);
}

int
catalog_step_done(struct catalog_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc;

    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        rc = catalog_sqlerr(c, rc, what);
        (void)sqlite3_reset(st);
        return (rc);
    }
    (void)sqlite3_reset(st);
    return (0);
}

int
catalog_conn_open(const char *path, struct catalog_conn **out)
{
    struct catalog_conn *c;
    int rc;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        return (storage_errno(errno, "calloc"));
    }
    /* One connection is used by one thread at a time: NOMUTEX. */
    if ((rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
        SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        NULL)) != SQLITE_OK) {
        rc = catalog_sqlerr(c->db != NULL ? c : NULL, rc, "open index");
        goto err;
    }
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, 1024 * 1024);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_SQL_LENGTH, 64 * 1024);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_COLUMN, 100);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_EXPR_DEPTH, 100);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_COMPOUND_SELECT, 10);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_VARIABLE_NUMBER, 32);
    (void)sqlite3_limit(c->db, SQLITE_LIMIT_ATTACHED, 1);
    (void)sqlite3_busy_timeout(c->db, CATALOG_BUSY_MS);
    /*
     * WAL with synchronous=FULL: every commit fsyncs the WAL, so a
     * transaction is durable when COMMIT returns (NORMAL may lose the last
     * commits on power loss).  See docs/STORAGE.md.
     */
    if ((rc = catalog_exec(c, "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA secure_delete=ON;")) != 0) {
        goto err;
    }

    /* Success! */
    *out = c;
    return (0);

err:
    catalog_conn_close(c);

    /* Failure! */
    return (rc);
}

void
catalog_conn_close(struct catalog_conn *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->nstmt; i++) {
        (void)sqlite3_finalize(c->stmt[i].st);
    }
    (void)sqlite3_close(c->db);
    free(c);
}

/* Read PRAGMA user_version into ${*v}. */
static int
get_version(struct catalog_conn *c, int *v)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st,
        NULL)) != SQLITE_OK) {
        return (catalog_sqlerr(c, rc, "user_version"));
    }
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = catalog_sqlerr(c, rc, "user_version");
        (void)sqlite3_finalize(st);
        return (rc);
    }
    *v = sqlite3_column_int(st, 0);
    (void)sqlite3_finalize(st);
    return (0);
}

int
catalog_migrate(struct catalog_conn *c, int target)
{
    char sql[64];
    int v = 0;
    int rc;

    if (target > CATALOG_SCHEMA_VERSION) {
        return (storage_fail(STORAGE_EINVAL, "unknown schema version"));
    }
    for (;;) {
        if ((rc = catalog_exec(c, "BEGIN IMMEDIATE")) != 0) {
            return (rc);
        }
        /* Read the version under the write lock: another process may
         * have migrated meanwhile. */
        if ((rc = get_version(c, &v)) != 0) {
            goto err;
        }
        if (v > CATALOG_SCHEMA_VERSION || v < 0) {
            rc = storage_fail(STORAGE_ECORRUPT,
                "index schema version %d is newer than this program", v);
            goto err;
        }
        if (v >= target) {
            return (catalog_exec(c, "COMMIT"));
        }
        if ((rc = catalog_exec(c, migration[v])) != 0) {
            goto err;
        }
        (void)snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
        if ((rc = catalog_exec(c, sql)) != 0 ||
            (rc = catalog_exec(c, "COMMIT")) != 0) {
            goto err;
        }
    }

err:
    (void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return (rc);
}

/* Remember ${c} so that catalog_close() closes it. */
static int
track(struct catalog *cat, struct catalog_conn *c)
{

    if (cat->nall == sizeof(cat->all) / sizeof(cat->all[0])) {
        return (storage_fail(STORAGE_EBUSY, "too many connections"));
    }
    cat->all[cat->nall++] = c;
    return (0);
}

int
catalog_reader(struct catalog *cat, struct catalog_conn **out)
{
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    pthread_mutex_lock(&cat->rlock);
    if ((c = cat->readers) != NULL) {
        cat->readers = c->next;
        pthread_mutex_unlock(&cat->rlock);
        *out = c;
        return (0);
    }
    pthread_mutex_unlock(&cat->rlock);
    if ((rc = catalog_conn_open(cat->dbpath, &c)) != 0) {
        return (rc);
    }
    pthread_mutex_lock(&cat->rlock);
    rc = track(cat, c);
    pthread_mutex_unlock(&cat->rlock);
    if (rc != 0) {
        catalog_conn_close(c);
        return (rc);
    }
    *out = c;
    return (0);
}

void
catalog_reader_put(struct catalog *cat, struct catalog_conn *c)
{
    size_t i;

    /* Leave no statement holding a read transaction open. */
    for (i = 0; i < c->nstmt; i++) {
        (void)sqlite3_reset(c->stmt[i].st);
    }
    pthread_mutex_lock(&cat->rlock);
    c->next = cat->readers;
    cat->readers = c;
    pthread_mutex_unlock(&cat->rlock);
}

/* Run the batch ${b} in one transaction, each op in its own savepoint. */
static void
run_batch(struct catalog *cat, struct catalog_wop *b)
{
    struct catalog_conn *c = cat->writer;
    struct catalog_wop *w;
    int rc;

    if ((rc = catalog_exec(c, "BEGIN IMMEDIATE")) != 0) {
        goto fail_all;
    }
    for (w = b; w != NULL; w = w->next) {
        storage_clear_detail();
        if ((rc = catalog_exec(c, "SAVEPOINT op")) != 0) {
            w->rc = rc;
        } else if ((w->rc = w->fn(c, w->arg)) != 0) {
            if (sqlite3_get_autocommit(c->db)) {
                /* SQLite rolled the whole transaction back (disk full,
                 * I/O error): every change of the batch is lost. */
                rc = w->rc;
                goto fail_all;
            }
            (void)catalog_exec(c, "ROLLBACK TO op");
        }
        (void)snprintf(w->detail, sizeof(w->detail), "%s", storage_detail());
        (void)catalog_exec(c, "RELEASE op");
    }
    if ((rc = catalog_exec(c, "COMMIT")) != 0) {
        (void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail_all;
    }
    cat->batches++;
    for (w = b; w != NULL; w = w->next) {
        cat->ops++;
    }
    return;

fail_all:
    for (w = b; w != NULL; w = w->next) {
        w->rc = rc;
        (void)snprintf(w->detail, sizeof(w->detail), "%s", storage_detail());
    }
}

int
catalog_write(struct catalog *cat, int (*fn)(struct catalog_conn *, void *),
    void *arg)
{
    struct catalog_wop w;
    struct catalog_wop *b, *p, *nx;

    memset(&w, 0, sizeof(w));
    w.fn = fn;
    w.arg = arg;
    pthread_mutex_lock(&cat->wlock);
    if (cat->qtail != NULL) {
        cat->qtail->next = &w;
    } else {
        cat->qhead = &w;
    }
    cat->qtail = &w;
    while (!w.done) {
        if (cat->leader) {
            pthread_cond_wait(&cat->wcond, &cat->wlock);
            continue;
        }
        /* Lead: take everything queued so far and commit it together. */
        cat->leader = 1;
        b = cat->qhead;
        cat->qhead = cat->qtail = NULL;
        pthread_mutex_unlock(&cat->wlock);
        run_batch(cat, b);
        pthread_mutex_lock(&cat->wlock);
        for (p = b; p != NULL; p = nx) {
            nx = p->next;
            p->done = 1;
        }
        cat->leader = 0;
        pthread_cond_broadcast(&cat->wcond);
    }
    pthread_mutex_unlock(&cat->wlock);
    (void)storage_fail(w.rc, "%s", w.detail);
    return (w.rc);
}

/*
 * Process-wide SQLite settings, before SQLite initialises.  Memory
 * statistics are off: with them every SQLite allocation takes one global
 * mutex, which the daemon's reader threads fought over (we never read the
 * statistics).  Too late (SQLite already in use) is harmless.
 */
static void
sqlite_setup(void)
{

    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
catalog_open(const char *datadir, struct catalog **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct catalog *cat;
    size_t len;
    int rc;

    *out = NULL;
    storage_clear_detail();
    (void)pthread_once(&once, sqlite_setup);
    if (datadir == NULL) {
        return (storage_fail(STORAGE_EINVAL, "no data directory"));
    }
    if ((cat = calloc(1, sizeof(*cat))) == NULL) {
        return (storage_errno(errno, "calloc"));
    }
    pthread_mutex_init(&cat->rlock, NULL);
    pthread_mutex_init(&cat->wlock, NULL);
    pthread_cond_init(&cat->wcond, NULL);
    /* The record store also creates DATA if needed. */
    if ((rc = blobstore_open_ns(datadir, "records", &cat->records)) != 0) {
        goto err;
    }
    len = strlen(datadir) + sizeof("/index.sqlite");
    if ((cat->dbpath = malloc(len)) == NULL) {
        rc = storage_errno(errno, "malloc");
        goto err;
    }
    (void)snprintf(cat->dbpath, len, "%s/index.sqlite", datadir);
    if ((rc = catalog_conn_open(cat->dbpath, &cat->writer)) != 0) {
        goto err;
    }
    if ((rc = track(cat, cat->writer)) != 0) {
        catalog_conn_close(cat->writer);
        goto err;
    }
    if ((rc = catalog_migrate(cat->writer, CATALOG_SCHEMA_VERSION)) != 0) {
        goto err;
    }

    /* Success! */
    *out = cat;
    return (0);

err:
    catalog_close(cat);

    /* Failure! */
    return (rc);
}

void
catalog_close(struct catalog *cat)
{
    size_t i;

    if (cat == NULL) {
        return;
    }
    for (i = 0; i < cat->nall; i++) {
        catalog_conn_close(cat->all[i]);
    }
    blobstore_close(cat->records);
    free(cat->dbpath);
    pthread_cond_destroy(&cat->wcond);
    pthread_mutex_destroy(&cat->wlock);
    pthread_mutex_destroy(&cat->rlock);
    free(cat);
}

void
catalog_id_new(char out[CATALOG_ID_BUFLEN])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[CATALOG_ID_BYTES];
    size_t i;

    secmem_random(b, sizeof(b));
    for (i = 0; i < CATALOG_ID_BYTES; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[CATALOG_ID_LEN] = '\0';
}

int
catalog_id_valid(const char *s)
{
    size_t i;

    if (s == NULL) {
        return (0);
    }
    for (i = 0; i < CATALOG_ID_LEN; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return (0);
        }
    }
    return (s[CATALOG_ID_LEN] == '\0');
}

int
catalog_text_ok(const char *s, size_t buflen)
{

    return (s != NULL && strnlen(s, buflen) < buflen);
}

int
catalog_copy_col(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);

    if (s == NULL) {
        out[0] = '\0';
        return (0);
    }
    if (n >= outlen || strlen((const char *)s) != n) {
        return (storage_fail(STORAGE_ECORRUPT, "index text too long"));
    }
    memcpy(out, s, n + 1);
    return (0);
}

int
catalog_dup_blob(sqlite3_stmt *st, int i, uint8_t **buf, size_t *len)
{
    const void *p = sqlite3_column_blob(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);

    *len = 0;
    if ((*buf = malloc(n > 0 ? n : 1)) == NULL) {
        return (storage_errno(errno, "malloc"));
    }
    if (n > 0) {
        memcpy(*buf, p, n);
    }
    *len = n;
    return (0);
}

int
catalog_record_put(struct catalog *cat, const struct record *rec,
    uint8_t digest[DIGEST_BYTES])
{
    uint8_t *buf;
    size_t len;
    int rc;

    if ((rc = record_encode(rec, &buf, &len)) != 0) {
        return (rc);
    }
    digest_buf(buf, len, digest);
    rc = blobstore_put_buf(cat->records, digest, buf, len);
    free(buf);
    if (rc != 0) {
        /*
         * A failed put may still leave verified bytes in place (last
         * directory fsync).  A record must not outlive a change that was
         * not made, or a reindex would make it; every record is unique
         * (ids, nonces), so removing it cannot hurt another change.
         */
        catalog_record_drop(cat, digest);
    }
    return (rc);
}

void
catalog_record_drop(struct catalog *cat, const uint8_t digest[DIGEST_BYTES])
{
    char detail[STORAGE_DETAIL_BUFLEN];

    /* Keep the detail of the failure that made us drop the record. */
    (void)snprintf(detail, sizeof(detail), "%s", storage_detail());
    (void)blobstore_delete(cat->records, digest);
    (void)storage_fail(0, "%s", detail);
}

/* Write the tombstone of record ${dig} (durable before the change). */
int
catalog_tombstone(struct catalog *cat, const uint8_t dig[DIGEST_BYTES],
    int64_t at, uint8_t tomb[DIGEST_BYTES])
{
    char id[DIGEST_ID_BUFLEN];
    char nonce[CATALOG_ID_BUFLEN];
    struct record rec;
    int rc;

    /* The nonce keeps two tombstones of one record distinct objects, so
     * dropping a failed one never removes a committed one. */
    digest_id_format(dig, id);
    catalog_id_new(nonce);
    record_init(&rec, "tombstone/1");
    if ((rc = record_add_cstr(&rec, "record", id)) == 0 &&
        (rc = record_add_int(&rec, "at", at)) == 0 &&
        (rc = record_add_cstr(&rec, "nonce", nonce)) == 0) {
        rc = catalog_record_put(cat, &rec, tomb);
    }
    record_clear(&rec);
    return (rc);
}

static const char sql_helper_acct_exists[] =
    "SELECT 1 FROM accounts WHERE id = ?1";

/* Step a one-row lookup: 0 with a row, STORAGE_ENOTFOUND, or an error. */
int
catalog_step_row(struct catalog_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc;

    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        return (0);
    }
    (void)sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        return (storage_fail(STORAGE_ENOTFOUND, "%s: not found", what));
    }
    return (catalog_sqlerr(c, rc, what));
}

/* 0 if account ${id} exists on ${c}. */
int
catalog_acct_exists(struct catalog_conn *c, const char *id)
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_helper_acct_exists)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = catalog_step_row(c, st, "account");
    (void)sqlite3_reset(st);
    return (rc);
}

/* Run a one-text-parameter statement ${sql} with ${id}. */
int
catalog_run_id(struct catalog_conn *c, const char *sql, const char *id)
{
    sqlite3_stmt *st;

    if ((st = catalog_stmt(c, sql)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return (catalog_step_done(c, st, "update"));
}

/* A random nonce as hex, so that equal rows make distinct records. */
int
catalog_add_nonce(struct record *rec)
{
    char nonce[CATALOG_ID_BUFLEN];

    catalog_id_new(nonce);
    return (record_add_cstr(rec, "nonce", nonce));
}
