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

/*
 * Append the record of ${doc} to ${t} (after a comma unless ${first}),
 * with its owner looked up; the owner in ${last} is reused while the same
 * vault's documents follow each other.  Return 0, 1 if the owner, the
 * document or the grant is gone (the record is skipped), or -1 on failure.
 */
static int
shared_record(struct api_req *req, const struct catalog_document *doc,
    struct catalog_account *last, int *have_last, int first,
    struct jsontext *t)
{
    int r;

    if (!*have_last || strcmp(last->id, doc->vault) != 0) {
        *have_last = 0;
        if ((r = catalog_account_get(req->app->cat, doc->vault, last)) ==
            STORAGE_ENOTFOUND) {
            return (1);
        }
        if (r != 0) {
            return (-1);
        }
        *have_last = 1;
    }
    return (docs_record_write(req, doc, last, first, t));
}

int
api_shared_list(struct api_req *req)
{
    struct catalog_document_list list;
    struct catalog_doc_query q;
    struct catalog_account owner;
    struct jsontext t = { NULL, 0, 0, 0 };
    size_t i, n = 0;
    int r, have_owner = 0;

    /* Employers deposit but never read or list (DESIGN.md §4). */
    if (req->caller.acct.kind == CATALOG_KIND_EMPLOYER) {
        return (api_reply_error(req, 404, "not_found", "no such resource"));
    }
    memset(&q, 0, sizeof(q));
    if (docs_list_query(req, &q)) {
        return (0);
    }
    q.reader = req->caller.acct.id;
    if ((r = catalog_document_list(req->app->cat, &q, &list)) != 0) {
        if (r == STORAGE_EINVAL) {
            return (api_reply_error(req, 400, "bad_query", "bad cursor"));
        }
        return (api_reply_storage(req, r, ""));
    }
    jsontext_raw(&t, "{\"documents\":[", 14);
    for (i = 0; i < list.n; i++) {
        r = shared_record(req, &list.v[i], &owner, &have_owner, n == 0, &t);
        if (r < 0) {
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
