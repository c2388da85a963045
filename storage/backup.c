/* Operator backup and restore of a data directory (libarchive tar). */
#define _GNU_SOURCE

#include "storage/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/storage_internal.h"

#define BK_PATH_MAX 4096
#define BK_CHUNK (64 * 1024)
#define BK_HEADER_NAME "coffre-backup.txt"
#define BK_MANIFEST_NAME "MANIFEST.sha256"
#define BK_KEY_NAME "coffred.key"
#define BK_INDEX_NAME "index.sqlite"
#define BK_HEADER_MAX 4096
#define BK_KEY_MAX (64 * 1024)
#define BK_BUSY_TRIES 1000

static const char sql_live_blobs[] =
    "SELECT DISTINCT blob FROM documents WHERE state = 1";
static const char sql_records[] =
    "SELECT record FROM documents UNION SELECT record FROM grants"
    " UNION SELECT record FROM oppositions";
static const char sql_ndocs[] = "SELECT count(*) FROM documents";

/* Join ${a} and ${b} into ${buf}. */
static int
join(char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s/%s", a, b);

    if (n < 0 || (size_t)n >= len) {
        return (storage_fail(STORAGE_EINVAL, "path too long"));
    }
    return (0);
}

/* fsync the directory holding ${path} (or ${path} itself if ${isdir}). */
static int
sync_dir(const char *path, int isdir)
{
    char buf[BK_PATH_MAX], *slash;
    int fd, rc = 0;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        return (storage_fail(STORAGE_EINVAL, "path too long"));
    }
    if (!isdir) {
        if ((slash = strrchr(buf, '/')) == NULL) {
            strcpy(buf, ".");
        } else if (slash == buf) {
            buf[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        return (storage_errno(errno, "open directory"));
    }
    if (fsync(fd) != 0) {
        rc = storage_errno(errno, "fsync directory");
    }
    (void)close(fd);
    return (rc);
}

/* ------------------------------------------------------------------ */
/* Backup */

struct bk {
    struct archive *a;
    FILE *manifest;          /* sha256sum lines, added last */
    struct blobstore *objects, *records;
    struct backup_report *rep;
    uint8_t *buf;
};

/* Archive error as a storage code. */
static int
arc_fail(struct archive *a, const char *what)
{
    const char *m = archive_error_string(a);

    return (storage_fail(STORAGE_EIO, "%s: %s", what, m != NULL ? m : "?"));
}

/* Begin member ${name} of ${size} bytes. */
static int
member_begin(struct bk *b, const char *name, uint64_t size, int mode)
{
    struct archive_entry *e;
    int r;

    if ((e = archive_entry_new()) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "archive entry"));
    }
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, mode);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, b->rep->snapshot, 0);
    r = archive_write_header(b->a, e);
    archive_entry_free(e);
    return (r == ARCHIVE_OK ? 0 : arc_fail(b->a, name));
}

/*
 * Copy ${size} bytes of ${fd} into member ${name}, hashing them into
 * ${dig}; note the member in the manifest.
 */
static int
member_fd(struct bk *b, const char *name, int fd, uint64_t size, int mode,
    uint8_t dig[DIGEST_BYTES])
{
    struct digest *d;
    char hex[DIGEST_ID_BUFLEN];
    uint64_t left = size;
    ssize_t n;
    int rc;

    if ((rc = member_begin(b, name, size, mode)) != 0) {
        return (rc);
    }
    if ((d = digest_new()) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "digest"));
    }
    while (left > 0) {
        n = read(fd, b->buf, left < BK_CHUNK ? (size_t)left : BK_CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            digest_free(d);
            return (n < 0 ? storage_errno(errno, name)
                          : storage_fail(STORAGE_ECORRUPT, "%s: shorter "
                                "than its size", name));
        }
        digest_update(d, b->buf, (size_t)n);
        if (archive_write_data(b->a, b->buf, (size_t)n) != n) {
            digest_free(d);
            return (arc_fail(b->a, name));
        }
        left -= (uint64_t)n;
    }
    digest_final(d, dig);
    digest_free(d);
    if (archive_write_finish_entry(b->a) != ARCHIVE_OK) {
        return (arc_fail(b->a, name));
    }
    digest_id_format(dig, hex);
    if (fprintf(b->manifest, "%s  %s\n", hex + 7, name) < 0) {
        return (storage_errno(errno, "manifest"));
    }
    b->rep->bytes += size;
    return (0);
}

/* Member for a whole file ${path}. */
static int
member_file(struct bk *b, const char *name, const char *path, int mode)
{
    uint8_t dig[DIGEST_BYTES];
    struct stat st;
    int fd, rc;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return (storage_errno(errno, name));
    }
    if (fstat(fd, &st) != 0) {
        rc = storage_errno(errno, name);
    } else {
        rc = member_fd(b, name, fd, (uint64_t)st.st_size, mode, dig);
    }
    (void)close(fd);
    return (rc);
}

/* Member for object ${id} of ${bs} under "${ns}/sha256/ab/cd/hex". */
static int
member_object(struct bk *b, struct blobstore *bs, const char *ns,
    const uint8_t id[DIGEST_BYTES])
{
    char hex[DIGEST_ID_BUFLEN], name[128];
    uint8_t dig[DIGEST_BYTES];
    uint64_t size;
    int fd, rc;

    digest_id_format(id, hex);
    snprintf(name, sizeof(name), "%s/sha256/%.2s/%.2s/%s", ns, hex + 7,
        hex + 9, hex + 7);
    if ((rc = blobstore_open_read(bs, id, &fd, &size)) != 0) {
        if (rc == STORAGE_ENOTFOUND) {
            return (storage_fail(STORAGE_ECORRUPT, "missing %s (run "
                "coffred scrub)", name));
        }
        return (rc);
    }
    rc = member_fd(b, name, fd, size, 0600, dig);
    (void)close(fd);
    if (rc == 0 && memcmp(dig, id, DIGEST_BYTES) != 0) {
        rc = storage_fail(STORAGE_ECORRUPT, "corrupt %s (run coffred "
            "scrub)", name);
    }
    return (rc);
}

/* blobstore_iter_fn: every record object. */
static int
record_one(void *cookie, const uint8_t id[DIGEST_BYTES], uint64_t size,
    int64_t mtime)
{
    struct bk *b = cookie;
    int rc;

    (void)size;
    (void)mtime;
    if ((rc = member_object(b, b->records, "records", id)) == 0) {
        b->rep->records++;
    }
    return (rc);
}

/* Copy the live index into ${dst} with the online backup API. */
static int
snapshot(const char *src, const char *dst)
{
    sqlite3 *s = NULL, *d = NULL;
    sqlite3_backup *bk;
    int r, tries = 0, rc = STORAGE_EIO;

    if (sqlite3_open_v2(src, &s, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_open_v2(dst, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
        NULL) != SQLITE_OK) {
        rc = storage_fail(STORAGE_EIO, "open index: %s",
            sqlite3_errmsg(d != NULL ? d : s));
        goto done;
    }
    (void)sqlite3_busy_timeout(s, 10000);
    if ((bk = sqlite3_backup_init(d, "main", s, "main")) == NULL) {
        rc = storage_fail(STORAGE_EIO, "backup: %s", sqlite3_errmsg(d));
        goto done;
    }
    /* One step copies every page inside one read transaction. */
    while ((r = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY ||
        r == SQLITE_LOCKED) {
        if (++tries > BK_BUSY_TRIES) {
            break;
        }
        sqlite3_sleep(10);
    }
    if (sqlite3_backup_finish(bk) != SQLITE_OK || r != SQLITE_DONE) {
        rc = storage_fail(r == SQLITE_BUSY ? STORAGE_EBUSY : STORAGE_EIO,
            "backup: %s", sqlite3_errstr(r));
        goto done;
    }
    /* A self-contained file: no -wal beside it. */
    if (sqlite3_exec(d, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(d));
        goto done;
    }
    rc = 0;

done:
    (void)sqlite3_close(d);
    (void)sqlite3_close(s);
    return (rc);
}

/* Write the payload blobs the snapshot ${snap} references; check records. */
static int
snapshot_objects(struct bk *b, const char *snap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int r, rc = STORAGE_EIO;

    if (sqlite3_open_v2(snap, &db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }
    if (sqlite3_prepare_v2(db, sql_ndocs, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }
    b->rep->documents = (uint64_t)sqlite3_column_int64(st, 0);
    (void)sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, sql_live_blobs, -1, &st, NULL) != SQLITE_OK) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != DIGEST_BYTES) {
            rc = storage_fail(STORAGE_ECORRUPT, "malformed blob id");
            goto done;
        }
        if ((rc = member_object(b, b->objects, "objects",
            sqlite3_column_blob(st, 0))) != 0) {
            goto done;
        }
        b->rep->objects++;
    }
    (void)sqlite3_finalize(st);
    st = NULL;
    if (r != SQLITE_DONE) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }

    /* Every record the snapshot names was written before its row. */
    if (sqlite3_prepare_v2(db, sql_records, -1, &st, NULL) != SQLITE_OK) {
        rc = storage_fail(STORAGE_EIO, "snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != DIGEST_BYTES ||
            blobstore_exists(b->records, sqlite3_column_blob(st, 0)) != 0) {
            rc = storage_fail(STORAGE_ECORRUPT, "a record the index names "
                "is missing (run coffred scrub)");
            goto done;
        }
    }
    rc = (r == SQLITE_DONE) ? 0 : storage_fail(STORAGE_EIO, "snapshot: %s",
        sqlite3_errmsg(db));

done:
    (void)sqlite3_finalize(st);
    (void)sqlite3_close(db);
    return (rc);
}

/* Everything after the archive is open: the members in order. */
static int
backup_members(struct bk *b, const char *datadir, const char *snap,
    int with_key)
{
    char hdr[256], path[BK_PATH_MAX];
    uint8_t dig[DIGEST_BYTES];
    struct digest *d;
    long len;
    int n, rc;

    n = snprintf(hdr, sizeof(hdr), "format %s\nsnapshot %" PRId64 "\n",
        BACKUP_FORMAT, b->rep->snapshot);
    if ((rc = member_begin(b, BK_HEADER_NAME, (uint64_t)n, 0600)) != 0) {
        return (rc);
    }
    if (archive_write_data(b->a, hdr, (size_t)n) != n ||
        archive_write_finish_entry(b->a) != ARCHIVE_OK) {
        return (arc_fail(b->a, BK_HEADER_NAME));
    }
    digest_buf((const uint8_t *)hdr, (size_t)n, dig);
    digest_id_format(dig, path);
    fprintf(b->manifest, "%s  %s\n", path + 7, BK_HEADER_NAME);
    if ((rc = member_file(b, BK_INDEX_NAME, snap, 0600)) != 0 ||
        (rc = blobstore_iterate(b->records, record_one, b)) != 0 ||
        (rc = snapshot_objects(b, snap)) != 0) {
        return (rc);
    }
    if (with_key) {
        if ((rc = join(path, sizeof(path), datadir, BK_KEY_NAME)) != 0 ||
            (rc = member_file(b, BK_KEY_NAME, path, 0600)) != 0) {
            return (rc);
        }
    }

    /* The manifest itself, last. */
    if (fflush(b->manifest) != 0 || (len = ftell(b->manifest)) < 0 ||
        fseek(b->manifest, 0, SEEK_SET) != 0) {
        return (storage_errno(errno, "manifest"));
    }
    if ((rc = member_begin(b, BK_MANIFEST_NAME, (uint64_t)len, 0600)) != 0) {
        return (rc);
    }
    if ((d = digest_new()) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "digest"));
    }
    while ((n = (int)fread(b->buf, 1, BK_CHUNK, b->manifest)) > 0) {
        if (archive_write_data(b->a, b->buf, (size_t)n) != n) {
            digest_free(d);
            return (arc_fail(b->a, BK_MANIFEST_NAME));
        }
    }
    digest_free(d);
    if (ferror(b->manifest) ||
        archive_write_finish_entry(b->a) != ARCHIVE_OK) {
        return (arc_fail(b->a, BK_MANIFEST_NAME));
    }
    return (0);
}

int
backup_create(const char *datadir, const char *out, int with_key,
    struct backup_report *rep)
{
    char idx[BK_PATH_MAX], snap[BK_PATH_MAX], tmp[BK_PATH_MAX];
    struct bk b;
    int sfd = -1, ofd = -1, rc;

    memset(rep, 0, sizeof(*rep));
    memset(&b, 0, sizeof(b));
    b.rep = rep;
    storage_clear_detail();
    if (access(out, F_OK) == 0) {
        return (storage_fail(STORAGE_EEXIST, "%s exists", out));
    }
    if ((rc = join(idx, sizeof(idx), datadir, BK_INDEX_NAME)) != 0) {
        return (rc);
    }
    if (snprintf(snap, sizeof(snap), "%s.snap-XXXXXX", out) >=
        (int)sizeof(snap) || snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX",
        out) >= (int)sizeof(tmp)) {
        return (storage_fail(STORAGE_EINVAL, "path too long"));
    }
    if (access(idx, F_OK) != 0) {
        return (storage_fail(STORAGE_ENOTFOUND, "no index in %s", datadir));
    }
    if ((sfd = mkstemp(snap)) < 0) {
        return (storage_errno(errno, "snapshot file"));
    }
    (void)close(sfd);
    rep->snapshot = (int64_t)time(NULL);
    if ((rc = snapshot(idx, snap)) != 0) {
        goto err0;
    }
    rc = STORAGE_ENOMEM;
    if ((b.buf = malloc(BK_CHUNK)) == NULL) {
        goto err0;
    }
    if ((b.manifest = tmpfile()) == NULL) {
        rc = storage_errno(errno, "manifest");
        goto err1;
    }
    if ((rc = blobstore_open(datadir, &b.objects)) != 0 ||
        (rc = blobstore_open_ns(datadir, "records", &b.records)) != 0) {
        goto err2;
    }
    if ((ofd = mkstemp(tmp)) < 0) {
        rc = storage_errno(errno, "output");
        goto err2;
    }
    if ((b.a = archive_write_new()) == NULL ||
        archive_write_set_format_pax_restricted(b.a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(b.a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(b.a, ofd) != ARCHIVE_OK) {
        rc = storage_fail(STORAGE_EIO, "archive: cannot start");
        goto err3;
    }
    if ((rc = backup_members(&b, datadir, snap, with_key)) != 0) {
        goto err3;
    }
    if (archive_write_close(b.a) != ARCHIVE_OK) {
        rc = arc_fail(b.a, out);
        goto err3;
    }
    archive_write_free(b.a);
    b.a = NULL;
    if (fsync(ofd) != 0 || close(ofd) != 0) {
        ofd = -1;
        rc = storage_errno(errno, "fsync output");
        goto err3;
    }
    ofd = -1;
    if (rename(tmp, out) != 0) {
        rc = storage_errno(errno, "rename output");
        goto err3;
    }
    rc = sync_dir(out, 0);
    tmp[0] = '\0';

err3:
    if (b.a != NULL) {
        /* Not archive_write_fail(): it makes free() leak the client
         * state.  The trailer goes into the temp file being removed. */
        archive_write_free(b.a);
    }
    if (ofd >= 0) {
        (void)close(ofd);
    }
    if (tmp[0] != '\0') {
        (void)unlink(tmp);
    }
err2:
    blobstore_close(b.records);
    blobstore_close(b.objects);
    if (b.manifest != NULL) {
        (void)fclose(b.manifest);
    }
err1:
    free(b.buf);
err0:
    (void)unlink(snap);
    return (rc);
}

/* ------------------------------------------------------------------ */
/* Restore */

struct rs {
    struct archive *a;
    const char *datadir;
    struct blobstore *objects, *records;
    struct backup_report *rep;
    uint8_t *buf;
    uint64_t members;        /* members stored, manifest excluded */
    int have_header, have_index, have_key;
    uint8_t dig_header[DIGEST_BYTES], dig_index[DIGEST_BYTES];
    uint8_t dig_key[DIGEST_BYTES];
    uint64_t lines;          /* manifest lines checked */
    int listed_header, listed_index, listed_key; /* each at most once */
};

/* Is ${s} ${n} lowercase hex digits? */
static int
is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return (0);
        }
    }
    return (1);
}

/*
 * Parse "NS/sha256/ab/cd/<64 hex>" with NS "objects" or "records"; set
 * ${id} and return 1 for objects, 2 for records, 0 if not such a name.
 */
static int
object_name(const char *name, uint8_t id[DIGEST_BYTES])
{
    const char *h;
    int kind;

    if (strncmp(name, "objects/sha256/", 15) == 0) {
        kind = 1;
    } else if (strncmp(name, "records/sha256/", 15) == 0) {
        kind = 2;
    } else {
        return (0);
    }
    h = name + 15;
    if (strlen(h) != 6 + 2 * DIGEST_BYTES || h[2] != '/' || h[5] != '/' ||
        !is_hex(h, 2) || !is_hex(h + 3, 2) ||
        !is_hex(h + 6, 2 * DIGEST_BYTES) || memcmp(h, h + 6, 2) != 0 ||
        memcmp(h + 3, h + 8, 2) != 0 ||
        digest_hex_parse(h + 6, 2 * DIGEST_BYTES, id) != 0) {
        return (0);
    }
    return (kind);
}

/* Store the current member into object store ${bs} as ${id}. */
static int
restore_object(struct rs *r, struct blobstore *bs,
    const uint8_t id[DIGEST_BYTES], const char *name)
{
    struct blobstore_put *p;
    la_ssize_t n;
    int rc;

    if (blobstore_exists(bs, id) == 0) {
        return (storage_fail(STORAGE_ECORRUPT, "%s twice", name));
    }
    if ((rc = blobstore_put_begin(bs, id, 0, &p)) != 0) {
        return (rc);
    }
    while ((n = archive_read_data(r->a, r->buf, BK_CHUNK)) > 0) {
        if ((rc = blobstore_put_write(p, r->buf, (size_t)n)) != 0) {
            blobstore_put_abort(p);
            return (rc);
        }
        r->rep->bytes += (uint64_t)n;
    }
    if (n < 0) {
        blobstore_put_abort(p);
        return (arc_fail(r->a, name));
    }
    if ((rc = blobstore_put_commit(p)) == STORAGE_EDIGEST) {
        return (storage_fail(STORAGE_ECORRUPT, "%s: bytes do not match "
            "its id", name));
    }
    return (rc);
}

/* Write the current member to new file ${path} (at most ${max} bytes). */
static int
restore_file(struct rs *r, const char *path, uint64_t max,
    uint8_t dig[DIGEST_BYTES], char *copy, size_t copylen)
{
    struct digest *d;
    uint64_t total = 0;
    la_ssize_t n;
    ssize_t w;
    size_t off;
    int fd, rc = 0;

    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
        O_NOFOLLOW, 0600)) < 0) {
        return (storage_errno(errno, path));
    }
    if ((d = digest_new()) == NULL) {
        (void)close(fd);
        return (storage_fail(STORAGE_ENOMEM, "digest"));
    }
    while (rc == 0 && (n = archive_read_data(r->a, r->buf, BK_CHUNK)) > 0) {
        if ((total += (uint64_t)n) > max) {
            rc = storage_fail(STORAGE_ETOOBIG, "%s: too large", path);
            break;
        }
        if (copy != NULL && total < copylen) {
            memcpy(copy + total - (uint64_t)n, r->buf, (size_t)n);
            copy[total] = '\0';
        }
        digest_update(d, r->buf, (size_t)n);
        for (off = 0; off < (size_t)n; off += (size_t)w) {
            if ((w = write(fd, r->buf + off, (size_t)n - off)) < 0) {
                if (errno == EINTR) {
                    w = 0;
                    continue;
                }
                rc = storage_errno(errno, path);
                break;
            }
        }
    }
    if (rc == 0 && n < 0) {
        rc = arc_fail(r->a, path);
    }
    if (rc == 0 && fsync(fd) != 0) {
        rc = storage_errno(errno, path);
    }
    digest_final(d, dig);
    digest_free(d);
    if (close(fd) != 0 && rc == 0) {
        rc = storage_errno(errno, path);
    }
    r->rep->bytes += total;
    return (rc);
}

/* Check one manifest line "HEX  NAME" against what was stored. */
static int
manifest_line(struct rs *r, char *line)
{
    uint8_t want[DIGEST_BYTES], id[DIGEST_BYTES];
    const char *name;
    int kind;

    if (strlen(line) < 2 * DIGEST_BYTES + 3 ||
        line[2 * DIGEST_BYTES] != ' ' || line[2 * DIGEST_BYTES + 1] != ' ' ||
        digest_hex_parse(line, 2 * DIGEST_BYTES, want) != 0) {
        return (storage_fail(STORAGE_ECORRUPT, "malformed manifest line"));
    }
    name = line + 2 * DIGEST_BYTES + 2;
    r->lines++;
    if (strcmp(name, BK_HEADER_NAME) == 0) {
        if (r->listed_header++ != 0) {
            return (storage_fail(STORAGE_ECORRUPT, "manifest lists %s "
                "twice", name));
        }
        return (r->have_header && memcmp(want, r->dig_header,
            DIGEST_BYTES) == 0 ? 0 : storage_fail(STORAGE_ECORRUPT,
            "%s does not match the manifest", name));
    }
    if (strcmp(name, BK_INDEX_NAME) == 0) {
        if (r->listed_index++ != 0) {
            return (storage_fail(STORAGE_ECORRUPT, "manifest lists %s "
                "twice", name));
        }
        return (r->have_index && memcmp(want, r->dig_index,
            DIGEST_BYTES) == 0 ? 0 : storage_fail(STORAGE_ECORRUPT,
            "%s does not match the manifest", name));
    }
    if (strcmp(name, BK_KEY_NAME) == 0) {
        if (r->listed_key++ != 0) {
            return (storage_fail(STORAGE_ECORRUPT, "manifest lists %s "
                "twice", name));
        }
        return (r->have_key && memcmp(want, r->dig_key, DIGEST_BYTES) ==
            0 ? 0 : storage_fail(STORAGE_ECORRUPT,
            "%s does not match the manifest", name));
    }
    if ((kind = object_name(name, id)) == 0 ||
        memcmp(id, want, DIGEST_BYTES) != 0 ||
        blobstore_exists(kind == 1 ? r->objects : r->records, id) != 0) {
        return (storage_fail(STORAGE_ECORRUPT, "manifest names %s, which "
            "the archive did not hold", name));
    }
    return (0);
}

/* Read the manifest member line by line and check each. */
static int
restore_manifest(struct rs *r)
{
    char line[256];
    size_t len = 0, i;
    la_ssize_t n;
    int rc;

    while ((n = archive_read_data(r->a, r->buf, BK_CHUNK)) > 0) {
        for (i = 0; i < (size_t)n; i++) {
            if (r->buf[i] != '\n') {
                if (len + 1 >= sizeof(line)) {
                    return (storage_fail(STORAGE_ECORRUPT,
                        "manifest line too long"));
                }
                line[len++] = (char)r->buf[i];
                continue;
            }
            line[len] = '\0';
            len = 0;
            if ((rc = manifest_line(r, line)) != 0) {
                return (rc);
            }
        }
    }
    if (n < 0) {
        return (arc_fail(r->a, BK_MANIFEST_NAME));
    }
    if (len != 0) {
        return (storage_fail(STORAGE_ECORRUPT, "manifest: last line "
            "unfinished"));
    }
    if (r->lines != r->members) {
        return (storage_fail(STORAGE_ECORRUPT, "the manifest lists %" PRIu64
            " members, the archive holds %" PRIu64, r->lines, r->members));
    }

    /*
     * Objects are checked against their names; the header, the index and
     * the key only against the manifest, so each must have its own line.
     */
    if (r->listed_header != r->have_header ||
        r->listed_index != r->have_index || r->listed_key != r->have_key) {
        return (storage_fail(STORAGE_ECORRUPT, "the manifest does not list "
            "every member"));
    }
    return (0);
}

/* Restore one member ${name}; set *${done} after the manifest. */
static int
restore_member(struct rs *r, struct archive_entry *e, int *done)
{
    const char *name = archive_entry_pathname(e);
    char path[BK_PATH_MAX], hdr[BK_HEADER_MAX + 1], want[64];
    uint8_t id[DIGEST_BYTES];
    int kind, rc;

    if (name == NULL || archive_entry_filetype(e) != AE_IFREG ||
        archive_entry_hardlink(e) != NULL) {
        return (storage_fail(STORAGE_ECORRUPT, "unexpected member (not a "
            "regular file)"));
    }
    if (!r->have_header && strcmp(name, BK_HEADER_NAME) != 0) {
        return (storage_fail(STORAGE_ECORRUPT, "not a coffre backup"));
    }
    if (strcmp(name, BK_HEADER_NAME) == 0) {
        if (r->have_header) {
            return (storage_fail(STORAGE_ECORRUPT, "two headers"));
        }
        if ((rc = join(path, sizeof(path), r->datadir,
            ".backup-header")) != 0) {
            return (rc);
        }
        hdr[0] = '\0';
        rc = restore_file(r, path, BK_HEADER_MAX, r->dig_header, hdr,
            sizeof(hdr));
        (void)unlink(path);
        snprintf(want, sizeof(want), "format %s\n", BACKUP_FORMAT);
        if (rc == 0 && strncmp(hdr, want, strlen(want)) != 0) {
            rc = storage_fail(STORAGE_ECORRUPT, "unknown backup format");
        }
        if (rc == 0 && sscanf(hdr + strlen(want), "snapshot %" SCNd64,
            &r->rep->snapshot) != 1) {
            r->rep->snapshot = 0;
        }
        r->have_header = 1;
    } else if (strcmp(name, BK_INDEX_NAME) == 0 && !r->have_index) {
        if ((rc = join(path, sizeof(path), r->datadir,
            "index.sqlite.restoring")) == 0) {
            rc = restore_file(r, path, UINT64_MAX, r->dig_index, NULL, 0);
        }
        r->have_index = 1;
    } else if (strcmp(name, BK_KEY_NAME) == 0 && !r->have_key) {
        if ((rc = join(path, sizeof(path), r->datadir, BK_KEY_NAME)) == 0) {
            rc = restore_file(r, path, BK_KEY_MAX, r->dig_key, NULL, 0);
        }
        r->have_key = 1;
    } else if (strcmp(name, BK_MANIFEST_NAME) == 0) {
        *done = 1;
        return (restore_manifest(r));
    } else if ((kind = object_name(name, id)) != 0) {
        rc = restore_object(r, kind == 1 ? r->objects : r->records, id,
            name);
        if (rc == 0) {
            if (kind == 1) {
                r->rep->objects++;
            } else {
                r->rep->records++;
            }
        }
    } else {
        return (storage_fail(STORAGE_ECORRUPT, "unexpected member"));
    }
    r->members++;
    return (rc);
}

/* ${dir} absent (then created) or an empty directory. */
static int
empty_dir(const char *dir)
{
    struct dirent *de;
    DIR *d;
    int n = 0;

    if (mkdir(dir, 0700) == 0) {
        return (0);
    }
    if (errno != EEXIST) {
        return (storage_errno(errno, dir));
    }
    if ((d = opendir(dir)) == NULL) {
        return (storage_errno(errno, dir));
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            n++;
        }
    }
    (void)closedir(d);
    return (n == 0 ? 0 : storage_fail(STORAGE_EEXIST, "%s is not empty",
        dir));
}

/* After every check: the index into place, and the operator's trace. */
static int
restore_finish(struct rs *r)
{
    char from[BK_PATH_MAX], to[BK_PATH_MAX], detail[CATALOG_DETAIL_BUFLEN];
    struct catalog *cat;
    int rc;

    if ((rc = join(from, sizeof(from), r->datadir,
        "index.sqlite.restoring")) != 0 ||
        (rc = join(to, sizeof(to), r->datadir, BK_INDEX_NAME)) != 0) {
        return (rc);
    }
    if (rename(from, to) != 0) {
        return (storage_errno(errno, "rename index"));
    }
    if ((rc = sync_dir(r->datadir, 1)) != 0 ||
        (rc = catalog_open(r->datadir, &cat)) != 0) {
        return (rc);
    }
    (void)snprintf(detail, sizeof(detail), "snapshot %" PRId64 " objects %"
        PRIu64 " records %" PRIu64, r->rep->snapshot, r->rep->objects,
        r->rep->records);
    rc = catalog_audit_append(cat, CATALOG_CHAIN_OPERATOR,
        CATALOG_ACTOR_OPERATOR, "restore", "", detail);
    catalog_close(cat);
    return (rc);
}

int
backup_restore(const char *archive, const char *datadir,
    struct backup_report *rep)
{
    struct archive_entry *e;
    struct rs r;
    int rc, x, done = 0;

    memset(rep, 0, sizeof(*rep));
    memset(&r, 0, sizeof(r));
    r.rep = rep;
    r.datadir = datadir;
    storage_clear_detail();
    if ((rc = empty_dir(datadir)) != 0) {
        return (rc);
    }
    if ((r.buf = malloc(BK_CHUNK)) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "buffer"));
    }
    if ((rc = blobstore_open(datadir, &r.objects)) != 0 ||
        (rc = blobstore_open_ns(datadir, "records", &r.records)) != 0) {
        goto done;
    }
    if ((r.a = archive_read_new()) == NULL ||
        archive_read_support_format_tar(r.a) != ARCHIVE_OK ||
        archive_read_support_filter_gzip(r.a) != ARCHIVE_OK ||
        archive_read_open_filename(r.a, archive, BK_CHUNK) != ARCHIVE_OK) {
        rc = r.a != NULL ? arc_fail(r.a, archive)
                         : storage_fail(STORAGE_ENOMEM, "archive");
        goto done;
    }
    while (!done) {
        x = archive_read_next_header(r.a, &e);
        if (x == ARCHIVE_EOF) {
            break;
        }
        if (x != ARCHIVE_OK) {
            rc = storage_fail(STORAGE_ECORRUPT, "archive: %s",
                archive_error_string(r.a) != NULL ?
                archive_error_string(r.a) : "unreadable");
            goto done;
        }
        if ((rc = restore_member(&r, e, &done)) != 0) {
            goto done;
        }
    }
    if (!done || !r.have_index ||
        archive_read_next_header(r.a, &e) != ARCHIVE_EOF) {
        rc = storage_fail(STORAGE_ECORRUPT, done ? "members after the "
            "manifest" : "incomplete backup: no manifest or no index");
        goto done;
    }
    rc = restore_finish(&r);

done:
    if (r.a != NULL) {
        archive_read_free(r.a);
    }
    blobstore_close(r.records);
    blobstore_close(r.objects);
    free(r.buf);
    return (rc);
}
