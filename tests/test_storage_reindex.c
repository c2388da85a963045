/*
 * Reindex round trip: populate a store through the catalog API (thousands
 * of documents and grants, deletions, revocations, state changes), dump
 * the index, delete it, rebuild it from the record objects alone, and
 * compare.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/catalog.h"
#include "storage/blobstore.h"
#include "storage/maint.h"
#include "storage/record.h"
#include "tests/util/storage_tu.h"

#define NPERSONS 20
#define NDOCS 3000
#define NTHREADS 8

struct world {
    char *dir;
    struct catalog *cat;
    struct catalog_account persons[NPERSONS];
    struct catalog_account employer, service;
    char docs[NDOCS][CATALOG_ID_BUFLEN];
};

static struct world W;

/* Where to build the store: tmpfs when present.  Population speed is not
 * what this test measures (fsync is a no-op there); reindex is. */
static char *
fast_dir(void)
{
    struct stat st;
    char *old, *dir;

    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0) {
        old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
        setenv("TMPDIR", "/dev/shm", 1);
        dir = storage_tu_mkdtemp();
        if (old != NULL) {
            setenv("TMPDIR", old, 1);
            free(old);
        } else {
            unsetenv("TMPDIR");
        }
        return (dir);
    }
    return (storage_tu_mkdtemp());
}

static void
mkacct(struct catalog_account *a, enum catalog_kind k, const char *vault,
    const char *siret, const char *name)
{

    memset(a, 0, sizeof(*a));
    a->kind = k;
    (void)snprintf(a->vault, sizeof(a->vault), "%s", vault);
    (void)snprintf(a->siret, sizeof(a->siret), "%s", siret);
    (void)snprintf(a->name, sizeof(a->name), "%s \"quoted\" \\ é", name);
    (void)snprintf(a->age_recipient, sizeof(a->age_recipient), "age1%s",
        name);
    (void)snprintf(a->minisign_key, sizeof(a->minisign_key), "RW%s", name);
    a->state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(W.cat, CATALOG_ACTOR_OPERATOR,
        a), 0);
}

struct job {
    int from, to;
    int rc;
};

/* Deposit documents [from, to), grant every third to the service. */
static void *
populate(void *arg)
{
    struct job *j = arg;
    struct catalog_deposit in;
    uint8_t meta[300], hdr[200], hdr2[180];
    char idem[32], sig[64];
    int i, p;

    for (i = j->from; i < j->to && j->rc == 0; i++) {
        p = i % NPERSONS;
        storage_tu_fill(meta, sizeof(meta), (uint64_t)i);
        storage_tu_fill(hdr, sizeof(hdr), (uint64_t)i + 1000000);
        storage_tu_fill(hdr2, sizeof(hdr2), (uint64_t)i + 2000000);
        (void)snprintf(idem, sizeof(idem), "run-%d", i);
        (void)snprintf(sig, sizeof(sig), "untrusted comment: %d\nRW==\n", i);
        memset(&in, 0, sizeof(in));
        in.vault = W.persons[p].id;
        in.depositor = i % 2 ? W.employer.id : W.persons[p].id;
        in.doc_class = i % 7 ? "payslip" : "contract";
        storage_tu_fill(in.blob, DIGEST_BYTES, (uint64_t)i / 2);
        in.size = (uint64_t)i * 100;
        in.created = 1700000000 + i;
        in.meta = meta;
        in.metalen = (size_t)(i % 300);
        in.signature = sig;
        in.receipt = i % 3 ? meta : NULL;
        in.receiptlen = 40;
        in.idem_key = i % 4 ? idem : NULL;
        in.owner_header = hdr;
        in.owner_headerlen = sizeof(hdr);
        if ((j->rc = catalog_document_insert(W.cat, &in, W.docs[i])) != 0) {
            break;
        }
        if (i % 3 == 0) {
            j->rc = catalog_grant_add(W.cat, in.vault, W.docs[i],
                W.service.id, hdr2, sizeof(hdr2));
        }
    }
    return (NULL);
}

/* Text dump of every rebuildable table, in a stable order. */
static char *
dump(const char *dir)
{
    static const char *const q[] = {
        "SELECT id, kind, vault, siret, name, age_recipient, minisign_key,"
        " state, created, rev FROM accounts ORDER BY id",
        "SELECT id, vault, depositor, class, hex(blob), size, created,"
        " hex(meta), signature, hex(receipt), idem_key, state, deleted,"
        " hex(record) FROM documents ORDER BY id",
        "SELECT document, reader, granted_by, created, hex(header),"
        " hex(record) FROM grants ORDER BY document, reader",
        "SELECT depositor, key, document FROM idem ORDER BY depositor, key",
        "SELECT vault, siret, since, hex(record) FROM oppositions"
        " ORDER BY vault, siret",
        "SELECT key, value, rev FROM settings ORDER BY key",
    };
    char path[4096];
    char *buf = NULL;
    size_t len = 0;
    FILE *fp;
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t i;
    int c;

    (void)snprintf(path, sizeof(path), "%s/index.sqlite", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    assert_non_null(fp = open_memstream(&buf, &len));
    for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &st, NULL),
            SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *t = sqlite3_column_text(st, c);

                fprintf(fp, "%s|", t ? (const char *)t : "NULL");
            }
            fputc('\n', fp);
        }
        sqlite3_finalize(st);
        fputs("--\n", fp);
    }
    fclose(fp);
    sqlite3_close(db);
    return (buf);
}

static int
count_lines(const char *s, const char *table_marker)
{
    int n = 0;

    (void)table_marker;
    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return (n);
}

static void
rm_index(const char *dir)
{
    char p[4096];

    (void)snprintf(p, sizeof(p), "%s/index.sqlite", dir);
    assert_int_equal(unlink(p), 0);
    (void)snprintf(p, sizeof(p), "%s/index.sqlite-wal", dir);
    (void)unlink(p);
    (void)snprintf(p, sizeof(p), "%s/index.sqlite-shm", dir);
    (void)unlink(p);
    (void)snprintf(p, sizeof(p), "%s/index.sqlite.old", dir);
    (void)unlink(p);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
test_maint_reindex_round_trip(void **state)
{
    struct maint_report rep;
    struct job jobs[NTHREADS];
    pthread_t t[NTHREADS];
    char vault[16], *before, *after;
    uint8_t blob[DIGEST_BYTES], head0[DIGEST_BYTES];
    uint64_t seq0;
    int64_t since;
    double t0, t1;
    FILE *devnull;
    int i, live = 0;

    (void)state;
    W.dir = fast_dir();
    assert_int_equal(catalog_open(W.dir, &W.cat), 0);
    for (i = 0; i < NPERSONS; i++) {
        (void)snprintf(vault, sizeof(vault), "V-%03d", i);
        mkacct(&W.persons[i], CATALOG_KIND_PERSON, vault, "", vault);
    }
    mkacct(&W.employer, CATALOG_KIND_EMPLOYER, "", "12345678901234", "acme");
    mkacct(&W.service, CATALOG_KIND_SERVICE, "", "", "cnav");

    t0 = now_s();
    for (i = 0; i < NTHREADS; i++) {
        jobs[i] = (struct job){i * NDOCS / NTHREADS,
            (i + 1) * NDOCS / NTHREADS, 0};
        assert_int_equal(pthread_create(&t[i], NULL, populate, &jobs[i]), 0);
    }
    for (i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].rc, 0);
    }
    /* Deletions, revocations, state changes, oppositions, settings. */
    for (i = 0; i < NDOCS; i += 10) {
        assert_int_equal(catalog_document_delete(W.cat, "operator",
            W.docs[i]), 0);
    }
    for (i = 3; i < NDOCS; i += 6) {
        if (i % 10 != 0) {
            assert_int_equal(catalog_grant_revoke(W.cat, "operator",
                W.docs[i], W.service.id), 0);
        }
    }
    {
        /* A revoked-then-regranted grant comes back with the new header. */
        static const uint8_t h3[] = "regranted";

        assert_int_equal(catalog_grant_add(W.cat, "x", W.docs[3],
            W.service.id, h3, sizeof(h3)), 0);
    }
    assert_int_equal(catalog_account_set_state(W.cat, "operator",
        W.persons[1].id, CATALOG_STATE_DISABLED), 0);
    assert_int_equal(catalog_account_set_state(W.cat, "operator",
        W.persons[1].id, CATALOG_STATE_ACTIVE), 0);
    assert_int_equal(catalog_account_set_state(W.cat, "operator",
        W.persons[2].id, CATALOG_STATE_DISABLED), 0);
    assert_int_equal(catalog_opposition_add(W.cat, "p", W.persons[0].id,
        "12345678901234", 5), 0);
    assert_int_equal(catalog_opposition_remove(W.cat, "p", W.persons[0].id,
        "12345678901234"), 0);
    assert_int_equal(catalog_opposition_add(W.cat, "p", W.persons[0].id,
        "12345678901234", 6), 0);
    assert_int_equal(catalog_opposition_add(W.cat, "p", W.persons[3].id,
        "99999999999999", 7), 0);
    assert_int_equal(catalog_setting_set(W.cat, "operator", "retention",
        "50y"), 0);
    assert_int_equal(catalog_setting_set(W.cat, "operator", "retention",
        "55y"), 0);
    t1 = now_s();
    print_message("populated %d documents in %.2f s\n", NDOCS, t1 - t0);
    catalog_close(W.cat);
    W.cat = NULL;

    before = dump(W.dir);
    print_message("index dump: %d rows\n", count_lines(before, NULL));

    /* Lose the index entirely, rebuild from the records alone. */
    rm_index(W.dir);
    assert_non_null(devnull = fopen("/dev/null", "w"));
    t0 = now_s();
    assert_int_equal(maint_reindex(W.dir, devnull, &rep), 0);
    t1 = now_s();
    print_message("reindex: %llu records -> %llu accounts, %llu documents, "
        "%llu grants in %.2f s\n", (unsigned long long)rep.records,
        (unsigned long long)rep.accounts, (unsigned long long)rep.documents,
        (unsigned long long)rep.grants, t1 - t0);
    assert_int_equal(rep.documents, NDOCS);
    assert_int_equal(rep.accounts, NPERSONS + 2);
    after = dump(W.dir);
    assert_string_equal(before, after);
    free(after);

    /* Readable by the same people. */
    assert_int_equal(catalog_open(W.dir, &W.cat), 0);
    for (i = 0; i < NDOCS; i += 1) {
        struct catalog_grant g;
        int rc = catalog_grant_get(W.cat, W.docs[i], W.service.id, &g);

        if (i % 10 == 0 || i % 3 != 0 || (i % 6 == 3 && i != 3)) {
            assert_int_equal(rc, STORAGE_ENOTFOUND);
        } else {
            assert_int_equal(rc, 0);
            catalog_grant_clear(&g);
        }
        rc = catalog_grant_get(W.cat, W.docs[i], W.persons[i % NPERSONS].id,
            &g);
        assert_int_equal(rc, i % 10 == 0 ? STORAGE_ENOTFOUND : 0);
        live += rc == 0;
        catalog_grant_clear(&g);
    }
    assert_int_equal(live, NDOCS - NDOCS / 10);
    storage_tu_fill(blob, DIGEST_BYTES, 1);     /* documents 2 and 3 */
    assert_int_equal(catalog_blob_readable(W.cat, W.service.id, blob), 0);
    assert_int_equal(catalog_opposition_get(W.cat, W.persons[0].id,
        "12345678901234", &since), 0);
    assert_int_equal(since, 6);

    /* Rebuilding over a live index keeps its audit chains. */
    assert_int_equal(catalog_audit_verify(W.cat, W.persons[0].id, NULL), 0);
    assert_int_equal(catalog_audit_append(W.cat, W.persons[0].id, "p",
        "document.read", W.docs[1], ""), 0);
    assert_int_equal(catalog_audit_append(W.cat, W.persons[0].id, "p",
        "document.read", W.docs[2], ""), 0);
    assert_int_equal(catalog_audit_head(W.cat, W.persons[0].id, &seq0,
        head0), 0);
    assert_int_equal(seq0, 2);
    catalog_close(W.cat);
    W.cat = NULL;
    assert_int_equal(maint_reindex(W.dir, devnull, &rep), 0);
    after = dump(W.dir);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(catalog_open(W.dir, &W.cat), 0);
    {
        struct catalog_audit_entry *v;
        size_t n;
        uint64_t seq;
        uint8_t head[DIGEST_BYTES];

        assert_int_equal(catalog_audit_verify(W.cat, W.persons[0].id, NULL),
            0);
        assert_int_equal(catalog_audit_head(W.cat, W.persons[0].id, &seq,
            head), 0);
        assert_int_equal(seq, seq0);
        assert_memory_equal(head, head0, DIGEST_BYTES);
        assert_int_equal(catalog_audit_verify(W.cat, CATALOG_CHAIN_OPERATOR,
            NULL), 0);
        assert_int_equal(catalog_audit_list(W.cat, CATALOG_CHAIN_OPERATOR, 0,
            CATALOG_LIST_MAX, &v, &n), 0);
        assert_true(n >= 2);
        assert_string_equal(v[n - 1].action, "reindex");
        free(v);
    }
    catalog_close(W.cat);
    fclose(devnull);
    free(before);
    storage_tu_rmrf(W.dir);
    free(W.dir);
}

static void
test_maint_reindex_skips_bad_records(void **state)
{
    struct maint_report rep;
    struct catalog *cat;
    struct blobstore *rs;
    char *dir = storage_tu_mkdtemp();
    uint8_t id[DIGEST_BYTES];
    static const char *const bad[] = {
        "{\"coffre\":\"grant/1\"}",
        "{\"coffre\":\"nonsense/9\",\"a\":1}",
        "{\"coffre\":\"document/1\", \"id\":\"x\"}",
        "not json at all",
        "{\"coffre\":\"tombstone/1\",\"at\":1,\"record\":\"sha256:00\"}",
    };
    size_t i;
    FILE *devnull;

    (void)state;
    assert_int_equal(catalog_open(dir, &cat), 0);
    catalog_close(cat);
    assert_int_equal(blobstore_open_ns(dir, "records", &rs), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        digest_buf((const uint8_t *)bad[i], strlen(bad[i]), id);
        assert_int_equal(blobstore_put_buf(rs, id, (const uint8_t *)bad[i],
            strlen(bad[i])), 0);
    }
    blobstore_close(rs);
    assert_non_null(devnull = fopen("/dev/null", "w"));
    assert_int_equal(maint_reindex(dir, devnull, &rep), 0);
    fclose(devnull);
    assert_int_equal(rep.records, 5);
    assert_int_equal(rep.documents, 0);
    storage_tu_rmrf(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maint_reindex_round_trip),
        cmocka_unit_test(test_maint_reindex_skips_bad_records),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
