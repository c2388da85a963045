#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700

#include "tests/util/api_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"

/* Path of the coffred binary. */
static const char *
coffred_path(char *buf, size_t len)
{
    const char *bindir = getenv("COFFRE_BINDIR");

    snprintf(buf, len, "%s/coffred", bindir != NULL ? bindir : "bin");
    return (buf);
}

/* Sleep ${ms} milliseconds. */
static void
nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/*
 * Put the words of $COFFRE_DAEMON_WRAP (a command such as `valgrind -q
 * --error-exitcode=99`, which the daemon then runs under) at the start of
 * ${argv}, at most ${max}; return how many.  ${copy} keeps the words.
 */
static size_t
wrap_words(char *copy, size_t copylen, char **argv, size_t max)
{
    const char *w = getenv("COFFRE_DAEMON_WRAP");
    char *save = NULL, *tok;
    size_t n = 0;

    if (w == NULL || *w == '\0' || strlen(w) >= copylen) {
        return (0);
    }
    memcpy(copy, w, strlen(w) + 1);
    for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < max;
        tok = strtok_r(NULL, " \t", &save)) {
        argv[n++] = tok;
    }
    return (n);
}

/* Start coffred on ${d}'s data directory; wait until it answers. */
static int
launch(struct api_daemon *d, const char *const *extra)
{
    char bin[512], portfile[320], logfile[320], wrap[512], *argv[48];
    size_t n = 0, i;
    FILE *f;
    int tries, maxtries;

    snprintf(portfile, sizeof(portfile), "%s/port", d->dir);
    snprintf(logfile, sizeof(logfile), "%s/log", d->dir);
    (void)unlink(portfile);
    d->port = 0;
    d->base[0] = '\0';
    n = wrap_words(wrap, sizeof(wrap), argv, 16);
    /* Under a wrapper (valgrind) the daemon starts far more slowly. */
    maxtries = n > 0 ? 4800 : 400;
    argv[n++] = (char *)(uintptr_t)coffred_path(bin, sizeof(bin));
    argv[n++] = (char *)(uintptr_t)"serve";
    argv[n++] = (char *)(uintptr_t)"--listen";
    argv[n++] = (char *)(uintptr_t)"127.0.0.1:0";
    argv[n++] = (char *)(uintptr_t)"--data";
    argv[n++] = d->data;
    argv[n++] = (char *)(uintptr_t)"--port-file";
    argv[n++] = portfile;
    argv[n++] = (char *)(uintptr_t)"--log";
    argv[n++] = logfile;
    argv[n++] = (char *)(uintptr_t)"--open-registration";
    for (i = 0; extra != NULL && extra[i] != NULL && n < 47; i++) {
        argv[n++] = (char *)(uintptr_t)extra[i];
    }
    argv[n] = NULL;
    if ((d->pid = fork()) < 0) {
        return (-1);
    }
    if (d->pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    for (tries = 0; tries < maxtries; tries++) {
        int st;

        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            d->pid = 0;
            return (-1);
        }
        if ((f = fopen(portfile, "r")) != NULL) {
            if (fscanf(f, "%u", &d->port) != 1) {
                d->port = 0;
            }
            fclose(f);
        }
        if (d->port != 0) {
            snprintf(d->base, sizeof(d->base), "http://127.0.0.1:%u",
                d->port);
            if (api_status(d, "GET", "/v1/health", NULL, NULL) == 200) {
                return (0);
            }
        }
        nap(25);
    }
    return (-1);
}

int
api_daemon_init(struct api_daemon *d)
{

    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/coffre-api-XXXXXX");
    if (mkdtemp(d->dir) == NULL) {
        return (-1);
    }
    snprintf(d->data, sizeof(d->data), "%s/data", d->dir);
    if (mkdir(d->data, 0700) != 0) {
        return (-1);
    }
    return (0);
}

int
api_daemon_start(struct api_daemon *d, const char *const *extra)
{

    if (api_daemon_init(d) != 0) {
        return (-1);
    }
    return (launch(d, extra));
}

int
api_daemon_restart(struct api_daemon *d, const char *const *extra)
{
    int st;

    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        if (waitpid(d->pid, &st, 0) != d->pid || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0) {
            d->pid = 0;
            return (-1);
        }
        d->pid = 0;
    }
    return (launch(d, extra));
}

/* nftw callback: remove one entry. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{

    (void)st;
    (void)flag;
    (void)ftw;
    return (remove(path));
}

int
api_daemon_stop(struct api_daemon *d)
{
    int st = 0, rc = -1;

    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        if (waitpid(d->pid, &st, 0) == d->pid && WIFEXITED(st)) {
            rc = WEXITSTATUS(st);
        }
        d->pid = 0;
    }
    if (d->dir[0] != '\0' && getenv("COFFRE_KEEP_TMP") == NULL) {
        nftw(d->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    return (rc);
}

int
api_daemon_cli(struct api_daemon *d, char *out, size_t outlen, ...)
{
    char bin[512], *argv[32];
    const char *a;
    size_t n = 0, got = 0;
    ssize_t r;
    va_list ap;
    pid_t pid;
    int p[2], st;

    argv[n++] = (char *)(uintptr_t)coffred_path(bin, sizeof(bin));
    va_start(ap, outlen);
    while ((a = va_arg(ap, const char *)) != NULL && n < 28) {
        argv[n++] = (char *)(uintptr_t)a;
    }
    va_end(ap);
    argv[n++] = (char *)(uintptr_t)"--data";
    argv[n++] = d->data;
    argv[n] = NULL;
    if (pipe(p) != 0 || (pid = fork()) < 0) {
        return (-1);
    }
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    while (got + 1 < outlen &&
        (r = read(p[0], out + got, outlen - 1 - got)) > 0) {
        got += (size_t)r;
    }
    out[got] = '\0';
    close(p[0]);
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        return (-1);
    }
    return (WEXITSTATUS(st));
}

size_t
api_curl_sink(char *ptr, size_t size, size_t nmemb, void *cls)
{
    struct api_buf *b = cls;
    size_t n = size * nmemb;
    char *np;

    if ((np = realloc(b->p, b->len + n + 1)) == NULL) {
        return (0);
    }
    b->p = np;
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return (n);
}

int
api_request(struct api_daemon *d, const char *method, const char *path,
    const char *token, const void *body, size_t len, const char *const *hdrs,
    struct api_resp *r)
{
    struct curl_slist *hl = NULL;
    struct api_buf b = { NULL, 0 }, h = { NULL, 0 };
    char url[2048], auth[128];
    CURL *c;
    size_t i;
    int expect, rc = -1;

    memset(r, 0, sizeof(*r));
    if ((c = curl_easy_init()) == NULL) {
        return (-1);
    }
    snprintf(url, sizeof(url), "%s%s", d->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        hl = curl_slist_append(hl, auth);
    }
    expect = 0;
    for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
        hl = curl_slist_append(hl, hdrs[i]);
        expect |= strncasecmp(hdrs[i], "Expect:", 7) == 0;
    }
    if (!expect) {
        /* No 100-continue round trip unless a test asks for one. */
        hl = curl_slist_append(hl, "Expect:");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, api_curl_sink);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        rc = 0;
    }
    r->body = b.p != NULL ? b.p : strdup("");
    r->len = b.len;
    r->headers = h.p != NULL ? h.p : strdup("");
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return (rc);
}

void
api_resp_free(struct api_resp *r)
{

    free(r->body);
    free(r->headers);
    r->body = r->headers = NULL;
}

long
api_status(struct api_daemon *d, const char *method, const char *path,
    const char *token, const char *body)
{
    struct api_resp r;
    long st;

    if (api_request(d, method, path, token, body,
        body != NULL ? strlen(body) : 0, NULL, &r) != 0) {
        api_resp_free(&r);
        return (-1);
    }
    st = r.status;
    api_resp_free(&r);
    return (st);
}

int
api_json_field(const char *body, const char *key, char *out, size_t outlen)
{
    json_t *o, *v;
    int rc = -1;

    if ((o = json_loads(body, 0, NULL)) == NULL) {
        return (-1);
    }
    v = json_object_get(o, key);
    if (v == NULL && strcmp(key, "code") == 0) {
        v = json_object_get(json_object_get(o, "error"), "code");
    }
    if (json_is_string(v) && json_string_length(v) < outlen) {
        strcpy(out, json_string_value(v));
        rc = 0;
    } else if (json_is_integer(v)) {
        snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
        rc = 0;
    }
    json_decref(o);
    return (rc);
}

/* Fresh keys for ${u}: a minisign pair and a random recipient. */
static void
user_keys(struct api_user *u)
{
    static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    size_t i;

    memset(u, 0, sizeof(*u));
    minisig_keygen(&u->sk, &u->pk);
    minisig_pubkey_encode(&u->pk, u->pkb64);
    strcpy(u->recipient, "age1");
    for (i = 4; i < 62; i++) {
        u->recipient[i] = cs[randombytes_uniform(32)];
    }
    u->recipient[62] = '\0';
}

int
api_sign_text(const struct api_user *u, const void *buf, size_t len,
    char *out, size_t outlen)
{

    return (minisig_sign_buf(buf, len, &u->sk, NULL, "test", out, outlen) >
        0 ? 0 : -1);
}

long
api_user_login(struct api_daemon *d, struct api_user *u)
{
    char body[4096], ch[128], sig[2048], msg[512];
    struct api_resp r;
    json_t *o;
    char *text;
    long st;

    snprintf(body, sizeof(body), "{\"account\":\"%s\"}", u->id);
    if (api_request(d, "POST", "/v1/login/challenge", NULL, body,
        strlen(body), NULL, &r) != 0 || r.status != 200 ||
        api_json_field(r.body, "challenge", ch, sizeof(ch)) != 0 ||
        api_json_field(r.body, "message", msg, sizeof(msg)) != 0) {
        api_resp_free(&r);
        return (-1);
    }
    api_resp_free(&r);
    if (api_sign_text(u, msg, strlen(msg), sig, sizeof(sig)) != 0) {
        return (-1);
    }
    o = json_pack("{s:s,s:s,s:s}", "account", u->id, "challenge", ch,
        "signature", sig);
    text = json_dumps(o, 0);
    json_decref(o);
    if (api_request(d, "POST", "/v1/login", NULL, text, strlen(text), NULL,
        &r) != 0) {
        free(text);
        api_resp_free(&r);
        return (-1);
    }
    free(text);
    st = r.status;
    if (st == 200 && api_json_field(r.body, "token", u->token,
        sizeof(u->token)) != 0) {
        st = -1;
    }
    api_resp_free(&r);
    return (st);
}

int
api_user_person(struct api_daemon *d, struct api_user *u)
{
    char body[512];
    struct api_resp r;
    int rc = -1;

    user_keys(u);
    snprintf(body, sizeof(body), "{\"kind\":\"person\",\"age_recipient\":"
        "\"%s\",\"minisign_key\":\"%s\"}", u->recipient, u->pkb64);
    if (api_request(d, "POST", "/v1/accounts", NULL, body, strlen(body),
        NULL, &r) == 0 && r.status == 201 &&
        api_json_field(r.body, "vault", u->vault, sizeof(u->vault)) == 0) {
        strcpy(u->id, u->vault);
        rc = api_user_login(d, u) == 200 ? 0 : -1;
    }
    api_resp_free(&r);
    return (rc);
}

int
api_user_operator(struct api_daemon *d, struct api_user *u,
    const char *kind, const char *name)
{
    char out[256];
    int st;

    user_keys(u);
    if (strcmp(kind, "employer") == 0) {
        st = api_daemon_cli(d, out, sizeof(out), "account", "add", "--kind",
            kind, "--siret", name, "--name", "Test SA", "--age-recipient",
            u->recipient, "--minisign-key", u->pkb64, (char *)NULL);
    } else {
        st = api_daemon_cli(d, out, sizeof(out), "account", "add", "--kind",
            kind, "--name", name, "--age-recipient", u->recipient,
            "--minisign-key", u->pkb64, (char *)NULL);
    }
    if (st != 0) {
        return (-1);
    }
    out[strcspn(out, "\n")] = '\0';
    out[sizeof(u->id) - 1] = '\0';
    strcpy(u->id, out);
    return (api_user_login(d, u) == 200 ? 0 : -1);
}

const char *
api_fake_header(const char *tag)
{
    static _Thread_local char buf[256];

    snprintf(buf, sizeof(buf), "age-encryption.org/v1\n-> X25519 %s\n"
        "AAAA\n--- 0123456789abcdefABCDEF0123456789abcdefABCD\n", tag);
    return (buf);
}

/* Standard padded base64 of ${buf} (malloc'd). */
static char *
b64(const void *buf, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len,
        sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);

    if (out != NULL) {
        sodium_bin2base64(out, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
    }
    return (out);
}

long
api_upload_doc(struct api_daemon *d, const struct api_user *owner,
    const struct api_user *depositor, const void *payload, size_t len,
    char *docid, size_t idlen)
{
    uint8_t dig[DIGEST_BYTES];
    char id[DIGEST_ID_BUFLEN], path[512], sig[2048], meta[512];
    char *hdr, *mb, *text;
    struct api_resp r;
    json_t *o;
    long st;

    digest_buf(payload, len, dig);
    digest_id_format(dig, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    if (api_request(d, "PUT", path, depositor->token, payload, len, NULL,
        &r) != 0 || (r.status != 201 && r.status != 200)) {
        st = r.status;
        api_resp_free(&r);
        return (st > 0 ? -st : -1);
    }
    api_resp_free(&r);
    snprintf(meta, sizeof(meta), "%sMETADATA", api_fake_header("meta"));
    if (api_sign_text(depositor, payload, len, sig, sizeof(sig)) != 0) {
        return (-1);
    }
    hdr = b64(api_fake_header("owner"), strlen(api_fake_header("owner")));
    mb = b64(meta, strlen(meta));
    o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", id, "class", "payslip",
        "header", hdr, "metadata", mb, "signature", sig);
    free(hdr);
    free(mb);
    text = json_dumps(o, 0);
    json_decref(o);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", owner->vault);
    if (api_request(d, "POST", path, depositor->token, text, strlen(text),
        NULL, &r) != 0) {
        free(text);
        api_resp_free(&r);
        return (-1);
    }
    free(text);
    st = r.status;
    if (docid != NULL && (st == 201 || st == 200) &&
        api_json_field(r.body, "document", docid, idlen) != 0) {
        st = -1;
    }
    api_resp_free(&r);
    return (st);
}

void
api_siret_make(unsigned n, char out[15])
{
    unsigned sum = 0, d, c;
    int i;

    snprintf(out, 15, "4%012u", n % 1000000000u);
    for (i = 0; i < 13; i++) {
        d = (unsigned)(out[12 - i] - '0');
        /* The check digit will sit at the right: positions shift by 1. */
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    c = (10 - sum % 10) % 10;
    out[13] = (char)('0' + c);
    out[14] = '\0';
}
