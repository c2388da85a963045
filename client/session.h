#ifndef SESSION_H_
#define SESSION_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The client's configuration under $COFFRE_HOME (default ~/.config/coffre)
 * and its logged-in session:
 *   config.json    server URL, account, key file, the server's signing key
 *                  (pinned at init), the activity hook ("hook", optional,
 *                  set by hand), mode 0600
 *   key            the key file (age, scrypt)
 *   session.json   the cached bearer token and its expiry, mode 0600
 *   audit-head.json  the last audit head seen, to notice rewritten history
 */

struct http;
struct keys;

struct session {
    char *home;         /* $COFFRE_HOME */
    char *server;       /* base URL */
    char *account;      /* account id (vault address for persons) */
    char *kind;         /* "person", "employer", "service" */
    char *keyfile;      /* path of the key file */
    char *server_key;   /* daemon's minisign key (RW...), pinned */
    char *hook;         /* activity hook program, or NULL */
    const char *passfile; /* --passphrase-file, or NULL */
    struct http *http;
    struct keys *keys;  /* loaded on demand: session_keys() */
};

/**
 * session_home(void):
 * The configuration folder (malloc'd), created with mode 0700 if missing.
 * NULL with a message on failure.
 */
char *session_home(void);

/**
 * session_open(passfile, login, out):
 * Read the configuration; if ${login}, make sure a valid token is in use
 * (the cached one, or a new login that signs a challenge with the key
 * file's key).  Return 0 and set *${out} (session_free()), or an exit
 * code with a message.
 */
int session_open(const char *passfile, int login, struct session **out);

/**
 * session_keys(s):
 * The account's keys, asking for the passphrase once.  NULL on failure
 * (with a message).
 */
struct keys *session_keys(struct session *s);

/**
 * session_login(s):
 * Log in by challenge/response and cache the token.  Return an exit code.
 */
int session_login(struct session *s);

/**
 * session_save_config(s):
 * Write config.json atomically.  Return 0 or -1.
 */
int session_save_config(const struct session *s);

/**
 * session_free(s):
 * Release, wiping keys.  session_free(NULL) is a no-op.
 */
void session_free(struct session *s);

/**
 * session_path(s, name):
 * malloc'd "$COFFRE_HOME/name", or NULL.
 */
char *session_path(const struct session *s, const char *name);

/**
 * json_file_write(path, obj, mode):
 * Write ${obj} as JSON into ${path} atomically with ${mode}.  Return 0/-1.
 */
int json_file_write(const char *path, json_t *obj, int mode);

/**
 * json_file_read(path):
 * Parse a small JSON file; NULL if absent or malformed.
 */
json_t *json_file_read(const char *path);

/**
 * api_call(s, method, path, body, want, what, resp):
 * http_json() on the session, retrying once after a fresh login on 401.
 * If the status is not ${want} (or any 2xx when ${want} is 0) print the
 * error for ${what} and return its exit code; otherwise return EXIT_OK
 * with the answer in *${resp} (may be NULL; json_decref()).
 */
int api_call(struct session *s, const char *method, const char *path,
    json_t *body, long want, const char *what, json_t **resp);

#endif /* !SESSION_H_ */
