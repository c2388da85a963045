/*
 * http_load: load generator for bench/bench_http.sh.
 *
 *   http_load setup URL            register a person, log in, deposit one
 *                                  100 KiB document; print "TOKEN DOCID"
 *   http_load deposit URL N CONC   N deposits of 100 KiB documents (PUT
 *                                  blob + POST record) over CONC
 *                                  connections; print documents/s
 *   http_load raw DIR N WRITERS    the raw durable write of N 100 KiB files
 *                                  (write, fsync, rename, fsync dir) by
 *                                  WRITERS threads; print files/s
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "crypto/minisig.h"

#define DOC_BYTES (100 * 1024)

static const char *base;
static char token[128], vault[32];
static struct minisig_seckey sk;

/* Monotonic seconds. */
static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

struct buf {
    char *p;
    size_t len;
};

/* libcurl sink. */
static size_t
sink(char *ptr, size_t size, size_t nmemb, void *cls)
{
    struct buf *b = cls;
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

/* One request on handle ${c}; return the status, body in ${out}. */
static long
req(CURL *c, const char *method, const char *path, const void *body,
    size_t len, struct buf *out)
{
    struct curl_slist *h = NULL;
    char url[1024], auth[200];
    long st = -1;

    out->p = NULL;
    out->len = 0;
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (token[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    }
    curl_slist_free_all(h);
    return (st);
}

/* Field ${k} of JSON ${text} into ${out}. */
static int
field(const char *text, const char *k, char *out, size_t outlen)
{
    json_t *o = json_loads(text != NULL ? text : "", 0, NULL);
    json_t *v = json_object_get(o, k);
    int rc = -1;

    if (json_is_string(v) && json_string_length(v) < outlen) {
        strcpy(out, json_string_value(v));
        rc = 0;
    }
    json_decref(o);
    return (rc);
}

/* Standard base64 (malloc'd). */
static char *
b64(const void *p, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *o = malloc(n);

    if (o != NULL) {
        sodium_bin2base64(o, n, p, len, sodium_base64_VARIANT_ORIGINAL);
    }
    return (o);
}

/* Upload a fresh 100 KiB payload and deposit it; 0 on success. */
static int
deposit_one(CURL *c, uint8_t *payload, char *docid, size_t idlen)
{
    static const char hdr[] = "age-encryption.org/v1\n-> X25519 bench\nAAAA\n"
        "--- 0123456789abcdefABCDEF0123456789abcdefABCD\n";
    static const char meta[] = "age-encryption.org/v1\n-> X25519 bench\n"
        "AAAA\n--- 0123456789abcdefABCDEF0123456789abcdefABCD\nMETA";
    char id[DIGEST_ID_BUFLEN], path[256], sig[1024], *h, *m, *text;
    uint8_t d[DIGEST_BYTES];
    struct buf out;
    json_t *o;
    long st;

    randombytes_buf(payload, 64);
    digest_buf(payload, DOC_BYTES, d);
    digest_id_format(d, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    st = req(c, "PUT", path, payload, DOC_BYTES, &out);
    free(out.p);
    if (st != 201 && st != 200) {
        return (-1);
    }
    if (minisig_sign_buf(payload, DOC_BYTES, &sk, NULL, "bench", sig,
        sizeof(sig)) <= 0) {
        return (-1);
    }
    h = b64(hdr, sizeof(hdr) - 1);
    m = b64(meta, sizeof(meta) - 1);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", id, "class", "payslip",
        "header", h, "metadata", m, "signature", sig);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(h);
    free(m);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", vault);
    st = req(c, "POST", path, text, strlen(text), &out);
    free(text);
    if (st == 201 && docid != NULL) {
        field(out.p, "document", docid, idlen);
    }
    free(out.p);
    return (st == 201 ? 0 : -1);
}

/* Register a person with fresh keys and log in (sets token, vault). */
static int
setup(CURL *c)
{
    struct minisig_pubkey pk;
    char pkb[MINISIG_PUBKEY_B64_LEN + 1], body[512], ch[128], msg[512];
    char sig[1024], *text;
    struct buf out;
    json_t *o;
    long st;

    minisig_keygen(&sk, &pk);
    minisig_pubkey_encode(&pk, pkb);
    snprintf(body, sizeof(body), "{\"kind\":\"person\",\"age_recipient\":"
        "\"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\","
        "\"minisign_key\":\"%s\"}", pkb);
    st = req(c, "POST", "/v1/accounts", body, strlen(body), &out);
    if (st != 201 || field(out.p, "vault", vault, sizeof(vault)) != 0) {
        fprintf(stderr, "http_load: register: %ld %s\n", st, out.p);
        free(out.p);
        return (-1);
    }
    free(out.p);
    snprintf(body, sizeof(body), "{\"account\":\"%s\"}", vault);
    st = req(c, "POST", "/v1/login/challenge", body, strlen(body), &out);
    if (st != 200 || field(out.p, "challenge", ch, sizeof(ch)) != 0 ||
        field(out.p, "message", msg, sizeof(msg)) != 0) {
        free(out.p);
        return (-1);
    }
    free(out.p);
    if (minisig_sign_buf((const uint8_t *)msg, strlen(msg), &sk, NULL, "x",
        sig, sizeof(sig)) <= 0) {
        return (-1);
    }
    o = json_pack("{s:s,s:s,s:s}", "account", vault, "challenge", ch,
        "signature", sig);
    text = json_dumps(o, 0);
    json_decref(o);
    st = req(c, "POST", "/v1/login", text, strlen(text), &out);
    free(text);
    if (st != 200 || field(out.p, "token", token, sizeof(token)) != 0) {
        free(out.p);
        return (-1);
    }
    free(out.p);
    return (0);
}

struct job {
    pthread_t t;
    long n;
    long fails;
    const char *dir;
    int idx;
};

/* A deposit worker with its own connection. */
static void *
deposit_worker(void *arg)
{
    struct job *j = arg;
    uint8_t *payload = malloc(DOC_BYTES);
    CURL *c = curl_easy_init();
    long i;

    if (payload == NULL || c == NULL) {
        j->fails = j->n;
        return (NULL);
    }
    randombytes_buf(payload, DOC_BYTES);
    for (i = 0; i < j->n; i++) {
        if (deposit_one(c, payload, NULL, 0) != 0) {
            j->fails++;
        }
    }
    curl_easy_cleanup(c);
    free(payload);
    return (NULL);
}

/* A raw durable writer: temp file, write, fsync, rename, fsync dir. */
static void *
raw_worker(void *arg)
{
    struct job *j = arg;
    char tmp[512], fin[512];
    uint8_t *buf = malloc(DOC_BYTES);
    long i;
    int fd, dfd;

    if (buf == NULL || (dfd = open(j->dir, O_RDONLY | O_DIRECTORY)) < 0) {
        j->fails = j->n;
        free(buf);
        return (NULL);
    }
    randombytes_buf(buf, DOC_BYTES);
    for (i = 0; i < j->n; i++) {
        snprintf(tmp, sizeof(tmp), "%s/tmp-%d-%ld", j->dir, j->idx, i);
        snprintf(fin, sizeof(fin), "%s/obj-%d-%ld", j->dir, j->idx, i);
        if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
            write(fd, buf, DOC_BYTES) != DOC_BYTES || fsync(fd) != 0 ||
            close(fd) != 0 || rename(tmp, fin) != 0 || fsync(dfd) != 0) {
            j->fails++;
        }
    }
    close(dfd);
    free(buf);
    return (NULL);
}

/* Run ${conc} workers over ${n} items; print the rate. */
static int
run(void *(*fn)(void *), long n, int conc, const char *dir,
    const char *what)
{
    struct job *jobs = calloc((size_t)conc, sizeof(*jobs));
    long fails = 0;
    double t0, t;
    int i;

    if (jobs == NULL) {
        return (1);
    }
    t0 = now();
    for (i = 0; i < conc; i++) {
        jobs[i].n = n / conc + (i < n % conc);
        jobs[i].dir = dir;
        jobs[i].idx = i;
        pthread_create(&jobs[i].t, NULL, fn, &jobs[i]);
    }
    for (i = 0; i < conc; i++) {
        pthread_join(jobs[i].t, NULL);
        fails += jobs[i].fails;
    }
    t = now() - t0;
    printf("%s: %ld in %.2f s at %d concurrent: %.0f/s (%ld failed)\n",
        what, n, t, conc, (double)(n - fails) / t, fails);
    free(jobs);
    return (fails == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
    char docid[64];
    uint8_t *payload;
    CURL *c;

    if (sodium_init() < 0 || argc < 3) {
        fprintf(stderr, "usage: http_load setup|deposit|raw ...\n");
        exit(2);
    }
    if (strcmp(argv[1], "raw") == 0 && argc == 5) {
        exit(run(raw_worker, atol(argv[3]), atoi(argv[4]), argv[2],
            "raw durable write 100 KiB"));
    }
    base = argv[2];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((c = curl_easy_init()) == NULL || setup(c) != 0) {
        fprintf(stderr, "http_load: setup failed\n");
        exit(1);
    }
    if (strcmp(argv[1], "setup") == 0) {
        if ((payload = malloc(DOC_BYTES)) == NULL) {
            exit(1);
        }
        randombytes_buf(payload, DOC_BYTES);
        if (deposit_one(c, payload, docid, sizeof(docid)) != 0) {
            exit(1);
        }
        printf("%s %s\n", token, docid);
        free(payload);
        exit(0);
    }
    if (strcmp(argv[1], "deposit") == 0 && argc == 5) {
        exit(run(deposit_worker, atol(argv[3]), atoi(argv[4]), NULL,
            "deposits 100 KiB"));
    }
    exit(2);
}
