/* Scrub, gc and the operator command line (daemon/ops.c). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/maint.h"
#include "tests/util/storage_tu.h"

/* The operator commands are daemon code; compile them in here. */
#include "daemon/datadir.c"
#include "daemon/ops.c"

struct fx {
    char *dir;
    struct catalog *cat;
    struct blobstore *bs;
    struct catalog_account person;
    FILE *out;
    char *outbuf;
    size_t outlen;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    assert_int_equal(catalog_open(f->dir, &f->cat), 0);
    assert_int_equal(blobstore_open(f->dir, &f->bs), 0);
    f->person.kind = CATALOG_KIND_PERSON;
    strcpy(f->person.vault, "V-M");
    f->person.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &f->person),
        0);
    assert_non_null(f->out = open_memstream(&f->outbuf, &f->outlen));
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    fclose(f->out);
    free(f->outbuf);
    catalog_close(f->cat);
    blobstore_close(f->bs);
    storage_tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return (0);
}

/* Put a blob of ${len} bytes from ${seed}; deposit it unless !${doc}. */
static void
blob(struct fx *f, uint64_t seed, int doc, uint8_t id[DIGEST_BYTES],
    char docid[CATALOG_ID_BUFLEN])
{
    static const uint8_t hdr[] = "hdr";
    struct catalog_deposit in;
    uint8_t buf[3000];

    storage_tu_fill(buf, sizeof(buf), seed);
    digest_buf(buf, sizeof(buf), id);
    assert_int_equal(blobstore_put_buf(f->bs, id, buf, sizeof(buf)), 0);
    if (!doc) {
        return;
    }
    memset(&in, 0, sizeof(in));
    in.vault = in.depositor = f->person.id;
    in.doc_class = "payslip";
    memcpy(in.blob, id, DIGEST_BYTES);
    in.size = sizeof(buf);
    in.signature = "s";
    in.owner_header = hdr;
    in.owner_headerlen = sizeof(hdr);
    assert_int_equal(catalog_document_insert(f->cat, &in, docid), 0);
}

static const char *
objpath(const char *dir, const uint8_t id[DIGEST_BYTES])
{
    static char p[4096];
    char s[DIGEST_ID_BUFLEN];

    digest_id_format(id, s);
    (void)snprintf(p, sizeof(p), "%s/objects/sha256/%.2s/%.2s/%s", dir,
        s + 7, s + 9, s + 7);
    return (p);
}

static void
flip_byte(const char *path, long off)
{
    FILE *fp;
    int c;

    assert_non_null(fp = fopen(path, "r+"));
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    c = fgetc(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    fputc(c ^ 0x20, fp);
    fclose(fp);
}

/* Set the mtime of ${path} ${ago} seconds in the past. */
static void
age_file(const char *path, int64_t ago)
{
    struct timespec ts[2];

    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - ago;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_maint_scrub_clean_store(void **state)
{
    struct fx *f = *state;
    struct maint_report rep;
    uint8_t id[DIGEST_BYTES];
    char doc[CATALOG_ID_BUFLEN];
    int i;

    for (i = 0; i < 5; i++) {
        blob(f, (uint64_t)i, 1, id, doc);
    }
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), 0);
    /* 5 payloads, and 5 document records + 1 account record. */
    assert_int_equal(rep.objects, 11);
    assert_int_equal(rep.corrupt, 0);
    assert_int_equal(rep.missing, 0);
}

static void
test_maint_scrub_reports_corrupt_and_missing(void **state)
{
    struct fx *f = *state;
    struct maint_report rep;
    uint8_t a[DIGEST_BYTES], b[DIGEST_BYTES], c[DIGEST_BYTES];
    char da[CATALOG_ID_BUFLEN], db[CATALOG_ID_BUFLEN], dc[CATALOG_ID_BUFLEN];
    char q[4096];

    blob(f, 1, 1, a, da);
    blob(f, 2, 1, b, db);
    blob(f, 3, 1, c, dc);
    flip_byte(objpath(f->dir, a), 100);
    assert_int_equal(unlink(objpath(f->dir, b)), 0);
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), STORAGE_ECORRUPT);
    assert_int_equal(rep.corrupt, 1);
    assert_int_equal(rep.missing, 1);
    fflush(f->out);
    /* The report names the documents concerned. */
    assert_non_null(strstr(f->outbuf, da));
    assert_non_null(strstr(f->outbuf, db));
    assert_null(strstr(f->outbuf, dc));
    /* Quarantine moves the corrupt one aside (then it is missing). */
    assert_int_equal(maint_scrub(f->dir, 1, f->out, &rep), STORAGE_ECORRUPT);
    assert_int_equal(rep.quarantined, 1);
    (void)snprintf(q, sizeof(q), "%s/quarantine", f->dir);
    assert_int_equal(storage_tu_nfiles(q), 1);
    assert_int_equal(blobstore_exists(f->bs, a), STORAGE_ENOTFOUND);
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), STORAGE_ECORRUPT);
    assert_int_equal(rep.corrupt, 0);
    assert_int_equal(rep.missing, 2);
}

static void
test_maint_scrub_checks_records_too(void **state)
{
    struct fx *f = *state;
    struct maint_report rep;
    uint8_t a[DIGEST_BYTES];
    char da[CATALOG_ID_BUFLEN];
    char cmd[8192];

    blob(f, 1, 1, a, da);
    /* Damage every record object (the account's and the document's). */
    (void)snprintf(cmd, sizeof(cmd),
        "find '%s/records' -type f -exec sh -c 'printf x >> \"$1\"' _ {} \\;",
        f->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), STORAGE_ECORRUPT);
    assert_int_equal(rep.corrupt, 2);
    /* Each is named by what it holds. */
    (void)snprintf(cmd, sizeof(cmd), "  record of document %s\n", da);
    fflush(f->out);
    assert_non_null(strstr(f->outbuf, cmd));
    assert_non_null(strstr(f->outbuf, "  not the record of a document, "
        "grant or opposition (an account, setting or tombstone record)"));
}

static void
test_maint_scrub_verifies_audit_chains(void **state)
{
    struct fx *f = *state;
    struct maint_report rep;
    uint8_t a[DIGEST_BYTES];
    char da[CATALOG_ID_BUFLEN], path[4096], want[256];
    sqlite3 *db;

    blob(f, 1, 1, a, da);
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), 0);
    assert_true(rep.chains >= 1);       /* the person's at least */
    assert_int_equal(rep.broken, 0);
    assert_int_equal(rep.index_errors, 0);
    /* Alter the person's first entry behind the catalog's back. */
    (void)snprintf(path, sizeof(path), "%s/index.sqlite", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE audit SET detail = 'x'"
        " WHERE seq = 1 AND chain != 'operator'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(maint_scrub(f->dir, 0, f->out, &rep), STORAGE_ECORRUPT);
    assert_int_equal(rep.broken, 1);
    assert_int_equal(rep.corrupt, 0);
    (void)snprintf(want, sizeof(want), "broken audit chain %s at entry 1\n",
        f->person.id);
    fflush(f->out);
    assert_non_null(strstr(f->outbuf, want));
}

static void
test_maint_gc_dry_run_then_apply(void **state)
{
    struct fx *f = *state;
    struct maint_report rep;
    uint8_t kept[DIGEST_BYTES], orphan[DIGEST_BYTES], young[DIGEST_BYTES];
    uint8_t gone[DIGEST_BYTES];
    char d1[CATALOG_ID_BUFLEN], d2[CATALOG_ID_BUFLEN];
    struct catalog_audit_entry *v;
    size_t n;

    blob(f, 1, 1, kept, d1);
    blob(f, 2, 0, orphan, NULL);
    blob(f, 3, 0, young, NULL);
    blob(f, 4, 1, gone, d2);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id, d2), 0);
    age_file(objpath(f->dir, kept), 100000);
    age_file(objpath(f->dir, orphan), 100000);
    age_file(objpath(f->dir, gone), 100000);
    assert_int_equal(maint_gc(f->dir, MAINT_GC_GRACE_DEFAULT, 0, f->out,
        &rep), 0);
    assert_int_equal(rep.objects, 4);
    assert_int_equal(rep.unreferenced, 2);
    assert_int_equal(rep.young, 1);
    assert_int_equal(rep.removed, 0);
    assert_int_equal(rep.bytes, 6000);
    assert_int_equal(blobstore_exists(f->bs, orphan), 0);
    assert_int_equal(maint_gc(f->dir, MAINT_GC_GRACE_DEFAULT, 1, f->out,
        &rep), 0);
    assert_int_equal(rep.removed, 2);
    assert_int_equal(blobstore_exists(f->bs, orphan), STORAGE_ENOTFOUND);
    assert_int_equal(blobstore_exists(f->bs, gone), STORAGE_ENOTFOUND);
    assert_int_equal(blobstore_exists(f->bs, kept), 0);
    assert_int_equal(blobstore_exists(f->bs, young), 0);
    /* A repeated upload restarts the grace period. */
    age_file(objpath(f->dir, young), 100000);
    blob(f, 3, 0, young, NULL);
    assert_int_equal(maint_gc(f->dir, MAINT_GC_GRACE_DEFAULT, 1, f->out,
        &rep), 0);
    assert_int_equal(rep.removed, 0);
    /* Grace 0 takes it. */
    assert_int_equal(maint_gc(f->dir, 0, 1, f->out, &rep), 0);
    assert_int_equal(rep.removed, 1);
    assert_int_equal(maint_gc(f->dir, -1, 1, f->out, &rep), STORAGE_EINVAL);
    /* Logged as operator actions. */
    assert_int_equal(catalog_audit_list(f->cat, CATALOG_CHAIN_OPERATOR, 0, 0,
        &v, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].action, "gc");
    assert_string_equal(v[0].actor, CATALOG_ACTOR_OPERATOR);
    free(v);
}

/* Run ops_main with a NULL-terminated argument list, quietly. */
static int
ops(const char *a0, ...)
{
    char *argv[16];
    va_list ap;
    int argc = 0, rc, saved;
    FILE *devnull;

    argv[argc++] = (char *)(uintptr_t)a0;
    va_start(ap, a0);
    while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL) {
        argc++;
    }
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    saved = dup(1);
    assert_non_null(devnull = fopen("/dev/null", "w"));
    dup2(fileno(devnull), 1);
    rc = ops_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(devnull);
    return (rc);
}

static void
test_ops_main_commands_and_usage(void **state)
{
    struct fx *f = *state;
    uint8_t a[DIGEST_BYTES], o[DIGEST_BYTES];
    char da[CATALOG_ID_BUFLEN];
    char *d = f->dir;

    blob(f, 1, 1, a, da);
    blob(f, 2, 0, o, NULL);
    assert_int_equal(ops("scrub", "--data", d, NULL), 0);
    assert_int_equal(ops("gc", "--data", d, NULL), 0);
    assert_int_equal(ops("gc", "--data", d, "--grace", "0", NULL), 0);
    assert_int_equal(blobstore_exists(f->bs, o), 0);
    assert_int_equal(ops("gc", "--data", d, "--grace", "0", "--apply", NULL),
        0);
    assert_int_equal(blobstore_exists(f->bs, o), STORAGE_ENOTFOUND);
    flip_byte(objpath(d, a), 7);
    assert_int_equal(ops("scrub", "--data", d, NULL), 1);
    assert_int_equal(ops("scrub", "--data", d, "--quarantine", NULL), 1);
    assert_int_equal(blobstore_exists(f->bs, a), STORAGE_ENOTFOUND);
    catalog_close(f->cat);
    f->cat = NULL;
    /* Refused while a daemon holds the data directory's lock. */
    {
        int lfd;

        assert_int_equal(datadir_lock(d, &lfd), 0);
        assert_int_equal(ops("reindex", "--data", d, NULL), 1);
        datadir_unlock(lfd);
    }
    assert_int_equal(ops("reindex", "--data", d, NULL), 0);
    assert_int_equal(catalog_open(d, &f->cat), 0);
    /* Usage errors. */
    assert_int_equal(ops("gc", "--data", d, "--grace", "-5", NULL), 2);
    assert_int_equal(ops("gc", "--data", d, "--grace", "12x", NULL), 2);
    assert_int_equal(ops("gc", "--data", d, "--quarantine", NULL), 2);
    assert_int_equal(ops("scrub", "--data", d, "--apply", NULL), 2);
    assert_int_equal(ops("scrub", NULL), 2);
    assert_int_equal(ops("frobnicate", "--data", d, NULL), 2);
    assert_int_equal(ops("reindex", "--data", NULL), 2);
    assert_int_equal(ops("scrub", "--data", "/nonexistent/coffre", NULL), 1);
    assert_int_equal(ops_main(0, NULL), 2);
}

int
main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_maint_scrub_clean_store),
        T(test_maint_scrub_reports_corrupt_and_missing),
        T(test_maint_scrub_checks_records_too),
        T(test_maint_scrub_verifies_audit_chains),
        T(test_maint_gc_dry_run_then_apply),
        T(test_ops_main_commands_and_usage),
    };
#undef T

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
