#ifndef HTTP_H_
#define HTTP_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The client's HTTP layer over libcurl: JSON requests, streamed uploads and
 * downloads, bearer tokens, retries with backoff for idempotent requests,
 * and server errors turned into words and exit codes.
 */

struct http;

/* Streamed download sink: return 0, or -1 to abort the transfer. */
typedef int (*http_sink_fn)(void *cookie, const uint8_t *buf, size_t len);

/**
 * http_new(base):
 * A connection to the server at URL ${base} (no trailing slash needed).
 * Return NULL on failure.
 */
struct http *http_new(const char *base);

/**
 * http_free(h):
 * Wipe the token and release.  http_free(NULL) is a no-op.
 */
void http_free(struct http *h);

/**
 * http_set_token(h, token):
 * Use bearer ${token} (copied into guarded memory) from now on; NULL clears.
 */
int http_set_token(struct http *h, const char *token);

/**
 * http_json(h, method, path, body, status, resp):
 * Send ${body} (may be NULL) as JSON and parse a JSON answer into *${resp}
 * (NULL if the answer had no JSON body; json_decref()).  *${status} gets
 * the HTTP status.  GET, PUT and DELETE are retried on network errors and
 * 503; POST only when ${path} carries an idempotent body (set
 * ${retry_post}).  Return 0 when a status was received, -1 on a network
 * failure after retries (with a message).
 */
int http_json(struct http *h, const char *method, const char *path,
    json_t *body, int retry_post, long *status, json_t **resp);

/**
 * http_put_fd(h, path, fd, size, status, resp):
 * PUT ${size} bytes read from ${fd} (rewound to 0 on each try).
 */
int http_put_fd(struct http *h, const char *path, int fd, uint64_t size,
    long *status, json_t **resp);

/**
 * http_get_stream(h, path, sink, cookie, status, err):
 * GET ${path} and hand the body to ${sink} as it arrives when the status is
 * 2xx; otherwise the (JSON error) body is parsed into *${err}.  Not retried
 * once bytes were delivered.  Return 0 when a status was received, -1 on
 * failure (network, or the sink aborted).
 */
int http_get_stream(struct http *h, const char *path, http_sink_fn sink,
    void *cookie, long *status, json_t **err);

/**
 * http_error_exit(what, status, resp):
 * Print "coffre: WHAT: <server message> (<code>)" and return the exit code
 * for ${status}: 401/403 → 3, 404/410 → 4, others → 1.
 */
int http_error_exit(const char *what, long status, json_t *resp);

/**
 * http_escape(s):
 * A malloc'd URL-path-escaped copy of ${s}, or NULL.
 */
char *http_escape(const char *s);

#endif /* !HTTP_H_ */
