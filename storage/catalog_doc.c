/* Catalog: documents, grants, share links. */
#include "storage/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"

#define DOC_COLS "d.id, d.vault, d.depositor, d.class, d.blob, d.size," \
    " d.created, d.meta, d.signature, d.receipt, d.idem_key, d.state," \
    " d.deleted"

static const char sql_doc_insert[] =
    "INSERT INTO documents (id, vault, depositor, class, blob, size,"
    " created, meta, signature, receipt, idem_key, state, record)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12)";
static const char sql_doc_get[] =
    "SELECT " DOC_COLS ", d.record FROM documents d WHERE d.id = ?1";
/* A live document with one reader's grant and both accounts: one read. */
#define VIEW_ACCT_COLS(a) a ".id, " a ".kind, " a ".vault, " a ".siret, " \
    a ".name, " a ".age_recipient, " a ".minisign_key, " a ".state, " \
    a ".created, " a ".rev"
#define VIEW_GRANT 13
#define VIEW_OWNER 16
#define VIEW_DEPOSITOR (VIEW_OWNER + CATALOG_ACCT_NCOLS)
static const char sql_doc_view[] =
    "SELECT " DOC_COLS ", g.granted_by, g.created, g.header, "
    VIEW_ACCT_COLS("o") ", " VIEW_ACCT_COLS("p") " FROM documents d"
    " JOIN grants g ON g.document = d.id AND g.reader = ?2"
    " JOIN accounts o ON o.id = d.vault"
    " LEFT JOIN accounts p ON p.id = d.depositor"
    " WHERE d.id = ?1 AND d.state = 1";
static const char sql_doc_live[] =
    "SELECT vault FROM documents WHERE id = ?1 AND state = 1";
static const char sql_doc_list_vault[] =
    "SELECT " DOC_COLS " FROM documents d WHERE d.vault = ?1"
    " AND (?2 IS NULL OR d.class = ?2) AND (?3 = 0 OR d.created >= ?3)"
    " AND (?4 = 0 OR d.created < ?4)"
    " AND (?5 IS NULL OR d.created < ?5 OR (d.created = ?5 AND d.id < ?6))"
    " AND (?7 OR d.state = 1)"
    " ORDER BY d.created DESC, d.id DESC LIMIT ?8";
static const char sql_doc_list_reader[] =
    "SELECT " DOC_COLS " FROM grants g JOIN documents d"
    " ON d.id = g.document WHERE g.reader = ?1 AND d.vault <> ?1"
    " AND d.state = 1"
    " AND (?2 IS NULL OR d.class = ?2) AND (?3 = 0 OR d.created >= ?3)"
    " AND (?4 = 0 OR d.created < ?4)"
    " AND (?5 IS NULL OR d.created < ?5 OR (d.created = ?5 AND d.id < ?6))"
    " AND (?7 OR 1)"
    " ORDER BY d.created DESC, d.id DESC LIMIT ?8";
static const char sql_doc_delete[] =
    "UPDATE documents SET state = 2, deleted = ?2"
    " WHERE id = ?1 AND state = 1";
static const char sql_doc_del_grants[] =
    "DELETE FROM grants WHERE document = ?1";
static const char sql_doc_del_shares[] =
    "DELETE FROM shares WHERE document = ?1";
static const char sql_doc_del_idem[] =
    "DELETE FROM idem WHERE document = ?1";
static const char sql_idem_get[] =
    "SELECT document FROM idem WHERE depositor = ?1 AND key = ?2";
static const char sql_idem_insert[] =
    "INSERT INTO idem (depositor, key, document) VALUES (?1, ?2, ?3)";
static const char sql_blob_readable[] =
    "SELECT 1 FROM grants g JOIN documents d ON d.id = g.document"
    " WHERE g.reader = ?1 AND d.blob = ?2 AND d.state = 1 LIMIT 1";
static const char sql_blob_ref[] =
    "SELECT 1 FROM documents WHERE blob = ?1 AND (?2 OR state = 1) LIMIT 1";

static const char sql_grant_insert[] =
    "INSERT INTO grants (document, reader, granted_by, created, header,"
    " record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* 0 and the vault of live document ${id}, or STORAGE_ENOTFOUND. */
int
catalog_doc_live(struct catalog_conn *c, const char *id,
    char vault[CATALOG_ID_BUFLEN])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_doc_live)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "document")) == 0) {
        rc = catalog_copy_col(st, 0, vault, CATALOG_ID_BUFLEN);
    }
    (void)sqlite3_reset(st);
    return (rc);
}

/* Look up an idempotency key on ${c}. */
static int
idem_conn(struct catalog_conn *c, const char *depositor, const char *key,
    char id[CATALOG_ID_BUFLEN])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_idem_get)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, depositor, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "idempotency key")) == 0) {
        rc = catalog_copy_col(st, 0, id, CATALOG_ID_BUFLEN);
    }
    (void)sqlite3_reset(st);
    return (rc);
}

int
catalog_row_document(struct catalog_conn *c,
    const struct catalog_deposit *in, const char *id, int64_t created,
    const uint8_t record[DIGEST_BYTES])
{
    sqlite3_stmt *st;

    if ((st = catalog_stmt(c, sql_doc_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, in->vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 3, in->depositor, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 4, in->doc_class, -1, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 5, in->blob, DIGEST_BYTES, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 6, (sqlite3_int64)in->size);
    (void)sqlite3_bind_int64(st, 7, created);
    (void)sqlite3_bind_blob(st, 8, in->metalen ? (const void *)in->meta : "",
        (int)in->metalen, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 9, in->signature, -1, SQLITE_STATIC);
    if (in->receipt != NULL && in->receiptlen > 0) {
        (void)sqlite3_bind_blob(st, 10, in->receipt, (int)in->receiptlen,
            SQLITE_STATIC);
    }
    if (in->idem_key != NULL && in->idem_key[0] != '\0') {
        (void)sqlite3_bind_text(st, 11, in->idem_key, -1, SQLITE_STATIC);
    }
    (void)sqlite3_bind_blob(st, 12, record, DIGEST_BYTES, SQLITE_STATIC);
    return (catalog_step_done(c, st, "insert document"));
}

int
catalog_row_grant(struct catalog_conn *c, const char *document,
    const char *reader, const char *granted_by, int64_t created,
    const uint8_t *header, size_t headerlen,
    const uint8_t record[DIGEST_BYTES])
{
    sqlite3_stmt *st;

    if ((st = catalog_stmt(c, sql_grant_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, document, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 3, granted_by, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 4, created);
    (void)sqlite3_bind_blob(st, 5, header, (int)headerlen, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 6, record, DIGEST_BYTES, SQLITE_STATIC);
    return (catalog_step_done(c, st, "insert grant"));
}

int
catalog_document_record(const struct catalog_deposit *in, const char *id,
    int64_t created, struct record *rec)
{
    char blob[DIGEST_ID_BUFLEN];
    int rc;

    digest_id_format(in->blob, blob);
    record_init(rec, "document/1");
    if ((rc = record_add_cstr(rec, "id", id)) != 0 ||
        (rc = record_add_cstr(rec, "vault", in->vault)) != 0 ||
        (rc = record_add_cstr(rec, "depositor", in->depositor)) != 0 ||
        (rc = record_add_cstr(rec, "class", in->doc_class)) != 0 ||
        (rc = record_add_cstr(rec, "blob", blob)) != 0 ||
        (rc = record_add_int(rec, "size", (int64_t)in->size)) != 0 ||
        (rc = record_add_int(rec, "created", created)) != 0 ||
        (rc = record_add_b64(rec, "meta", in->meta, in->metalen)) != 0 ||
        (rc = record_add_cstr(rec, "signature", in->signature)) != 0 ||
        (rc = record_add_b64(rec, "receipt", in->receipt,
        in->receipt != NULL ? in->receiptlen : 0)) != 0 ||
        (rc = record_add_cstr(rec, "idem_key",
        in->idem_key != NULL ? in->idem_key : "")) != 0 ||
        (rc = record_add_b64(rec, "owner_header", in->owner_header,
        in->owner_headerlen)) != 0) {
        record_clear(rec);
    }
    return (rc);
}

/* Check a deposit's fields. */
static int
deposit_valid(const struct catalog_deposit *in)
{

    if (!catalog_id_valid(in->vault) || !catalog_id_valid(in->depositor) ||
        !catalog_text_ok(in->doc_class, CATALOG_CLASS_BUFLEN) ||
        in->doc_class[0] == '\0' ||
        in->signature == NULL || in->owner_header == NULL ||
        in->owner_headerlen == 0 || (in->meta == NULL && in->metalen > 0) ||
        (in->idem_key != NULL &&
        !catalog_text_ok(in->idem_key, CATALOG_IDEM_BUFLEN)) ||
        in->size > INT64_MAX) {
        return (storage_fail(STORAGE_EINVAL, "bad deposit"));
    }
    if (in->metalen > CATALOG_META_MAX_BYTES ||
        strnlen(in->signature, CATALOG_SIGNATURE_MAX_BYTES) >=
        CATALOG_SIGNATURE_MAX_BYTES ||
        (in->receipt != NULL && in->receiptlen > CATALOG_RECEIPT_MAX_BYTES) ||
        in->owner_headerlen > CATALOG_HEADER_MAX_BYTES) {
        return (storage_fail(STORAGE_ETOOBIG, "deposit field too big"));
    }
    return (0);
}

struct doc_arg {
    const struct catalog_deposit *in;
    const char *id;
    int64_t created;
    const uint8_t *record;
    char existing[CATALOG_ID_BUFLEN];
};

/* Write op: document, owner's grant, idempotency key, audit entry. */
static int
op_doc_insert(struct catalog_conn *c, void *arg)
{
    struct doc_arg *x = arg;
    const struct catalog_deposit *in = x->in;
    int has_idem = in->idem_key != NULL && in->idem_key[0] != '\0';
    sqlite3_stmt *st;
    int rc;

    if ((rc = catalog_acct_exists(c, in->vault)) != 0 ||
        (rc = catalog_acct_exists(c, in->depositor)) != 0) {
        return (rc);
    }
    if (has_idem) {
        rc = idem_conn(c, in->depositor, in->idem_key, x->existing);
        if (rc == 0) {
            return (storage_fail(STORAGE_EEXIST, "idempotency key used"));
        } else if (rc != STORAGE_ENOTFOUND) {
            return (rc);
        }
    }
    if ((rc = catalog_row_document(c, in, x->id, x->created,
        x->record)) != 0 ||
        (rc = catalog_row_grant(c, x->id, in->vault, in->depositor,
        x->created, in->owner_header, in->owner_headerlen, x->record)) != 0) {
        return (rc);
    }
    if (has_idem) {
        if ((st = catalog_stmt(c, sql_idem_insert)) == NULL) {
            return (STORAGE_EIO);
        }
        (void)sqlite3_bind_text(st, 1, in->depositor, -1, SQLITE_STATIC);
        (void)sqlite3_bind_text(st, 2, in->idem_key, -1, SQLITE_STATIC);
        (void)sqlite3_bind_text(st, 3, x->id, -1, SQLITE_STATIC);
        if ((rc = catalog_step_done(c, st, "insert idempotency key")) != 0) {
            return (rc);
        }
    }
    return (catalog_audit_conn(c, in->vault, in->depositor,
        "document.deposit", x->id, in->doc_class, (int64_t)time(NULL)));
}

int
catalog_document_insert(struct catalog *cat,
    const struct catalog_deposit *in, char id[CATALOG_ID_BUFLEN])
{
    struct doc_arg x;
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    char newid[CATALOG_ID_BUFLEN];
    int rc;

    storage_clear_detail();
    id[0] = '\0';
    if ((rc = deposit_valid(in)) != 0) {
        return (rc);
    }
    if (in->id[0] == '\0') {
        catalog_id_new(newid);
    } else if (catalog_id_valid(in->id)) {
        memcpy(newid, in->id, CATALOG_ID_BUFLEN);
    } else {
        return (storage_fail(STORAGE_EINVAL, "bad document id"));
    }
    memset(&x, 0, sizeof(x));
    x.in = in;
    x.id = newid;
    x.created = in->created != 0 ? in->created : (int64_t)time(NULL);
    /* A retry under a known key costs no record object. */
    if (in->idem_key != NULL && in->idem_key[0] != '\0' &&
        catalog_idem_get(cat, in->depositor, in->idem_key, id) == 0) {
        return (storage_fail(STORAGE_EEXIST, "idempotency key used"));
    }
    if ((rc = catalog_document_record(in, newid, x.created, &rec)) != 0) {
        return (rc);
    }
    rc = catalog_record_put(cat, &rec, dig);
    record_clear(&rec);
    if (rc != 0) {
        return (rc);
    }
    x.record = dig;
    if ((rc = catalog_write(cat, op_doc_insert, &x)) != 0) {
        catalog_record_drop(cat, dig);
        if (rc == STORAGE_EEXIST && x.existing[0] != '\0') {
            memcpy(id, x.existing, CATALOG_ID_BUFLEN);
        }
        return (rc);
    }
    memcpy(id, newid, CATALOG_ID_BUFLEN);
    return (0);
}

void
catalog_document_clear(struct catalog_document *doc)
{

    if (doc == NULL) {
        return;
    }
    free(doc->meta);
    free(doc->signature);
    free(doc->receipt);
    memset(doc, 0, sizeof(*doc));
}

/* Fill ${d} from a DOC_COLS row. */
static int
row_document(sqlite3_stmt *st, struct catalog_document *d)
{
    size_t n;
    int rc;

    memset(d, 0, sizeof(*d));
    if ((rc = catalog_copy_col(st, 0, d->id, sizeof(d->id))) != 0 ||
        (rc = catalog_copy_col(st, 1, d->vault, sizeof(d->vault))) != 0 ||
        (rc = catalog_copy_col(st, 2, d->depositor,
        sizeof(d->depositor))) != 0 ||
        (rc = catalog_copy_col(st, 3, d->doc_class,
        sizeof(d->doc_class))) != 0 ||
        (rc = catalog_copy_col(st, 10, d->idem_key,
        sizeof(d->idem_key))) != 0) {
        return (rc);
    }
    if (sqlite3_column_bytes(st, 4) != DIGEST_BYTES) {
        return (storage_fail(STORAGE_ECORRUPT, "bad blob id in index"));
    }
    memcpy(d->blob, sqlite3_column_blob(st, 4), DIGEST_BYTES);
    d->size = (uint64_t)sqlite3_column_int64(st, 5);
    d->created = sqlite3_column_int64(st, 6);
    d->state = sqlite3_column_int(st, 11) == 2 ? CATALOG_DOC_DELETED :
        CATALOG_DOC_LIVE;
    d->deleted = sqlite3_column_int64(st, 12);
    if ((rc = catalog_dup_blob(st, 7, &d->meta, &d->metalen)) != 0) {
        goto err;
    }
    n = (size_t)sqlite3_column_bytes(st, 8);
    if ((d->signature = malloc(n + 1)) == NULL) {
        rc = storage_errno(errno, "malloc");
        goto err;
    }
    if (n > 0) {
        memcpy(d->signature, sqlite3_column_text(st, 8), n);
    }
    d->signature[n] = '\0';
    if (sqlite3_column_type(st, 9) != SQLITE_NULL &&
        (rc = catalog_dup_blob(st, 9, &d->receipt, &d->receiptlen)) != 0) {
        goto err;
    }
    return (0);

err:
    catalog_document_clear(d);
    return (rc);
}

/* Read document ${id} on ${c}, with its record digest. */
static int
doc_get_conn(struct catalog_conn *c, const char *id,
    struct catalog_document *out, uint8_t record[DIGEST_BYTES])
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_doc_get)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "document")) == 0) {
        if (sqlite3_column_bytes(st, 13) != DIGEST_BYTES) {
            rc = storage_fail(STORAGE_ECORRUPT, "bad record id in index");
        } else {
            if (record != NULL) {
                memcpy(record, sqlite3_column_blob(st, 13), DIGEST_BYTES);
            }
            rc = row_document(st, out);
        }
    }
    (void)sqlite3_reset(st);
    return (rc);
}

int
catalog_document_get(struct catalog *cat, const char *id,
    struct catalog_document *out)
{
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    if (!catalog_id_valid(id)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = doc_get_conn(c, id, out, NULL);
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_document_get_for(struct catalog *cat, const char *id,
    const char *reader, struct catalog_doc_view *out)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    if (!catalog_id_valid(id) || !catalog_id_valid(reader)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_doc_view)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
    if ((rc = catalog_step_row(c, st, "document")) != 0) {
        goto done;
    }
    if ((rc = row_document(st, &out->doc)) != 0 ||
        (rc = catalog_row_to_account(st, VIEW_OWNER, &out->owner,
        NULL)) != 0) {
        goto done;
    }
    if (sqlite3_column_type(st, VIEW_DEPOSITOR) == SQLITE_NULL) {
        out->depositor.kind = CATALOG_KIND_ANY;
    } else if ((rc = catalog_row_to_account(st, VIEW_DEPOSITOR,
        &out->depositor, NULL)) != 0) {
        goto done;
    }
    memcpy(out->grant.document, out->doc.id, sizeof(out->grant.document));
    memcpy(out->grant.reader, reader, sizeof(out->grant.reader));
    out->grant.created = sqlite3_column_int64(st, VIEW_GRANT + 1);
    if ((rc = catalog_copy_col(st, VIEW_GRANT, out->grant.granted_by,
        sizeof(out->grant.granted_by))) != 0 ||
        (rc = catalog_dup_blob(st, VIEW_GRANT + 2, &out->grant.header,
        &out->grant.headerlen)) != 0) {
        goto done;
    }

done:
    if (st != NULL) {
        (void)sqlite3_reset(st);
    }
    catalog_reader_put(cat, c);
    if (rc != 0) {
        catalog_doc_view_clear(out);
    }
    return (rc);
}

void
catalog_doc_view_clear(struct catalog_doc_view *v)
{

    if (v == NULL) {
        return;
    }
    catalog_document_clear(&v->doc);
    catalog_grant_clear(&v->grant);
    memset(v, 0, sizeof(*v));
}

void
catalog_document_list_free(struct catalog_document_list *list)
{
    size_t i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < list->n; i++) {
        catalog_document_clear(&list->v[i]);
    }
    free(list->v);
    memset(list, 0, sizeof(*list));
}

/* Parse cursor "<created>.<id>". */
static int
cursor_parse(const char *s, int64_t *created, char id[CATALOG_ID_BUFLEN])
{
    const char *dot;
    int64_t v = 0;
    const char *p;

    if ((dot = strchr(s, '.')) == NULL || dot == s || dot - s > 18) {
        return (-1);
    }
    for (p = s; p < dot; p++) {
        if (*p < '0' || *p > '9' || (p == s && *p == '0' && dot - s > 1)) {
            return (-1);
        }
        v = v * 10 + (*p - '0');
    }
    if (!catalog_id_valid(dot + 1)) {
        return (-1);
    }
    *created = v;
    memcpy(id, dot + 1, CATALOG_ID_BUFLEN);
    return (0);
}

int
catalog_document_list(struct catalog *cat, const struct catalog_doc_query *q,
    struct catalog_document_list *out)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    char curid[CATALOG_ID_BUFLEN];
    int64_t curcreated = 0;
    const char *who;
    size_t limit = q->limit ? q->limit : 100;
    int rc;

    storage_clear_detail();
    memset(out, 0, sizeof(*out));
    who = q->vault != NULL ? q->vault : q->reader;
    if ((q->vault == NULL) == (q->reader == NULL) || !catalog_id_valid(who) ||
        limit > CATALOG_LIST_MAX ||
        (q->doc_class != NULL &&
        !catalog_text_ok(q->doc_class, CATALOG_CLASS_BUFLEN)) ||
        (q->cursor != NULL && q->cursor[0] != '\0' &&
        cursor_parse(q->cursor, &curcreated, curid) != 0)) {
        return (storage_fail(STORAGE_EINVAL, "bad document query"));
    }
    if ((out->v = calloc(limit + 1, sizeof(*out->v))) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "calloc"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        goto err;
    }
    if ((st = catalog_stmt(c, q->vault != NULL ? sql_doc_list_vault :
        sql_doc_list_reader)) == NULL) {
        rc = STORAGE_EIO;
        goto err1;
    }
    (void)sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
    if (q->doc_class != NULL) {
        (void)sqlite3_bind_text(st, 2, q->doc_class, -1, SQLITE_STATIC);
    }
    (void)sqlite3_bind_int64(st, 3, q->since);
    (void)sqlite3_bind_int64(st, 4, q->until);
    if (q->cursor != NULL && q->cursor[0] != '\0') {
        (void)sqlite3_bind_int64(st, 5, curcreated);
        (void)sqlite3_bind_text(st, 6, curid, -1, SQLITE_STATIC);
    }
    (void)sqlite3_bind_int(st, 7, q->include_deleted ? 1 : 0);
    (void)sqlite3_bind_int64(st, 8, (sqlite3_int64)limit + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n <= limit) {
        if ((rc = row_document(st, &out->v[out->n])) != 0) {
            (void)sqlite3_reset(st);
            goto err1;
        }
        out->n++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        rc = catalog_sqlerr(c, rc, "list documents");
        (void)sqlite3_reset(st);
        goto err1;
    }
    (void)sqlite3_reset(st);
    catalog_reader_put(cat, c);
    if (out->n > limit) {
        /* One more than asked: there is a next page. */
        catalog_document_clear(&out->v[limit]);
        out->n = limit;
        (void)snprintf(out->next, sizeof(out->next), "%lld.%s",
            (long long)out->v[limit - 1].created, out->v[limit - 1].id);
    }
    return (0);

err1:
    catalog_reader_put(cat, c);
err:
    catalog_document_list_free(out);
    return (rc);
}

struct del_arg {
    const char *actor, *id;
    const uint8_t *record;
    int64_t at;
    char vault[CATALOG_ID_BUFLEN];
};

static int
op_doc_delete(struct catalog_conn *c, void *arg)
{
    struct del_arg *x = arg;
    sqlite3_stmt *st;
    int rc;

    if ((rc = catalog_doc_live(c, x->id, x->vault)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_doc_delete)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, x->id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 2, x->at);
    if ((rc = catalog_step_done(c, st, "delete document")) != 0 ||
        (rc = catalog_run_id(c, sql_doc_del_grants, x->id)) != 0 ||
        (rc = catalog_run_id(c, sql_doc_del_shares, x->id)) != 0 ||
        (rc = catalog_run_id(c, sql_doc_del_idem, x->id)) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, x->vault, x->actor, "document.delete",
        x->id, "", x->at));
}

int
catalog_document_delete(struct catalog *cat, const char *actor,
    const char *id)
{
    struct catalog_document d;
    struct catalog_conn *c;
    struct del_arg x;
    uint8_t dig[DIGEST_BYTES], tomb[DIGEST_BYTES];
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad actor"));
    }
    if (!catalog_id_valid(id)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such document"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = doc_get_conn(c, id, &d, dig);
    catalog_reader_put(cat, c);
    if (rc != 0) {
        return (rc);
    }
    rc = d.state == CATALOG_DOC_LIVE ? 0 :
        storage_fail(STORAGE_ENOTFOUND, "document already deleted");
    catalog_document_clear(&d);
    memset(&x, 0, sizeof(x));
    /* The index keeps the tombstone's time, so a reindex agrees. */
    x.at = (int64_t)time(NULL);
    if (rc != 0 || (rc = catalog_tombstone(cat, dig, x.at, tomb)) != 0) {
        return (rc);
    }
    x.actor = actor;
    x.id = id;
    x.record = dig;
    if ((rc = catalog_write(cat, op_doc_delete, &x)) != 0) {
        catalog_record_drop(cat, tomb);
    }
    return (rc);
}

int
catalog_blob_readable(struct catalog *cat, const char *account,
    const uint8_t blob[DIGEST_BYTES])
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    storage_clear_detail();
    if (!catalog_id_valid(account)) {
        return (storage_fail(STORAGE_ENOTFOUND, "not readable"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_blob_readable)) == NULL) {
        rc = STORAGE_EIO;
    } else {
        (void)sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
        (void)sqlite3_bind_blob(st, 2, blob, DIGEST_BYTES, SQLITE_STATIC);
        rc = catalog_step_row(c, st, "readable blob");
        (void)sqlite3_reset(st);
    }
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_blob_referenced(struct catalog *cat, const uint8_t blob[DIGEST_BYTES],
    int any_state)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    storage_clear_detail();
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_blob_ref)) == NULL) {
        rc = STORAGE_EIO;
    } else {
        (void)sqlite3_bind_blob(st, 1, blob, DIGEST_BYTES, SQLITE_STATIC);
        (void)sqlite3_bind_int(st, 2, any_state ? 1 : 0);
        rc = catalog_step_row(c, st, "blob reference");
        (void)sqlite3_reset(st);
    }
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_idem_get(struct catalog *cat, const char *depositor, const char *key,
    char id[CATALOG_ID_BUFLEN])
{
    struct catalog_conn *c;
    int rc;

    storage_clear_detail();
    id[0] = '\0';
    if (!catalog_text_ok(depositor, CATALOG_ID_BUFLEN) ||
        !catalog_text_ok(key, CATALOG_IDEM_BUFLEN)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such key"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = idem_conn(c, depositor, key, id);
    catalog_reader_put(cat, c);
    return (rc);
}
