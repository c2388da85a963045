#include "daemon/docs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "daemon/api.h"
#include "daemon/ids.h"

int
docs_visible(struct api_req *req, const char *id,
    struct catalog_document *doc, struct catalog_account *owner,
    int owner_only)
{
    struct catalog_grant g;
    const char *me = req->caller.acct.id;
    int r;

    memset(doc, 0, sizeof(*doc));
    if (!catalog_id_valid(id)) {
        api_reply_error(req, 400, "bad_id", "malformed document id");
        return (1);
    }
    if ((r = catalog_document_get(req->app->cat, id, doc)) != 0) {
        goto notfound;
    }
    if (doc->state != CATALOG_DOC_LIVE) {
        r = STORAGE_ENOTFOUND;
        goto notfound;
    }
    if (strcmp(doc->vault, me) != 0) {
        if (owner_only || req->caller.acct.kind == CATALOG_KIND_EMPLOYER) {
            r = STORAGE_ENOTFOUND;
            goto notfound;
        }
        if ((r = catalog_grant_get(req->app->cat, id, me, &g)) != 0) {
            goto notfound;
        }
        catalog_grant_clear(&g);
        if ((r = catalog_account_get(req->app->cat, doc->vault, owner)) !=
            0) {
            goto notfound;
        }
    } else {
        *owner = req->caller.acct;
    }
    return (0);

notfound:
    catalog_document_clear(doc);
    api_reply_storage(req, r, "no such document");
    return (1);
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

int
docs_record_write(struct api_req *req, const struct catalog_document *doc,
    const struct catalog_account *owner, struct jsontext *t)
{
    struct catalog_account dep;
    struct catalog_grant g;
    char blob[DIGEST_ID_BUFLEN], created[IDS_TIME_BUFLEN], num[24];
    char *hdr = NULL, *meta = NULL;
    const char *depname = doc->depositor, *depkind = "unknown";
    const char *signer = NULL;
    int rc = -1;

    if (catalog_grant_get(req->app->cat, doc->id, req->caller.acct.id,
        &g) != 0) {
        return (-1);
    }
    if (strcmp(doc->depositor, req->caller.acct.id) == 0) {
        dep = req->caller.acct;
    } else if (strcmp(doc->depositor, owner->id) == 0) {
        dep = *owner;
    } else if (catalog_account_get(req->app->cat, doc->depositor, &dep) !=
        0) {
        dep.kind = CATALOG_KIND_ANY;
    }
    if (dep.kind != CATALOG_KIND_ANY) {
        depname = api_account_public_id(&dep);
        depkind = dep.kind == CATALOG_KIND_PERSON ? "person" :
            dep.kind == CATALOG_KIND_EMPLOYER ? "employer" : "service";
        signer = dep.minisign_key;
    }
    digest_id_format(doc->blob, blob);
    if (ids_time_format(doc->created, created) != 0 ||
        (hdr = ids_b64_encode(g.header, g.headerlen)) == NULL ||
        (meta = ids_b64_encode(doc->meta, doc->metalen)) == NULL) {
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
    member(t, "header", hdr);
    member(t, "metadata", meta);
    member(t, "signature", doc->signature != NULL ? doc->signature : "");
    member(t, "signer_key", signer);
    jsontext_raw(t, "}", 1);
    rc = t->failed ? -1 : 0;

done:
    free(hdr);
    free(meta);
    catalog_grant_clear(&g);
    return (rc);
}
