#include "daemon/httpd.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "crypto/secmem.h"
#include "daemon/api.h"
#include "daemon/auth.h"
#include "daemon/config.h"
#include "daemon/limits.h"
#include "daemon/logger.h"

/*
 * Handlers that wait on the disk (ROUTE_DEFER: every durable write, and
 * blob reads, each of which appends to the audit log) do not run on
 * libmicrohttpd's pool threads, where a thread sitting in fsync would also
 * stall the other connections it serves.  The connection is
 * suspended, the handler runs on one of these workers, its reply is kept
 * on the request, and the connection's thread queues it on resume.
 */
struct workers {
    pthread_mutex_t m;
    pthread_cond_t c;
    struct api_req *head, *tail;
    int stop;
    pthread_t *t;
    unsigned n;
};

struct httpd {
    struct MHD_Daemon *d;
    struct app *app;
    atomic_uint inflight;
    atomic_uint_fast64_t nextid;
    atomic_uint busy;                  /* handlers running on workers */
    atomic_uint_fast64_t progress;     /* while draining: last event */
    struct workers w;
};

/* Microseconds of the monotonic clock. */
static uint64_t
now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/*
 * Match ${path} against ${pattern}; on success store copies of the
 * {parameters} in ${req} and return 1.  Return 0 on no match, -1 on
 * allocation failure.
 */
static int
match(const char *pattern, const char *path, struct api_req *req)
{
    const char *p = pattern, *u = path, *pe, *ue;
    char *params[API_MAX_PATH_PARAMS];
    size_t np = 0, i;

    while (*p != '\0' && *u != '\0') {
        if (*p != '/' || *u != '/') {
            goto nomatch;
        }
        p++;
        u++;
        pe = p + strcspn(p, "/");
        ue = u + strcspn(u, "/");
        if (*p == '{') {
            if (ue == u || np == API_MAX_PATH_PARAMS) {
                goto nomatch;
            }
            if ((params[np] = strndup(u, (size_t)(ue - u))) == NULL) {
                for (i = 0; i < np; i++) {
                    free(params[i]);
                }
                return (-1);
            }
            np++;
        } else if (pe - p != ue - u || memcmp(p, u, (size_t)(pe - p)) != 0) {
            goto nomatch;
        }
        p = pe;
        u = ue;
    }
    if (*p != '\0' || *u != '\0') {
        goto nomatch;
    }
    for (i = 0; i < np; i++) {
        req->params[i] = params[i];
    }
    req->nparams = np;
    return (1);

nomatch:
    for (i = 0; i < np; i++) {
        free(params[i]);
    }
    return (0);
}

/* Free the path parameters of ${req}. */
static void
params_free(struct api_req *req)
{
    size_t i;

    for (i = 0; i < req->nparams; i++) {
        free(req->params[i]);
        req->params[i] = NULL;
    }
    req->nparams = 0;
}

/*
 * Find the route of ${method} ${url}.  Return 0 and set ${req}->route, or
 * answer 404/405 and return 1, or return -1 on allocation failure.
 */
static int
route_find(struct api_req *req, const char *method, const char *url)
{
    char allow[128] = "";
    const char *m = method;
    size_t i;
    int r, pathmatch = 0;

    if (strlen(url) > API_MAX_URL_BYTES) {
        api_reply_error(req, 404, "not_found", "no such resource");
        return (1);
    }
    /* HEAD is answered like GET; libmicrohttpd drops the body. */
    if (strcmp(method, "HEAD") == 0) {
        m = "GET";
    }
    for (i = 0; i < api_nroutes; i++) {
        if ((r = match(api_routes[i].pattern, url, req)) < 0) {
            return (-1);
        }
        if (r == 0) {
            continue;
        }
        if (strcmp(api_routes[i].method, m) == 0) {
            req->route = &api_routes[i];
            return (0);
        }
        params_free(req);
        pathmatch = 1;
        if (strlen(allow) + strlen(api_routes[i].method) + 3 <
            sizeof(allow)) {
            if (allow[0] != '\0') {
                strcat(allow, ", ");
            }
            strcat(allow, api_routes[i].method);
        }
    }
    if (pathmatch) {
        api_header_add(req, MHD_HTTP_HEADER_ALLOW, allow);
        api_reply_error(req, 405, "method_not_allowed",
            "method not allowed on this resource");
    } else {
        api_reply_error(req, 404, "not_found", "no such resource");
    }
    return (1);
}

/* Fill ${req}->addr with the client's address. */
static void
client_addr(struct api_req *req)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;

    strcpy(req->addr, "-");
    ci = MHD_get_connection_info(req->conn,
        MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || (sa = ci->client_addr) == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)
            (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, req->addr, sizeof(req->addr));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)
            (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, req->addr, sizeof(req->addr));
    }
}

/* Parse Content-Length into ${req}->content_length (UINT64_MAX: none). */
static int
content_length(struct api_req *req)
{
    const char *cl;
    uint64_t v;
    size_t i;

    req->content_length = UINT64_MAX;
    if ((cl = api_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH)) == NULL) {
        return (0);
    }
    v = 0;
    if (cl[0] == '\0' || strlen(cl) > 19) {
        return (-1);
    }
    for (i = 0; cl[i] != '\0'; i++) {
        if (cl[i] < '0' || cl[i] > '9') {
            return (-1);
        }
        v = v * 10 + (uint64_t)(cl[i] - '0');
    }
    req->content_length = v;
    return (0);
}

/* Body limit of the request's route. */
static uint64_t
body_limit(const struct api_req *req)
{

    if (req->route->flags & ROUTE_STREAM) {
        return (req->app->cfg->max_blob_bytes);
    }
    if (req->route->flags & ROUTE_NOBODY) {
        return (0);
    }
    return (API_MAX_JSON_BYTES);
}

/* First call for a request: route, authenticate, check the length. */
static int
request_begin(struct api_req *req, const char *method, const char *url)
{
    int r;

    if ((r = route_find(req, method, url)) != 0) {
        return (r < 0 ? -1 : 0);
    }
    if (content_length(req) != 0) {
        api_reply_error(req, 400, "bad_request", "bad Content-Length");
        return (0);
    }
    if (req->content_length != UINT64_MAX &&
        req->content_length > body_limit(req)) {
        api_reply_error(req, 413, "too_large", "request body too large");
        return (0);
    }
    if ((req->route->flags & ROUTE_AUTH) && auth_authenticate(req) != 0) {
        return (0);
    }
    if ((req->route->flags & ROUTE_AUTH) &&
        req->caller.acct.state == CATALOG_STATE_PENDING &&
        !(req->route->flags & ROUTE_PENDING_OK)) {
        api_reply_error(req, 403, "account_pending",
            "the account waits for the operator's approval");
        return (0);
    }
    if (req->app->draining) {
        api_header_add(req, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if ((req->route->flags & ROUTE_STREAM) &&
        req->route->stream_begin(req) != 0 && !req->answered) {
        return (-1);
    }
    return (0);
}

/* A chunk of body: buffer it, or hand it to the route's stream. */
static int
request_data(struct api_req *req, const char *data, size_t len)
{
    uint8_t *nb;
    size_t ncap;

    if (req->answered) {
        return (0);
    }
    if (len > body_limit(req) || req->streamed > body_limit(req) - len) {
        api_reply_error(req, 413, "too_large", "request body too large");
        return (0);
    }
    req->streamed += len;
    if (req->route->flags & ROUTE_STREAM) {
        if (req->route->stream_data(req, (const uint8_t *)data, len) != 0 &&
            !req->answered) {
            return (-1);
        }
        return (0);
    }
    if (req->bodylen + len > req->bodycap) {
        ncap = req->bodycap ? req->bodycap : 1024;
        while (ncap < req->bodylen + len) {
            ncap *= 2;
        }
        if ((nb = realloc(req->body, ncap)) == NULL) {
            return (-1);
        }
        req->body = nb;
        req->bodycap = ncap;
    }
    memcpy(req->body + req->bodylen, data, len);
    req->bodylen += len;
    return (0);
}

/*
 * Run the handler of ${req}, whose body is complete.  The token was
 * checked when the headers arrived; the body may have taken long since
 * (a client can trickle it), so it is checked again first.
 */
static void
handle(struct api_req *req)
{

    if ((req->route->flags & ROUTE_AUTH) && auth_recheck(req) != 0) {
        return;
    }
    if (req->route->handler(req) != 0 && !req->answered) {
        api_reply_error(req, 500, "internal", "internal error");
    }
}

/* A worker: run deferred handlers until told to stop and idle. */
static void *
worker_main(void *arg)
{
    struct httpd *h = arg;
    struct api_req *req;

    for (;;) {
        pthread_mutex_lock(&h->w.m);
        while (h->w.head == NULL && !h->w.stop) {
            pthread_cond_wait(&h->w.c, &h->w.m);
        }
        if ((req = h->w.head) == NULL) {
            pthread_mutex_unlock(&h->w.m);
            return (NULL);
        }
        if ((h->w.head = req->qnext) == NULL) {
            h->w.tail = NULL;
        }
        pthread_mutex_unlock(&h->w.m);
        atomic_fetch_add(&h->busy, 1);
        handle(req);
        atomic_fetch_sub(&h->busy, 1);
        if (h->app->draining) {
            atomic_store(&h->progress, now_usec());
        }
        req->in_worker = 0;
        /* From here on the request belongs to its connection's thread. */
        MHD_resume_connection(req->conn);
    }
}

/* Suspend ${req}'s connection and queue its handler for a worker. */
static void
defer(struct httpd *h, struct api_req *req)
{

    req->deferred = 1;
    req->in_worker = 1;
    req->qnext = NULL;
    MHD_suspend_connection(req->conn);
    pthread_mutex_lock(&h->w.m);
    if (h->w.tail != NULL) {
        h->w.tail->qnext = req;
    } else {
        h->w.head = req;
    }
    h->w.tail = req;
    pthread_cond_signal(&h->w.c);
    pthread_mutex_unlock(&h->w.m);
}

/* Queue the reply a worker made for ${req}, now resumed. */
static enum MHD_Result
resumed(struct api_req *req)
{
    enum MHD_Result ok;

    if (req->pending == NULL) {
        return (MHD_NO);
    }
    ok = MHD_queue_response(req->conn, req->pending_status, req->pending);
    MHD_destroy_response(req->pending);
    req->pending = NULL;
    if (ok != MHD_YES) {
        req->queue_failed = 1;
    }
    return (ok);
}

/* The access handler of libmicrohttpd. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
    struct httpd *h = cls;
    struct api_req *req = *con_cls;

    (void)version;
    if (h->app->draining) {
        atomic_store(&h->progress, now_usec());
    }
    if (req == NULL) {
        if ((req = calloc(1, sizeof(*req))) == NULL) {
            return (MHD_NO);
        }
        req->app = h->app;
        req->conn = conn;
        req->t0_usec = now_usec();
        req->id = atomic_fetch_add(&h->nextid, 1);
        snprintf(req->method, sizeof(req->method), "%s", method);
        client_addr(req);
        *con_cls = req;
        atomic_fetch_add(&h->inflight, 1);
        if (request_begin(req, method, url) != 0 && !req->answered) {
            api_reply_error(req, 500, "internal", "internal error");
        }
        return (req->queue_failed ? MHD_NO : MHD_YES);
    }
    if (*upload_data_size > 0) {
        int was = req->answered;

        if (request_data(req, upload_data, *upload_data_size) != 0 &&
            !req->answered) {
            api_reply_error(req, 500, "internal", "internal error");
        }
        *upload_data_size = 0;
        /* An answer queued mid-body: stop reading, close afterwards. */
        if (!was && req->answered && req->queue_failed) {
            return (MHD_NO);
        }
        return (MHD_YES);
    }
    if (req->deferred) {
        return (resumed(req));
    }
    if (!req->answered) {
        if ((req->route->flags & ROUTE_DEFER) && h->w.n > 0) {
            defer(h, req);
            return (MHD_YES);
        }
        handle(req);
    }
    return (req->answered && !req->queue_failed ? MHD_YES : MHD_NO);
}

/* Called when a request ends (answered or not): log and free. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
    struct httpd *h = cls;
    struct api_req *req = *con_cls;

    (void)conn;
    if (req == NULL) {
        return;
    }
    logger_request(req->id, req->method,
        req->route != NULL ? req->route->pattern : "-",
        req->status != 0 ? req->status : 499,
        toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? req->bytes : 0,
        now_usec() - req->t0_usec,
        req->caller.authed ? req->caller.public_id : NULL, req->addr);
    if (req->route != NULL && (req->route->flags & ROUTE_STREAM) &&
        req->route->stream_free != NULL) {
        req->route->stream_free(req);
    }
    if (req->pending != NULL) {
        MHD_destroy_response(req->pending);
    }
    params_free(req);
    free(req->body);
    if (req->caller.authed) {
        secmem_wipe(req->caller.token_hash, sizeof(req->caller.token_hash));
    }
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&h->inflight, 1);
}

/*
 * libmicrohttpd's own diagnostics go to the log.  The format comes from
 * the library, never from a client; the attribute lets compilers check
 * that it is used as a format.
 */
static void on_mhd_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug(0, "microhttpd: %s", buf);
}

static void workers_stop(struct httpd *);

/* Start ${n} workers (none: deferred routes run inline). */
static int
workers_start(struct httpd *h, unsigned n)
{
    unsigned i;

    if (pthread_mutex_init(&h->w.m, NULL) != 0) {
        return (-1);
    }
    if (pthread_cond_init(&h->w.c, NULL) != 0) {
        pthread_mutex_destroy(&h->w.m);
        return (-1);
    }
    h->w.n = 0;
    if (n == 0) {
        return (0);
    }
    if ((h->w.t = calloc(n, sizeof(*h->w.t))) == NULL) {
        goto err;
    }
    for (i = 0; i < n; i++) {
        if (pthread_create(&h->w.t[i], NULL, worker_main, h) != 0) {
            goto err;
        }
        h->w.n++;
    }
    return (0);

err:
    workers_stop(h);
    return (-1);
}

/* Let the workers finish every queued handler, then join them. */
static void
workers_stop(struct httpd *h)
{
    unsigned i;

    pthread_mutex_lock(&h->w.m);
    h->w.stop = 1;
    pthread_cond_broadcast(&h->w.c);
    pthread_mutex_unlock(&h->w.m);
    for (i = 0; i < h->w.n; i++) {
        pthread_join(h->w.t[i], NULL);
    }
    free(h->w.t);
    h->w.t = NULL;
    h->w.n = 0;
    pthread_cond_destroy(&h->w.c);
    pthread_mutex_destroy(&h->w.m);
}

struct httpd *
httpd_start(struct app *app, uint16_t *port)
{
    const struct config *cfg = app->cfg;
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const union MHD_DaemonInfo *di;
    struct httpd *h;
    unsigned flags;

    *port = 0;
    memset(&ss, 0, sizeof(ss));
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, cfg->listen_host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(cfg->listen_port);
    } else if (inet_pton(AF_INET6, cfg->listen_host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(cfg->listen_port);
        flags |= MHD_USE_IPv6;
    } else {
        log_err(0, "listen address is not a numeric address: %s",
            cfg->listen_host);
        goto err0;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        goto err0;
    }
    h->app = app;
    atomic_init(&h->inflight, 0);
    atomic_init(&h->nextid, 1);
    atomic_init(&h->busy, 0);
    atomic_init(&h->progress, 0);
    if (workers_start(h, cfg->workers) != 0) {
        log_err(0, "cannot start %u workers", cfg->workers);
        goto err1;
    }
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned)HTTPD_CONNECTIONS_PER_IP_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_TIMEOUT_SECS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)HTTPD_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)HTTPD_LISTEN_BACKLOG,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_END);
    if (h->d == NULL) {
        log_err(0, "cannot listen on %s:%u", cfg->listen_host,
            (unsigned)cfg->listen_port);
        goto err2;
    }
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di != NULL ? di->port : cfg->listen_port;

    /* Success! */
    return (h);

err2:
    workers_stop(h);
err1:
    free(h);
err0:
    /* Failure! */
    return (NULL);
}

void
httpd_quiesce(struct httpd *h)
{
    MHD_socket s;

    s = MHD_quiesce_daemon(h->d);
    if (s != MHD_INVALID_SOCKET) {
        close(s);
    }
}

unsigned
httpd_connections(struct httpd *h)
{
    const union MHD_DaemonInfo *di;

    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return (di != NULL ? di->num_connections : 0);
}

unsigned
httpd_inflight(struct httpd *h)
{

    return (atomic_load(&h->inflight));
}

void
httpd_drain_begin(struct httpd *h)
{

    atomic_store(&h->progress, now_usec());
    h->app->draining = 1;
}

unsigned
httpd_stalled_secs(struct httpd *h)
{

    if (atomic_load(&h->busy) > 0) {
        return (0);
    }
    return ((unsigned)((now_usec() - atomic_load(&h->progress)) / 1000000));
}

void
httpd_stop(struct httpd *h)
{

    if (h == NULL) {
        return;
    }
    /* Workers resume connections: they must be done before the stop. */
    workers_stop(h);
    MHD_stop_daemon(h->d);
    free(h);
}
