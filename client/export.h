#ifndef EXPORT_H_
#define EXPORT_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"

/*
 * The archive layer of export and import (libarchive).  This file knows
 * archives and names, nothing of the server: cmd_export.c drives it.
 *
 * Writing: entries always have their size set before their data, and the
 * data must match it exactly, so that a reader (bsdtar, unzip) never sees
 * a padded or truncated member.
 *
 * Reading (import): entries are walked one by one and their bytes handed
 * to callbacks; nothing is ever created on disk from an entry's name.
 * Each entry is either accepted (regular file, valid UTF-8 relative path
 * without "..", within the size limit) or refused with a reason, and the
 * walk goes on.  The whole walk stops when the archive looks like a
 * compression bomb: more than EXPORT_IMPORT_MAX_TOTAL bytes expanded, or
 * more than EXPORT_IMPORT_RATIO times the archive's own size once past
 * EXPORT_IMPORT_RATIO_FLOOR bytes, or more than EXPORT_IMPORT_MAX_ENTRIES
 * entries.
 */

struct archive;

enum export_format {
    EXPORT_TAR = 1,
    EXPORT_TGZ = 2,
    EXPORT_ZIP = 3
};

#define EXPORT_IMPORT_MAX_ENTRY (64ULL * 1024 * 1024)     /* one file */
#define EXPORT_IMPORT_MAX_TOTAL (1024ULL * 1024 * 1024)   /* expanded */
#define EXPORT_IMPORT_RATIO 100ULL                        /* expanded/size */
#define EXPORT_IMPORT_RATIO_FLOOR (16ULL * 1024 * 1024)   /* ratio applies */
#define EXPORT_IMPORT_MAX_ENTRIES 100000
#define EXPORT_NAME_MAX 1024      /* bytes of an entry path */
#define EXPORT_COMPONENT_MAX 200  /* bytes of one exported file name */

/* Results of export_scan(). */
#define EXPORT_OK 0
#define EXPORT_EARCHIVE (-2)      /* not a readable archive, or damaged */
#define EXPORT_EBOMB (-3)         /* expansion bound passed: stopped */
#define EXPORT_ECALLBACK (-4)     /* a callback asked to stop */

/**
 * export_format_parse(s, f):
 * "tar", "tar.gz" (or "tgz"), "zip" into *${f}.  Return 0 or -1.
 */
int export_format_parse(const char *s, enum export_format *f);

/**
 * export_format_from_name(path, f):
 * The format named by ${path}'s ending (.tar, .tar.gz, .tgz, .zip).
 * Return 0 or -1 if the name says nothing.
 */
int export_format_from_name(const char *path, enum export_format *f);

/**
 * export_writer_new(fd, f):
 * An archive of format ${f} written to ${fd}.  NULL on failure.  End with
 * export_writer_close() or export_writer_abort().
 */
struct archive *export_writer_new(int fd, enum export_format f);

/**
 * export_entry_begin(a, path, size, mtime):
 * Start regular file ${path} (mode 0644) of exactly ${size} bytes.
 * Return 0 or -1.
 */
int export_entry_begin(struct archive *a, const char *path, uint64_t size,
    int64_t mtime);

/**
 * export_entry_data(a, buf, len):
 * Append to the current entry; -1 if the archive takes fewer bytes (more
 * data than the entry's size) or fails.
 */
int export_entry_data(struct archive *a, const uint8_t *buf, size_t len);

/**
 * export_entry_end(a):
 * Finish the current entry.  Return 0 or -1.
 */
int export_entry_end(struct archive *a);

/**
 * export_add_buf(a, path, buf, len, mtime):
 * A whole entry from memory.  Return 0 or -1.
 */
int export_add_buf(struct archive *a, const char *path, const void *buf,
    size_t len, int64_t mtime);

/**
 * export_writer_close(a):
 * Write the archive's trailer and free ${a}.  Return 0 or -1.
 */
int export_writer_close(struct archive *a);

/**
 * export_writer_abort(a):
 * Free ${a} without caring for the output (which the caller removes).
 * NULL is a no-op.
 */
void export_writer_abort(struct archive *a);

/**
 * export_writer_error(a):
 * libarchive's message for the last failure of ${a} ("" if none).
 */
const char *export_writer_error(struct archive *a);

/**
 * export_utf8_valid(s, len):
 * 1 if the ${len} bytes of ${s} are well-formed UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF, no NUL), else 0.
 */
int export_utf8_valid(const char *s, size_t len);

/**
 * export_safe_component(name):
 * A file name for an archive member made from ${name} (NULL: "document"):
 * invalid UTF-8 bytes, control characters (C0, DEL, C1), '/', '\\' and the
 * characters Windows refuses (:*?"<>|) become '_', a leading '.' too, and
 * the result is cut to EXPORT_COMPONENT_MAX bytes on a character boundary.
 * malloc'd, or NULL.
 */
char *export_safe_component(const char *name);

/**
 * export_printable(s, out, outlen):
 * ${s} with every byte outside printable ASCII written as \xNN, cut to fit
 * ${outlen} (NUL included).  For messages about hostile names.
 */
void export_printable(const char *s, char *out, size_t outlen);

/**
 * export_path_check(raw, out, outlen):
 * Check an archive entry path and write its normal form into ${out}
 * (components joined by '/', empty and "." components dropped).  Return
 * NULL if acceptable, else a static English reason.
 */
const char *export_path_check(const char *raw, char *out, size_t outlen);

/* Callbacks of export_scan(); a non-zero return stops the scan. */
struct export_scan_ops {
    int (*begin)(void *cookie, const char *path);
    int (*data)(void *cookie, const uint8_t *buf, size_t len);
    int (*end)(void *cookie, const char *path, uint64_t size,
        const uint8_t sha256[DIGEST_BYTES]);
    void (*drop)(void *cookie);   /* the entry begun is abandoned */
    void (*refuse)(void *cookie, const char *raw, const char *reason);
};

struct export_scan_stats {
    uint64_t entries;      /* headers read */
    uint64_t accepted;     /* entries handed whole to ->end */
    uint64_t refused;
    uint64_t expanded;     /* entry bytes read, refused ones included */
};

/**
 * export_reader_new():
 * A libarchive reader for tar (any variant) and zip, bare or compressed
 * with gzip, bzip2 or xz.  NULL on failure; free with archive_read_free().
 */
struct archive *export_reader_new(void);

/**
 * export_scan(a, compressed, ops, cookie, st):
 * Walk the opened reader ${a} (whose input is ${compressed} bytes long)
 * as described at the top of this file.  Return EXPORT_OK once the end
 * is reached (some entries may have been refused), or EXPORT_EARCHIVE,
 * EXPORT_EBOMB or EXPORT_ECALLBACK.  ${st} is filled in every case.
 */
int export_scan(struct archive *a, uint64_t compressed,
    const struct export_scan_ops *ops, void *cookie,
    struct export_scan_stats *st);

#endif /* !EXPORT_H_ */
