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

    clock_gettime(CLOCK_REALTIME, &ts);
    /* Format the seconds once per second and thread. */
    if (ts.tv_sec != last) {
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
        last = ts.tv_sec;
    }
    memcpy(out, secs, n);
    snprintf(out + n, 32 - n, ".%03uZ",
        (unsigned)(ts.tv_nsec / 1000000) % 1000);
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

void
logger_request(uint64_t reqid, const char *method, const char *route,
    unsigned status, uint64_t bytes, uint64_t usecs, const char *account,
    const char *addr)
{
    char line[LINE_MAX_BYTES], ts[32], m[24], r[128];
    int n;

    if (!logger_enabled(LOGGER_INFO)) {
        return;
    }
    now_text(ts);
    escape(method, m, sizeof(m));
    escape(route, r, sizeof(r));
    n = snprintf(line, sizeof(line), "t=%s level=info req=%llu "
        "method=\"%s\" route=\"%s\" status=%u bytes=%llu ms=%llu.%03llu "
        "account=%s addr=%s", ts, (unsigned long long)reqid, m, r, status,
        (unsigned long long)bytes, (unsigned long long)(usecs / 1000),
        (unsigned long long)(usecs % 1000),
        account != NULL ? account : "-", addr != NULL ? addr : "-");
    if (n > 0) {
        emit(line, (size_t)n, 1);
    }
}
