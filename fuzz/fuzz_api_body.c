/*
 * libFuzzer target for what the daemon makes of request bodies and query
 * strings (daemon/api_util.c), the code every JSON route runs first.
 *
 * First byte even: the rest is a JSON request body.  api_body_json()
 * either refuses it with one 400 answer or returns an object whose every
 * key is a known field; each field then goes through the typed getters
 * (string, base64, integer) the handlers use, which answer 400 at most
 * once per request and hand out only what fits their limits.
 *
 * First byte odd: the rest is a query string.  It is split at '&' and '='
 * and percent-decoded as libmicrohttpd does (MHD_http_unescape), then fed
 * to the daemon's walker with the document list's parameters, and the
 * accepted values to the parsers the routes use; the cursor goes to a
 * real (empty) catalog's document list, which must accept it or answer
 * STORAGE_EINVAL, nothing else.
 */
#define _XOPEN_SOURCE 700

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ftw.h>
#include <microhttpd.h>

#include "daemon/api_util.c"
#include "daemon/ids.c"
#include "daemon/logger.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct catalog *cat;
static char catdir[] = "/tmp/coffre-fuzz-XXXXXX";

/* nftw callback: remove one entry. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{

    (void)st;
    (void)flag;
    (void)ftw;
    return (remove(path));
}

/* At exit: close the catalog and remove its directory. */
static void
cat_done(void)
{

    catalog_close(cat);
    nftw(catdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* An empty catalog in a temporary directory, opened once. */
static struct catalog *
cat_get(void)
{

    if (cat == NULL) {
        if (mkdtemp(catdir) == NULL || catalog_open(catdir, &cat) != 0) {
            abort();
        }
        atexit(cat_done);
    }
    return (cat);
}

/* Every field name a route accepts in a JSON body. */
static const char *const fields[] = { "account", "challenge", "signature",
    "blob", "class", "header", "metadata", "idempotency_key", "expires_in",
    "uses", "kind", "age_recipient", "minisign_key", "name", NULL };

/* Drop the answer a getter queued, if any; return whether there was one. */
static int
answered(struct api_req *req)
{
    int was = req->answered;

    if (req->pending != NULL) {
        MHD_destroy_response(req->pending);
        req->pending = NULL;
    }
    /* A reply is made at most once and always gets a response. */
    if (was && (req->queue_failed || req->status != 400)) {
        abort();
    }
    req->answered = 0;
    req->nhdrs = 0;
    req->hdrpoollen = 0;
    return (was);
}

/* A JSON body through api_body_json() and the typed getters. */
static void
body(const uint8_t *data, size_t size)
{
    struct api_req req;
    const char *s, *k;
    uint8_t *bin;
    size_t len, i;
    int64_t v;
    json_t *o, *val;

    memset(&req, 0, sizeof(req));
    req.in_worker = 1;              /* replies are kept, not sent */
    req.body = (uint8_t *)(uintptr_t)data;
    req.bodylen = size;
    if (api_body_json(&req, fields, &o)) {
        if (!answered(&req) || o != NULL) {
            abort();
        }
        return;
    }
    if (answered(&req) || !json_is_object(o)) {
        abort();
    }
    json_object_foreach(o, k, val) {
        for (i = 0; fields[i] != NULL; i++) {
            if (strcmp(fields[i], k) == 0) {
                break;
            }
        }
        if (fields[i] == NULL) {
            abort();
        }
        if (api_json_str(&req, o, k, 1, 64, &s, &len) == 0) {
            if (answered(&req) || s == NULL || len == 0 || len > 64 ||
                strlen(s) != len) {
                abort();
            }
        } else if (!answered(&req) || s != NULL) {
            abort();
        }
        if (api_json_b64(&req, o, k, 0, 48, &bin, &len) == 0) {
            if (answered(&req) || len > 48 || (bin == NULL && len != 0)) {
                abort();
            }
            free(bin);
        } else if (!answered(&req) || bin != NULL) {
            abort();
        }
        if (api_json_int(&req, o, k, -5, 1000, 7, &v) == 0) {
            if (answered(&req) || v < -5 || v > 1000) {
                abort();
            }
        } else if (!answered(&req)) {
            abort();
        }
    }
    json_decref(o);
}

/* A query string through the walker and the value parsers. */
static void
query(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "class", "since", "until", "limit",
        "cursor", NULL };
    const char *values[6];
    struct qwalk w = { names, values, 0, 0 };
    char *text, *p, *amp, *eq;
    uint64_t u;
    int64_t t;
    size_t i;

    if ((text = malloc(size + 1)) == NULL) {
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (i = 0; names[i] != NULL; i++) {
        values[i] = NULL;
    }
    for (p = text; p != NULL && *p != '\0'; p = amp) {
        if ((amp = strchr(p, '&')) != NULL) {
            *amp++ = '\0';
        }
        if ((eq = strchr(p, '=')) != NULL) {
            *eq++ = '\0';
            MHD_http_unescape(eq);
        }
        MHD_http_unescape(p);
        if (qarg(&w, MHD_GET_ARGUMENT_KIND, p, eq) != MHD_YES) {
            break;
        }
    }
    if (!w.bad) {
        /* Accepted: each known name at most once, nothing else. */
        if (w.n > API_MAX_QUERY_PARAMS) {
            abort();
        }
        if (values[1] != NULL) {
            (void)ids_time_parse(values[1], strlen(values[1]), &t);
        }
        if (values[2] != NULL) {
            (void)ids_time_parse(values[2], strlen(values[2]), &t);
        }
        if (values[3] != NULL &&
            ids_u64_parse(values[3], strlen(values[3]), 1, API_PAGE_MAX,
            &u) == 0 && (u < 1 || u > API_PAGE_MAX)) {
            abort();
        }
        if (values[4] != NULL &&
            strlen(values[4]) < CATALOG_CURSOR_BUFLEN) {
            struct catalog_doc_query q;
            struct catalog_document_list list;
            int r;

            memset(&q, 0, sizeof(q));
            q.vault = "00000000000000000000000000000000";
            q.cursor = values[4];
            q.limit = 10;
            memset(&list, 0, sizeof(list));
            r = catalog_document_list(cat_get(), &q, &list);
            if ((r != 0 && r != STORAGE_EINVAL) || list.n != 0) {
                abort();
            }
            catalog_document_list_free(&list);
        }
    }
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{

    if (size == 0) {
        return (0);
    }
    if (data[0] % 2 == 0) {
        body(data + 1, size - 1);
    } else {
        query(data + 1, size - 1);
    }
    return (0);
}
