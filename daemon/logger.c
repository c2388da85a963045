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

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static int logfd = STDERR_FILENO;
static char buf[BUF_BYTES];        /* pending request lines (locked) */
static size_t buflen;
static char *logpath;
static int loglevel = LOGGER_INFO;

static const char *const levels[] = { "err", "warn", "info", "debug" };

static void write_all(const char *, size_t);

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
    pthread_mutex_lock(&mtx);
    write_all(buf, buflen);
    buflen = 0;
    old = logfd;
    logfd = fd;
    pthread_mutex_unlock(&mtx);
    close(old);
    return (0);
}

void
logger_close(void)
{

    logger_flush();
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

/* Write ${len} bytes of ${p} to the log; called locked. */
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

/*
 * Log one complete line (adding the newline).  Request lines (${buffered})
 * are gathered and written in blocks; the main loop flushes them every
 * second (logger_flush).  Other messages are written at once, after the
 * pending lines so that the order is kept.
 */
static void
emit(char *line, size_t len, int buffered)
{

    if (len >= LINE_MAX_BYTES) {
        len = LINE_MAX_BYTES - 1;
    }
    line[len++] = '\n';
    pthread_mutex_lock(&mtx);
    if (buffered && buflen + len <= sizeof(buf)) {
        memcpy(buf + buflen, line, len);
        buflen += len;
        if (buflen > sizeof(buf) - LINE_MAX_BYTES) {
            write_all(buf, buflen);
            buflen = 0;
        }
    } else {
        write_all(buf, buflen);
        buflen = 0;
        write_all(line, len);
    }
    pthread_mutex_unlock(&mtx);
}

void
logger_flush(void)
{

    pthread_mutex_lock(&mtx);
    write_all(buf, buflen);
    buflen = 0;
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
