/* Catalog: accounts, login challenges, sessions, oppositions, settings. */
#include "storage/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/secmem.h"
#include "storage/catalog_internal.h"
#include "storage/record.h"
#include "storage/storage_internal.h"


static const char sql_acct_insert[] =
    "INSERT INTO accounts (id, kind, vault, siret, name, age_recipient,"
    " minisign_key, state, created, rev)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_acct_upsert[] =
    "INSERT INTO accounts (id, kind, vault, siret, name, age_recipient,"
    " minisign_key, state, created, rev)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,"
    " vault = excluded.vault, siret = excluded.siret, name = excluded.name,"
    " age_recipient = excluded.age_recipient,"
    " minisign_key = excluded.minisign_key, state = excluded.state,"
    " created = excluded.created, rev = excluded.rev"
    " WHERE excluded.rev > accounts.rev";
#define ACCT_COLS CATALOG_ACCT_COLS
static const char sql_acct_by_id[] =
    "SELECT " ACCT_COLS " FROM accounts WHERE id = ?1";
static const char sql_acct_by_vault[] =
    "SELECT " ACCT_COLS " FROM accounts WHERE vault = ?1";
static const char sql_acct_by_siret[] =
    "SELECT " ACCT_COLS " FROM accounts WHERE siret = ?1";
static const char sql_acct_list[] =
    "SELECT " ACCT_COLS " FROM accounts WHERE (?1 = 0 OR kind = ?1)"
    " AND (?2 = 0 OR state = ?2) ORDER BY created, id";
static const char sql_acct_count[] =
    "SELECT count(*) FROM accounts WHERE (?1 = 0 OR kind = ?1)"
    " AND (?2 = 0 OR state = ?2)";
static const char sql_acct_set_state[] =
    "UPDATE accounts SET state = ?1, rev = ?2 WHERE id = ?3 AND rev = ?4";

static const char sql_chal_insert[] =
    "INSERT INTO challenges (hash, account, expires) VALUES (?1, ?2, ?3)";
static const char sql_chal_get[] =
    "SELECT account, expires FROM challenges WHERE hash = ?1";
static const char sql_chal_delete[] =
    "DELETE FROM challenges WHERE hash = ?1";
static const char sql_chal_purge[] =
    "DELETE FROM challenges WHERE expires <= ?1";

static const char sql_sess_insert[] =
    "INSERT INTO sessions (hash, account, expires) VALUES (?1, ?2, ?3)";
static const char sql_sess_get[] =
    "SELECT account, expires FROM sessions"
    " WHERE hash = ?1 AND revoked = 0 AND expires > ?2";
static const char sql_sess_revoke[] =
    "UPDATE sessions SET revoked = 1 WHERE hash = ?1 AND revoked = 0";
static const char sql_sess_revoke_acct[] =
    "UPDATE sessions SET revoked = 1 WHERE account = ?1";
static const char sql_sess_purge[] =
    "DELETE FROM sessions WHERE expires <= ?1 OR revoked = 1";

/* Text names of kinds and states, for records and audit details. */
static const char *
kind_name(enum catalog_kind k)
{

    switch (k) {
    case CATALOG_KIND_PERSON:
        return ("person");
    case CATALOG_KIND_EMPLOYER:
        return ("employer");
    case CATALOG_KIND_SERVICE:
        return ("service");
    case CATALOG_KIND_ANY:
    default:
        return ("?");
    }
}

static const char *
state_name(enum catalog_state s)
{

    switch (s) {
    case CATALOG_STATE_PENDING:
        return ("pending");
    case CATALOG_STATE_ACTIVE:
        return ("active");
    case CATALOG_STATE_DISABLED:
        return ("disabled");
    case CATALOG_STATE_ANY:
    default:
        return ("?");
    }
}

/* Bind text, or NULL for "". */
static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{

    if (s[0] == '\0') {
        (void)sqlite3_bind_null(st, i);
    } else {
        (void)sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    }
}

int
catalog_row_account(struct catalog_conn *c, const struct catalog_account *a,
    int64_t rev)
{
    sqlite3_stmt *st;

    /* rev < 0: reindex, the highest revision wins. */
    if ((st = catalog_stmt(c, rev < 0 ? sql_acct_upsert :
        sql_acct_insert)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int(st, 2, (int)a->kind);
    bind_opt(st, 3, a->vault);
    bind_opt(st, 4, a->siret);
    (void)sqlite3_bind_text(st, 5, a->name, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 6, a->age_recipient, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 7, a->minisign_key, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int(st, 8, (int)a->state);
    (void)sqlite3_bind_int64(st, 9, a->created);
    (void)sqlite3_bind_int64(st, 10, rev < 0 ? -rev : rev);
    return (catalog_step_done(c, st, "insert account"));
}

/* Check the fields of ${a}. */
static int
acct_valid(const struct catalog_account *a)
{

    if (!catalog_id_valid(a->id) ||
        a->kind < CATALOG_KIND_PERSON || a->kind > CATALOG_KIND_SERVICE ||
        a->state < CATALOG_STATE_PENDING ||
        a->state > CATALOG_STATE_DISABLED ||
        !catalog_text_ok(a->vault, sizeof(a->vault)) ||
        !catalog_text_ok(a->siret, sizeof(a->siret)) ||
        !catalog_text_ok(a->name, sizeof(a->name)) ||
        !catalog_text_ok(a->age_recipient, sizeof(a->age_recipient)) ||
        !catalog_text_ok(a->minisign_key, sizeof(a->minisign_key)) ||
        (a->kind == CATALOG_KIND_PERSON) != (a->vault[0] != '\0') ||
        (a->kind == CATALOG_KIND_EMPLOYER) != (a->siret[0] != '\0')) {
        return (storage_fail(STORAGE_EINVAL, "bad account"));
    }
    return (0);
}

int
catalog_account_record(const struct catalog_account *a, int64_t rev,
    struct record *rec)
{
    int rc;

    record_init(rec, "account/1");
    if ((rc = record_add_cstr(rec, "id", a->id)) != 0 ||
        (rc = record_add_int(rec, "kind", a->kind)) != 0 ||
        (rc = record_add_cstr(rec, "vault", a->vault)) != 0 ||
        (rc = record_add_cstr(rec, "siret", a->siret)) != 0 ||
        (rc = record_add_cstr(rec, "name", a->name)) != 0 ||
        (rc = record_add_cstr(rec, "age_recipient", a->age_recipient)) != 0 ||
        (rc = record_add_cstr(rec, "minisign_key", a->minisign_key)) != 0 ||
        (rc = record_add_int(rec, "state", a->state)) != 0 ||
        (rc = record_add_int(rec, "created", a->created)) != 0 ||
        (rc = record_add_int(rec, "rev", rev)) != 0 ||
        (rc = catalog_add_nonce(rec)) != 0) {
        record_clear(rec);
    }
    return (rc);
}

int
catalog_account_from_record(const struct record *rec,
    struct catalog_account *a, int64_t *rev)
{
    int64_t kind, state;

    memset(a, 0, sizeof(*a));
    if (record_get_text(rec, "id", a->id, sizeof(a->id)) != 0 ||
        record_get_int(rec, "kind", &kind) != 0 ||
        record_get_text(rec, "vault", a->vault, sizeof(a->vault)) != 0 ||
        record_get_text(rec, "siret", a->siret, sizeof(a->siret)) != 0 ||
        record_get_text(rec, "name", a->name, sizeof(a->name)) != 0 ||
        record_get_text(rec, "age_recipient", a->age_recipient,
        sizeof(a->age_recipient)) != 0 ||
        record_get_text(rec, "minisign_key", a->minisign_key,
        sizeof(a->minisign_key)) != 0 ||
        record_get_int(rec, "state", &state) != 0 ||
        record_get_int(rec, "created", &a->created) != 0 ||
        record_get_int(rec, "rev", rev) != 0 ||
        kind < 1 || kind > 3 || state < 1 || state > 3 || *rev < 1) {
        return (storage_fail(STORAGE_EINVAL, "bad account record"));
    }
    a->kind = (enum catalog_kind)kind;
    a->state = (enum catalog_state)state;
    return (acct_valid(a));
}

struct acct_arg {
    const char *actor;
    const struct catalog_account *a;
    enum catalog_state state;
    int64_t rev;
};

/* Write op: insert a new account and audit it. */
static int
op_acct_create(struct catalog_conn *c, void *arg)
{
    struct acct_arg *x = arg;
    int rc;

    if ((rc = catalog_row_account(c, x->a, 1)) != 0) {
        return (rc);
    }
    return (catalog_audit_conn(c, x->a->id, x->actor, "account.create",
        x->a->id, kind_name(x->a->kind), x->a->created));
}

int
catalog_account_create(struct catalog *cat, const char *actor,
    struct catalog_account *acct)
{
    struct acct_arg x;
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    int rc;

    storage_clear_detail();
    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad actor"));
    }
    if (acct->id[0] == '\0') {
        catalog_id_new(acct->id);
    }
    if (acct->created == 0) {
        acct->created = (int64_t)time(NULL);
    }
    if ((rc = acct_valid(acct)) != 0) {
        return (rc);
    }
    if ((rc = catalog_account_record(acct, 1, &rec)) != 0) {
        return (rc);
    }
    rc = catalog_record_put(cat, &rec, dig);
    record_clear(&rec);
    if (rc != 0) {
        return (rc);
    }
    x.actor = actor;
    x.a = acct;
    if ((rc = catalog_write(cat, op_acct_create, &x)) != 0) {
        catalog_record_drop(cat, dig);
    }
    return (rc);
}

int
catalog_row_to_account(sqlite3_stmt *st, int base, struct catalog_account *a,
    int64_t *rev)
{

    memset(a, 0, sizeof(*a));
    if (catalog_copy_col(st, base, a->id, sizeof(a->id)) != 0 ||
        catalog_copy_col(st, base + 2, a->vault, sizeof(a->vault)) != 0 ||
        catalog_copy_col(st, base + 3, a->siret, sizeof(a->siret)) != 0 ||
        catalog_copy_col(st, base + 4, a->name, sizeof(a->name)) != 0 ||
        catalog_copy_col(st, base + 5, a->age_recipient,
        sizeof(a->age_recipient)) != 0 ||
        catalog_copy_col(st, base + 6, a->minisign_key,
        sizeof(a->minisign_key)) != 0) {
        return (STORAGE_ECORRUPT);
    }
    a->kind = (enum catalog_kind)sqlite3_column_int(st, base + 1);
    a->state = (enum catalog_state)sqlite3_column_int(st, base + 7);
    a->created = sqlite3_column_int64(st, base + 8);
    if (rev != NULL) {
        *rev = sqlite3_column_int64(st, base + 9);
    }
    return (0);
}

/* Look up one account by ${sql} with key ${key}. */
static int
acct_get(struct catalog *cat, const char *sql, const char *key,
    size_t keylen, struct catalog_account *out, int64_t *rev)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    storage_clear_detail();
    if (!catalog_text_ok(key, keylen) || key[0] == '\0') {
        return (storage_fail(STORAGE_ENOTFOUND, "no such account"));
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = catalog_row_to_account(st, 0, out, rev);
    } else if (rc == SQLITE_DONE) {
        rc = storage_fail(STORAGE_ENOTFOUND, "no such account");
    } else {
        rc = catalog_sqlerr(c, rc, "get account");
    }
done:
    catalog_reader_put(cat, c);
    return (rc);
}

int
catalog_account_get(struct catalog *cat, const char *id,
    struct catalog_account *out)
{

    return (acct_get(cat, sql_acct_by_id, id, CATALOG_ID_BUFLEN, out, NULL));
}

int
catalog_account_get_by_vault(struct catalog *cat, const char *vault,
    struct catalog_account *out)
{

    return (acct_get(cat, sql_acct_by_vault, vault, CATALOG_VAULT_BUFLEN,
        out, NULL));
}

int
catalog_account_get_by_siret(struct catalog *cat, const char *siret,
    struct catalog_account *out)
{

    return (acct_get(cat, sql_acct_by_siret, siret, CATALOG_SIRET_BUFLEN,
        out, NULL));
}

int
catalog_account_list(struct catalog *cat, enum catalog_kind kind,
    enum catalog_state state, struct catalog_account **v, size_t *n)
{
    struct catalog_account *a = NULL;
    struct catalog_conn *c;
    sqlite3_stmt *st;
    size_t cap = 0, k = 0;
    int rc;

    *v = NULL;
    *n = 0;
    storage_clear_detail();
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((rc = catalog_exec(c, "BEGIN")) != 0) {
        goto done;
    }
    if ((st = catalog_stmt(c, sql_acct_count)) == NULL) {
        rc = STORAGE_EIO;
        goto end;
    }
    (void)sqlite3_bind_int(st, 1, (int)kind);
    (void)sqlite3_bind_int(st, 2, (int)state);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = catalog_sqlerr(c, rc, "count accounts");
        goto end;
    }
    cap = (size_t)sqlite3_column_int64(st, 0);
    if ((a = calloc(cap > 0 ? cap : 1, sizeof(*a))) == NULL) {
        rc = storage_fail(STORAGE_ENOMEM, "calloc");
        goto end;
    }
    if ((st = catalog_stmt(c, sql_acct_list)) == NULL) {
        rc = STORAGE_EIO;
        goto end;
    }
    (void)sqlite3_bind_int(st, 1, (int)kind);
    (void)sqlite3_bind_int(st, 2, (int)state);
    rc = 0;
    while (rc == 0 && k < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = catalog_row_to_account(st, 0, &a[k++], NULL);
    }
    if (rc == SQLITE_DONE || (rc == 0 && k == cap)) {
        rc = 0;
    } else if (rc > 0) {
        rc = catalog_sqlerr(c, rc, "list accounts");
    }
end:
    (void)sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
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

/* Write op: change an account's state if its revision is unchanged. */
static int
op_acct_state(struct catalog_conn *c, void *arg)
{
    struct acct_arg *x = arg;
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_acct_set_state)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_int(st, 1, (int)x->state);
    (void)sqlite3_bind_int64(st, 2, x->rev + 1);
    (void)sqlite3_bind_text(st, 3, x->a->id, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 4, x->rev);
    if ((rc = catalog_step_done(c, st, "set state")) != 0) {
        return (rc);
    }
    if (sqlite3_changes(c->db) != 1) {
        return (CATALOG_ERACE);
    }
    if (x->state == CATALOG_STATE_DISABLED) {
        if ((st = catalog_stmt(c, sql_sess_revoke_acct)) == NULL) {
            return (STORAGE_EIO);
        }
        (void)sqlite3_bind_text(st, 1, x->a->id, -1, SQLITE_STATIC);
        if ((rc = catalog_step_done(c, st, "revoke sessions")) != 0) {
            return (rc);
        }
    }
    return (catalog_audit_conn(c, x->a->id, x->actor, "account.state",
        x->a->id, state_name(x->state), (int64_t)time(NULL)));
}

int
catalog_account_set_state(struct catalog *cat, const char *actor,
    const char *id, enum catalog_state state)
{
    struct catalog_account a;
    struct acct_arg x;
    struct record rec;
    uint8_t dig[DIGEST_BYTES];
    int64_t rev;
    int tries;
    int rc;

    if (!catalog_text_ok(actor, CATALOG_ACTOR_BUFLEN) ||
        state < CATALOG_STATE_PENDING || state > CATALOG_STATE_DISABLED) {
        return (storage_fail(STORAGE_EINVAL, "bad state change"));
    }
    for (tries = 0; tries < CATALOG_RETRIES; tries++) {
        if ((rc = acct_get(cat, sql_acct_by_id, id, CATALOG_ID_BUFLEN, &a,
            &rev)) != 0) {
            return (rc);
        }
        a.state = state;
        if ((rc = catalog_account_record(&a, rev + 1, &rec)) != 0) {
            return (rc);
        }
        rc = catalog_record_put(cat, &rec, dig);
        record_clear(&rec);
        if (rc != 0) {
            return (rc);
        }
        x.actor = actor;
        x.a = &a;
        x.state = state;
        x.rev = rev;
        if ((rc = catalog_write(cat, op_acct_state, &x)) == 0) {
            return (0);
        }
        catalog_record_drop(cat, dig);
        if (rc != CATALOG_ERACE) {
            return (rc);
        }
    }
    return (storage_fail(STORAGE_EBUSY, "account changed concurrently"));
}

struct hash_arg {
    const uint8_t *hash;
    const char *account;
    int64_t t;                  /* expires, or now */
    char *out;                  /* consume: account found */
};

/* Write op: store a challenge or a session (${sql}). */
static int
put_hash(struct catalog_conn *c, struct hash_arg *x, const char *sql)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = catalog_acct_exists(c, x->account)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, x->hash, CATALOG_HASH_BYTES,
        SQLITE_STATIC);
    (void)sqlite3_bind_text(st, 2, x->account, -1, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 3, x->t);
    return (catalog_step_done(c, st, "insert"));
}

static int
op_chal_put(struct catalog_conn *c, void *arg)
{

    return (put_hash(c, arg, sql_chal_insert));
}

int
catalog_challenge_put(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], const char *account,
    int64_t expires)
{
    struct hash_arg x = {hash, account, expires, NULL};

    storage_clear_detail();
    if (!catalog_id_valid(account)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such account"));
    }
    return (catalog_write(cat, op_chal_put, &x));
}

/* Write op: read and delete a challenge in one go. */
static int
op_chal_consume(struct catalog_conn *c, void *arg)
{
    struct hash_arg *x = arg;
    sqlite3_stmt *st;
    int64_t expires;
    int rc;

    if ((st = catalog_stmt(c, sql_chal_get)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, x->hash, CATALOG_HASH_BYTES,
        SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
        (void)sqlite3_reset(st);
        return (storage_fail(STORAGE_ENOTFOUND, "no such challenge"));
    } else if (rc != SQLITE_ROW) {
        rc = catalog_sqlerr(c, rc, "get challenge");
        (void)sqlite3_reset(st);
        return (rc);
    }
    expires = sqlite3_column_int64(st, 1);
    rc = catalog_copy_col(st, 0, x->out, CATALOG_ID_BUFLEN);
    (void)sqlite3_reset(st);
    if (rc != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_chal_delete)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, x->hash, CATALOG_HASH_BYTES,
        SQLITE_STATIC);
    if ((rc = catalog_step_done(c, st, "delete challenge")) != 0) {
        return (rc);
    }
    if (expires <= x->t) {
        /* Expired: deleted all the same, but not valid. */
        x->out[0] = '\0';
    }
    return (0);
}

int
catalog_challenge_consume(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], int64_t now,
    char account[CATALOG_ID_BUFLEN])
{
    struct hash_arg x = {hash, NULL, now, account};
    int rc;

    storage_clear_detail();
    account[0] = '\0';
    if ((rc = catalog_write(cat, op_chal_consume, &x)) != 0) {
        account[0] = '\0';
        return (rc);
    }
    if (account[0] == '\0') {
        return (storage_fail(STORAGE_ENOTFOUND, "challenge expired"));
    }
    return (0);
}

struct purge_arg {
    const char *sql;
    const char *text;
    int64_t t;
};

/* Write op: run a one-parameter DELETE/UPDATE. */
static int
op_purge(struct catalog_conn *c, void *arg)
{
    struct purge_arg *x = arg;
    sqlite3_stmt *st;

    if ((st = catalog_stmt(c, x->sql)) == NULL) {
        return (STORAGE_EIO);
    }
    if (x->text != NULL) {
        (void)sqlite3_bind_text(st, 1, x->text, -1, SQLITE_STATIC);
    } else {
        (void)sqlite3_bind_int64(st, 1, x->t);
    }
    return (catalog_step_done(c, st, "purge"));
}

int
catalog_challenge_purge(struct catalog *cat, int64_t now)
{
    struct purge_arg x = {sql_chal_purge, NULL, now};

    storage_clear_detail();
    return (catalog_write(cat, op_purge, &x));
}

static int
op_sess_put(struct catalog_conn *c, void *arg)
{

    return (put_hash(c, arg, sql_sess_insert));
}

int
catalog_session_create(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], const char *account,
    int64_t expires)
{
    struct hash_arg x = {hash, account, expires, NULL};

    storage_clear_detail();
    if (!catalog_id_valid(account)) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such account"));
    }
    return (catalog_write(cat, op_sess_put, &x));
}

int
catalog_session_lookup(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], int64_t now,
    char account[CATALOG_ID_BUFLEN], int64_t *expires)
{
    struct catalog_conn *c;
    sqlite3_stmt *st;
    int rc;

    storage_clear_detail();
    account[0] = '\0';
    if (expires != NULL) {
        *expires = 0;
    }
    if ((rc = catalog_reader(cat, &c)) != 0) {
        return (rc);
    }
    if ((st = catalog_stmt(c, sql_sess_get)) == NULL) {
        rc = STORAGE_EIO;
        goto done;
    }
    (void)sqlite3_bind_blob(st, 1, hash, CATALOG_HASH_BYTES, SQLITE_STATIC);
    (void)sqlite3_bind_int64(st, 2, now);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = catalog_copy_col(st, 0, account, CATALOG_ID_BUFLEN)) == 0 &&
            expires != NULL) {
            *expires = sqlite3_column_int64(st, 1);
        }
    } else if (rc == SQLITE_DONE) {
        rc = storage_fail(STORAGE_ENOTFOUND, "no such session");
    } else {
        rc = catalog_sqlerr(c, rc, "get session");
    }
done:
    catalog_reader_put(cat, c);
    return (rc);
}

/* Write op: revoke one session; ENOTFOUND if nothing changed. */
static int
op_sess_revoke(struct catalog_conn *c, void *arg)
{
    const uint8_t *hash = arg;
    sqlite3_stmt *st;
    int rc;

    if ((st = catalog_stmt(c, sql_sess_revoke)) == NULL) {
        return (STORAGE_EIO);
    }
    (void)sqlite3_bind_blob(st, 1, hash, CATALOG_HASH_BYTES, SQLITE_STATIC);
    if ((rc = catalog_step_done(c, st, "revoke session")) != 0) {
        return (rc);
    }
    if (sqlite3_changes(c->db) == 0) {
        return (storage_fail(STORAGE_ENOTFOUND, "no such session"));
    }
    return (0);
}

int
catalog_session_revoke(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES])
{
    uint8_t h[CATALOG_HASH_BYTES];

    storage_clear_detail();
    memcpy(h, hash, sizeof(h));
    return (catalog_write(cat, op_sess_revoke, h));
}

int
catalog_session_revoke_account(struct catalog *cat, const char *account)
{
    struct purge_arg x = {sql_sess_revoke_acct, account, 0};

    storage_clear_detail();
    if (!catalog_text_ok(account, CATALOG_ID_BUFLEN)) {
        return (storage_fail(STORAGE_EINVAL, "bad account"));
    }
    return (catalog_write(cat, op_purge, &x));
}

int
catalog_session_purge(struct catalog *cat, int64_t now)
{
    struct purge_arg x = {sql_sess_purge, NULL, now};

    storage_clear_detail();
    return (catalog_write(cat, op_purge, &x));
}
