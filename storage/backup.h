#ifndef BACKUP_H_
#define BACKUP_H_

#include <stdint.h>

#include "storage/storage.h"

/*
 * Operator backups of a data directory, as one tar file that any tar
 * reads (docs/EXPORT.md, "Operator backup"):
 *
 *   coffre-backup.txt               "format coffre-backup-v1", the time
 *   index.sqlite                    a consistent snapshot of the index
 *                                   (SQLite online backup API), taken
 *                                   while the daemon may be writing
 *   records/sha256/ab/cd/<hex>      every record object
 *   objects/sha256/ab/cd/<hex>      every payload blob the snapshot's live
 *                                   documents reference
 *   coffred.key                     the daemon's signing key, only if
 *                                   asked for (it is a secret)
 *   MANIFEST.sha256                 `sha256sum -c` lines for every member
 *                                   above, written last
 *
 * Objects are re-hashed as they are read, so a backup never carries a
 * corrupt object silently.  Restore refuses any other member, verifies
 * every object's digest as it is stored, checks the manifest against what
 * it stored, and moves the index into place only at the very end.
 */

#define BACKUP_FORMAT "coffre-backup-v1"

struct backup_report {
    uint64_t objects;        /* payload blobs */
    uint64_t records;        /* record objects */
    uint64_t bytes;          /* member bytes written or restored */
    uint64_t documents;      /* documents in the snapshot */
    int64_t snapshot;        /* time of the snapshot (seconds) */
};

/**
 * backup_create(datadir, out, with_key, rep):
 * Write a backup of ${datadir} to the tar file ${out}, which must not
 * exist; it appears (fsynced, renamed into place) only when complete.  The
 * daemon may be serving meanwhile.  With ${with_key}, DATA/coffred.key is
 * included.  Fill ${rep}.  Return 0, STORAGE_EEXIST if ${out} exists,
 * STORAGE_ECORRUPT if an object the snapshot references is missing or
 * does not match its id (run scrub), or another STORAGE_E* code.
 */
int backup_create(const char *datadir, const char *out, int with_key,
    struct backup_report *rep);

/**
 * backup_restore(archive, datadir, rep):
 * Restore the backup ${archive} into ${datadir}, which must be absent or
 * empty (created with mode 0700).  Every member is checked: its name, its
 * digest against the manifest and, for objects, against its id.  The
 * index appears last, so a failed restore leaves no usable data
 * directory.  A "restore" entry is appended to the operator audit chain.
 * Fill ${rep}.  Return 0, STORAGE_EEXIST if ${datadir} is not empty,
 * STORAGE_ECORRUPT if anything does not check (see storage_detail()), or
 * another STORAGE_E* code.
 */
int backup_restore(const char *archive, const char *datadir,
    struct backup_report *rep);

#endif /* !BACKUP_H_ */
