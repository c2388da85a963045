#ifndef LIMITS_H_
#define LIMITS_H_

/*
 * Every limit of the daemon, in one place (STYLE.md §8).  Each name says
 * its unit.  Values a deployment may want to change are defaults that the
 * config file can override (daemon/config.h); the others are fixed.
 */

/* Connections (libmicrohttpd options). */
/*
 * Handlers block on storage (an fsync per durable write, SQLite locks), so
 * the pool is larger than the CPU count: a thread waiting on the disk must
 * not leave the CPUs idle.
 */
#define HTTPD_THREADS_DEFAULT 16           /* thread pool size */
#define HTTPD_THREADS_MAX 64
#define HTTPD_WORKERS_DEFAULT 32           /* run handlers that fsync */
#define HTTPD_WORKERS_MAX 256
#define HTTPD_CONNECTIONS_MAX 1024          /* all clients together */
#define HTTPD_CONNECTIONS_PER_IP_MAX 64     /* one client address */
#define HTTPD_TIMEOUT_SECS 30               /* idle or half-sent request */
#define HTTPD_CONNECTION_MEMORY_BYTES 65536 /* per connection: headers etc */
#define HTTPD_LISTEN_BACKLOG 256
#define HTTPD_DRAIN_SECS 20                 /* SIGTERM: wait for requests */
#define HTTPD_DRAIN_STALL_SECS 3            /* ... unless none progresses */

/* Request sizes. */
#define API_MAX_URL_BYTES 1024
#define API_MAX_JSON_BYTES (256 * 1024)     /* any JSON request body */
#define API_MAX_JSON_DEPTH 8
#define API_MAX_BLOB_BYTES_DEFAULT (64ULL * 1024 * 1024)
#define API_MAX_HEADER_BYTES 65536          /* decoded age header */
#define API_MAX_METADATA_BYTES 16384        /* decoded metadata age file */
#define API_MAX_SIGNATURE_BYTES 4096        /* .minisig text */
#define API_MAX_IDEMPOTENCY_BYTES 128
#define API_MAX_PATH_PARAMS 4
#define API_MAX_QUERY_PARAMS 8

/* Pagination. */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 200

/* Login. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_B64_LEN 43               /* base64url, no padding */
#define AUTH_TOKEN_LIFETIME_SECS_DEFAULT 3600
#define AUTH_CHALLENGE_BYTES 32
#define AUTH_CHALLENGE_LIFETIME_SECS 60
#define AUTH_CHALLENGES_MAX 4096            /* outstanding, all accounts */
#define AUTH_THROTTLE_WINDOW_SECS 300
#define AUTH_THROTTLE_ACCOUNT_FAILS 5       /* per account and window */
#define AUTH_THROTTLE_ADDR_FAILS 20         /* per client address */
#define AUTH_THROTTLE_SLOTS 4096            /* tracked accounts+addresses */
#define AUTH_CACHE_SLOTS 4096               /* recently checked tokens */
#define AUTH_CACHE_SECS 1                   /* trust a checked token this long */

/* Share links. */
#define LINK_EXPIRES_SECS_DEFAULT 604800
#define LINK_EXPIRES_SECS_MIN 60
#define LINK_EXPIRES_SECS_MAX 31536000
#define LINK_USES_DEFAULT 1
#define LINK_USES_MAX 1000

/* Config file. */
#define CONFIG_FILE_MAX_BYTES 65536
#define CONFIG_LINE_MAX_BYTES 1024

#endif /* !LIMITS_H_ */
