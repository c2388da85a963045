/* Operator commands on a data directory: reindex, scrub, gc. */
#include "daemon/ops.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/datadir.h"
#include "storage/maint.h"
#include "storage/storage.h"

#define OPS_EXIT_OK 0
#define OPS_EXIT_PROBLEM 1
#define OPS_EXIT_USAGE 2

/* Print the usage of the operator commands. */
static int
usage(void)
{

    fprintf(stderr,
        "usage: coffred reindex --data DIR\n"
        "       coffred scrub --data DIR [--quarantine]\n"
        "       coffred gc --data DIR [--grace SECONDS] [--apply]\n");
    return (OPS_EXIT_USAGE);
}

/* Strict decimal parse of a non-negative number of seconds. */
static int
parse_seconds(const char *s, int64_t *v)
{
    char *end;
    long long n;

    if (s[0] < '0' || s[0] > '9') {
        return (-1);
    }
    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0) {
        return (-1);
    }
    *v = (int64_t)n;
    return (0);
}

int
ops_main(int argc, char **argv)
{
    struct maint_report rep;
    struct stat st;
    const char *cmd, *data = NULL;
    int64_t grace = MAINT_GC_GRACE_DEFAULT;
    int quarantine = 0, apply = 0;
    int i, rc, lockfd;

    if (argc < 1) {
        return (usage());
    }
    cmd = argv[0];
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(argv[i], "--quarantine") == 0 &&
            strcmp(cmd, "scrub") == 0) {
            quarantine = 1;
        } else if (strcmp(argv[i], "--apply") == 0 &&
            strcmp(cmd, "gc") == 0) {
            apply = 1;
        } else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc &&
            strcmp(cmd, "gc") == 0) {
            if (parse_seconds(argv[++i], &grace) != 0) {
                fprintf(stderr, "coffred %s: bad --grace\n", cmd);
                return (OPS_EXIT_USAGE);
            }
        } else {
            return (usage());
        }
    }
    if (data == NULL || data[0] == '\0') {
        return (usage());
    }
    /* Never create a store by mistyping its path. */
    if (stat(data, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "coffred %s: %s: not a data directory\n", cmd,
            data);
        return (OPS_EXIT_PROBLEM);
    }
    if (strcmp(cmd, "reindex") == 0) {
        /* The index is replaced: never under a running daemon. */
        if (datadir_lock(data, &lockfd) != 0) {
            return (OPS_EXIT_PROBLEM);
        }
        rc = maint_reindex(data, stdout, &rep);
        datadir_unlock(lockfd);
    } else if (strcmp(cmd, "scrub") == 0) {
        rc = maint_scrub(data, quarantine, stdout, &rep);
        if (rc == STORAGE_ECORRUPT) {
            fprintf(stderr, "coffred scrub: problems found: %s\n",
                storage_detail());
            return (OPS_EXIT_PROBLEM);
        }
    } else if (strcmp(cmd, "gc") == 0) {
        rc = maint_gc(data, grace, apply, stdout, &rep);
    } else {
        return (usage());
    }
    if (fflush(stdout) != 0) {
        rc = rc ? rc : STORAGE_EIO;
    }
    if (rc != 0) {
        fprintf(stderr, "coffred %s: %s: %s\n", cmd, storage_strerror(rc),
            storage_detail());
        return (OPS_EXIT_PROBLEM);
    }
    return (OPS_EXIT_OK);
}
