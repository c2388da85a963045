#define _GNU_SOURCE
#include "tests/util/storage_tu.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
storage_tu_mkdtemp(void)
{
    const char *t = getenv("TMPDIR");
    char *p;

    if (t == NULL || t[0] == '\0') {
        t = "/tmp";
    }
    if (asprintf(&p, "%s/coffre-storage-XXXXXX", t) < 0) {
        abort();
    }
    if (mkdtemp(p) == NULL) {
        abort();
    }
    return (p);
}

/* nftw callback: remove one entry. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

    (void)st;
    (void)flag;
    (void)f;
    (void)remove(path);
    return (0);
}

void
storage_tu_rmrf(const char *path)
{

    (void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
storage_tu_nfiles(const char *dir)
{
    struct dirent *de;
    DIR *d;
    int n = 0;

    if ((d = opendir(dir)) == NULL) {
        return (-1);
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            n++;
        }
    }
    (void)closedir(d);
    return (n);
}

int
storage_tu_nfds(void)
{

    /* The directory stream itself holds one descriptor. */
    return (storage_tu_nfiles("/proc/self/fd") - 1);
}

void
storage_tu_fill(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
}
