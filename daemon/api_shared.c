/*
 * Documents shared with the caller: the grantee's side of grants, which an
 * account service uses to find the activity statements persons handed it.
 */
#include "daemon/api.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/docs.h"
#include "daemon/ids.h"
#include "daemon/limits.h"

/* The owner last looked up, reused while one vault's documents follow. */
struct owner_cache {
    struct catalog_account acct;
    int have;
};

/*
 * A row of the shared listing (docs_item_fn): the record of ${doc} with its
 * owner looked up (through the ${cookie}'s cache).  Return as
 * docs_record_write() does, 1 also when the owner is gone.
 */
static int
shared_record(struct api_req *req, const struct catalog_document *doc,
    int first, struct jsontext *t, void *cookie)
{
    struct owner_cache *oc = cookie;
    int r;

    if (!oc->have || strcmp(oc->acct.id, doc->vault) != 0) {
        oc->have = 0;
        if ((r = catalog_account_get(req->app->cat, doc->vault,
            &oc->acct)) == STORAGE_ENOTFOUND) {
            return (1);
        }
        if (r != 0) {
            return (-1);
        }
        oc->have = 1;
    }
    return (docs_record_write(req, doc, &oc->acct, first, t));
}

int
api_shared_list(struct api_req *req)
{
    struct catalog_doc_query q;
    struct owner_cache oc;

    /* Employers deposit but never read or list (DESIGN.md §4). */
    if (req->caller.acct.kind == CATALOG_KIND_EMPLOYER) {
        return (api_reply_error(req, 404, "not_found", "no such resource"));
    }
    memset(&q, 0, sizeof(q));
    memset(&oc, 0, sizeof(oc));
    q.reader = req->caller.acct.id;
    return (docs_list(req, &q, shared_record, &oc));
}
