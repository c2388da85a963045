/*
 * Hostile and broken requests against the real daemon: bad JSON, unknown
 * fields, oversized and truncated bodies, ids with path characters, slow
 * clients, and the signals (SIGHUP reopens the log, SIGTERM drains).
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "tests/util/api_harness.h"

static struct api_daemon D;
static struct api_user U;

static int
setup(void **state)
{

    (void)state;
    if (sodium_init() < 0 || api_daemon_start(&D, NULL) != 0 ||
        api_user_person(&D, &U) != 0) {
        return (-1);
    }
    return (0);
}

static int
teardown(void **state)
{
    struct timespec t0, t1;
    int rc;

    (void)state;
    /*
     * The truncated requests above left connections that libmicrohttpd
     * only reaps at its 30 s timeout; the drain must not wait for them
     * (it stops once nothing progresses for 3 s).
     */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = api_daemon_stop(&D);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec >= 10) {
        fprintf(stderr, "daemon took %ld s to stop\n",
            (long)(t1.tv_sec - t0.tv_sec));
        return (-1);
    }
    return (rc == 0 ? 0 : -1);
}

/* A connected TCP socket to the daemon. */
static int
connect_raw(void)
{
    struct sockaddr_in sin;
    struct timeval tv = { 10, 0 };
    int s;

    assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)D.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return (s);
}

/* Send all of ${s}. */
static void
send_all(int fd, const char *s, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = send(fd, s, len, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        len -= (size_t)w;
    }
}

/* Read a response (until close or ${max}); return the status code. */
static int
read_status(int fd)
{
    char buf[4096];
    ssize_t n;
    size_t got = 0;
    int st = -1;

    while (got < sizeof(buf) - 1 &&
        (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            break;
        }
    }
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.1 %d", &st) != 1) {
        st = -1;
    }
    return (st);
}

/* Status and error code of a request with a raw body and extra headers. */
static void
expect_h(const char *method, const char *path, const char *token,
    const char *body, const char *const *hdrs, long status, const char *code)
{
    struct api_resp r;
    char c[64];

    assert_int_equal(api_request(&D, method, path, token, body,
        body != NULL ? strlen(body) : 0, hdrs, &r), 0);
    if (r.status != status) {
        fprintf(stderr, "%s %s -> %ld %s\n", method, path, r.status, r.body);
    }
    assert_int_equal(r.status, status);
    if (code != NULL) {
        assert_int_equal(api_json_field(r.body, "code", c, sizeof(c)), 0);
        assert_string_equal(c, code);
    }
    api_resp_free(&r);
}

/* Status and error code of a request with a raw body. */
static void
expect(const char *method, const char *path, const char *token,
    const char *body, long status, const char *code)
{

    expect_h(method, path, token, body, NULL, status, code);
}

static void
test_api_json_bodies_rejected(void **state)
{
    char deep[256];
    int i;

    (void)state;
    expect("POST", "/v1/login/challenge", NULL, "{", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL, "", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL, "[]", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL, "null", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL,
        "{\"account\":\"cnav\",\"account\":\"cnav\"}", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL,
        "{\"account\":\"cnav\",\"extra\":1}", 400, "unknown_field");
    expect("POST", "/v1/login/challenge", NULL, "{}", 400, "missing_field");
    expect("POST", "/v1/login/challenge", NULL, "{\"account\":5}", 400,
        "bad_field");
    expect("POST", "/v1/login/challenge", NULL, "{\"account\":\"\"}", 400,
        "bad_field");
    expect("POST", "/v1/login/challenge", NULL,
        "{\"account\":\"../../x\"}", 400, "bad_id");
    expect("POST", "/v1/login/challenge", NULL,
        "{\"account\":\"a\\u0000b\"}", 400, "bad_json");
    expect("POST", "/v1/login/challenge", NULL, "{\"account\":\"\xff\xfe\"}",
        400, "bad_json");
    /* Nesting deeper than the limit. */
    deep[0] = '\0';
    strcat(deep, "{\"account\":");
    for (i = 0; i < 20; i++) {
        strcat(deep, "[");
    }
    for (i = 0; i < 20; i++) {
        strcat(deep, "]");
    }
    strcat(deep, "}");
    expect("POST", "/v1/login/challenge", NULL, deep, 400, "bad_json");
    expect("POST", "/v1/accounts", NULL, "{\"kind\":\"employer\","
        "\"age_recipient\":\"age1x\",\"minisign_key\":\"RW\"}", 400,
        "bad_field");
    expect("POST", "/v1/accounts", NULL, "{\"kind\":\"person\"}", 400,
        "missing_field");
}

static void
test_api_oversized_json_is_413(void **state)
{
    static const char *const cont[] = { "Expect: 100-continue", NULL };
    size_t n = 300 * 1024;
    char *big;

    (void)state;
    assert_non_null(big = malloc(n + 1));
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    /*
     * The daemon answers from Content-Length, before reading the body, and
     * closes. A client already sending the body can meet the reset of that
     * close before it reads the answer, so the client here waits for
     * "100 Continue" as a careful client would: the 413 comes instead.
     */
    expect_h("POST", "/v1/login/challenge", NULL, big, cont, 413,
        "too_large");
    free(big);
    /* A GET route takes no body at all. */
    expect_h("GET", "/v1/health", NULL, "{}", cont, 413, "too_large");
}

static void
test_api_ids_with_path_characters(void **state)
{
    static const char *const paths[] = {
        "/v1/documents/..", "/v1/documents/..%2F..%2Fetc%2Fpasswd",
        "/v1/documents/%00", "/v1/documents/abc%20def",
        "/v1/documents/ABCDEF0123456789ABCDEF0123456789",
        "/v1/directory/vaults/..", "/v1/directory/vaults/%2e%2e",
        "/v1/directory/employers/12345678901234",
        "/v1/directory/employers/1234567890123a",
        "/v1/directory/services/Bad_Name", "/v1/vaults/x/documents",
        "/v1/vaults/x/audit", "/v1/blobs/sha256:%2e%2e",
        "/v1/blobs/md5:00", "/s/..", "/s/%00/signature",
        "/v1/documents/00000000000000000000000000000000/grants/..",
        "/v1/oppositions/..",
    };
    struct api_resp r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_int_equal(api_request(&D, "GET", paths[i], U.token, NULL, 0,
            NULL, &r), 0);
        /* Refused as malformed or unknown; never a server error. */
        if (r.status != 400 && r.status != 404 && r.status != 405) {
            fprintf(stderr, "%s -> %ld\n", paths[i], r.status);
        }
        assert_true(r.status == 400 || r.status == 404 || r.status == 405);
        assert_non_null(strstr(r.body, "\"error\""));
        api_resp_free(&r);
    }
}

static void
test_api_bad_headers(void **state)
{
    struct api_resp r;
    int s;

    (void)state;
    /* A garbage Content-Length: refused without reading. */
    s = connect_raw();
    {
        static const char bad[] = "POST /v1/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 12x\r\n\r\n{}";

        send_all(s, bad, strlen(bad));
    }
    assert_int_equal(read_status(s), 400);
    close(s);
    /* Malformed Authorization headers are 401. */
    {
        const char *h[] = { "Authorization: Basic Zm9vOmJhcg==", NULL };

        assert_int_equal(api_request(&D, "GET", "/v1/me", NULL, NULL, 0, h,
            &r), 0);
        assert_int_equal(r.status, 401);
        assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
        api_resp_free(&r);
    }
    /* HEAD of a GET route. */
    assert_int_equal(api_request(&D, "HEAD", "/v1/health", NULL, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    api_resp_free(&r);
}

/* Number of entries in ${dir} other than . and .. */
static int
count_entries(const char *dir)
{
    struct dirent *e;
    DIR *d;
    int n = 0;

    if ((d = opendir(dir)) == NULL) {
        return (0);
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return (n);
}

static void
test_api_truncated_upload_leaves_nothing(void **state)
{
    char req[1024], tmpdir[400], objdir[400], path[200];
    uint8_t dig[DIGEST_BYTES];
    char id[DIGEST_ID_BUFLEN];
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    int s, n, before;

    (void)state;
    digest_buf((const uint8_t *)"0123456789", 10, dig);
    digest_id_format(dig, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", D.data);
    snprintf(objdir, sizeof(objdir), "%s/objects", D.data);
    before = count_entries(objdir);
    s = connect_raw();
    n = snprintf(req, sizeof(req), "PUT %s HTTP/1.1\r\nHost: x\r\n"
        "Authorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n"
        "0123456789", path, U.token);
    send_all(s, req, (size_t)n);
    nanosleep(&ts, NULL);
    close(s);
    nanosleep(&ts, NULL);
    /* No temp file and no object remain; the daemon still answers. */
    assert_int_equal(count_entries(tmpdir), 0);
    assert_int_equal(count_entries(objdir), before);
    assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL), 200);
    /* Truncated JSON body. */
    s = connect_raw();
    {
        static const char trunc[] = "POST /v1/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 100\r\n\r\n{\"acc";

        send_all(s, trunc, strlen(trunc));
    }
    close(s);
    assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL), 200);
}

static void
test_api_slow_client_does_not_block_others(void **state)
{
    struct timespec t0, t1;
    int s[8], i;

    (void)state;
    /* Several clients each holding a half-sent request. */
    for (i = 0; i < 8; i++) {
        s[i] = connect_raw();
        send_all(s[i], "GET /v1/hea", 11);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < 20; i++) {
        assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL),
            200);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 3);
    for (i = 0; i < 8; i++) {
        close(s[i]);
    }
}

/*
 * A token is checked when the request starts and again when its body is
 * complete: a request held open with a half-sent body must not outlive a
 * logout (nor an expiry, or the operator disabling the account).
 */
static void
test_api_slow_body_does_not_outlive_its_token(void **state)
{
    char req[1024], path[200], doc[64], id[DIGEST_ID_BUFLEN];
    char objdir[400];
    uint8_t dig[DIGEST_BYTES];
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    struct api_user v;
    int s[2], n, before;

    (void)state;
    assert_int_equal(api_user_person(&D, &v), 0);
    assert_int_equal(api_upload_doc(&D, &v, &v, "slow-delete", 11, doc,
        sizeof(doc)), 201);
    /* A deletion and an upload, each waiting for its last body byte. */
    snprintf(path, sizeof(path), "/v1/documents/%s", doc);
    s[0] = connect_raw();
    n = snprintf(req, sizeof(req), "DELETE %s HTTP/1.1\r\nHost: x\r\n"
        "Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{", path,
        v.token);
    send_all(s[0], req, (size_t)n);
    digest_buf((const uint8_t *)"slow-upload", 11, dig);
    digest_id_format(dig, id);
    snprintf(objdir, sizeof(objdir), "%s/objects", D.data);
    before = count_entries(objdir);
    s[1] = connect_raw();
    n = snprintf(req, sizeof(req), "PUT /v1/blobs/%s HTTP/1.1\r\n"
        "Host: x\r\nAuthorization: Bearer %s\r\nContent-Length: 11\r\n\r\n"
        "slow-uploa", id, v.token);
    send_all(s[1], req, (size_t)n);
    nanosleep(&ts, NULL);
    assert_int_equal(api_status(&D, "POST", "/v1/logout", v.token, NULL),
        204);
    send_all(s[0], "}", 1);
    send_all(s[1], "d", 1);
    assert_int_equal(read_status(s[0]), 401);
    assert_int_equal(read_status(s[1]), 401);
    close(s[0]);
    close(s[1]);
    /* Nothing was done with the revoked token. */
    assert_int_equal(count_entries(objdir), before);
    assert_int_equal(api_user_login(&D, &v), 200);
    assert_int_equal(api_status(&D, "GET", path, v.token, NULL), 200);
}

static void
test_api_early_413_without_reading_body(void **state)
{
    char req[1024], path[200];
    int s, n;

    (void)state;
    snprintf(path, sizeof(path), "/v1/blobs/sha256:"
        "1111111111111111111111111111111111111111111111111111111111111111");
    /* Content-Length over the limit: answered before any body byte. */
    s = connect_raw();
    n = snprintf(req, sizeof(req), "PUT %s HTTP/1.1\r\nHost: x\r\n"
        "Authorization: Bearer %s\r\n"
        "Content-Length: 1099511627776\r\n\r\n", path, U.token);
    send_all(s, req, (size_t)n);
    assert_int_equal(read_status(s), 413);
    close(s);
}

static void
test_api_sighup_reopens_log(void **state)
{
    char log[400], old[420], buf[65536];
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    FILE *f;
    size_t n;
    int i;

    (void)state;
    snprintf(log, sizeof(log), "%s/log", D.dir);
    snprintf(old, sizeof(old), "%s/log.1", D.dir);
    assert_int_equal(rename(log, old), 0);
    assert_int_equal(kill(D.pid, SIGHUP), 0);
    nanosleep(&ts, NULL);
    assert_int_equal(api_status(&D, "GET", "/v1/info", NULL, NULL), 200);
    /* Request lines reach the log within a second. */
    for (i = 0; i < 30; i++) {
        nanosleep(&ts, NULL);
        assert_non_null(f = fopen(log, "r"));
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        if (strstr(buf, "route=\"/v1/info\"") != NULL) {
            break;
        }
    }
    assert_non_null(strstr(buf, "route=\"/v1/info\""));
    /* The log never holds tokens. */
    assert_null(strstr(buf, U.token));
    assert_non_null(f = fopen(old, "r"));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_null(strstr(buf, U.token));
}

static void
test_api_sigterm_drains_inflight_request(void **state)
{
    char req[1024], path[200], id[DIGEST_ID_BUFLEN];
    uint8_t dig[DIGEST_BYTES];
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    int s, n;

    (void)state;
    digest_buf((const uint8_t *)"drain-body", 10, dig);
    digest_id_format(dig, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    s = connect_raw();
    n = snprintf(req, sizeof(req), "PUT %s HTTP/1.1\r\nHost: x\r\n"
        "Authorization: Bearer %s\r\nContent-Length: 10\r\n\r\ndrain",
        path, U.token);
    send_all(s, req, (size_t)n);
    nanosleep(&ts, NULL);
    /* SIGTERM while the upload is half-sent: it still completes. */
    assert_int_equal(kill(D.pid, SIGTERM), 0);
    nanosleep(&ts, NULL);
    send_all(s, "-body", 5);
    assert_int_equal(read_status(s), 201);
    close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_json_bodies_rejected),
        cmocka_unit_test(test_api_oversized_json_is_413),
        cmocka_unit_test(test_api_ids_with_path_characters),
        cmocka_unit_test(test_api_bad_headers),
        cmocka_unit_test(test_api_truncated_upload_leaves_nothing),
        cmocka_unit_test(test_api_slow_client_does_not_block_others),
        cmocka_unit_test(test_api_slow_body_does_not_outlive_its_token),
        cmocka_unit_test(test_api_early_413_without_reading_body),
        cmocka_unit_test(test_api_sighup_reopens_log),
        /* Last: it stops the daemon (teardown checks the exit status). */
        cmocka_unit_test(test_api_sigterm_drains_inflight_request),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
