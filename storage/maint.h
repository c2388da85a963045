#ifndef MAINT_H_
#define MAINT_H_

#include <stdint.h>
#include <stdio.h>

#include "crypto/digest.h"
#include "storage/storage.h"

/*
 * Operator maintenance over a data directory: rebuild the index from the
 * record objects, check every object, collect garbage.  Each run appends an
 * entry to the operator audit chain (CATALOG_CHAIN_OPERATOR).  Progress and
 * findings are written as lines of text to the ${out} stream given (the
 * daemon's ops command passes stdout); storage itself never prints
 * otherwise.
 */

struct maint_report {
    uint64_t objects;        /* objects examined */
    uint64_t records;        /* record objects examined */
    uint64_t documents;      /* documents restored (reindex) */
    uint64_t grants;         /* grants restored (reindex) */
    uint64_t accounts;       /* accounts restored (reindex) */
    uint64_t missing;        /* referenced but absent (scrub) */
    uint64_t corrupt;        /* content does not match id (scrub) */
    uint64_t quarantined;    /* moved aside (scrub --quarantine) */
    uint64_t unreferenced;   /* gc candidates older than the grace */
    uint64_t removed;        /* deleted by gc --apply */
    uint64_t young;          /* unreferenced but within the grace */
    uint64_t bytes;          /* bytes of unreferenced (gc) */
    uint64_t chains;         /* audit chains verified (scrub) */
    uint64_t broken;         /* audit chains that fail to verify (scrub) */
    uint64_t index_errors;   /* lines of SQLite's quick_check (scrub) */
};

/**
 * maint_reindex(datadir, out, rep):
 * Rebuild DATA/index.sqlite from the record objects in DATA/records alone:
 * build a new index in DATA/index.sqlite.new, then rename it over the old
 * one (the old one, if any, is kept as DATA/index.sqlite.old).  The daemon
 * must not be running.  Fill ${rep}.  Return 0 or a STORAGE_E* code.
 */
int maint_reindex(const char *datadir, FILE *out, struct maint_report *rep);

/**
 * maint_scrub(datadir, quarantine, out, rep):
 * Check the index itself (SQLite's quick_check), re-hash every payload and
 * record object, report corrupt ones (and the documents, grants or
 * oppositions that use them) and objects referenced by the index but
 * missing, and verify every audit chain.  With ${quarantine}, corrupt
 * objects are moved to DATA/quarantine.  Return 0 if everything is clean,
 * STORAGE_ECORRUPT if anything is missing, corrupt or broken, or another
 * STORAGE_E* code on failure (an index SQLite cannot open at all).
 */
int maint_scrub(const char *datadir, int quarantine, FILE *out,
    struct maint_report *rep);

/**
 * maint_gc(datadir, grace, apply, out, rep):
 * Find payload objects that no live document references and whose mtime is
 * older than ${grace} seconds; list them, and delete them if ${apply}.
 * Record objects are never collected.  Return 0 or a STORAGE_E* code.
 */
int maint_gc(const char *datadir, int64_t grace, int apply, FILE *out,
    struct maint_report *rep);

#define MAINT_GC_GRACE_DEFAULT (24 * 3600)

#endif /* !MAINT_H_ */
