/*
 * Load and hostile clients against the real daemon on loopback.
 *
 * Mixed load: many clients, each on its own keep-alive connection, deposit
 * documents (PUT blob + POST record), list their vault and download what
 * they deposited, for a fixed time.  Every answer is counted by status;
 * anything but the route's success status is an error, except 503 and 429,
 * which come from a limit and are counted apart.  Afterwards every
 * acknowledged deposit must be listed and download digest-correct, and the
 * daemon's peak RSS (VmHWM) must stay under a generous bound.
 *
 * Under attack: clients sending a header byte a second, uploads whose body
 * never ends, and a flood of connections from one address, while normal
 * clients keep working; they must still be served.
 *
 * `make check` runs a short version; tests/soak/load.sh runs the long one
 * through the environment:
 *   COFFRE_LOAD_CLIENTS   concurrent clients of the mixed load (24)
 *   COFFRE_LOAD_SECONDS   duration of the mixed load (3)
 *   COFFRE_LOAD_RSS_MIB   bound on the daemon's peak RSS (512)
 *   COFFRE_ATTACK_SECONDS duration of each phase, normal then under
 *                         attack (2)
 *   COFFRE_ATTACK_CLIENTS normal clients during those phases (2)
 * Latencies are printed, never asserted (but for a generous ceiling under
 * attack): speed figures belong to the soak report, not to a test verdict.
 *
 * Clients are spread over several loopback source addresses (127.0.0.10
 * and up, CLIENTS_PER_ADDR each), as real clients come from many
 * addresses: one address may hold at most HTTPD_CONNECTIONS_PER_IP_MAX
 * connections, which the flood below checks on its own.
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
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "daemon/limits.h"
#include "tests/util/api_harness.h"

#define NUSERS 8                    /* vaults the clients share */
#define CLIENTS_PER_ADDR 48         /* < HTTPD_CONNECTIONS_PER_IP_MAX */
#define PAYLOAD_MIN_BYTES 1024
#define PAYLOAD_MAX_BYTES (32 * 1024)
#define MAX_STATUS 600
#define SLOW_CONNS 48               /* a header byte a second */
#define UNFINISHED_CONNS 48         /* upload bodies never finished */
#define FLOOD_CONNS 160             /* from one address */
#define ATTACK_CEILING_SECS 20      /* generous: any normal request */

enum op { OP_PUT, OP_DEPOSIT, OP_LIST, OP_RECORD, OP_BLOB, NOPS };

static const char *const opname[NOPS] = {
    "blob PUT", "deposit POST", "list GET", "record GET", "blob GET",
};

/* The success status of each operation (PUT: 201, or 200 if present). */
static const long opok[NOPS] = { 201, 201, 200, 200, 200 };

static struct api_daemon D;
static struct api_user users[NUSERS];
static char *hdr_b64, *meta_b64;

/* Latencies in milliseconds. */
struct lat {
    double *v;
    size_t n, cap;
};

struct stats {
    struct lat lat[NOPS];
    long status[NOPS][MAX_STATUS];  /* [0]: no answer (transport) */
};

/* An acknowledged deposit. */
struct deposit {
    char doc[64];
    char blob[DIGEST_ID_BUFLEN];
    int user;
};

struct client {
    pthread_t t;
    int idx;
    char addr[32];
    double until;
    struct stats st;
    struct deposit *deps;
    size_t ndeps, capdeps;
    int failed;                     /* a local failure (not the daemon) */
};

/* Monotonic seconds. */
static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Sleep ${ms} milliseconds. */
static void
nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* Unsigned knob ${name} from the environment, or ${dflt}. */
static unsigned
knob(const char *name, unsigned dflt)
{
    const char *s = getenv(name);
    unsigned long v;
    char *end;

    if (s == NULL || *s == '\0') {
        return (dflt);
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > 100000) {
        fprintf(stderr, "bad %s=%s, using %u\n", name, s, dflt);
        return (dflt);
    }
    return ((unsigned)v);
}

/* Append ${v} to ${l}. */
static void
lat_add(struct lat *l, double v)
{
    double *nv;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        /* Client threads cannot fail a cmocka test: abort instead. */
        if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
            abort();
        }
        l->v = nv;
    }
    l->v[l->n++] = v;
}

/* qsort order of doubles. */
static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return ((x > y) - (x < y));
}

/*
 * One request on the keep-alive handle ${c}; record its latency and status
 * as operation ${op} in ${st}.  Return the status (-1: no answer); the body
 * is in ${out} (free it).
 */
static long
lreq(CURL *c, struct stats *st, enum op op, const char *method,
    const char *path, const char *token, const void *body, size_t len,
    struct api_buf *out)
{
    struct curl_slist *h = NULL;
    char url[1024], auth[128];
    long status = -1;
    double t0;

    out->p = NULL;
    out->len = 0;
    snprintf(url, sizeof(url), "%s%s", D.base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    }
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    t0 = now();
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    if (st != NULL) {
        lat_add(&st->lat[op], (now() - t0) * 1000.0);
        st->status[op][status > 0 && status < MAX_STATUS ? status : 0]++;
    }
    curl_slist_free_all(h);
    return (status);
}

/* Standard base64 of ${p} (malloc'd). */
static char *
b64(const void *p, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *o;

    assert_non_null(o = malloc(n));
    sodium_bin2base64(o, n, p, len, sodium_base64_VARIANT_ORIGINAL);
    return (o);
}

/* Remember deposit ${doc} of ${blob} into user ${u}'s vault. */
static void
remember(struct client *cl, const char *doc, const char *blob, int u)
{
    struct deposit *nd;

    if (cl->ndeps == cl->capdeps) {
        cl->capdeps = cl->capdeps ? cl->capdeps * 2 : 64;
        if ((nd = realloc(cl->deps, cl->capdeps * sizeof(*nd))) == NULL) {
            abort();
        }
        cl->deps = nd;
    }
    nd = &cl->deps[cl->ndeps++];
    snprintf(nd->doc, sizeof(nd->doc), "%s", doc);
    snprintf(nd->blob, sizeof(nd->blob), "%s", blob);
    nd->user = u;
}

/* Upload a fresh payload and deposit it into user ${u}'s vault. */
static void
op_deposit(struct client *cl, CURL *c, uint8_t *payload, int u)
{
    struct api_user *usr = &users[u];
    char id[DIGEST_ID_BUFLEN], path[256], sig[2048], doc[64], *text;
    uint8_t d[DIGEST_BYTES];
    struct api_buf out;
    size_t len;
    json_t *o;
    long st;

    len = PAYLOAD_MIN_BYTES +
        randombytes_uniform(PAYLOAD_MAX_BYTES - PAYLOAD_MIN_BYTES + 1);
    randombytes_buf(payload, len);
    digest_buf(payload, len, d);
    digest_id_format(d, id);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    st = lreq(c, &cl->st, OP_PUT, "PUT", path, usr->token, payload, len,
        &out);
    free(out.p);
    if (st != 201 && st != 200) {
        return;
    }
    if (api_sign_text(usr, payload, len, sig, sizeof(sig)) != 0) {
        cl->failed++;
        return;
    }
    o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "blob", id, "class", "payslip",
        "header", hdr_b64, "metadata", meta_b64, "signature", sig);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL) {
        cl->failed++;
        return;
    }
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", usr->vault);
    st = lreq(c, &cl->st, OP_DEPOSIT, "POST", path, usr->token, text,
        strlen(text), &out);
    free(text);
    if (st == 201) {
        if (api_json_field(out.p, "document", doc, sizeof(doc)) == 0) {
            remember(cl, doc, id, u);
        } else {
            cl->failed++;
        }
    }
    free(out.p);
}

/* Read back deposit ${dp}: its record, then its blob, digest-checked. */
static void
op_download(struct client *cl, CURL *c, const struct deposit *dp)
{
    char path[256], blob[DIGEST_ID_BUFLEN], id[DIGEST_ID_BUFLEN];
    uint8_t d[DIGEST_BYTES];
    struct api_buf out;
    long st;

    snprintf(path, sizeof(path), "/v1/documents/%s", dp->doc);
    st = lreq(c, &cl->st, OP_RECORD, "GET", path, users[dp->user].token,
        NULL, 0, &out);
    if (st == 200 && (api_json_field(out.p, "blob", blob, sizeof(blob)) != 0
        || strcmp(blob, dp->blob) != 0)) {
        cl->failed++;
    }
    free(out.p);
    if (st != 200) {
        return;
    }
    snprintf(path, sizeof(path), "/v1/blobs/%s", dp->blob);
    st = lreq(c, &cl->st, OP_BLOB, "GET", path, users[dp->user].token,
        NULL, 0, &out);
    if (st == 200) {
        digest_buf((const uint8_t *)out.p, out.len, d);
        digest_id_format(d, id);
        if (strcmp(id, dp->blob) != 0) {
            cl->failed++;
        }
    }
    free(out.p);
}

/* A client: deposits, listings and downloads until its deadline. */
static void *
client_run(void *arg)
{
    struct client *cl = arg;
    uint8_t *payload;
    char path[256];
    struct api_buf out;
    CURL *c;
    int u = cl->idx % NUSERS;
    uint32_t pick;

    if ((payload = malloc(PAYLOAD_MAX_BYTES)) == NULL ||
        (c = curl_easy_init()) == NULL) {
        free(payload);
        cl->failed++;
        return (NULL);
    }
    curl_easy_setopt(c, CURLOPT_INTERFACE, cl->addr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=50",
        users[u].vault);
    while (now() < cl->until) {
        pick = randombytes_uniform(10);
        if (pick < 4 || cl->ndeps == 0) {
            op_deposit(cl, c, payload, u);
        } else if (pick < 7) {
            (void)lreq(c, &cl->st, OP_LIST, "GET", path, users[u].token,
                NULL, 0, &out);
            free(out.p);
        } else {
            op_download(cl, c,
                &cl->deps[randombytes_uniform((uint32_t)cl->ndeps)]);
        }
    }
    curl_easy_cleanup(c);
    free(payload);
    return (NULL);
}

/* Run ${n} clients for ${secs} s from addresses 127.0.0.${first}+. */
static struct client *
clients_run(unsigned n, unsigned secs, unsigned first)
{
    struct client *cl;
    double until = now() + secs;
    unsigned i;

    assert_non_null(cl = calloc(n, sizeof(*cl)));
    for (i = 0; i < n; i++) {
        cl[i].idx = (int)i;
        cl[i].until = until;
        snprintf(cl[i].addr, sizeof(cl[i].addr), "127.0.0.%u",
            (first + i / CLIENTS_PER_ADDR) % 250);
        assert_int_equal(pthread_create(&cl[i].t, NULL, client_run, &cl[i]),
            0);
    }
    for (i = 0; i < n; i++) {
        pthread_join(cl[i].t, NULL);
    }
    return (cl);
}

/* Release ${n} clients. */
static void
clients_free(struct client *cl, unsigned n)
{
    unsigned i;
    int op;

    for (i = 0; i < n; i++) {
        for (op = 0; op < NOPS; op++) {
            free(cl[i].st.lat[op].v);
        }
        free(cl[i].deps);
    }
    free(cl);
}

/*
 * Print per-operation counts, statuses and p50/p99 of ${n} clients under
 * ${label}.  Return the number of answers that are errors (neither the
 * success status nor a limit), with transport failures and local failures;
 * ${limits} gets the 503 and 429 answers, ${maxms} the slowest request.
 */
static long
report(const char *label, struct client *cl, unsigned n, unsigned secs,
    long *limits, double *maxms)
{
    struct lat all;
    long errors = 0, total = 0, s, cnt;
    unsigned i;
    int op;
    char line[512];
    size_t off;

    *limits = 0;
    *maxms = 0;
    for (op = 0; op < NOPS; op++) {
        memset(&all, 0, sizeof(all));
        cnt = 0;
        off = 0;
        line[0] = '\0';
        for (s = 0; s < MAX_STATUS; s++) {
            long k = 0;

            for (i = 0; i < n; i++) {
                k += cl[i].st.status[op][s];
            }
            if (k == 0) {
                continue;
            }
            cnt += k;
            if (s == 0) {
                off += (size_t)snprintf(line + off, sizeof(line) - off,
                    " none:%ld", k);
            } else {
                off += (size_t)snprintf(line + off, sizeof(line) - off,
                    " %ld:%ld", s, k);
            }
            if (s == 503 || s == 429) {
                *limits += k;
            } else if (s != opok[op] && !(op == OP_PUT && s == 200)) {
                errors += k;
            }
        }
        total += cnt;
        for (i = 0; i < n; i++) {
            size_t j;

            for (j = 0; j < cl[i].st.lat[op].n; j++) {
                lat_add(&all, cl[i].st.lat[op].v[j]);
            }
        }
        if (all.n > 0) {
            qsort(all.v, all.n, sizeof(double), cmp_double);
            if (all.v[all.n - 1] > *maxms) {
                *maxms = all.v[all.n - 1];
            }
            printf("%s: %-12s n=%-7zu p50 %8.1f ms  p99 %8.1f ms  "
                "max %8.1f ms  status%s\n", label, opname[op], all.n,
                all.v[all.n / 2], all.v[(all.n * 99) / 100],
                all.v[all.n - 1], line);
        }
        free(all.v);
    }
    for (i = 0; i < n; i++) {
        errors += cl[i].failed;
    }
    printf("%s: %u clients, %u s: %ld requests (%.0f/s), %ld errors, "
        "%ld limit answers (503/429)\n", label, n, secs, total,
        (double)total / secs, errors, *limits);
    return (errors);
}

/* The daemon's peak resident set (VmHWM) in KiB, or -1. */
static long
daemon_vmhwm_kib(void)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)D.pid);
    if ((f = fopen(path, "r")) == NULL) {
        return (-1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return (kib);
}

/* qsort order of C strings held in arrays of 64. */
static int
cmp_doc(const void *a, const void *b)
{

    return (strcmp(a, b));
}

struct verify {
    pthread_t t;
    int user;
    struct client *cl;
    unsigned ncl;
    long acked, listed, missing, bad;
};

/*
 * List user ${v->user}'s whole vault; every deposit the clients had
 * acknowledged there must be in it and download digest-correct.
 */
static void *
verify_run(void *arg)
{
    struct verify *v = arg;
    struct client self;
    char (*ids)[64] = NULL, path[512], cursor[256] = "";
    size_t n = 0, cap = 0, j;
    struct api_buf out;
    json_t *o, *docs, *e, *next;
    unsigned i;
    CURL *c;
    long st;

    memset(&self, 0, sizeof(self));
    if ((c = curl_easy_init()) == NULL) {
        v->bad++;
        return (NULL);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    for (;;) {
        snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=%d%s%s",
            users[v->user].vault, API_PAGE_MAX, cursor[0] ? "&cursor=" : "",
            cursor);
        st = lreq(c, NULL, OP_LIST, "GET", path, users[v->user].token, NULL,
            0, &out);
        o = st == 200 ? json_loads(out.p, 0, NULL) : NULL;
        free(out.p);
        if (o == NULL || !json_is_array(docs = json_object_get(o,
            "documents"))) {
            json_decref(o);
            v->bad++;
            break;
        }
        json_array_foreach(docs, j, e) {
            const char *d = json_string_value(json_object_get(e,
                "document"));

            if (n == cap) {
                void *np;

                cap = cap ? cap * 2 : 1024;
                if ((np = realloc(ids, cap * sizeof(*ids))) == NULL) {
                    v->bad++;
                    json_decref(o);
                    goto done;
                }
                ids = np;
            }
            snprintf(ids[n++], sizeof(ids[0]), "%s", d != NULL ? d : "");
        }
        next = json_object_get(o, "next");
        if (!json_is_string(next) || json_string_length(next) == 0 ||
            json_string_length(next) >= sizeof(cursor)) {
            json_decref(o);
            break;
        }
        /* Cursors are "<created>.<id>": URL-safe as they are. */
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        json_decref(o);
    }
    v->listed = (long)n;
    qsort(ids, n, sizeof(*ids), cmp_doc);
    for (i = 0; i < v->ncl; i++) {
        for (j = 0; j < v->cl[i].ndeps; j++) {
            const struct deposit *dp = &v->cl[i].deps[j];

            if (dp->user != v->user) {
                continue;
            }
            v->acked++;
            if (n == 0 || bsearch(dp->doc, ids, n, sizeof(*ids),
                cmp_doc) == NULL) {
                v->missing++;
                continue;
            }
            op_download(&self, c, dp);
        }
    }
    v->bad += self.failed;
    for (i = 0; i < NOPS; i++) {
        free(self.st.lat[i].v);
    }
    /* Every download answered 200 (a missing one counts as bad). */
    v->bad += self.st.status[OP_RECORD][0] + self.st.status[OP_BLOB][0];
    for (st = 1; st < MAX_STATUS; st++) {
        if (st != 200) {
            v->bad += self.st.status[OP_RECORD][st] +
                self.st.status[OP_BLOB][st];
        }
    }
done:
    free(ids);
    curl_easy_cleanup(c);
    return (NULL);
}

static int
setup(void **state)
{
    char meta[512];
    int i;

    (void)state;
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        api_daemon_start(&D, NULL) != 0) {
        return (-1);
    }
    for (i = 0; i < NUSERS; i++) {
        if (api_user_person(&D, &users[i]) != 0) {
            return (-1);
        }
    }
    snprintf(meta, sizeof(meta), "%sMETADATA", api_fake_header("meta"));
    hdr_b64 = b64(api_fake_header("owner"), strlen(api_fake_header("owner")));
    meta_b64 = b64(meta, strlen(meta));
    return (0);
}

static int
teardown(void **state)
{

    (void)state;
    free(hdr_b64);
    free(meta_b64);
    curl_global_cleanup();
    return (api_daemon_stop(&D) == 0 ? 0 : -1);
}

static void
test_api_load_mixed_no_error_no_loss(void **state)
{
    unsigned n = knob("COFFRE_LOAD_CLIENTS", 24);
    unsigned secs = knob("COFFRE_LOAD_SECONDS", 3);
    long bound = (long)knob("COFFRE_LOAD_RSS_MIB", 512) * 1024;
    struct verify v[NUSERS];
    struct client *cl;
    long errors, limits, acked = 0, missing = 0, bad = 0, listed = 0, hwm;
    double maxms;
    int i;

    (void)state;
    cl = clients_run(n, secs, 10);
    errors = report("load", cl, n, secs, &limits, &maxms);
    memset(v, 0, sizeof(v));
    for (i = 0; i < NUSERS; i++) {
        v[i].user = i;
        v[i].cl = cl;
        v[i].ncl = n;
        assert_int_equal(pthread_create(&v[i].t, NULL, verify_run, &v[i]),
            0);
    }
    for (i = 0; i < NUSERS; i++) {
        pthread_join(v[i].t, NULL);
        acked += v[i].acked;
        listed += v[i].listed;
        missing += v[i].missing;
        bad += v[i].bad;
    }
    hwm = daemon_vmhwm_kib();
    printf("load: %ld deposits acknowledged, %ld listed, %ld missing, "
        "%ld failed read-back\n", acked, listed, missing, bad);
    printf("load: daemon peak RSS (VmHWM) %.1f MiB (bound %ld MiB)\n",
        (double)hwm / 1024, bound / 1024);
    clients_free(cl, n);
    assert_int_equal(errors, 0);
    assert_true(acked > 0);
    assert_int_equal(missing, 0);
    assert_int_equal(bad, 0);
    /* Nothing but what was acknowledged (no error left a document). */
    assert_int_equal(listed, acked);
    assert_true(hwm > 0);
    assert_true(hwm < bound);
}

/* The hostile connections, driven by one thread. */
struct attack {
    pthread_t t;
    atomic_int stop;
    atomic_int ready;
    int slow[SLOW_CONNS];
    size_t slowoff[SLOW_CONNS];
    int unfinished[UNFINISHED_CONNS];
    int flood[FLOOD_CONNS];
    long reconnects, flood_closed;
    unsigned nslow, nunfinished, nflood;
};

static struct attack A;

/* A TCP connection to the daemon from 127.0.0.${src}, or -1. */
static int
connect_from(unsigned src)
{
    struct sockaddr_in sin;
    int s, one = 1;

    if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        return (-1);
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000000u | src);
    if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(s);
        return (-1);
    }
    sin.sin_port = htons((uint16_t)D.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(s);
        return (-1);
    }
    return (s);
}

/* Send ${len} bytes of ${p}; 0 if all went, else -1. */
static int
send_n(int s, const void *p, size_t len)
{

    return (send(s, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len ?
        0 : -1);
}

/* Whether the server closed ${s} (reads and discards what waits). */
static int
closed(int s)
{
    struct pollfd p = { s, POLLIN, 0 };
    char buf[512];
    ssize_t r;

    if (poll(&p, 1, 0) <= 0) {
        return (0);
    }
    r = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
    return (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

/* Open an unfinished upload: headers and a first slice of its body. */
static int
unfinished_open(const char *token)
{
    char req[1024], hex[65];
    uint8_t r[32];
    int s, n;

    if ((s = connect_from(61)) < 0) {
        return (-1);
    }
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    n = snprintf(req, sizeof(req), "PUT /v1/blobs/sha256:%s HTTP/1.1\r\n"
        "Host: x\r\nAuthorization: Bearer %s\r\n"
        "Content-Length: 1048576\r\n\r\n", hex, token);
    if (send_n(s, req, (size_t)n) != 0 || send_n(s, r, sizeof(r)) != 0) {
        close(s);
        return (-1);
    }
    return (s);
}

/*
 * The attack loop: every 100 ms reopen what the server closed; every
 * second send each slow connection one more header byte.  The slow header
 * never ends ("X-Slow: aaaa..."), the uploads announce 1 MiB and never
 * send more than 32 bytes, and the flood keeps FLOOD_CONNS connections
 * from 127.0.0.62 open or reopening.
 */
static void *
attack_run(void *arg)
{
    static const char head[] = "GET /v1/health HTTP/1.1\r\nHost: x\r\n"
        "X-Slow: ";
    struct attack *a = arg;
    const char *token = users[0].token;
    double tick = 0;
    unsigned i;

    for (i = 0; i < a->nslow; i++) {
        a->slow[i] = connect_from(60);
        a->slowoff[i] = 0;
    }
    for (i = 0; i < a->nunfinished; i++) {
        a->unfinished[i] = unfinished_open(token);
    }
    for (i = 0; i < a->nflood; i++) {
        a->flood[i] = connect_from(62);
    }
    nap(500);
    atomic_store(&a->ready, 1);
    while (!atomic_load(&a->stop)) {
        int second = now() - tick >= 1.0;

        if (second) {
            tick = now();
        }
        for (i = 0; i < a->nslow; i++) {
            if (a->slow[i] >= 0 && (closed(a->slow[i]) || (second &&
                send_n(a->slow[i], a->slowoff[i] < sizeof(head) - 1 ?
                &head[a->slowoff[i]] : "a", 1) != 0))) {
                close(a->slow[i]);
                a->slow[i] = -1;
            }
            if (a->slow[i] < 0) {
                a->slow[i] = connect_from(60);
                a->slowoff[i] = 0;
                a->reconnects++;
            } else if (second) {
                a->slowoff[i]++;
            }
        }
        for (i = 0; i < a->nunfinished; i++) {
            if (a->unfinished[i] >= 0 && closed(a->unfinished[i])) {
                close(a->unfinished[i]);
                a->unfinished[i] = -1;
            }
            if (a->unfinished[i] < 0) {
                a->unfinished[i] = unfinished_open(token);
                a->reconnects++;
            }
        }
        for (i = 0; i < a->nflood; i++) {
            if (a->flood[i] >= 0 && closed(a->flood[i])) {
                close(a->flood[i]);
                a->flood[i] = -1;
                a->flood_closed++;
            }
            if (a->flood[i] < 0) {
                a->flood[i] = connect_from(62);
            }
        }
        nap(100);
    }
    for (i = 0; i < a->nslow; i++) {
        if (a->slow[i] >= 0) {
            close(a->slow[i]);
        }
    }
    for (i = 0; i < a->nunfinished; i++) {
        if (a->unfinished[i] >= 0) {
            close(a->unfinished[i]);
        }
    }
    for (i = 0; i < a->nflood; i++) {
        if (a->flood[i] >= 0) {
            close(a->flood[i]);
        }
    }
    return (NULL);
}

/*
 * How many of ${n} connections from one address the daemon keeps, once it
 * has accepted them all: connections it closes go at once, but a busy (or
 * valgrind-slowed) daemon may take a while to accept the backlog, so wait
 * up to 20 s for the count to come down to ${limit}.
 */
static unsigned
flood_kept(unsigned n, unsigned limit)
{
    int *s;
    unsigned i, kept = n, tries;

    assert_non_null(s = calloc(n, sizeof(*s)));
    for (i = 0; i < n; i++) {
        s[i] = connect_from(63);
    }
    for (tries = 0; tries < 200 && kept > limit; tries++) {
        nap(100);
        kept = 0;
        for (i = 0; i < n; i++) {
            if (s[i] >= 0 && closed(s[i])) {
                close(s[i]);
                s[i] = -1;
            }
            kept += s[i] >= 0;
        }
    }
    /* Settled: nothing more is closed a moment later. */
    nap(300);
    kept = 0;
    for (i = 0; i < n; i++) {
        if (s[i] >= 0) {
            kept += !closed(s[i]);
            close(s[i]);
        }
    }
    free(s);
    return (kept);
}

static void
test_api_flood_from_one_address_is_capped(void **state)
{
    unsigned kept;

    (void)state;
    kept = flood_kept(FLOOD_CONNS, HTTPD_CONNECTIONS_PER_IP_MAX);
    printf("flood: %u of %u connections from one address kept "
        "(limit %d)\n", kept, FLOOD_CONNS, HTTPD_CONNECTIONS_PER_IP_MAX);
    assert_true(kept > 0);
    assert_true(kept <= HTTPD_CONNECTIONS_PER_IP_MAX);
    /* Other addresses are still served at once. */
    assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL), 200);
}

static void
test_api_load_served_under_attack(void **state)
{
    unsigned n = knob("COFFRE_ATTACK_CLIENTS", 2);
    unsigned secs = knob("COFFRE_ATTACK_SECONDS", 2);
    struct client *cl;
    long errors, limits;
    double base_max, att_max;

    (void)state;
    /* The same clients first without, then with the attack. */
    cl = clients_run(n, secs, 20);
    errors = report("normal", cl, n, secs, &limits, &base_max);
    clients_free(cl, n);
    assert_int_equal(errors, 0);

    memset(&A, 0, sizeof(A));
    A.nslow = SLOW_CONNS;
    A.nunfinished = UNFINISHED_CONNS;
    A.nflood = FLOOD_CONNS;
    assert_int_equal(pthread_create(&A.t, NULL, attack_run, &A), 0);
    while (!atomic_load(&A.ready)) {
        nap(50);
    }
    cl = clients_run(n, secs, 20);
    errors = report("attack", cl, n, secs, &limits, &att_max);
    clients_free(cl, n);
    atomic_store(&A.stop, 1);
    pthread_join(A.t, NULL);
    printf("attack: %u slow-header, %u unfinished-upload connections, "
        "flood of %u from one address (%ld closed by the daemon), "
        "%ld reopened\n", A.nslow, A.nunfinished, A.nflood, A.flood_closed,
        A.reconnects);
    assert_int_equal(errors, 0);
    assert_int_equal(limits, 0);
    /* A functional ceiling, far above any normal latency. */
    assert_true(att_max < ATTACK_CEILING_SECS * 1000.0);
    assert_int_equal(api_status(&D, "GET", "/v1/health", NULL, NULL), 200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_load_mixed_no_error_no_loss),
        cmocka_unit_test(test_api_flood_from_one_address_is_capped),
        cmocka_unit_test(test_api_load_served_under_attack),
    };

    setvbuf(stdout, NULL, _IOLBF, 0);
    return (cmocka_run_group_tests(tests, setup, teardown));
}
