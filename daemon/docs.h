#ifndef DOCS_H_
#define DOCS_H_

#include <stddef.h>

#include "storage/catalog.h"

/*
 * Document visibility and the JSON view of a document record, shared by
 * the document, grant and link handlers.
 */

struct api_req;

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

/* A growing text buffer for JSON written by hand on hot paths. */
struct docs_text {
    char *p;
    size_t len;
    size_t cap;
    int failed;                    /* an allocation failed: discard */
};

/**
 * docs_text_raw(t, s, len), docs_text_str(t, s):
 * Append ${len} bytes of ${s} as they are / the JSON string literal of the
 * NUL-terminated UTF-8 text ${s} (quotes, backslashes and control
 * characters escaped; NULL gives null).  Failures set ${t}->failed.
 */
void docs_text_raw(struct docs_text *t, const char *s, size_t len);
void docs_text_str(struct docs_text *t, const char *s);

/**
 * docs_record_write(req, doc, owner, t):
 * Append the record view of ${doc} with the caller's own header
 * (docs/API.md) as a JSON object to ${t}.  Return 0, or -1 if the caller
 * holds no grant or on failure.
 */
int docs_record_write(struct api_req *req,
    const struct catalog_document *doc, const struct catalog_account *owner,
    struct docs_text *t);

#endif /* !DOCS_H_ */
