#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/catalog_internal.h"
#include "tests/util/storage_tu.h"

struct fx {
    char *dir;
    struct catalog *cat;
    struct catalog_account person, employer, service;
};

static void
mkacct(struct catalog *cat, struct catalog_account *a, enum catalog_kind k,
    const char *vault, const char *siret, const char *name)
{

    memset(a, 0, sizeof(*a));
    a->kind = k;
    (void)snprintf(a->vault, sizeof(a->vault), "%s", vault);
    (void)snprintf(a->siret, sizeof(a->siret), "%s", siret);
    (void)snprintf(a->name, sizeof(a->name), "%s", name);
    (void)snprintf(a->age_recipient, sizeof(a->age_recipient), "age1%s",
        name);
    (void)snprintf(a->minisign_key, sizeof(a->minisign_key), "RW%s", name);
    a->state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(cat, CATALOG_ACTOR_OPERATOR, a),
        0);
    assert_true(catalog_id_valid(a->id));
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    assert_int_equal(catalog_open(f->dir, &f->cat), 0);
    mkacct(f->cat, &f->person, CATALOG_KIND_PERSON, "V-ALICE", "", "alice");
    mkacct(f->cat, &f->employer, CATALOG_KIND_EMPLOYER, "", "12345678901234",
        "acme");
    mkacct(f->cat, &f->service, CATALOG_KIND_SERVICE, "", "", "cnav");
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    catalog_close(f->cat);
    storage_tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return (0);
}

/* Deposit a document into the person's vault; return its id in ${id}. */
static int
deposit(struct fx *f, const char *depositor, const char *cls,
    int64_t created, const char *idem, uint8_t blobseed,
    char id[CATALOG_ID_BUFLEN])
{
    struct catalog_deposit in;
    static const uint8_t meta[] = "age-encrypted-metadata";
    static const uint8_t hdr[] = "age-encryption.org/v1\n-> X25519 owner\n";
    static const uint8_t receipt[] = "signed receipt";

    memset(&in, 0, sizeof(in));
    in.vault = f->person.id;
    in.depositor = depositor;
    in.doc_class = cls;
    memset(in.blob, blobseed, DIGEST_BYTES);
    in.size = 1000 + blobseed;
    in.created = created;
    in.meta = meta;
    in.metalen = sizeof(meta);
    in.signature = "untrusted comment: sig\nRWQ...\n";
    in.receipt = receipt;
    in.receiptlen = sizeof(receipt);
    in.idem_key = idem;
    in.owner_header = hdr;
    in.owner_headerlen = sizeof(hdr);
    return (catalog_document_insert(f->cat, &in, id));
}

static void
test_catalog_open_is_wal_full_defensive(void **state)
{
    struct fx *f = *state;
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int v;

    assert_int_equal(catalog_reader(f->cat, &c), 0);
    assert_int_equal(sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1,
        &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(c->db, "PRAGMA synchronous", -1,
        &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);    /* FULL */
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(c->db, "PRAGMA foreign_keys", -1,
        &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, -1,
        &v), SQLITE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1,
        &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), CATALOG_SCHEMA_VERSION);
    sqlite3_finalize(st);
    catalog_reader_put(f->cat, c);
}

static void
test_catalog_id_new_is_valid_and_fresh(void **state)
{
    char a[CATALOG_ID_BUFLEN], b[CATALOG_ID_BUFLEN];

    (void)state;
    catalog_id_new(a);
    catalog_id_new(b);
    assert_true(catalog_id_valid(a));
    assert_string_not_equal(a, b);
    assert_false(catalog_id_valid("0123"));
    assert_false(catalog_id_valid("0123456789ABCDEF0123456789abcdef"));
    assert_false(catalog_id_valid("0123456789abcdef0123456789abcdef0"));
    assert_false(catalog_id_valid(NULL));
}

static void
test_catalog_account_get_by_each_key(void **state)
{
    struct fx *f = *state;
    struct catalog_account a;

    assert_int_equal(catalog_account_get(f->cat, f->person.id, &a), 0);
    assert_string_equal(a.vault, "V-ALICE");
    assert_int_equal(a.kind, CATALOG_KIND_PERSON);
    assert_string_equal(a.age_recipient, "age1alice");
    assert_string_equal(a.minisign_key, "RWalice");
    assert_true(a.created > 0);
    assert_int_equal(catalog_account_get_by_vault(f->cat, "V-ALICE", &a), 0);
    assert_string_equal(a.id, f->person.id);
    assert_int_equal(catalog_account_get_by_siret(f->cat, "12345678901234",
        &a), 0);
    assert_string_equal(a.id, f->employer.id);
    assert_int_equal(catalog_account_get_by_vault(f->cat, "nope", &a),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_account_get_by_siret(f->cat, "", &a),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_account_get(f->cat, "zz", &a),
        STORAGE_ENOTFOUND);
}

static void
test_catalog_account_create_rejects_duplicates(void **state)
{
    struct fx *f = *state;
    struct catalog_account a;

    memset(&a, 0, sizeof(a));
    a.kind = CATALOG_KIND_PERSON;
    strcpy(a.vault, "V-ALICE");
    strcpy(a.name, "other");
    a.state = CATALOG_STATE_PENDING;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EEXIST);
    memset(&a, 0, sizeof(a));
    a.kind = CATALOG_KIND_EMPLOYER;
    strcpy(a.siret, "12345678901234");
    a.state = CATALOG_STATE_PENDING;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EEXIST);
    /* Same id. */
    a = f->service;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EEXIST);
}

static void
test_catalog_account_create_rejects_bad_fields(void **state)
{
    struct fx *f = *state;
    struct catalog_account a;

    memset(&a, 0, sizeof(a));
    a.kind = CATALOG_KIND_PERSON;          /* person without a vault */
    a.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EINVAL);
    memset(&a, 0, sizeof(a));
    a.kind = CATALOG_KIND_SERVICE;
    strcpy(a.siret, "1");                  /* service with a SIRET */
    a.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EINVAL);
    memset(&a, 0, sizeof(a));
    a.kind = (enum catalog_kind)7;
    a.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EINVAL);
    memset(&a, 0, sizeof(a));
    a.kind = CATALOG_KIND_SERVICE;
    a.state = CATALOG_STATE_ANY;
    assert_int_equal(catalog_account_create(f->cat, "operator", &a),
        STORAGE_EINVAL);
}

static void
test_catalog_account_list_filters(void **state)
{
    struct fx *f = *state;
    struct catalog_account *v;
    size_t n;

    assert_int_equal(catalog_account_list(f->cat, CATALOG_KIND_ANY,
        CATALOG_STATE_ANY, &v, &n), 0);
    assert_int_equal(n, 3);
    free(v);
    assert_int_equal(catalog_account_list(f->cat, CATALOG_KIND_EMPLOYER,
        CATALOG_STATE_ANY, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].id, f->employer.id);
    free(v);
    assert_int_equal(catalog_account_set_state(f->cat, "operator",
        f->service.id, CATALOG_STATE_DISABLED), 0);
    assert_int_equal(catalog_account_list(f->cat, CATALOG_KIND_ANY,
        CATALOG_STATE_DISABLED, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].id, f->service.id);
    free(v);
    assert_int_equal(catalog_account_list(f->cat, CATALOG_KIND_ANY,
        CATALOG_STATE_PENDING, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
}

static void
test_catalog_account_set_state_revokes_sessions(void **state)
{
    struct fx *f = *state;
    struct catalog_account a;
    uint8_t h[CATALOG_HASH_BYTES];
    char acct[CATALOG_ID_BUFLEN];
    int64_t now = (int64_t)time(NULL);

    memset(h, 7, sizeof(h));
    assert_int_equal(catalog_session_create(f->cat, h, f->employer.id,
        now + 100), 0);
    assert_int_equal(catalog_session_lookup(f->cat, h, now, acct, NULL), 0);
    assert_int_equal(catalog_account_set_state(f->cat, "operator",
        f->employer.id, CATALOG_STATE_DISABLED), 0);
    assert_int_equal(catalog_account_get(f->cat, f->employer.id, &a), 0);
    assert_int_equal(a.state, CATALOG_STATE_DISABLED);
    assert_int_equal(catalog_session_lookup(f->cat, h, now, acct, NULL),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_account_set_state(f->cat, "operator",
        "00000000000000000000000000000000", CATALOG_STATE_ACTIVE),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_account_set_state(f->cat, "operator",
        f->employer.id, (enum catalog_state)9), STORAGE_EINVAL);
}

static void
test_catalog_challenge_consume_once(void **state)
{
    struct fx *f = *state;
    uint8_t h[CATALOG_HASH_BYTES], h2[CATALOG_HASH_BYTES];
    char acct[CATALOG_ID_BUFLEN];
    int64_t now = 1000000;

    memset(h, 1, sizeof(h));
    memset(h2, 2, sizeof(h2));
    assert_int_equal(catalog_challenge_put(f->cat, h, f->person.id,
        now + 60), 0);
    assert_int_equal(catalog_challenge_put(f->cat, h, f->person.id,
        now + 60), STORAGE_EEXIST);
    assert_int_equal(catalog_challenge_put(f->cat, h2,
        "00000000000000000000000000000000", now + 60), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_challenge_consume(f->cat, h, now, acct), 0);
    assert_string_equal(acct, f->person.id);
    assert_int_equal(catalog_challenge_consume(f->cat, h, now, acct),
        STORAGE_ENOTFOUND);
    assert_string_equal(acct, "");
    /* Expired: refused, and gone. */
    assert_int_equal(catalog_challenge_put(f->cat, h2, f->person.id,
        now + 60), 0);
    assert_int_equal(catalog_challenge_consume(f->cat, h2, now + 60, acct),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_challenge_consume(f->cat, h2, now, acct),
        STORAGE_ENOTFOUND);
}

struct race {
    struct catalog *cat;
    const uint8_t *h;
    int rc;
};

static void *
consume_thread(void *arg)
{
    struct race *r = arg;
    char acct[CATALOG_ID_BUFLEN];

    r->rc = catalog_challenge_consume(r->cat, r->h, 1000, acct);
    return (NULL);
}

static void
test_catalog_challenge_consume_races_once(void **state)
{
    struct fx *f = *state;
    uint8_t h[CATALOG_HASH_BYTES];
    struct race r[8];
    pthread_t t[8];
    int i, ok = 0;

    memset(h, 9, sizeof(h));
    assert_int_equal(catalog_challenge_put(f->cat, h, f->person.id, 2000),
        0);
    for (i = 0; i < 8; i++) {
        r[i] = (struct race){f->cat, h, -100};
        assert_int_equal(pthread_create(&t[i], NULL, consume_thread, &r[i]),
            0);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (r[i].rc == 0) {
            ok++;
        } else {
            assert_int_equal(r[i].rc, STORAGE_ENOTFOUND);
        }
    }
    assert_int_equal(ok, 1);
}

static void
test_catalog_challenge_purge_expired(void **state)
{
    struct fx *f = *state;
    uint8_t h1[CATALOG_HASH_BYTES], h2[CATALOG_HASH_BYTES];
    char acct[CATALOG_ID_BUFLEN];

    memset(h1, 1, sizeof(h1));
    memset(h2, 2, sizeof(h2));
    assert_int_equal(catalog_challenge_put(f->cat, h1, f->person.id, 100), 0);
    assert_int_equal(catalog_challenge_put(f->cat, h2, f->person.id, 300), 0);
    assert_int_equal(catalog_challenge_purge(f->cat, 200), 0);
    assert_int_equal(catalog_challenge_consume(f->cat, h1, 50, acct),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_challenge_consume(f->cat, h2, 50, acct), 0);
}

static void
test_catalog_session_lifecycle(void **state)
{
    struct fx *f = *state;
    uint8_t h[CATALOG_HASH_BYTES], h2[CATALOG_HASH_BYTES];
    char acct[CATALOG_ID_BUFLEN];
    int64_t exp;

    memset(h, 3, sizeof(h));
    memset(h2, 4, sizeof(h2));
    assert_int_equal(catalog_session_create(f->cat, h, f->person.id, 500), 0);
    assert_int_equal(catalog_session_create(f->cat, h, f->person.id, 500),
        STORAGE_EEXIST);
    assert_int_equal(catalog_session_lookup(f->cat, h, 499, acct, &exp), 0);
    assert_string_equal(acct, f->person.id);
    assert_int_equal(exp, 500);
    assert_int_equal(catalog_session_lookup(f->cat, h, 500, acct, &exp),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_session_lookup(f->cat, h2, 1, acct, NULL),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_session_revoke(f->cat, h), 0);
    assert_int_equal(catalog_session_revoke(f->cat, h), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_session_lookup(f->cat, h, 1, acct, NULL),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_session_create(f->cat, h2, f->person.id, 900),
        0);
    assert_int_equal(catalog_session_revoke_account(f->cat, f->person.id), 0);
    assert_int_equal(catalog_session_lookup(f->cat, h2, 1, acct, NULL),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_session_purge(f->cat, 1000), 0);
    /* Purged: the hash may be used again. */
    assert_int_equal(catalog_session_create(f->cat, h, f->person.id, 2000),
        0);
}

static void
test_catalog_document_insert_and_get(void **state)
{
    struct fx *f = *state;
    struct catalog_document d;
    struct catalog_grant g;
    char id[CATALOG_ID_BUFLEN];
    uint8_t blob[DIGEST_BYTES];

    assert_int_equal(deposit(f, f->employer.id, "payslip", 1700000000, NULL,
        5, id), 0);
    assert_true(catalog_id_valid(id));
    assert_int_equal(catalog_document_get(f->cat, id, &d), 0);
    assert_string_equal(d.vault, f->person.id);
    assert_string_equal(d.depositor, f->employer.id);
    assert_string_equal(d.doc_class, "payslip");
    memset(blob, 5, sizeof(blob));
    assert_memory_equal(d.blob, blob, DIGEST_BYTES);
    assert_int_equal(d.size, 1005);
    assert_int_equal(d.created, 1700000000);
    assert_int_equal(d.metalen, sizeof("age-encrypted-metadata"));
    assert_string_equal(d.signature, "untrusted comment: sig\nRWQ...\n");
    assert_int_equal(d.receiptlen, sizeof("signed receipt"));
    assert_int_equal(d.state, CATALOG_DOC_LIVE);
    catalog_document_clear(&d);
    catalog_document_clear(NULL);
    /* The owner's header is a grant. */
    assert_int_equal(catalog_grant_get(f->cat, id, f->person.id, &g), 0);
    assert_string_equal(g.granted_by, f->employer.id);
    assert_true(g.headerlen > 10);
    catalog_grant_clear(&g);
    /* Depositor reads nothing. */
    assert_int_equal(catalog_grant_get(f->cat, id, f->employer.id, &g),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_blob_readable(f->cat, f->person.id, blob), 0);
    assert_int_equal(catalog_blob_readable(f->cat, f->employer.id, blob),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_document_get(f->cat,
        "00000000000000000000000000000000", &d), STORAGE_ENOTFOUND);
}

static void
test_catalog_document_insert_caller_id(void **state)
{
    struct fx *f = *state;
    struct catalog_deposit in;
    char id[CATALOG_ID_BUFLEN], got[CATALOG_ID_BUFLEN];
    static const uint8_t hdr[] = "hdr";

    memset(&in, 0, sizeof(in));
    catalog_id_new(id);
    memcpy(in.id, id, sizeof(id));
    in.vault = f->person.id;
    in.depositor = f->person.id;
    in.doc_class = "other";
    in.signature = "";
    in.owner_header = hdr;
    in.owner_headerlen = 3;
    assert_int_equal(catalog_document_insert(f->cat, &in, got), 0);
    assert_string_equal(got, id);
    assert_int_equal(catalog_document_insert(f->cat, &in, got),
        STORAGE_EEXIST);
    strcpy(in.id, "XYZ");
    assert_int_equal(catalog_document_insert(f->cat, &in, got),
        STORAGE_EINVAL);
}

static void
test_catalog_document_insert_rejects_bad_input(void **state)
{
    struct fx *f = *state;
    struct catalog_deposit in;
    char id[CATALOG_ID_BUFLEN];
    static uint8_t big[CATALOG_META_MAX_BYTES + 1];
    static const uint8_t hdr[] = "hdr";

    memset(&in, 0, sizeof(in));
    in.vault = f->person.id;
    in.depositor = f->employer.id;
    in.doc_class = "payslip";
    in.signature = "s";
    in.owner_header = hdr;
    in.owner_headerlen = 3;
    in.meta = big;
    in.metalen = sizeof(big);
    assert_int_equal(catalog_document_insert(f->cat, &in, id),
        STORAGE_ETOOBIG);
    in.metalen = 1;
    in.owner_headerlen = 0;
    assert_int_equal(catalog_document_insert(f->cat, &in, id),
        STORAGE_EINVAL);
    in.owner_headerlen = 3;
    in.doc_class = "";
    assert_int_equal(catalog_document_insert(f->cat, &in, id),
        STORAGE_EINVAL);
    in.doc_class = "payslip";
    in.vault = "00000000000000000000000000000000";
    assert_int_equal(catalog_document_insert(f->cat, &in, id),
        STORAGE_ENOTFOUND);
    assert_string_equal(id, "");
}

static void
test_catalog_document_idempotency_key(void **state)
{
    struct fx *f = *state;
    char id1[CATALOG_ID_BUFLEN], id2[CATALOG_ID_BUFLEN];
    char id3[CATALOG_ID_BUFLEN];

    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, "k-2024-01", 1,
        id1), 0);
    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, "k-2024-01", 1,
        id2), STORAGE_EEXIST);
    assert_string_equal(id1, id2);
    assert_int_equal(catalog_idem_get(f->cat, f->employer.id, "k-2024-01",
        id3), 0);
    assert_string_equal(id3, id1);
    /* Unique per depositor only. */
    assert_int_equal(deposit(f, f->person.id, "payslip", 0, "k-2024-01", 1,
        id2), 0);
    assert_string_not_equal(id1, id2);
    assert_int_equal(catalog_idem_get(f->cat, f->employer.id, "nope", id3),
        STORAGE_ENOTFOUND);
}

static void
test_catalog_document_list_pages_and_filters(void **state)
{
    struct fx *f = *state;
    struct catalog_doc_query q;
    struct catalog_document_list l;
    char id[CATALOG_ID_BUFLEN], cursor[CATALOG_CURSOR_BUFLEN];
    int i, seen = 0;
    int64_t last = INT64_MAX;

    for (i = 0; i < 25; i++) {
        assert_int_equal(deposit(f, f->employer.id,
            i % 5 == 0 ? "contract" : "payslip", 1000 + i / 2, NULL,
            (uint8_t)i, id), 0);
    }
    memset(&q, 0, sizeof(q));
    q.vault = f->person.id;
    q.limit = 7;
    cursor[0] = '\0';
    do {
        q.cursor = cursor;
        assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
        for (i = 0; i < (int)l.n; i++) {
            assert_true(l.v[i].created <= last);
            last = l.v[i].created;
        }
        seen += (int)l.n;
        (void)snprintf(cursor, sizeof(cursor), "%s", l.next);
        catalog_document_list_free(&l);
    } while (cursor[0] != '\0');
    assert_int_equal(seen, 25);
    /* Class filter and time range. */
    q.cursor = NULL;
    q.limit = 100;
    q.doc_class = "contract";
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.next, "");
    catalog_document_list_free(&l);
    q.doc_class = NULL;
    q.since = 1002;
    q.until = 1004;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 4);
    catalog_document_list_free(&l);
    /* Bad cursors and queries. */
    q.cursor = "12.notanid";
    assert_int_equal(catalog_document_list(f->cat, &q, &l), STORAGE_EINVAL);
    q.cursor = "x";
    assert_int_equal(catalog_document_list(f->cat, &q, &l), STORAGE_EINVAL);
    q.cursor = NULL;
    q.reader = f->person.id;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), STORAGE_EINVAL);
    q.vault = NULL;
    q.limit = CATALOG_LIST_MAX + 1;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), STORAGE_EINVAL);
}

static void
test_catalog_document_delete_tombstones(void **state)
{
    struct fx *f = *state;
    struct catalog_doc_query q;
    struct catalog_document_list l;
    struct catalog_document d;
    struct catalog_grant g;
    uint8_t blob[DIGEST_BYTES];
    char id[CATALOG_ID_BUFLEN], id2[CATALOG_ID_BUFLEN];
    static const uint8_t hdr[] = "hdr-service";

    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, "idem", 9, id),
        0);
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        f->service.id, hdr, sizeof(hdr)), 0);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id, id), 0);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id, id),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_document_get(f->cat, id, &d), 0);
    assert_int_equal(d.state, CATALOG_DOC_DELETED);
    assert_true(d.deleted > 0);
    catalog_document_clear(&d);
    assert_int_equal(catalog_grant_get(f->cat, id, f->person.id, &g),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_grant_get(f->cat, id, f->service.id, &g),
        STORAGE_ENOTFOUND);
    memset(blob, 9, sizeof(blob));
    assert_int_equal(catalog_blob_readable(f->cat, f->person.id, blob),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_blob_referenced(f->cat, blob, 0),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_blob_referenced(f->cat, blob, 1), 0);
    /* The key is free again. */
    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, "idem", 9, id2),
        0);
    assert_int_equal(catalog_blob_referenced(f->cat, blob, 0), 0);
    memset(&q, 0, sizeof(q));
    q.vault = f->person.id;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 1);
    catalog_document_list_free(&l);
    q.include_deleted = 1;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 2);
    catalog_document_list_free(&l);
}

static void
test_catalog_grant_add_revoke_list(void **state)
{
    struct fx *f = *state;
    struct catalog_doc_query q;
    struct catalog_document_list l;
    struct catalog_grant *v, g;
    uint8_t blob[DIGEST_BYTES];
    char id[CATALOG_ID_BUFLEN];
    static const uint8_t hdr[] = "hdr-service";
    static const uint8_t hdr2[] = "hdr-service-2";
    size_t n;

    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, NULL, 3, id),
        0);
    memset(blob, 3, sizeof(blob));
    assert_int_equal(catalog_blob_readable(f->cat, f->service.id, blob),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        f->service.id, hdr, sizeof(hdr)), 0);
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        f->service.id, hdr, sizeof(hdr)), STORAGE_EEXIST);
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        "00000000000000000000000000000000", hdr, sizeof(hdr)),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_blob_readable(f->cat, f->service.id, blob), 0);
    assert_int_equal(catalog_grant_get(f->cat, id, f->service.id, &g), 0);
    assert_memory_equal(g.header, hdr, sizeof(hdr));
    catalog_grant_clear(&g);
    assert_int_equal(catalog_grant_list(f->cat, id, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].reader, f->person.id);    /* owner first */
    assert_string_equal(v[1].reader, f->service.id);
    catalog_grant_list_free(v, n);
    /* Shared-with-me listing. */
    memset(&q, 0, sizeof(q));
    q.reader = f->service.id;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].id, id);
    catalog_document_list_free(&l);
    /* Owner's grant stays; the service's goes. */
    assert_int_equal(catalog_grant_revoke(f->cat, f->person.id, id,
        f->person.id), STORAGE_EINVAL);
    assert_int_equal(catalog_grant_revoke(f->cat, f->person.id, id,
        f->service.id), 0);
    assert_int_equal(catalog_grant_revoke(f->cat, f->person.id, id,
        f->service.id), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_blob_readable(f->cat, f->service.id, blob),
        STORAGE_ENOTFOUND);
    /* Re-granting after a revocation works. */
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        f->service.id, hdr2, sizeof(hdr2)), 0);
    assert_int_equal(catalog_grant_get(f->cat, id, f->service.id, &g), 0);
    assert_memory_equal(g.header, hdr2, sizeof(hdr2));
    catalog_grant_clear(&g);
    catalog_grant_list_free(NULL, 0);
}

static void
test_catalog_document_get_for_sees_grants_at_once(void **state)
{
    struct fx *f = *state;
    struct catalog_doc_view v;
    char id[CATALOG_ID_BUFLEN];
    static const uint8_t hdr[] = "hdr-service";
    static const uint8_t owner_hdr[] =
        "age-encryption.org/v1\n-> X25519 owner\n";

    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, NULL, 5, id),
        0);
    /* The owner reads with its own header; both accounts come along. */
    assert_int_equal(catalog_document_get_for(f->cat, id, f->person.id, &v),
        0);
    assert_string_equal(v.doc.id, id);
    assert_string_equal(v.doc.vault, f->person.id);
    assert_string_equal(v.owner.id, f->person.id);
    assert_string_equal(v.owner.vault, "V-ALICE");
    assert_string_equal(v.depositor.id, f->employer.id);
    assert_int_equal(v.depositor.kind, CATALOG_KIND_EMPLOYER);
    assert_string_equal(v.depositor.minisign_key, "RWacme");
    assert_string_equal(v.grant.reader, f->person.id);
    assert_string_equal(v.grant.granted_by, f->employer.id);
    assert_int_equal(v.grant.headerlen, sizeof(owner_hdr));
    assert_memory_equal(v.grant.header, owner_hdr, sizeof(owner_hdr));
    catalog_doc_view_clear(&v);
    /* No grant: not found, and nothing is left allocated. */
    assert_int_equal(catalog_document_get_for(f->cat, id, f->service.id,
        &v), STORAGE_ENOTFOUND);
    assert_null(v.grant.header);
    assert_null(v.doc.meta);
    assert_int_equal(catalog_grant_add(f->cat, f->person.id, id,
        f->service.id, hdr, sizeof(hdr)), 0);
    assert_int_equal(catalog_document_get_for(f->cat, id, f->service.id,
        &v), 0);
    assert_memory_equal(v.grant.header, hdr, sizeof(hdr));
    assert_string_equal(v.owner.id, f->person.id);
    catalog_doc_view_clear(&v);
    /* A revocation and a deletion are seen by the very next read. */
    assert_int_equal(catalog_grant_revoke(f->cat, f->person.id, id,
        f->service.id), 0);
    assert_int_equal(catalog_document_get_for(f->cat, id, f->service.id,
        &v), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id, id), 0);
    assert_int_equal(catalog_document_get_for(f->cat, id, f->person.id, &v),
        STORAGE_ENOTFOUND);
    /* Malformed ids are simply not found. */
    assert_int_equal(catalog_document_get_for(f->cat, "../x", f->person.id,
        &v), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_document_get_for(f->cat, id, "", &v),
        STORAGE_ENOTFOUND);
    catalog_doc_view_clear(NULL);
}

static void
test_catalog_share_use_counts_down(void **state)
{
    struct fx *f = *state;
    struct catalog_share s, got, *v;
    char id[CATALOG_ID_BUFLEN];
    static uint8_t hdr[] = "share-hdr";
    size_t n;

    assert_int_equal(deposit(f, f->person.id, "payslip", 0, NULL, 4, id), 0);
    memset(&s, 0, sizeof(s));
    memset(s.token_hash, 0x55, sizeof(s.token_hash));
    memcpy(s.document, id, sizeof(s.document));
    s.expires = 5000;
    s.uses_left = 2;
    s.header = hdr;
    s.headerlen = sizeof(hdr);
    assert_int_equal(catalog_share_create(f->cat, f->person.id, &s), 0);
    assert_true(catalog_id_valid(s.id));
    s.header = hdr;
    assert_int_equal(catalog_share_create(f->cat, f->person.id, &s),
        STORAGE_EEXIST);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 100, &got), 0);
    assert_int_equal(got.uses_left, 1);
    assert_memory_equal(got.header, hdr, sizeof(hdr));
    assert_string_equal(got.document, id);
    catalog_share_clear(&got);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 5000, &got),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 100, &got), 0);
    assert_int_equal(got.uses_left, 0);
    catalog_share_clear(&got);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 100, &got),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_share_list(f->cat, id, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].uses_left, 0);
    catalog_share_list_free(v, n);
}

static void
test_catalog_share_revoke_and_unlimited(void **state)
{
    struct fx *f = *state;
    struct catalog_share s, got;
    char id[CATALOG_ID_BUFLEN];
    static uint8_t hdr[] = "share-hdr";
    int i;

    assert_int_equal(deposit(f, f->person.id, "payslip", 0, NULL, 4, id), 0);
    memset(&s, 0, sizeof(s));
    memset(s.token_hash, 0x66, sizeof(s.token_hash));
    memcpy(s.document, id, sizeof(s.document));
    s.expires = 5000;
    s.uses_left = -1;
    s.header = hdr;
    s.headerlen = sizeof(hdr);
    assert_int_equal(catalog_share_create(f->cat, f->person.id, &s), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(catalog_share_use(f->cat, s.token_hash, 1, &got), 0);
        assert_int_equal(got.uses_left, -1);
        catalog_share_clear(&got);
    }
    assert_int_equal(catalog_share_revoke(f->cat, f->person.id, s.id), 0);
    assert_int_equal(catalog_share_revoke(f->cat, f->person.id, s.id),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 1, &got),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_share_get(f->cat, s.id, &got), 0);
    assert_int_equal(got.revoked, 1);
    catalog_share_clear(&got);
    /* Deleting the document kills its links. */
    memset(s.token_hash, 0x67, sizeof(s.token_hash));
    s.header = hdr;
    assert_int_equal(catalog_share_create(f->cat, f->person.id, &s), 0);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id, id), 0);
    assert_int_equal(catalog_share_use(f->cat, s.token_hash, 1, &got),
        STORAGE_ENOTFOUND);
    s.uses_left = 0;
    assert_int_equal(catalog_share_create(f->cat, f->person.id, &s),
        STORAGE_EINVAL);
}

static void
test_catalog_opposition_lifecycle(void **state)
{
    struct fx *f = *state;
    struct catalog_opposition *v;
    int64_t since;
    size_t n;

    assert_int_equal(catalog_opposition_get(f->cat, f->person.id,
        "12345678901234", &since), STORAGE_ENOTFOUND);
    assert_int_equal(catalog_opposition_add(f->cat, f->person.id,
        f->person.id, "12345678901234", 777), 0);
    assert_int_equal(catalog_opposition_add(f->cat, f->person.id,
        f->person.id, "12345678901234", 778), STORAGE_EEXIST);
    assert_int_equal(catalog_opposition_get(f->cat, f->person.id,
        "12345678901234", &since), 0);
    assert_int_equal(since, 777);
    assert_int_equal(catalog_opposition_list(f->cat, f->person.id, &v, &n),
        0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].siret, "12345678901234");
    free(v);
    assert_int_equal(catalog_opposition_remove(f->cat, f->person.id,
        f->person.id, "12345678901234"), 0);
    assert_int_equal(catalog_opposition_remove(f->cat, f->person.id,
        f->person.id, "12345678901234"), STORAGE_ENOTFOUND);
}

static void
test_catalog_setting_set_get(void **state)
{
    struct fx *f = *state;
    char v[CATALOG_VALUE_BUFLEN], small[4];

    assert_int_equal(catalog_setting_get(f->cat, "retention", v, sizeof(v)),
        STORAGE_ENOTFOUND);
    assert_int_equal(catalog_setting_set(f->cat, "operator", "retention",
        "50y"), 0);
    assert_int_equal(catalog_setting_set(f->cat, "operator", "retention",
        "60y"), 0);
    assert_int_equal(catalog_setting_get(f->cat, "retention", v, sizeof(v)),
        0);
    assert_string_equal(v, "60y");
    assert_int_equal(catalog_setting_set(f->cat, "operator", "closure",
        "2075-01-01"), 0);
    assert_int_equal(catalog_setting_get(f->cat, "closure", small,
        sizeof(small)), STORAGE_ETOOBIG);
    assert_int_equal(catalog_setting_set(f->cat, "operator", "", "x"),
        STORAGE_EINVAL);
}

static void
test_catalog_audit_chain_verifies(void **state)
{
    struct fx *f = *state;
    struct catalog_audit_entry *v;
    uint8_t head[DIGEST_BYTES], h[DIGEST_BYTES];
    char id[CATALOG_ID_BUFLEN];
    uint64_t seq, bad;
    size_t n, i;

    assert_int_equal(deposit(f, f->employer.id, "payslip", 0, NULL, 1, id),
        0);
    assert_int_equal(catalog_audit_append(f->cat, f->person.id,
        f->service.id, "document.read", id, "ok"), 0);
    assert_int_equal(catalog_audit_list(f->cat, f->person.id, 0, 0, &v, &n),
        0);
    /* account.create, document.deposit, document.read */
    assert_int_equal(n, 3);
    assert_string_equal(v[0].action, "account.create");
    assert_string_equal(v[1].action, "document.deposit");
    assert_string_equal(v[1].actor, f->employer.id);
    assert_string_equal(v[1].target, id);
    assert_string_equal(v[2].detail, "ok");
    for (i = 0; i < n; i++) {
        assert_int_equal(v[i].seq, i + 1);
        catalog_audit_entry_hash(&v[i], h);
        assert_memory_equal(h, v[i].hash, DIGEST_BYTES);
        if (i > 0) {
            assert_memory_equal(v[i].prev, v[i - 1].hash, DIGEST_BYTES);
        }
    }
    assert_int_equal(catalog_audit_head(f->cat, f->person.id, &seq, head), 0);
    assert_int_equal(seq, 3);
    assert_memory_equal(head, v[2].hash, DIGEST_BYTES);
    free(v);
    assert_int_equal(catalog_audit_list(f->cat, f->person.id, 2, 10, &v, &n),
        0);
    assert_int_equal(n, 1);
    free(v);
    assert_int_equal(catalog_audit_verify(f->cat, f->person.id, &bad), 0);
    assert_int_equal(catalog_audit_head(f->cat, "nochain", &seq, head), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(catalog_audit_append(f->cat, f->person.id, "x", "",
        NULL, NULL), STORAGE_EINVAL);
}

/* Feed big-endian ${v} as ${n} bytes. */
static void
feed_be(struct digest *d, uint64_t v, int n)
{
    uint8_t b[8];
    int i;

    for (i = n - 1; i >= 0; i--) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
    digest_update(d, b, (size_t)n);
}

static void
feed_lp(struct digest *d, const char *s)
{

    feed_be(d, strlen(s), 4);
    digest_update(d, (const uint8_t *)s, strlen(s));
}

static void
test_catalog_audit_entry_hash_matches_spec(void **state)
{
    struct catalog_audit_entry e;
    uint8_t want[DIGEST_BYTES], got[DIGEST_BYTES];
    struct digest *d;

    (void)state;
    memset(&e, 0, sizeof(e));
    strcpy(e.chain, "0123456789abcdef0123456789abcdef");
    strcpy(e.actor, "operator");
    strcpy(e.action, "document.deposit");
    strcpy(e.target, "fedcba9876543210fedcba9876543210");
    strcpy(e.detail, "payslip \xc3\xa9");
    e.seq = 258;
    e.time = -2;
    memset(e.prev, 0xa5, sizeof(e.prev));
    assert_non_null(d = digest_new());
    digest_update(d, e.prev, DIGEST_BYTES);
    feed_be(d, 258, 8);
    feed_be(d, (uint64_t)-2, 8);
    feed_lp(d, e.chain);
    feed_lp(d, e.actor);
    feed_lp(d, e.action);
    feed_lp(d, e.target);
    feed_lp(d, e.detail);
    digest_final(d, want);
    digest_free(d);
    catalog_audit_entry_hash(&e, got);
    assert_memory_equal(got, want, DIGEST_BYTES);
}

/* Tamper with the audit table through a raw connection. */
static void
tamper(struct fx *f, const char *sql)
{
    char p[4096];
    sqlite3 *db;

    (void)snprintf(p, sizeof(p), "%s/index.sqlite", f->dir);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void
test_catalog_audit_verify_detects_tampering(void **state)
{
    struct fx *f = *state;
    uint64_t bad;
    int i;

    for (i = 0; i < 5; i++) {
        assert_int_equal(catalog_audit_append(f->cat, f->person.id, "op",
            "login", "", "ok"), 0);
    }
    assert_int_equal(catalog_audit_verify(f->cat, f->person.id, &bad), 0);
    tamper(f, "UPDATE audit SET detail = 'fail' WHERE seq = 3");
    assert_int_equal(catalog_audit_verify(f->cat, f->person.id, &bad),
        STORAGE_ECORRUPT);
    assert_int_equal(bad, 3);
    tamper(f, "UPDATE audit SET detail = 'ok' WHERE seq = 3;"
        "DELETE FROM audit WHERE seq = 4");
    assert_int_equal(catalog_audit_verify(f->cat, f->person.id, &bad),
        STORAGE_ECORRUPT);
    assert_int_equal(bad, 4);
}

struct dep_arg {
    struct fx *f;
    int base;
    int n;
    int rc;
};

static void *
deposit_thread(void *arg)
{
    struct dep_arg *a = arg;
    char id[CATALOG_ID_BUFLEN];
    int i;

    a->rc = 0;
    for (i = 0; i < a->n && a->rc == 0; i++) {
        a->rc = deposit(a->f, a->f->employer.id, "payslip", 0, NULL,
            (uint8_t)(a->base + i), id);
    }
    return (NULL);
}

static void
test_catalog_group_commit_concurrent_deposits(void **state)
{
    struct fx *f = *state;
    struct dep_arg a[8];
    pthread_t t[8];
    struct catalog_doc_query q;
    struct catalog_document_list l;
    uint64_t bad;
    int i;

    for (i = 0; i < 8; i++) {
        a[i] = (struct dep_arg){f, i * 10, 10, -100};
        assert_int_equal(pthread_create(&t[i], NULL, deposit_thread, &a[i]),
            0);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(a[i].rc, 0);
    }
    memset(&q, 0, sizeof(q));
    q.vault = f->person.id;
    q.limit = 1000;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    assert_int_equal(l.n, 80);
    catalog_document_list_free(&l);
    /* The chain stayed linear under concurrency. */
    assert_int_equal(catalog_audit_verify(f->cat, f->person.id, &bad), 0);
    /* Fewer commits than changes means batches were shared (not
     * guaranteed by timing, so only reported). */
    print_message("group commit: %llu changes in %llu commits\n",
        (unsigned long long)f->cat->ops,
        (unsigned long long)f->cat->batches);
    assert_true(f->cat->batches <= f->cat->ops);
}

struct reader_arg {
    struct fx *f;
    volatile int *stop;
    int rc;
    int rounds;
};

static void *
reader_thread(void *arg)
{
    struct reader_arg *a = arg;
    struct catalog_doc_query q;
    struct catalog_document_list l;
    struct catalog_account acct;
    uint64_t seq;
    uint8_t head[DIGEST_BYTES];

    memset(&q, 0, sizeof(q));
    q.vault = a->f->person.id;
    q.limit = 50;
    while (!*a->stop && a->rc == 0) {
        if ((a->rc = catalog_document_list(a->f->cat, &q, &l)) != 0) {
            break;
        }
        catalog_document_list_free(&l);
        if ((a->rc = catalog_account_get(a->f->cat, a->f->person.id,
            &acct)) != 0 ||
            (a->rc = catalog_audit_head(a->f->cat, a->f->person.id, &seq,
            head)) != 0) {
            break;
        }
        a->rounds++;
    }
    return (NULL);
}

static void
test_catalog_readers_run_beside_writers(void **state)
{
    struct fx *f = *state;
    struct dep_arg w[4];
    struct reader_arg r[4];
    pthread_t tw[4], tr[4];
    volatile int stop = 0;
    int i;

    for (i = 0; i < 4; i++) {
        r[i] = (struct reader_arg){f, &stop, 0, 0};
        assert_int_equal(pthread_create(&tr[i], NULL, reader_thread, &r[i]),
            0);
    }
    for (i = 0; i < 4; i++) {
        w[i] = (struct dep_arg){f, 100 + i * 10, 10, -100};
        assert_int_equal(pthread_create(&tw[i], NULL, deposit_thread, &w[i]),
            0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(tw[i], NULL), 0);
        assert_int_equal(w[i].rc, 0);
    }
    stop = 1;
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(tr[i], NULL), 0);
        assert_int_equal(r[i].rc, 0);
        assert_true(r[i].rounds > 0);
    }
}

/* Build an index file at schema version ${v} with a little data. */
static void
make_version(const char *dir, int v)
{
    struct catalog_conn *c;
    char p[4096];

    (void)snprintf(p, sizeof(p), "%s/index.sqlite", dir);
    assert_int_equal(catalog_conn_open(p, &c), 0);
    assert_int_equal(catalog_migrate(c, v), 0);
    if (v >= 1) {
        assert_int_equal(catalog_exec(c, "INSERT INTO accounts VALUES ("
            "'0123456789abcdef0123456789abcdef', 1, 'V-OLD', NULL, 'old',"
            " 'age1old', 'RWold', 2, 1, 1)"), 0);
    }
    catalog_conn_close(c);
}

static void
test_catalog_migrates_from_every_version(void **state)
{
    struct catalog_account a;
    struct catalog *cat;
    char *dir;
    char p[4096];
    int v;
    FILE *fp;

    (void)state;
    for (v = 0; v < CATALOG_SCHEMA_VERSION; v++) {
        dir = storage_tu_mkdtemp();
        if (v == 0) {
            /* Version 0: an empty file. */
            (void)snprintf(p, sizeof(p), "%s/index.sqlite", dir);
            assert_non_null(fp = fopen(p, "w"));
            fclose(fp);
        } else {
            make_version(dir, v);
        }
        assert_int_equal(catalog_open(dir, &cat), 0);
        if (v >= 1) {
            assert_int_equal(catalog_account_get_by_vault(cat, "V-OLD", &a),
                0);
        }
        /* Every table of the latest schema is usable. */
        assert_int_equal(catalog_setting_set(cat, "operator", "k", "v"), 0);
        assert_int_equal(catalog_opposition_add(cat, "operator",
            "0123456789abcdef0123456789abcdef", "1", 1),
            v >= 1 ? 0 : STORAGE_ENOTFOUND);
        catalog_close(cat);
        storage_tu_rmrf(dir);
        free(dir);
    }
}

static void
test_catalog_open_refuses_newer_or_garbage(void **state)
{
    struct catalog *cat = (struct catalog *)1;
    struct catalog_conn *c;
    char *dir = storage_tu_mkdtemp();
    char p[4096];
    FILE *fp;

    (void)state;
    (void)snprintf(p, sizeof(p), "%s/index.sqlite", dir);
    assert_int_equal(catalog_conn_open(p, &c), 0);
    assert_int_equal(catalog_exec(c, "PRAGMA user_version=99"), 0);
    catalog_conn_close(c);
    assert_int_equal(catalog_open(dir, &cat), STORAGE_ECORRUPT);
    assert_null(cat);
    unlink(p);
    assert_non_null(fp = fopen(p, "w"));
    fputs("this is not a database, definitely not one at all\n", fp);
    fclose(fp);
    assert_int_not_equal(catalog_open(dir, &cat), 0);
    storage_tu_rmrf(dir);
    free(dir);
    catalog_close(NULL);
}

int
main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_catalog_open_is_wal_full_defensive),
        cmocka_unit_test(test_catalog_id_new_is_valid_and_fresh),
        T(test_catalog_account_get_by_each_key),
        T(test_catalog_account_create_rejects_duplicates),
        T(test_catalog_account_create_rejects_bad_fields),
        T(test_catalog_account_list_filters),
        T(test_catalog_account_set_state_revokes_sessions),
        T(test_catalog_challenge_consume_once),
        T(test_catalog_challenge_consume_races_once),
        T(test_catalog_challenge_purge_expired),
        T(test_catalog_session_lifecycle),
        T(test_catalog_document_insert_and_get),
        T(test_catalog_document_insert_caller_id),
        T(test_catalog_document_insert_rejects_bad_input),
        T(test_catalog_document_idempotency_key),
        T(test_catalog_document_list_pages_and_filters),
        T(test_catalog_document_delete_tombstones),
        T(test_catalog_grant_add_revoke_list),
        T(test_catalog_document_get_for_sees_grants_at_once),
        T(test_catalog_share_use_counts_down),
        T(test_catalog_share_revoke_and_unlimited),
        T(test_catalog_opposition_lifecycle),
        T(test_catalog_setting_set_get),
        T(test_catalog_audit_chain_verifies),
        T(test_catalog_audit_verify_detects_tampering),
        cmocka_unit_test(test_catalog_audit_entry_hash_matches_spec),
        T(test_catalog_group_commit_concurrent_deposits),
        T(test_catalog_readers_run_beside_writers),
        cmocka_unit_test(test_catalog_migrates_from_every_version),
        cmocka_unit_test(test_catalog_open_refuses_newer_or_garbage),
    };
#undef T

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
