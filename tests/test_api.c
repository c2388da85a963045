/*
 * Integration tests of the HTTP API against the real daemon (started on a
 * free loopback port with a temporary data directory).
 */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700

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
#include "crypto/minisig.h"
#include "storage/catalog.h"
#include "tests/util/api_harness.h"

static struct api_daemon D;
static unsigned sirets;

static int
setup(void **state)
{
    const char *extra[] = { "--threads", "2", NULL };
    char conf[320];
    FILE *f;

    (void)state;
    if (sodium_init() < 0) {
        return (-1);
    }
    /* A small blob limit, set through the config file. */
    snprintf(conf, sizeof(conf), "/tmp/coffred-test-%d.conf", (int)getpid());
    if ((f = fopen(conf, "w")) == NULL) {
        return (-1);
    }
    fputs("max_blob_bytes = 1048576\n", f);
    fclose(f);
    {
        const char *e2[] = { extra[0], extra[1], "--config", conf, NULL };

        if (api_daemon_start(&D, e2) != 0) {
            unlink(conf);
            return (-1);
        }
    }
    unlink(conf);
    return (0);
}

static int
teardown(void **state)
{

    (void)state;
    /* SIGTERM must drain and exit cleanly. */
    return (api_daemon_stop(&D) == 0 ? 0 : -1);
}

/* A fresh employer account. */
static void
new_employer(struct api_user *u)
{
    char siret[15];

    api_siret_make(1000 + sirets++, siret);
    assert_int_equal(api_user_operator(&D, u, "employer", siret), 0);
}

/* The error code of a response body. */
static void
assert_code(const struct api_resp *r, const char *code)
{
    char c[64];

    assert_int_equal(api_json_field(r->body, "code", c, sizeof(c)), 0);
    assert_string_equal(c, code);
}

static void
test_api_health_info_and_unknown_routes(void **state)
{
    struct api_resp r;
    char key[128];

    (void)state;
    assert_int_equal(api_request(&D, "GET", "/v1/health", NULL, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ok\""));
    api_resp_free(&r);

    assert_int_equal(api_request(&D, "GET", "/v1/info", NULL, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(api_json_field(r.body, "signing_key", key,
        sizeof(key)), 0);
    assert_int_equal(strlen(key), MINISIG_PUBKEY_B64_LEN);
    api_resp_free(&r);

    assert_int_equal(api_request(&D, "GET", "/v1/nope", NULL, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 404);
    assert_code(&r, "not_found");
    api_resp_free(&r);

    assert_int_equal(api_request(&D, "DELETE", "/v1/health", NULL, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 405);
    assert_code(&r, "method_not_allowed");
    assert_non_null(strstr(r.headers, "Allow: GET"));
    api_resp_free(&r);
}

static void
test_api_register_login_logout(void **state)
{
    struct api_user u;
    struct api_resp r;
    char vault[32], tok[64];

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(strlen(u.vault), 16);
    assert_int_equal(api_request(&D, "GET", "/v1/me", u.token, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(api_json_field(r.body, "vault", vault, sizeof(vault)),
        0);
    assert_string_equal(vault, u.vault);
    api_resp_free(&r);

    /* A second login gives another token; logout revokes only one. */
    strcpy(tok, u.token);
    assert_int_equal(api_user_login(&D, &u), 200);
    assert_string_not_equal(tok, u.token);
    assert_int_equal(api_status(&D, "POST", "/v1/logout", tok, NULL), 204);
    assert_int_equal(api_status(&D, "GET", "/v1/me", tok, NULL), 401);
    assert_int_equal(api_status(&D, "GET", "/v1/me", u.token, NULL), 200);
    assert_int_equal(api_status(&D, "GET", "/v1/me", NULL, NULL), 401);
    assert_int_equal(api_status(&D, "GET", "/v1/me",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL), 401);
    assert_int_equal(api_status(&D, "GET", "/v1/me", "short", NULL), 401);
}

static void
test_api_disabled_account_token_stops(void **state)
{
    struct api_user u;
    char out[256];
    long st = 0;
    int i;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(api_status(&D, "GET", "/v1/me", u.token, NULL), 200);
    assert_int_equal(api_daemon_cli(&D, out, sizeof(out), "account",
        "disable", u.id, (char *)NULL), 0);
    /* Within the one-second token cache, then refused for good. */
    for (i = 0; i < 30; i++) {
        st = api_status(&D, "GET", "/v1/me", u.token, NULL);
        if (st == 401) {
            break;
        }
        usleep(100 * 1000);
    }
    assert_int_equal(st, 401);
    assert_true(i <= 15);
    assert_int_equal(api_user_login(&D, &u), 401);
    {
        static char all[65536];
        char *line;

        assert_int_equal(api_daemon_cli(&D, all, sizeof(all), "account",
            "list", (char *)NULL), 0);
        assert_non_null(line = strstr(all, u.id));
        line[strcspn(line, "\n")] = '\0';
        assert_non_null(strstr(line, "disabled"));
    }
}

/* Request a challenge for ${u}; fill the message to sign. */
static void
challenge(struct api_user *u, char *ch, size_t chlen, char *msg,
    size_t msglen)
{
    struct api_resp r;
    char body[256];

    snprintf(body, sizeof(body), "{\"account\":\"%s\"}", u->id);
    assert_int_equal(api_request(&D, "POST", "/v1/login/challenge", NULL,
        body, strlen(body), NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(api_json_field(r.body, "challenge", ch, chlen), 0);
    assert_int_equal(api_json_field(r.body, "message", msg, msglen), 0);
    api_resp_free(&r);
}

/* POST /v1/login with the given parts; return the status. */
static long
login_with(const struct api_user *u, const char *ch, const char *sig)
{
    json_t *o;
    char *text;
    long st;

    o = json_pack("{s:s,s:s,s:s}", "account", u->id, "challenge", ch,
        "signature", sig);
    text = json_dumps(o, 0);
    json_decref(o);
    st = api_status(&D, "POST", "/v1/login", NULL, text);
    free(text);
    return (st);
}

static void
test_api_login_rejects_replay_and_bad_signature(void **state)
{
    struct api_user u, other;
    char ch[128], msg[512], sig[2048];

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(api_user_person(&D, &other), 0);

    /* Good once, then the same challenge is refused. */
    challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(api_sign_text(&u, msg, strlen(msg), sig, sizeof(sig)),
        0);
    assert_int_equal(login_with(&u, ch, sig), 200);
    assert_int_equal(login_with(&u, ch, sig), 401);

    /* Signed by another key. */
    challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(api_sign_text(&other, msg, strlen(msg), sig,
        sizeof(sig)), 0);
    assert_int_equal(login_with(&u, ch, sig), 401);

    /* Right key, wrong message (another account's challenge text). */
    challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(api_sign_text(&u, "hello", 5, sig, sizeof(sig)), 0);
    assert_int_equal(login_with(&u, ch, sig), 401);

    /* A challenge issued for another account. */
    challenge(&other, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(api_sign_text(&u, msg, strlen(msg), sig, sizeof(sig)),
        0);
    assert_int_equal(login_with(&u, ch, sig), 401);

    /* Garbage signature text. */
    challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(login_with(&u, ch, "not a signature"), 401);
}

static void
test_api_login_throttles_after_failures(void **state)
{
    struct api_user u;
    char ch[128], msg[512], sig[2048];
    int i;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    for (i = 0; i < 5; i++) {
        challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
        assert_int_equal(login_with(&u, ch, "bad"), 401);
    }
    /* Even a good signature is now refused with 429. */
    challenge(&u, ch, sizeof(ch), msg, sizeof(msg));
    assert_int_equal(api_sign_text(&u, msg, strlen(msg), sig, sizeof(sig)),
        0);
    assert_int_equal(login_with(&u, ch, sig), 429);
}

/* "/v1/blobs/sha256:..." of ${buf}. */
static void
blob_path(const void *buf, size_t len, char *path, size_t pathlen,
    char *id)
{
    uint8_t d[DIGEST_BYTES];

    digest_buf(buf, len, d);
    digest_id_format(d, id);
    snprintf(path, pathlen, "/v1/blobs/%s", id);
}

static void
test_api_blob_put_checks_digest_size_and_id(void **state)
{
    char path[256], id[DIGEST_ID_BUFLEN];
    struct api_user u, svc;
    static const char *const expect100[] = { "Expect: 100-continue", NULL };
    struct api_resp r;
    uint8_t *big;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    blob_path("payload-1", 9, path, sizeof(path), id);
    assert_int_equal(api_request(&D, "PUT", path, u.token, "payload-1", 9,
        NULL, &r), 0);
    assert_int_equal(r.status, 201);
    api_resp_free(&r);
    /* The same id again: 200. */
    assert_int_equal(api_request(&D, "PUT", path, u.token, "payload-1", 9,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    api_resp_free(&r);
    /* Wrong bytes for the id. */
    assert_int_equal(api_request(&D, "PUT", path, u.token, "payload-2", 9,
        NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_code(&r, "digest_mismatch");
    api_resp_free(&r);
    /* Malformed ids. */
    assert_int_equal(api_status(&D, "PUT", "/v1/blobs/sha256:abc", u.token,
        "x"), 400);
    assert_int_equal(api_status(&D, "PUT", "/v1/blobs/sha256:..%2F..%2F"
        "etc", u.token, "x"), 404);
    assert_int_equal(api_status(&D, "PUT", "/v1/blobs/sha256:"
        "zz00000000000000000000000000000000000000000000000000000000000000",
        u.token, "x"), 400);
    /* Empty body. */
    blob_path("", 0, path, sizeof(path), id);
    assert_int_equal(api_status(&D, "PUT", path, u.token, ""), 411);
    /*
     * Over the limit (1 MiB in this test's config): 413 from the headers
     * alone.  The client waits for it (100-continue), as a careful client
     * does: a body pushed into a connection the server has answered and
     * closed can turn the answer into a reset.
     */
    assert_non_null(big = calloc(1, 2 * 1024 * 1024));
    blob_path(big, 2 * 1024 * 1024, path, sizeof(path), id);
    assert_int_equal(api_request(&D, "PUT", path, u.token, big,
        2 * 1024 * 1024, expect100, &r), 0);
    assert_int_equal(r.status, 413);
    api_resp_free(&r);
    free(big);
    /* Services may not upload. */
    assert_int_equal(api_user_operator(&D, &svc, "service", "svc-upload"),
        0);
    blob_path("payload-3", 9, path, sizeof(path), id);
    assert_int_equal(api_status(&D, "PUT", path, svc.token, "payload-3"),
        404);
    /* Anonymous: 401. */
    assert_int_equal(api_status(&D, "PUT", path, NULL, "payload-3"), 401);
}

static void
test_api_blob_get_range_etag_and_visibility(void **state)
{
    static const char payload[] = "0123456789abcdefghij";
    char path[256], id[DIGEST_ID_BUFLEN], docid[64], hdr[128];
    const char *hdrs[2] = { NULL, NULL };
    struct api_user u, other, emp;
    struct api_resp r;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(api_user_person(&D, &other), 0);
    new_employer(&emp);
    blob_path(payload, 20, path, sizeof(path), id);
    /* Uploaded but not referenced yet: not readable. */
    assert_int_equal(api_request(&D, "PUT", path, u.token, payload, 20,
        NULL, &r), 0);
    api_resp_free(&r);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 404);
    assert_int_equal(api_upload_doc(&D, &u, &emp, payload, 20, docid,
        sizeof(docid)), 201);

    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 20);
    assert_memory_equal(r.body, payload, 20);
    snprintf(hdr, sizeof(hdr), "ETag: \"%s\"", id);
    assert_non_null(strstr(r.headers, hdr));
    api_resp_free(&r);

    snprintf(hdr, sizeof(hdr), "If-None-Match: \"%s\"", id);
    hdrs[0] = hdr;
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, hdrs,
        &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    api_resp_free(&r);

    hdrs[0] = "Range: bytes=5-9";
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, hdrs,
        &r), 0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.len, 5);
    assert_memory_equal(r.body, "56789", 5);
    assert_non_null(strstr(r.headers, "Content-Range: bytes 5-9/20"));
    api_resp_free(&r);

    hdrs[0] = "Range: bytes=-3";
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, hdrs,
        &r), 0);
    assert_int_equal(r.status, 206);
    assert_memory_equal(r.body, "hij", 3);
    api_resp_free(&r);

    hdrs[0] = "Range: bytes=20-";
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, hdrs,
        &r), 0);
    assert_int_equal(r.status, 416);
    api_resp_free(&r);

    /* Neither another person nor the depositing employer may read it. */
    assert_int_equal(api_status(&D, "GET", path, other.token, NULL), 404);
    assert_int_equal(api_status(&D, "GET", path, emp.token, NULL), 404);
}

/* Write ${len} bytes to ${path}. */
static void
write_file(const char *path, const char *buf, size_t len)
{
    FILE *f;

    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* Check a daemon-signed {text, signature} with our parser and minisign. */
static void
assert_daemon_signed(json_t *signed_obj)
{
    const char *text, *sig;
    char key[128], cmd[1024], dir[] = "/tmp/coffre-sig-XXXXXX", f[512];
    struct minisig_pubkey pk;
    struct minisig ms;
    struct api_resp r;

    text = json_string_value(json_object_get(signed_obj, "text"));
    sig = json_string_value(json_object_get(signed_obj, "signature"));
    assert_non_null(text);
    assert_non_null(sig);
    assert_int_equal(api_request(&D, "GET", "/v1/info", NULL, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(api_json_field(r.body, "signing_key", key, sizeof(key)),
        0);
    api_resp_free(&r);
    assert_int_equal(minisig_pubkey_parse(key, strlen(key), &pk), 0);
    assert_int_equal(minisig_parse(sig, strlen(sig), &ms), 0);
    assert_int_equal(minisig_verify_buf((const uint8_t *)text, strlen(text),
        &ms, &pk), 0);
    /* A changed text does not verify. */
    assert_int_not_equal(minisig_verify_buf((const uint8_t *)text,
        strlen(text) - 1, &ms, &pk), 0);
    /* The reference tool agrees. */
    assert_non_null(mkdtemp(dir));
    snprintf(f, sizeof(f), "%s/r.json", dir);
    write_file(f, text, strlen(text));
    snprintf(f, sizeof(f), "%s/r.json.minisig", dir);
    write_file(f, sig, strlen(sig));
    snprintf(cmd, sizeof(cmd), "minisign -Vq -m %s/r.json -P %s", dir, key);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_api_deposit_receipt_verifies_and_is_idempotent(void **state)
{
    char path[256], id[DIGEST_ID_BUFLEN], sig[2048];
    struct api_user u, emp;
    struct api_resp r;
    json_t *o, *rec, *receipt;
    char *text, *b64h, *b64m, doc1[64], doc2[64];
    const char *h = api_fake_header("owner");
    char meta[512];
    size_t n;
    int i;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    new_employer(&emp);
    blob_path("slip-2026-10", 12, path, sizeof(path), id);
    assert_int_equal(api_request(&D, "PUT", path, emp.token, "slip-2026-10",
        12, NULL, &r), 0);
    assert_int_equal(r.status, 201);
    api_resp_free(&r);
    assert_int_equal(api_sign_text(&emp, "slip-2026-10", 12, sig,
        sizeof(sig)), 0);
    n = sodium_base64_ENCODED_LEN(strlen(h), sodium_base64_VARIANT_ORIGINAL);
    b64h = malloc(n);
    sodium_bin2base64(b64h, n, (const unsigned char *)h, strlen(h),
        sodium_base64_VARIANT_ORIGINAL);
    snprintf(meta, sizeof(meta), "%sMETA", h);
    n = sodium_base64_ENCODED_LEN(strlen(meta),
        sodium_base64_VARIANT_ORIGINAL);
    b64m = malloc(n);
    sodium_bin2base64(b64m, n, (const unsigned char *)meta, strlen(meta),
        sodium_base64_VARIANT_ORIGINAL);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "blob", id, "class",
        "payslip", "header", b64h, "metadata", b64m, "signature", sig,
        "idempotency_key", "2026-10-slip");
    text = json_dumps(o, 0);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", u.vault);
    for (i = 0; i < 2; i++) {
        assert_int_equal(api_request(&D, "POST", path, emp.token, text,
            strlen(text), NULL, &r), 0);
        assert_int_equal(r.status, i == 0 ? 201 : 200);
        assert_non_null(rec = json_loads(r.body, 0, NULL));
        snprintf(i == 0 ? doc1 : doc2, 64, "%s",
            json_string_value(json_object_get(rec, "document")));
        receipt = json_object_get(rec, "receipt");
        assert_daemon_signed(receipt);
        if (i == 0) {
            json_t *rt = json_loads(json_string_value(json_object_get(
                receipt, "text")), 0, NULL);

            assert_non_null(rt);
            assert_string_equal(json_string_value(json_object_get(rt,
                "vault")), u.vault);
            assert_string_equal(json_string_value(json_object_get(rt,
                "depositor")), emp.id);
            assert_string_equal(json_string_value(json_object_get(rt,
                "blob")), id);
            assert_string_equal(json_string_value(json_object_get(rt,
                "document")), doc1);
            json_decref(rt);
        }
        json_decref(rec);
        api_resp_free(&r);
    }
    assert_string_equal(doc1, doc2);
    free(text);

    /* A signature by someone else's key is refused. */
    json_object_set_new(o, "idempotency_key", json_string("other"));
    {
        struct api_user x;

        assert_int_equal(api_user_person(&D, &x), 0);
        assert_int_equal(api_sign_text(&x, "slip-2026-10", 12, sig,
            sizeof(sig)), 0);
    }
    json_object_set_new(o, "signature", json_string(sig));
    text = json_dumps(o, 0);
    assert_int_equal(api_request(&D, "POST", path, emp.token, text,
        strlen(text), NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_code(&r, "bad_signature");
    api_resp_free(&r);
    free(text);

    /* A blob never uploaded. */
    json_object_set_new(o, "blob", json_string("sha256:"
        "0000000000000000000000000000000000000000000000000000000000000000"));
    json_object_del(o, "idempotency_key");
    assert_int_equal(api_sign_text(&u, "slip-2026-10", 12, sig, sizeof(sig)),
        0);
    json_object_set_new(o, "signature", json_string(sig));
    text = json_dumps(o, 0);
    assert_int_equal(api_request(&D, "POST", path, u.token, text,
        strlen(text), NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_code(&r, "unknown_blob");
    api_resp_free(&r);
    free(text);
    json_decref(o);
    free(b64h);
    free(b64m);
}

static void
test_api_list_get_delete(void **state)
{
    char path[256], docs[3][64], next[128], p2[300];
    struct api_user u, emp;
    struct api_resp r;
    json_t *o, *arr;
    int i;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    new_employer(&emp);
    for (i = 0; i < 3; i++) {
        char payload[32];

        snprintf(payload, sizeof(payload), "list-doc-%d", i);
        assert_int_equal(api_upload_doc(&D, &u, i == 0 ? &u : &emp, payload,
            strlen(payload), docs[i], sizeof(docs[i])), 201);
    }
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=2", u.vault);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    arr = json_object_get(o, "documents");
    assert_int_equal(json_array_size(arr), 2);
    assert_true(json_is_string(json_object_get(o, "next")));
    snprintf(next, sizeof(next), "%s",
        json_string_value(json_object_get(o, "next")));
    assert_non_null(json_object_get(json_array_get(arr, 0), "header"));
    json_decref(o);
    api_resp_free(&r);
    snprintf(p2, sizeof(p2), "/v1/vaults/%s/documents?limit=2&cursor=%s",
        u.vault, next);
    assert_int_equal(api_request(&D, "GET", p2, u.token, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_int_equal(json_array_size(json_object_get(o, "documents")), 1);
    assert_true(json_is_null(json_object_get(o, "next")));
    json_decref(o);
    api_resp_free(&r);

    /* Filters and bad queries. */
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?class=evidence",
        u.vault);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"documents\":[]"));
    api_resp_free(&r);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?class=junk",
        u.vault);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 400);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=0", u.vault);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 400);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?bogus=1", u.vault);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 400);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=1&limit=2",
        u.vault);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 400);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?since=yesterday",
        u.vault);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 400);

    /* Get one, delete it, then it is gone; the audit keeps both. */
    snprintf(path, sizeof(path), "/v1/documents/%s", docs[1]);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_string_equal(json_string_value(json_object_get(o, "depositor")),
        emp.id);
    assert_string_equal(json_string_value(json_object_get(o,
        "depositor_kind")), "employer");
    assert_string_equal(json_string_value(json_object_get(o, "vault")),
        u.vault);
    json_decref(o);
    api_resp_free(&r);
    assert_int_equal(api_status(&D, "GET", path, emp.token, NULL), 404);
    assert_int_equal(api_status(&D, "DELETE", path, emp.token, NULL), 404);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 204);
    assert_int_equal(api_status(&D, "GET", path, u.token, NULL), 404);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 404);
    snprintf(path, sizeof(path), "/v1/vaults/%s/audit?limit=200", u.vault);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "document.delete"));
    assert_non_null(strstr(r.body, docs[1]));
    api_resp_free(&r);
}

static void
test_api_record_escapes_signature_text(void **state)
{
    char path[256], id[DIGEST_ID_BUFLEN], sig[2048], meta[512], *text;
    char *h64, *m64, doc[64];
    const char *h = api_fake_header("owner");
    struct api_user u;
    struct api_resp r;
    json_t *o;
    size_t n;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    blob_path("escapes", 7, path, sizeof(path), id);
    assert_int_equal(api_request(&D, "PUT", path, u.token, "escapes", 7,
        NULL, &r), 0);
    api_resp_free(&r);
    /* A trusted comment with a quote, a backslash, a tab, non-ASCII. */
    assert_true(minisig_sign_buf((const uint8_t *)"escapes", 7, &u.sk,
        "un \"trusted\"", "q\" b\\ t\t \xc3\xa9 \x7f", sig,
        sizeof(sig)) > 0);
    n = sodium_base64_ENCODED_LEN(strlen(h), sodium_base64_VARIANT_ORIGINAL);
    h64 = malloc(n);
    sodium_bin2base64(h64, n, (const unsigned char *)h, strlen(h),
        sodium_base64_VARIANT_ORIGINAL);
    snprintf(meta, sizeof(meta), "%sM", h);
    n = sodium_base64_ENCODED_LEN(strlen(meta),
        sodium_base64_VARIANT_ORIGINAL);
    m64 = malloc(n);
    sodium_bin2base64(m64, n, (const unsigned char *)meta, strlen(meta),
        sodium_base64_VARIANT_ORIGINAL);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", id, "class", "other",
        "header", h64, "metadata", m64, "signature", sig);
    text = json_dumps(o, 0);
    json_decref(o);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", u.vault);
    assert_int_equal(api_request(&D, "POST", path, u.token, text,
        strlen(text), NULL, &r), 0);
    assert_int_equal(r.status, 201);
    assert_int_equal(api_json_field(r.body, "document", doc, sizeof(doc)),
        0);
    api_resp_free(&r);
    free(text);
    snprintf(path, sizeof(path), "/v1/documents/%s", doc);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_string_equal(json_string_value(json_object_get(o, "signature")),
        sig);
    assert_string_equal(json_string_value(json_object_get(o, "header")),
        h64);
    assert_string_equal(json_string_value(json_object_get(o, "metadata")),
        m64);
    assert_string_equal(json_string_value(json_object_get(o, "class")),
        "other");
    json_decref(o);
    api_resp_free(&r);
    free(h64);
    free(m64);
}

/* PUT a grant of ${doc} to ${to} by ${owner}; return the status. */
static long
grant(const struct api_user *owner, const char *doc, const char *to)
{
    char path[256], body[512], *b64;
    const char *h = api_fake_header("grantee");
    size_t n;
    long st;

    n = sodium_base64_ENCODED_LEN(strlen(h), sodium_base64_VARIANT_ORIGINAL);
    b64 = malloc(n);
    sodium_bin2base64(b64, n, (const unsigned char *)h, strlen(h),
        sodium_base64_VARIANT_ORIGINAL);
    snprintf(body, sizeof(body), "{\"header\":\"%s\"}", b64);
    free(b64);
    snprintf(path, sizeof(path), "/v1/documents/%s/grants/%s", doc, to);
    st = api_status(&D, "PUT", path, owner->token, body);
    return (st);
}

static void
test_api_grants_give_and_take_access(void **state)
{
    char path[256], bpath[256], id[DIGEST_ID_BUFLEN], doc[64], svcname[32];
    struct api_user u, svc, emp;
    struct api_resp r;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    snprintf(svcname, sizeof(svcname), "svc-grant");
    assert_int_equal(api_user_operator(&D, &svc, "service", svcname), 0);
    new_employer(&emp);
    assert_int_equal(api_upload_doc(&D, &u, &u, "granted", 7, doc,
        sizeof(doc)), 201);
    blob_path("granted", 7, bpath, sizeof(bpath), id);
    snprintf(path, sizeof(path), "/v1/documents/%s", doc);
    assert_int_equal(api_status(&D, "GET", path, svc.token, NULL), 404);
    assert_int_equal(api_status(&D, "GET", bpath, svc.token, NULL), 404);
    assert_int_equal(grant(&u, doc, svc.id), 201);
    assert_int_equal(grant(&u, doc, svc.id), 200);
    /* Employers cannot be grantees; unknown accounts are 404. */
    assert_int_equal(grant(&u, doc, emp.id), 404);
    assert_int_equal(grant(&u, doc, "nobody-here"), 404);
    assert_int_equal(grant(&u, doc, "bad/../id"), 404);
    /* The grantee gets its own header and the blob. */
    assert_int_equal(api_request(&D, "GET", path, svc.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    {
        json_t *o = json_loads(r.body, 0, NULL);
        char *want = NULL;
        const char *h = api_fake_header("grantee");
        size_t n = sodium_base64_ENCODED_LEN(strlen(h),
            sodium_base64_VARIANT_ORIGINAL);

        want = malloc(n);
        sodium_bin2base64(want, n, (const unsigned char *)h, strlen(h),
            sodium_base64_VARIANT_ORIGINAL);
        assert_string_equal(json_string_value(json_object_get(o, "header")),
            want);
        free(want);
        json_decref(o);
    }
    api_resp_free(&r);
    assert_int_equal(api_status(&D, "GET", bpath, svc.token, NULL), 200);
    /* The grantee may not manage the document. */
    snprintf(path, sizeof(path), "/v1/documents/%s/grants", doc);
    assert_int_equal(api_status(&D, "GET", path, svc.token, NULL), 404);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, svcname));
    api_resp_free(&r);
    /* Revoke: 404 from then on. */
    snprintf(path, sizeof(path), "/v1/documents/%s/grants/%s", doc, svc.id);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 204);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 404);
    snprintf(path, sizeof(path), "/v1/documents/%s", doc);
    assert_int_equal(api_status(&D, "GET", path, svc.token, NULL), 404);
    assert_int_equal(api_status(&D, "GET", bpath, svc.token, NULL), 404);
}

/* qsort comparator of strings. */
static int
cmp_str(const void *a, const void *b)
{

    return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* ${n} ids sorted and comma-separated into ${out} (order of creation is
 * not the order of a listing within one second: ties go by id). */
static void
sorted_ids(char *out, size_t outlen, size_t n, const char **v)
{
    size_t i;

    qsort(v, n, sizeof(*v), cmp_str);
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i > 0) {
            strncat(out, ",", outlen - strlen(out) - 1);
        }
        strncat(out, v[i], outlen - strlen(out) - 1);
    }
}

/* The ids of GET /v1/shared${query} as ${u}, sorted, comma-separated. */
static void
shared_ids(const struct api_user *u, const char *query, char *out,
    size_t outlen)
{
    const char *v[16];
    char path[256];
    struct api_resp r;
    json_t *o, *arr, *e;
    size_t i;

    snprintf(path, sizeof(path), "/v1/shared%s", query);
    assert_int_equal(api_request(&D, "GET", path, u->token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    arr = json_object_get(o, "documents");
    assert_true(json_is_array(arr));
    assert_true(json_array_size(arr) <= 16);
    json_array_foreach(arr, i, e) {
        v[i] = json_string_value(json_object_get(e, "document"));
        assert_non_null(v[i]);
    }
    sorted_ids(out, outlen, json_array_size(arr), v);
    json_decref(o);
    api_resp_free(&r);
}

static void
test_api_shared_lists_grants_to_the_caller(void **state)
{
    char a[64], b[64], c[64], ids[512], want[256], path[256], cur[128];
    char first[64];
    struct api_user u, v, svc, other, emp;
    struct api_resp r;
    json_t *o, *e;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(api_user_person(&D, &v), 0);
    assert_int_equal(api_user_operator(&D, &svc, "service", "svc-shared"), 0);
    assert_int_equal(api_user_operator(&D, &other, "service", "svc-other"),
        0);
    new_employer(&emp);
    assert_int_equal(api_upload_doc(&D, &u, &u, "shared-a", 8, a,
        sizeof(a)), 201);
    assert_int_equal(api_upload_doc(&D, &u, &emp, "shared-b", 8, b,
        sizeof(b)), 201);
    assert_int_equal(api_upload_doc(&D, &v, &v, "shared-c", 8, c,
        sizeof(c)), 201);
    /* Nothing shared yet: an owner's own documents are not listed. */
    shared_ids(&svc, "", ids, sizeof(ids));
    assert_string_equal(ids, "");
    shared_ids(&u, "", ids, sizeof(ids));
    assert_string_equal(ids, "");
    assert_int_equal(grant(&u, a, svc.id), 201);
    assert_int_equal(grant(&u, b, svc.id), 201);
    assert_int_equal(grant(&v, c, svc.id), 201);
    assert_int_equal(grant(&v, c, u.id), 201);
    /* From both vaults; each with the caller's header. */
    shared_ids(&svc, "", ids, sizeof(ids));
    {
        const char *all[3] = { a, b, c };

        sorted_ids(want, sizeof(want), 3, all);
    }
    assert_string_equal(ids, want);
    shared_ids(&svc, "?class=payslip&limit=200", ids, sizeof(ids));
    assert_string_equal(ids, want);
    shared_ids(&svc, "?class=evidence", ids, sizeof(ids));
    assert_string_equal(ids, "");
    assert_int_equal(api_request(&D, "GET", "/v1/shared?limit=1", svc.token,
        NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_int_equal(json_array_size(json_object_get(o, "documents")), 1);
    e = json_array_get(json_object_get(o, "documents"), 0);
    snprintf(first, sizeof(first), "%s",
        json_string_value(json_object_get(e, "document")));
    assert_string_equal(json_string_value(json_object_get(e, "vault")),
        strcmp(first, c) == 0 ? v.vault : u.vault);
    assert_string_equal(json_string_value(json_object_get(e, "class")),
        "payslip");
    assert_string_equal(json_string_value(json_object_get(e,
        "depositor_kind")), strcmp(first, b) == 0 ? "employer" : "person");
    assert_non_null(json_string_value(json_object_get(e, "signer_key")));
    assert_non_null(json_string_value(json_object_get(e, "metadata")));
    assert_non_null(json_string_value(json_object_get(e, "blob")));
    assert_true(json_is_integer(json_object_get(e, "size")));
    {
        const char *h = api_fake_header("grantee");
        size_t n = sodium_base64_ENCODED_LEN(strlen(h),
            sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(n);

        assert_non_null(b64);
        sodium_bin2base64(b64, n, (const unsigned char *)h, strlen(h),
            sodium_base64_VARIANT_ORIGINAL);
        assert_string_equal(json_string_value(json_object_get(e, "header")),
            b64);
        free(b64);
    }
    snprintf(cur, sizeof(cur), "%s",
        json_string_value(json_object_get(o, "next")));
    json_decref(o);
    api_resp_free(&r);
    snprintf(path, sizeof(path), "?limit=5&cursor=%s", cur);
    shared_ids(&svc, path, ids, sizeof(ids));
    {
        const char *rest[2], *all[3] = { a, b, c };
        size_t i, k = 0;

        for (i = 0; i < 3; i++) {
            if (strcmp(all[i], first) != 0) {
                rest[k++] = all[i];
            }
        }
        assert_int_equal(k, 2);
        sorted_ids(want, sizeof(want), 2, rest);
    }
    assert_string_equal(ids, want);
    /* Another person's grants are not visible to anyone else. */
    shared_ids(&u, "", ids, sizeof(ids));
    assert_string_equal(ids, c);
    shared_ids(&v, "", ids, sizeof(ids));
    assert_string_equal(ids, "");
    shared_ids(&other, "", ids, sizeof(ids));
    assert_string_equal(ids, "");
    /* A revoked grant disappears; so does a deleted document. */
    snprintf(path, sizeof(path), "/v1/documents/%s/grants/%s", a, svc.id);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 204);
    shared_ids(&svc, "", ids, sizeof(ids));
    {
        const char *bc[2] = { b, c };

        sorted_ids(want, sizeof(want), 2, bc);
    }
    assert_string_equal(ids, want);
    snprintf(path, sizeof(path), "/v1/documents/%s", c);
    assert_int_equal(api_status(&D, "DELETE", path, v.token, NULL), 204);
    shared_ids(&svc, "", ids, sizeof(ids));
    assert_string_equal(ids, b);
    shared_ids(&u, "", ids, sizeof(ids));
    assert_string_equal(ids, "");
    /* Employers never list; bad queries are refused. */
    assert_int_equal(api_status(&D, "GET", "/v1/shared", emp.token, NULL),
        404);
    assert_int_equal(api_status(&D, "GET", "/v1/shared", NULL, NULL), 401);
    assert_int_equal(api_status(&D, "GET", "/v1/shared?class=nope",
        svc.token, NULL), 400);
    assert_int_equal(api_status(&D, "GET", "/v1/shared?limit=0", svc.token,
        NULL), 400);
    assert_int_equal(api_status(&D, "GET", "/v1/shared?cursor=x", svc.token,
        NULL), 400);
    assert_int_equal(api_status(&D, "GET", "/v1/shared?vault=x", svc.token,
        NULL), 400);
}

static void
test_api_share_link_serves_header_and_blob(void **state)
{
    char path[512], doc[64], tok[128], link[64], *b64;
    const char *h = api_fake_header("linkrecipient");
    struct api_user u, other;
    struct api_resp r;
    json_t *o;
    size_t n;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    assert_int_equal(api_user_person(&D, &other), 0);
    assert_int_equal(api_upload_doc(&D, &u, &u, "shared-payload", 14, doc,
        sizeof(doc)), 201);
    n = sodium_base64_ENCODED_LEN(strlen(h), sodium_base64_VARIANT_ORIGINAL);
    b64 = malloc(n);
    sodium_bin2base64(b64, n, (const unsigned char *)h, strlen(h),
        sodium_base64_VARIANT_ORIGINAL);
    o = json_pack("{s:s,s:i,s:i}", "header", b64, "expires_in", 3600,
        "uses", 2);
    free(b64);
    {
        char *text = json_dumps(o, 0);

        snprintf(path, sizeof(path), "/v1/documents/%s/links", doc);
        assert_int_equal(api_status(&D, "POST", path, other.token, text),
            404);
        assert_int_equal(api_request(&D, "POST", path, u.token, text,
            strlen(text), NULL, &r), 0);
        free(text);
    }
    json_decref(o);
    assert_int_equal(r.status, 201);
    assert_int_equal(api_json_field(r.body, "token", tok, sizeof(tok)), 0);
    assert_int_equal(api_json_field(r.body, "link", link, sizeof(link)), 0);
    api_resp_free(&r);

    /* The signature route uses nothing. */
    snprintf(path, sizeof(path), "/s/%s/signature", tok);
    assert_int_equal(api_request(&D, "GET", path, NULL, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"signer_key\""));
    api_resp_free(&r);
    snprintf(path, sizeof(path), "/s/%s", tok);
    assert_int_equal(api_request(&D, "GET", path, NULL, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, strlen(h) + 14);
    assert_memory_equal(r.body, h, strlen(h));
    assert_memory_equal(r.body + strlen(h), "shared-payload", 14);
    api_resp_free(&r);
    assert_int_equal(api_status(&D, "GET", path, NULL, NULL), 200);
    /* Used up. */
    assert_int_equal(api_status(&D, "GET", path, NULL, NULL), 404);
    snprintf(path, sizeof(path), "/s/%s/signature", tok);
    assert_int_equal(api_status(&D, "GET", path, NULL, NULL), 404);
    /* A forged token for the same link id. */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    snprintf(path, sizeof(path), "/s/%s/signature", tok);
    assert_int_equal(api_status(&D, "GET", path, NULL, NULL), 404);
    assert_int_equal(api_status(&D, "GET", "/s/garbage", NULL, NULL), 404);
    /* Listed, then revoked. */
    snprintf(path, sizeof(path), "/v1/documents/%s/links", doc);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, link));
    api_resp_free(&r);
    snprintf(path, sizeof(path), "/v1/documents/%s/links/%s", doc, link);
    assert_int_equal(api_status(&D, "DELETE", path, other.token, NULL), 404);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 204);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 404);
}

static void
test_api_opposition_refuses_employer_deposits(void **state)
{
    char path[256];
    struct api_user u, emp, emp2;
    struct api_resp r;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    new_employer(&emp);
    new_employer(&emp2);
    snprintf(path, sizeof(path), "/v1/oppositions/%s", emp.id);
    assert_int_equal(api_status(&D, "PUT", path, u.token, NULL), 201);
    assert_int_equal(api_status(&D, "PUT", path, u.token, NULL), 200);
    assert_int_equal(api_status(&D, "PUT", path, emp.token, NULL), 404);
    assert_int_equal(api_status(&D, "PUT", "/v1/oppositions/12345678901234",
        u.token, NULL), 400);
    assert_int_equal(api_request(&D, "GET", "/v1/oppositions", u.token,
        NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, emp.id));
    api_resp_free(&r);
    assert_int_equal(api_upload_doc(&D, &u, &emp, "opposed", 7, NULL, 0),
        403);
    assert_int_equal(api_upload_doc(&D, &u, &emp2, "not-opposed", 11, NULL,
        0), 201);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 204);
    assert_int_equal(api_status(&D, "DELETE", path, u.token, NULL), 404);
    assert_int_equal(api_upload_doc(&D, &u, &emp, "opposed", 7, NULL, 0),
        201);
}

/* Hex ${s} (64 chars) into ${out}. */
static void
unhex(const char *s, uint8_t out[DIGEST_BYTES])
{
    size_t n;

    assert_int_equal(sodium_hex2bin(out, DIGEST_BYTES, s, strlen(s), NULL,
        &n, NULL), 0);
    assert_int_equal(n, DIGEST_BYTES);
}

static void
test_api_audit_chain_and_signed_head(void **state)
{
    struct catalog_audit_entry e;
    uint8_t prev[DIGEST_BYTES], h[DIGEST_BYTES];
    char path[256], doc[64];
    struct api_user u, emp;
    struct api_resp r;
    json_t *o, *arr, *it, *head;
    size_t i;

    (void)state;
    assert_int_equal(api_user_person(&D, &u), 0);
    new_employer(&emp);
    assert_int_equal(api_upload_doc(&D, &u, &emp, "audited", 7, doc,
        sizeof(doc)), 201);
    snprintf(path, sizeof(path), "/v1/vaults/%s/audit", u.vault);
    assert_int_equal(api_status(&D, "GET", path, emp.token, NULL), 404);
    assert_int_equal(api_request(&D, "GET", path, u.token, NULL, 0, NULL,
        &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    api_resp_free(&r);
    arr = json_object_get(o, "entries");
    assert_true(json_array_size(arr) >= 3);
    memset(prev, 0, sizeof(prev));
    /* Recompute the chain from the fields, as a client would. */
    json_array_foreach(arr, i, it) {
        memset(&e, 0, sizeof(e));
        snprintf(e.chain, sizeof(e.chain), "%s",
            json_string_value(json_object_get(it, "chain")));
        e.seq = (uint64_t)json_integer_value(json_object_get(it, "seq"));
        snprintf(e.actor, sizeof(e.actor), "%s",
            json_string_value(json_object_get(it, "actor")));
        snprintf(e.action, sizeof(e.action), "%s",
            json_string_value(json_object_get(it, "action")));
        snprintf(e.target, sizeof(e.target), "%s",
            json_string_value(json_object_get(it, "target")));
        snprintf(e.detail, sizeof(e.detail), "%s",
            json_string_value(json_object_get(it, "detail")));
        {
            struct tm tm;
            const char *t = json_string_value(json_object_get(it, "time"));

            memset(&tm, 0, sizeof(tm));
            assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm));
            e.time = (int64_t)timegm(&tm);
        }
        assert_int_equal(e.seq, i + 1);
        unhex(json_string_value(json_object_get(it, "prev")), e.prev);
        assert_memory_equal(e.prev, prev, DIGEST_BYTES);
        catalog_audit_entry_hash(&e, h);
        unhex(json_string_value(json_object_get(it, "hash")), prev);
        assert_memory_equal(h, prev, DIGEST_BYTES);
    }
    {
        char *all = json_dumps(arr, 0);

        assert_non_null(all);
        assert_non_null(strstr(all, "document.deposit"));
        free(all);
    }
    head = json_object_get(o, "head");
    assert_daemon_signed(head);
    {
        json_t *ht = json_loads(json_string_value(json_object_get(head,
            "text")), 0, NULL);
        char hex[65];

        sodium_bin2hex(hex, sizeof(hex), prev, DIGEST_BYTES);
        assert_string_equal(json_string_value(json_object_get(ht, "hash")),
            hex);
        assert_int_equal(json_integer_value(json_object_get(ht, "seq")),
            json_array_size(arr));
        json_decref(ht);
    }
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_health_info_and_unknown_routes),
        cmocka_unit_test(test_api_register_login_logout),
        cmocka_unit_test(test_api_disabled_account_token_stops),
        cmocka_unit_test(test_api_login_rejects_replay_and_bad_signature),
        cmocka_unit_test(test_api_login_throttles_after_failures),
        cmocka_unit_test(test_api_blob_put_checks_digest_size_and_id),
        cmocka_unit_test(test_api_blob_get_range_etag_and_visibility),
        cmocka_unit_test(test_api_deposit_receipt_verifies_and_is_idempotent),
        cmocka_unit_test(test_api_list_get_delete),
        cmocka_unit_test(test_api_record_escapes_signature_text),
        cmocka_unit_test(test_api_grants_give_and_take_access),
        cmocka_unit_test(test_api_shared_lists_grants_to_the_caller),
        cmocka_unit_test(test_api_share_link_serves_header_and_blob),
        cmocka_unit_test(test_api_opposition_refuses_employer_deposits),
        cmocka_unit_test(test_api_audit_chain_and_signed_head),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
