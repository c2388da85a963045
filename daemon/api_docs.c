/*
 * Blobs and documents: upload, download, deposit, list, get, delete.
 */
#include "daemon/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/digest.h"
#include "crypto/minisig.h"
#include "daemon/config.h"
#include "daemon/docs.h"
#include "daemon/ids.h"
#include "daemon/limits.h"
#include "daemon/logger.h"
#include "daemon/signer.h"
#include "storage/blobstore.h"


/* Keep a storage error of an upload for the answer; log its detail now. */
static void
stream_failed(struct api_req *req, int r)
{

    log_err(req->id, "storage: %s: %s", storage_strerror(r),
        storage_detail());
    req->stream_err = r;
}

int
api_blob_put_begin(struct api_req *req)
{
    uint8_t id[DIGEST_BYTES];
    struct blobstore_put *p;
    int r;

    if (req->caller.acct.kind != CATALOG_KIND_PERSON &&
        req->caller.acct.kind != CATALOG_KIND_EMPLOYER) {
        return (api_reply_error(req, 404, "not_found", "no such resource"));
    }
    if (digest_id_parse(req->params[0], strlen(req->params[0]), id) != 0) {
        return (api_reply_error(req, 400, "bad_id", "malformed blob id"));
    }
    if (req->content_length == 0) {
        return (api_reply_error(req, 411, "length_required",
            "empty blob"));
    }
    r = blobstore_put_begin(req->app->bs, id, req->app->cfg->max_blob_bytes,
        &p);
    if (r != 0) {
        /* Answered once the body is read (see api_blob_put_data). */
        stream_failed(req, r);
        return (0);
    }
    req->stream = p;
    return (0);
}

int
api_blob_put_data(struct api_req *req, const uint8_t *buf, size_t len)
{
    int r;

    if (req->stream == NULL) {
        return (0);
    }
    if ((r = blobstore_put_write(req->stream, buf, len)) != 0) {
        /*
         * Answer only once the client has sent its whole body: a reply
         * queued mid-upload makes the connection close with unread data,
         * and the client may then see a reset instead of the 507.  The
         * rest of the body is read and dropped.
         */
        blobstore_put_abort(req->stream);
        req->stream = NULL;
        stream_failed(req, r);
    }
    return (0);
}

void
api_blob_put_free(struct api_req *req)
{

    blobstore_put_abort(req->stream);
    req->stream = NULL;
}

int
api_blob_put(struct api_req *req)
{
    char idtext[DIGEST_ID_BUFLEN];
    uint8_t id[DIGEST_BYTES];
    const char *code;
    unsigned status;
    int existed, r;

    if (req->stream_err != 0) {
        status = api_status_from(req->stream_err, &code);
        return (api_reply_error(req, status, code, status == 507 ?
            "storage full" : status >= 500 ? "internal error" :
            storage_strerror(req->stream_err)));
    }
    if (req->stream == NULL) {
        return (-1);
    }
    if (req->streamed == 0) {
        api_blob_put_free(req);
        return (api_reply_error(req, 411, "length_required", "empty blob"));
    }
    if (digest_id_parse(req->params[0], strlen(req->params[0]), id) != 0) {
        return (-1);
    }
    existed = blobstore_exists(req->app->bs, id) == 0;
    r = blobstore_put_commit(req->stream);
    req->stream = NULL;
    if (r == STORAGE_EDIGEST) {
        return (api_reply_error(req, 400, "digest_mismatch",
            "the body does not hash to the blob id"));
    }
    if (r != 0) {
        return (api_reply_storage(req, r, ""));
    }
    digest_id_format(id, idtext);
    return (api_reply_json(req, existed ? 200 : 201, json_pack("{s:s,s:I}",
        "blob", idtext, "size", (json_int_t)req->streamed)));
}

int
api_blob_get(struct api_req *req)
{
    char etag[DIGEST_ID_BUFLEN + 2], cr[96];
    uint8_t id[DIGEST_BYTES];
    uint64_t size, off, len;
    const char *inm, *rh;
    int fd, r, rr;

    if (digest_id_parse(req->params[0], strlen(req->params[0]), id) != 0) {
        return (api_reply_error(req, 400, "bad_id", "malformed blob id"));
    }
    if (req->caller.acct.kind == CATALOG_KIND_EMPLOYER) {
        return (api_reply_error(req, 404, "not_found", "no such blob"));
    }
    r = catalog_blob_readable(req->app->cat, req->caller.acct.id, id);
    /*
     * Every access to content, and every refused attempt, goes to the
     * caller's own chain (CFN-04); reads by a grantee are also on the
     * owner's chain through the record read.
     */
    api_audit(req, req->caller.acct.id, req->caller.acct.id,
        r == 0 ? "blob.read" : "blob.read_refused", req->params[0], NULL);
    if (r != 0) {
        return (api_reply_storage(req, r, "no such blob"));
    }
    etag[0] = '"';
    digest_id_format(id, etag + 1);
    strcat(etag, "\"");
    api_header_add(req, "ETag", etag);
    inm = api_req_header(req, "If-None-Match");
    if (inm != NULL && (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL)) {
        return (api_reply_empty(req, 304));
    }
    if ((r = blobstore_open_read(req->app->bs, id, &fd, &size)) != 0) {
        return (api_reply_storage(req, r, "no such blob"));
    }
    api_header_add(req, "Accept-Ranges", "bytes");
    off = 0;
    len = size;
    if ((rh = api_req_header(req, "Range")) != NULL) {
        rr = ids_range_parse(rh, strlen(rh), size, &off, &len);
        if (rr < 0) {
            close(fd);
            snprintf(cr, sizeof(cr), "bytes */%llu",
                (unsigned long long)size);
            api_header_add(req, "Content-Range", cr);
            return (api_reply_error(req, 416, "bad_range",
                "range not satisfiable"));
        }
        if (rr == 0) {
            snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
                (unsigned long long)off, (unsigned long long)(off + len - 1),
                (unsigned long long)size);
            api_header_add(req, "Content-Range", cr);
            return (api_reply_fd(req, 206, fd, off, len, NULL, 0,
                "application/octet-stream"));
        }
    }
    return (api_reply_fd(req, 200, fd, 0, size, NULL, 0,
        "application/octet-stream"));
}

/* Nonzero if ${buf} looks like an age header ending with its MAC line. */
static int
age_header_ok(const uint8_t *buf, size_t len)
{
    static const char pfx[] = "age-encryption.org/v1\n";
    size_t i;

    if (len < sizeof(pfx) + 4 || memcmp(buf, pfx, sizeof(pfx) - 1) != 0 ||
        buf[len - 1] != '\n') {
        return (0);
    }
    /* The last line is the MAC line "--- <base64>". */
    for (i = len - 1; i > 0 && buf[i - 1] != '\n'; i--) {
        ;
    }
    return (len - i > 4 && memcmp(buf + i, "--- ", 4) == 0);
}

/* Nonzero if ${buf} starts like an age file. */
static int
age_file_ok(const uint8_t *buf, size_t len)
{
    static const char pfx[] = "age-encryption.org/v1\n";

    return (len > sizeof(pfx) && memcmp(buf, pfx, sizeof(pfx) - 1) == 0);
}

/* Answer 200 with the stored receipt of document ${id}. */
static int
deposit_replay(struct api_req *req, const char *id, const char *owner)
{
    struct catalog_document doc;
    json_t *receipt;
    int r;

    if ((r = catalog_document_get(req->app->cat, id, &doc)) != 0) {
        return (api_reply_storage(req, r, "no such document"));
    }
    if (strcmp(doc.vault, owner) != 0 || doc.receipt == NULL) {
        catalog_document_clear(&doc);
        return (api_reply_error(req, 409, "conflict",
            "idempotency key used for another deposit"));
    }
    receipt = json_loadb((const char *)doc.receipt, doc.receiptlen, 0, NULL);
    catalog_document_clear(&doc);
    return (api_reply_json(req, 200, json_pack("{s:s,s:o}", "document", id,
        "receipt", receipt)));
}

/* The checked fields of a deposit body. */
struct deposit {
    uint8_t blob[DIGEST_BYTES];
    uint64_t size;
    const char *cls;
    uint8_t *header;
    size_t headerlen;
    uint8_t *meta;
    size_t metalen;
    const char *sig;
    const char *idem;
};

/* Parse and check the deposit body.  Return 0, or 1 after answering. */
static int
deposit_parse(struct api_req *req, json_t *body, struct deposit *d)
{
    struct minisig_pubkey pk;
    struct minisig ms;
    const char *s;
    size_t len;
    int r;

    if (api_json_str(req, body, "blob", 1, DIGEST_ID_LEN, &s, &len)) {
        return (1);
    }
    if (digest_id_parse(s, len, d->blob) != 0) {
        api_reply_error(req, 400, "bad_field", "malformed blob id");
        return (1);
    }
    if (api_json_str(req, body, "class", 1, 32, &d->cls, &len)) {
        return (1);
    }
    if (!docs_class_known(d->cls)) {
        api_reply_error(req, 400, "bad_field", "unknown document class");
        return (1);
    }
    if (api_json_b64(req, body, "header", 1, CATALOG_HEADER_MAX_BYTES,
        &d->header, &d->headerlen) ||
        api_json_b64(req, body, "metadata", 1, CATALOG_META_MAX_BYTES,
        &d->meta, &d->metalen)) {
        return (1);
    }
    if (!age_header_ok(d->header, d->headerlen) ||
        !age_file_ok(d->meta, d->metalen)) {
        api_reply_error(req, 400, "bad_field", "not an age header or file");
        return (1);
    }
    if (api_json_str(req, body, "signature", 1,
        CATALOG_SIGNATURE_MAX_BYTES - 1, &d->sig, &len)) {
        return (1);
    }
    if (minisig_parse(d->sig, len, &ms) != 0 ||
        minisig_pubkey_parse(req->caller.acct.minisign_key,
        strlen(req->caller.acct.minisign_key), &pk) != 0 ||
        memcmp(ms.keyid, pk.keyid, sizeof(pk.keyid)) != 0) {
        api_reply_error(req, 400, "bad_signature",
            "signature not made by the depositor's key");
        return (1);
    }
    if (api_json_str(req, body, "idempotency_key", 0,
        API_MAX_IDEMPOTENCY_BYTES, &d->idem, &len)) {
        return (1);
    }
    if (d->idem != NULL && !ids_printable_valid(d->idem, len,
        API_MAX_IDEMPOTENCY_BYTES)) {
        api_reply_error(req, 400, "bad_field", "bad idempotency key");
        return (1);
    }
    r = blobstore_stat(req->app->bs, d->blob, &d->size, NULL);
    if (r == STORAGE_ENOTFOUND) {
        api_reply_error(req, 400, "unknown_blob", "blob not uploaded");
        return (1);
    } else if (r != 0) {
        api_reply_storage(req, r, "");
        return (1);
    }
    return (0);
}

/*
 * Build and sign the receipt of a deposit; return it as the JSON text of
 * {"text":..,"signature":..} (malloc'd) or NULL.
 */
static char *
receipt_make(struct api_req *req, const char *docid, const char *vault,
    const struct deposit *d, int64_t now)
{
    char blob[DIGEST_ID_BUFLEN], sig[SIGNER_SIG_MAX], trusted[96];
    char *text, *out = NULL;
    json_t *o;

    digest_id_format(d->blob, blob);
    o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "blob", blob, "class",
        d->cls, "depositor", req->caller.public_id, "document", docid,
        "time", api_time_json(now), "type", "coffre-receipt-v1", "vault",
        vault);
    if (o == NULL) {
        return (NULL);
    }
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL) {
        return (NULL);
    }
    snprintf(trusted, sizeof(trusted), "coffre-receipt-v1 document=%s",
        docid);
    if (signer_sign(req->app->signer, text, strlen(text), trusted, sig,
        sizeof(sig)) > 0) {
        o = json_pack("{s:s,s:s}", "text", text, "signature", sig);
        out = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    free(text);
    return (out);
}

int
api_doc_deposit(struct api_req *req)
{
    static const char *const fields[] = { "blob", "class", "header",
        "metadata", "signature", "idempotency_key", NULL };
    struct catalog_account owner;
    struct catalog_deposit in;
    struct deposit d;
    char docid[CATALOG_ID_BUFLEN], *receipt = NULL;
    const struct catalog_account *me = &req->caller.acct;
    json_t *body = NULL;
    int64_t now = api_now();
    int r;

    memset(&d, 0, sizeof(d));
    r = api_account_by_public(req->app, req->params[0], IDS_KIND_PERSON,
        &owner);
    if (r == STORAGE_EINVAL) {
        return (api_reply_error(req, 400, "bad_id", "malformed vault"));
    }
    if (r == 0 && owner.state != CATALOG_STATE_ACTIVE) {
        r = STORAGE_ENOTFOUND;
    }
    if (r == 0 && me->kind != CATALOG_KIND_EMPLOYER &&
        strcmp(me->id, owner.id) != 0) {
        r = STORAGE_ENOTFOUND;
    }
    if (r != 0) {
        return (api_reply_storage(req, r, "no such vault"));
    }
    if (me->kind == CATALOG_KIND_EMPLOYER &&
        (r = catalog_opposition_get(req->app->cat, owner.id, me->siret,
        NULL)) != STORAGE_ENOTFOUND) {
        if (r != 0) {
            return (api_reply_storage(req, r, ""));
        }
        api_audit(req, owner.id, me->id, "deposit.refused", NULL,
            "opposition");
        return (api_reply_error(req, 403, "opposition",
            "the vault owner refuses deposits from this employer"));
    }
    if (api_body_json(req, fields, &body) || deposit_parse(req, body, &d)) {
        goto done;
    }
    if (d.idem != NULL &&
        (r = catalog_idem_get(req->app->cat, me->id, d.idem, docid)) !=
        STORAGE_ENOTFOUND) {
        if (r == 0) {
            deposit_replay(req, docid, owner.id);
        } else {
            api_reply_storage(req, r, "");
        }
        goto done;
    }
    catalog_id_new(docid);
    if ((receipt = receipt_make(req, docid, owner.vault, &d, now)) == NULL) {
        r = -1;
        goto done;
    }
    memset(&in, 0, sizeof(in));
    memcpy(in.id, docid, sizeof(in.id));
    in.vault = owner.id;
    in.depositor = me->id;
    in.doc_class = d.cls;
    memcpy(in.blob, d.blob, sizeof(in.blob));
    in.size = d.size;
    in.created = now;
    in.meta = d.meta;
    in.metalen = d.metalen;
    in.signature = d.sig;
    in.receipt = (const uint8_t *)receipt;
    in.receiptlen = strlen(receipt);
    in.idem_key = d.idem;
    in.owner_header = d.header;
    in.owner_headerlen = d.headerlen;
    r = catalog_document_insert(req->app->cat, &in, docid);
    if (r == STORAGE_EEXIST) {
        deposit_replay(req, docid, owner.id);
    } else if (r != 0) {
        api_reply_storage(req, r, "no such vault");
    } else {
        api_reply_json(req, 201, json_pack("{s:s,s:o}", "document", docid,
            "receipt", json_loads(receipt, 0, NULL)));
    }
    r = 0;

done:
    free(receipt);
    free(d.header);
    free(d.meta);
    json_decref(body);
    return (r < 0 ? -1 : 0);
}

/* Answer 200 with the JSON text of ${t} (taken over). */
static int
reply_text(struct api_req *req, struct jsontext *t)
{

    if (t->failed) {
        free(t->p);
        return (-1);
    }
    return (api_reply_text(req, 200, t->p, t->len));
}

/* A row of the owner's listing (docs_item_fn); ${cookie} is the owner. */
static int
owner_record(struct api_req *req, const struct catalog_document *doc,
    int first, struct jsontext *t, void *cookie)
{

    return (docs_record_write(req, doc, cookie, first, t));
}

int
api_doc_list(struct api_req *req)
{
    struct catalog_doc_query q;
    struct catalog_account owner;

    if (ids_vault_parse(req->params[0], strlen(req->params[0]), NULL) != 0) {
        return (api_reply_error(req, 400, "bad_id", "malformed vault"));
    }
    if (req->caller.acct.kind != CATALOG_KIND_PERSON ||
        strcmp(req->caller.acct.vault, req->params[0]) != 0) {
        return (api_reply_error(req, 404, "not_found", "no such vault"));
    }
    owner = req->caller.acct;
    memset(&q, 0, sizeof(q));
    q.vault = owner.id;
    return (docs_list(req, &q, owner_record, &owner));
}

int
api_doc_get(struct api_req *req)
{
    struct jsontext t = { NULL, 0, 0, 0 };
    struct catalog_doc_view v;
    int r;

    if ((r = docs_view(req, req->params[0], &v, 0)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    if (strcmp(v.owner.id, req->caller.acct.id) != 0) {
        api_audit(req, v.owner.id, req->caller.acct.id, "document.read",
            v.doc.id, NULL);
    }
    r = docs_view_write(req, &v, &t);
    catalog_doc_view_clear(&v);
    if (r != 0) {
        free(t.p);
        return (-1);
    }
    jsontext_raw(&t, "\n", 1);
    return (reply_text(req, &t));
}

int
api_doc_delete(struct api_req *req)
{
    struct catalog_document doc;
    struct catalog_account owner;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    r = catalog_document_delete(req->app->cat, req->caller.acct.id,
        req->params[0]);
    if (r != 0) {
        return (api_reply_storage(req, r, "no such document"));
    }
    return (api_reply_empty(req, 204));
}
