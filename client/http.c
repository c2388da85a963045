#define _DEFAULT_SOURCE
#include "client/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client/client.h"
#include "crypto/secmem.h"

#define HTTP_TRIES 4                       /* first try + 3 retries */
#define HTTP_MAX_JSON (8 * 1024 * 1024)    /* bytes of a JSON answer */
#define HTTP_PROGRESS_MIN (1024 * 1024)    /* bytes before a bar shows */
#define HTTP_TOKEN_MAX 256

struct http {
    CURL *curl;
    char *base;
    char *token; /* secmem */
};

/* An in-memory body being received. */
struct membuf {
    char *buf;
    size_t len;
    int overflow;
};

/* A body being sent from memory. */
struct sendbuf {
    const char *buf;
    size_t len, off;
};

struct http *
http_new(const char *base)
{
    static int curl_ready = 0;
    struct http *h;
    size_t n;

    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            warnx_("cannot initialise libcurl");
            return (NULL);
        }
        curl_ready = 1;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        goto err0;
    }
    if ((h->base = strdup(base)) == NULL) {
        goto err1;
    }
    /* Keep the base without trailing slashes: paths start with one. */
    for (n = strlen(h->base); n > 0 && h->base[n - 1] == '/'; n--) {
        h->base[n - 1] = '\0';
    }
    if ((h->curl = curl_easy_init()) == NULL) {
        goto err2;
    }

    /* Success! */
    return (h);

err2:
    free(h->base);
err1:
    free(h);
err0:
    /* Failure! */
    warnx_("out of memory");
    return (NULL);
}

void
http_free(struct http *h)
{

    if (h == NULL) {
        return;
    }
    if (h->curl != NULL) {
        curl_easy_cleanup(h->curl);
    }
    secmem_free(h->token);
    free(h->base);
    free(h);
}

int
http_set_token(struct http *h, const char *token)
{
    size_t n;

    secmem_free(h->token);
    h->token = NULL;
    if (token == NULL) {
        return (0);
    }
    if ((n = strlen(token)) > HTTP_TOKEN_MAX) {
        return (-1);
    }
    if ((h->token = secmem_alloc(n + 32)) == NULL) {
        return (-1);
    }
    memcpy(h->token, "Authorization: Bearer ", 22);
    memcpy(h->token + 22, token, n + 1);
    return (0);
}

char *
http_escape(const char *s)
{
    CURL *c;
    char *e, *r;

    if ((c = curl_easy_init()) == NULL) {
        return (NULL);
    }
    e = curl_easy_escape(c, s, 0);
    r = (e != NULL) ? strdup(e) : NULL;
    curl_free(e);
    curl_easy_cleanup(c);
    return (r);
}

/* curl write callback into a bounded memory buffer. */
static size_t
mem_write(char *ptr, size_t size, size_t nmemb, void *cookie)
{
    struct membuf *m = cookie;
    size_t n = size * nmemb;
    char *nb;

    if (m->len + n > HTTP_MAX_JSON) {
        m->overflow = 1;
        return (0);
    }
    if ((nb = realloc(m->buf, m->len + n + 1)) == NULL) {
        return (0);
    }
    m->buf = nb;
    memcpy(m->buf + m->len, ptr, n);
    m->len += n;
    m->buf[m->len] = '\0';
    return (n);
}

/* curl read callback from memory. */
static size_t
mem_read(char *ptr, size_t size, size_t nmemb, void *cookie)
{
    struct sendbuf *s = cookie;
    size_t n = size * nmemb;

    if (n > s->len - s->off) {
        n = s->len - s->off;
    }
    memcpy(ptr, s->buf + s->off, n);
    s->off += n;
    return (n);
}

/* curl read callback from a file descriptor. */
static size_t
fd_read(char *ptr, size_t size, size_t nmemb, void *cookie)
{
    int fd = *(int *)cookie;
    ssize_t r;

    do {
        r = read(fd, ptr, size * nmemb);
    } while (r < 0 && errno == EINTR);
    return (r < 0 ? CURL_READFUNC_ABORT : (size_t)r);
}

/*
 * curl seek callbacks: when a kept-alive connection turns out dead (the
 * server restarted), curl sends the request again on a new one and must
 * rewind the body first; without them that fails (CURLE_SEND_FAIL_REWIND)
 * and the request is lost instead of retried.
 */
static int
mem_seek(void *cookie, curl_off_t off, int origin)
{
    struct sendbuf *s = cookie;

    if (origin != SEEK_SET || off < 0 || (uint64_t)off > s->len) {
        return (CURL_SEEKFUNC_CANTSEEK);
    }
    s->off = (size_t)off;
    return (CURL_SEEKFUNC_OK);
}

static int
fd_seek(void *cookie, curl_off_t off, int origin)
{
    int fd = *(int *)cookie;

    if (origin != SEEK_SET || off < 0 ||
        lseek(fd, (off_t)off, SEEK_SET) != (off_t)off) {
        return (CURL_SEEKFUNC_CANTSEEK);
    }
    return (CURL_SEEKFUNC_OK);
}

/* Progress bar on stderr for large transfers on a terminal. */
static int
progress_cb(void *cookie, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
    curl_off_t total = dltotal > 0 ? dltotal : ultotal;
    curl_off_t now = dltotal > 0 ? dlnow : ulnow;
    int pct, i;

    (void)cookie;
    if (total < HTTP_PROGRESS_MIN) {
        return (0);
    }
    pct = (int)(now * 100 / total);
    fputs("\r[", stderr);
    for (i = 0; i < 40; i++) {
        fputc(i < pct * 40 / 100 ? '#' : ' ', stderr);
    }
    fprintf(stderr, "] %3d%% %lld/%lld KiB", pct, (long long)(now / 1024),
        (long long)(total / 1024));
    if (now == total) {
        fputc('\n', stderr);
    }
    return (0);
}

/* Common options for one request; ${hdrs} receives the header list. */
static int
setup(struct http *h, const char *method, const char *path,
    struct curl_slist **hdrs, int json)
{
    char *url;
    CURL *c = h->curl;

    curl_easy_reset(c);
    if ((url = str_concat(h->base, path)) == NULL) {
        return (-1);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "coffre/0.1");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    *hdrs = NULL;
    if (h->token != NULL) {
        *hdrs = curl_slist_append(*hdrs, h->token);
    }
    if (json) {
        *hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
    }
    *hdrs = curl_slist_append(*hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    if (!client_quiet && isatty(STDERR_FILENO)) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    }
    return (0);
}

/* Whether a curl failure or a status is worth another try. */
static int
transient(CURLcode rc, long status)
{

    if (rc != CURLE_OK) {
        return (rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR ||
            rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
            rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_PARTIAL_FILE);
    }
    return (status == 503);
}

/* Sleep before try ${n} (1-based): 0.25 s, 1 s, 4 s. */
static void
backoff(int n)
{
    struct timespec ts;
    long ms = 250L << (2 * (n - 1));

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    (void)nanosleep(&ts, NULL);
}

/* Parse a received body as JSON (NULL if empty or not JSON). */
static json_t *
parse_body(struct membuf *m)
{

    if (m->len == 0) {
        return (NULL);
    }
    return (json_loadb(m->buf, m->len, JSON_REJECT_DUPLICATES, NULL));
}

int
http_json(struct http *h, const char *method, const char *path, json_t *body,
    int retry_post, long *status, json_t **resp)
{
    struct curl_slist *hdrs = NULL;
    struct membuf m;
    struct sendbuf sb;
    char *text = NULL;
    CURLcode rc = CURLE_OK;
    int tries, idem;

    *status = 0;
    *resp = NULL;
    idem = strcmp(method, "POST") != 0 || retry_post;
    if (body != NULL &&
        (text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        warnx_("out of memory");
        return (-1);
    }
    for (tries = 1; tries <= HTTP_TRIES; tries++) {
        memset(&m, 0, sizeof(m));
        if (setup(h, method, path, &hdrs, body != NULL) != 0) {
            break;
        }
        if (text != NULL) {
            sb.buf = text;
            sb.len = strlen(text);
            sb.off = 0;
            curl_easy_setopt(h->curl, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h->curl, CURLOPT_READFUNCTION, mem_read);
            curl_easy_setopt(h->curl, CURLOPT_READDATA, &sb);
            curl_easy_setopt(h->curl, CURLOPT_SEEKFUNCTION, mem_seek);
            curl_easy_setopt(h->curl, CURLOPT_SEEKDATA, &sb);
            curl_easy_setopt(h->curl, CURLOPT_INFILESIZE_LARGE,
                (curl_off_t)sb.len);
        } else if (strcmp(method, "POST") == 0 ||
                   strcmp(method, "PUT") == 0) {
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, 0L);
        }
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, mem_write);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &m);
        rc = curl_easy_perform(h->curl);
        curl_slist_free_all(hdrs);
        hdrs = NULL;
        *status = 0;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
        }
        if (!idem || tries == HTTP_TRIES || !transient(rc, *status)) {
            break;
        }
        free(m.buf);
        backoff(tries);
    }
    free(text);
    if (rc != CURLE_OK) {
        free(m.buf);
        warnx_("cannot reach the server: %s", curl_easy_strerror(rc));
        return (-1);
    }
    *resp = parse_body(&m);
    free(m.buf);
    return (0);
}

int
http_put_fd(struct http *h, const char *path, int fd, uint64_t size,
    long *status, json_t **resp)
{
    struct curl_slist *hdrs = NULL;
    struct membuf m;
    CURLcode rc = CURLE_OK;
    int tries;

    *status = 0;
    *resp = NULL;
    for (tries = 1; tries <= HTTP_TRIES; tries++) {
        memset(&m, 0, sizeof(m));
        if (lseek(fd, 0, SEEK_SET) != 0) {
            warnx_("cannot rewind the upload: %s", strerror(errno));
            return (-1);
        }
        if (setup(h, "PUT", path, &hdrs, 0) != 0) {
            return (-1);
        }
        hdrs = curl_slist_append(hdrs,
            "Content-Type: application/octet-stream");
        curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h->curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h->curl, CURLOPT_READFUNCTION, fd_read);
        curl_easy_setopt(h->curl, CURLOPT_READDATA, &fd);
        curl_easy_setopt(h->curl, CURLOPT_SEEKFUNCTION, fd_seek);
        curl_easy_setopt(h->curl, CURLOPT_SEEKDATA, &fd);
        curl_easy_setopt(h->curl, CURLOPT_INFILESIZE_LARGE,
            (curl_off_t)size);
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, mem_write);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &m);
        rc = curl_easy_perform(h->curl);
        curl_slist_free_all(hdrs);
        hdrs = NULL;
        *status = 0;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
        }
        if (tries == HTTP_TRIES || !transient(rc, *status)) {
            break;
        }
        free(m.buf);
        backoff(tries);
    }
    if (rc != CURLE_OK) {
        free(m.buf);
        warnx_("upload failed: %s", curl_easy_strerror(rc));
        return (-1);
    }
    *resp = parse_body(&m);
    free(m.buf);
    return (0);
}

/* State of a streamed GET. */
struct stream {
    CURL *curl;
    http_sink_fn sink;
    void *cookie;
    struct membuf err;
    int checked, ok, delivered, sink_failed;
};

/* curl write callback: decide on the status at the first byte. */
static size_t
stream_write(char *ptr, size_t size, size_t nmemb, void *cookie)
{
    struct stream *s = cookie;
    size_t n = size * nmemb;
    long status = 0;

    if (!s->checked) {
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        s->ok = (status >= 200 && status < 300);
        s->checked = 1;
    }
    if (!s->ok) {
        return (mem_write(ptr, size, nmemb, &s->err));
    }
    s->delivered = 1;
    if (s->sink(s->cookie, (const uint8_t *)ptr, n) != 0) {
        s->sink_failed = 1;
        return (0);
    }
    return (n);
}

int
http_get_stream(struct http *h, const char *path, http_sink_fn sink,
    void *cookie, long *status, json_t **err)
{
    struct curl_slist *hdrs = NULL;
    struct stream s;
    CURLcode rc = CURLE_OK;
    int tries;

    *status = 0;
    *err = NULL;
    for (tries = 1; tries <= HTTP_TRIES; tries++) {
        memset(&s, 0, sizeof(s));
        s.curl = h->curl;
        s.sink = sink;
        s.cookie = cookie;
        if (setup(h, "GET", path, &hdrs, 0) != 0) {
            return (-1);
        }
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, stream_write);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
        rc = curl_easy_perform(h->curl);
        curl_slist_free_all(hdrs);
        hdrs = NULL;
        *status = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
        if (s.delivered || tries == HTTP_TRIES || !transient(rc, *status)) {
            break;
        }
        free(s.err.buf);
        backoff(tries);
    }
    if (s.sink_failed) {
        free(s.err.buf);
        return (-1);
    }
    if (rc != CURLE_OK) {
        free(s.err.buf);
        warnx_("download failed: %s", curl_easy_strerror(rc));
        return (-1);
    }
    *err = parse_body(&s.err);
    free(s.err.buf);
    return (0);
}

int
http_error_exit(const char *what, long status, json_t *resp)
{
    const char *msg = NULL, *code = NULL;
    json_t *e;

    if (resp != NULL && (e = json_object_get(resp, "error")) != NULL) {
        msg = json_string_value(json_object_get(e, "message"));
        code = json_string_value(json_object_get(e, "code"));
    }
    if (msg != NULL) {
        warnx_("%s: %s (%s, HTTP %ld)", what, msg,
            code != NULL ? code : "error", status);
    } else {
        warnx_("%s: the server answered HTTP %ld", what, status);
    }
    switch (status) {
    case 401:
    case 403:
        return (EXIT_AUTH);
    case 404:
    case 410:
        return (EXIT_NOTFOUND);
    default:
        return (EXIT_ERR);
    }
}
