#ifndef LOGGER_H_
#define LOGGER_H_

#include <stdint.h>

/*
 * The daemon's log: one line per event, `key=value` fields, written to
 * stderr or an O_APPEND file in whole lines, so that lines from several
 * threads never interleave.  Request lines are gathered per thread into
 * blocks of up to 16 KiB (flushed at least every second, so lines of
 * different threads may appear up to a second out of order; each carries
 * its time); other messages go at once.  SIGHUP makes main() call logger_reopen() so
 * that log rotation works.  Lines never carry tokens, keys or bodies.
 */

#define LOGGER_ERR 0
#define LOGGER_WARN 1
#define LOGGER_INFO 2
#define LOGGER_DEBUG 3

/**
 * logger_open(path, level):
 * Log to ${path} (created 0600, appended), or to stderr if ${path} is NULL,
 * messages up to ${level}.  Return 0 or -1 (errno set).
 */
int logger_open(const char *path, int level);

/**
 * logger_reopen():
 * Reopen the log file (after rotation).  Return 0 or -1; on failure the old
 * descriptor stays in use.
 */
int logger_reopen(void);

/**
 * logger_flush():
 * Write the request lines gathered so far.  main() calls it every second,
 * so a request line reaches the log within a second (or 16 KiB).
 */
void logger_flush(void);

/**
 * logger_close():
 * Close the log file.
 */
void logger_close(void);

/**
 * logger_enabled(level):
 * Nonzero if messages at ${level} are written.
 */
int logger_enabled(int level);

/**
 * logger_msg(level, reqid, fmt, ...):
 * Write `t=<time> level=<l> req=<reqid> msg="<formatted text>"` (req
 * omitted when ${reqid} is 0).  Quotes and control characters in the text
 * are escaped.
 */
void logger_msg(int level, uint64_t reqid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * logger_request(reqid, method, route, status, bytes, usecs, account, addr):
 * The one line per request.  ${route} is the route pattern (never the
 * path), ${account} the authenticated account id or NULL.
 */
void logger_request(uint64_t reqid, const char *method, const char *route,
    unsigned status, uint64_t bytes, uint64_t usecs, const char *account,
    const char *addr);

#define log_err(...) do { if (logger_enabled(LOGGER_ERR)) \
    logger_msg(LOGGER_ERR, __VA_ARGS__); } while (0)
#define log_warn(...) do { if (logger_enabled(LOGGER_WARN)) \
    logger_msg(LOGGER_WARN, __VA_ARGS__); } while (0)
#define log_info(...) do { if (logger_enabled(LOGGER_INFO)) \
    logger_msg(LOGGER_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (logger_enabled(LOGGER_DEBUG)) \
    logger_msg(LOGGER_DEBUG, __VA_ARGS__); } while (0)

#endif /* !LOGGER_H_ */
