#ifndef CATALOG_H_
#define CATALOG_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"
#include "storage/storage.h"

/*
 * The index: accounts, login challenges, sessions, documents, grants (one
 * age header per reader), share links, idempotency keys, oppositions,
 * service settings and the per-vault audit hash chains.  SQLite in WAL mode
 * with synchronous=FULL: a function that changes state returns 0 only once
 * its transaction is durable (docs/STORAGE.md says why).
 *
 * Rebuildable: documents (with the owner's header and idempotency key),
 * grants, accounts, oppositions and settings are also written as canonical
 * JSON record objects into DATA/records before their row commits; deletions
 * and revocations write a tombstone object first.  maint_reindex()
 * (maint.h) rebuilds the index from those objects alone.
 *
 * Text.  Every text field (names, vault addresses, classes, signatures,
 * idempotency keys, setting values, audit fields) must be UTF-8 without NUL
 * bytes: record objects are JSON, and invalid text gives STORAGE_EINVAL.
 *
 * Identifiers.  Accounts, documents and share links are named by 16 random
 * bytes written as 32 lowercase hex digits (CATALOG_ID_LEN).  Time is
 * int64_t seconds since the Unix epoch.  Token, session and challenge values
 * never reach storage: only their 32-byte hashes (CATALOG_HASH_BYTES).
 *
 * Actors.  Functions that change a vault take the actor (an account id, or
 * CATALOG_ACTOR_OPERATOR) and append an audit entry to the affected chain
 * inside the same transaction.  A chain is named by the account id it
 * belongs to (for a person: the vault owner), or CATALOG_CHAIN_OPERATOR for
 * operator actions (reindex, scrub, gc, restore, registrations by the
 * operator).
 *
 * Threads.  One struct catalog may be shared by every thread of the daemon.
 * Internally it keeps a pool of read connections (one per concurrent reader)
 * and one write connection used by a group-commit leader: concurrent
 * changes queue up, one thread commits the whole batch in one transaction
 * (one fsync), each change inside its own SAVEPOINT so one failing change
 * does not spoil the others, and no caller returns before the batch is
 * durable.
 *
 * Outputs with variable-size fields are allocated; each struct has a
 * _clear() (frees the fields, keeps the struct) and each list a _free().
 * Out-structs are zeroed on entry, so clearing after a failure is safe.
 */

#define CATALOG_ID_BYTES 16
#define CATALOG_ID_LEN (2 * CATALOG_ID_BYTES)
#define CATALOG_ID_BUFLEN (CATALOG_ID_LEN + 1)
#define CATALOG_HASH_BYTES 32

#define CATALOG_ACTOR_OPERATOR "operator"
#define CATALOG_CHAIN_OPERATOR "operator"

/* Text limits, including the NUL.  Longer input gives STORAGE_ETOOBIG. */
#define CATALOG_VAULT_BUFLEN 128     /* vault address (computed by daemon) */
#define CATALOG_SIRET_BUFLEN 16      /* 14 digits; validated by daemon */
#define CATALOG_NAME_BUFLEN 256      /* display name, UTF-8 */
#define CATALOG_RECIPIENT_BUFLEN 128 /* age1... */
#define CATALOG_MINISIGN_BUFLEN 128  /* RW... */
#define CATALOG_CLASS_BUFLEN 64      /* document class, e.g. "payslip" */
#define CATALOG_IDEM_BUFLEN 128      /* idempotency key */
#define CATALOG_ACTOR_BUFLEN 64      /* account id or "operator" */
#define CATALOG_ACTION_BUFLEN 64     /* audit action, e.g. "document.deposit" */
#define CATALOG_TARGET_BUFLEN 128    /* audit target (document id, ...) */
#define CATALOG_DETAIL_BUFLEN 256    /* audit result/detail text */
#define CATALOG_CURSOR_BUFLEN 64     /* opaque pagination cursor */
#define CATALOG_KEY_BUFLEN 64        /* setting key */
#define CATALOG_VALUE_BUFLEN 1024    /* setting value */

/* Binary limits. */
#define CATALOG_META_MAX_BYTES (16 * 1024)      /* encrypted metadata */
#define CATALOG_HEADER_MAX_BYTES (8 * 1024)     /* one age header */
#define CATALOG_SIGNATURE_MAX_BYTES (4 * 1024)  /* minisign text */
#define CATALOG_RECEIPT_MAX_BYTES (8 * 1024)    /* daemon-signed receipt */
#define CATALOG_LIST_MAX 1000                   /* rows per list page */

struct catalog;

/* Accounts. */
enum catalog_kind {
    CATALOG_KIND_ANY = 0,   /* only as a list filter */
    CATALOG_KIND_PERSON = 1,
    CATALOG_KIND_EMPLOYER = 2,
    CATALOG_KIND_SERVICE = 3
};

enum catalog_state {
    CATALOG_STATE_ANY = 0,  /* only as a list filter */
    CATALOG_STATE_PENDING = 1,
    CATALOG_STATE_ACTIVE = 2,
    CATALOG_STATE_DISABLED = 3
};

struct catalog_account {
    char id[CATALOG_ID_BUFLEN];            /* "" on create: generated */
    enum catalog_kind kind;
    char vault[CATALOG_VAULT_BUFLEN];      /* persons only, else "" */
    char siret[CATALOG_SIRET_BUFLEN];      /* employers only, else "" */
    char name[CATALOG_NAME_BUFLEN];
    char age_recipient[CATALOG_RECIPIENT_BUFLEN];
    char minisign_key[CATALOG_MINISIGN_BUFLEN];
    enum catalog_state state;
    int64_t created;                       /* 0 on create: now */
};

/* Documents. */
enum catalog_doc_state {
    CATALOG_DOC_LIVE = 1,
    CATALOG_DOC_DELETED = 2    /* tombstone: row kept, grants gone */
};

/* Input of catalog_document_insert(); the catalog copies everything. */
struct catalog_deposit {
    char id[CATALOG_ID_BUFLEN];    /* "": generate; else catalog_id_new() */
    const char *vault;             /* owner (person) account id */
    const char *depositor;         /* account id (owner or employer) */
    const char *doc_class;         /* e.g. "payslip" */
    uint8_t blob[DIGEST_BYTES];    /* payload id; must already be stored */
    uint64_t size;                 /* payload size in bytes */
    int64_t created;               /* 0: now */
    const uint8_t *meta;           /* encrypted metadata (age file) */
    size_t metalen;
    const char *signature;         /* minisign signature text */
    const uint8_t *receipt;        /* daemon-signed receipt, may be NULL */
    size_t receiptlen;
    const char *idem_key;          /* NULL or "": none */
    const uint8_t *owner_header;   /* the owner's age header (a grant) */
    size_t owner_headerlen;
};

struct catalog_document {
    char id[CATALOG_ID_BUFLEN];
    char vault[CATALOG_ID_BUFLEN];
    char depositor[CATALOG_ID_BUFLEN];
    char doc_class[CATALOG_CLASS_BUFLEN];
    uint8_t blob[DIGEST_BYTES];
    uint64_t size;
    int64_t created;
    uint8_t *meta;                 /* allocated */
    size_t metalen;
    char *signature;               /* allocated, NUL-terminated */
    uint8_t *receipt;              /* allocated, may be NULL */
    size_t receiptlen;
    char idem_key[CATALOG_IDEM_BUFLEN];
    enum catalog_doc_state state;
    int64_t deleted;               /* time of deletion, 0 if live */
};

struct catalog_document_list {
    struct catalog_document *v;
    size_t n;
    char next[CATALOG_CURSOR_BUFLEN];  /* "" when there is no next page */
};

/*
 * A document listing.  Exactly one of ${vault} (documents of that vault) or
 * ${reader} (live documents of other vaults on which that account holds a
 * grant, e.g. an account service: an owner's own documents are not
 * "shared with" it) must be set.  Newest first, ties by id.
 */
struct catalog_doc_query {
    const char *vault;
    const char *reader;
    const char *doc_class;   /* NULL: any class */
    int64_t since;           /* created >= since; 0: unbounded */
    int64_t until;           /* created < until; 0: unbounded */
    const char *cursor;      /* NULL or "": first page; else a ->next */
    size_t limit;            /* 1..CATALOG_LIST_MAX (0: 100) */
    int include_deleted;     /* list tombstones too (vault listings only) */
};

/* Grants: one age header per reader of a document. */
struct catalog_grant {
    char document[CATALOG_ID_BUFLEN];
    char reader[CATALOG_ID_BUFLEN];
    char granted_by[CATALOG_ACTOR_BUFLEN];
    int64_t created;
    uint8_t *header;               /* allocated */
    size_t headerlen;
};

/* A live document as one reader sees it (catalog_document_get_for()). */
struct catalog_doc_view {
    struct catalog_document doc;
    struct catalog_grant grant;            /* the reader's grant */
    struct catalog_account owner;          /* the vault's account */
    struct catalog_account depositor;      /* kind ANY if it is gone */
};

/* Share links. */
struct catalog_share {
    char id[CATALOG_ID_BUFLEN];            /* generated on create */
    uint8_t token_hash[CATALOG_HASH_BYTES];
    char document[CATALOG_ID_BUFLEN];
    char created_by[CATALOG_ACTOR_BUFLEN];
    int64_t created;                       /* 0 on create: now */
    int64_t expires;
    int64_t uses_left;                     /* -1: unlimited */
    int revoked;
    uint8_t *header;                       /* allocated on output */
    size_t headerlen;
};

/* Audit chains. */
struct catalog_audit_entry {
    char chain[CATALOG_ACTOR_BUFLEN];
    uint64_t seq;                          /* 1, 2, ... per chain */
    int64_t time;
    char actor[CATALOG_ACTOR_BUFLEN];
    char action[CATALOG_ACTION_BUFLEN];
    char target[CATALOG_TARGET_BUFLEN];
    char detail[CATALOG_DETAIL_BUFLEN];
    uint8_t prev[DIGEST_BYTES];            /* hash of entry seq-1 (zeros) */
    uint8_t hash[DIGEST_BYTES];
};

struct catalog_opposition {
    char vault[CATALOG_ID_BUFLEN];
    char siret[CATALOG_SIRET_BUFLEN];
    int64_t since;
};

/* ------------------------------------------------------------------ */
/* Handle */

/**
 * catalog_open(datadir, out):
 * Open (creating and migrating as needed) DATA/index.sqlite and the record
 * store DATA/records.  On success set ${*out}; free with catalog_close().
 * Sharing: see the comment at the top of this header.
 */
int catalog_open(const char *datadir, struct catalog **out);

/**
 * catalog_close(cat):
 * Close every connection of ${cat} and free it.  No other thread may be
 * using ${cat}.  catalog_close(NULL) is a no-op.
 */
void catalog_close(struct catalog *cat);

/**
 * catalog_id_new(out):
 * Write a fresh random id (32 lowercase hex digits and a NUL) into ${out}.
 */
void catalog_id_new(char out[CATALOG_ID_BUFLEN]);

/**
 * catalog_id_valid(s):
 * Return 1 if ${s} is exactly 32 lowercase hex digits, else 0.
 */
int catalog_id_valid(const char *s);

/* ------------------------------------------------------------------ */
/* Accounts */

/**
 * catalog_account_create(cat, actor, acct):
 * Create the account ${acct}; if ${acct}->id is "" a fresh id is written
 * into it, and ${acct}->created is set to now if 0.  STORAGE_EEXIST if the
 * id, the vault address (persons) or the SIRET (employers) is taken;
 * STORAGE_EINVAL if kind/state are out of range or a person has no vault /
 * an employer no SIRET.  Audited on the new account's chain.
 */
int catalog_account_create(struct catalog *cat, const char *actor,
    struct catalog_account *acct);

/**
 * catalog_account_get(cat, id, out):
 * catalog_account_get_by_vault(cat, vault, out):
 * catalog_account_get_by_siret(cat, siret, out):
 * Fill ${out} with the account of that id / vault address / SIRET, or
 * return STORAGE_ENOTFOUND.
 */
int catalog_account_get(struct catalog *cat, const char *id,
    struct catalog_account *out);
int catalog_account_get_by_vault(struct catalog *cat, const char *vault,
    struct catalog_account *out);
int catalog_account_get_by_siret(struct catalog *cat, const char *siret,
    struct catalog_account *out);

/**
 * catalog_account_list(cat, kind, state, v, n):
 * Set ${*v} to a malloc'd array of the ${*n} accounts of that kind and state
 * (CATALOG_KIND_ANY / CATALOG_STATE_ANY: all), oldest first.  Free with
 * free().
 */
int catalog_account_list(struct catalog *cat, enum catalog_kind kind,
    enum catalog_state state, struct catalog_account **v, size_t *n);

/**
 * catalog_account_set_state(cat, actor, id, state):
 * Change the state of account ${id}.  Disabling also revokes its sessions.
 * STORAGE_ENOTFOUND if no such account.  Audited on the account's chain.
 */
int catalog_account_set_state(struct catalog *cat, const char *actor,
    const char *id, enum catalog_state state);

/* ------------------------------------------------------------------ */
/* Login challenges */

/**
 * catalog_challenge_put(cat, hash, account, expires):
 * Remember challenge hash ${hash} for ${account} until ${expires}.
 * STORAGE_EEXIST if that hash is already stored.
 */
int catalog_challenge_put(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], const char *account,
    int64_t expires);

/**
 * catalog_challenge_consume(cat, hash, now, account):
 * Atomically delete the challenge ${hash} and, if it had not expired at
 * ${now}, copy its account id into ${account} and return 0.  A second
 * consume of the same hash, an unknown or an expired one give
 * STORAGE_ENOTFOUND.
 */
int catalog_challenge_consume(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], int64_t now,
    char account[CATALOG_ID_BUFLEN]);

/**
 * catalog_challenge_purge(cat, now):
 * Delete every challenge expired at ${now}.
 */
int catalog_challenge_purge(struct catalog *cat, int64_t now);

/* ------------------------------------------------------------------ */
/* Sessions */

/**
 * catalog_session_create(cat, hash, account, expires):
 * Store a session whose token hashes to ${hash}.  STORAGE_EEXIST if taken,
 * STORAGE_ENOTFOUND if ${account} does not exist.
 */
int catalog_session_create(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], const char *account,
    int64_t expires);

/**
 * catalog_session_lookup(cat, hash, now, account, expires):
 * If session ${hash} exists, is not revoked and has not expired at ${now},
 * copy its account into ${account}, its expiry into ${*expires} (may be
 * NULL) and return 0; else STORAGE_ENOTFOUND.
 */
int catalog_session_lookup(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], int64_t now,
    char account[CATALOG_ID_BUFLEN], int64_t *expires);

/**
 * catalog_session_revoke(cat, hash):
 * Revoke session ${hash}.  STORAGE_ENOTFOUND if unknown or already revoked.
 */
int catalog_session_revoke(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES]);

/**
 * catalog_session_revoke_account(cat, account):
 * Revoke every session of ${account} (0 even if there was none).
 */
int catalog_session_revoke_account(struct catalog *cat, const char *account);

/**
 * catalog_session_purge(cat, now):
 * Delete sessions expired at ${now} or revoked.
 */
int catalog_session_purge(struct catalog *cat, int64_t now);

/* ------------------------------------------------------------------ */
/* Documents */

/**
 * catalog_document_insert(cat, in, id):
 * Insert the document ${in}, its owner's grant (${in}->owner_header, reader
 * = ${in}->vault) and, if ${in}->idem_key is set, the idempotency key
 * (depositor, key), with an audit entry "document.deposit" (actor =
 * depositor) on the vault's chain, all in one transaction; the record object
 * is durable before the transaction commits.  On success copy the document
 * id into ${id}.  If the idempotency key already exists, return
 * STORAGE_EEXIST and copy the existing document's id into ${id}.
 * STORAGE_ENOTFOUND if the vault or the depositor account does not exist;
 * STORAGE_ETOOBIG / STORAGE_EINVAL on oversized or malformed fields.  The
 * blob is not checked here: the caller checks blobstore_exists() first.
 */
int catalog_document_insert(struct catalog *cat,
    const struct catalog_deposit *in, char id[CATALOG_ID_BUFLEN]);

/**
 * catalog_document_get(cat, id, out):
 * Fill ${out} (live or deleted; see ${out}->state) or return
 * STORAGE_ENOTFOUND.  Release with catalog_document_clear().
 */
int catalog_document_get(struct catalog *cat, const char *id,
    struct catalog_document *out);

/**
 * catalog_document_get_for(cat, id, reader, out):
 * In one read transaction (one statement): fill ${out} with live document
 * ${id}, ${reader}'s grant on it, the vault owner's account and the
 * depositor's account (${out}->depositor.kind is CATALOG_KIND_ANY if that
 * account no longer exists).  STORAGE_ENOTFOUND if the document is not
 * live or ${reader} holds no grant on it (the owner always holds one).
 * Nothing is cached: a revocation or a deletion that committed before the
 * call is seen.  Release with catalog_doc_view_clear().
 */
int catalog_document_get_for(struct catalog *cat, const char *id,
    const char *reader, struct catalog_doc_view *out);

/**
 * catalog_doc_view_clear(v):
 * Free the allocated fields of ${v} and zero it.  NULL is a no-op.
 */
void catalog_doc_view_clear(struct catalog_doc_view *v);

/**
 * catalog_document_clear(doc):
 * Free the allocated fields of ${doc} and zero it.  NULL is a no-op.
 */
void catalog_document_clear(struct catalog_document *doc);

/**
 * catalog_document_list(cat, q, out):
 * Fill ${out} with one page of the listing ${q} and the cursor of the next
 * page.  STORAGE_EINVAL on a malformed cursor or query.  Release with
 * catalog_document_list_free().
 */
int catalog_document_list(struct catalog *cat,
    const struct catalog_doc_query *q, struct catalog_document_list *out);

/**
 * catalog_document_list_free(list):
 * Free the documents of ${list} and zero it.  NULL is a no-op.
 */
void catalog_document_list_free(struct catalog_document_list *list);

/**
 * catalog_document_delete(cat, actor, id):
 * Tombstone document ${id}: it becomes CATALOG_DOC_DELETED, its grants,
 * share links and idempotency key are removed, and "document.delete" is
 * audited on its vault's chain.  The tombstone object is durable before the
 * index changes, so the document stays deleted after a reindex.
 * STORAGE_ENOTFOUND if no such live document.  The payload blob is left for
 * gc (other documents may share it).
 */
int catalog_document_delete(struct catalog *cat, const char *actor,
    const char *id);

/**
 * catalog_blob_readable(cat, account, blob):
 * Return 0 if ${account} holds a grant on a live document whose payload is
 * ${blob}, STORAGE_ENOTFOUND otherwise.
 */
int catalog_blob_readable(struct catalog *cat, const char *account,
    const uint8_t blob[DIGEST_BYTES]);

/**
 * catalog_blob_referenced(cat, blob, any_state):
 * Return 0 if a live document (any document, deleted ones included, if
 * ${any_state}) references ${blob}, STORAGE_ENOTFOUND otherwise.  gc uses
 * live references: a deleted document does not keep its blob alive.
 */
int catalog_blob_referenced(struct catalog *cat,
    const uint8_t blob[DIGEST_BYTES], int any_state);

/**
 * catalog_idem_get(cat, depositor, key, id):
 * Copy into ${id} the document deposited by ${depositor} under idempotency
 * key ${key}, or return STORAGE_ENOTFOUND.
 */
int catalog_idem_get(struct catalog *cat, const char *depositor,
    const char *key, char id[CATALOG_ID_BUFLEN]);

/* ------------------------------------------------------------------ */
/* Grants */

/**
 * catalog_grant_add(cat, actor, document, reader, header, headerlen):
 * Give ${reader} the age header ${header} for live document ${document}.
 * STORAGE_EEXIST if ${reader} already holds one, STORAGE_ENOTFOUND if the
 * document is not live or the reader does not exist.  Written as a grant
 * record object first; audited "grant.add" on the vault's chain.
 */
int catalog_grant_add(struct catalog *cat, const char *actor,
    const char *document, const char *reader, const uint8_t *header,
    size_t headerlen);

/**
 * catalog_grant_revoke(cat, actor, document, reader):
 * Remove ${reader}'s grant on ${document} (tombstone object first; audited
 * "grant.revoke").  STORAGE_ENOTFOUND if there is none; STORAGE_EINVAL for
 * the owner's own grant (delete the document instead).
 */
int catalog_grant_revoke(struct catalog *cat, const char *actor,
    const char *document, const char *reader);

/**
 * catalog_grant_get(cat, document, reader, out):
 * Fill ${out} with ${reader}'s grant on live document ${document}, or return
 * STORAGE_ENOTFOUND.  Release with catalog_grant_clear().
 */
int catalog_grant_get(struct catalog *cat, const char *document,
    const char *reader, struct catalog_grant *out);

/**
 * catalog_grant_list(cat, document, v, n):
 * Set ${*v} to a malloc'd array of the ${*n} grants of ${document}, the
 * owner's first.  Release with catalog_grant_list_free().
 */
int catalog_grant_list(struct catalog *cat, const char *document,
    struct catalog_grant **v, size_t *n);

/**
 * catalog_grant_clear(g), catalog_grant_list_free(v, n):
 * Free a grant's header / a list of grants.  NULL is a no-op.
 */
void catalog_grant_clear(struct catalog_grant *g);
void catalog_grant_list_free(struct catalog_grant *v, size_t n);

/* ------------------------------------------------------------------ */
/* Share links */

/**
 * catalog_share_create(cat, actor, share):
 * Create the share link ${share} (token_hash, document, expires,
 * uses_left, header, headerlen; created 0 = now).  Writes a fresh id into
 * ${share}->id.  STORAGE_ENOTFOUND if the document is not live,
 * STORAGE_EEXIST if the token hash is taken.  Audited "share.create".
 * Share links are not record objects: a reindex does not restore them.
 */
int catalog_share_create(struct catalog *cat, const char *actor,
    struct catalog_share *share);

/**
 * catalog_share_use(cat, token_hash, now, out):
 * Atomically: find the link ${token_hash}; if it is not revoked, not expired
 * at ${now}, has uses left (or unlimited) and its document is live, spend
 * one use, fill ${out} (uses_left after the decrement) and return 0; else
 * STORAGE_ENOTFOUND.  Audited "share.use" on the vault's chain.  Release
 * ${out} with catalog_share_clear().
 */
int catalog_share_use(struct catalog *cat,
    const uint8_t token_hash[CATALOG_HASH_BYTES], int64_t now,
    struct catalog_share *out);

/**
 * catalog_share_revoke(cat, actor, id):
 * Revoke share link ${id}.  STORAGE_ENOTFOUND if unknown or already
 * revoked.  Audited "share.revoke".
 */
int catalog_share_revoke(struct catalog *cat, const char *actor,
    const char *id);

/**
 * catalog_share_get(cat, id, out):
 * Fill ${out} with share link ${id} (whatever its state).
 */
int catalog_share_get(struct catalog *cat, const char *id,
    struct catalog_share *out);

/**
 * catalog_share_list(cat, document, v, n):
 * Set ${*v} to a malloc'd array of the ${*n} share links of ${document},
 * revoked and expired ones included.  Release with
 * catalog_share_list_free().
 */
int catalog_share_list(struct catalog *cat, const char *document,
    struct catalog_share **v, size_t *n);

/**
 * catalog_share_clear(s), catalog_share_list_free(v, n):
 * Free a share link's header / a list of share links.  NULL is a no-op.
 */
void catalog_share_clear(struct catalog_share *s);
void catalog_share_list_free(struct catalog_share *v, size_t n);

/* ------------------------------------------------------------------ */
/* Oppositions: a person refuses deposits from an employer. */

/**
 * catalog_opposition_add(cat, actor, vault, siret, since):
 * Record that vault ${vault} opposes deposits by SIRET ${siret} from
 * ${since}.  STORAGE_EEXIST if already recorded.  Record object + audit.
 */
int catalog_opposition_add(struct catalog *cat, const char *actor,
    const char *vault, const char *siret, int64_t since);

/**
 * catalog_opposition_remove(cat, actor, vault, siret):
 * Lift an opposition.  STORAGE_ENOTFOUND if there is none.
 */
int catalog_opposition_remove(struct catalog *cat, const char *actor,
    const char *vault, const char *siret);

/**
 * catalog_opposition_get(cat, vault, siret, since):
 * Return 0 and set ${*since} (may be NULL) if ${vault} opposes ${siret},
 * else STORAGE_ENOTFOUND.
 */
int catalog_opposition_get(struct catalog *cat, const char *vault,
    const char *siret, int64_t *since);

/**
 * catalog_opposition_list(cat, vault, v, n):
 * Set ${*v} to a malloc'd array (free()) of the oppositions of ${vault}.
 */
int catalog_opposition_list(struct catalog *cat, const char *vault,
    struct catalog_opposition **v, size_t *n);

/* ------------------------------------------------------------------ */
/* Service settings (retention, log retention, closure date, ...) */

/**
 * catalog_setting_set(cat, actor, key, value):
 * Set setting ${key} to ${value} (record object + audit on the operator
 * chain).
 */
int catalog_setting_set(struct catalog *cat, const char *actor,
    const char *key, const char *value);

/**
 * catalog_setting_get(cat, key, value, valuelen):
 * Copy setting ${key} into ${value} (NUL-terminated).  STORAGE_ENOTFOUND
 * if unset, STORAGE_ETOOBIG if ${valuelen} is too small.
 */
int catalog_setting_get(struct catalog *cat, const char *key, char *value,
    size_t valuelen);

/* ------------------------------------------------------------------ */
/* Audit chains */

/*
 * Entry hash (clients may recompute it; docs/STORAGE.md has the same text):
 *   hash = SHA-256(prev || be64(seq) || be64(time) || lp(chain) ||
 *                  lp(actor) || lp(action) || lp(target) || lp(detail))
 * where prev is the hash of entry seq-1 (32 zero bytes for seq 1), be64 is
 * the big-endian 8-byte two's complement encoding, and lp(s) is the
 * big-endian 4-byte length of the UTF-8 string s followed by its bytes.
 */

/**
 * catalog_audit_append(cat, chain, actor, action, target, detail):
 * Append an entry to chain ${chain} in its own transaction, for events the
 * daemon records itself (reads, logins, operator actions).  ${target} and
 * ${detail} may be NULL ("").
 */
int catalog_audit_append(struct catalog *cat, const char *chain,
    const char *actor, const char *action, const char *target,
    const char *detail);

/**
 * catalog_audit_list(cat, chain, after, limit, v, n):
 * Set ${*v} to a malloc'd array (free()) of at most ${limit} (1 ..
 * CATALOG_LIST_MAX; 0: 100) entries of ${chain} with seq > ${after}, in
 * order.  Page on by passing the last seq seen.
 */
int catalog_audit_list(struct catalog *cat, const char *chain,
    uint64_t after, size_t limit, struct catalog_audit_entry **v, size_t *n);

/**
 * catalog_audit_head(cat, chain, seq, hash):
 * Set ${*seq} and ${hash} to the last entry of ${chain} (0 and 32 zero
 * bytes for an empty chain).  The daemon signs this head.
 */
int catalog_audit_head(struct catalog *cat, const char *chain, uint64_t *seq,
    uint8_t hash[DIGEST_BYTES]);

/**
 * catalog_audit_verify(cat, chain, bad_seq):
 * Recompute every hash of ${chain}.  Return 0 if the chain is intact,
 * STORAGE_ECORRUPT (and the first bad seq in ${*bad_seq}, may be NULL)
 * if an entry was altered, removed or reordered.
 */
int catalog_audit_verify(struct catalog *cat, const char *chain,
    uint64_t *bad_seq);

/**
 * catalog_audit_entry_hash(e, out):
 * Compute the hash of entry ${e} (from its fields and ${e}->prev) into
 * ${out}, as described above.
 */
void catalog_audit_entry_hash(const struct catalog_audit_entry *e,
    uint8_t out[DIGEST_BYTES]);

#endif /* !CATALOG_H_ */
