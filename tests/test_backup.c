/* Operator backup and restore (storage/backup.c, daemon/cmd_backup.c). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "crypto/digest.h"
#include "storage/backup.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/maint.h"
#include "tests/util/storage_tu.h"

/* The operator command is daemon code; compile it in here. */
#include "daemon/cmd_backup.c"

#define NDOCS 12

struct fx {
    char *dir;              /* the source data directory */
    char *work;             /* archives and restore targets */
    struct catalog *cat;
    struct blobstore *bs;
    struct catalog_account person;
    uint8_t blobs[NDOCS][DIGEST_BYTES];
    char docs[NDOCS][CATALOG_ID_BUFLEN];
    char tar[4096];
};

/* "${f->work}/${name}" in a static buffer (one at a time). */
static const char *
wpath(struct fx *f, const char *name)
{
    static char p[2][4096];
    static int k;

    k ^= 1;
    (void)snprintf(p[k], sizeof(p[k]), "%s/%s", f->work, name);
    return (p[k]);
}

static int
setup(void **state)
{
    static const uint8_t hdr[] = "age-header";
    struct catalog_deposit in;
    struct fx *f = calloc(1, sizeof(*f));
    uint8_t buf[5000];
    size_t i;

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    f->work = storage_tu_mkdtemp();
    assert_int_equal(catalog_open(f->dir, &f->cat), 0);
    assert_int_equal(blobstore_open(f->dir, &f->bs), 0);
    f->person.kind = CATALOG_KIND_PERSON;
    strcpy(f->person.vault, "V-B");
    f->person.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(f->cat, "operator", &f->person),
        0);
    for (i = 0; i < NDOCS; i++) {
        storage_tu_fill(buf, sizeof(buf) - i * 100, i + 1);
        digest_buf(buf, sizeof(buf) - i * 100, f->blobs[i]);
        assert_int_equal(blobstore_put_buf(f->bs, f->blobs[i], buf,
            sizeof(buf) - i * 100), 0);
        memset(&in, 0, sizeof(in));
        in.vault = in.depositor = f->person.id;
        in.doc_class = "payslip";
        memcpy(in.blob, f->blobs[i], DIGEST_BYTES);
        in.size = sizeof(buf) - i * 100;
        in.signature = "sig";
        in.owner_header = hdr;
        in.owner_headerlen = sizeof(hdr);
        assert_int_equal(catalog_document_insert(f->cat, &in, f->docs[i]),
            0);
    }
    /* A deleted document: its row stays, its blob is not backed up. */
    assert_int_equal(catalog_document_delete(f->cat, f->person.id,
        f->docs[NDOCS - 1]), 0);
    (void)snprintf(f->tar, sizeof(f->tar), "%s/b.tar", f->work);
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    catalog_close(f->cat);
    blobstore_close(f->bs);
    storage_tu_rmrf(f->dir);
    storage_tu_rmrf(f->work);
    free(f->dir);
    free(f->work);
    free(f);
    return (0);
}

/* Path of object ${id} under ${dir}. */
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

/*
 * Copy archive ${src} to ${dst}, member by member, with edits: the member
 * whose name starts with ${victim} gets byte ${flip} XORed (if >= 0) or is
 * dropped (flip == -1); ${extra}, if set, is added after the first member.
 */
static void
rewrite(const char *src, const char *dst, const char *victim, long flip,
    const char *extra)
{
    struct archive *in, *out;
    struct archive_entry *e, *x;
    static uint8_t data[1 << 20];
    la_ssize_t n;
    size_t len;
    int first = 1, done = 0;

    assert_non_null(in = archive_read_new());
    assert_int_equal(archive_read_support_format_tar(in), ARCHIVE_OK);
    assert_int_equal(archive_read_open_filename(in, src, 10240), ARCHIVE_OK);
    assert_non_null(out = archive_write_new());
    assert_int_equal(archive_write_set_format_pax_restricted(out),
        ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(out, dst), ARCHIVE_OK);
    while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
        len = 0;
        while ((n = archive_read_data(in, data + len, sizeof(data) - len)) >
            0) {
            len += (size_t)n;
        }
        assert_true(n == 0);
        if (!done && victim != NULL &&
            strncmp(archive_entry_pathname(e), victim, strlen(victim)) == 0) {
            done = 1;
            if (flip == -1) {
                continue;
            }
            assert_true((size_t)flip < len);
            data[flip] ^= 1;
        }
        assert_int_equal(archive_write_header(out, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(out, data, len), (la_ssize_t)len);
        if (first && extra != NULL) {
            assert_non_null(x = archive_entry_new());
            archive_entry_set_pathname(x, extra);
            archive_entry_set_filetype(x, AE_IFREG);
            archive_entry_set_perm(x, 0600);
            archive_entry_set_size(x, 1);
            assert_int_equal(archive_write_header(out, x), ARCHIVE_OK);
            assert_int_equal(archive_write_data(out, "x", 1), 1);
            archive_entry_free(x);
        }
        first = 0;
    }
    assert_true(victim == NULL || done);
    archive_read_free(in);
    assert_int_equal(archive_write_close(out), ARCHIVE_OK);
    archive_write_free(out);
}

/*
 * Copy archive ${src} to ${dst} with the manifest line of ${name} replaced
 * by a second copy of a line of a name starting with ${with}: as many
 * lines as members.
 */
static void
rewrite_manifest(const char *src, const char *dst, const char *name,
    const char *with)
{
    struct archive *in, *out;
    struct archive_entry *e;
    static uint8_t data[1 << 20], edit[1 << 20];
    char *line, *next, *repl = NULL;
    la_ssize_t n;
    size_t len, elen, ll;
    int done = 0;

    assert_non_null(in = archive_read_new());
    assert_int_equal(archive_read_support_format_tar(in), ARCHIVE_OK);
    assert_int_equal(archive_read_open_filename(in, src, 10240), ARCHIVE_OK);
    assert_non_null(out = archive_write_new());
    assert_int_equal(archive_write_set_format_pax_restricted(out),
        ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(out, dst), ARCHIVE_OK);
    while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
        len = 0;
        while ((n = archive_read_data(in, data + len,
            sizeof(data) - len - 1)) > 0) {
            len += (size_t)n;
        }
        assert_true(n == 0);
        if (strcmp(archive_entry_pathname(e), "MANIFEST.sha256") == 0) {
            data[len] = '\0';
            for (line = (char *)data; *line != '\0'; line = next + 1) {
                assert_non_null(next = strchr(line, '\n'));
                if (strncmp(line + 66, with, strlen(with)) == 0) {
                    repl = line;
                }
            }
            assert_non_null(repl);
            elen = 0;
            for (line = (char *)data; *line != '\0'; line = next + 1) {
                next = strchr(line, '\n');
                ll = (size_t)(next - line) + 1;
                if (strncmp(line + 66, name, strlen(name)) == 0 &&
                    line + 66 + strlen(name) == next) {
                    line = repl;
                    ll = (size_t)(strchr(repl, '\n') - repl) + 1;
                    done = 1;
                }
                memcpy(edit + elen, line, ll);
                elen += ll;
            }
            memcpy(data, edit, elen);
            len = elen;
            archive_entry_set_size(e, (la_int64_t)len);
        }
        assert_int_equal(archive_write_header(out, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(out, data, len), (la_ssize_t)len);
    }
    assert_true(done);
    archive_read_free(in);
    assert_int_equal(archive_write_close(out), ARCHIVE_OK);
    archive_write_free(out);
}

/* Restore ${tar} into new folder ${name}; expect ${want}, and no index. */
static void
restore_fails(struct fx *f, const char *tar, const char *name, int want)
{
    struct backup_report rep;
    char target[4096], idx[4200];
    int rc;

    (void)snprintf(target, sizeof(target), "%s", wpath(f, name));
    rc = backup_restore(tar, target, &rep);
    if (rc != want) {
        print_error("%s: %s\n", name, storage_detail());
    }
    assert_int_equal(rc, want);
    (void)snprintf(idx, sizeof(idx), "%s/index.sqlite", target);
    assert_int_equal(access(idx, F_OK), -1);
}

static void
test_backup_create_restore_round_trip(void **state)
{
    struct fx *f = *state;
    struct backup_report rep, rrep;
    struct maint_report mrep;
    struct catalog_document d;
    struct catalog *cat;
    struct blobstore *bs;
    const char *r = wpath(f, "restored");
    size_t i;

    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    assert_int_equal(rep.documents, NDOCS);
    assert_int_equal(rep.objects, NDOCS - 1);
    assert_true(rep.records >= NDOCS);
    assert_int_equal(backup_restore(f->tar, r, &rrep), 0);
    assert_int_equal(rrep.objects, rep.objects);
    assert_int_equal(rrep.records, rep.records);
    assert_int_equal(rrep.snapshot, rep.snapshot);
    assert_int_equal(maint_scrub(r, 0, NULL, &mrep), 0);
    assert_int_equal(mrep.missing + mrep.corrupt, 0);
    assert_int_equal(catalog_open(r, &cat), 0);
    assert_int_equal(blobstore_open(r, &bs), 0);
    for (i = 0; i < NDOCS; i++) {
        assert_int_equal(catalog_document_get(cat, f->docs[i], &d), 0);
        assert_memory_equal(d.blob, f->blobs[i], DIGEST_BYTES);
        assert_int_equal(d.state, i == NDOCS - 1 ? CATALOG_DOC_DELETED
                                                 : CATALOG_DOC_LIVE);
        catalog_document_clear(&d);
        assert_int_equal(blobstore_exists(bs, f->blobs[i]),
            i == NDOCS - 1 ? STORAGE_ENOTFOUND : 0);
    }
    blobstore_close(bs);
    catalog_close(cat);
    /* No key unless asked for; the snapshot file is gone. */
    assert_int_equal(storage_tu_nfiles(f->work), 2);
}

static void
test_backup_create_snapshot_ignores_later_changes(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    struct catalog_document d;
    struct catalog *cat;
    const char *r = wpath(f, "r");

    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    assert_int_equal(catalog_document_delete(f->cat, f->person.id,
        f->docs[0]), 0);
    assert_int_equal(backup_restore(f->tar, r, &rep), 0);
    assert_int_equal(catalog_open(r, &cat), 0);
    assert_int_equal(catalog_document_get(cat, f->docs[0], &d), 0);
    assert_int_equal(d.state, CATALOG_DOC_LIVE);
    catalog_document_clear(&d);
    catalog_close(cat);
}

static void
test_backup_create_with_key(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char key[4200];
    FILE *fp;

    (void)snprintf(key, sizeof(key), "%s/coffred.key", f->dir);
    assert_non_null(fp = fopen(key, "w"));
    fputs("signing key\n", fp);
    fclose(fp);
    assert_int_equal(backup_create(f->dir, f->tar, 1, &rep), 0);
    assert_int_equal(backup_restore(f->tar, wpath(f, "k"), &rep), 0);
    (void)snprintf(key, sizeof(key), "%s/coffred.key", wpath(f, "k"));
    assert_int_equal(access(key, R_OK), 0);
}

static void
test_backup_create_refuses_existing_output(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    FILE *fp;

    assert_non_null(fp = fopen(f->tar, "w"));
    fclose(fp);
    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep),
        STORAGE_EEXIST);
}

static void
test_backup_create_rejects_corrupt_object(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    FILE *fp;

    assert_non_null(fp = fopen(objpath(f->dir, f->blobs[3]), "r+"));
    fputc('!', fp);
    fclose(fp);
    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep),
        STORAGE_ECORRUPT);
    assert_non_null(strstr(storage_detail(), "corrupt"));
    /* Nothing left behind: no archive, no temporary files. */
    assert_int_equal(storage_tu_nfiles(f->work), 0);
}

static void
test_backup_create_rejects_missing_object(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;

    assert_int_equal(unlink(objpath(f->dir, f->blobs[5])), 0);
    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep),
        STORAGE_ECORRUPT);
    assert_non_null(strstr(storage_detail(), "missing"));
    assert_int_equal(storage_tu_nfiles(f->work), 0);
}

static void
test_backup_create_rejects_missing_index(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;

    assert_int_equal(backup_create(f->work, f->tar, 0, &rep),
        STORAGE_ENOTFOUND);
}

static void
test_backup_restore_rejects_nonempty_dir(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;

    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    assert_int_equal(backup_restore(f->tar, f->dir, &rep), STORAGE_EEXIST);
}

static void
test_backup_restore_rejects_altered_members(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char bad[4096];

    (void)snprintf(bad, sizeof(bad), "%s", wpath(f, "bad.tar"));

    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    rewrite(f->tar, bad, "objects/", 17, NULL);
    restore_fails(f, bad, "t1", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "records/", 3, NULL);
    restore_fails(f, bad, "t2", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "index.sqlite", 200, NULL);
    restore_fails(f, bad, "t3", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "MANIFEST.sha256", 5, NULL);
    restore_fails(f, bad, "t4", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "coffre-backup.txt", 0, NULL);
    restore_fails(f, bad, "t5", STORAGE_ECORRUPT);
}

static void
test_backup_restore_rejects_missing_and_extra_members(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char bad[4096];

    (void)snprintf(bad, sizeof(bad), "%s", wpath(f, "bad.tar"));

    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    rewrite(f->tar, bad, "objects/", -1, NULL);
    restore_fails(f, bad, "m1", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "MANIFEST.sha256", -1, NULL);
    restore_fails(f, bad, "m2", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "index.sqlite", -1, NULL);
    restore_fails(f, bad, "m3", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, "coffre-backup.txt", -1, NULL);
    restore_fails(f, bad, "m4", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite(f->tar, bad, NULL, 0, "../escape");
    restore_fails(f, bad, "m5", STORAGE_ECORRUPT);
    assert_int_equal(access(wpath(f, "escape"), F_OK), -1);
    unlink(bad);
    rewrite(f->tar, bad, NULL, 0, "objects/sha256/00/00/0000");
    restore_fails(f, bad, "m6", STORAGE_ECORRUPT);
}

static void
test_backup_restore_rejects_manifest_with_a_line_twice(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char bad[4096], key[4200];
    FILE *fp;

    (void)snprintf(bad, sizeof(bad), "%s", wpath(f, "bad.tar"));
    (void)snprintf(key, sizeof(key), "%s/coffred.key", f->dir);
    assert_non_null(fp = fopen(key, "w"));
    fputs("signing key\n", fp);
    fclose(fp);

    /* The line count matches, but the index or the key goes unchecked. */
    assert_int_equal(backup_create(f->dir, f->tar, 1, &rep), 0);
    rewrite_manifest(f->tar, bad, "index.sqlite", "coffre-backup.txt");
    restore_fails(f, bad, "d1", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite_manifest(f->tar, bad, "coffred.key", "index.sqlite");
    restore_fails(f, bad, "d2", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite_manifest(f->tar, bad, "coffre-backup.txt", "coffred.key");
    restore_fails(f, bad, "d3", STORAGE_ECORRUPT);
    unlink(bad);
    rewrite_manifest(f->tar, bad, "index.sqlite", "records/");
    restore_fails(f, bad, "d4", STORAGE_ECORRUPT);
}

static void
test_backup_restore_rejects_truncated(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char cut[4096];
    struct stat st;
    char name[32];
    off_t len;
    FILE *in, *out;
    int c, k;

    (void)snprintf(cut, sizeof(cut), "%s", wpath(f, "cut.tar"));
    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    assert_int_equal(stat(f->tar, &st), 0);
    /* 40 lengths across the archive, short of its end-of-archive blocks. */
    for (k = 0; k < 40; k++) {
        len = (off_t)((st.st_size - 1024) * k / 40);
        assert_non_null(in = fopen(f->tar, "r"));
        assert_non_null(out = fopen(cut, "w"));
        for (off_t i = 0; i < len && (c = fgetc(in)) != EOF; i++) {
            fputc(c, out);
        }
        fclose(in);
        fclose(out);
        (void)snprintf(name, sizeof(name), "cut%d", k);
        assert_int_not_equal(backup_restore(cut, wpath(f, name), &rep), 0);
        (void)snprintf(name, sizeof(name), "cut%d/index.sqlite", k);
        assert_int_equal(access(wpath(f, name), F_OK), -1);
        unlink(cut);
    }
}

static void
test_backup_restore_rejects_foreign_tar(void **state)
{
    struct fx *f = *state;
    struct backup_report rep;
    char other[4096];
    FILE *fp;

    (void)snprintf(other, sizeof(other), "%s", wpath(f, "other.tar"));
    assert_int_equal(backup_create(f->dir, f->tar, 0, &rep), 0);
    rewrite(f->tar, other, "coffre-backup.txt", 2, NULL);
    restore_fails(f, other, "f1", STORAGE_ECORRUPT);
    unlink(other);
    assert_non_null(fp = fopen(other, "w"));
    fputs("not a tar at all\n", fp);
    fclose(fp);
    restore_fails(f, other, "f2", STORAGE_EIO);
}

/* Run `coffred ARGS...` (NULL-terminated) through cmd_backup_main(). */
static int
run(const char *a0, ...)
{
    char *argv[16];
    va_list ap;
    int argc = 0;

    argv[argc++] = (char *)(uintptr_t)a0;
    va_start(ap, a0);
    while (argc < 15 &&
        (argv[argc] = (char *)(uintptr_t)va_arg(ap, const char *)) != NULL) {
        argc++;
    }
    va_end(ap);
    argv[argc] = NULL;
    return (cmd_backup_main(argc, argv));
}

static void
test_cmd_backup_main_commands_and_usage(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run("backup", "-o", f->tar, "--data", f->dir, NULL), 0);
    assert_int_equal(run("backup", "-o", f->tar, "--data", f->dir, NULL), 1);
    assert_int_equal(run("restore", f->tar, "--data", wpath(f, "c"), NULL),
        0);
    assert_int_equal(run("restore", f->tar, "--data", wpath(f, "c"), NULL),
        1);
    assert_int_equal(run("backup", "--data", f->dir, NULL), 2);
    assert_int_equal(run("backup", "-o", NULL), 2);
    assert_int_equal(run("restore", f->tar, NULL), 2);
    assert_int_equal(run("restore", "--data", f->dir, NULL), 2);
    assert_int_equal(run("restore", f->tar, "--with-key", "--data", f->dir,
        NULL), 2);
    assert_int_equal(run("backup", "-o", f->tar, "--bogus", NULL), 2);
    assert_int_equal(cmd_backup_main(0, NULL), 2);
}

int
main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_backup_create_restore_round_trip),
        T(test_backup_create_snapshot_ignores_later_changes),
        T(test_backup_create_with_key),
        T(test_backup_create_refuses_existing_output),
        T(test_backup_create_rejects_corrupt_object),
        T(test_backup_create_rejects_missing_object),
        T(test_backup_create_rejects_missing_index),
        T(test_backup_restore_rejects_nonempty_dir),
        T(test_backup_restore_rejects_altered_members),
        T(test_backup_restore_rejects_missing_and_extra_members),
        T(test_backup_restore_rejects_manifest_with_a_line_twice),
        T(test_backup_restore_rejects_truncated),
        T(test_backup_restore_rejects_foreign_tar),
        T(test_cmd_backup_main_commands_and_usage),
    };
#undef T

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
