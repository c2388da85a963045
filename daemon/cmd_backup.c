/* coffred backup and coffred restore: the operator's side of backups. */
#include "daemon/cmd_backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "storage/backup.h"
#include "storage/storage.h"

/* Print the usage; return 2. */
static int
usage(void)
{

    fprintf(stderr,
        "usage: coffred backup -o FILE.tar [--data DIR] [--with-key]\n"
        "       coffred restore FILE.tar --data DIR\n");
    return (2);
}

int
cmd_backup_main(int argc, char **argv)
{
    struct backup_report rep;
    const char *data = NULL, *out = NULL, *in = NULL;
    int i, rc, with_key = 0, restore;

    if (argc < 1) {
        return (usage());
    }
    restore = strcmp(argv[0], "restore") == 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (!restore && strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (!restore && strcmp(argv[i], "--with-key") == 0) {
            with_key = 1;
        } else if (restore && in == NULL && argv[i][0] != '-') {
            in = argv[i];
        } else {
            return (usage());
        }
    }
    if (restore) {
        if (in == NULL || data == NULL) {
            return (usage());
        }
        if ((rc = backup_restore(in, data, &rep)) != 0) {
            fprintf(stderr, "coffred restore: %s: %s\n",
                storage_strerror(rc), storage_detail());
            return (1);
        }
        printf("restore: %" PRIu64 " objects, %" PRIu64 " records, %" PRIu64
            " bytes, every digest verified, snapshot %" PRId64 "\n",
            rep.objects, rep.records, rep.bytes, rep.snapshot);
        return (0);
    }
    if (out == NULL) {
        return (usage());
    }
    if ((rc = backup_create(data != NULL ? data : "./var", out, with_key,
        &rep)) != 0) {
        fprintf(stderr, "coffred backup: %s: %s\n", storage_strerror(rc),
            storage_detail());
        return (1);
    }
    printf("backup: %" PRIu64 " documents, %" PRIu64 " objects, %" PRIu64
        " records, %" PRIu64 " bytes, snapshot %" PRId64 "%s\n",
        rep.documents, rep.objects, rep.records, rep.bytes, rep.snapshot,
        with_key ? ", signing key included" : "");
    return (0);
}
