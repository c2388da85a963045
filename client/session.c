#define _GNU_SOURCE
#include "client/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/http.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

#define SESSION_MAX_FILE (64 * 1024)
#define LOGIN_SIG_BUF 2048
#define TOKEN_MARGIN_SECS 60 /* renew a token this long before it expires */

char *
session_home(void)
{
    const char *env = getenv("COFFRE_HOME"), *home;
    char *path, *parent;

    if (env != NULL && env[0] != '\0') {
        path = strdup(env);
    } else {
        if ((home = getenv("HOME")) == NULL || home[0] == '\0') {
            warnx_("neither COFFRE_HOME nor HOME is set");
            return (NULL);
        }
        if ((parent = str_concat(home, "/.config")) == NULL) {
            return (NULL);
        }
        (void)mkdir(parent, 0700);
        free(parent);
        path = str_concat(home, "/.config/coffre");
    }
    if (path == NULL) {
        warnx_("out of memory");
        return (NULL);
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        warnx_("cannot create %s: %s", path, strerror(errno));
        free(path);
        return (NULL);
    }
    return (path);
}

char *
session_path(const struct session *s, const char *name)
{
    char *a, *b;

    if ((a = str_concat(s->home, "/")) == NULL) {
        return (NULL);
    }
    b = str_concat(a, name);
    free(a);
    return (b);
}

int
json_file_write(const char *path, json_t *obj, int mode)
{
    struct outfile of;
    char *text;
    int rc = -1;

    if ((text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
        return (-1);
    }
    if (outfile_open_replace(&of, path, mode) == 0) {
        if (write_all(of.fd, text, strlen(text)) == 0 &&
            write_all(of.fd, "\n", 1) == 0) {
            rc = outfile_commit(&of);
        } else {
            warnx_("cannot write %s: %s", path, strerror(errno));
            outfile_abort(&of);
        }
    }
    /* The text may hold a token: wipe it. */
    secmem_wipe(text, strlen(text));
    free(text);
    return (rc);
}

json_t *
json_file_read(const char *path)
{
    json_error_t e;

    if (access(path, F_OK) != 0) {
        return (NULL);
    }
    return (json_load_file(path, JSON_REJECT_DUPLICATES, &e));
}

/* Copy string member ${key} of ${o} into *${dst} (malloc'd), if present. */
static int
get_str(json_t *o, const char *key, char **dst)
{
    const char *v = json_string_value(json_object_get(o, key));

    if (v == NULL) {
        return (0);
    }
    if ((*dst = strdup(v)) == NULL) {
        return (-1);
    }
    return (0);
}

int
session_save_config(const struct session *s)
{
    json_t *o;
    char *path;
    int rc = -1;

    if ((path = session_path(s, "config.json")) == NULL) {
        return (-1);
    }
    o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s*}", "server",
        s->server, "account", s->account, "kind", s->kind, "key_file",
        s->keyfile, "server_key", s->server_key, "hook", s->hook);
    if (o != NULL) {
        rc = json_file_write(path, o, 0600);
        json_decref(o);
    }
    free(path);
    return (rc);
}

/* Read config.json into ${s}.  Return an exit code. */
static int
load_config(struct session *s)
{
    json_t *o;
    char *path;
    int rc = EXIT_OK;

    if ((path = session_path(s, "config.json")) == NULL) {
        return (EXIT_ERR);
    }
    if ((o = json_file_read(path)) == NULL) {
        warnx_("no configuration in %s: run 'coffre init --server URL' "
               "first", s->home);
        free(path);
        return (EXIT_ERR);
    }
    if (get_str(o, "server", &s->server) != 0 ||
        get_str(o, "account", &s->account) != 0 ||
        get_str(o, "kind", &s->kind) != 0 ||
        get_str(o, "key_file", &s->keyfile) != 0 ||
        get_str(o, "server_key", &s->server_key) != 0 ||
        get_str(o, "hook", &s->hook) != 0) {
        rc = EXIT_ERR;
    } else if (s->server == NULL || s->account == NULL ||
               s->keyfile == NULL) {
        warnx_("%s is incomplete: run 'coffre init' again", path);
        rc = EXIT_ERR;
    }
    json_decref(o);
    free(path);
    return (rc);
}

struct keys *
session_keys(struct session *s)
{

    if (s->keys == NULL &&
        keyfile_load(s->keyfile, s->passfile, &s->keys) != EXIT_OK) {
        return (NULL);
    }
    return (s->keys);
}

/* Use the cached token if it is still valid.  Return 1 if so. */
static int
cached_token(struct session *s)
{
    json_t *o;
    char *path;
    const char *tok, *acct;
    json_int_t exp;
    int ok = 0;

    if ((path = session_path(s, "session.json")) == NULL) {
        return (0);
    }
    if ((o = json_file_read(path)) != NULL) {
        tok = json_string_value(json_object_get(o, "token"));
        acct = json_string_value(json_object_get(o, "account"));
        exp = json_integer_value(json_object_get(o, "expires"));
        if (tok != NULL && acct != NULL && strcmp(acct, s->account) == 0 &&
            exp > (json_int_t)time(NULL) + TOKEN_MARGIN_SECS &&
            http_set_token(s->http, tok) == 0) {
            ok = 1;
        }
        json_decref(o);
    }
    free(path);
    return (ok);
}

/* Parse an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ" into seconds. */
static time_t
parse_time(const char *t)
{
    struct tm tm;
    char *end;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || (end = strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
        *end != '\0') {
        return ((time_t)-1);
    }
    return (timegm(&tm));
}

int
session_login(struct session *s)
{
    json_t *req, *resp = NULL;
    struct keys *k;
    char *msg = NULL, sig[LOGIN_SIG_BUF], *path;
    const char *challenge, *token;
    time_t exp;
    size_t mlen;
    long status;
    int n, rc = EXIT_ERR;

    if ((k = session_keys(s)) == NULL) {
        return (EXIT_AUTH);
    }
    http_set_token(s->http, NULL);
    if ((req = json_pack("{s:s}", "account", s->account)) == NULL) {
        return (EXIT_ERR);
    }
    n = http_json(s->http, "POST", "/v1/login/challenge", req, 1, &status,
        &resp);
    json_decref(req);
    if (n != 0) {
        return (EXIT_ERR);
    }
    if (status != 200 || (challenge = json_string_value(
                              json_object_get(resp, "challenge"))) == NULL) {
        rc = http_error_exit("login", status, resp);
        json_decref(resp);
        return (rc);
    }

    /* Sign exactly "coffre-login-v1\n<account>\n<challenge>\n". */
    mlen = strlen("coffre-login-v1\n") + strlen(s->account) +
        strlen(challenge) + 3;
    if ((msg = malloc(mlen)) == NULL) {
        goto done;
    }
    snprintf(msg, mlen, "coffre-login-v1\n%s\n%s\n", s->account, challenge);
    if (minisig_sign_buf((const uint8_t *)msg, strlen(msg), &k->sign, NULL,
            "coffre-login-v1", sig, sizeof(sig)) < 0) {
        warnx_("cannot sign the login challenge");
        goto done;
    }
    req = json_pack("{s:s, s:s, s:s}", "account", s->account, "challenge",
        challenge, "signature", sig);
    json_decref(resp);
    resp = NULL;
    if (req == NULL) {
        goto done;
    }
    n = http_json(s->http, "POST", "/v1/login", req, 0, &status, &resp);
    json_decref(req);
    if (n != 0) {
        goto done;
    }
    if (status != 200 ||
        (token = json_string_value(json_object_get(resp, "token"))) == NULL) {
        rc = http_error_exit("login", status, resp);
        goto done;
    }
    exp = parse_time(json_string_value(json_object_get(resp, "expires_at")));
    if (exp == (time_t)-1) {
        exp = time(NULL) + 300;
    }
    if (http_set_token(s->http, token) != 0) {
        goto done;
    }
    /* Cache it (mode 0600): a token is a secret for its lifetime. */
    if ((path = session_path(s, "session.json")) != NULL) {
        json_t *c = json_pack("{s:s, s:s, s:I}", "token", token, "account",
            s->account, "expires", (json_int_t)exp);

        if (c != NULL) {
            (void)json_file_write(path, c, 0600);
            json_decref(c);
        }
        free(path);
    }
    rc = EXIT_OK;

done:
    free(msg);
    json_decref(resp);
    return (rc);
}

int
session_open(const char *passfile, int login, struct session **out)
{
    struct session *s;
    int rc = EXIT_ERR;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        warnx_("out of memory");
        return (EXIT_ERR);
    }
    s->passfile = passfile;
    if ((s->home = session_home()) == NULL) {
        goto err;
    }
    if ((rc = load_config(s)) != EXIT_OK) {
        goto err;
    }
    rc = EXIT_ERR;
    if ((s->http = http_new(s->server)) == NULL) {
        goto err;
    }
    if (login && !cached_token(s) && (rc = session_login(s)) != EXIT_OK) {
        goto err;
    }
    *out = s;
    return (EXIT_OK);

err:
    session_free(s);
    return (rc);
}

void
session_free(struct session *s)
{

    if (s == NULL) {
        return;
    }
    http_free(s->http);
    keys_free(s->keys);
    free(s->home);
    free(s->server);
    free(s->account);
    free(s->kind);
    free(s->keyfile);
    free(s->server_key);
    free(s->hook);
    free(s);
}

int
api_call(struct session *s, const char *method, const char *path,
    json_t *body, long want, const char *what, json_t **resp)
{
    long status;
    int rc, retry = 0;

    *resp = NULL;
    for (;;) {
        if (http_json(s->http, method, path, body,
                strcmp(method, "POST") != 0, &status, resp) != 0) {
            return (EXIT_ERR);
        }
        if (status == 401 && !retry) {
            /* The cached token expired or was revoked: log in again. */
            json_decref(*resp);
            *resp = NULL;
            if ((rc = session_login(s)) != EXIT_OK) {
                return (rc);
            }
            retry = 1;
            continue;
        }
        break;
    }
    if (want != 0 ? status != want : (status < 200 || status > 299)) {
        rc = http_error_exit(what, status, *resp);
        json_decref(*resp);
        *resp = NULL;
        return (rc);
    }
    return (EXIT_OK);
}
