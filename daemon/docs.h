#ifndef DOCS_H_
#define DOCS_H_

#include <stddef.h>

#include "daemon/jsontext.h"
#include "storage/catalog.h"

/*
 * Document visibility and the JSON view of a document record, shared by
 * the document, grant and link handlers.
 */

struct api_req;

/**
 * docs_view(req, id, v, owner_only):
 * Load live document ${id} with the caller's grant and the owner and
 * depositor accounts into ${v} (one catalog read) if the caller may see
 * it: it is the owner, or (unless ${owner_only}) it holds a grant.  Return
 * 0; or answer 400 bad_id / 404 and return 1.  On 0, release ${v} with
 * catalog_doc_view_clear().
 */
int docs_view(struct api_req *req, const char *id,
    struct catalog_doc_view *v, int owner_only);

/**
 * docs_visible(req, id, doc, owner, owner_only):
 * Load live document ${id} into ${doc} and its vault owner into ${owner}
 * if the caller may see it: it is the owner, or (unless ${owner_only}) it
 * holds a grant.  Return 0; or answer 400 bad_id / 404 and return 1; or
 * return -1 on an internal error.  On 0, release ${doc} with
 * catalog_document_clear().
 */
int docs_visible(struct api_req *req, const char *id,
    struct catalog_document *doc, struct catalog_account *owner,
    int owner_only);

/**
 * docs_view_write(req, v, t):
 * Append the record view of ${v} (docs_view()) with the caller's own
 * header as a JSON object to ${t}.  Return 0, or -1 on failure.
 */
int docs_view_write(struct api_req *req, const struct catalog_doc_view *v,
    struct jsontext *t);

/**
 * docs_record_write(req, doc, owner, first, t):
 * Append the record view of ${doc} (a row of a listing) with the caller's
 * own header (docs/API.md) as a JSON object to ${t}, after a comma unless
 * ${first}.  Return 0; 1 with nothing written if the caller holds no
 * grant on it (the document was deleted or the grant revoked since the
 * listing was read); or -1 on failure.
 */
int docs_record_write(struct api_req *req,
    const struct catalog_document *doc, const struct catalog_account *owner,
    int first, struct jsontext *t);

/**
 * docs_class_known(c):
 * Nonzero if ${c} names a document class (docs/API.md).
 */
int docs_class_known(const char *c);

/*
 * Write listed document ${doc} into ${t} (after a comma unless ${first});
 * return as docs_record_write() does.
 */
typedef int docs_item_fn(struct api_req *req,
    const struct catalog_document *doc, int first, struct jsontext *t,
    void *cookie);

/**
 * docs_list(req, q, item, cookie):
 * Answer a listing: read its query (class, since, until, limit, cursor)
 * into ${q}, whose vault or reader the caller has set and the rest zeroed;
 * read the page and answer {"documents": [...], "next": CURSOR}, each row
 * written by ${item} with ${cookie} (a row it leaves out is not counted).
 * Return 0 once answered, or -1 on failure.
 */
int docs_list(struct api_req *req, struct catalog_doc_query *q,
    docs_item_fn *item, void *cookie);

#endif /* !DOCS_H_ */
