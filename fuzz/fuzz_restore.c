/*
 * `coffred restore` reads an operator backup: a tar file that has spent
 * time on other media and may be damaged or crafted.  Restore must never
 * crash, never write outside the data directory it was given, and a
 * restore that fails must leave no index behind (backup.h: "a failed
 * restore leaves no usable data directory").
 *
 * Each input is written to a file and restored into a fresh directory,
 * under /dev/shm when there is one (restore fsyncs every member).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

/* nftw callback: remove one entry. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

    (void)st;
    (void)flag;
    (void)f;
    return (remove(path));
}

/* Abort if ${base} holds anything but in.tar and data/. */
static void
base_check(void)
{
    struct dirent *e;
    DIR *d;

    if ((d = opendir(base)) == NULL) {
        abort();
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "in.tar") != 0 &&
            strcmp(e->d_name, "data") != 0) {
            abort();
        }
    }
    closedir(d);
}

/* At exit: remove the folder of the runs. */
static void
base_remove(void)
{

    (void)nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Make the folder that holds every run's files, once. */
static void
base_init(void)
{
    const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    if (base[0] != '\0') {
        return;
    }
    snprintf(base, sizeof(base), "%s/fuzz-restore-XXXXXX", root);
    if (mkdtemp(base) == NULL) {
        abort();
    }
    atexit(base_remove);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct backup_report rep;
    char tar[128], dir[128], idx[160];
    struct stat st;
    int fd, rc;

    base_init();
    snprintf(tar, sizeof(tar), "%s/in.tar", base);
    snprintf(dir, sizeof(dir), "%s/data", base);
    snprintf(idx, sizeof(idx), "%s/index.sqlite", dir);
    if ((fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
        (size > 0 && write(fd, data, size) != (ssize_t)size) ||
        close(fd) != 0) {
        abort();
    }
    rc = backup_restore(tar, dir, &rep);
    /* A failed restore leaves no index to open. */
    if (rc != 0 && stat(idx, &st) == 0) {
        abort();
    }
    /* Nothing lands beside the data directory. */
    base_check();
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return (0);
}
