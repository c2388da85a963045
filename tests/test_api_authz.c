/*
 * The authorisation matrix: every route against every kind of caller,
 * with the exact status expected, generated from the one table below.
 *
 * Callers: the vault owner, another person, the employer that deposited,
 * another employer, a service holding a grant, a service without one, an
 * anonymous client, and a client with an expired token.  Within a row the
 * owner goes last, so that its changes (revoking, deleting) happen after
 * everyone else has been refused.
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "tests/util/api_harness.h"

enum { OWN, OTH, EMP, EMP2, SVCG, SVCN, ANON, EXPD, NCALLERS };
static const char *const caller_names[NCALLERS] = { "owner", "other",
    "employer", "employer2", "service+grant", "service", "anonymous",
    "expired" };

enum body { B_NONE, B_BLOB, B_DEPOSIT, B_GRANT, B_LINK };

struct row {
    const char *method;
    const char *path;            /* with {placeholders} */
    enum body body;
    long expect[NCALLERS];
};

#define ALL(x) { x, x, x, x, x, x, x, x }

static const struct row matrix[] = {
    { "GET", "/v1/health", B_NONE, ALL(200) },
    { "GET", "/v1/info", B_NONE, ALL(200) },
    { "GET", "/v1/me", B_NONE, { 200, 200, 200, 200, 200, 200, 401, 401 } },
    { "GET", "/v1/directory/vaults/{vault}", B_NONE,
        { 200, 200, 200, 200, 200, 200, 401, 401 } },
    { "GET", "/v1/directory/employers/{siret}", B_NONE,
        { 200, 200, 200, 200, 200, 200, 401, 401 } },
    { "GET", "/v1/directory/services/{svc}", B_NONE,
        { 200, 200, 200, 200, 200, 200, 401, 401 } },
    { "PUT", "/v1/blobs/{fresh}", B_BLOB,
        { 201, 201, 201, 201, 404, 404, 401, 401 } },
    { "GET", "/v1/blobs/{blob}", B_NONE,
        { 200, 404, 404, 404, 200, 404, 401, 401 } },
    { "POST", "/v1/vaults/{vault}/documents", B_DEPOSIT,
        { 201, 404, 201, 201, 404, 404, 401, 401 } },
    { "GET", "/v1/vaults/{vault}/documents", B_NONE,
        { 200, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/v1/vaults/{vault}/audit", B_NONE,
        { 200, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/v1/documents/{doc}", B_NONE,
        { 200, 404, 404, 404, 200, 404, 401, 401 } },
    { "GET", "/v1/shared", B_NONE,
        { 200, 200, 404, 404, 200, 200, 401, 401 } },
    { "GET", "/v1/documents/{doc}/grants", B_NONE,
        { 200, 404, 404, 404, 404, 404, 401, 401 } },
    { "PUT", "/v1/documents/{doc}/grants/{x}", B_GRANT,
        { 201, 404, 404, 404, 404, 404, 401, 401 } },
    { "DELETE", "/v1/documents/{doc}/grants/{x}", B_NONE,
        { 204, 404, 404, 404, 404, 404, 401, 401 } },
    { "POST", "/v1/documents/{doc}/links", B_LINK,
        { 201, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/v1/documents/{doc}/links", B_NONE,
        { 200, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/s/{token}", B_NONE, ALL(200) },
    { "GET", "/s/{token}/signature", B_NONE, ALL(200) },
    { "DELETE", "/v1/documents/{doc}/links/{link}", B_NONE,
        { 204, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/s/{token}", B_NONE, ALL(404) },
    { "GET", "/v1/oppositions", B_NONE,
        { 200, 200, 404, 404, 404, 404, 401, 401 } },
    { "PUT", "/v1/oppositions/{osiret}", B_NONE,
        { 201, 201, 404, 404, 404, 404, 401, 401 } },
    { "DELETE", "/v1/oppositions/{osiret}", B_NONE,
        { 204, 204, 404, 404, 404, 404, 401, 401 } },
    { "DELETE", "/v1/documents/{doc}", B_NONE,
        { 204, 404, 404, 404, 404, 404, 401, 401 } },
    { "GET", "/v1/documents/{doc}", B_NONE,
        { 404, 404, 404, 404, 404, 404, 401, 401 } },
    { "POST", "/v1/logout", B_NONE,
        { 204, 204, 204, 204, 204, 204, 401, 401 } },
};

static struct api_daemon D;
static struct api_user who[NCALLERS];
static char doc[64], blobid[DIGEST_ID_BUFLEN], linkid[64], linktok[128];
static char xname[32], osiret[15];

/* Standard base64 of a NUL-terminated text (malloc'd). */
static char *
b64(const char *s)
{
    size_t n = sodium_base64_ENCODED_LEN(strlen(s),
        sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);

    assert_non_null(out);
    sodium_bin2base64(out, n, (const unsigned char *)s, strlen(s),
        sodium_base64_VARIANT_ORIGINAL);
    return (out);
}

/* Replace the placeholders of ${tmpl} for caller ${c}. */
static void
expand(const char *tmpl, int c, char *out, size_t outlen)
{
    static const struct { const char *name; const char *val; } *v, vars[] = {
        { "{vault}", who[OWN].vault }, { "{siret}", who[EMP].id },
        { "{svc}", who[SVCN].id }, { "{blob}", blobid }, { "{doc}", doc },
        { "{x}", xname }, { "{link}", linkid }, { "{token}", linktok },
        { "{osiret}", osiret }, { NULL, NULL } };
    char fresh[DIGEST_ID_BUFLEN], text[64];
    uint8_t d[DIGEST_BYTES];
    const char *p = tmpl;
    size_t o = 0, k = 0;

    snprintf(text, sizeof(text), "fresh-blob-%d", c);
    digest_buf((const uint8_t *)text, strlen(text), d);
    digest_id_format(d, fresh);
    while (*p != '\0' && o + 1 < outlen) {
        if (*p == '{') {
            const char *val = NULL;

            if (strncmp(p, "{fresh}", 7) == 0) {
                val = fresh;
                k = 7;
            }
            for (v = vars; val == NULL && v->name != NULL; v++) {
                if (strncmp(p, v->name, strlen(v->name)) == 0) {
                    val = v->val;
                    k = strlen(v->name);
                }
            }
            assert_non_null(val);
            assert_true(o + strlen(val) < outlen);
            strcpy(out + o, val);
            o += strlen(val);
            p += k;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

/* The request body for caller ${c}, or NULL (malloc'd). */
static char *
body_for(enum body b, int c, size_t *len)
{
    const struct api_user *u = &who[c];
    char sig[2048], meta[512], *h, *m, *text = NULL;
    json_t *o;

    *len = 0;
    switch (b) {
    case B_NONE:
        return (NULL);
    case B_BLOB:
        assert_non_null(text = malloc(64));
        snprintf(text, 64, "fresh-blob-%d", c);
        break;
    case B_DEPOSIT:
        if (c == ANON || c == EXPD) {
            u = &who[OWN];
        }
        assert_int_equal(api_sign_text(u, "matrix-payload", 14, sig,
            sizeof(sig)), 0);
        snprintf(meta, sizeof(meta), "%sMETA", api_fake_header("m"));
        h = b64(api_fake_header("owner"));
        m = b64(meta);
        o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", blobid, "class",
            "payslip", "header", h, "metadata", m, "signature", sig);
        text = json_dumps(o, 0);
        json_decref(o);
        free(h);
        free(m);
        break;
    case B_GRANT:
        h = b64(api_fake_header("x"));
        o = json_pack("{s:s}", "header", h);
        text = json_dumps(o, 0);
        json_decref(o);
        free(h);
        break;
    case B_LINK:
        h = b64(api_fake_header("link"));
        o = json_pack("{s:s,s:i}", "header", h, "uses", 100);
        text = json_dumps(o, 0);
        json_decref(o);
        free(h);
        break;
    }
    assert_non_null(text);
    *len = strlen(text);
    return (text);
}

static int
setup(void **state)
{
    const char *extra[] = { "--config", NULL, NULL };
    char conf[300], siret[15], *body, path[256];
    struct api_user x, e2;
    struct api_resp r;
    FILE *f;
    size_t len;

    (void)state;
    if (sodium_init() < 0 || api_daemon_start(&D, NULL) != 0) {
        return (-1);
    }
    api_siret_make(777, siret);
    api_siret_make(778, e2.id);
    api_siret_make(999, osiret);
    if (api_user_person(&D, &who[OWN]) != 0 ||
        api_user_person(&D, &who[OTH]) != 0 ||
        api_user_operator(&D, &who[EMP], "employer", siret) != 0 ||
        api_user_operator(&D, &who[EMP2], "employer", e2.id) != 0 ||
        api_user_operator(&D, &who[SVCG], "service", "svc-granted") != 0 ||
        api_user_operator(&D, &who[SVCN], "service", "svc-plain") != 0 ||
        api_user_person(&D, &x) != 0) {
        return (-1);
    }
    strcpy(xname, x.id);
    /* The document: deposited by the employer, granted to one service. */
    if (api_upload_doc(&D, &who[OWN], &who[EMP], "matrix-payload", 14, doc,
        sizeof(doc)) != 201) {
        return (-1);
    }
    {
        uint8_t d[DIGEST_BYTES];

        digest_buf((const uint8_t *)"matrix-payload", 14, d);
        digest_id_format(d, blobid);
    }
    body = body_for(B_GRANT, OWN, &len);
    snprintf(path, sizeof(path), "/v1/documents/%s/grants/%s", doc,
        who[SVCG].id);
    if (api_request(&D, "PUT", path, who[OWN].token, body, len, NULL,
        &r) != 0 || r.status != 201) {
        return (-1);
    }
    api_resp_free(&r);
    free(body);
    body = body_for(B_LINK, OWN, &len);
    snprintf(path, sizeof(path), "/v1/documents/%s/links", doc);
    if (api_request(&D, "POST", path, who[OWN].token, body, len, NULL,
        &r) != 0 || r.status != 201 ||
        api_json_field(r.body, "link", linkid, sizeof(linkid)) != 0 ||
        api_json_field(r.body, "token", linktok, sizeof(linktok)) != 0) {
        return (-1);
    }
    api_resp_free(&r);
    free(body);
    /* An expired token: from the daemon restarted with tokens that live
     * one second, then restarted as before. */
    snprintf(conf, sizeof(conf), "%s/short.conf", D.dir);
    if ((f = fopen(conf, "w")) == NULL) {
        return (-1);
    }
    fputs("token_lifetime = 1\n", f);
    fclose(f);
    extra[1] = conf;
    if (api_daemon_restart(&D, extra) != 0) {
        return (-1);
    }
    who[EXPD] = who[OWN];
    if (api_user_login(&D, &who[EXPD]) != 200 ||
        api_daemon_restart(&D, NULL) != 0) {
        return (-1);
    }
    sleep(2);
    return (0);
}

static int
teardown(void **state)
{

    (void)state;
    return (api_daemon_stop(&D) == 0 ? 0 : -1);
}

static void
test_api_authorization_matrix(void **state)
{
    static const int order[NCALLERS] = { OTH, EMP, EMP2, SVCG, SVCN, ANON,
        EXPD, OWN };
    char path[512], *body;
    struct api_resp r;
    size_t i, j, len, bad = 0, n = 0;

    (void)state;
    for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        for (j = 0; j < NCALLERS; j++) {
            int c = order[j];

            expand(matrix[i].path, c, path, sizeof(path));
            body = body_for(matrix[i].body, c, &len);
            assert_int_equal(api_request(&D, matrix[i].method, path,
                c == ANON ? NULL : who[c].token, body, len, NULL, &r), 0);
            n++;
            if (r.status != matrix[i].expect[c]) {
                fprintf(stderr, "%s %s as %s: got %ld, want %ld: %s\n",
                    matrix[i].method, matrix[i].path, caller_names[c],
                    r.status, matrix[i].expect[c], r.body);
                bad++;
            }
            /* Every error has the JSON error body. */
            if (r.status >= 400) {
                assert_non_null(strstr(r.body, "{\"error\":{\"code\":"));
            }
            api_resp_free(&r);
            free(body);
        }
    }
    fprintf(stderr, "authz: %zu requests, %zu mismatches\n", n, bad);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_authorization_matrix),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
