/* Catalog: grants (one age header per reader) and share links. */
#include "storage/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"

#define GRANT_COLS "g.document, g.reader, g.granted_by, g.created, g.header"
static const char sql_grant_get[] =
    "SELECT " GRANT_COLS ", g.record, d.vault FROM grants g"
    " JOIN documents d ON d.id = g.document"
    " WHERE g.document = ?1 AND g.reader = ?2 AND d.state = 1";
static const char sql_grant_list[] =
    "SELECT " GRANT_COLS " FROM grants g JOIN documents d"
    " ON d.id = g.document WHERE g.document = ?1"
    " ORDER BY g.reader = d.vault DESC, g.created, g.reader";
static const char sql_grant_delete[] =
    "DELETE FROM grants WHERE document = ?1 AND reader = ?2 AND record = ?3";

static const char sql_share_insert[] =
    "INSERT INTO shares (id, token_hash, document, created_by, created,"
    " expires, uses_left, header) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
#define SHARE_COLS "s.id, s.token_hash, s.document, s.created_by," \
    " s.created, s.expires, s.uses_left, s.revoked, s.header"
static const char sql_share_find[] =
    "SELECT " SHARE_COLS ", d.vault FROM shares s JOIN documents d"
    " ON d.id = s.document WHERE s.token_hash = ?1 AND s.revoked = 0"
    " AND s.expires > ?2 AND s.uses_left != 0 AND d.state = 1";
static const char sql_share_spend[] =
    "UPDATE shares SET uses_left = uses_left - 1"
    " WHERE id = ?1 AND uses_left > 0";
static const char sql_share_get[] =
    "SELECT " SHARE_COLS ", d.vault FROM shares s JOIN documents d"
    " ON d.id = s.document WHERE s.id = ?1";
static const char sql_share_revoke[] =
    "UPDATE shares SET revoked = 1 WHERE id = ?1 AND revoked = 0";
static const char sql_share_list[] =
    "SELECT " SHARE_COLS " FROM shares s WHERE s.document = ?1"
    " ORDER BY s.created, s.id";

/* ---- grants ---- */

void
catalog_grant_clear(struct catalog_grant *g)
{

    if (g == NULL) {
        return;
    }
    free(g->header);
    memset(g, 0, sizeof(*g));
}

void
catalog_grant_list_free(struct catalog_grant *v, size_t n)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        catalog_grant_clear(&v[i]);
    }
    free(v);
}

/* Fill ${g} from a GRANT_COLS row. */
static int
row_grant(sqlite3_stmt *st, struct catalog_grant *g)
{
    int rc;

    memset(g, 0, sizeof(*g));
    if ((rc = catalog_copy_col(st, 0, g->document,
        sizeof(g->document))) != 0 ||
        (rc = catalog_copy_col(st, 1, g->reader, sizeof(g->reader))) != 0 ||
        (rc = catalog_copy_col(st, 2, g->granted_by,
        sizeof(g->granted_by))) != 0) {
        return (rc);
    }
    g->created = sqlite3_column_int64(st, 3);
    return (catalog_dup_blob(st, 4, &g->header, &g->headerlen));
}

struct grant_arg {
    const char *actor, *document, *reader;
    const uint8_t *header;
    size_t headerlen;
    int64_t created;
    const uint8_t *record;
};

static int
op_grant_add(struct catalog_conn *c, void *arg)
{
    struct grant_arg *x = arg;
    char vault[CATALOG_ID_BUFLEN];
    int rc;

    if ((rc = catalog_doc_live(c, x->document, vault)) != 0 ||
        (rc = catalog_acct_exists(c, x->reader)) != 0 ||
        (rc = catalog_row_grant(c, x->document, x->reader, x->actor,
        x->created, x->header, x->headerlen, x->record)) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, vault, x->actor, "grant.add", x->document,
        x->reader, x->created));
}

int
catalog_grant_add(struct catalog *cat, const char *actor,
    const char *document, const char *reader, const uint8_t *header,
    size_t headerlen)
{
    struct grant_arg x = {actor, document, reader, header, headerlen, 0,
        NULL};
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    char nonce[CATALOG_ID_BUFLEN];
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN) ||
        header == NULL || headerlen == 0) {
        return (storage_fail(STORAGE_EINVAL, "bad grant"));
    }
    if (headerlen > CATALOG_HEADER_MAX_BYTES) {
        return (storage_fail(STORAGE_ETOOBIG, "header too big"));
    }
    if (!catalog_id_valid(document) || !catalog_id_valid(reader)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    x.created = (int64_t)time(NULL);
    catalog_id_new(nonce);
    record_init(&rec, "grant/1");
    if ((rc = record_add_cstr(&rec, "document", document)) != 0 ||
        (rc = record_add_cstr(&rec, "reader", reader)) != 0 ||
        (rc = record_add_cstr(&rec, "granted_by", actor)) != 0 ||
        (rc = record_add_int(&rec, "created", x.created)) != 0 ||
        (rc = record_add_b64(&rec, "header", header, headerlen)) != 0 ||
        (rc = record_add_cstr(&rec, "nonce", nonce)) != 0 ||
        (rc = catalog_record_put(cat, &rec, dig)) != 0) {
        record_clear(&rec);
        return (rc);
    }
    record_clear(&rec);
    x.record = dig;
    if ((rc = catalog_write(cat, op_grant_add, &x)) != 0) {
        catalog_record_drop(cat, dig);
    }
    return (rc);
}

/* Read a live grant on ${c}: row into ${out} (if not NULL), record digest
 * and the document's vault. */
static int
grant_get_conn(struct catalog_conn *c, const char *document,
    const char *reader, struct catalog_grant *out,
    uint8_t record[DIGEST_BYTES], char vault[CATALOG_ID_BUFLEN])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_grant_get)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, document, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "grant")) == 0) {
        if (sqlite3_column_bytes(st, 5) != DIGEST_BYTES) {
            rc = storage_fail(STORAGE_ECORRUPT, "bad grant row");
        } else {
            if (record != NULL) {
                memcpy(record, sqlite3_column_blob(st, 5), DIGEST_BYTES);
            }
            rc = catalog_copy_col(st, 6, vault, CATALOG_ID_BUFLEN);
            if (rc == 0 && out != NULL) {
                rc = row_grant(st, out);
            }
        }
    }
    (void)sqlite3_reset(st);
    return (rc);
}

static int
op_grant_revoke(struct catalog_conn *c, void *arg)
{
    struct grant_arg *x = arg;
    char vault[CATALOG_ID_BUFLEN];
    sqlite3_stmt *st;
    int rc;

    if ((rc = catalog_doc_live(c, x->document, vault)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_grant_delete)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, x->document, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, x->reader, -1, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 3, x->record, DIGEST_BYTES, SQLITE_STATIC);
    if ((rc = catalog_step_done(c, st, "revoke grant")) != 0) {
        return (rc);
    }
    if (sqlite3_changes(c->db) != 1) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such grant"));
    }
    return (catalog_audit_conn(c, vault, x->actor, "grant.revoke",
        x->document, x->reader, (int64_t)time(NULL)));
}

int
catalog_grant_revoke(struct catalog *cat, const char *actor,
    const char *document, const char *reader)
{
    struct grant_arg x = {actor, document, reader, NULL, 0, 0, NULL};
    char vault[CATALOG_ID_BUFLEN];
    uint8_t dig[DIGEST_BYTES], tomb[DIGEST_BYTES];
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad actor"));
    }
    if (!catalog_id_valid(document) || !catalog_id_valid(reader)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such grant"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = grant_get_conn(c, document, reader, NULL, dig, vault);
    catalog_reader_put(cat, c);
    if (rc != 0) {
        return (rc);
    }
    if (strcmp(vault, reader) == 0) {
        return (storage_fail(STORAGE_EINVAL, "the owner's grant stays"));
    }
    if ((rc = catalog_tombstone(cat, dig, (int64_t)time(NULL), tomb)) != 0) {
        return (rc);
    }
    x.record = dig;
    if ((rc = catalog_write(cat, op_grant_revoke, &x)) != 0) {
        catalog_record_drop(cat, tomb);
    }
    return (rc);
}

int
catalog_grant_get(struct catalog *cat, const char *document,
    const char *reader, struct catalog_grant *out)
{
    char vault[CATALOG_ID_BUFLEN];
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    if (!catalog_id_valid(document) || !catalog_id_valid(reader)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such grant"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = grant_get_conn(c, document, reader, out, NULL, vault);
    catalog_reader_put(cat, c);
    if (rc != 0) {
        catalog_grant_clear(out);
    }
    return (rc);
}

/* How to read and release one element of a per-document list. */
struct list_kind {
    const char *sql;            /* one parameter: the document id */
    const char *what;           /* for error details */
    size_t size;                /* bytes of one element */
    int (*row)(sqlite3_stmt *st, void *elem);
    void (*clear)(void *elem);
};

/*
 * Read every row of ${kind} for ${document} into a malloc'd array *${v} of
 * *${n} elements.  On failure nothing is returned and nothing leaks (an
 * element whose row failed half-way is cleared too).
 */
static int
list_for_document(struct catalog *cat, const struct list_kind *kind,
    const char *document, void **v, size_t *n)
{
    uint8_t *a = NULL, *na;
    struct catalog_conn *c;
    sqlite3_stmt *st = NULL;
    size_t cap = 0, k = 0, i;
    int rc;

    storage_clear_detail();
    *v = NULL;
    *n = 0;
    if (!catalog_id_valid(document)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, kind->sql)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, document, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? 2 * cap : 4;
            if ((na = realloc(a, cap * kind->size)) == NULL) {
                rc = storage_fail(STORAGE_ENOMEM, "realloc");
                goto done;
            }
            a = na;
        }
        if ((rc = kind->row(st, a + k * kind->size)) != 0) {
            kind->clear(a + k * kind->size);
            goto done;
        }
        k++;
    }
    rc = rc == SQLITE_DONE ? 0 : catalog_sqlerr(c, rc, kind->what);
done:
    if (st != NULL) {
        (void)sqlite3_reset(st);
    }
    catalog_reader_put(cat, c);
    if (rc != 0) {
        for (i = 0; i < k; i++) {
            kind->clear(a + i * kind->size);
        }
        free(a);
        return (rc);
    }
    *v = a;
    *n = k;
    return (0);
}

/* list_for_document() adapters for grants. */
static int
row_grant_any(sqlite3_stmt *st, void *elem)
{

    return (row_grant(st, elem));
}

static void
clear_grant_any(void *elem)
{

    catalog_grant_clear(elem);
}

int
catalog_grant_list(struct catalog *cat, const char *document,
    struct catalog_grant **v, size_t *n)
{
    static const struct list_kind kind = { sql_grant_list, "list grants",
        sizeof(struct catalog_grant), row_grant_any, clear_grant_any };
    void *a;
    int rc;

    rc = list_for_document(cat, &kind, document, &a, n);
    *v = a;
    return (rc);
}

/* ---- share links ---- */

void
catalog_share_clear(struct catalog_share *s)
{

    if (s == NULL) {
        return;
    }
    free(s->header);
    memset(s, 0, sizeof(*s));
}

void
catalog_share_list_free(struct catalog_share *v, size_t n)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        catalog_share_clear(&v[i]);
    }
    free(v);
}

/* Fill ${s} from a SHARE_COLS row. */
static int
row_share(sqlite3_stmt *st, struct catalog_share *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    if ((rc = catalog_copy_col(st, 0, s->id, sizeof(s->id))) != 0 ||
        (rc = catalog_copy_col(st, 2, s->document,
        sizeof(s->document))) != 0 ||
        (rc = catalog_copy_col(st, 3, s->created_by,
        sizeof(s->created_by))) != 0) {
        return (rc);
    }
    if (sqlite3_column_bytes(st, 1) != CATALOG_HASH_BYTES) {
        return (storage_fail(STORAGE_ECORRUPT, "bad share row"));
    }
    memcpy(s->token_hash, sqlite3_column_blob(st, 1), CATALOG_HASH_BYTES);
    s->created = sqlite3_column_int64(st, 4);
    s->expires = sqlite3_column_int64(st, 5);
    s->uses_left = sqlite3_column_int64(st, 6);
    s->revoked = sqlite3_column_int(st, 7);
    return (catalog_dup_blob(st, 8, &s->header, &s->headerlen));
}

struct share_arg {
    const char *actor;
    struct catalog_share *s;
    const uint8_t *token_hash;
    const char *id;
    int64_t now;
};

static int
op_share_create(struct catalog_conn *c, void *arg)
{
    struct share_arg *x = arg;
    struct catalog_share *s = x->s;
    char vault[CATALOG_ID_BUFLEN];
    sqlite3_stmt *st;
    int rc;

    if ((rc = catalog_doc_live(c, s->document, vault)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_share_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 2, s->token_hash, CATALOG_HASH_BYTES,
        SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 3, s->document, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 4, x->actor, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 5, s->created);
    (void)sqlite3_bind_int64(st, 6, s->expires);
    (void)sqlite3_bind_int64(st, 7, s->uses_left);
    (void)sqlite3_bind_blob(st, 8, s->header, (int)s->headerlen,
        SQLITE_STATIC);
    if ((rc = catalog_step_done(c, st, "insert share")) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, vault, x->actor, "share.create",
        s->document, s->id, s->created));
}

int
catalog_share_create(struct catalog *cat, const char *actor,
    struct catalog_share *share)
{
    struct share_arg x = {actor, share, NULL, NULL, 0};

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN) ||
        share->header == NULL || share->headerlen == 0 ||
        share->uses_left < -1 || share->uses_left == 0) {
        return (storage_fail(STORAGE_EINVAL, "bad share link"));
    }
    if (share->headerlen > CATALOG_HEADER_MAX_BYTES) {
        return (storage_fail(STORAGE_ETOOBIG, "header too big"));
    }
    if (!catalog_id_valid(share->document)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    catalog_id_new(share->id);
    (void)snprintf(share->created_by, sizeof(share->created_by), "%s",
        actor);
    if (share->created == 0) {
        share->created = (int64_t)time(NULL);
    }
    share->revoked = 0;
    return (catalog_write(cat, op_share_create, &x));
}

static int
op_share_use(struct catalog_conn *c, void *arg)
{
    struct share_arg *x = arg;
    char vault[CATALOG_ID_BUFLEN];
    char actor[CATALOG_ACTOR_BUFLEN];
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_share_find)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, x->token_hash, CATALOG_HASH_BYTES,
        SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 2, x->now);
    if ((rc = catalog_step_row(c, st, "share link")) != 0) {
        return (rc);
    }
    if ((rc = row_share(st, x->s)) != 0 ||
        (rc = catalog_copy_col(st, 9, vault, sizeof(vault))) != 0) {
        (void)sqlite3_reset(st);
        return (rc);
    }
    (void)sqlite3_reset(st);
    if (x->s->uses_left > 0) {
        if ((rc = catalog_run_id(c, sql_share_spend, x->s->id)) != 0) {
            return (rc);
        }
        x->s->uses_left--;
    }
    (void)snprintf(actor, sizeof(actor), "share:%s", x->s->id);
    return (catalog_audit_conn(c, vault, actor, "share.use", x->s->document,
        x->s->id, x->now));
}

int
catalog_share_use(struct catalog *cat,
    const uint8_t token_hash[CATALOG_HASH_BYTES], int64_t now,
    struct catalog_share *out)
{
    struct share_arg x = {NULL, out, token_hash, NULL, now};
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    if ((rc = catalog_write(cat, op_share_use, &x)) != 0) {
        catalog_share_clear(out);
    }
    return (rc);
}

/* Read share ${id} and its document's vault on ${c}. */
static int
share_get_conn(struct catalog_conn *c, const char *id,
    struct catalog_share *out, char vault[CATALOG_ID_BUFLEN])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_share_get)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "share link")) == 0) {
        if ((rc = row_share(st, out)) == 0) {
            rc = catalog_copy_col(st, 9, vault, CATALOG_ID_BUFLEN);
        }
    }
    (void)sqlite3_reset(st);
    return (rc);
}

static int
op_share_revoke(struct catalog_conn *c, void *arg)
{
    struct share_arg *x = arg;
    struct catalog_share s;
    char vault[CATALOG_ID_BUFLEN];
    int rc;

    rc = share_get_conn(c, x->id, &s, vault);
    catalog_share_clear(&s);
    if (rc != 0 || (rc = catalog_run_id(c, sql_share_revoke, x->id)) != 0) {
        return (rc);
    }
    if (sqlite3_changes(c->db) != 1) {
        return (storage_fail(STORAGE_ENOTFOUND, "share already revoked"));
    }
    return (catalog_audit_conn(c, vault, x->actor, "share.revoke", x->id,
        "", (int64_t)time(NULL)));
}

int
catalog_share_revoke(struct catalog *cat, const char *actor, const char *id)
{
    struct share_arg x = {actor, NULL, NULL, id, 0};

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad actor"));
    }
    if (!catalog_id_valid(id)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such share link"));
    }
    return (catalog_write(cat, op_share_revoke, &x));
}

int
catalog_share_get(struct catalog *cat, const char *id,
    struct catalog_share *out)
{
    char vault[CATALOG_ID_BUFLEN];
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    if (!catalog_id_valid(id)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such share link"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((rc = share_get_conn(c, id, out, vault)) != 0) {
        catalog_share_clear(out);
    }
    catalog_reader_put(cat, c);
    return (rc);
}

/* list_for_document() adapters for share links. */
static int
row_share_any(sqlite3_stmt *st, void *elem)
{

    return (row_share(st, elem));
}

static void
clear_share_any(void *elem)
{

    catalog_share_clear(elem);
}

int
catalog_share_list(struct catalog *cat, const char *document,
    struct catalog_share **v, size_t *n)
{
    static const struct list_kind kind = { sql_share_list, "list shares",
        sizeof(struct catalog_share), row_share_any, clear_share_any };
    void *a;
    int rc;

    rc = list_for_document(cat, &kind, document, &a, n);
    *v = a;
    return (rc);
}
