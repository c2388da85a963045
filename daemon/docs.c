#include "daemon/docs.h"

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

json_t *
docs_record_json(struct api_req *req, const struct catalog_document *doc,
    const struct catalog_account *owner)
{
    struct catalog_account dep;
    struct catalog_grant g;
    char blob[DIGEST_ID_BUFLEN], *hdr = NULL, *meta = NULL;
    const char *depname = doc->depositor, *depkind = "unknown";
    const char *signer = NULL;
    json_t *o = NULL;

    if (catalog_grant_get(req->app->cat, doc->id, req->caller.acct.id,
        &g) != 0) {
        return (NULL);
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
    if ((hdr = ids_b64_encode(g.header, g.headerlen)) == NULL ||
        (meta = ids_b64_encode(doc->meta, doc->metalen)) == NULL) {
        goto done;
    }
    o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s?}",
        "document", doc->id, "vault", owner->vault, "blob", blob,
        "size", (json_int_t)doc->size, "class", doc->doc_class,
        "created_at", api_time_json(doc->created), "depositor", depname,
        "depositor_kind", depkind, "header", hdr, "metadata", meta,
        "signature", doc->signature != NULL ? doc->signature : "",
        "signer_key", signer);

done:
    free(hdr);
    free(meta);
    catalog_grant_clear(&g);
    return (o);
}
