/*
 * bare_mhd: the baseline for bench/bench_http.sh.  A libmicrohttpd server
 * with the daemon's threading model (internal polling thread, epoll,
 * thread pool, same connection limits) that answers every request with a
 * fixed small JSON body.
 *
 * usage: bare_mhd PORT THREADS   (runs until SIGTERM/SIGINT)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/limits.h"

static const char body[] = "{\"status\":\"ok\"}\n";
static struct MHD_Response *resp;

/* Answer everything with the fixed body. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = conn;
        return (MHD_YES);
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return (MHD_YES);
    }
    return (MHD_queue_response(conn, 200, resp));
}

int
main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    sigset_t set;
    int sig;

    if (argc != 3) {
        fprintf(stderr, "usage: bare_mhd PORT THREADS\n");
        exit(2);
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    resp = MHD_create_response_from_buffer(sizeof(body) - 1,
        (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
        MHD_USE_ITC, (uint16_t)atoi(argv[1]), NULL, NULL, on_request, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned)HTTPD_CONNECTIONS_PER_IP_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_TIMEOUT_SECS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)HTTPD_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)HTTPD_LISTEN_BACKLOG,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "bare_mhd: cannot listen on %s\n", argv[1]);
        exit(1);
    }
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(resp);
    exit(0);
}
