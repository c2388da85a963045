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

void
docs_text_raw(struct docs_text *t, const char *s, size_t len)
{
    size_t ncap;
    char *np;

    if (t->failed) {
        return;
    }
    if (len > SIZE_MAX / 4 - t->len) {
        t->failed = 1;
        return;
    }
    if (t->len + len + 1 > t->cap) {
        ncap = t->cap ? t->cap : 1024;
        while (ncap < t->len + len + 1) {
            ncap *= 2;
        }
        if ((np = realloc(t->p, ncap)) == NULL) {
            t->failed = 1;
            return;
        }
        t->p = np;
        t->cap = ncap;
    }
    memcpy(t->p + t->len, s, len);
    t->len += len;
    t->p[t->len] = '\0';
}

void
docs_text_str(struct docs_text *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run;
    char esc[6];

    if (s == NULL) {
        docs_text_raw(t, "null", 4);
        return;
    }
    docs_text_raw(t, "\"", 1);
    for (run = s; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        docs_text_raw(t, run, (size_t)(s - run));
        run = s + 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            docs_text_raw(t, esc, 2);
        } else if (c == '\n') {
            docs_text_raw(t, "\\n", 2);
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            docs_text_raw(t, esc, 6);
        }
    }
    docs_text_raw(t, run, (size_t)(s - run));
    docs_text_raw(t, "\"", 1);
}

/* Append `,"key":` then the string ${v}. */
static void
member(struct docs_text *t, const char *key, const char *v)
{

    docs_text_raw(t, ",\"", 2);
    docs_text_raw(t, key, strlen(key));
    docs_text_raw(t, "\":", 2);
    docs_text_str(t, v);
}

int
docs_record_write(struct api_req *req, const struct catalog_document *doc,
    const struct catalog_account *owner, struct docs_text *t)
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
    docs_text_raw(t, "{\"document\":", 12);
    docs_text_str(t, doc->id);
    member(t, "vault", owner->vault);
    member(t, "blob", blob);
    docs_text_raw(t, ",\"size\":", 8);
    docs_text_raw(t, num, strlen(num));
    member(t, "class", doc->doc_class);
    member(t, "created_at", created);
    member(t, "depositor", depname);
    member(t, "depositor_kind", depkind);
    member(t, "header", hdr);
    member(t, "metadata", meta);
    member(t, "signature", doc->signature != NULL ? doc->signature : "");
    member(t, "signer_key", signer);
    docs_text_raw(t, "}", 1);
    rc = t->failed ? -1 : 0;

done:
    free(hdr);
    free(meta);
    catalog_grant_clear(&g);
    return (rc);
}
