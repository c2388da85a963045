/*
 * Helpers shared by the handlers: answers, query strings, JSON bodies,
 * storage error mapping, account names.
 */
#include "daemon/api.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/ids.h"
#include "daemon/limits.h"
#include "daemon/logger.h"
#include "storage/storage.h"

unsigned
api_status_from(int err, const char **code)
{

    switch (err) {
    case STORAGE_ENOTFOUND:
        *code = "not_found";
        return (404);
    case STORAGE_EEXIST:
        *code = "conflict";
        return (409);
    case STORAGE_EDIGEST:
        *code = "digest_mismatch";
        return (400);
    case STORAGE_ENOSPC:
        *code = "storage_full";
        return (507);
    case STORAGE_ETOOBIG:
        *code = "too_large";
        return (413);
    case STORAGE_EINVAL:
        *code = "bad_field";
        return (400);
    case STORAGE_EBUSY:
        *code = "unavailable";
        return (503);
    default:
        *code = "internal";
        return (500);
    }
}

/* Queue ${resp} with the collected headers; sets answered/status. */
static int
queue(struct api_req *req, unsigned status, struct MHD_Response *resp)
{
    size_t i;
    int ok;

    req->answered = 1;
    req->status = status;
    if (resp == NULL) {
        req->queue_failed = 1;
        return (-1);
    }
    for (i = 0; i < req->nhdrs; i++) {
        MHD_add_response_header(resp, req->hdrs[i].name, req->hdrs[i].value);
    }
    req->nhdrs = 0;
    req->hdrpoollen = 0;
    /* On a worker: the connection's own thread queues it on resume. */
    if (req->in_worker) {
        req->pending = resp;
        req->pending_status = status;
        return (0);
    }
    ok = MHD_queue_response(req->conn, status, resp) == MHD_YES;
    MHD_destroy_response(resp);
    if (!ok) {
        req->queue_failed = 1;
        return (-1);
    }
    return (0);
}

void
api_header_add(struct api_req *req, const char *name, const char *value)
{

    size_t len = strlen(value) + 1;
    char *v;

    if (req->nhdrs == sizeof(req->hdrs) / sizeof(req->hdrs[0]) ||
        len > sizeof(req->hdrpool) - req->hdrpoollen) {
        return;
    }
    v = req->hdrpool + req->hdrpoollen;
    memcpy(v, value, len);
    req->hdrpoollen += len;
    req->hdrs[req->nhdrs].name = name;
    req->hdrs[req->nhdrs].value = v;
    req->nhdrs++;
}

int
api_reply_json(struct api_req *req, unsigned status, json_t *obj)
{
    struct MHD_Response *resp = NULL;
    char *text;

    if (obj == NULL) {
        return (api_reply_error(req, 500, "internal", "internal error"));
    }
    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (text == NULL) {
        return (api_reply_error(req, 500, "internal", "internal error"));
    }
    req->bytes = strlen(text) + 1;
    text[req->bytes - 1] = '\n';
    resp = MHD_create_response_from_buffer(req->bytes, text,
        MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return (queue(req, status, NULL));
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
        "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return (queue(req, status, resp));
}

int
api_reply_text(struct api_req *req, unsigned status, char *json, size_t len)
{
    struct MHD_Response *resp;

    req->bytes = len;
    resp = MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(json);
        return (queue(req, status, NULL));
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
        "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return (queue(req, status, resp));
}

int
api_reply_static(struct api_req *req, unsigned status, const char *json)
{
    struct MHD_Response *resp;

    req->bytes = strlen(json);
    resp = MHD_create_response_from_buffer(req->bytes,
        (void *)(uintptr_t)json, MHD_RESPMEM_PERSISTENT);
    if (resp != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
            "application/json");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
            "no-store");
    }
    return (queue(req, status, resp));
}

int
api_reply_error(struct api_req *req, unsigned status, const char *code,
    const char *message)
{
    json_t *o;

    if (status == 401) {
        api_header_add(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    }
    o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
        message);
    if (o == NULL) {
        return (queue(req, status, NULL));
    }
    return (api_reply_json(req, status, o));
}

int
api_reply_storage(struct api_req *req, int err, const char *what)
{
    const char *code;
    unsigned status;

    status = api_status_from(err, &code);
    if (status >= 500) {
        log_err(req->id, "storage: %s: %s", storage_strerror(err),
            storage_detail());
        if (status == 500) {
            return (api_reply_error(req, 500, code, "internal error"));
        }
        return (api_reply_error(req, status, code,
            status == 507 ? "storage full" : "server busy"));
    }
    if (status == 404) {
        return (api_reply_error(req, 404, code, what));
    }
    return (api_reply_error(req, status, code, storage_strerror(err)));
}

void
api_audit(struct api_req *req, const char *chain, const char *actor,
    const char *action, const char *target, const char *detail)
{
    int r;

    if ((r = catalog_audit_append(req->app->cat, chain, actor, action,
        target, detail)) != 0) {
        log_warn(req->id, "audit entry %s not recorded: %s: %s", action,
            storage_strerror(r), storage_detail());
    }
}

int
api_reply_empty(struct api_req *req, unsigned status)
{
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    return (queue(req, status, resp));
}

/* A body made of a copied prefix then a range of a file. */
struct prefixed {
    uint8_t *hdr;
    size_t hdrlen;
    int fd;
    uint64_t off;
};

/* Content reader for struct prefixed. */
static ssize_t
prefixed_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct prefixed *p = cls;
    ssize_t r;
    size_t n;

    if (pos < p->hdrlen) {
        n = p->hdrlen - (size_t)pos;
        if (n > max) {
            n = max;
        }
        memcpy(buf, p->hdr + pos, n);
        return ((ssize_t)n);
    }
    r = pread(p->fd, buf, max, (off_t)(p->off + pos - p->hdrlen));
    if (r <= 0) {
        return (MHD_CONTENT_READER_END_WITH_ERROR);
    }
    return (r);
}

/* Release a struct prefixed. */
static void
prefixed_free(void *cls)
{
    struct prefixed *p = cls;

    close(p->fd);
    free(p->hdr);
    free(p);
}

int
api_reply_fd(struct api_req *req, unsigned status, int fd, uint64_t off,
    uint64_t len, const uint8_t *hdrbuf, size_t hdrlen, const char *ctype)
{
    struct MHD_Response *resp;
    struct prefixed *p;

    if (hdrlen == 0) {
        resp = MHD_create_response_from_fd_at_offset64(len, fd, off);
        if (resp == NULL) {
            close(fd);
        }
    } else {
        if ((p = calloc(1, sizeof(*p))) == NULL ||
            (p->hdr = malloc(hdrlen)) == NULL) {
            free(p);
            close(fd);
            return (queue(req, status, NULL));
        }
        memcpy(p->hdr, hdrbuf, hdrlen);
        p->hdrlen = hdrlen;
        p->fd = fd;
        p->off = off;
        resp = MHD_create_response_from_callback(len + hdrlen, 65536,
            prefixed_read, p, prefixed_free);
        if (resp == NULL) {
            prefixed_free(p);
        }
    }
    if (resp != NULL) {
        req->bytes = len + hdrlen;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    }
    return (queue(req, status, resp));
}

const char *
api_req_header(struct api_req *req, const char *name)
{

    return (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name));
}

/* State of the query-string walk. */
struct qwalk {
    const char *const *allowed;
    const char **values;
    int bad;
    size_t n;
};

/* One query argument: known, once, with a value. */
static enum MHD_Result
qarg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct qwalk *w = cls;
    size_t i;

    (void)kind;
    if (++w->n > API_MAX_QUERY_PARAMS || value == NULL) {
        w->bad = 1;
        return (MHD_NO);
    }
    for (i = 0; w->allowed[i] != NULL; i++) {
        if (strcmp(w->allowed[i], key) == 0) {
            if (w->values[i] != NULL) {
                w->bad = 1;
                return (MHD_NO);
            }
            w->values[i] = value;
            return (MHD_YES);
        }
    }
    w->bad = 1;
    return (MHD_NO);
}

int
api_query(struct api_req *req, const char *const *allowed,
    const char **values)
{
    struct qwalk w = { allowed, values, 0, 0 };
    size_t i;

    for (i = 0; allowed[i] != NULL; i++) {
        values[i] = NULL;
    }
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, qarg, &w);
    if (w.bad) {
        api_reply_error(req, 400, "bad_query", "malformed query string");
        return (1);
    }
    return (0);
}

/* Depth of JSON value ${v}, stopping past ${max}. */
static size_t
json_depth(json_t *v, size_t max)
{
    size_t d = 0, c, i;
    const char *k;
    json_t *e;

    if (max == 0) {
        return (1);
    }
    if (json_is_object(v)) {
        json_object_foreach(v, k, e) {
            if ((c = json_depth(e, max - 1)) > d) {
                d = c;
            }
        }
        return (d + 1);
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if ((c = json_depth(e, max - 1)) > d) {
                d = c;
            }
        }
        return (d + 1);
    }
    return (0);
}

int
api_body_json(struct api_req *req, const char *const *fields, json_t **out)
{
    json_error_t jerr;
    const char *k;
    json_t *o, *v;
    size_t i;

    *out = NULL;
    o = json_loadb((const char *)req->body, req->bodylen,
        JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || !json_is_object(o) ||
        json_depth(o, API_MAX_JSON_DEPTH) > API_MAX_JSON_DEPTH) {
        json_decref(o);
        api_reply_error(req, 400, "bad_json", "body is not a JSON object");
        return (1);
    }
    json_object_foreach(o, k, v) {
        for (i = 0; fields[i] != NULL; i++) {
            if (strcmp(fields[i], k) == 0) {
                break;
            }
        }
        if (fields[i] == NULL) {
            json_decref(o);
            api_reply_error(req, 400, "unknown_field",
                "unknown field in body");
            return (1);
        }
    }
    *out = o;
    return (0);
}

int
api_json_str(struct api_req *req, json_t *obj, const char *key,
    int required, size_t max, const char **out, size_t *len)
{
    json_t *v;

    *out = NULL;
    *len = 0;
    if ((v = json_object_get(obj, key)) == NULL || json_is_null(v)) {
        if (required) {
            api_reply_error(req, 400, "missing_field",
                "a required field is missing");
            return (1);
        }
        return (0);
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        api_reply_error(req, 400, "bad_field", "a field has a bad value");
        return (1);
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return (0);
}

int
api_json_b64(struct api_req *req, json_t *obj, const char *key,
    int required, size_t max, uint8_t **out, size_t *len)
{
    const char *s;
    size_t slen;

    *out = NULL;
    *len = 0;
    if (api_json_str(req, obj, key, required, (max + 2) / 3 * 4, &s, &slen)) {
        return (1);
    }
    if (s == NULL) {
        return (0);
    }
    if (ids_b64_decode(s, slen, out, max, len) != 0) {
        api_reply_error(req, 400, "bad_field", "a field is not base64");
        return (1);
    }
    return (0);
}

int
api_json_int(struct api_req *req, json_t *obj, const char *key,
    int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    json_t *v;

    *out = dflt;
    if ((v = json_object_get(obj, key)) == NULL || json_is_null(v)) {
        return (0);
    }
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        api_reply_error(req, 400, "bad_field", "a field has a bad value");
        return (1);
    }
    *out = json_integer_value(v);
    return (0);
}

int64_t
api_now(void)
{

    return ((int64_t)time(NULL));
}

json_t *
api_time_json(int64_t t)
{
    char buf[IDS_TIME_BUFLEN];

    if (t == 0 || ids_time_format(t, buf) != 0) {
        return (json_null());
    }
    return (json_string(buf));
}

const char *
api_account_public_id(const struct catalog_account *acct)
{

    switch (acct->kind) {
    case CATALOG_KIND_PERSON:
        return (acct->vault);
    case CATALOG_KIND_EMPLOYER:
        return (acct->siret);
    case CATALOG_KIND_SERVICE:
        return (acct->name);
    case CATALOG_KIND_ANY:
    default:
        return (acct->id);
    }
}

int
api_account_by_public(struct app *app, const char *s, int kind,
    struct catalog_account *out)
{
    struct catalog_account *v;
    size_t n, i, len = strlen(s);
    int k, r;

    memset(out, 0, sizeof(*out));
    k = ids_account_kind(s, len);
    if (k == 0 || (kind != 0 && k != kind)) {
        return (STORAGE_EINVAL);
    }
    if (k == IDS_KIND_PERSON) {
        return (catalog_account_get_by_vault(app->cat, s, out));
    }
    if (k == IDS_KIND_EMPLOYER) {
        return (catalog_account_get_by_siret(app->cat, s, out));
    }
    /* Services are few: find the one with that name. */
    if ((r = catalog_account_list(app->cat, CATALOG_KIND_SERVICE,
        CATALOG_STATE_ANY, &v, &n)) != 0) {
        return (r);
    }
    r = STORAGE_ENOTFOUND;
    for (i = 0; i < n; i++) {
        if (strcmp(v[i].name, s) == 0) {
            *out = v[i];
            r = 0;
            break;
        }
    }
    free(v);
    return (r);
}

json_t *
api_account_json(const struct catalog_account *acct, int with_state)
{
    static const char *const kinds[] = { "any", "person", "employer",
        "service" };
    static const char *const states[] = { "any", "pending", "active",
        "disabled" };
    json_t *o;

    o = json_pack("{s:s,s:s,s:s,s:s}", "account",
        api_account_public_id(acct), "kind", kinds[acct->kind & 3],
        "age_recipient", acct->age_recipient, "minisign_key",
        acct->minisign_key);
    if (o == NULL) {
        return (NULL);
    }
    if (acct->kind == CATALOG_KIND_PERSON) {
        json_object_set_new(o, "vault", json_string(acct->vault));
    } else if (acct->kind == CATALOG_KIND_EMPLOYER) {
        json_object_set_new(o, "siret", json_string(acct->siret));
        json_object_set_new(o, "name", json_string(acct->name));
    } else if (acct->kind == CATALOG_KIND_SERVICE) {
        json_object_set_new(o, "name", json_string(acct->name));
    }
    if (with_state) {
        json_object_set_new(o, "status", json_string(states[acct->state & 3]));
        json_object_set_new(o, "created_at", api_time_json(acct->created));
    }
    return (o);
}
