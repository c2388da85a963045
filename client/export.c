#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE   /* strcasecmp; guarded: tests include this file */
#endif
#include "client/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

/*
 * The archive layer of export and import.  Self-contained (libarchive,
 * libc, crypto/digest) so that fuzz/fuzz_import.c can build it alone.
 */

#define SCAN_CHUNK (64 * 1024)

int
export_format_parse(const char *s, enum export_format *f)
{

    if (strcmp(s, "tar") == 0) {
        *f = EXPORT_TAR;
    } else if (strcmp(s, "tar.gz") == 0 || strcmp(s, "tgz") == 0) {
        *f = EXPORT_TGZ;
    } else if (strcmp(s, "zip") == 0) {
        *f = EXPORT_ZIP;
    } else {
        return (-1);
    }
    return (0);
}

/* Does ${s} end with ${suffix}, ignoring case? */
static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return (n > m && strcasecmp(s + n - m, suffix) == 0);
}

int
export_format_from_name(const char *path, enum export_format *f)
{

    if (ends_with(path, ".tar.gz") || ends_with(path, ".tgz")) {
        *f = EXPORT_TGZ;
    } else if (ends_with(path, ".tar")) {
        *f = EXPORT_TAR;
    } else if (ends_with(path, ".zip")) {
        *f = EXPORT_ZIP;
    } else {
        return (-1);
    }
    return (0);
}

struct archive *
export_writer_new(int fd, enum export_format f)
{
    struct archive *a;
    int r;

    if ((a = archive_write_new()) == NULL) {
        return (NULL);
    }
    switch (f) {
    case EXPORT_TAR:
        r = archive_write_set_format_pax_restricted(a);
        break;
    case EXPORT_TGZ:
        r = archive_write_set_format_pax_restricted(a);
        if (r == ARCHIVE_OK) {
            r = archive_write_add_filter_gzip(a);
        }
        break;
    case EXPORT_ZIP:
        r = archive_write_set_format_zip(a);
        break;
    default:
        r = ARCHIVE_FATAL;
        break;
    }
    /* Names are UTF-8 whatever the locale. */
    if (r == ARCHIVE_OK && f != EXPORT_ZIP) {
        r = archive_write_set_options(a, "hdrcharset=UTF-8");
    }
    if (r == ARCHIVE_OK) {
        r = archive_write_set_bytes_in_last_block(a, 1);
    }
    if (r != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        archive_write_free(a);
        return (NULL);
    }
    return (a);
}

int
export_entry_begin(struct archive *a, const char *path, uint64_t size,
    int64_t mtime)
{
    struct archive_entry *e;
    int r;

    if (size > INT64_MAX || (e = archive_entry_new()) == NULL) {
        return (-1);
    }
    archive_entry_set_pathname_utf8(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    r = archive_write_header(a, e);
    archive_entry_free(e);
    return (r == ARCHIVE_OK ? 0 : -1);
}

int
export_entry_data(struct archive *a, const uint8_t *buf, size_t len)
{
    la_ssize_t n;

    while (len > 0) {
        if ((n = archive_write_data(a, buf, len)) <= 0) {
            return (-1);
        }
        buf += n;
        len -= (size_t)n;
    }
    return (0);
}

int
export_entry_end(struct archive *a)
{

    return (archive_write_finish_entry(a) == ARCHIVE_OK ? 0 : -1);
}

int
export_add_buf(struct archive *a, const char *path, const void *buf,
    size_t len, int64_t mtime)
{

    if (export_entry_begin(a, path, len, mtime) != 0 ||
        export_entry_data(a, buf, len) != 0 || export_entry_end(a) != 0) {
        return (-1);
    }
    return (0);
}

int
export_writer_close(struct archive *a)
{
    int r;

    r = archive_write_close(a);
    archive_write_free(a);
    return (r == ARCHIVE_OK ? 0 : -1);
}

void
export_writer_abort(struct archive *a)
{

    if (a != NULL) {
        /* Not archive_write_fail(): it makes free() leak the client
         * state.  The caller removes what is written. */
        archive_write_free(a);
    }
}

const char *
export_writer_error(struct archive *a)
{
    const char *s = a != NULL ? archive_error_string(a) : NULL;

    return (s != NULL ? s : "");
}

/* Length of the well-formed UTF-8 sequence at ${p} (${n} left), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
    uint32_t c;
    size_t len, i;

    if (p[0] < 0x80) {
        return (p[0] != 0 ? 1 : 0);
    } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        c = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        c = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        c = p[0] & 0x07;
    } else {
        return (0);
    }
    if (len > n) {
        return (0);
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return (0);
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return (0);
    }
    return (len);
}

int
export_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < len) {
        if ((k = utf8_seq(p + i, len - i)) == 0) {
            return (0);
        }
        i += k;
    }
    return (1);
}

char *
export_safe_component(const char *name)
{
    const unsigned char *p;
    size_t n, i = 0, o = 0, k;
    char *s, c;

    if (name == NULL || name[0] == '\0') {
        return (strdup("document"));
    }
    p = (const unsigned char *)name;
    n = strlen(name);
    if ((s = malloc(EXPORT_COMPONENT_MAX + 1)) == NULL) {
        return (NULL);
    }
    while (i < n) {
        k = utf8_seq(p + i, n - i);
        if (k == 0) {
            k = 1;                   /* an invalid byte */
            if (o + 1 > EXPORT_COMPONENT_MAX) {
                break;
            }
            s[o++] = '_';
        } else if (k == 1) {
            if (o + 1 > EXPORT_COMPONENT_MAX) {
                break;
            }
            c = (p[i] < 0x20 || p[i] == 0x7f ||
                strchr("/\\:*?\"<>|", p[i]) != NULL ||
                (o == 0 && p[i] == '.')) ? '_' : (char)p[i];
            s[o++] = c;
        } else if (k == 2 && p[i] == 0xc2 && p[i + 1] <= 0x9f) {
            if (o + 1 > EXPORT_COMPONENT_MAX) {
                break;
            }
            s[o++] = '_';            /* a C1 control, U+0080..U+009F */
        } else {
            if (o + k > EXPORT_COMPONENT_MAX) {
                break;
            }
            memcpy(s + o, p + i, k);
            o += k;
        }
        i += k;
    }
    s[o] = '\0';
    return (s);
}

void
export_printable(const char *s, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    if (outlen == 0) {
        return;
    }
    for (; p != NULL && *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
            if (o + 1 >= outlen) {
                break;
            }
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= outlen) {
                break;
            }
            snprintf(out + o, 5, "\\x%02x", *p);
            o += 4;
        }
    }
    out[o] = '\0';
}

const char *
export_path_check(const char *raw, char *out, size_t outlen)
{
    const char *p, *end;
    size_t len, clen, o = 0;

    if (outlen == 0) {
        return ("name too long");
    }
    out[0] = '\0';
    if (raw == NULL || raw[0] == '\0') {
        return ("no name");
    }
    len = strlen(raw);
    if (len > EXPORT_NAME_MAX || len >= outlen) {
        return ("name too long");
    }
    if (!export_utf8_valid(raw, len)) {
        return ("name is not valid UTF-8");
    }
    for (p = raw; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            return ("control character in name");
        }
    }
    if (raw[0] == '/') {
        return ("absolute path");
    }
    for (p = raw; *p != '\0'; p = (*end == '/') ? end + 1 : end) {
        end = strchr(p, '/');
        if (end == NULL) {
            end = p + strlen(p);
        }
        clen = (size_t)(end - p);
        if (clen == 0 || (clen == 1 && p[0] == '.')) {
            continue;
        }
        if (clen == 2 && p[0] == '.' && p[1] == '.') {
            return ("'..' in path");
        }
        if (o > 0) {
            out[o++] = '/';
        }
        memcpy(out + o, p, clen);
        o += clen;
    }
    out[o] = '\0';
    if (o == 0) {
        return ("empty name");
    }
    return (NULL);
}

struct archive *
export_reader_new(void)
{
    struct archive *a;

    if ((a = archive_read_new()) == NULL) {
        return (NULL);
    }
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_support_format_gnutar(a) != ARCHIVE_OK ||
        archive_read_support_format_zip(a) != ARCHIVE_OK ||
        archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_bzip2(a) < ARCHIVE_WARN ||
        archive_read_support_filter_xz(a) < ARCHIVE_WARN) {
        archive_read_free(a);
        return (NULL);
    }
    return (a);
}

/* The walk's state. */
struct scan {
    struct archive *a;
    uint64_t compressed;
    const struct export_scan_ops *ops;
    void *cookie;
    struct export_scan_stats *st;
    uint8_t *buf;
};

/* Count ${n} expanded bytes; EXPORT_EBOMB past a bound. */
static int
expand(struct scan *s, size_t n)
{
    uint64_t t;

    s->st->expanded += n;
    t = s->st->expanded;
    if (t > EXPORT_IMPORT_MAX_TOTAL ||
        (t > EXPORT_IMPORT_RATIO_FLOOR &&
        t / EXPORT_IMPORT_RATIO > s->compressed)) {
        return (EXPORT_EBOMB);
    }
    return (0);
}

/* Read and discard the rest of the entry, still counting the expansion. */
static int
drain(struct scan *s)
{
    la_ssize_t n;
    int r;

    for (;;) {
        n = archive_read_data(s->a, s->buf, SCAN_CHUNK);
        if (n == 0) {
            return (0);
        }
        if (n < 0) {
            /* Unreadable data (an encrypted member): skip it whole. */
            if (n == ARCHIVE_FATAL) {
                return (EXPORT_EARCHIVE);
            }
            r = archive_read_data_skip(s->a);
            return (r == ARCHIVE_FATAL ? EXPORT_EARCHIVE : 0);
        }
        if ((r = expand(s, (size_t)n)) != 0) {
            return (r);
        }
    }
}

/* Refuse the current entry for ${why} and skip its data. */
static int
refuse(struct scan *s, const char *raw, const char *why)
{

    s->st->refused++;
    if (s->ops->refuse != NULL) {
        s->ops->refuse(s->cookie, raw != NULL ? raw : "", why);
    }
    return (drain(s));
}

/* Why entry ${e} is not an acceptable file by its kind; NULL if it is. */
static const char *
kind_reason(struct archive_entry *e)
{

    if (archive_entry_hardlink(e) != NULL) {
        return ("hard link");
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        break;
    case AE_IFLNK:
        return ("symbolic link");
    case AE_IFCHR:
    case AE_IFBLK:
        return ("device");
    case AE_IFIFO:
        return ("named pipe");
    case AE_IFSOCK:
        return ("socket");
    default:
        return ("not a regular file");
    }
    if (archive_entry_is_encrypted(e)) {
        return ("encrypted entry");
    }
    if (archive_entry_size_is_set(e) && (archive_entry_size(e) < 0 ||
        (uint64_t)archive_entry_size(e) > EXPORT_IMPORT_MAX_ENTRY)) {
        return ("over the size limit (64 MiB)");
    }
    return (NULL);
}

/* Hand the data of the accepted entry ${path} to the callbacks. */
static int
take(struct scan *s, const char *raw, const char *path)
{
    struct digest *d;
    uint8_t sha[DIGEST_BYTES];
    uint64_t size = 0;
    la_ssize_t n;
    int r;

    if ((d = digest_new()) == NULL) {
        return (EXPORT_ECALLBACK);
    }
    if (s->ops->begin != NULL && s->ops->begin(s->cookie, path) != 0) {
        digest_free(d);
        return (EXPORT_ECALLBACK);
    }
    for (;;) {
        n = archive_read_data(s->a, s->buf, SCAN_CHUNK);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            digest_free(d);
            if (s->ops->drop != NULL) {
                s->ops->drop(s->cookie);
            }
            if (n == ARCHIVE_FATAL) {
                return (EXPORT_EARCHIVE);
            }
            return (refuse(s, raw, "unreadable data (encrypted or damaged)"));
        }
        if ((r = expand(s, (size_t)n)) != 0) {
            digest_free(d);
            if (s->ops->drop != NULL) {
                s->ops->drop(s->cookie);
            }
            return (r);
        }
        size += (uint64_t)n;
        if (size > EXPORT_IMPORT_MAX_ENTRY) {
            digest_free(d);
            if (s->ops->drop != NULL) {
                s->ops->drop(s->cookie);
            }
            return (refuse(s, raw, "over the size limit (64 MiB)"));
        }
        digest_update(d, s->buf, (size_t)n);
        if (s->ops->data != NULL &&
            s->ops->data(s->cookie, s->buf, (size_t)n) != 0) {
            digest_free(d);
            if (s->ops->drop != NULL) {
                s->ops->drop(s->cookie);
            }
            return (EXPORT_ECALLBACK);
        }
    }
    digest_final(d, sha);
    digest_free(d);
    s->st->accepted++;
    if (s->ops->end != NULL && s->ops->end(s->cookie, path, size, sha) != 0) {
        return (EXPORT_ECALLBACK);
    }
    return (0);
}

int
export_scan(struct archive *a, uint64_t compressed,
    const struct export_scan_ops *ops, void *cookie,
    struct export_scan_stats *st)
{
    struct archive_entry *e;
    struct scan s;
    const char *raw, *why;
    char *path = NULL;
    int r, rc = EXPORT_EARCHIVE;

    memset(st, 0, sizeof(*st));
    s.a = a;
    s.compressed = compressed;
    s.ops = ops;
    s.cookie = cookie;
    s.st = st;
    if ((s.buf = malloc(SCAN_CHUNK)) == NULL ||
        (path = malloc(EXPORT_NAME_MAX + 1)) == NULL) {
        rc = EXPORT_ECALLBACK;
        goto done;
    }
    for (;;) {
        r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r == ARCHIVE_RETRY) {
            continue;
        }
        if (r < ARCHIVE_WARN) {
            goto done;
        }
        if (++st->entries > EXPORT_IMPORT_MAX_ENTRIES) {
            rc = EXPORT_EBOMB;
            goto done;
        }
        /* The UTF-8 form when libarchive knows the archive's charset
         * (zip UTF-8 flag, pax), else the bytes as stored. */
        if ((raw = archive_entry_pathname_utf8(e)) == NULL) {
            raw = archive_entry_pathname(e);
        }
        if (archive_entry_filetype(e) == AE_IFDIR &&
            archive_entry_hardlink(e) == NULL) {
            continue;       /* folders come with their files' paths */
        }
        if ((why = kind_reason(e)) != NULL ||
            (why = export_path_check(raw, path, EXPORT_NAME_MAX + 1)) !=
            NULL) {
            r = refuse(&s, raw, why);
        } else {
            r = take(&s, raw, path);
        }
        if (r != 0) {
            rc = r;
            goto done;
        }
    }
    rc = EXPORT_OK;

done:
    free(path);
    free(s.buf);
    return (rc);
}
