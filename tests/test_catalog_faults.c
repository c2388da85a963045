/* Catalog changes whose record object cannot be written must fail
 * cleanly: a clear error, no index row, no record object left behind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "tests/util/storage_tu.h"

static int fault_at, fault_calls, fault_errno, fault_hit;

int __real_fsync(int);
ssize_t __real_write(int, const void *, size_t);
int __wrap_fsync(int);
ssize_t __wrap_write(int, const void *, size_t);

static int
fault(void)
{

    if (fault_at > 0 && ++fault_calls == fault_at) {
        fault_hit = 1;
        errno = fault_errno;
        return (1);
    }
    return (0);
}

int
__wrap_fsync(int fd)
{

    return (fault() ? -1 : __real_fsync(fd));
}

ssize_t
__wrap_write(int fd, const void *buf, size_t len)
{

    return (fault() ? -1 : __real_write(fd, buf, len));
}

static void
arm(int k, int err)
{

    fault_calls = 0;
    fault_hit = 0;
    fault_errno = err;
    fault_at = k;
}

struct fx {
    char *dir;
    struct catalog *cat;
    struct catalog_account person, service;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    assert_int_equal(catalog_open(f->dir, &f->cat), 0);
    f->person.kind = CATALOG_KIND_PERSON;
    strcpy(f->person.vault, "V-F");
    f->person.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &f->person),
        0);
    f->service.kind = CATALOG_KIND_SERVICE;
    f->service.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &f->service),
        0);
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    fault_at = 0;
    catalog_close(f->cat);
    storage_tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return (0);
}

static int
count_cb(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{

    (void)id;
    (void)size;
    (void)mtime;
    (*(int *)cookie)++;
    return (0);
}

static int
nrecords(const char *dir)
{
    struct blobstore *rs;
    int n = 0;

    assert_int_equal(blobstore_open_ns(dir, "records", &rs), 0);
    assert_int_equal(blobstore_iterate(rs, count_cb, &n), 0);
    blobstore_close(rs);
    return (n);
}

static int
deposit(struct fx *f, char id[CATALOG_ID_BUFLEN])
{
    static const uint8_t hdr[] = "hdr";
    struct catalog_deposit in;

    memset(&in, 0, sizeof(in));
    in.vault = in.depositor = f->person.id;
    in.doc_class = "payslip";
    in.signature = "s";
    in.owner_header = hdr;
    in.owner_headerlen = sizeof(hdr);
    return (catalog_document_insert(f->cat, &in, id));
}

static int
ndocs(struct fx *f)
{
    struct catalog_doc_query q;
    struct catalog_document_list l;
    int n;

    memset(&q, 0, sizeof(q));
    q.vault = f->person.id;
    q.include_deleted = 1;
    assert_int_equal(catalog_document_list(f->cat, &q, &l), 0);
    n = (int)l.n;
    catalog_document_list_free(&l);
    return (n);
}

static void
test_catalog_document_insert_fails_cleanly_on_record_fault(void **state)
{
    struct fx *f = *state;
    char id[CATALOG_ID_BUFLEN];
    int k, rc, before = nrecords(f->dir);

    for (k = 1; k < 50; k++) {
        arm(k, ENOSPC);
        rc = deposit(f, id);
        fault_at = 0;
        if (!fault_hit) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_not_equal(rc, 0);
        assert_string_equal(id, "");
        assert_int_equal(ndocs(f), 0);
        assert_int_equal(nrecords(f->dir), before);
    }
    assert_true(k > 2);
    assert_int_equal(ndocs(f), 1);
    /* The first write of the record: disk full, said plainly. */
    arm(1, ENOSPC);
    assert_int_equal(deposit(f, id), STORAGE_ENOSPC);
    fault_at = 0;
}

static void
test_catalog_grant_and_delete_fail_cleanly_on_record_fault(void **state)
{
    struct fx *f = *state;
    struct catalog_document d;
    struct catalog_grant g;
    char id[CATALOG_ID_BUFLEN];
    static const uint8_t hdr[] = "hdr2";
    int k, rc, before;

    assert_int_equal(deposit(f, id), 0);
    before = nrecords(f->dir);
    for (k = 1; k < 50; k++) {
        arm(k, EIO);
        rc = catalog_grant_add(f->cat, f->person.id, id, f->service.id, hdr,
            sizeof(hdr));
        fault_at = 0;
        if (!fault_hit) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, STORAGE_EIO);
        assert_int_equal(catalog_grant_get(f->cat, id, f->service.id, &g),
            STORAGE_ENOTFOUND);
        assert_int_equal(nrecords(f->dir), before);
    }
    before = nrecords(f->dir);
    for (k = 1; k < 50; k++) {
        arm(k, EIO);
        rc = catalog_document_delete(f->cat, f->person.id, id);
        fault_at = 0;
        if (!fault_hit) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, STORAGE_EIO);
        assert_int_equal(catalog_document_get(f->cat, id, &d), 0);
        assert_int_equal(d.state, CATALOG_DOC_LIVE);
        catalog_document_clear(&d);
        assert_int_equal(nrecords(f->dir), before);
    }
    assert_int_equal(catalog_document_get(f->cat, id, &d), 0);
    assert_int_equal(d.state, CATALOG_DOC_DELETED);
    catalog_document_clear(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_catalog_document_insert_fails_cleanly_on_record_fault,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_catalog_grant_and_delete_fail_cleanly_on_record_fault,
            setup, teardown),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
