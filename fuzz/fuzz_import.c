/*
 * coffre import reads archives from anywhere (another provider's export,
 * a mail attachment): bytes that may be crafted.  The walk must never
 * crash, never hand over a path that is absolute, has a ".." component,
 * is not UTF-8 or has control characters, never hand over more than the
 * size limit for one entry, and report exactly the bytes it handed over.
 */
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>

/* The archive layer is client code; the fuzz build links modules only. */
#include "client/export.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    int open;
    uint64_t bytes;
};

static int
f_begin(void *cookie, const char *path)
{
    struct seen *s = cookie;
    char again[EXPORT_NAME_MAX + 1];
    const char *p;

    if (s->open || path[0] == '/' ||
        export_path_check(path, again, sizeof(again)) != NULL ||
        strcmp(again, path) != 0 || !export_utf8_valid(path, strlen(path))) {
        abort();
    }
    for (p = path; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 ||
            (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') &&
            (p[2] == '/' || p[2] == '\0'))) {
            abort();
        }
    }
    s->open = 1;
    s->bytes = 0;
    return (0);
}

static int
f_data(void *cookie, const uint8_t *buf, size_t len)
{
    struct seen *s = cookie;

    (void)buf;
    if (!s->open) {
        abort();
    }
    s->bytes += len;
    if (s->bytes > EXPORT_IMPORT_MAX_ENTRY) {
        abort();
    }
    return (0);
}

static int
f_end(void *cookie, const char *path, uint64_t size,
    const uint8_t sha256[DIGEST_BYTES])
{
    struct seen *s = cookie;

    (void)path;
    (void)sha256;
    if (!s->open || size != s->bytes) {
        abort();
    }
    s->open = 0;
    return (0);
}

static void
f_drop(void *cookie)
{
    struct seen *s = cookie;

    if (!s->open) {
        abort();
    }
    s->open = 0;
}

static void
f_refuse(void *cookie, const char *raw, const char *reason)
{
    char p[64];

    (void)cookie;
    if (reason == NULL || reason[0] == '\0') {
        abort();
    }
    export_printable(raw, p, sizeof(p));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct export_scan_ops ops = { f_begin, f_data, f_end,
        f_drop, f_refuse };
    struct export_scan_stats st;
    struct seen s;
    struct archive *a;
    char *name, *safe;

    memset(&s, 0, sizeof(s));
    (void)setlocale(LC_CTYPE, "C.UTF-8");    /* as coffre import does */
    if ((a = export_reader_new()) == NULL) {
        abort();
    }
    if (archive_read_open_memory(a, data, size) == ARCHIVE_OK) {
        (void)export_scan(a, size, &ops, &s, &st);
        if (s.open || st.accepted + st.refused > st.entries) {
            abort();
        }
    }
    archive_read_free(a);

    /* The input as a name, too: the export side makes it safe. */
    if ((name = malloc(size + 1)) == NULL) {
        return (0);
    }
    memcpy(name, data, size);
    name[size] = '\0';
    if ((safe = export_safe_component(name)) != NULL) {
        if (!export_utf8_valid(safe, strlen(safe)) || safe[0] == '.' ||
            strchr(safe, '/') != NULL ||
            strlen(safe) > EXPORT_COMPONENT_MAX) {
            abort();
        }
        free(safe);
    }
    free(name);
    return (0);
}
