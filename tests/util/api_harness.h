#ifndef API_HARNESS_H_
#define API_HARNESS_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/minisig.h"

/*
 * Test harness for the daemon: start the real `$COFFRE_BINDIR/coffred
 * serve` on a free loopback port with a temporary data directory, talk to
 * it with libcurl, create accounts and log them in, stop it with SIGTERM.
 */

struct api_daemon {
    pid_t pid;
    unsigned port;
    char dir[256];                  /* temp root: data/, port, log */
    char data[300];
    char base[64];                  /* "http://127.0.0.1:PORT" */
};

struct api_resp {
    long status;
    char *body;                     /* NUL-terminated, malloc'd */
    size_t len;
    char *headers;                  /* raw response headers */
};

/* A test account with its signing key. */
struct api_user {
    char id[80];                    /* public account id */
    char vault[32];                 /* persons */
    char recipient[128];
    struct minisig_seckey sk;
    struct minisig_pubkey pk;
    char pkb64[MINISIG_PUBKEY_B64_LEN + 1];
    char token[64];
};

/**
 * api_daemon_start(d, extra):
 * Start the daemon with `--open-registration` and the NULL-terminated
 * extra arguments ${extra} (may be NULL).  Return 0 once /v1/health
 * answers 200, -1 on failure.  If $COFFRE_DAEMON_WRAP is set, its words
 * are the command the daemon runs under (for example valgrind with
 * `--error-exitcode=99`, whose verdict api_daemon_stop() returns).
 */
int api_daemon_start(struct api_daemon *d, const char *const *extra);

/**
 * api_daemon_init(d):
 * Make ${d}'s temp directory and an empty data directory (0700) in it,
 * without starting anything (a test may mount a file system there first);
 * api_daemon_restart() starts the daemon.  Return 0 or -1.
 */
int api_daemon_init(struct api_daemon *d);

/**
 * api_daemon_restart(d, extra):
 * Stop ${d}'s daemon (SIGTERM; a clean exit is required) unless it is not
 * running (pid 0, e.g. after the caller killed and reaped it), then start
 * it again on the same data directory with ${extra}.  The port changes
 * (${d}->base follows).  Return 0 once it answers, -1 on failure.
 */
int api_daemon_restart(struct api_daemon *d, const char *const *extra);

/**
 * api_daemon_stop(d):
 * SIGTERM, wait, remove the temp directory.  Return the daemon's exit
 * status (0 for a clean exit), or -1.
 */
int api_daemon_stop(struct api_daemon *d);

/**
 * api_daemon_cli(d, out, outlen, arg...):
 * Run `coffred ARG... --data DATA` (NULL-terminated) and capture stdout
 * into ${out}.  Return the exit status.
 */
int api_daemon_cli(struct api_daemon *d, char *out, size_t outlen, ...);

/**
 * api_request(d, method, path, token, body, len, hdrs, r):
 * Make one request.  ${hdrs} is a NULL-terminated list of extra header
 * lines (may be NULL).  Fill ${r}; return 0 or -1 (transport failure).
 */
int api_request(struct api_daemon *d, const char *method, const char *path,
    const char *token, const void *body, size_t len, const char *const *hdrs,
    struct api_resp *r);

/**
 * api_resp_free(r):
 * Free the buffers of ${r}.
 */
void api_resp_free(struct api_resp *r);

/**
 * api_status(d, method, path, token, body):
 * Make a request with a NUL-terminated ${body} (may be NULL) and return
 * only its status (-1 on transport failure).
 */
long api_status(struct api_daemon *d, const char *method, const char *path,
    const char *token, const char *body);

/**
 * api_json_field(body, key, out, outlen):
 * Copy the string member ${key} of the top-level JSON object ${body} (or
 * of "error" for key "code") into ${out}.  Return 0 or -1.
 */
int api_json_field(const char *body, const char *key, char *out,
    size_t outlen);

/**
 * api_user_person(d, u):
 * Register a person with fresh keys and log it in.  Return 0 or -1.
 */
int api_user_person(struct api_daemon *d, struct api_user *u);

/**
 * api_user_operator(d, u, kind, name):
 * Register an employer (${name} is a SIRET) or a service (a name) with the
 * operator command, then log it in.  Return 0 or -1.
 */
int api_user_operator(struct api_daemon *d, struct api_user *u,
    const char *kind, const char *name);

/**
 * api_user_login(d, u):
 * Challenge/response login; sets ${u}->token.  Return the HTTP status of
 * the login (200 on success) or -1.
 */
long api_user_login(struct api_daemon *d, struct api_user *u);

/**
 * api_sign_text(u, buf, len, out, outlen):
 * A minisign signature of ${buf} by ${u}.  Return 0 or -1.
 */
int api_sign_text(const struct api_user *u, const void *buf, size_t len,
    char *out, size_t outlen);

/**
 * api_upload_doc(d, owner, depositor, payload, len, docid, idlen):
 * Upload ${payload} as a blob and deposit it into ${owner}'s vault as
 * ${depositor} with a dummy age header; copy the document id into
 * ${docid}.  Return the deposit status, or -1.
 */
long api_upload_doc(struct api_daemon *d, const struct api_user *owner,
    const struct api_user *depositor, const void *payload, size_t len,
    char *docid, size_t idlen);

/**
 * api_fake_header(tag):
 * A syntactically valid age header text (a per-thread static buffer)
 * naming ${tag}.
 */
const char *api_fake_header(const char *tag);


/**
 * api_siret_make(n, out):
 * A Luhn-valid SIRET (14 digits and a NUL) derived from ${n}.
 */
void api_siret_make(unsigned n, char out[15]);

/* A growing, NUL-terminated buffer for libcurl answers. */
struct api_buf {
    char *p;
    size_t len;
};

/**
 * api_curl_sink(ptr, size, nmemb, cls):
 * libcurl write (or header) callback appending to the struct api_buf
 * ${cls}.
 */
size_t api_curl_sink(char *ptr, size_t size, size_t nmemb, void *cls);

#endif /* !API_HARNESS_H_ */
