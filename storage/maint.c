/* Operator maintenance: reindex from record objects, scrub, gc. */
#define _GNU_SOURCE

#include "storage/maint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"

#define MAINT_PATH_MAX 4096
#define MAINT_READ_CHUNK (64 * 1024)

/* Staging tables of one reindex run (temporary, on the new index). */
static const char sql_stage[] =
    "CREATE TEMP TABLE tomb (record BLOB PRIMARY KEY, at INTEGER);"
    "CREATE TEMP TABLE st_grants (document TEXT, reader TEXT,"
    " granted_by TEXT, created INTEGER, header BLOB, record BLOB);"
    "CREATE TEMP TABLE st_opp (vault TEXT, siret TEXT, since INTEGER,"
    " record BLOB);";
static const char sql_tomb[] =
    "INSERT OR IGNORE INTO tomb (record, at) VALUES (?1, ?2)";
static const char sql_st_grant[] =
    "INSERT INTO st_grants VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_st_opp[] =
    "INSERT INTO st_opp VALUES (?1, ?2, ?3, ?4)";
/* Applied once every record is staged: tombstones win, dangling rows go,
 * among duplicate grants the newest wins, the oldest deposit keeps an
 * idempotency key. */
static const char sql_apply[] =
    "UPDATE documents SET state = 2, deleted = (SELECT at FROM tomb"
    " WHERE tomb.record = documents.record)"
    " WHERE record IN (SELECT record FROM tomb);"
    "DELETE FROM documents WHERE vault NOT IN (SELECT id FROM accounts)"
    " OR depositor NOT IN (SELECT id FROM accounts);"
    "INSERT OR REPLACE INTO grants (document, reader, granted_by, created,"
    " header, record) SELECT document, reader, granted_by, created, header,"
    " record FROM st_grants WHERE record NOT IN (SELECT record FROM tomb)"
    " AND document IN (SELECT id FROM documents WHERE state = 1)"
    " AND reader IN (SELECT id FROM accounts) ORDER BY created, record;"
    "INSERT OR REPLACE INTO oppositions (vault, siret, since, record)"
    " SELECT vault, siret, since, record FROM st_opp"
    " WHERE record NOT IN (SELECT record FROM tomb)"
    " AND vault IN (SELECT id FROM accounts) ORDER BY since, record;"
    "INSERT OR IGNORE INTO idem (depositor, key, document)"
    " SELECT depositor, idem_key, id FROM documents"
    " WHERE idem_key IS NOT NULL AND state = 1 ORDER BY created, id;";
static const char sql_count_docs[] = "SELECT count(*) FROM documents";
static const char sql_count_grants[] = "SELECT count(*) FROM grants";
static const char sql_count_accts[] = "SELECT count(*) FROM accounts";
static const char sql_copy_audit[] =
    "INSERT INTO audit SELECT chain, seq, time, actor, action, target,"
    " detail, prev, hash FROM old.audit";
static const char sql_doc_refs[] =
    "SELECT id FROM documents WHERE blob = ?1";
static const char sql_all_blobs[] =
    "SELECT DISTINCT blob FROM documents WHERE state = 1";
static const char sql_all_records[] =
    "SELECT record FROM documents UNION SELECT record FROM grants"
    " UNION SELECT record FROM oppositions";
static const char sql_rec_docs[] =
    "SELECT id FROM documents WHERE record = ?1";
static const char sql_rec_grants[] =
    "SELECT document, reader FROM grants WHERE record = ?1";
static const char sql_rec_opps[] =
    "SELECT vault, siret FROM oppositions WHERE record = ?1";
static const char sql_chains[] = "SELECT DISTINCT chain FROM audit";
static const char sql_quick_check[] = "PRAGMA quick_check";
static const char sql_blob_live[] =
    "SELECT 1 FROM documents WHERE blob = ?1 AND state = 1 LIMIT 1";

/* Print a line to ${out} if there is one. */
static void
say(FILE *out, const char *fmt, ...) STORAGE_PRINTF(2, 3);

static void
say(FILE *out, const char *fmt, ...)
{
    va_list ap;

    if (out == NULL) {
        return;
    }
    va_start(ap, fmt);
    (void)vfprintf(out, fmt, ap);
    va_end(ap);
    (void)fputc('\n', out);
}

/* Join ${datadir} and ${name} into ${buf}. */
static int
path_join(char *buf, size_t len, const char *datadir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", datadir, name);

    if (n < 0 || (size_t)n >= len) {
        return (storage_fail(STORAGE_EINVAL, "data path too long"));
    }
    return (0);
}

/* Run a counting query. */
static int64_t
count(struct catalog_conn *c, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    if ((st = catalog_stmt(c, sql)) != NULL &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    if (st != NULL) {
        (void)sqlite3_reset(st);
    }
    return (n);
}

struct reidx {
    struct catalog_conn *c;
    struct blobstore *records;
    FILE *out;
    struct maint_report *rep;
    uint64_t skipped;
};

/* Stage a document record: the row and its owner's grant. */
static int
stage_document(struct reidx *r, const struct record *rec,
    const uint8_t dig[DIGEST_BYTES])
{
    struct catalog_deposit in;
    char id[CATALOG_ID_BUFLEN], vault[CATALOG_ID_BUFLEN];
    char depositor[CATALOG_ID_BUFLEN], cls[CATALOG_CLASS_BUFLEN];
    char idem[CATALOG_IDEM_BUFLEN];
    uint8_t *meta = NULL, *receipt = NULL, *hdr = NULL;
    const char *blob, *sig;
    size_t bloblen, siglen;
    int64_t size, created;
    sqlite3_stmt *st;
    int rc;

    memset(&in, 0, sizeof(in));
    if ((rc = record_get_text(rec, "id", id, sizeof(id))) != 0 ||
        (rc = record_get_text(rec, "vault", vault, sizeof(vault))) != 0 ||
        (rc = record_get_text(rec, "depositor", depositor,
        sizeof(depositor))) != 0 ||
        (rc = record_get_text(rec, "class", cls, sizeof(cls))) != 0 ||
        (rc = record_get_text(rec, "idem_key", idem, sizeof(idem))) != 0 ||
        (rc = record_get_str(rec, "blob", &blob, &bloblen)) != 0 ||
        (rc = record_get_str(rec, "signature", &sig, &siglen)) != 0 ||
        (rc = record_get_int(rec, "size", &size)) != 0 ||
        (rc = record_get_int(rec, "created", &created)) != 0 ||
        (rc = record_get_b64(rec, "meta", CATALOG_META_MAX_BYTES, &meta,
        &in.metalen)) != 0 ||
        (rc = record_get_b64(rec, "receipt", CATALOG_RECEIPT_MAX_BYTES,
        &receipt, &in.receiptlen)) != 0 ||
        (rc = record_get_b64(rec, "owner_header", CATALOG_HEADER_MAX_BYTES,
        &hdr, &in.owner_headerlen)) != 0) {
        goto done;
    }
    if (!catalog_id_valid(id) || !catalog_id_valid(vault) ||
        !catalog_id_valid(depositor) || cls[0] == '\0' || size < 0 ||
        in.owner_headerlen == 0 ||
        digest_id_parse(blob, bloblen, in.blob) != 0) {
        rc = storage_fail(STORAGE_EINVAL, "bad document record");
        goto done;
    }
    in.vault = vault;
    in.depositor = depositor;
    in.doc_class = cls;
    in.size = (uint64_t)size;
    in.meta = meta;
    in.signature = sig;
    in.receipt = in.receiptlen > 0 ? receipt : NULL;
    in.idem_key = idem;
    in.owner_header = hdr;
    if ((rc = catalog_row_document(r->c, &in, id, created, dig)) != 0) {
        goto done;
    }
    if ((st = catalog_stmt(r->c, sql_st_grant)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 3, depositor, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 4, created);
    (void)sqlite3_bind_blob(st, 5, hdr, (int)in.owner_headerlen,
        SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 6, dig, DIGEST_BYTES, SQLITE_STATIC);
    rc = catalog_step_done(r->c, st, "stage grant");
done:
    free(meta);
    free(receipt);
    free(hdr);
    return (rc);
}

/* Stage a grant record. */
static int
stage_grant(struct reidx *r, const struct record *rec,
    const uint8_t dig[DIGEST_BYTES])
{
    char doc[CATALOG_ID_BUFLEN], reader[CATALOG_ID_BUFLEN];
    char by[CATALOG_ACTOR_BUFLEN];
    uint8_t *hdr = NULL;
    size_t hdrlen;
    int64_t created;
    sqlite3_stmt *st;
    int rc;

    if ((rc = record_get_text(rec, "document", doc, sizeof(doc))) != 0 ||
        (rc = record_get_text(rec, "reader", reader, sizeof(reader))) != 0 ||
        (rc = record_get_text(rec, "granted_by", by, sizeof(by))) != 0 ||
        (rc = record_get_int(rec, "created", &created)) != 0 ||
        (rc = record_get_b64(rec, "header", CATALOG_HEADER_MAX_BYTES, &hdr,
        &hdrlen)) != 0) {
        goto done;
    }
    if (!catalog_id_valid(doc) || !catalog_id_valid(reader) || hdrlen == 0) {
        rc = storage_fail(STORAGE_EINVAL, "bad grant record");
        goto done;
    }
    if ((st = catalog_stmt(r->c, sql_st_grant)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 4, created);
    (void)sqlite3_bind_blob(st, 5, hdr, (int)hdrlen, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 6, dig, DIGEST_BYTES, SQLITE_STATIC);
    rc = catalog_step_done(r->c, st, "stage grant");
done:
    free(hdr);
    return (rc);
}

/* Stage an opposition record. */
static int
stage_opposition(struct reidx *r, const struct record *rec,
    const uint8_t dig[DIGEST_BYTES])
{
    char vault[CATALOG_ID_BUFLEN], siret[CATALOG_SIRET_BUFLEN];
    int64_t since;
    sqlite3_stmt *st;
    int rc;

    if ((rc = record_get_text(rec, "vault", vault, sizeof(vault))) != 0 ||
        (rc = record_get_text(rec, "siret", siret, sizeof(siret))) != 0 ||
        (rc = record_get_int(rec, "since", &since)) != 0) {
        return (rc);
    }
    if (!catalog_id_valid(vault) || siret[0] == '\0') {
        return (storage_fail(STORAGE_EINVAL, "bad opposition record"));
    }
    if ((st = catalog_stmt(r->c, sql_st_opp)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, siret, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 3, since);
    (void)sqlite3_bind_blob(st, 4, dig, DIGEST_BYTES, SQLITE_STATIC);
    return (catalog_step_done(r->c, st, "stage opposition"));
}

/* Apply one record object (by its type) to the index being built. */
static int
reindex_one(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{
    struct reidx *r = cookie;
    struct catalog_account a;
    struct record rec;
    char hex[DIGEST_ID_BUFLEN], key[CATALOG_KEY_BUFLEN];
    char value[CATALOG_VALUE_BUFLEN];
    uint8_t target[DIGEST_BYTES];
    const char *s;
    size_t slen;
    uint8_t *buf;
    size_t len;
    int64_t rev, at;
    sqlite3_stmt *st;
    int rc;

    (void)size;
    (void)mtime;
    r->rep->records++;
    digest_id_format(id, hex);
    if ((rc = blobstore_read_all(r->records, id, RECORD_MAX_BYTES, &buf,
        &len)) != 0) {
        say(r->out, "skip %s: %s (%s)", hex, storage_strerror(rc),
            storage_detail());
        r->skipped++;
        return (0);
    }
    rc = record_parse(buf, len, &rec);
    free(buf);
    if (rc != 0) {
        goto skip;
    }
    if (strcmp(rec.type, "account/1") == 0) {
        if ((rc = catalog_account_from_record(&rec, &a, &rev)) == 0) {
            rc = catalog_row_account(r->c, &a, -rev);
        }
    } else if (strcmp(rec.type, "document/1") == 0) {
        rc = stage_document(r, &rec, id);
    } else if (strcmp(rec.type, "grant/1") == 0) {
        rc = stage_grant(r, &rec, id);
    } else if (strcmp(rec.type, "opposition/1") == 0) {
        rc = stage_opposition(r, &rec, id);
    } else if (strcmp(rec.type, "setting/1") == 0) {
        if ((rc = record_get_text(&rec, "key", key, sizeof(key))) == 0 &&
            (rc = record_get_text(&rec, "value", value,
            sizeof(value))) == 0 &&
            (rc = record_get_int(&rec, "rev", &rev)) == 0) {
            /* A lower revision loses (positive return): not an error. */
            rc = catalog_row_setting(r->c, key, value, rev);
            rc = rc == CATALOG_ERACE ? 0 : rc;
        }
    } else if (strcmp(rec.type, "tombstone/1") == 0) {
        if ((rc = record_get_str(&rec, "record", &s, &slen)) == 0 &&
            (rc = record_get_int(&rec, "at", &at)) == 0) {
            if (digest_id_parse(s, slen, target) != 0) {
                rc = storage_fail(STORAGE_EINVAL, "bad tombstone");
            } else if ((st = catalog_stmt(r->c, sql_tomb)) == NULL) {
                rc = STORAGE_EIO;
            } else {
                (void)sqlite3_bind_blob(st, 1, target, DIGEST_BYTES,
                    SQLITE_STATIC);
                (void)sqlite3_bind_int64(st, 2, at);
                rc = catalog_step_done(r->c, st, "stage tombstone");
            }
        }
    } else {
        rc = storage_fail(STORAGE_EINVAL, "unknown record type");
    }
    record_clear(&rec);
    if (rc == 0) {
        return (0);
    }
    if (rc == STORAGE_EIO || rc == STORAGE_ENOSPC || rc == STORAGE_ENOMEM) {
        /* The new index itself is failing: stop. */
        return (rc);
    }
skip:
    record_clear(&rec);
    say(r->out, "skip %s: %s (%s)", hex, storage_strerror(rc),
        storage_detail());
    r->skipped++;
    return (0);
}

/* Copy the audit chains of the old index, if it can still be read. */
static void
copy_audit(struct catalog_conn *c, const char *oldpath, FILE *out)
{
    sqlite3_stmt *st;
    int rc;

    if (access(oldpath, R_OK) != 0) {
        say(out, "no previous index: audit chains start afresh");
        return;
    }
    if ((rc = sqlite3_prepare_v2(c->db, "ATTACH ?1 AS old", -1, &st,
        NULL)) != SQLITE_OK) {
        say(out, "previous index not attached: %s", sqlite3_errmsg(c->db));
        return;
    }
    (void)sqlite3_bind_text(st, 1, oldpath, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    (void)sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        say(out, "previous index not attached: %s", sqlite3_errmsg(c->db));
        return;
    }
    if (sqlite3_exec(c->db, sql_copy_audit, NULL, NULL, NULL) != SQLITE_OK) {
        say(out, "audit chains of the previous index lost: %s",
            sqlite3_errmsg(c->db));
    } else {
        say(out, "audit chains kept from the previous index");
    }
    (void)sqlite3_exec(c->db, "DETACH old", NULL, NULL, NULL);
}

/* Remove ${path} and its -wal/-shm companions. */
static void
unlink_db(const char *path)
{
    char p[MAINT_PATH_MAX + 8];

    (void)unlink(path);
    (void)snprintf(p, sizeof(p), "%s-wal", path);
    (void)unlink(p);
    (void)snprintf(p, sizeof(p), "%s-shm", path);
    (void)unlink(p);
}

/* fsync the directory ${dir}. */
static int
fsync_dir(const char *dir)
{
    int fd;
    int rc = 0;

    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        return (storage_errno(errno, "open data directory"));
    }
    if (fsync(fd) != 0) {
        rc = storage_errno(errno, "fsync data directory");
    }
    (void)close(fd);
    return (rc);
}

/* Checkpoint the old index into its main file so that it can be renamed
 * alone (its WAL merged). */
static void
checkpoint_old(const char *path)
{
    sqlite3 *db;

    if (access(path, F_OK) != 0) {
        return;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
        SQLITE_OK) {
        (void)sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
            NULL);
    }
    (void)sqlite3_close(db);
}

/* Build the new index at ${newpath} from the records. */
static int
build_index(const char *datadir, const char *newpath, const char *oldpath,
    FILE *out, struct maint_report *rep)
{
    struct reidx r;
    char detail[CATALOG_DETAIL_BUFLEN];
    int rc;

    memset(&r, 0, sizeof(r));
    r.out = out;
    r.rep = rep;
    if ((rc = blobstore_open_ns(datadir, "records", &r.records)) != 0) {
        return (rc);
    }
    if ((rc = catalog_conn_open(newpath, &r.c)) != 0) {
        goto err0;
    }
    if ((rc = catalog_migrate(r.c, CATALOG_SCHEMA_VERSION)) != 0) {
        goto err1;
    }
    copy_audit(r.c, oldpath, out);
    if ((rc = catalog_exec(r.c, sql_stage)) != 0 ||
        (rc = catalog_exec(r.c, "BEGIN IMMEDIATE;"
        "PRAGMA defer_foreign_keys = ON")) != 0) {
        goto err1;
    }
    if ((rc = blobstore_iterate(r.records, reindex_one, &r)) != 0 ||
        (rc = catalog_exec(r.c, sql_apply)) != 0) {
        goto err2;
    }
    rep->documents = (uint64_t)count(r.c, sql_count_docs);
    rep->grants = (uint64_t)count(r.c, sql_count_grants);
    rep->accounts = (uint64_t)count(r.c, sql_count_accts);
    (void)snprintf(detail, sizeof(detail),
        "records %" PRIu64 " skipped %" PRIu64 " accounts %" PRIu64
        " documents %" PRIu64 " grants %" PRIu64, rep->records, r.skipped,
        rep->accounts, rep->documents, rep->grants);
    if ((rc = catalog_audit_conn(r.c, CATALOG_CHAIN_OPERATOR,
        CATALOG_ACTOR_OPERATOR, "reindex", "", detail,
        (int64_t)time(NULL))) != 0 ||
        (rc = catalog_exec(r.c, "COMMIT")) != 0) {
        goto err2;
    }
    say(out, "reindex: %s", detail);
    catalog_conn_close(r.c);
    blobstore_close(r.records);
    return (0);

err2:
    (void)sqlite3_exec(r.c->db, "ROLLBACK", NULL, NULL, NULL);
err1:
    catalog_conn_close(r.c);
err0:
    blobstore_close(r.records);
    return (rc);
}

int
maint_reindex(const char *datadir, FILE *out, struct maint_report *rep)
{
    char cur[MAINT_PATH_MAX], newp[MAINT_PATH_MAX], oldp[MAINT_PATH_MAX];
    int rc;

    memset(rep, 0, sizeof(*rep));
    storage_clear_detail();
    if ((rc = path_join(cur, sizeof(cur), datadir, "index.sqlite")) != 0 ||
        (rc = path_join(newp, sizeof(newp), datadir,
        "index.sqlite.new")) != 0 ||
        (rc = path_join(oldp, sizeof(oldp), datadir,
        "index.sqlite.old")) != 0) {
        return (rc);
    }
    unlink_db(newp);
    checkpoint_old(cur);
    if ((rc = build_index(datadir, newp, cur, out, rep)) != 0) {
        unlink_db(newp);
        return (rc);
    }
    /* The new index is complete and closed (its WAL merged): swap. */
    if (access(cur, F_OK) == 0) {
        unlink_db(oldp);
        if (rename(cur, oldp) != 0) {
            return (storage_errno(errno, "rename old index"));
        }
        unlink_db(cur);
        say(out, "previous index kept as %s", oldp);
    }
    if (rename(newp, cur) != 0) {
        return (storage_errno(errno, "rename new index"));
    }
    return (fsync_dir(datadir));
}

/* Re-hash object ${id} of ${bs}: 0 if intact, STORAGE_ECORRUPT if not. */
static int
rehash(struct blobstore *bs, const uint8_t id[DIGEST_BYTES])
{
    uint8_t got[DIGEST_BYTES];
    struct digest *d;
    uint64_t size;
    uint8_t *buf;
    ssize_t r;
    int fd;
    int rc;

    if ((rc = blobstore_open_read(bs, id, &fd, &size)) != 0) {
        return (rc);
    }
    if ((buf = malloc(MAINT_READ_CHUNK)) == NULL ||
        (d = digest_new()) == NULL) {
        free(buf);
        (void)close(fd);
        return (storage_fail(STORAGE_ENOMEM, "malloc"));
    }
    while ((r = read(fd, buf, MAINT_READ_CHUNK)) != 0) {
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = storage_errno(errno, "read");
            break;
        }
        digest_update(d, buf, (size_t)r);
    }
    if (rc == 0) {
        digest_final(d, got);
        if (!secmem_eq(got, id, DIGEST_BYTES)) {
            rc = storage_fail(STORAGE_ECORRUPT, "content does not match");
        }
    }
    digest_free(d);
    free(buf);
    (void)close(fd);
    return (rc);
}

struct scrub {
    struct catalog *cat;
    struct catalog_conn *c;
    struct blobstore *bs;
    const char *what;
    int quarantine;
    FILE *out;
    struct maint_report *rep;
    int failed;
};

/*
 * Print each row of ${sql} that uses ${id}, after ${label}: one text
 * column, or two (${pair}) printed as "A to B".  Return the row count.
 */
static int
print_rows(struct scrub *s, const char *sql, const char *label, int pair,
    const uint8_t id[DIGEST_BYTES])
{
    sqlite3_stmt *st;
    int n = 0;

    if ((st = catalog_stmt(s->c, sql)) == NULL) {
        return (0);
    }
    (void)sqlite3_bind_blob(st, 1, id, DIGEST_BYTES, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (pair) {
            say(s->out, "  %s %s to %s", label, sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1));
        } else {
            say(s->out, "  %s %s", label, sqlite3_column_text(st, 0));
        }
        n++;
    }
    (void)sqlite3_reset(st);
    return (n);
}

/*
 * Print what uses object ${id}: the documents whose payload it is, or, for
 * a record, the document, grant or opposition it stores.
 */
static void
print_refs(struct scrub *s, const uint8_t id[DIGEST_BYTES])
{

    if (strcmp(s->what, "record") != 0) {
        (void)print_rows(s, sql_doc_refs, "used by document", 0, id);
        return;
    }
    if (print_rows(s, sql_rec_docs, "record of document", 0, id) +
        print_rows(s, sql_rec_grants, "record of the grant of document", 1,
        id) + print_rows(s, sql_rec_opps, "record of the opposition of "
        "vault", 1, id) == 0) {
        say(s->out, "  not the record of a document, grant or opposition "
            "(an account, setting or tombstone record)");
    }
}

/* Check one object of the store being scrubbed. */
static int
scrub_one(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{
    struct scrub *s = cookie;
    char hex[DIGEST_ID_BUFLEN];
    int rc;

    (void)size;
    (void)mtime;
    s->rep->objects++;
    if ((rc = rehash(s->bs, id)) == 0 || rc == STORAGE_ENOTFOUND) {
        return (0);     /* intact, or removed meanwhile (gc) */
    }
    digest_id_format(id, hex);
    if (rc != STORAGE_ECORRUPT) {
        say(s->out, "unreadable %s %s: %s", s->what, hex, storage_detail());
        s->failed = 1;
        return (0);
    }
    s->rep->corrupt++;
    say(s->out, "corrupt %s %s", s->what, hex);
    print_refs(s, id);
    if (s->quarantine) {
        if ((rc = blobstore_quarantine(s->bs, id)) == 0) {
            s->rep->quarantined++;
            say(s->out, "  moved to quarantine");
        } else {
            say(s->out, "  quarantine failed: %s", storage_detail());
        }
    }
    return (0);
}

/* Report every id of ${sql} missing from ${bs}. */
static int
scrub_missing(struct scrub *s, struct blobstore *bs, const char *sql,
    const char *what)
{
    char hex[DIGEST_ID_BUFLEN];
    uint8_t id[DIGEST_BYTES];
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(s->c, sql)) == NULL) {
        return (STORAGE_EIO);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != DIGEST_BYTES) {
            continue;
        }
        memcpy(id, sqlite3_column_blob(st, 0), DIGEST_BYTES);
        if (blobstore_exists(bs, id) == STORAGE_ENOTFOUND) {
            s->rep->missing++;
            digest_id_format(id, hex);
            say(s->out, "missing %s %s", what, hex);
            s->what = what;
            print_refs(s, id);
        }
    }
    (void)sqlite3_reset(st);
    return (rc == SQLITE_DONE ? 0 : catalog_sqlerr(s->c, rc, "scrub"));
}

/* SQLite's own checks of the index file: report every line not "ok". */
static int
scrub_index(struct scrub *s)
{
    sqlite3_stmt *st;
    const unsigned char *t;
    int rc;

    if ((st = catalog_stmt(s->c, sql_quick_check)) == NULL) {
        s->rep->index_errors++;
        say(s->out, "index: cannot be checked: %s", storage_detail());
        return (0);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        t = sqlite3_column_text(st, 0);
        if (t != NULL && strcmp((const char *)t, "ok") == 0) {
            continue;
        }
        s->rep->index_errors++;
        say(s->out, "index: %s", t != NULL ? (const char *)t : "?");
    }
    (void)sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        s->rep->index_errors++;
        say(s->out, "index: check failed: %s", sqlite3_errstr(rc));
    }
    if (s->rep->index_errors > 0) {
        say(s->out, "index: damaged; rebuild it with coffred reindex");
    }
    return (0);
}

/* Verify every audit chain of the index. */
static int
scrub_chains(struct scrub *s)
{
    char chain[128];
    sqlite3_stmt *st;
    const unsigned char *t;
    uint64_t bad;
    int rc, r;

    if ((st = catalog_stmt(s->c, sql_chains)) == NULL) {
        return (STORAGE_EIO);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        t = sqlite3_column_text(st, 0);
        if (t == NULL || strlen((const char *)t) >= sizeof(chain)) {
            say(s->out, "audit chain with a malformed name");
            s->failed = 1;
            continue;
        }
        strcpy(chain, (const char *)t);
        s->rep->chains++;
        bad = 0;
        if ((r = catalog_audit_verify(s->cat, chain, &bad)) ==
            STORAGE_ECORRUPT) {
            s->rep->broken++;
            say(s->out, "broken audit chain %s at entry %" PRIu64, chain,
                bad);
        } else if (r != 0) {
            say(s->out, "audit chain %s unreadable: %s", chain,
                storage_detail());
            s->failed = 1;
        }
    }
    (void)sqlite3_reset(st);
    return (rc == SQLITE_DONE ? 0 : catalog_sqlerr(s->c, rc, "scrub"));
}

int
maint_scrub(const char *datadir, int quarantine, FILE *out,
    struct maint_report *rep)
{
    struct blobstore *objects = NULL, *records = NULL;
    struct catalog_conn *c = NULL;
    struct catalog *cat = NULL;
    char detail[CATALOG_DETAIL_BUFLEN];
    struct scrub s;
    int rc;

    memset(rep, 0, sizeof(*rep));
    storage_clear_detail();
    if ((rc = catalog_open(datadir, &cat)) != 0 ||
        (rc = blobstore_open(datadir, &objects)) != 0 ||
        (rc = blobstore_open_ns(datadir, "records", &records)) != 0 ||
        (rc = catalog_reader(cat, &c)) != 0) {
        goto done;
    }
    memset(&s, 0, sizeof(s));
    s.cat = cat;
    s.c = c;
    s.quarantine = quarantine;
    s.out = out;
    s.rep = rep;
    (void)scrub_index(&s);
    s.bs = objects;
    s.what = "object";
    if ((rc = blobstore_iterate(objects, scrub_one, &s)) != 0) {
        goto done;
    }
    s.bs = records;
    s.what = "record";
    if ((rc = blobstore_iterate(records, scrub_one, &s)) != 0) {
        goto done;
    }
    s.bs = objects;
    if ((rc = scrub_missing(&s, objects, sql_all_blobs, "object")) != 0 ||
        (rc = scrub_missing(&s, records, sql_all_records, "record")) != 0 ||
        (rc = scrub_chains(&s)) != 0) {
        goto done;
    }
    catalog_reader_put(cat, c);
    c = NULL;
    (void)snprintf(detail, sizeof(detail), "objects %" PRIu64
        " corrupt %" PRIu64 " missing %" PRIu64 " quarantined %" PRIu64
        " chains %" PRIu64 " broken %" PRIu64 " index %s",
        rep->objects, rep->corrupt, rep->missing, rep->quarantined,
        rep->chains, rep->broken, rep->index_errors > 0 ? "damaged" : "ok");
    say(out, "scrub: %s", detail);
    if ((rc = catalog_audit_append(cat, CATALOG_CHAIN_OPERATOR,
        CATALOG_ACTOR_OPERATOR, "scrub", "", detail)) != 0) {
        goto done;
    }
    if (rep->corrupt > 0 || rep->missing > 0 || rep->broken > 0 ||
        rep->index_errors > 0 || s.failed) {
        rc = storage_fail(STORAGE_ECORRUPT, "%s", detail);
    }
done:
    if (c != NULL) {
        catalog_reader_put(cat, c);
    }
    blobstore_close(records);
    blobstore_close(objects);
    catalog_close(cat);
    return (rc);
}

struct gc {
    struct catalog_conn *c;
    struct blobstore *bs;
    int64_t now, grace;
    int apply;
    FILE *out;
    struct maint_report *rep;
};

/* Is ${id} referenced by a live document? 1 yes, 0 no, <0 error. */
static int
gc_live(struct gc *g, const uint8_t id[DIGEST_BYTES])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(g->c, sql_blob_live)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, id, DIGEST_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st);
    (void)sqlite3_reset(st);
    if (rc == SQLITE_ROW) {
        return (1);
    }
    return (rc == SQLITE_DONE ? 0 : catalog_sqlerr(g->c, rc, "gc"));
}

static int
gc_one(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{
    struct gc *g = cookie;
    char hex[DIGEST_ID_BUFLEN];
    int64_t t;
    int rc;

    g->rep->objects++;
    if ((rc = gc_live(g, id)) != 0) {
        return (rc < 0 ? rc : 0);
    }
    if (g->now - mtime < g->grace) {
        g->rep->young++;
        return (0);
    }
    g->rep->unreferenced++;
    g->rep->bytes += size;
    digest_id_format(id, hex);
    say(g->out, "%s %s %" PRIu64, g->apply ? "remove" : "would remove", hex,
        size);
    if (!g->apply) {
        return (0);
    }
    /* Look again right before deleting: a deposit may have just referenced
     * it, or a new upload restarted its grace. */
    if ((rc = gc_live(g, id)) != 0) {
        return (rc < 0 ? rc : 0);
    }
    if (blobstore_stat(g->bs, id, NULL, &t) != 0 || g->now - t < g->grace) {
        return (0);
    }
    if ((rc = blobstore_delete(g->bs, id)) == 0) {
        g->rep->removed++;
    } else if (rc != STORAGE_ENOTFOUND) {
        return (rc);
    }
    return (0);
}

int
maint_gc(const char *datadir, int64_t grace, int apply, FILE *out,
    struct maint_report *rep)
{
    struct catalog *cat = NULL;
    struct catalog_conn *c = NULL;
    char detail[CATALOG_DETAIL_BUFLEN];
    struct gc g;
    int rc;

    memset(rep, 0, sizeof(*rep));
    memset(&g, 0, sizeof(g));
    storage_clear_detail();
    if (grace < 0) {
        return (storage_fail(STORAGE_EINVAL, "negative grace"));
    }
    if ((rc = catalog_open(datadir, &cat)) != 0 ||
        (rc = blobstore_open(datadir, &g.bs)) != 0 ||
        (rc = catalog_reader(cat, &c)) != 0) {
        goto done;
    }
    g.c = c;
    g.now = (int64_t)time(NULL);
    g.grace = grace;
    g.apply = apply;
    g.out = out;
    g.rep = rep;
    rc = blobstore_iterate(g.bs, gc_one, &g);
    catalog_reader_put(cat, c);
    if (rc != 0) {
        goto done;
    }
    (void)snprintf(detail, sizeof(detail), "%s: objects %" PRIu64
        " unreferenced %" PRIu64 " (%" PRIu64 " bytes) removed %" PRIu64
        " within grace %" PRIu64, apply ? "apply" : "dry run", rep->objects,
        rep->unreferenced, rep->bytes, rep->removed, rep->young);
    say(out, "gc %s", detail);
    rc = catalog_audit_append(cat, CATALOG_CHAIN_OPERATOR,
        CATALOG_ACTOR_OPERATOR, "gc", "", detail);
done:
    blobstore_close(g.bs);
    catalog_close(cat);
    return (rc);
}
