/* Audit hash chains, one per vault plus the operator's. */
#include "storage/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/auditlog.h"
#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "storage/catalog_internal.h"
#include "storage/storage_internal.h"

static const char sql_head[] =
    "SELECT seq, hash FROM audit WHERE chain = ?1 ORDER BY seq DESC LIMIT 1";
static const char sql_insert[] =
    "INSERT INTO audit (chain, seq, time, actor, action, target, detail,"
    " prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_list[] =
    "SELECT chain, seq, time, actor, action, target, detail, prev, hash"
    " FROM audit WHERE chain = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

void
catalog_audit_entry_hash(const struct catalog_audit_entry *e,
    uint8_t out[DIGEST_BYTES])
{
    struct auditlog_entry a;

    /* One definition of the chain for the server and the client. */
    memset(&a, 0, sizeof(a));
    a.seq = e->seq;
    a.time = e->time;
    a.chain = e->chain;
    a.actor = e->actor;
    a.action = e->action;
    a.target = e->target;
    a.detail = e->detail;
    memcpy(a.prev, e->prev, DIGEST_BYTES);
    /* On allocation failure the output is all 0xff, matching nothing. */
    (void)auditlog_hash(&a, out);
}

/* Read the head of ${chain} on ${c}. */
static int
head_conn(struct catalog_conn *c, const char *chain, uint64_t *seq,
    uint8_t hash[DIGEST_BYTES])
{
    sqlite3_stmt *st;
    int rc;

    *seq = 0;
    memset(hash, 0, DIGEST_BYTES);
    if ((st = catalog_stmt(c, sql_head)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != DIGEST_BYTES) {
            (void)sqlite3_reset(st);
            return (storage_fail(STORAGE_ECORRUPT, "bad audit hash"));
        }
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(hash, sqlite3_column_blob(st, 1), DIGEST_BYTES);
    } else if (rc != SQLITE_DONE) {
        rc = catalog_sqlerr(c, rc, "audit head");
        (void)sqlite3_reset(st);
        return (rc);
    }
    (void)sqlite3_reset(st);
    return (0);
}

/* Fill ${e}'s text fields, checking their lengths. */
static int
fill_entry(struct catalog_audit_entry *e, const char *chain,
    const char *actor, const char *action, const char *target,
    const char *detail)
{

    if (target == NULL) {
        target = "";
    }
    if (detail == NULL) {
        detail = "";
    }
    if (!catalog_text_ok(chain, sizeof(e->chain)) || chain[0] == '\0' ||
        !catalog_text_ok(actor, sizeof(e->actor)) ||
        !catalog_text_ok(action, sizeof(e->action)) || action[0] == '\0' ||
        !catalog_text_ok(target, sizeof(e->target)) ||
        !catalog_text_ok(detail, sizeof(e->detail))) {
        return (storage_fail(STORAGE_EINVAL, "bad audit entry"));
    }
    memcpy(e->chain, chain, strlen(chain) + 1);
    memcpy(e->actor, actor, strlen(actor) + 1);
    memcpy(e->action, action, strlen(action) + 1);
    memcpy(e->target, target, strlen(target) + 1);
    memcpy(e->detail, detail, strlen(detail) + 1);
    return (0);
}

int
catalog_audit_conn(struct catalog_conn *c, const char *chain,
    const char *actor, const char *action, const char *target,
    const char *detail, int64_t now)
{
    struct catalog_audit_entry e;
    sqlite3_stmt *st;
    int rc;

    memset(&e, 0, sizeof(e));
    if ((rc = fill_entry(&e, chain, actor, action, target, detail)) != 0) {
        return (rc);
    }
    if ((rc = head_conn(c, chain, &e.seq, e.prev)) != 0) {
        return (rc);
    }
    e.seq++;
    e.time = now;
    catalog_audit_entry_hash(&e, e.hash);
    if ((st = catalog_stmt(c, sql_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, e.chain, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 2, (sqlite3_int64)e.seq);
    (void)sqlite3_bind_int64(st, 3, e.time);
    (void)sqlite3_bind_text(st, 4, e.actor, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 5, e.action, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 6, e.target, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 7, e.detail, -1, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 8, e.prev, DIGEST_BYTES, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 9, e.hash, DIGEST_BYTES, SQLITE_STATIC);
    return (catalog_step_done(c, st, "audit append"));
}

struct append_arg {
    const char *chain, *actor, *action, *target, *detail;
};

/* Write op of catalog_audit_append(). */
static int
op_append(struct catalog_conn *c, void *arg)
{
    struct append_arg *a = arg;

    return (catalog_audit_conn(c, a->chain, a->actor, a->action, a->target,
        a->detail, (int64_t)time(NULL)));
}

int
catalog_audit_append(struct catalog *cat, const char *chain,
    const char *actor, const char *action, const char *target,
    const char *detail)
{
    struct catalog_audit_entry e;
    struct append_arg a = {chain, actor, action, target, detail};
    int rc;

    storage_clear_detail();
    /* Check before queueing, so that a bad entry fails alone. */
    if ((rc = fill_entry(&e, chain, actor, action, target, detail)) != 0) {
        return (rc);
    }
    return (catalog_write(cat, op_append, &a));
}

/* Read one audit row. */
static int
row_entry(sqlite3_stmt *st, struct catalog_audit_entry *e)
{

    memset(e, 0, sizeof(*e));
    if (catalog_copy_col(st, 0, e->chain, sizeof(e->chain)) != 0 ||
        catalog_copy_col(st, 3, e->actor, sizeof(e->actor)) != 0 ||
        catalog_copy_col(st, 4, e->action, sizeof(e->action)) != 0 ||
        catalog_copy_col(st, 5, e->target, sizeof(e->target)) != 0 ||
        catalog_copy_col(st, 6, e->detail, sizeof(e->detail)) != 0 ||
        sqlite3_column_bytes(st, 7) != DIGEST_BYTES ||
        sqlite3_column_bytes(st, 8) != DIGEST_BYTES) {
        return (storage_fail(STORAGE_ECORRUPT, "bad audit row"));
    }
    e->seq = (uint64_t)sqlite3_column_int64(st, 1);
    e->time = sqlite3_column_int64(st, 2);
    memcpy(e->prev, sqlite3_column_blob(st, 7), DIGEST_BYTES);
    memcpy(e->hash, sqlite3_column_blob(st, 8), DIGEST_BYTES);
    return (0);
}

/* List entries of ${chain} after ${after} on connection ${c}. */
static int
list_conn(struct catalog_conn *c, const char *chain, uint64_t after,
    size_t limit, struct catalog_audit_entry **v, size_t *n)
{
    struct catalog_audit_entry *a;
    sqlite3_stmt *st;
    size_t k = 0;
    int rc;

    if ((a = calloc(limit, sizeof(*a))) == NULL) {
        return (storage_fail(STORAGE_ENOMEM, "calloc"));
    }
    if ((st = catalog_stmt(c, sql_list)) == NULL) {
        free(a);
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
    (void)sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == limit || (rc = row_entry(st, &a[k])) != 0) {
            rc = rc ? rc : storage_fail(STORAGE_EIO, "audit list overrun");
            goto err;
        }
        k++;
    }
    if (rc != SQLITE_DONE) {
        rc = catalog_sqlerr(c, rc, "audit list");
        goto err;
    }
    (void)sqlite3_reset(st);
    *v = a;
    *n = k;
    return (0);

err:
    (void)sqlite3_reset(st);
    free(a);
    return (rc);
}

int
catalog_audit_list(struct catalog *cat, const char *chain, uint64_t after,
    size_t limit, struct catalog_audit_entry **v, size_t *n)
{
    struct catalog_conn *c;
    int rc;

    *v = NULL;
    *n = 0;
    if (limit == 0) {
        limit = 100;
    }
    if (!catalog_text_ok(chain, CATALOG_ACTOR_BUFLEN) ||
        limit > CATALOG_LIST_MAX) {
        return (storage_fail(STORAGE_EINVAL, "bad audit query"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = list_conn(c, chain, after, limit, v, n);
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_audit_head(struct catalog *cat, const char *chain, uint64_t *seq,
    uint8_t hash[DIGEST_BYTES])
{
    struct catalog_conn *c;
    int rc;

    *seq = 0;
    memset(hash, 0, DIGEST_BYTES);
    if (!catalog_text_ok(chain, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad chain"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    rc = head_conn(c, chain, seq, hash);
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_audit_verify(struct catalog *cat, const char *chain,
    uint64_t *bad_seq)
{
    struct catalog_audit_entry *v;
    uint8_t prev[DIGEST_BYTES];
    uint8_t h[DIGEST_BYTES];
    uint64_t expect = 1, after = 0;
    struct catalog_conn *c;
    size_t n, i;
    int rc;

    if (bad_seq != NULL) {
        *bad_seq = 0;
    }
    if (!catalog_text_ok(chain, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad chain"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    /* One read transaction, so that appends do not race the walk. */
    if ((rc = catalog_exec(c, "BEGIN")) != 0) {
        goto done;
    }
    memset(prev, 0, sizeof(prev));
    do {
        if ((rc = list_conn(c, chain, after, CATALOG_LIST_MAX, &v, &n)) != 0) {
            break;
        }
        for (i = 0; i < n && rc == 0; i++, expect++) {
            catalog_audit_entry_hash(&v[i], h);
            if (v[i].seq != expect || strcmp(v[i].chain, chain) != 0 ||
                !secmem_eq(v[i].prev, prev, DIGEST_BYTES) ||
                !secmem_eq(v[i].hash, h, DIGEST_BYTES)) {
                if (bad_seq != NULL) {
                    *bad_seq = expect;
                }
                rc = storage_fail(STORAGE_ECORRUPT,
                    "audit chain broken at seq %llu",
                    (unsigned long long)expect);
                break;
            }
            memcpy(prev, v[i].hash, DIGEST_BYTES);
            after = v[i].seq;
        }
        free(v);
    } while (rc == 0 && n == CATALOG_LIST_MAX);
    (void)sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
done:
    catalog_reader_put(cat, c);
    return (rc);
}
