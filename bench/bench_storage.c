/*
 * Storage benchmark.  Prints what it measured:
 *  - 100 KiB objects put through the blob store (hash while writing, fsync,
 *    rename, directory fsync) at 1 and 8 writer threads, beside the raw
 *    rate of plain write + fsync + rename + directory fsync of the same
 *    bytes into the same layout on the same disk;
 *  - durable index inserts (document deposits, audit appends) from 1
 *    thread and from 8 (group commit);
 *  - SHA-256 alone over the same bytes: through crypto/digest.c, and
 *    libsodium's and OpenSSL libcrypto's directly (loaded at run time).
 * usage: bench_storage [DIR]   (default $TMPDIR or /tmp)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"

#define OBJ_BYTES (100 * 1024)
#define NOBJ 480                /* per run; divisible by 1 and 8 */
#define NINSERT 480
#define HASH_ROUNDS 20

static uint8_t *objs;           /* NOBJ objects of OBJ_BYTES */
static uint8_t ids[NOBJ][DIGEST_BYTES];

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
die(const char *what)
{

    fprintf(stderr, "bench_storage: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Raw durable write of object ${i} into ${root}: temp file, write, fsync,
 * rename into ab/cd/<hex>, fsync that directory. */
static void
raw_put(const char *root, size_t i)
{
    char hex[DIGEST_ID_BUFLEN], tmp[4096], dir[4096], dst[4200];
    const uint8_t *p = objs + i * OBJ_BYTES;
    size_t off;
    ssize_t w;
    int fd, dfd;

    digest_id_format(ids[i], hex);
    (void)snprintf(tmp, sizeof(tmp), "%s/tmp/raw-%zu", root, i);
    (void)snprintf(dir, sizeof(dir), "%s/o/%.2s", root, hex + 7);
    (void)mkdir(dir, 0700);
    (void)snprintf(dir, sizeof(dir), "%s/o/%.2s/%.2s", root, hex + 7,
        hex + 9);
    (void)mkdir(dir, 0700);
    (void)snprintf(dst, sizeof(dst), "%s/%s", dir, hex + 7);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        die("open");
    }
    for (off = 0; off < OBJ_BYTES; off += (size_t)w) {
        if ((w = write(fd, p + off, OBJ_BYTES - off)) <= 0) {
            die("write");
        }
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        die("fsync");
    }
    if (rename(tmp, dst) != 0) {
        die("rename");
    }
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        fsync(dfd) != 0) {
        die("fsync dir");
    }
    (void)close(dfd);
}

struct worker {
    const char *root;
    struct blobstore *bs;
    struct catalog *cat;
    const char *vault;
    size_t from, to;
    int mode;
    int rc;
};

enum { W_RAW, W_STORE, W_DEPOSIT, W_AUDIT };

static void *
work(void *arg)
{
    static const uint8_t hdr[] = "age-encryption.org/v1\n-> X25519 bench\n";
    struct worker *w = arg;
    struct catalog_deposit in;
    char id[CATALOG_ID_BUFLEN];
    size_t i;

    for (i = w->from; i < w->to && w->rc == 0; i++) {
        switch (w->mode) {
        case W_RAW:
            raw_put(w->root, i);
            break;
        case W_STORE:
            w->rc = blobstore_put_buf(w->bs, ids[i], objs + i * OBJ_BYTES,
                OBJ_BYTES);
            break;
        case W_DEPOSIT:
            memset(&in, 0, sizeof(in));
            in.vault = in.depositor = w->vault;
            in.doc_class = "payslip";
            memcpy(in.blob, ids[i % NOBJ], DIGEST_BYTES);
            in.size = OBJ_BYTES;
            in.meta = objs + i;
            in.metalen = 512;
            in.signature = "untrusted comment: bench\nRW...\n";
            in.owner_header = hdr;
            in.owner_headerlen = sizeof(hdr);
            w->rc = catalog_document_insert(w->cat, &in, id);
            break;
        case W_AUDIT:
            w->rc = catalog_audit_append(w->cat, w->vault, w->vault,
                "document.read", "bench", "");
            break;
        default:
            w->rc = -1;
        }
    }
    return (NULL);
}

/* CPU seconds (user + system) used by the process so far. */
static double
cpu_s(void)
{
    struct rusage ru;

    (void)getrusage(RUSAGE_SELF, &ru);
    return ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

/* CPU microseconds per item of the last run(). */
static double last_cpu_us;

/* Run ${n} items of ${mode} over ${threads} threads; return items/s. */
static double
run(int mode, int threads, size_t n, const char *root, struct blobstore *bs,
    struct catalog *cat, const char *vault)
{
    struct worker w[8];
    pthread_t t[8];
    double t0, t1, c0;
    int i;

    c0 = cpu_s();
    t0 = now_s();
    for (i = 0; i < threads; i++) {
        w[i] = (struct worker){root, bs, cat, vault,
            (size_t)i * n / (size_t)threads,
            (size_t)(i + 1) * n / (size_t)threads, mode, 0};
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
            die("pthread_create");
        }
    }
    for (i = 0; i < threads; i++) {
        (void)pthread_join(t[i], NULL);
        if (w[i].rc != 0) {
            fprintf(stderr, "bench_storage: worker failed: %s\n",
                storage_detail());
            exit(1);
        }
    }
    t1 = now_s();
    last_cpu_us = (cpu_s() - c0) * 1e6 / (double)n;
    return ((double)n / (t1 - t0));
}

static char *
subdir(const char *base, const char *name)
{
    char *p;

    if (asprintf(&p, "%s/%s", base, name) < 0) {
        die("asprintf");
    }
    return (p);
}

/* Fresh raw root with its tmp and o folders. */
static char *
raw_root(const char *base, const char *name)
{
    char *r = subdir(base, name), *s;

    if (mkdir(r, 0700) != 0) {
        die("mkdir");
    }
    s = subdir(r, "tmp");
    (void)mkdir(s, 0700);
    free(s);
    s = subdir(r, "o");
    (void)mkdir(s, 0700);
    free(s);
    return (r);
}

/* Make the fan-out folders of every object under ${root} (for a store
 * root: DATA/objects/sha256), as in a store that has been in use. */
static void
precreate(const char *root)
{
    char hex[DIGEST_ID_BUFLEN], d[4200];
    size_t i;

    for (i = 0; i < NOBJ; i++) {
        digest_id_format(ids[i], hex);
        (void)snprintf(d, sizeof(d), "%s/%.2s", root, hex + 7);
        (void)mkdir(d, 0700);
        (void)snprintf(d, sizeof(d), "%s/%.2s/%.2s", root, hex + 7, hex + 9);
        (void)mkdir(d, 0700);
    }
    sync();
}

/* Raw and blob store puts at 1 and 8 writers, in fresh roots; with
 * ${warm}, the fan-out folders exist already (a store in use). */
static void
bench_puts(const char *dir, int warm)
{
    const char *tag = warm ? "warm" : "fresh";
    double raw[2], st[2], rawcpu[2], stcpu[2];
    struct blobstore *bs;
    char name[64], *r, *s, *o;
    int k, threads;

    for (k = 0; k < 2; k++) {
        threads = k == 0 ? 1 : 8;
        (void)snprintf(name, sizeof(name), "raw-%s-%d", tag, threads);
        r = raw_root(dir, name);
        if (warm) {
            o = subdir(r, "o");
            precreate(o);
            free(o);
        }
        raw[k] = run(W_RAW, threads, NOBJ, r, NULL, NULL, NULL);
        rawcpu[k] = last_cpu_us;
        (void)snprintf(name, sizeof(name), "store-%s-%d", tag, threads);
        s = subdir(dir, name);
        if (warm) {
            if (blobstore_open(s, &bs) != 0) {
                die("blobstore_open");
            }
            blobstore_close(bs);
            o = subdir(s, "objects/sha256");
            precreate(o);
            free(o);
        }
        if (blobstore_open(s, &bs) != 0) {
            die("blobstore_open");
        }
        st[k] = run(W_STORE, threads, NOBJ, NULL, bs, NULL, NULL);
        stcpu[k] = last_cpu_us;
        blobstore_close(bs);
        free(r);
        free(s);
    }
    for (k = 0; k < 2; k++) {
        threads = k == 0 ? 1 : 8;
        printf("%s fan-out, %d writer%s: raw write+fsync+rename+dir fsync "
            "%7.1f objects/s, blobstore put %7.1f objects/s (%.0f%% of raw);"
            " CPU per object %.0f us raw, %.0f us blobstore\n", tag,
            threads, threads > 1 ? "s" : " ", raw[k], st[k],
            100.0 * st[k] / raw[k], rawcpu[k], stcpu[k]);
    }
}

typedef unsigned char *(*sha256_fn)(const unsigned char *, size_t,
    unsigned char *);
typedef int (*sodium_sha256_fn)(unsigned char *, const unsigned char *,
    unsigned long long);

/* Hash every object HASH_ROUNDS times with ${f} (one of the three kinds
 * below) and print the rate. */
static void
time_hash(const char *label, sha256_fn ossl, sodium_sha256_fn sod)
{
    uint8_t out[DIGEST_BYTES];
    double t0, t1, mb;
    size_t r, i;

    mb = (double)NOBJ * OBJ_BYTES * HASH_ROUNDS / (1024.0 * 1024.0);
    t0 = now_s();
    for (r = 0; r < HASH_ROUNDS; r++) {
        for (i = 0; i < NOBJ; i++) {
            if (ossl != NULL) {
                (void)ossl(objs + i * OBJ_BYTES, OBJ_BYTES, out);
            } else if (sod != NULL) {
                (void)sod(out, objs + i * OBJ_BYTES, OBJ_BYTES);
            } else {
                digest_buf(objs + i * OBJ_BYTES, OBJ_BYTES, out);
            }
        }
    }
    t1 = now_s();
    printf("sha256 %s: %.0f MiB/s (%.1f us per 100 KiB object)\n", label,
        mb / (t1 - t0), (t1 - t0) * 1e6 / (double)(NOBJ * HASH_ROUNDS));
}

/* SHA-256 alone: what crypto/digest.c uses, and both libraries directly
 * (loaded at run time, so the benchmark links neither on its own). */
static void
bench_hash(void)
{
    void *lib;
    void *sym;

    time_hash("crypto/digest.c", NULL, NULL);
    if ((lib = dlopen("libsodium.so.23", RTLD_NOW | RTLD_LOCAL)) != NULL &&
        (sym = dlsym(lib, "crypto_hash_sha256")) != NULL) {
        time_hash("libsodium", NULL, (sodium_sha256_fn)(uintptr_t)sym);
    } else {
        printf("sha256 libsodium: not available\n");
    }
    if (lib != NULL) {
        dlclose(lib);
    }
    if ((lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL)) != NULL &&
        (sym = dlsym(lib, "SHA256")) != NULL) {
        time_hash("libcrypto", (sha256_fn)(uintptr_t)sym, NULL);
    } else {
        printf("sha256 libcrypto: not available\n");
    }
    if (lib != NULL) {
        dlclose(lib);
    }
}

int
main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] :
        (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    struct catalog_account p;
    struct catalog *cat;
    char tmpl[4096], *dir, *c1;
    double dep1, dep8, au1, au8;
    size_t i;

    (void)snprintf(tmpl, sizeof(tmpl), "%s/bench-storage-XXXXXX", base);
    if ((dir = mkdtemp(tmpl)) == NULL) {
        die("mkdtemp");
    }
    if ((objs = malloc((size_t)NOBJ * OBJ_BYTES)) == NULL) {
        die("malloc");
    }
    secmem_random(objs, (size_t)NOBJ * OBJ_BYTES);
    for (i = 0; i < NOBJ; i++) {
        digest_buf(objs + i * OBJ_BYTES, OBJ_BYTES, ids[i]);
    }
    printf("storage benchmark in %s: %d objects of %d KiB per run\n", dir,
        NOBJ, OBJ_BYTES / 1024);

    /* Same bytes, same disk, new roots for each run. */
    bench_puts(dir, 0);
    bench_puts(dir, 1);

    c1 = subdir(dir, "catalog");
    if (catalog_open(c1, &cat) != 0) {
        die("catalog_open");
    }
    memset(&p, 0, sizeof(p));
    p.kind = CATALOG_KIND_PERSON;
    strcpy(p.vault, "V-BENCH");
    p.state = CATALOG_STATE_ACTIVE;
    if (catalog_account_create(cat, "operator", &p) != 0) {
        die("account");
    }
    dep1 = run(W_DEPOSIT, 1, NINSERT, NULL, NULL, cat, p.id);
    dep8 = run(W_DEPOSIT, 8, NINSERT, NULL, NULL, cat, p.id);
    au1 = run(W_AUDIT, 1, NINSERT, NULL, NULL, cat, p.id);
    au8 = run(W_AUDIT, 8, NINSERT, NULL, NULL, cat, p.id);
    catalog_close(cat);
    printf("document insert (record object + commit), 1 thread:  %7.1f/s\n",
        dep1);
    printf("document insert (record object + commit), 8 threads: %7.1f/s\n",
        dep8);
    printf("index-only commit (audit append), 1 thread:          %7.1f/s\n",
        au1);
    printf("index-only commit (audit append), 8 threads:         %7.1f/s"
        " (group commit)\n", au8);
    bench_hash();

    free(objs);
    {
        char cmd[8192];

        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_storage: could not remove %s\n", dir);
        }
    }
    free(c1);
    return (0);
}
