/*
 * Many clients at once: concurrent uploads and deposits (handled on the
 * daemon's worker pool with suspended connections) and reads must all
 * succeed, and the vault must then list exactly what was deposited; a
 * listing made while documents are being deleted must succeed too.
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "tests/util/api_harness.h"

#define NTHREADS 16
#define PER_THREAD 8

static struct api_daemon D;
static struct api_user owner, emp;

struct job {
    pthread_t t;
    int idx;
    int ok;
    int fails;
};

/* Deposit PER_THREAD documents, reading each back. */
static void *
worker(void *arg)
{
    struct job *j = arg;
    char payload[64], doc[64], path[128];
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        snprintf(payload, sizeof(payload), "concurrent-%d-%d", j->idx, i);
        if (api_upload_doc(&D, &owner, j->idx % 2 ? &emp : &owner, payload,
            strlen(payload), doc, sizeof(doc)) != 201) {
            j->fails++;
            continue;
        }
        snprintf(path, sizeof(path), "/v1/documents/%s", doc);
        if (api_status(&D, "GET", path, owner.token, NULL) != 200 ||
            api_status(&D, "GET", "/v1/health", NULL, NULL) != 200) {
            j->fails++;
            continue;
        }
        j->ok++;
    }
    return (NULL);
}

static int
setup(void **state)
{
    char siret[15];

    (void)state;
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        api_daemon_start(&D, NULL) != 0) {
        return (-1);
    }
    api_siret_make(31337, siret);
    if (api_user_person(&D, &owner) != 0 ||
        api_user_operator(&D, &emp, "employer", siret) != 0) {
        return (-1);
    }
    return (0);
}

static int
teardown(void **state)
{

    (void)state;
    return (api_daemon_stop(&D) == 0 ? 0 : -1);
}

static void
test_api_concurrent_deposits_all_land(void **state)
{
    struct job jobs[NTHREADS];
    char path[256];
    struct api_resp r;
    json_t *o;
    int i, ok = 0, fails = 0;

    (void)state;
    memset(jobs, 0, sizeof(jobs));
    for (i = 0; i < NTHREADS; i++) {
        jobs[i].idx = i;
        assert_int_equal(pthread_create(&jobs[i].t, NULL, worker, &jobs[i]),
            0);
    }
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(jobs[i].t, NULL);
        ok += jobs[i].ok;
        fails += jobs[i].fails;
    }
    assert_int_equal(fails, 0);
    assert_int_equal(ok, NTHREADS * PER_THREAD);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=200",
        owner.vault);
    assert_int_equal(api_request(&D, "GET", path, owner.token, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_int_equal(json_array_size(json_object_get(o, "documents")),
        NTHREADS * PER_THREAD);
    json_decref(o);
    api_resp_free(&r);
}

#define DELETES 32

/* Document ids to delete, and how the deleter fared. */
static struct {
    char ids[DELETES][64];
    int n;
    int fails;
    volatile int done;
} del;

/* Delete the documents of ${del}, one after the other. */
static void *
deleter(void *arg)
{
    char path[128];
    int i;

    (void)arg;
    for (i = 0; i < del.n; i++) {
        snprintf(path, sizeof(path), "/v1/documents/%s", del.ids[i]);
        if (api_status(&D, "DELETE", path, owner.token, NULL) != 204) {
            del.fails++;
        }
    }
    del.done = 1;
    return (NULL);
}

/*
 * A listing reads the documents, then each one's header: a document
 * deleted in between is left out of the page, never a server error.  The
 * oldest documents go first, so that the listing meets them last.
 */
static void
test_api_listing_during_deletions(void **state)
{
    char path[256];
    struct api_resp r;
    pthread_t t;
    json_t *o, *docs;
    size_t n, i;
    int lists = 0, errors = 0;

    (void)state;
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents?limit=200",
        owner.vault);
    assert_int_equal(api_request(&D, "GET", path, owner.token, NULL, 0,
        NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    api_resp_free(&r);
    docs = json_object_get(o, "documents");
    n = json_array_size(docs);
    assert_true(n >= DELETES);
    memset(&del, 0, sizeof(del));
    for (i = 0; i < DELETES; i++) {
        snprintf(del.ids[i], sizeof(del.ids[i]), "%s",
            json_string_value(json_object_get(json_array_get(docs,
            n - 1 - i), "document")));
    }
    del.n = DELETES;
    json_decref(o);
    assert_int_equal(pthread_create(&t, NULL, deleter, NULL), 0);
    while (!del.done) {
        assert_int_equal(api_request(&D, "GET", path, owner.token, NULL, 0,
            NULL, &r), 0);
        if (r.status != 200) {
            fprintf(stderr, "listing during deletions: %ld %s", r.status,
                r.body);
            errors++;
        }
        api_resp_free(&r);
        lists++;
    }
    pthread_join(t, NULL);
    printf("listings during %d deletions: %d, failed: %d\n", DELETES,
        lists, errors);
    assert_int_equal(del.fails, 0);
    assert_int_equal(errors, 0);
    assert_int_equal(api_request(&D, "GET", path, owner.token, NULL, 0,
        NULL, &r), 0);
    assert_non_null(o = json_loads(r.body, 0, NULL));
    assert_int_equal(json_array_size(json_object_get(o, "documents")),
        n - DELETES);
    json_decref(o);
    api_resp_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_concurrent_deposits_all_land),
        cmocka_unit_test(test_api_listing_during_deletions),
    };

    return (cmocka_run_group_tests(tests, setup, teardown));
}
