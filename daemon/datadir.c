/* Start-up checks on the data directory: the lock file, writability. */
#define _GNU_SOURCE

#include "daemon/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define DATADIR_PID_BUFLEN 32

/* Read the pid written in the lock file ${fd} into ${buf} ("?" if none). */
static void
holder(int fd, char *buf, size_t len)
{
    ssize_t n;
    size_t i;

    n = pread(fd, buf, len - 1, 0);
    if (n <= 0) {
        n = 0;
    }
    buf[n] = '\0';
    for (i = 0; buf[i] >= '0' && buf[i] <= '9'; i++) {
        continue;
    }
    buf[i] = '\0';
    if (i == 0) {
        strcpy(buf, "?");
    }
}

int
datadir_lock(const char *dir, int *fd)
{
    char path[4096], pid[DATADIR_PID_BUFLEN], old[DATADIR_PID_BUFLEN];
    int len, lfd;

    *fd = -1;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
        DATADIR_LOCK_FILE) >= sizeof(path)) {
        fprintf(stderr, "coffred: %s: path too long\n", dir);
        goto err0;
    }
    if ((lfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
        0600)) < 0) {
        fprintf(stderr, "coffred: %s: cannot create the lock file: %s%s\n",
            path, strerror(errno), errno == EROFS || errno == EACCES ||
            errno == EPERM ? " (the data directory must be writable)" : "");
        goto err0;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            holder(lfd, pid, sizeof(pid));
            fprintf(stderr, "coffred: %s is in use by another coffred "
                "(pid %s); stop it first\n", dir, pid);
        } else {
            fprintf(stderr, "coffred: %s: flock: %s\n", path,
                strerror(errno));
        }
        goto err1;
    }
    /* Not locked: any pid in the file is that of a process that died. */
    holder(lfd, old, sizeof(old));
    if (strcmp(old, "?") != 0 && atol(old) != (long)getpid()) {
        fprintf(stderr, "coffred: %s: the previous coffred (pid %s) did "
            "not stop cleanly; its lock is taken over\n", dir, old);
    }
    len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(lfd, 0) != 0 || pwrite(lfd, pid, (size_t)len, 0) != len) {
        fprintf(stderr, "coffred: %s: %s\n", path, strerror(errno));
        goto err1;
    }
    *fd = lfd;

    /* Success! */
    return (0);

err1:
    (void)close(lfd);
err0:
    /* Failure! */
    return (-1);
}

void
datadir_unlock(int fd)
{

    if (fd < 0) {
        return;
    }
    if (ftruncate(fd, 0) != 0) {
        /* Harmless: the next start only warns of an unclean stop. */
    }
    (void)close(fd);
}

int
datadir_writable(const char *dir)
{
    static const char *const dirs[] = { ".", "tmp", "objects", "records",
        NULL };
    static const char *const files[] = { "index.sqlite", "index.sqlite-wal",
        "index.sqlite-shm", NULL };
    int dfd, i, rc = 0;

    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "coffred: %s: %s\n", dir, strerror(errno));
        return (-1);
    }
    for (i = 0; dirs[i] != NULL && rc == 0; i++) {
        if (faccessat(dfd, dirs[i], W_OK | X_OK, AT_EACCESS) != 0 &&
            errno != ENOENT) {
            fprintf(stderr, "coffred: %s/%s: not writable: %s\n", dir,
                dirs[i], strerror(errno));
            rc = -1;
        }
    }
    for (i = 0; files[i] != NULL && rc == 0; i++) {
        if (faccessat(dfd, files[i], R_OK | W_OK, AT_EACCESS) != 0 &&
            errno != ENOENT) {
            fprintf(stderr, "coffred: %s/%s: not writable: %s\n", dir,
                files[i], strerror(errno));
            rc = -1;
        }
    }
    (void)close(dfd);
    return (rc);
}
