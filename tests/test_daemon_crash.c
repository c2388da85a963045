/*
 * Crash test of the real daemon: client threads (32 by default), each a
 * person with its own vault, deposit documents of random sizes and read
 * back what they deposited, while the daemon is killed with SIGKILL at
 * random moments and restarted.  Each client keeps the log of what was
 * acknowledged (201: document id, blob id, size).  After every kill:
 *
 *  - `coffred scrub` is clean: the index passes SQLite's quick_check, no
 *    object or record is corrupt, no index row names a missing object,
 *    every audit chain verifies;
 *  - every acknowledged deposit is in the index, live, with its blob id
 *    and size, and the blob's bytes hash to its id (read from the store
 *    with the daemon down);
 *  - once restarted, no temp file is left, every vault lists every
 *    deposit acknowledged in it, and the blobs acknowledged since the last
 *    kill download and hash right.
 *
 * Reads of acknowledged documents while the daemon runs must answer 200
 * with the right bytes; a deposit or read that fails must fail at the
 * transport (the daemon died under it), never with a wrong answer.
 *
 * Environment: COFFRE_CRASH_KILLS (default 3, `make soak`: 50),
 * COFFRE_CRASH_CLIENTS (default 32), COFFRE_CRASH_MAX_MS (the longest
 * run between two kills, default 1200; the shortest is a tenth of it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "tests/util/api_harness.h"

#define MAX_CLIENTS 64
#define MAX_PAYLOAD (16 * 1024)
#define READ_CHUNK (64 * 1024)

/* One acknowledged deposit. */
struct ack {
    char doc[CATALOG_ID_BUFLEN];
    uint8_t blob[DIGEST_BYTES];
    size_t size;
    int cycle;                  /* kill cycle in which it was acknowledged */
};

struct client {
    pthread_t t;
    int idx;
    struct api_user u;
    struct ack *acks;           /* guarded by mu */
    size_t nacks, cap;
    unsigned seed;
    /* Figures. */
    long deposits, reads, transport;
    long wrong;                 /* wrong answers: must stay 0 */
    char wrong_what[256];
};

static struct api_daemon D;
static struct client clients[MAX_CLIENTS];
static int nclients = 32;

/* The clients run while !paused; the main thread waits for active == 0. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int paused, stopping, active, cycle;

/* An integer from the environment, or ${def}. */
static long
env_long(const char *name, long def, long lo, long hi)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (s == NULL || *s == '\0') {
        return (def);
    }
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi) {
        return (def);
    }
    return (v);
}

/* Monotonic milliseconds. */
static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

/* Sleep ${ms} milliseconds. */
static void
nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* Note a wrong answer (kept: the first one is printed at the end). */
static void
wrong(struct client *c, const char *fmt, ...)
{
    va_list ap;

    if (c->wrong++ == 0) {
        va_start(ap, fmt);
        vsnprintf(c->wrong_what, sizeof(c->wrong_what), fmt, ap);
        va_end(ap);
    }
}

/* Deposit one document of random size; log it if acknowledged. */
static void
deposit(struct client *c, uint8_t *payload)
{
    struct ack a;
    long st;

    memset(&a, 0, sizeof(a));
    a.size = 1 + (size_t)rand_r(&c->seed) % MAX_PAYLOAD;
    randombytes_buf(payload, a.size);
    digest_buf(payload, a.size, a.blob);
    st = api_upload_doc(&D, &c->u, &c->u, payload, a.size, a.doc,
        sizeof(a.doc));
    if (st == 201) {
        pthread_mutex_lock(&mu);
        a.cycle = cycle;
        if (c->nacks == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 256;
            struct ack *v = realloc(c->acks, ncap * sizeof(*v));

            if (v == NULL) {
                pthread_mutex_unlock(&mu);
                wrong(c, "out of memory");
                return;
            }
            c->acks = v;
            c->cap = ncap;
        }
        c->acks[c->nacks++] = a;
        pthread_mutex_unlock(&mu);
        c->deposits++;
    } else if (st == -1) {
        c->transport++;
        nap(20);        /* the daemon is down: do not spin */
    } else {
        wrong(c, "deposit answered %ld", st);
    }
}

/* GET blob ${a} over HTTP and check its bytes: 1 ok, 0 transport, -1. */
static int
fetch_check(struct client *c, const struct ack *a)
{
    char id[DIGEST_ID_BUFLEN], path[256];
    uint8_t got[DIGEST_BYTES];
    struct api_resp r;
    int rc = 1;

    digest_id_format(a->blob, id);
    snprintf(path, sizeof(path), "/v1/documents/%s", a->doc);
    if (api_request(&D, "GET", path, c->u.token, NULL, 0, NULL, &r) != 0) {
        api_resp_free(&r);
        return (0);
    }
    if (r.status != 200 || strstr(r.body, id) == NULL) {
        wrong(c, "document %s: status %ld", a->doc, r.status);
        api_resp_free(&r);
        return (-1);
    }
    api_resp_free(&r);
    snprintf(path, sizeof(path), "/v1/blobs/%s", id);
    if (api_request(&D, "GET", path, c->u.token, NULL, 0, NULL, &r) != 0) {
        api_resp_free(&r);
        return (0);
    }
    digest_buf((const uint8_t *)r.body, r.len, got);
    if (r.status != 200 || r.len != a->size ||
        memcmp(got, a->blob, DIGEST_BYTES) != 0) {
        wrong(c, "blob of %s: status %ld, %zu bytes", a->doc, r.status,
            r.len);
        rc = -1;
    }
    api_resp_free(&r);
    return (rc);
}

/* Read back a random acknowledged document of this client. */
static void
read_one(struct client *c)
{
    struct ack a;
    int r;

    pthread_mutex_lock(&mu);
    if (c->nacks == 0) {
        pthread_mutex_unlock(&mu);
        return;
    }
    a = c->acks[(size_t)rand_r(&c->seed) % c->nacks];
    pthread_mutex_unlock(&mu);
    if ((r = fetch_check(c, &a)) == 1) {
        c->reads++;
    } else if (r == 0) {
        c->transport++;
        nap(20);
    }
}

/* A client: two deposits for one read, until told to stop. */
static void *
client_main(void *arg)
{
    struct client *c = arg;
    uint8_t *payload = malloc(MAX_PAYLOAD);

    if (payload == NULL) {
        wrong(c, "out of memory");
        return (NULL);
    }
    for (;;) {
        pthread_mutex_lock(&mu);
        while (paused && !stopping) {
            pthread_cond_wait(&cv, &mu);
        }
        if (stopping) {
            pthread_mutex_unlock(&mu);
            break;
        }
        active++;
        pthread_mutex_unlock(&mu);
        if (rand_r(&c->seed) % 3 != 0) {
            deposit(c, payload);
        } else {
            read_one(c);
        }
        pthread_mutex_lock(&mu);
        if (--active == 0) {
            pthread_cond_broadcast(&cv);
        }
        pthread_mutex_unlock(&mu);
    }
    free(payload);
    return (NULL);
}

/* Pause the clients and wait until none is inside a request. */
static void
pause_clients(void)
{

    pthread_mutex_lock(&mu);
    paused = 1;
    while (active > 0) {
        pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
}

/* Let the clients run again, in cycle ${k}. */
static void
resume_clients(int k)
{

    pthread_mutex_lock(&mu);
    cycle = k;
    paused = 0;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Number of files in DATA/tmp. */
static int
tmp_files(void)
{
    char path[512];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/tmp", D.data);
    if ((d = opendir(path)) == NULL) {
        return (-1);
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return (n);
}

/* Run `coffred scrub`; print its findings if it is not clean. */
static int
scrub(void)
{
    static char out[1 << 16];
    int st;

    st = api_daemon_cli(&D, out, sizeof(out), "scrub", NULL);
    if (st != 0 || strstr(out, " chains ") == NULL) {
        print_error("coffred scrub exited %d:\n%s\n", st, out);
        return (-1);
    }
    return (0);
}

/* Hash object ${id} of ${bs}: 0 if it is there with ${size} right bytes. */
static int
blob_ok(struct blobstore *bs, const uint8_t id[DIGEST_BYTES], size_t size)
{
    uint8_t buf[READ_CHUNK], got[DIGEST_BYTES];
    struct digest *d;
    uint64_t len;
    ssize_t r;
    int fd;

    if (blobstore_open_read(bs, id, &fd, &len) != 0) {
        return (-1);
    }
    if (len != size || (d = digest_new()) == NULL) {
        close(fd);
        return (-1);
    }
    while ((r = read(fd, buf, sizeof(buf))) > 0) {
        digest_update(d, buf, (size_t)r);
    }
    digest_final(d, got);
    digest_free(d);
    close(fd);
    return (r == 0 && secmem_eq(got, id, DIGEST_BYTES) ? 0 : -1);
}

/*
 * With the daemon down: every acknowledged deposit is in the index, live,
 * with its blob and size, and its blob hashes right.  Return the number
 * checked, or -1 (printed).
 */
static long
check_store(void)
{
    struct catalog_document doc;
    struct blobstore *bs = NULL;
    struct catalog *cat = NULL;
    long n = 0;
    int i;
    size_t j;

    if (catalog_open(D.data, &cat) != 0 || blobstore_open(D.data, &bs) != 0) {
        print_error("cannot open the store\n");
        n = -1;
        goto done;
    }
    for (i = 0; i < nclients && n >= 0; i++) {
        for (j = 0; j < clients[i].nacks; j++) {
            const struct ack *a = &clients[i].acks[j];

            if (catalog_document_get(cat, a->doc, &doc) != 0) {
                print_error("acknowledged document %s is gone\n", a->doc);
                n = -1;
                break;
            }
            if (doc.state != CATALOG_DOC_LIVE || doc.size != a->size ||
                memcmp(doc.blob, a->blob, DIGEST_BYTES) != 0) {
                print_error("acknowledged document %s changed\n", a->doc);
                n = -1;
            } else if (blob_ok(bs, a->blob, a->size) != 0) {
                print_error("blob of acknowledged document %s is missing "
                    "or wrong\n", a->doc);
                n = -1;
            } else {
                n++;
            }
            catalog_document_clear(&doc);
            if (n < 0) {
                break;
            }
        }
    }
done:
    blobstore_close(bs);
    catalog_close(cat);
    return (n);
}

/* The ids listed in client ${c}'s vault, as a JSON object used as a set. */
static json_t *
listed(struct client *c)
{
    char path[512], cursor[256] = "";
    struct api_resp r;
    json_t *set = json_object(), *o, *v, *e;
    const char *next;
    size_t i;

    for (;;) {
        snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=200%s%s",
            c->u.vault, cursor[0] != '\0' ? "&cursor=" : "", cursor);
        if (api_request(&D, "GET", path, c->u.token, NULL, 0, NULL, &r) !=
            0 || r.status != 200 || (o = json_loads(r.body, 0, NULL)) ==
            NULL) {
            print_error("listing vault %s: %ld\n", c->u.vault, r.status);
            api_resp_free(&r);
            json_decref(set);
            return (NULL);
        }
        api_resp_free(&r);
        v = json_object_get(o, "documents");
        json_array_foreach(v, i, e) {
            json_object_set(set, json_string_value(json_object_get(e,
                "document")), json_object_get(e, "blob"));
        }
        next = json_string_value(json_object_get(o, "next"));
        if (next == NULL || strlen(next) >= sizeof(cursor)) {
            json_decref(o);
            break;
        }
        strcpy(cursor, next);
        json_decref(o);
    }
    return (set);
}

/*
 * With the daemon up again: each vault lists every deposit acknowledged in
 * it, and the blobs acknowledged in cycle ${k} (all if ${k} < 0) download
 * with the right bytes.  Return the number downloaded, or -1.
 */
static long
check_online(int k)
{
    char id[DIGEST_ID_BUFLEN];
    json_t *set, *b;
    long n = 0;
    int i;
    size_t j;

    for (i = 0; i < nclients; i++) {
        struct client *c = &clients[i];

        if ((set = listed(c)) == NULL) {
            return (-1);
        }
        for (j = 0; j < c->nacks; j++) {
            digest_id_format(c->acks[j].blob, id);
            b = json_object_get(set, c->acks[j].doc);
            if (!json_is_string(b) || strcmp(json_string_value(b), id) != 0) {
                print_error("vault %s does not list %s\n", c->u.vault,
                    c->acks[j].doc);
                json_decref(set);
                return (-1);
            }
            if (k >= 0 && c->acks[j].cycle != k) {
                continue;
            }
            if (fetch_check(c, &c->acks[j]) != 1) {
                print_error("acknowledged %s: %s\n", c->acks[j].doc,
                    c->wrong_what);
                json_decref(set);
                return (-1);
            }
            n++;
        }
        json_decref(set);
    }
    return (n);
}

static int
setup(void **state)
{
    int i;

    (void)state;
    nclients = (int)env_long("COFFRE_CRASH_CLIENTS", 32, 1, MAX_CLIENTS);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        api_daemon_start(&D, NULL) != 0) {
        return (-1);
    }
    for (i = 0; i < nclients; i++) {
        clients[i].idx = i;
        clients[i].seed = randombytes_random();
        if (api_user_person(&D, &clients[i].u) != 0) {
            return (-1);
        }
    }
    return (0);
}

static int
teardown(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < nclients; i++) {
        free(clients[i].acks);
    }
    return (api_daemon_stop(&D) == 0 ? 0 : -1);
}

static void
test_daemon_sigkill_under_load(void **state)
{
    long kills = env_long("COFFRE_CRASH_KILLS", 3, 1, 100000);
    long maxms = env_long("COFFRE_CRASH_MAX_MS", 1200, 10, 600000);
    long checked = 0, fetched = 0, n, deposits = 0, reads = 0;
    long transport = 0, wrongs = 0, leftover = 0;
    double t0 = now_ms(), down = 0, t;
    int k, i, st;

    (void)state;
    for (i = 0; i < nclients; i++) {
        assert_int_equal(pthread_create(&clients[i].t, NULL, client_main,
            &clients[i]), 0);
    }
    for (k = 1; k <= kills; k++) {
        /* Let the clients run a random while, then kill the daemon. */
        nap(maxms / 10 + (long)randombytes_uniform((uint32_t)(maxms -
            maxms / 10 + 1)));
        assert_int_equal(kill(D.pid, SIGKILL), 0);
        assert_int_equal(waitpid(D.pid, &st, 0), D.pid);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        D.pid = 0;
        t = now_ms();
        pause_clients();
        if ((n = tmp_files()) > 0) {
            leftover += n;
        }
        assert_int_equal(scrub(), 0);
        assert_true((n = check_store()) >= 0);
        checked += n;
        assert_int_equal(api_daemon_restart(&D, NULL), 0);
        assert_int_equal(tmp_files(), 0);
        assert_true((n = check_online(k - 1)) >= 0);
        fetched += n;
        down += now_ms() - t;
        resume_clients(k);
    }
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (i = 0; i < nclients; i++) {
        pthread_join(clients[i].t, NULL);
    }
    /* A last look at everything, through the daemon. */
    assert_true((n = check_online(-1)) >= 0);
    fetched += n;
    for (i = 0; i < nclients; i++) {
        deposits += clients[i].deposits;
        reads += clients[i].reads;
        transport += clients[i].transport;
        wrongs += clients[i].wrong;
        if (clients[i].wrong > 0) {
            print_error("client %d: %ld wrong answers, first: %s\n", i,
                clients[i].wrong, clients[i].wrong_what);
        }
    }
    printf("crash: %ld SIGKILLs under %d clients in %.1f s (%.1f s of it "
        "checking and restarting)\n", kills, nclients,
        (now_ms() - t0) / 1e3, down / 1e3);
    printf("crash: %ld deposits acknowledged, %ld reads of them checked "
        "under load, %ld requests failed at the transport (daemon down)\n", deposits, reads,
        transport);
    printf("crash: %ld acknowledged deposits checked in the store after "
        "the kills, %ld downloaded and hashed after the restarts\n",
        checked, fetched);
    printf("crash: %ld temp files left by the kills (removed at restart), "
        "%ld wrong answers\n", leftover, wrongs);
    assert_int_equal(wrongs, 0);
    assert_true(deposits > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daemon_sigkill_under_load,
            setup, teardown),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
