/* Catalog: employer oppositions and service settings. */
#include "storage/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/digest.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"

static const char sql_opp_insert[] =
    "INSERT INTO oppositions (vault, siret, since, record)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char sql_opp_get[] =
    "SELECT since, record FROM oppositions WHERE vault = ?1 AND siret = ?2";
static const char sql_opp_delete[] =
    "DELETE FROM oppositions WHERE vault = ?1 AND siret = ?2"
    " AND record = ?3";
static const char sql_opp_list[] =
    "SELECT vault, siret, since FROM oppositions WHERE vault = ?1"
    " ORDER BY siret";

static const char sql_set_get[] =
    "SELECT value, rev FROM settings WHERE key = ?1";
static const char sql_set_upsert[] =
    "INSERT INTO settings (key, value, rev) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
    " rev = excluded.rev WHERE excluded.rev > settings.rev";

int
catalog_row_opposition(struct catalog_conn *c, const char *vault,
    const char *siret, int64_t since, const uint8_t record[DIGEST_BYTES])
{
    sqlite3_stmt *st;

    if ((st = catalog_stmt(c, sql_opp_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, siret, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 3, since);
    (void)sqlite3_bind_blob(st, 4, record, DIGEST_BYTES, SQLITE_STATIC);
    return (catalog_step_done(c, st, "insert opposition"));
}

struct opp_arg {
    const char *actor, *vault, *siret;
    int64_t since;
    const uint8_t *record;
};

static int
op_opp_add(struct catalog_conn *c, void *arg)
{
    struct opp_arg *x = arg;
    int rc;

    if ((rc = catalog_acct_exists(c, x->vault)) != 0 ||
        (rc = catalog_row_opposition(c, x->vault, x->siret, x->since,
        x->record)) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, x->vault, x->actor, "opposition.add",
        x->siret, "", (int64_t)time(NULL)));
}

int
catalog_opposition_add(struct catalog *cat, const char *actor,
    const char *vault, const char *siret, int64_t since)
{
    struct opp_arg x = {actor, vault, siret, since, NULL};
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN) ||
        !catalog_id_valid(vault) ||
        !catalog_text_ok(siret, CATALOG_SIRET_BUFLEN) || siret[0] == '\0') {
        return (storage_fail(STORAGE_EINVAL, "bad opposition"));
    }
    record_init(&rec, "opposition/1");
    if ((rc = record_add_cstr(&rec, "vault", vault)) != 0 ||
        (rc = record_add_cstr(&rec, "siret", siret)) != 0 ||
        (rc = record_add_int(&rec, "since", since)) != 0 ||
        (rc = catalog_add_nonce(&rec)) != 0 ||
        (rc = catalog_record_put(cat, &rec, dig)) != 0) {
        record_clear(&rec);
        return (rc);
    }
    record_clear(&rec);
    x.record = dig;
    if ((rc = catalog_write(cat, op_opp_add, &x)) != 0) {
        catalog_record_drop(cat, dig);
    }
    return (rc);
}

/* Read an opposition's since and record digest. */
static int
opp_get(struct catalog *cat, const char *vault, const char *siret,
    int64_t *since, uint8_t record[DIGEST_BYTES])
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    if (!catalog_text_ok(vault, CATALOG_ID_BUFLEN) ||
        !catalog_text_ok(siret, CATALOG_SIRET_BUFLEN)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such opposition"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_opp_get)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, siret, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = 0;
        if (since != NULL) {
            *since = sqlite3_column_int64(st, 0);
        }
        if (sqlite3_column_bytes(st, 1) != DIGEST_BYTES) {
            rc = storage_fail(STORAGE_ECORRUPT, "bad opposition row");
        } else if (record != NULL) {
            memcpy(record, sqlite3_column_blob(st, 1), DIGEST_BYTES);
        }
    } else if (rc == SQLITE_DONE) {
        rc = storage_fail(STORAGE_ENOTFOUND, "no such opposition");
    } else {
        rc = catalog_sqlerr(c, rc, "get opposition");
    }
done:
    catalog_reader_put(cat, c);
    return (rc);
}

static int
op_opp_remove(struct catalog_conn *c, void *arg)
{
    struct opp_arg *x = arg;
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_opp_delete)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, x->vault, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, x->siret, -1, SQLITE_STATIC);
    (void)sqlite3_bind_blob(st, 3, x->record, DIGEST_BYTES, SQLITE_STATIC);
    if ((rc = catalog_step_done(c, st, "delete opposition")) != 0) {
        return (rc);
    }
    if (sqlite3_changes(c->db) != 1) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such opposition"));
    }
    return (catalog_audit_conn(c, x->vault, x->actor, "opposition.remove",
        x->siret, "", (int64_t)time(NULL)));
}

int
catalog_opposition_remove(struct catalog *cat, const char *actor,
    const char *vault, const char *siret)
{
    struct opp_arg x = {actor, vault, siret, 0, NULL};
    uint8_t dig[DIGEST_BYTES], tomb[DIGEST_BYTES];
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad actor"));
    }
    if ((rc = opp_get(cat, vault, siret, NULL, dig)) != 0 ||
        (rc = catalog_tombstone(cat, dig, (int64_t)time(NULL), tomb)) != 0) {
        return (rc);
    }
    x.record = dig;
    if ((rc = catalog_write(cat, op_opp_remove, &x)) != 0) {
        catalog_record_drop(cat, tomb);
    }
    return (rc);
}

int
catalog_opposition_get(struct catalog *cat, const char *vault,
    const char *siret, int64_t *since)
{

    storage_clear_detail();
    if (since != NULL) {
        *since = 0;
    }
    return (opp_get(cat, vault, siret, since, NULL));
}

int
catalog_opposition_list(struct catalog *cat, const char *vault,
    struct catalog_opposition **v, size_t *n)
{
    struct catalog_opposition *a = NULL, *na;
    struct catalog_conn *c;
    sqlite3_stmt *st;
    size_t cap = 0, k = 0;
    int rc;

    *v = NULL;
    *n = 0;
    storage_clear_detail();
    if (!catalog_text_ok(vault, CATALOG_ID_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad vault"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_opp_list)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, vault, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? 2 * cap : 8;
            if ((na = realloc(a, cap * sizeof(*a))) == NULL) {
                rc = storage_fail(STORAGE_ENOMEM, "realloc");
                goto done;
            }
            a = na;
        }
        memset(&a[k], 0, sizeof(a[k]));
        if ((rc = catalog_copy_col(st, 0, a[k].vault,
            sizeof(a[k].vault))) != 0 ||
            (rc = catalog_copy_col(st, 1, a[k].siret,
            sizeof(a[k].siret))) != 0) {
            goto done;
        }
        a[k++].since = sqlite3_column_int64(st, 2);
    }
    rc = rc == SQLITE_DONE ? 0 : catalog_sqlerr(c, rc, "list oppositions");
done:
    catalog_reader_put(cat, c);
    if (rc != 0) {
        free(a);
        return (rc);
    }
    *v = a;
    *n = k;
    return (0);
}

int
catalog_row_setting(struct catalog_conn *c, const char *key,
    const char *value, int64_t rev)
{
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_set_upsert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 3, rev);
    if ((rc = catalog_step_done(c, st, "set setting")) != 0) {
        return (rc);
    }
    return (sqlite3_changes(c->db) == 1 ? 0 : CATALOG_ERACE);
}

struct set_arg {
    const char *actor, *key, *value;
    int64_t rev;
};

static int
op_setting(struct catalog_conn *c, void *arg)
{
    struct set_arg *x = arg;
    int rc;

    if ((rc = catalog_row_setting(c, x->key, x->value, x->rev)) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, CATALOG_CHAIN_OPERATOR, x->actor,
        "setting.set", x->key,
        strlen(x->value) < CATALOG_DETAIL_BUFLEN ? x->value : "(long)",
        (int64_t)time(NULL)));
}

/* Read setting ${key}: value into ${value} (if not NULL) and revision. */
static int
setting_get(struct catalog *cat, const char *key, char *value,
    size_t valuelen, int64_t *rev)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    *rev = 0;
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_set_get)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *rev = sqlite3_column_int64(st, 1);
        rc = 0;
        if (value != NULL && catalog_copy_col(st, 0, value, valuelen) != 0) {
            rc = storage_fail(STORAGE_ETOOBIG, "setting value too long");
        }
    } else if (rc == SQLITE_DONE) {
        rc = storage_fail(STORAGE_ENOTFOUND, "no such setting");
    } else {
        rc = catalog_sqlerr(c, rc, "get setting");
    }
done:
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_setting_set(struct catalog *cat, const char *actor, const char *key,
    const char *value)
{
    struct set_arg x = {actor, key, value, 0};
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    int64_t rev;
    int tries;
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN) ||
        !catalog_text_ok(key, CATALOG_KEY_BUFLEN) || key[0] == '\0' ||
        !catalog_text_ok(value, CATALOG_VALUE_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad setting"));
    }
    for (tries = 0; tries < CATALOG_RETRIES; tries++) {
        rc = setting_get(cat, key, NULL, 0, &rev);
        if (rc != 0 && rc != STORAGE_ENOTFOUND) {
            return (rc);
        }
        record_init(&rec, "setting/1");
        if ((rc = record_add_cstr(&rec, "key", key)) != 0 ||
            (rc = record_add_cstr(&rec, "value", value)) != 0 ||
            (rc = record_add_int(&rec, "rev", rev + 1)) != 0 ||
            (rc = catalog_add_nonce(&rec)) != 0 ||
            (rc = catalog_record_put(cat, &rec, dig)) != 0) {
            record_clear(&rec);
            return (rc);
        }
        record_clear(&rec);
        x.rev = rev + 1;
        if ((rc = catalog_write(cat, op_setting, &x)) == 0) {
            return (0);
        }
        catalog_record_drop(cat, dig);
        if (rc != CATALOG_ERACE) {
            return (rc);
        }
    }
    return (storage_fail(STORAGE_EBUSY, "setting changed concurrently"));
}

int
catalog_setting_get(struct catalog *cat, const char *key, char *value,
    size_t valuelen)
{
    int64_t rev;

    storage_clear_detail();
    if (valuelen > 0) {
        value[0] = '\0';
    }
    if (!catalog_text_ok(key, CATALOG_KEY_BUFLEN)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such setting"));
    }
    return (setting_get(cat, key, value, valuelen, &rev));
}
