#ifndef API_H_
#define API_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "storage/catalog.h"

/*
 * What request handlers see: the server context, one request, the route
 * table, and the helpers that answer.  A handler answers exactly once
 * (api_reply_*) and returns 0, or returns -1 after a failure that should
 * become `500 internal` if nothing was answered yet.
 *
 * Handlers receive path parameters already split out of the URL; they
 * validate them (ids.h) before any storage call.  Storage error codes are
 * mapped to HTTP in one place, api_status_from().
 */

struct blobstore;
struct catalog;
struct config;
struct signer;
struct auth;
struct api_req;
struct MHD_Connection;
struct MHD_Response;

/* The server: shared by every thread, read-only after start but counters. */
struct app {
    const struct config *cfg;
    struct blobstore *bs;
    struct catalog *cat;
    struct signer *signer;
    struct auth *auth;
    volatile int draining;         /* SIGTERM received: health says 503 */
};

/* Route flags. */
#define ROUTE_AUTH 0x1             /* needs a valid bearer token */
#define ROUTE_STREAM 0x2           /* body streamed to ->stream_* */
#define ROUTE_NOBODY 0x4           /* a request body is refused (413) */
#define ROUTE_PENDING_OK 0x10       /* open to accounts awaiting approval */
#define ROUTE_DEFER 0x8            /* handler waits on the disk: run it on
                                      a worker, connection suspended */

struct route {
    const char *method;
    const char *pattern;           /* "/v1/documents/{doc}" */
    unsigned flags;
    int (*handler)(struct api_req *);
    /* ROUTE_STREAM only: called first (may answer), then per chunk. */
    int (*stream_begin)(struct api_req *);
    int (*stream_data)(struct api_req *, const uint8_t *, size_t);
    void (*stream_free)(struct api_req *);
};

/* The authenticated caller. */
struct api_caller {
    int authed;
    struct catalog_account acct;
    uint8_t token_hash[CATALOG_HASH_BYTES];
    const char *public_id;         /* vault, SIRET or service name */
};

struct api_req {
    struct app *app;
    struct MHD_Connection *conn;
    const struct route *route;
    uint64_t id;                   /* request id for the log */
    uint64_t t0_usec;
    char method[16];
    char *params[4];               /* path parameters, in pattern order */
    size_t nparams;
    struct api_caller caller;
    uint8_t *body;                 /* buffered request body (JSON) */
    size_t bodylen;
    size_t bodycap;
    uint64_t content_length;       /* UINT64_MAX if absent */
    void *stream;                  /* ROUTE_STREAM state */
    uint64_t streamed;             /* bytes seen so far */
    int stream_err;                /* storage error met while streaming */
    struct {
        const char *name;          /* a constant string */
        const char *value;         /* in hdrpool */
    } hdrs[8];                     /* response headers of the next reply */
    size_t nhdrs;
    char hdrpool[512];             /* header values */
    size_t hdrpoollen;
    int deferred;                  /* handler handed to a worker */
    int in_worker;                 /* ... and running there now */
    struct MHD_Response *pending;  /* reply made by the worker */
    unsigned pending_status;
    struct api_req *qnext;         /* worker queue link */
    int answered;                  /* a reply was attempted */
    int queue_failed;              /* ... and libmicrohttpd refused it */
    unsigned status;
    uint64_t bytes;
    char addr[48];
};

/**
 * api_routes, api_nroutes:
 * The route table (api_routes.c), in matching order.
 */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/**
 * api_status_from(err, code):
 * Map a STORAGE_E* code to an HTTP status and set ${*code} to the API
 * error code (docs/API.md §2).
 */
unsigned api_status_from(int err, const char **code);

/**
 * api_reply_json(req, status, obj):
 * Answer ${status} with the JSON ${obj} (reference stolen).  Return 0, or
 * -1 if nothing could be queued.
 */
int api_reply_json(struct api_req *req, unsigned status, json_t *obj);

/**
 * api_reply_text(req, status, json, len):
 * Answer ${status} with the JSON text ${json} of ${len} bytes, a malloc'd
 * buffer whose ownership passes to the reply (freed on every path).
 */
int api_reply_text(struct api_req *req, unsigned status, char *json,
    size_t len);

/**
 * api_reply_static(req, status, json):
 * Answer ${status} with the constant JSON text ${json} (not copied).
 */
int api_reply_static(struct api_req *req, unsigned status, const char *json);

/**
 * api_reply_error(req, status, code, message):
 * Answer an error body.  ${message} is a constant English text.
 */
int api_reply_error(struct api_req *req, unsigned status, const char *code,
    const char *message);

/**
 * api_reply_storage(req, err, what):
 * Answer the error for storage code ${err}; ENOTFOUND gives
 * `404 not_found` with ${what} as message.  Logs the storage detail of
 * unexpected errors.
 */
int api_reply_storage(struct api_req *req, int err, const char *what);

/**
 * api_audit(req, chain, actor, action, target, detail):
 * Append an event of the daemon's own (a read, a login, a refusal) to
 * audit chain ${chain}.  The request goes on if that fails (a full disk
 * must not stop reads); the failure is logged as a warning.
 */
void api_audit(struct api_req *req, const char *chain, const char *actor,
    const char *action, const char *target, const char *detail);

/**
 * api_reply_empty(req, status):
 * Answer with no body (204, 304).
 */
int api_reply_empty(struct api_req *req, unsigned status);

/**
 * api_reply_fd(req, status, fd, off, len, hdrbuf, hdrlen, ctype):
 * Stream ${len} bytes of ${fd} from ${off} (the response owns and closes
 * ${fd}), preceded by the ${hdrlen} bytes of ${hdrbuf} (copied; may be
 * NULL).  The caller adds headers with api_reply_header() *before*: they
 * are collected on the request.  Return 0 or -1 (then ${fd} is closed).
 */
int api_reply_fd(struct api_req *req, unsigned status, int fd, uint64_t off,
    uint64_t len, const uint8_t *hdrbuf, size_t hdrlen, const char *ctype);

/**
 * api_header_add(req, name, value):
 * Add a response header to the next reply of ${req} (at most 8).
 */
void api_header_add(struct api_req *req, const char *name, const char *value);

/**
 * api_req_header(req, name):
 * The request header ${name}, or NULL.
 */
const char *api_req_header(struct api_req *req, const char *name);

/**
 * api_query(req, allowed, values):
 * Check the query string: every argument must be named in the
 * NULL-terminated ${allowed}, at most once, with a value.  Set values[i]
 * (pointers valid for the request) or NULL.  Return 0, or answer
 * `400 bad_query` and return 1.
 */
int api_query(struct api_req *req, const char *const *allowed,
    const char **values);

/**
 * api_body_json(req, fields, out):
 * Parse the buffered body as a JSON object whose keys are all among the
 * NULL-terminated ${fields}.  Set ${*out} (caller decrefs) and return 0, or
 * answer 400 (bad_json / unknown_field) and return 1.
 */
int api_body_json(struct api_req *req, const char *const *fields,
    json_t **out);

/**
 * api_json_str(req, obj, key, required, max, out, len):
 * Fetch string member ${key}: set ${*out}/${*len}, or NULL if absent and
 * not ${required}.  Answers 400 missing_field / bad_field (length 0 or
 * above ${max}, or not a string) and returns 1.
 */
int api_json_str(struct api_req *req, json_t *obj, const char *key,
    int required, size_t max, const char **out, size_t *len);

/**
 * api_json_b64(req, obj, key, required, max, out, len):
 * As api_json_str() for a base64 member decoded into a malloc'd ${*out}.
 */
int api_json_b64(struct api_req *req, json_t *obj, const char *key,
    int required, size_t max, uint8_t **out, size_t *len);

/**
 * api_json_int(req, obj, key, min, max, dflt, out):
 * Integer member ${key} in [${min}, ${max}], ${dflt} if absent.  Answers
 * 400 bad_field and returns 1 otherwise.
 */
int api_json_int(struct api_req *req, json_t *obj, const char *key,
    int64_t min, int64_t max, int64_t dflt, int64_t *out);

/**
 * api_now():
 * Seconds since the epoch.
 */
int64_t api_now(void);

/**
 * api_time_json(t):
 * A JSON string with the RFC 3339 form of ${t}, or JSON null if ${t} is 0.
 */
json_t *api_time_json(int64_t t);

/**
 * api_account_public_id(acct):
 * The public account id of ${acct}: vault, SIRET or service name.
 */
const char *api_account_public_id(const struct catalog_account *acct);

/**
 * api_account_by_public(app, s, kind, out):
 * Find the account named by public id ${s} (any kind if ${kind} is 0, else
 * only IDS_KIND_${kind}).  Return 0, STORAGE_ENOTFOUND, STORAGE_EINVAL if
 * ${s} has no valid form, or another storage error.
 */
int api_account_by_public(struct app *app, const char *s, int kind,
    struct catalog_account *out);

/**
 * api_account_json(acct, with_state):
 * The key directory view of ${acct} (new reference or NULL).
 */
json_t *api_account_json(const struct catalog_account *acct, int with_state);

/* Handlers (api_*.c). */
int api_health(struct api_req *);
int api_info(struct api_req *);
int api_register(struct api_req *);
int api_challenge(struct api_req *);
int api_login(struct api_req *);
int api_logout(struct api_req *);
int api_me(struct api_req *);
int api_dir_vault(struct api_req *);
int api_dir_employer(struct api_req *);
int api_dir_service(struct api_req *);
int api_blob_put_begin(struct api_req *);
int api_blob_put_data(struct api_req *, const uint8_t *, size_t);
void api_blob_put_free(struct api_req *);
int api_blob_put(struct api_req *);
int api_blob_get(struct api_req *);
int api_doc_deposit(struct api_req *);
int api_doc_list(struct api_req *);
int api_doc_get(struct api_req *);
int api_doc_delete(struct api_req *);
int api_grant_list(struct api_req *);
int api_grant_put(struct api_req *);
int api_grant_delete(struct api_req *);
int api_link_create(struct api_req *);
int api_link_list(struct api_req *);
int api_link_delete(struct api_req *);
int api_share_get(struct api_req *);
int api_share_signature(struct api_req *);
int api_opp_list(struct api_req *);
int api_opp_put(struct api_req *);
int api_opp_delete(struct api_req *);
int api_audit_get(struct api_req *);
int api_shared_list(struct api_req *);

#endif /* !API_H_ */
