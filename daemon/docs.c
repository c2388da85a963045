#include "daemon/docs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "daemon/api.h"
#include "daemon/ids.h"
#include "daemon/limits.h"

int
docs_view(struct api_req *req, const char *id, struct catalog_doc_view *v,
    int owner_only)
{
    const char *me = req->caller.acct.id;
    int r;

    memset(v, 0, sizeof(*v));
    if (!catalog_id_valid(id)) {
        api_reply_error(req, 400, "bad_id", "malformed document id");
        return (1);
    }
    /*
     * One read: the live document with the caller's own grant (the owner
     * holds one too) and the accounts, so that a revocation or a deletion
     * already committed answers 404 at once.
     */
    if ((r = catalog_document_get_for(req->app->cat, id, me, v)) != 0) {
        goto notfound;
    }
    if (strcmp(v->doc.vault, me) != 0 && (owner_only ||
        req->caller.acct.kind == CATALOG_KIND_EMPLOYER)) {
        r = STORAGE_ENOTFOUND;
        goto notfound;
    }
    return (0);

notfound:
    catalog_doc_view_clear(v);
    api_reply_storage(req, r, "no such document");
    return (1);
}

int
docs_visible(struct api_req *req, const char *id,
    struct catalog_document *doc, struct catalog_account *owner,
    int owner_only)
{
    struct catalog_doc_view v;
    int r;

    memset(doc, 0, sizeof(*doc));
    if ((r = docs_view(req, id, &v, owner_only)) != 0) {
        return (r);
    }
    *doc = v.doc;
    *owner = v.owner;
    memset(&v.doc, 0, sizeof(v.doc));
    catalog_doc_view_clear(&v);
    return (0);
}

/* Append `,"key":` then the string ${v}. */
static void
member(struct jsontext *t, const char *key, const char *v)
{

    jsontext_raw(t, ",\"", 2);
    jsontext_raw(t, key, strlen(key));
    jsontext_raw(t, "\":", 2);
    jsontext_str(t, v);
}

/*
 * Append `,"key":` then the base64 of ${buf} as a JSON string (base64 needs
 * no escaping).  Records' headers and metadata are small: they are encoded
 * on the stack, and only a larger value takes an allocation.
 */
static int
member_b64(struct jsontext *t, const char *key, const uint8_t *buf,
    size_t len)
{
    char stack[1024];
    char *heap = NULL;
    const char *s = stack;

    if (ids_b64_encode_to(buf, len, stack, sizeof(stack)) != 0) {
        if ((heap = ids_b64_encode(buf, len)) == NULL) {
            return (-1);
        }
        s = heap;
    }
    jsontext_raw(t, ",\"", 2);
    jsontext_raw(t, key, strlen(key));
    jsontext_raw(t, "\":\"", 3);
    jsontext_raw(t, s, strlen(s));
    jsontext_raw(t, "\"", 1);
    free(heap);
    return (0);
}

/* Append the record view of ${doc} for a reader holding ${hdr}. */
static int
record_emit(const struct catalog_document *doc,
    const struct catalog_account *owner, const struct catalog_account *dep,
    const uint8_t *hdr, size_t hdrlen, struct jsontext *t)
{
    char blob[DIGEST_ID_BUFLEN], created[IDS_TIME_BUFLEN], num[24];
    const char *depname = doc->depositor, *depkind = "unknown";
    const char *signer = NULL;
    int rc = -1;

    if (dep != NULL && dep->kind != CATALOG_KIND_ANY) {
        depname = api_account_public_id(dep);
        depkind = dep->kind == CATALOG_KIND_PERSON ? "person" :
            dep->kind == CATALOG_KIND_EMPLOYER ? "employer" : "service";
        signer = dep->minisign_key;
    }
    digest_id_format(doc->blob, blob);
    if (ids_time_format(doc->created, created) != 0) {
        goto done;
    }
    snprintf(num, sizeof(num), "%llu", (unsigned long long)doc->size);
    jsontext_raw(t, "{\"document\":", 12);
    jsontext_str(t, doc->id);
    member(t, "vault", owner->vault);
    member(t, "blob", blob);
    jsontext_raw(t, ",\"size\":", 8);
    jsontext_raw(t, num, strlen(num));
    member(t, "class", doc->doc_class);
    member(t, "created_at", created);
    member(t, "depositor", depname);
    member(t, "depositor_kind", depkind);
    if (member_b64(t, "header", hdr, hdrlen) != 0 ||
        member_b64(t, "metadata", doc->meta, doc->metalen) != 0) {
        goto done;
    }
    member(t, "signature", doc->signature != NULL ? doc->signature : "");
    member(t, "signer_key", signer);
    jsontext_raw(t, "}", 1);
    rc = t->failed ? -1 : 0;

done:
    return (rc);
}

int
docs_view_write(struct api_req *req, const struct catalog_doc_view *v,
    struct jsontext *t)
{

    (void)req;
    return (record_emit(&v->doc, &v->owner, &v->depositor, v->grant.header,
        v->grant.headerlen, t));
}

int
docs_record_write(struct api_req *req, const struct catalog_document *doc,
    const struct catalog_account *owner, int first, struct jsontext *t)
{
    struct catalog_account dep;
    struct catalog_grant g;
    const struct catalog_account *dp = &dep;
    int rc;

    /* The listing was read before: a deletion or revocation may follow. */
    if ((rc = catalog_grant_get(req->app->cat, doc->id, req->caller.acct.id,
        &g)) != 0) {
        return (rc == STORAGE_ENOTFOUND ? 1 : -1);
    }
    if (!first) {
        jsontext_raw(t, ",", 1);
    }
    if (strcmp(doc->depositor, req->caller.acct.id) == 0) {
        dp = &req->caller.acct;
    } else if (strcmp(doc->depositor, owner->id) == 0) {
        dp = owner;
    } else if (catalog_account_get(req->app->cat, doc->depositor, &dep) !=
        0) {
        dp = NULL;
    }
    rc = record_emit(doc, owner, dp, g.header, g.headerlen, t);
    catalog_grant_clear(&g);
    return (rc);
}

static const char *const doc_classes[] = { "payslip", "certificate",
    "payroll-facts", "evidence", "other", NULL };

int
docs_class_known(const char *c)
{
    size_t i;

    for (i = 0; doc_classes[i] != NULL; i++) {
        if (strcmp(doc_classes[i], c) == 0) {
            return (1);
        }
    }
    return (0);
}

/* Read a listing's query into ${q}.  Return 0; or answer 400 and return 1. */
static int
list_query(struct api_req *req, struct catalog_doc_query *q)
{
    static const char *const qnames[] = { "class", "since", "until",
        "limit", "cursor", NULL };
    const char *qv[6];
    uint64_t limit = API_PAGE_DEFAULT;

    if (api_query(req, qnames, qv)) {
        return (1);
    }
    if ((qv[1] != NULL && ids_time_parse(qv[1], strlen(qv[1]), &q->since)) ||
        (qv[2] != NULL && ids_time_parse(qv[2], strlen(qv[2]), &q->until)) ||
        (qv[3] != NULL && ids_u64_parse(qv[3], strlen(qv[3]), 1,
        API_PAGE_MAX, &limit)) ||
        (qv[4] != NULL && strlen(qv[4]) >= CATALOG_CURSOR_BUFLEN)) {
        api_reply_error(req, 400, "bad_query", "bad query value");
        return (1);
    }
    if (qv[0] != NULL && !docs_class_known(qv[0])) {
        api_reply_error(req, 400, "bad_query", "unknown class");
        return (1);
    }
    q->doc_class = qv[0];
    q->cursor = qv[4];
    q->limit = (size_t)limit;
    return (0);
}

int
docs_list(struct api_req *req, struct catalog_doc_query *q,
    docs_item_fn *item, void *cookie)
{
    struct catalog_document_list list;
    struct jsontext t = { NULL, 0, 0, 0 };
    size_t i, n = 0;
    int r;

    if (list_query(req, q)) {
        return (0);
    }
    if ((r = catalog_document_list(req->app->cat, q, &list)) != 0) {
        if (r == STORAGE_EINVAL) {
            return (api_reply_error(req, 400, "bad_query", "bad cursor"));
        }
        return (api_reply_storage(req, r, ""));
    }
    jsontext_raw(&t, "{\"documents\":[", 14);
    for (i = 0; i < list.n; i++) {
        /* 1: gone since the page was read, left out. */
        if ((r = item(req, &list.v[i], n == 0, &t, cookie)) < 0) {
            catalog_document_list_free(&list);
            free(t.p);
            return (-1);
        }
        if (r == 0) {
            n++;
        }
    }
    jsontext_raw(&t, "],\"next\":", 9);
    jsontext_str(&t, list.next[0] != '\0' ? list.next : NULL);
    jsontext_raw(&t, "}\n", 2);
    catalog_document_list_free(&list);
    if (t.failed) {
        free(t.p);
        return (-1);
    }
    return (api_reply_text(req, 200, t.p, t.len));
}
