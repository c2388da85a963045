#include "daemon/logger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048
#define BUF_BYTES 16384            /* request lines gathered per write */

/*
 * Request lines are gathered per thread, so that threads never wait on
 * each other to log; a full buffer is written with one write(2) of whole
 * lines (O_APPEND: blocks from several threads never interleave).  The
 * descriptor is read under ${fdlock} so that a reopen never swaps it under
 * a writer.
 */
struct tbuf {
    pthread_mutex_t m;
    size_t len;
    struct tbuf *next;
    char b[BUF_BYTES];
};

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t fdlock = PTHREAD_RWLOCK_INITIALIZER;
static int logfd = STDERR_FILENO;
static struct tbuf *tbufs;         /* every thread's buffer (mtx) */
static _Thread_local struct tbuf *mine;
static char *logpath;
static int loglevel = LOGGER_INFO;

static const char *const levels[] = { "err", "warn", "info", "debug" };


/* Open ${path} for appending; return the descriptor or -1. */
static int
open_log(const char *path)
{

    return (open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
        O_NOCTTY, 0600));
}

int
logger_open(const char *path, int level)
{
    int fd;

    loglevel = level;
    if (path == NULL) {
        return (0);
    }
    if ((logpath = strdup(path)) == NULL) {
        return (-1);
    }
    if ((fd = open_log(path)) < 0) {
        free(logpath);
        logpath = NULL;
        return (-1);
    }
    logfd = fd;
    return (0);
}

int
logger_reopen(void)
{
    int fd, old;

    if (logpath == NULL) {
        return (0);
    }
    if ((fd = open_log(logpath)) < 0) {
        return (-1);
    }
    logger_flush();
    pthread_rwlock_wrlock(&fdlock);
    old = logfd;
    logfd = fd;
    pthread_rwlock_unlock(&fdlock);
    close(old);
    return (0);
}

void
logger_close(void)
{
    struct tbuf *t;

    /* Called once no other thread logs any more. */
    logger_flush();
    pthread_mutex_lock(&mtx);
    while ((t = tbufs) != NULL) {
        tbufs = t->next;
        pthread_mutex_destroy(&t->m);
        free(t);
    }
    mine = NULL;
    pthread_mutex_unlock(&mtx);
    if (logpath != NULL) {
        close(logfd);
        logfd = STDERR_FILENO;
        free(logpath);
        logpath = NULL;
    }
}

int
logger_enabled(int level)
{

    return (level <= loglevel);
}

/* Write ${len} bytes of ${p} to the log; called with fdlock held. */
static void
write_all(const char *p, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = write(logfd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

/* Write and empty ${t}; called with ${t}->m held. */
static void
tbuf_drain(struct tbuf *t)
{

    if (t->len > 0) {
        pthread_rwlock_rdlock(&fdlock);
        write_all(t->b, t->len);
        pthread_rwlock_unlock(&fdlock);
        t->len = 0;
    }
}

/* This thread's buffer, created on first use; NULL if out of memory. */
static struct tbuf *
tbuf_mine(void)
{
    struct tbuf *t;

    if (mine != NULL) {
        return (mine);
    }
    if ((t = malloc(sizeof(*t))) == NULL) {
        return (NULL);
    }
    if (pthread_mutex_init(&t->m, NULL) != 0) {
        free(t);
        return (NULL);
    }
    t->len = 0;
    pthread_mutex_lock(&mtx);
    t->next = tbufs;
    tbufs = t;
    pthread_mutex_unlock(&mtx);
    mine = t;
    return (t);
}

/*
 * Log one complete line (adding the newline).  Request lines
 * (${buffered}) go to this thread's buffer, written when nearly full or by
 * logger_flush() (every second, from the main loop).  Other messages are
 * written at once.
 */
static void
emit(char *line, size_t len, int buffered)
{
    struct tbuf *t;

    if (len >= LINE_MAX_BYTES) {
        len = LINE_MAX_BYTES - 1;
    }
    line[len++] = '\n';
    if (buffered && (t = tbuf_mine()) != NULL) {
        pthread_mutex_lock(&t->m);
        memcpy(t->b + t->len, line, len);
        t->len += len;
        if (t->len > sizeof(t->b) - LINE_MAX_BYTES) {
            tbuf_drain(t);
        }
        pthread_mutex_unlock(&t->m);
        return;
    }
    pthread_rwlock_rdlock(&fdlock);
    write_all(line, len);
    pthread_rwlock_unlock(&fdlock);
}

void
logger_flush(void)
{
    struct tbuf *t;

    pthread_mutex_lock(&mtx);
    for (t = tbufs; t != NULL; t = t->next) {
        pthread_mutex_lock(&t->m);
        tbuf_drain(t);
        pthread_mutex_unlock(&t->m);
    }
    pthread_mutex_unlock(&mtx);
}

/* Current UTC time as RFC 3339 with milliseconds. */
static void
now_text(char out[32])
{
    static _Thread_local time_t last = -1;
    static _Thread_local char secs[24];
    static _Thread_local size_t n;
    struct timespec ts;
    struct tm tm;
    unsigned ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    /* Format the seconds once per second and thread. */
    if (ts.tv_sec != last) {
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
        last = ts.tv_sec;
    }
    ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
    memcpy(out, secs, n);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

/* Copy ${s} into ${out} escaping quotes, backslashes and controls. */
static size_t
escape(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    for (; *s != '\0' && o + 5 < outlen; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return (o);
}

void
logger_msg(int level, uint64_t reqid, const char *fmt, ...)
{
    char text[1024], esc[LINE_MAX_BYTES / 2], line[LINE_MAX_BYTES], ts[32];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    escape(text, esc, sizeof(esc));
    now_text(ts);
    if (level < 0 || level > LOGGER_DEBUG) {
        level = LOGGER_ERR;
    }
    if (reqid != 0) {
        n = snprintf(line, sizeof(line), "t=%s level=%s req=%llu msg=\"%s\"",
            ts, levels[level], (unsigned long long)reqid, esc);
    } else {
        n = snprintf(line, sizeof(line), "t=%s level=%s msg=\"%s\"", ts,
            levels[level], esc);
    }
    if (n > 0) {
        emit(line, (size_t)n, 0);
    }
}

/* Append ${s} at ${*o} in ${out} (${cap} bytes), leaving room for a NUL. */
static void
put_str(char *out, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);

    if (n > cap - 1 - *o) {
        n = cap - 1 - *o;
    }
    memcpy(out + *o, s, n);
    *o += n;
}

/* Append ${v} in decimal, zero-padded to ${width} digits, as put_str(). */
static void
put_u64(char *out, size_t cap, size_t *o, uint64_t v, size_t width)
{
    char d[24];
    size_t n = sizeof(d) - 1;

    d[n] = '\0';
    do {
        d[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || sizeof(d) - 1 - n < width);
    put_str(out, cap, o, d + n);
}

void
logger_request(uint64_t reqid, const char *method, const char *route,
    unsigned status, uint64_t bytes, uint64_t usecs, const char *account,
    const char *addr)
{
    char line[LINE_MAX_BYTES], ts[32], m[24], r[128];
    size_t o = 0;

    if (!logger_enabled(LOGGER_INFO)) {
        return;
    }
    now_text(ts);
    escape(method, m, sizeof(m));
    escape(route, r, sizeof(r));
    /*
     * One line per request: formatted by hand rather than with snprintf,
     * whose parsing of the format was a visible share of a record GET.
     * Every piece is bounded (put_str() truncates at the line's end).
     */
    put_str(line, sizeof(line), &o, "t=");
    put_str(line, sizeof(line), &o, ts);
    put_str(line, sizeof(line), &o, " level=info req=");
    put_u64(line, sizeof(line), &o, reqid, 1);
    put_str(line, sizeof(line), &o, " method=\"");
    put_str(line, sizeof(line), &o, m);
    put_str(line, sizeof(line), &o, "\" route=\"");
    put_str(line, sizeof(line), &o, r);
    put_str(line, sizeof(line), &o, "\" status=");
    put_u64(line, sizeof(line), &o, status, 1);
    put_str(line, sizeof(line), &o, " bytes=");
    put_u64(line, sizeof(line), &o, bytes, 1);
    put_str(line, sizeof(line), &o, " ms=");
    put_u64(line, sizeof(line), &o, usecs / 1000, 1);
    put_str(line, sizeof(line), &o, ".");
    put_u64(line, sizeof(line), &o, usecs % 1000, 3);
    put_str(line, sizeof(line), &o, " account=");
    put_str(line, sizeof(line), &o, account != NULL ? account : "-");
    put_str(line, sizeof(line), &o, " addr=");
    put_str(line, sizeof(line), &o, addr != NULL ? addr : "-");
    emit(line, o, 1);
}
