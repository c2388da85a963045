/* The archive layer of coffre export and import (client/export.c). */
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

/* Client code is not in a module library: compile it in here. */
#include "client/export.c"

#include "tests/util/storage_tu.h"

static void
test_export_utf8_valid_accepts_and_rejects(void **state)
{
    static const char *const good[] = { "", "abc", "\xc3\xa9",
        "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
        "\xef\xbf\xbd" };
    static const char *const bad[] = { "\xc0\xaf", "\xc1\xbf",
        "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80",
        "\xff", "\x80", "\xc3", "\xe2\x82", "a\xc3(", "\xf0\x9d\x84" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(export_utf8_valid(good[i], strlen(good[i])));
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(export_utf8_valid(bad[i], strlen(bad[i])));
    }
    assert_false(export_utf8_valid("a\0b", 3));
}

/* export_path_check(): NULL and the normal form, or the reason. */
static void
path_ok(const char *raw, const char *want)
{
    char out[EXPORT_NAME_MAX + 1];

    assert_null(export_path_check(raw, out, sizeof(out)));
    assert_string_equal(out, want);
}

static void
path_bad(const char *raw, const char *why)
{
    char out[EXPORT_NAME_MAX + 1];
    const char *r = export_path_check(raw, out, sizeof(out));

    assert_non_null(r);
    assert_non_null(strstr(r, why));
}

static void
test_export_path_check_normalises_and_refuses(void **state)
{
    char longname[EXPORT_NAME_MAX + 2];

    (void)state;
    path_ok("a.pdf", "a.pdf");
    path_ok("./a//b/./c.txt", "a/b/c.txt");
    path_ok("dir/", "dir");
    path_ok("...", "...");
    path_ok("a..b/..c/d..", "a..b/..c/d..");
    path_ok("relev\xc3\xa9.pdf", "relev\xc3\xa9.pdf");
    path_bad("/etc/passwd", "absolute");
    path_bad("//x", "absolute");
    path_bad("..", "'..'");
    path_bad("a/../b", "'..'");
    path_bad("a/..", "'..'");
    path_bad("../a", "'..'");
    path_bad("", "no name");
    path_bad(NULL, "no name");
    path_bad("./", "empty");
    path_bad("a\x01" "b", "control");
    path_bad("a\nb", "control");
    path_bad("a\x7f", "control");
    path_bad("bad\xff.txt", "UTF-8");
    path_bad("\xc0\xae\xc0\xae/x", "UTF-8");
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    path_bad(longname, "too long");
    longname[EXPORT_NAME_MAX] = '\0';
    path_ok(longname, longname);
}

static void
test_export_safe_component_replaces_unsafe(void **state)
{
    char in[700], *s;
    size_t i;

    (void)state;
    assert_non_null(s = export_safe_component(NULL));
    assert_string_equal(s, "document");
    free(s);
    assert_non_null(s = export_safe_component(""));
    assert_string_equal(s, "document");
    free(s);
    assert_non_null(s = export_safe_component("../x"));
    assert_string_equal(s, "_._x");
    free(s);
    assert_non_null(s = export_safe_component(".hidden"));
    assert_string_equal(s, "_hidden");
    free(s);
    assert_non_null(s = export_safe_component("a:b*c?d\"e<f>g|h\\i\tj"));
    assert_string_equal(s, "a_b_c_d_e_f_g_h_i_j");
    free(s);
    assert_non_null(s = export_safe_component("bad\xff\xc3(ok \xc3\xa9"));
    assert_string_equal(s, "bad__(ok \xc3\xa9");
    free(s);
    /* C1 controls (CSI is U+009B) go too; other accents stay. */
    assert_non_null(s = export_safe_component("a\xc2\x9b" "2Jb\xc2\x85"
                                              "c\xc2\xa0\xc3\xa9"));
    assert_string_equal(s, "a_2Jb_c\xc2\xa0\xc3\xa9");
    free(s);
    /* 350 two-byte characters: cut to 200 bytes, on a boundary. */
    for (i = 0; i < 350; i++) {
        memcpy(in + 2 * i, "\xc3\xa9", 2);
    }
    in[700 - 1] = '\0';
    in[698] = '\0';
    assert_non_null(s = export_safe_component(in));
    assert_int_equal(strlen(s), EXPORT_COMPONENT_MAX);
    assert_true(export_utf8_valid(s, strlen(s)));
    free(s);
    /* A three-byte character across the limit is dropped whole. */
    memset(in, 'a', 199);
    memcpy(in + 199, "\xe2\x82\xac", 4);
    assert_non_null(s = export_safe_component(in));
    assert_int_equal(strlen(s), 199);
    free(s);
}

static void
test_export_format_from_name_and_parse(void **state)
{
    enum export_format f;

    (void)state;
    assert_int_equal(export_format_from_name("a.tar", &f), 0);
    assert_int_equal(f, EXPORT_TAR);
    assert_int_equal(export_format_from_name("A.TAR.GZ", &f), 0);
    assert_int_equal(f, EXPORT_TGZ);
    assert_int_equal(export_format_from_name("x.tgz", &f), 0);
    assert_int_equal(f, EXPORT_TGZ);
    assert_int_equal(export_format_from_name("b.Zip", &f), 0);
    assert_int_equal(f, EXPORT_ZIP);
    assert_int_equal(export_format_from_name(".tar", &f), -1);
    assert_int_equal(export_format_from_name("a.rar", &f), -1);
    assert_int_equal(export_format_from_name("tar", &f), -1);
    assert_int_equal(export_format_parse("tar.gz", &f), 0);
    assert_int_equal(f, EXPORT_TGZ);
    assert_int_equal(export_format_parse("zip", &f), 0);
    assert_int_equal(export_format_parse("tar.xz", &f), -1);
    assert_int_equal(export_format_parse("", &f), -1);
}

static void
test_export_printable_escapes(void **state)
{
    char out[32];

    (void)state;
    export_printable("a\xff\x01\\b", out, sizeof(out));
    assert_string_equal(out, "a\\xff\\x01\\x5cb");
    export_printable("0123456789", out, 6);
    assert_string_equal(out, "01234");
    export_printable("\xff\xff", out, 6);
    assert_string_equal(out, "\\xff");
}

/* ------------------------------------------------------------------ */
/* Writing, then scanning what was written */

struct fx {
    char *dir;
    char path[4096];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = storage_tu_mkdtemp();
    (void)snprintf(f->path, sizeof(f->path), "%s/a", f->dir);
    *state = f;
    return (0);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    storage_tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return (0);
}

/* What the scan handed over. */
struct got {
    char names[16][256];
    char refused[16][64];
    uint64_t sizes[16];
    size_t n, nr, open;
    uint64_t bytes;
    int stop_at_begin;
};

static int
g_begin(void *cookie, const char *path)
{
    struct got *g = cookie;

    if (g->stop_at_begin) {
        return (-1);
    }
    assert_int_equal(g->open, 0);
    g->open = 1;
    g->bytes = 0;
    (void)snprintf(g->names[g->n], sizeof(g->names[0]), "%s", path);
    return (0);
}

static int
g_data(void *cookie, const uint8_t *buf, size_t len)
{
    struct got *g = cookie;

    (void)buf;
    g->bytes += len;
    return (0);
}

static int
g_end(void *cookie, const char *path, uint64_t size,
    const uint8_t sha[DIGEST_BYTES])
{
    struct got *g = cookie;
    uint8_t want[DIGEST_BYTES];

    (void)sha;
    (void)want;
    assert_string_equal(path, g->names[g->n]);
    assert_int_equal(size, g->bytes);
    g->sizes[g->n++] = size;
    g->open = 0;
    return (0);
}

static void
g_drop(void *cookie)
{
    struct got *g = cookie;

    g->open = 0;
}

static void
g_refuse(void *cookie, const char *raw, const char *why)
{
    struct got *g = cookie;

    (void)raw;
    (void)snprintf(g->refused[g->nr++], sizeof(g->refused[0]), "%s", why);
}

static const struct export_scan_ops gops = { g_begin, g_data, g_end,
    g_drop, g_refuse };

/* Scan file ${path}; return export_scan()'s result. */
static int
scan_file(const char *path, struct got *g, struct export_scan_stats *st)
{
    struct archive *a;
    struct stat sb;
    int rc;

    assert_int_equal(stat(path, &sb), 0);
    assert_non_null(a = export_reader_new());
    assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
    rc = export_scan(a, (uint64_t)sb.st_size, &gops, g, st);
    archive_read_free(a);
    return (rc);
}

/* Add a special entry (link, device...) to ${a}. */
static void
add_special(struct archive *a, const char *name, unsigned type,
    const char *hardlink)
{
    struct archive_entry *e;

    assert_non_null(e = archive_entry_new());
    archive_entry_set_pathname(e, name);
    if (hardlink != NULL) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, hardlink);
    } else {
        archive_entry_set_filetype(e, type);
        if (type == AE_IFLNK) {
            archive_entry_set_symlink(e, "/etc/passwd");
        }
    }
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, 0);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_entry_free(e);
}

/* Write ${f->path} in format ${fmt} with a mix of entries. */
static void
write_mixed(struct fx *f, enum export_format fmt)
{
    struct archive *a;
    FILE *fp;

    assert_non_null(fp = fopen(f->path, "w"));
    assert_non_null(a = export_writer_new(fileno(fp), fmt));
    assert_int_equal(export_add_buf(a, "one.txt", "one\n", 4, 0), 0);
    assert_int_equal(export_add_buf(a, "d/two.txt", "two!\n", 5, 0), 0);
    assert_int_equal(export_add_buf(a, "../up.txt", "up\n", 3, 0), 0);
    if (fmt != EXPORT_ZIP) {
        add_special(a, "sym", AE_IFLNK, NULL);
        add_special(a, "hard", 0, "one.txt");
        add_special(a, "chr", AE_IFCHR, NULL);
        add_special(a, "fifo", AE_IFIFO, NULL);
    }
    assert_int_equal(export_add_buf(a, "empty", "", 0, 0), 0);
    assert_int_equal(export_writer_close(a), 0);
    fclose(fp);
}

static void
test_export_scan_sorts_good_from_bad_in_every_format(void **state)
{
    static const enum export_format fmts[] = { EXPORT_TAR, EXPORT_TGZ,
        EXPORT_ZIP };
    struct fx *f = *state;
    struct export_scan_stats st;
    struct got g;
    size_t i;

    for (i = 0; i < 3; i++) {
        memset(&g, 0, sizeof(g));
        write_mixed(f, fmts[i]);
        assert_int_equal(scan_file(f->path, &g, &st), EXPORT_OK);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.names[0], "one.txt");
        assert_int_equal(g.sizes[0], 4);
        assert_string_equal(g.names[1], "d/two.txt");
        assert_int_equal(g.sizes[1], 5);
        assert_string_equal(g.names[2], "empty");
        assert_int_equal(g.sizes[2], 0);
        assert_int_equal(st.accepted, 3);
        if (fmts[i] == EXPORT_ZIP) {
            assert_int_equal(g.nr, 1);
        } else {
            assert_int_equal(g.nr, 5);
            assert_string_equal(g.refused[1], "symbolic link");
            assert_string_equal(g.refused[2], "hard link");
            assert_string_equal(g.refused[3], "device");
            assert_string_equal(g.refused[4], "named pipe");
        }
        assert_string_equal(g.refused[0], "'..' in path");
        assert_int_equal(st.refused, g.nr);
        unlink(f->path);
    }
}

/* A tar(.gz) with one entry of ${size} zero bytes, then a small one. */
static void
write_zeros(struct fx *f, enum export_format fmt, uint64_t size)
{
    static uint8_t zero[1 << 16];
    struct archive *a;
    uint64_t left;
    FILE *fp;

    assert_non_null(fp = fopen(f->path, "w"));
    assert_non_null(a = export_writer_new(fileno(fp), fmt));
    assert_int_equal(export_entry_begin(a, "zeros", size, 0), 0);
    for (left = size; left > 0; left -= left < sizeof(zero) ? left
                                                            : sizeof(zero)) {
        assert_int_equal(export_entry_data(a, zero, left < sizeof(zero) ?
            (size_t)left : sizeof(zero)), 0);
    }
    assert_int_equal(export_entry_end(a), 0);
    assert_int_equal(export_add_buf(a, "after.txt", "after\n", 6, 0), 0);
    assert_int_equal(export_writer_close(a), 0);
    fclose(fp);
}

static void
test_export_scan_stops_a_compression_bomb(void **state)
{
    struct fx *f = *state;
    struct export_scan_stats st;
    struct got g;

    /* 40 MiB of zeros in about 40 KiB: past 16 MiB and 100 times. */
    memset(&g, 0, sizeof(g));
    write_zeros(f, EXPORT_TGZ, 40ULL << 20);
    assert_int_equal(scan_file(f->path, &g, &st), EXPORT_EBOMB);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.open, 0);
    assert_true(st.expanded > EXPORT_IMPORT_RATIO_FLOOR);
    assert_true(st.expanded <= EXPORT_IMPORT_RATIO_FLOOR + (1 << 16));
    unlink(f->path);

    /* The same bytes stored plainly are no bomb: the ratio is about 1. */
    memset(&g, 0, sizeof(g));
    write_zeros(f, EXPORT_TAR, 40ULL << 20);
    assert_int_equal(scan_file(f->path, &g, &st), EXPORT_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.sizes[0], 40ULL << 20);
    unlink(f->path);

    /* Small and very compressible is fine too: under the floor. */
    memset(&g, 0, sizeof(g));
    write_zeros(f, EXPORT_TGZ, 8ULL << 20);
    assert_int_equal(scan_file(f->path, &g, &st), EXPORT_OK);
    assert_int_equal(g.n, 2);
}

static void
test_export_scan_refuses_entries_over_the_limit(void **state)
{
    struct fx *f = *state;
    struct export_scan_stats st;
    struct got g;

    memset(&g, 0, sizeof(g));
    write_zeros(f, EXPORT_TAR, EXPORT_IMPORT_MAX_ENTRY + 1);
    assert_int_equal(scan_file(f->path, &g, &st), EXPORT_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "after.txt");
    assert_int_equal(g.nr, 1);
    assert_non_null(strstr(g.refused[0], "size limit"));
}

static void
test_export_scan_callback_stops(void **state)
{
    struct fx *f = *state;
    struct export_scan_stats st;
    struct got g;

    memset(&g, 0, sizeof(g));
    g.stop_at_begin = 1;
    write_mixed(f, EXPORT_TAR);
    assert_int_equal(scan_file(f->path, &g, &st), EXPORT_ECALLBACK);
}

static void
test_export_scan_rejects_garbage_and_truncation(void **state)
{
    struct fx *f = *state;
    struct export_scan_stats st;
    struct archive *a;
    struct got g;
    static uint8_t buf[1 << 16];
    size_t len, cut;
    FILE *fp;
    int rc;

    write_mixed(f, EXPORT_TGZ);
    assert_non_null(fp = fopen(f->path, "r"));
    len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    /* Every truncation either fails or hands over only whole entries. */
    for (cut = 0; cut < len; cut++) {
        memset(&g, 0, sizeof(g));
        assert_non_null(a = export_reader_new());
        if (archive_read_open_memory(a, buf, cut) == ARCHIVE_OK) {
            rc = export_scan(a, cut, &gops, &g, &st);
            assert_true(rc == EXPORT_OK || rc == EXPORT_EARCHIVE);
            assert_int_equal(g.open, 0);
            assert_true(g.n <= 3);
        }
        archive_read_free(a);
    }
    memset(&g, 0, sizeof(g));
    assert_non_null(a = export_reader_new());
    if (archive_read_open_memory(a, "hello, not an archive", 21) ==
        ARCHIVE_OK) {
        assert_int_equal(export_scan(a, 21, &gops, &g, &st),
            EXPORT_EARCHIVE);
    }
    archive_read_free(a);
    assert_int_equal(g.n, 0);
}

static void
test_export_entry_data_refuses_more_than_declared(void **state)
{
    struct fx *f = *state;
    struct archive *a;
    FILE *fp;

    assert_non_null(fp = fopen(f->path, "w"));
    assert_non_null(a = export_writer_new(fileno(fp), EXPORT_TAR));
    assert_int_equal(export_entry_begin(a, "x", 4, 0), 0);
    assert_int_equal(export_entry_data(a, (const uint8_t *)"12345", 5), -1);
    export_writer_abort(a);
    fclose(fp);
}

int
main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_utf8_valid_accepts_and_rejects),
        cmocka_unit_test(test_export_path_check_normalises_and_refuses),
        cmocka_unit_test(test_export_safe_component_replaces_unsafe),
        cmocka_unit_test(test_export_format_from_name_and_parse),
        cmocka_unit_test(test_export_printable_escapes),
        T(test_export_scan_sorts_good_from_bad_in_every_format),
        T(test_export_scan_stops_a_compression_bomb),
        T(test_export_scan_refuses_entries_over_the_limit),
        T(test_export_scan_callback_stops),
        T(test_export_scan_rejects_garbage_and_truncation),
        T(test_export_entry_data_refuses_more_than_declared),
    };
#undef T

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
