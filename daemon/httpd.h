#ifndef HTTPD_H_
#define HTTPD_H_

#include <stdint.h>

/*
 * libmicrohttpd glue: start the server with the limits of limits.h, route
 * each request (api_routes), authenticate it (auth.h), buffer or stream
 * its body, call the handler, log one line when it completes.
 */

struct app;
struct httpd;

/**
 * httpd_start(app, port):
 * Listen on ${app}->cfg's address with an epoll thread pool.  On success
 * set ${*port} to the bound port and return the server; NULL on failure
 * (logged).
 */
struct httpd *httpd_start(struct app *app, uint16_t *port);

/**
 * httpd_quiesce(h):
 * Stop accepting connections; requests in flight go on.
 */
void httpd_quiesce(struct httpd *h);

/**
 * httpd_connections(h):
 * Number of open connections.
 */
unsigned httpd_connections(struct httpd *h);

/**
 * httpd_inflight(h):
 * Number of requests started and not yet completed.
 */
unsigned httpd_inflight(struct httpd *h);

/**
 * httpd_drain_begin(h):
 * Mark the server as draining (health answers 503) and start watching for
 * progress: from now on every request event and finished handler counts.
 */
void httpd_drain_begin(struct httpd *h);

/**
 * httpd_stalled_secs(h):
 * While draining: seconds since the last progress of any request (0 while
 * a handler runs).  Requests whose client stopped sending half-way make
 * no progress; the drain need not wait for them.
 */
unsigned httpd_stalled_secs(struct httpd *h);

/**
 * httpd_stop(h):
 * Close every connection and free ${h}.  NULL is a no-op.
 */
void httpd_stop(struct httpd *h);

#endif /* !HTTPD_H_ */
