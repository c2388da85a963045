/*
 * Grants, share links, oppositions and the audit log.
 */
#include "daemon/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "daemon/docs.h"
#include "daemon/ids.h"
#include "daemon/limits.h"
#include "daemon/signer.h"
#include "storage/blobstore.h"

#define LINK_SECRET_BYTES 32
#define LINK_TOKEN_LEN (CATALOG_ID_LEN + 1 + AUTH_TOKEN_B64_LEN)

/* The kind name of ${k}. */
static const char *
kind_name(enum catalog_kind k)
{

    return (k == CATALOG_KIND_PERSON ? "person" :
        k == CATALOG_KIND_EMPLOYER ? "employer" :
        k == CATALOG_KIND_SERVICE ? "service" : "unknown");
}

int
api_grant_list(struct api_req *req)
{
    struct catalog_document doc;
    struct catalog_account owner, a;
    struct catalog_grant *v;
    json_t *arr;
    size_t n, i;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    if ((r = catalog_grant_list(req->app->cat, req->params[0], &v, &n)) !=
        0) {
        return (api_reply_storage(req, r, "no such document"));
    }
    arr = json_array();
    for (i = 0; arr != NULL && i < n; i++) {
        if (strcmp(v[i].reader, owner.id) == 0 ||
            catalog_account_get(req->app->cat, v[i].reader, &a) != 0) {
            continue;
        }
        json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "account",
            api_account_public_id(&a), "kind", kind_name(a.kind),
            "created_at", api_time_json(v[i].created)));
    }
    catalog_grant_list_free(v, n);
    return (api_reply_json(req, 200, json_pack("{s:o}", "grants", arr)));
}

/* Find the grantee of the path: an active person or service, not me. */
static int
grantee(struct api_req *req, struct catalog_account *a)
{
    int r;

    r = api_account_by_public(req->app, req->params[1], 0, a);
    if (r == STORAGE_EINVAL) {
        api_reply_error(req, 400, "bad_id", "malformed account id");
        return (1);
    }
    if (r == 0 && (a->state != CATALOG_STATE_ACTIVE ||
        a->kind == CATALOG_KIND_EMPLOYER ||
        strcmp(a->id, req->caller.acct.id) == 0)) {
        r = STORAGE_ENOTFOUND;
    }
    if (r != 0) {
        api_reply_storage(req, r, "no such account");
        return (1);
    }
    return (0);
}

int
api_grant_put(struct api_req *req)
{
    static const char *const fields[] = { "header", NULL };
    struct catalog_document doc;
    struct catalog_account owner, a;
    struct catalog_grant g;
    uint8_t *hdr = NULL;
    size_t hdrlen;
    json_t *body = NULL;
    unsigned status = 201;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    if (grantee(req, &a) || api_body_json(req, fields, &body) ||
        api_json_b64(req, body, "header", 1, CATALOG_HEADER_MAX_BYTES, &hdr,
        &hdrlen)) {
        goto done;
    }
    r = catalog_grant_add(req->app->cat, req->caller.acct.id,
        req->params[0], a.id, hdr, hdrlen);
    if (r == STORAGE_EEXIST) {
        /* Replace: revoke, then add the new header. */
        status = 200;
        r = catalog_grant_revoke(req->app->cat, req->caller.acct.id,
            req->params[0], a.id);
        if (r == 0) {
            r = catalog_grant_add(req->app->cat, req->caller.acct.id,
                req->params[0], a.id, hdr, hdrlen);
        }
    }
    if (r != 0) {
        api_reply_storage(req, r, "no such document");
        goto done;
    }
    if (catalog_grant_get(req->app->cat, req->params[0], a.id, &g) != 0) {
        g.created = api_now();
        g.header = NULL;
    }
    api_reply_json(req, status, json_pack("{s:s,s:s,s:o}", "document",
        req->params[0], "account", api_account_public_id(&a), "created_at",
        api_time_json(g.created)));
    catalog_grant_clear(&g);

done:
    free(hdr);
    json_decref(body);
    return (0);
}

int
api_grant_delete(struct api_req *req)
{
    struct catalog_document doc;
    struct catalog_account owner, a;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    if (grantee(req, &a)) {
        return (0);
    }
    r = catalog_grant_revoke(req->app->cat, req->caller.acct.id,
        req->params[0], a.id);
    if (r == STORAGE_EINVAL) {
        r = STORAGE_ENOTFOUND;
    }
    if (r != 0) {
        return (api_reply_storage(req, r, "no such grant"));
    }
    return (api_reply_empty(req, 204));
}

int
api_link_create(struct api_req *req)
{
    static const char *const fields[] = { "header", "expires_in", "uses",
        NULL };
    uint8_t secret[LINK_SECRET_BYTES];
    char b64[AUTH_TOKEN_B64_LEN + 1], tok[LINK_TOKEN_LEN + 1];
    char path[LINK_TOKEN_LEN + 8];
    struct catalog_document doc;
    struct catalog_account owner;
    struct catalog_share sh;
    int64_t exp, uses;
    json_t *body = NULL;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    memset(&sh, 0, sizeof(sh));
    if (api_body_json(req, fields, &body) ||
        api_json_b64(req, body, "header", 1, CATALOG_HEADER_MAX_BYTES,
        &sh.header, &sh.headerlen) ||
        api_json_int(req, body, "expires_in", LINK_EXPIRES_SECS_MIN,
        LINK_EXPIRES_SECS_MAX, LINK_EXPIRES_SECS_DEFAULT, &exp) ||
        api_json_int(req, body, "uses", 1, LINK_USES_MAX, LINK_USES_DEFAULT,
        &uses)) {
        goto done;
    }
    secmem_random(secret, sizeof(secret));
    r = ids_token_encode(secret, sizeof(secret), b64, sizeof(b64));
    digest_buf(secret, sizeof(secret), sh.token_hash);
    secmem_wipe(secret, sizeof(secret));
    if (r != 0) {
        r = -1;
        goto done;
    }
    memcpy(sh.document, req->params[0], CATALOG_ID_BUFLEN);
    sh.expires = api_now() + exp;
    sh.uses_left = uses;
    if ((r = catalog_share_create(req->app->cat, req->caller.acct.id,
        &sh)) != 0) {
        api_reply_storage(req, r, "no such document");
        goto done;
    }
    snprintf(tok, sizeof(tok), "%s.%s", sh.id, b64);
    snprintf(path, sizeof(path), "/s/%s", tok);
    api_reply_json(req, 201, json_pack("{s:s,s:s,s:s,s:o,s:I}", "link",
        sh.id, "token", tok, "path", path, "expires_at",
        api_time_json(sh.expires), "uses", (json_int_t)uses));
    secmem_wipe(tok, sizeof(tok));
    secmem_wipe(b64, sizeof(b64));

done:
    free(sh.header);
    json_decref(body);
    return (r < 0 ? -1 : 0);
}

int
api_link_list(struct api_req *req)
{
    struct catalog_document doc;
    struct catalog_account owner;
    struct catalog_share *v;
    json_t *arr;
    size_t n, i;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    if ((r = catalog_share_list(req->app->cat, req->params[0], &v, &n)) !=
        0) {
        return (api_reply_storage(req, r, "no such document"));
    }
    arr = json_array();
    for (i = 0; arr != NULL && i < n; i++) {
        json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:I,s:b}",
            "link", v[i].id, "created_at", api_time_json(v[i].created),
            "expires_at", api_time_json(v[i].expires), "uses_left",
            (json_int_t)v[i].uses_left, "revoked", v[i].revoked));
    }
    catalog_share_list_free(v, n);
    return (api_reply_json(req, 200, json_pack("{s:o}", "links", arr)));
}

int
api_link_delete(struct api_req *req)
{
    struct catalog_document doc;
    struct catalog_account owner;
    struct catalog_share sh;
    int r;

    if ((r = docs_visible(req, req->params[0], &doc, &owner, 1)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    catalog_document_clear(&doc);
    if (!catalog_id_valid(req->params[1])) {
        return (api_reply_error(req, 400, "bad_id", "malformed link id"));
    }
    if ((r = catalog_share_get(req->app->cat, req->params[1], &sh)) != 0) {
        return (api_reply_storage(req, r, "no such link"));
    }
    r = strcmp(sh.document, req->params[0]) == 0 ? 0 : STORAGE_ENOTFOUND;
    catalog_share_clear(&sh);
    if (r == 0) {
        r = catalog_share_revoke(req->app->cat, req->caller.acct.id,
            req->params[1]);
    }
    if (r != 0) {
        return (api_reply_storage(req, r, "no such link"));
    }
    return (api_reply_empty(req, 204));
}

/* Split a link token into its id and the hash of its secret. */
static int
token_split(const char *tok, char id[CATALOG_ID_BUFLEN],
    uint8_t hash[CATALOG_HASH_BYTES])
{
    uint8_t secret[LINK_SECRET_BYTES];

    if (strlen(tok) != LINK_TOKEN_LEN || tok[CATALOG_ID_LEN] != '.') {
        return (-1);
    }
    memcpy(id, tok, CATALOG_ID_LEN);
    id[CATALOG_ID_LEN] = '\0';
    if (!catalog_id_valid(id) || ids_token_decode(tok + CATALOG_ID_LEN + 1,
        AUTH_TOKEN_B64_LEN, secret, sizeof(secret)) != 0) {
        return (-1);
    }
    digest_buf(secret, sizeof(secret), hash);
    secmem_wipe(secret, sizeof(secret));
    return (0);
}

int
api_share_get(struct api_req *req)
{
    uint8_t hash[CATALOG_HASH_BYTES];
    char id[CATALOG_ID_BUFLEN];
    struct catalog_document doc;
    struct catalog_share sh;
    uint64_t size;
    int fd, r;

    if (token_split(req->params[0], id, hash) != 0) {
        return (api_reply_error(req, 404, "not_found", "no such link"));
    }
    if ((r = catalog_share_use(req->app->cat, hash, api_now(), &sh)) != 0) {
        return (api_reply_storage(req, r, "no such link"));
    }
    if (strcmp(sh.id, id) != 0 ||
        (r = catalog_document_get(req->app->cat, sh.document, &doc)) != 0) {
        catalog_share_clear(&sh);
        return (api_reply_error(req, 404, "not_found", "no such link"));
    }
    r = blobstore_open_read(req->app->bs, doc.blob, &fd, &size);
    catalog_document_clear(&doc);
    if (r != 0) {
        catalog_share_clear(&sh);
        return (api_reply_storage(req, r, "no such link"));
    }
    api_header_add(req, "Content-Disposition",
        "attachment; filename=\"document.age\"");
    r = api_reply_fd(req, 200, fd, 0, size, sh.header, sh.headerlen,
        "application/octet-stream");
    catalog_share_clear(&sh);
    return (r < 0 && !req->answered ? -1 : 0);
}

int
api_share_signature(struct api_req *req)
{
    uint8_t hash[CATALOG_HASH_BYTES];
    char id[CATALOG_ID_BUFLEN];
    struct catalog_document doc;
    struct catalog_account dep;
    struct catalog_share sh;
    json_t *o;
    int r;

    if (token_split(req->params[0], id, hash) != 0 ||
        catalog_share_get(req->app->cat, id, &sh) != 0) {
        return (api_reply_error(req, 404, "not_found", "no such link"));
    }
    r = secmem_eq(sh.token_hash, hash, sizeof(hash)) && !sh.revoked &&
        sh.expires > api_now() && sh.uses_left != 0 &&
        catalog_document_get(req->app->cat, sh.document, &doc) == 0;
    if (!r) {
        catalog_share_clear(&sh);
        return (api_reply_error(req, 404, "not_found", "no such link"));
    }
    if (doc.state != CATALOG_DOC_LIVE ||
        catalog_account_get(req->app->cat, doc.depositor, &dep) != 0) {
        catalog_document_clear(&doc);
        catalog_share_clear(&sh);
        return (api_reply_error(req, 404, "not_found", "no such link"));
    }
    o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:I}", "document", doc.id, "class",
        doc.doc_class, "signature",
        doc.signature != NULL ? doc.signature : "", "signer_key",
        dep.minisign_key, "expires_at", api_time_json(sh.expires),
        "uses_left", (json_int_t)sh.uses_left);
    catalog_document_clear(&doc);
    catalog_share_clear(&sh);
    return (api_reply_json(req, 200, o));
}

/* Oppositions are for persons only; others get 404. */
static int
opp_caller(struct api_req *req)
{

    if (req->caller.acct.kind != CATALOG_KIND_PERSON) {
        api_reply_error(req, 404, "not_found", "no such resource");
        return (1);
    }
    return (0);
}

int
api_opp_list(struct api_req *req)
{
    struct catalog_opposition *v;
    json_t *arr;
    size_t n, i;
    int r;

    if (opp_caller(req)) {
        return (0);
    }
    if ((r = catalog_opposition_list(req->app->cat, req->caller.acct.id, &v,
        &n)) != 0) {
        return (api_reply_storage(req, r, ""));
    }
    arr = json_array();
    for (i = 0; arr != NULL && i < n; i++) {
        json_array_append_new(arr, json_pack("{s:s,s:o}", "siret",
            v[i].siret, "created_at", api_time_json(v[i].since)));
    }
    free(v);
    return (api_reply_json(req, 200, json_pack("{s:o}", "oppositions",
        arr)));
}

int
api_opp_put(struct api_req *req)
{
    const char *siret = req->params[0];
    int64_t since = api_now();
    unsigned status = 201;
    int r;

    if (opp_caller(req)) {
        return (0);
    }
    if (!ids_siret_valid(siret, strlen(siret))) {
        return (api_reply_error(req, 400, "bad_id", "malformed SIRET"));
    }
    r = catalog_opposition_add(req->app->cat, req->caller.acct.id,
        req->caller.acct.id, siret, since);
    if (r == STORAGE_EEXIST) {
        status = 200;
        r = catalog_opposition_get(req->app->cat, req->caller.acct.id, siret,
            &since);
    }
    if (r != 0) {
        return (api_reply_storage(req, r, ""));
    }
    return (api_reply_json(req, status, json_pack("{s:s,s:o}", "siret",
        siret, "created_at", api_time_json(since))));
}

int
api_opp_delete(struct api_req *req)
{
    const char *siret = req->params[0];
    int r;

    if (opp_caller(req)) {
        return (0);
    }
    if (!ids_siret_valid(siret, strlen(siret))) {
        return (api_reply_error(req, 400, "bad_id", "malformed SIRET"));
    }
    r = catalog_opposition_remove(req->app->cat, req->caller.acct.id,
        req->caller.acct.id, siret);
    if (r != 0) {
        return (api_reply_storage(req, r, "no such opposition"));
    }
    return (api_reply_empty(req, 204));
}

/* The signed head of chain ${chain} of vault ${vault}, or NULL. */
static json_t *
audit_head(struct api_req *req, const char *chain, const char *vault)
{
    char hex[2 * DIGEST_BYTES + 1], sig[SIGNER_SIG_MAX], trusted[128];
    char idtext[DIGEST_ID_BUFLEN];
    uint8_t hash[DIGEST_BYTES];
    uint64_t seq;
    char *text;
    json_t *o;

    if (catalog_audit_head(req->app->cat, chain, &seq, hash) != 0) {
        return (NULL);
    }
    digest_id_format(hash, idtext);
    memcpy(hex, idtext + 7, sizeof(hex));
    o = json_pack("{s:s,s:s,s:I,s:o,s:s,s:s}", "chain", chain, "hash", hex,
        "seq", (json_int_t)seq, "time", api_time_json(api_now()), "type",
        "coffre-audit-head-v1", "vault", vault);
    if (o == NULL) {
        return (NULL);
    }
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL) {
        return (NULL);
    }
    snprintf(trusted, sizeof(trusted), "coffre-audit-head-v1 seq=%llu",
        (unsigned long long)seq);
    o = NULL;
    if (signer_sign(req->app->signer, text, strlen(text), trusted, sig,
        sizeof(sig)) > 0) {
        o = json_pack("{s:s,s:s}", "text", text, "signature", sig);
    }
    free(text);
    return (o);
}

/* Hex of 32 bytes as a JSON string. */
static json_t *
hex_json(const uint8_t h[DIGEST_BYTES])
{
    char idtext[DIGEST_ID_BUFLEN];

    digest_id_format(h, idtext);
    return (json_string(idtext + 7));
}

int
api_audit_get(struct api_req *req)
{
    static const char *const qnames[] = { "after", "limit", NULL };
    struct catalog_audit_entry *v;
    const char *qv[3];
    uint64_t after = 0, limit = API_PAGE_DEFAULT;
    json_t *arr, *head, *o;
    size_t n, i;
    int r;

    if (ids_vault_parse(req->params[0], strlen(req->params[0]), NULL) != 0) {
        return (api_reply_error(req, 400, "bad_id", "malformed vault"));
    }
    if (req->caller.acct.kind != CATALOG_KIND_PERSON ||
        strcmp(req->caller.acct.vault, req->params[0]) != 0) {
        return (api_reply_error(req, 404, "not_found", "no such vault"));
    }
    if (api_query(req, qnames, qv)) {
        return (0);
    }
    if ((qv[0] != NULL && ids_u64_parse(qv[0], strlen(qv[0]), 0,
        UINT64_MAX >> 1, &after)) ||
        (qv[1] != NULL && ids_u64_parse(qv[1], strlen(qv[1]), 1,
        API_PAGE_MAX, &limit))) {
        return (api_reply_error(req, 400, "bad_query", "bad query value"));
    }
    if ((r = catalog_audit_list(req->app->cat, req->caller.acct.id, after,
        (size_t)limit, &v, &n)) != 0) {
        return (api_reply_storage(req, r, ""));
    }
    arr = json_array();
    for (i = 0; arr != NULL && i < n; i++) {
        json_array_append_new(arr, json_pack(
            "{s:I,s:o,s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
            "seq", (json_int_t)v[i].seq, "time", api_time_json(v[i].time),
            "chain", v[i].chain, "actor", v[i].actor, "action",
            v[i].action, "target", v[i].target, "detail", v[i].detail,
            "prev", hex_json(v[i].prev), "hash", hex_json(v[i].hash)));
    }
    head = audit_head(req, req->caller.acct.id, req->caller.acct.vault);
    o = json_pack("{s:o,s:o,s:o}", "entries", arr, "next",
        n == limit && n > 0 ? json_integer((json_int_t)v[n - 1].seq) :
        json_null(), "head", head);
    free(v);
    return (api_reply_json(req, 200, o));
}
