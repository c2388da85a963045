/* Filesystem backend of the blob store: DATA/<ns>/sha256/ab/cd/<hex>. */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore.h"
#include "storage/blobstore_internal.h"
#include "storage/storage_internal.h"

#define FS_HEX_LEN (2 * DIGEST_BYTES)
#define FS_PATH_LEN (6 + FS_HEX_LEN)        /* "ab/cd/" + hex */
#define FS_TMPNAME_BUFLEN 64

struct fsstore {
    struct blobstore base;
    int datafd;                 /* DATA */
    int rootfd;                 /* DATA/<ns>/sha256 */
    int tmpfd;                  /* DATA/tmp */

    /*
     * Fan-out directories whose entry this process has made durable (by
     * fsyncing the parent after seeing the directory exist).  A directory
     * another thread or process just created may exist before its entry is
     * durable, so "mkdir said EEXIST" is not enough: the first put through
     * each directory fsyncs its parent once.
     */
    pthread_mutex_t lock;
    int scanned;                /* fs_mark_existing() has run */
    uint8_t durable1[256 / 8];
    uint8_t durable2[65536 / 8];
};

struct fsput {
    struct fsstore *s;
    int fd;
    char tmpname[FS_TMPNAME_BUFLEN];
    uint8_t id[DIGEST_BYTES];
};

/* Write the lowercase hex of ${id} and a NUL into ${hex}. */
static void
fs_hex(const uint8_t id[DIGEST_BYTES], char hex[FS_HEX_LEN + 1])
{
    char full[DIGEST_ID_BUFLEN];

    digest_id_format(id, full);
    memcpy(hex, full + 7, FS_HEX_LEN + 1);
}

/* Write "ab/cd/<hex>" for ${id} into ${path}. */
static void
fs_path(const uint8_t id[DIGEST_BYTES], char path[FS_PATH_LEN + 1])
{
    char hex[FS_HEX_LEN + 1];

    fs_hex(id, hex);
    memcpy(path, hex, 2);
    path[2] = '/';
    memcpy(path + 3, hex + 2, 2);
    path[5] = '/';
    memcpy(path + 6, hex, FS_HEX_LEN + 1);
}

/* fsync ${fd}, retrying on EINTR. */
static int
fs_fsync(int fd, const char *what)
{

    while (fsync(fd) != 0) {
        if (errno != EINTR) {
            return (storage_errno(errno, what));
        }
    }
    return (0);
}

/* When fs_mkdir_open() fsyncs the parent directory. */
#define FS_SYNC_ALWAYS 0        /* entry durability unknown */
#define FS_SYNC_NEVER 1         /* known durable already */
#define FS_SYNC_IF_MADE 2       /* top-level folders made once at setup */

/* Open directory ${name} under ${dirfd}, creating it if absent, and fsync
 * ${dirfd} as ${sync} says so that the entry is durable. */
static int
fs_mkdir_open(int dirfd, const char *name, int sync, int *out)
{
    int made = 0;
    int fd;
    int rc;

    *out = -1;
    if (mkdirat(dirfd, name, 0700) == 0) {
        made = 1;
    } else if (errno != EEXIST) {
        return (storage_errno(errno, "mkdir"));
    }
    if ((sync == FS_SYNC_ALWAYS || (sync == FS_SYNC_IF_MADE && made)) &&
        (rc = fs_fsync(dirfd, "fsync directory")) != 0) {
        return (rc);
    }
    if ((fd = openat(dirfd, name,
        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return (storage_errno(errno, "open directory"));
    }
    *out = fd;
    return (0);
}

/* Return whether bit ${i} of ${map} is set, under the store's lock. */
static int
fs_bit_get(struct fsstore *s, const uint8_t *map, size_t i)
{
    int v;

    pthread_mutex_lock(&s->lock);
    v = (map[i / 8] >> (i % 8)) & 1;
    pthread_mutex_unlock(&s->lock);
    return (v);
}

/* Set bit ${i} of ${map} under the store's lock. */
static void
fs_bit_set(struct fsstore *s, uint8_t *map, size_t i)
{

    pthread_mutex_lock(&s->lock);
    map[i / 8] |= (uint8_t)(1u << (i % 8));
    pthread_mutex_unlock(&s->lock);
}

/* Close ${fd} if it is open. */
static void
fs_close(int fd)
{

    if (fd >= 0) {
        (void)close(fd);
    }
}

static int fs_put_begin(struct blobstore *, const uint8_t *, void **);
static int fs_put_write(void *, const uint8_t *, size_t);
static int fs_put_commit(void *);
static void fs_put_abort(void *);
static int fs_open_read(struct blobstore *, const uint8_t *, int *,
    uint64_t *);
static int fs_stat(struct blobstore *, const uint8_t *, uint64_t *,
    int64_t *);
static int fs_del(struct blobstore *, const uint8_t *);
static int fs_quarantine(struct blobstore *, const uint8_t *);
static int fs_iterate(struct blobstore *, blobstore_iter_fn, void *);
static void fs_free(struct blobstore *);
static void fs_mark_existing(struct fsstore *);

static const struct blobstore_ops fs_ops = {
    .put_begin = fs_put_begin,
    .put_write = fs_put_write,
    .put_commit = fs_put_commit,
    .put_abort = fs_put_abort,
    .open_read = fs_open_read,
    .stat = fs_stat,
    .del = fs_del,
    .quarantine = fs_quarantine,
    .iterate = fs_iterate,
    .close = fs_free,
};

int
blobstore_fs_new(const char *datadir, const char *ns, struct blobstore **out)
{
    struct fsstore *s;
    int nsfd;
    int rc;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return (storage_errno(errno, "calloc"));
    }
    s->base.ops = &fs_ops;
    pthread_mutex_init(&s->lock, NULL);
    s->datafd = s->rootfd = s->tmpfd = nsfd = -1;
    if (mkdir(datadir, 0700) != 0 && errno != EEXIST) {
        rc = storage_errno(errno, "mkdir data directory");
        goto err;
    }
    if ((s->datafd = open(datadir,
        O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = storage_errno(errno, "open data directory");
        goto err;
    }
    if ((rc = fs_mkdir_open(s->datafd, ns, FS_SYNC_IF_MADE, &nsfd)) != 0 ||
        (rc = fs_mkdir_open(nsfd, "sha256", FS_SYNC_IF_MADE,
        &s->rootfd)) != 0 ||
        (rc = fs_mkdir_open(s->datafd, "tmp", FS_SYNC_IF_MADE,
        &s->tmpfd)) != 0) {
        goto err;
    }
    fs_close(nsfd);

    /* Success! */
    *out = &s->base;
    return (0);

err:
    fs_close(nsfd);
    fs_free(&s->base);

    /* Failure! */
    return (rc);
}

/* Close the directories of ${bs} and free it. */
static void
fs_free(struct blobstore *bs)
{
    struct fsstore *s = (struct fsstore *)bs;

    fs_close(s->tmpfd);
    fs_close(s->rootfd);
    fs_close(s->datafd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Start a put: a fresh temp file, unless the object is already there. */
static int
fs_put_begin(struct blobstore *bs, const uint8_t *id, void **bp)
{
    struct fsstore *s = (struct fsstore *)bs;
    char path[FS_PATH_LEN + 1];
    uint8_t rnd[8];
    struct fsput *p;
    int rc;

    *bp = NULL;
    if ((rc = fs_stat(bs, id, NULL, NULL)) == 0) {
        /* Present already: restart its gc grace period, since a client
         * that uploads it again is about to reference it. */
        fs_path(id, path);
        (void)utimensat(s->rootfd, path, NULL, AT_SYMLINK_NOFOLLOW);
        return (0);
    } else if (rc != STORAGE_ENOTFOUND) {
        return (rc);
    }
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return (storage_errno(errno, "calloc"));
    }
    p->s = s;
    memcpy(p->id, id, DIGEST_BYTES);
    secmem_random(rnd, sizeof(rnd));
    (void)snprintf(p->tmpname, sizeof(p->tmpname),
        "put-%ld-%02x%02x%02x%02x%02x%02x%02x%02x", (long)getpid(),
        rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if ((p->fd = openat(s->tmpfd, p->tmpname,
        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        rc = storage_errno(errno, "create temp file");
        free(p);
        return (rc);
    }
    *bp = p;
    return (0);
}

/* Append bytes to the temp file, through short writes and EINTR. */
static int
fs_put_write(void *bp, const uint8_t *buf, size_t len)
{
    struct fsput *p = bp;
    ssize_t w;

    while (len > 0) {
        if ((w = write(p->fd, buf, len)) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return (storage_errno(errno, "write"));
        }
        if (w == 0) {
            return (storage_fail(STORAGE_EIO, "write: no progress"));
        }
        buf += w;
        len -= (size_t)w;
    }
    return (0);
}

/* Remove the temp file and free ${bp}. */
static void
fs_put_abort(void *bp)
{
    struct fsput *p = bp;

    fs_close(p->fd);
    (void)unlinkat(p->s->tmpfd, p->tmpname, 0);
    free(p);
}

/* fsync the temp file, rename it into its fan-out directory (created and
 * made durable if new), fsync that directory. */
static int
fs_put_commit(void *bp)
{
    struct fsput *p = bp;
    char path[FS_PATH_LEN + 1];
    int d1 = -1, d2 = -1;
    size_t i1, i2;
    int fd;
    int rc;

    if ((rc = fs_fsync(p->fd, "fsync")) != 0) {
        goto err;
    }
    fd = p->fd;
    p->fd = -1;
    if (close(fd) != 0) {
        rc = storage_errno(errno, "close");
        goto err;
    }
    i1 = p->id[0];
    i2 = (size_t)p->id[0] << 8 | p->id[1];
    if (!fs_bit_get(p->s, p->s->durable2, i2)) {
        fs_mark_existing(p->s);
    }
    fs_path(p->id, path);
    path[2] = '\0';
    if ((rc = fs_mkdir_open(p->s->rootfd, path,
        fs_bit_get(p->s, p->s->durable1, i1) ? FS_SYNC_NEVER :
        FS_SYNC_ALWAYS, &d1)) != 0) {
        goto err;
    }
    fs_bit_set(p->s, p->s->durable1, i1);
    path[5] = '\0';
    if ((rc = fs_mkdir_open(d1, path + 3,
        fs_bit_get(p->s, p->s->durable2, i2) ? FS_SYNC_NEVER :
        FS_SYNC_ALWAYS, &d2)) != 0) {
        goto err;
    }
    fs_bit_set(p->s, p->s->durable2, i2);
    if (renameat(p->s->tmpfd, p->tmpname, d2, path + 6) != 0) {
        rc = storage_errno(errno, "rename");
        goto err;
    }
    /* From here on the temp name is gone; only durability is pending. */
    p->tmpname[0] = '\0';
    if ((rc = fs_fsync(d2, "fsync directory")) != 0) {
        /*
         * The object in place has the right bytes but may not be durable.
         * It is not removed: a concurrent put of the same id may have
         * been acknowledged through this very name.  Unreferenced, it is
         * garbage for gc; the failure is reported.
         */
        goto err;
    }
    fs_close(d2);
    fs_close(d1);
    free(p);

    /* Success! */
    return (0);

err:
    fs_close(d2);
    fs_close(d1);
    fs_close(p->fd);
    if (p->tmpname[0] != '\0') {
        (void)unlinkat(p->s->tmpfd, p->tmpname, 0);
    }
    free(p);

    /* Failure! */
    return (rc);
}

static int
fs_open_read(struct blobstore *bs, const uint8_t *id, int *fdp,
    uint64_t *size)
{
    struct fsstore *s = (struct fsstore *)bs;
    char path[FS_PATH_LEN + 1];
    struct stat st;
    int fd;

    fs_path(id, path);
    if ((fd = openat(s->rootfd, path,
        O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return (storage_errno(errno, "open object"));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)close(fd);
        return (storage_fail(STORAGE_EIO, "object is not a regular file"));
    }
    *fdp = fd;
    *size = (uint64_t)st.st_size;
    return (0);
}

static int
fs_stat(struct blobstore *bs, const uint8_t *id, uint64_t *size,
    int64_t *mtime)
{
    struct fsstore *s = (struct fsstore *)bs;
    char path[FS_PATH_LEN + 1];
    struct stat st;

    fs_path(id, path);
    if (fstatat(s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return (storage_errno(errno, "stat object"));
    }
    if (!S_ISREG(st.st_mode)) {
        return (storage_fail(STORAGE_EIO, "object is not a regular file"));
    }
    if (size != NULL) {
        *size = (uint64_t)st.st_size;
    }
    if (mtime != NULL) {
        *mtime = (int64_t)st.st_mtime;
    }
    return (0);
}

/* Open the fan-out directory "ab/cd" of ${id}. */
static int
fs_open_leaf(struct fsstore *s, const uint8_t *id, int *out)
{
    char path[FS_PATH_LEN + 1];

    fs_path(id, path);
    path[5] = '\0';
    if ((*out = openat(s->rootfd, path,
        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return (storage_errno(errno, "open directory"));
    }
    return (0);
}

static int
fs_del(struct blobstore *bs, const uint8_t *id)
{
    struct fsstore *s = (struct fsstore *)bs;
    char path[FS_PATH_LEN + 1];
    int d;
    int rc;

    fs_path(id, path);
    if ((rc = fs_open_leaf(s, id, &d)) != 0) {
        return (rc);
    }
    if (unlinkat(d, path + 6, 0) != 0) {
        rc = storage_errno(errno, "unlink object");
    } else {
        rc = fs_fsync(d, "fsync directory");
    }
    (void)close(d);
    return (rc);
}

static int
fs_quarantine(struct blobstore *bs, const uint8_t *id)
{
    struct fsstore *s = (struct fsstore *)bs;
    char path[FS_PATH_LEN + 1];
    char name[FS_HEX_LEN + 16];
    struct stat st;
    int qfd, d;
    int i;
    int rc;

    fs_path(id, path);
    if ((rc = fs_mkdir_open(s->datafd, "quarantine", FS_SYNC_IF_MADE,
        &qfd)) != 0) {
        return (rc);
    }
    if ((rc = fs_open_leaf(s, id, &d)) != 0) {
        goto done;
    }
    memcpy(name, path + 6, FS_HEX_LEN + 1);
    for (i = 1; fstatat(qfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0; i++) {
        (void)snprintf(name, sizeof(name), "%s.%d", path + 6, i);
    }
    if (renameat(d, path + 6, qfd, name) != 0) {
        rc = storage_errno(errno, "rename to quarantine");
    } else if ((rc = fs_fsync(qfd, "fsync quarantine")) == 0) {
        rc = fs_fsync(d, "fsync directory");
    }
    (void)close(d);
done:
    (void)close(qfd);
    return (rc);
}

/* Return 1 if ${s} is exactly ${n} lowercase hex digits. */
static int
fs_is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return (0);
        }
    }
    return (s[n] == '\0');
}

/* Open directory ${fd} (duplicated) as a DIR stream. */
static DIR *
fs_opendir(int fd, const char *name)
{
    DIR *dir;
    int d;

    if ((d = openat(fd, name,
        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return (NULL);
    }
    if ((dir = fdopendir(d)) == NULL) {
        (void)close(d);
    }
    return (dir);
}

/* Report every well-formed object of leaf directory "a/b". */
static int
fs_iterate_leaf(int leaffd, const char *a, const char *b,
    blobstore_iter_fn fn, void *cookie)
{
    uint8_t id[DIGEST_BYTES];
    struct dirent *de;
    struct stat st;
    DIR *dir;
    int rc = 0;

    if ((dir = fs_opendir(leaffd, ".")) == NULL) {
        return (storage_errno(errno, "open directory"));
    }
    while ((de = readdir(dir)) != NULL) {
        if (!fs_is_hex(de->d_name, FS_HEX_LEN) ||
            memcmp(de->d_name, a, 2) != 0 ||
            memcmp(de->d_name + 2, b, 2) != 0 ||
            digest_hex_parse(de->d_name, FS_HEX_LEN, id) != 0) {
            continue;
        }
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode)) {
            continue;       /* removed meanwhile, or not ours */
        }
        if ((rc = fn(cookie, id, (uint64_t)st.st_size,
            (int64_t)st.st_mtime)) != 0) {
            break;
        }
    }
    (void)closedir(dir);
    return (rc);
}

static int
fs_iterate(struct blobstore *bs, blobstore_iter_fn fn, void *cookie)
{
    struct fsstore *s = (struct fsstore *)bs;
    struct dirent *d1e, *d2e;
    DIR *dir1, *dir2;
    int leaf;
    int rc = 0;

    if ((dir1 = fs_opendir(s->rootfd, ".")) == NULL) {
        return (storage_errno(errno, "open store"));
    }
    while (rc == 0 && (d1e = readdir(dir1)) != NULL) {
        if (!fs_is_hex(d1e->d_name, 2)) {
            continue;
        }
        if ((dir2 = fs_opendir(dirfd(dir1), d1e->d_name)) == NULL) {
            continue;
        }
        while (rc == 0 && (d2e = readdir(dir2)) != NULL) {
            if (!fs_is_hex(d2e->d_name, 2)) {
                continue;
            }
            if ((leaf = openat(dirfd(dir2), d2e->d_name,
                O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
                continue;
            }
            rc = fs_iterate_leaf(leaf, d1e->d_name, d2e->d_name, fn,
                cookie);
            (void)close(leaf);
        }
        (void)closedir(dir2);
    }
    (void)closedir(dir1);
    return (rc);
}

/*
 * Flush the whole filesystem once (syncfs), after which every fan-out
 * directory that exists now has a durable entry: mark them all, so that
 * puts into existing directories need no parent fsync.  Directories made
 * later are handled by fs_mkdir_open() and the bitmaps.  Run lazily, by the
 * first put that meets a directory not known durable, so that processes
 * that only read or scrub never pay for it.
 */
static void
fs_mark_existing(struct fsstore *s)
{
    struct dirent *d1e, *d2e;
    DIR *dir1, *dir2;
    unsigned v1, v2;

    pthread_mutex_lock(&s->lock);
    if (s->scanned) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    s->scanned = 1;
    pthread_mutex_unlock(&s->lock);
    if (syncfs(s->rootfd) != 0) {
        return;     /* then every directory gets its own fsync */
    }
    if ((dir1 = fs_opendir(s->rootfd, ".")) == NULL) {
        return;
    }
    while ((d1e = readdir(dir1)) != NULL) {
        if (!fs_is_hex(d1e->d_name, 2) ||
            sscanf(d1e->d_name, "%2x", &v1) != 1) {
            continue;
        }
        fs_bit_set(s, s->durable1, v1);
        if ((dir2 = fs_opendir(dirfd(dir1), d1e->d_name)) == NULL) {
            continue;
        }
        while ((d2e = readdir(dir2)) != NULL) {
            if (fs_is_hex(d2e->d_name, 2) &&
                sscanf(d2e->d_name, "%2x", &v2) == 1) {
                fs_bit_set(s, s->durable2, (size_t)(v1 << 8 | v2));
            }
        }
        (void)closedir(dir2);
    }
    (void)closedir(dir1);
}

int
blobstore_fs_tmpdir_clean(const char *datadir)
{
    struct dirent *de;
    DIR *dir;
    char *end;
    long pid;
    int tmpfd;
    int n = 0;

    if ((tmpfd = open(datadir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        return (storage_errno(errno, "open data directory"));
    }
    dir = fs_opendir(tmpfd, "tmp");
    (void)close(tmpfd);
    if (dir == NULL) {
        return (errno == ENOENT ? 0 : storage_errno(errno, "open tmp"));
    }
    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, "put-", 4) != 0) {
            continue;
        }
        errno = 0;
        pid = strtol(de->d_name + 4, &end, 10);
        if (errno != 0 || end == de->d_name + 4 || *end != '-' || pid <= 0) {
            continue;
        }
        /* Only the files of processes that are gone: a running daemon's
         * puts in flight must survive an operator command. */
        if (pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
            errno == ESRCH &&
            unlinkat(dirfd(dir), de->d_name, 0) == 0) {
            n++;
        }
    }
    (void)closedir(dir);
    return (n);
}
