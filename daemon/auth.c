#include "daemon/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "crypto/secmem.h"
#include "daemon/api.h"
#include "daemon/ids.h"
#include "daemon/limits.h"

/* One throttled key: an account id or a client address. */
struct slot {
    uint8_t key[DIGEST_BYTES];     /* SHA-256 of the key text */
    int64_t window_start;
    unsigned fails;
    int used;
};

/* A token checked against the catalog moments ago. */
struct cached {
    uint8_t hash[CATALOG_HASH_BYTES];
    int64_t checked;               /* 0: empty */
    int64_t expires;               /* the session's expiry */
    struct catalog_account acct;
};

struct auth {
    pthread_mutex_t mtx;
    struct slot slots[AUTH_THROTTLE_SLOTS];
    pthread_mutex_t cmtx;
    uint64_t forgets;              /* auth_forget() calls so far (cmtx) */
    struct cached cache[AUTH_CACHE_SLOTS];
};

struct auth *
auth_new(void)
{
    struct auth *a;

    if ((a = calloc(1, sizeof(*a))) == NULL) {
        return (NULL);
    }
    if (pthread_mutex_init(&a->mtx, NULL) != 0) {
        free(a);
        return (NULL);
    }
    if (pthread_mutex_init(&a->cmtx, NULL) != 0) {
        pthread_mutex_destroy(&a->mtx);
        free(a);
        return (NULL);
    }
    return (a);
}

void
auth_free(struct auth *a)
{

    if (a == NULL) {
        return;
    }
    pthread_mutex_destroy(&a->mtx);
    pthread_mutex_destroy(&a->cmtx);
    secmem_wipe(a->cache, sizeof(a->cache));
    free(a);
}

/* The cache slot of token hash ${h}. */
static struct cached *
cache_slot(struct auth *a, const uint8_t h[CATALOG_HASH_BYTES])
{

    return (&a->cache[((size_t)h[0] << 8 | h[1]) % AUTH_CACHE_SLOTS]);
}

/*
 * If token hash ${h} was checked less than AUTH_CACHE_SECS ago and its
 * session has not expired, copy its account into ${acct} and return 1.
 * Else return 0 and set ${*gen} for the cache_put() of a catalog check.
 */
static int
cache_get(struct auth *a, const uint8_t h[CATALOG_HASH_BYTES], int64_t now,
    struct catalog_account *acct, uint64_t *gen)
{
    struct cached *c = cache_slot(a, h);
    int hit;

    pthread_mutex_lock(&a->cmtx);
    *gen = a->forgets;
    hit = c->checked != 0 && now - c->checked < AUTH_CACHE_SECS &&
        now >= c->checked && now < c->expires &&
        secmem_eq(c->hash, h, CATALOG_HASH_BYTES);
    if (hit) {
        *acct = c->acct;
    }
    pthread_mutex_unlock(&a->cmtx);
    return (hit);
}

/*
 * Remember that token hash ${h} is a valid session of ${acct}, as read
 * from the catalog after a cache_get() that set ${gen}.  If a token was
 * forgotten since (a logout may have revoked this very one after the
 * read), remember nothing: the next request asks the catalog again.
 */
static void
cache_put(struct auth *a, const uint8_t h[CATALOG_HASH_BYTES], int64_t now,
    int64_t expires, const struct catalog_account *acct, uint64_t gen)
{
    struct cached *c = cache_slot(a, h);

    pthread_mutex_lock(&a->cmtx);
    if (a->forgets != gen) {
        pthread_mutex_unlock(&a->cmtx);
        return;
    }
    memcpy(c->hash, h, CATALOG_HASH_BYTES);
    c->checked = now;
    c->expires = expires;
    c->acct = *acct;
    pthread_mutex_unlock(&a->cmtx);
}

void
auth_forget(struct auth *a, const uint8_t *h)
{
    struct cached *c = cache_slot(a, h);

    pthread_mutex_lock(&a->cmtx);
    a->forgets++;
    if (secmem_eq(c->hash, h, CATALOG_HASH_BYTES)) {
        secmem_wipe(c, sizeof(*c));
    }
    pthread_mutex_unlock(&a->cmtx);
}

/* Limit for ${key}: addresses are prefixed "addr:". */
static unsigned
limit_of(const char *key)
{

    return (strncmp(key, "addr:", 5) == 0 ? AUTH_THROTTLE_ADDR_FAILS :
        AUTH_THROTTLE_ACCOUNT_FAILS);
}

/*
 * The slot of ${key} (open addressing over a few probes); with ${create},
 * reuse an expired or the oldest probed slot.  Called locked.
 */
static struct slot *
slot_find(struct auth *a, const char *key, int64_t now, int create)
{
    uint8_t h[DIGEST_BYTES];
    struct slot *s, *victim = NULL;
    size_t i, idx;

    digest_buf((const uint8_t *)key, strlen(key), h);
    idx = ((size_t)h[0] << 8 | h[1]) % AUTH_THROTTLE_SLOTS;
    for (i = 0; i < 8; i++) {
        s = &a->slots[(idx + i) % AUTH_THROTTLE_SLOTS];
        if (s->used && memcmp(s->key, h, sizeof(h)) == 0) {
            if (now - s->window_start >= AUTH_THROTTLE_WINDOW_SECS) {
                s->window_start = now;
                s->fails = 0;
            }
            return (s);
        }
        if (!s->used || now - s->window_start >= AUTH_THROTTLE_WINDOW_SECS) {
            if (victim == NULL || victim->used) {
                victim = s;
            }
        } else if (victim == NULL || (victim->used &&
            s->window_start < victim->window_start)) {
            victim = s;
        }
    }
    if (!create || victim == NULL) {
        return (NULL);
    }
    memcpy(victim->key, h, sizeof(h));
    victim->used = 1;
    victim->window_start = now;
    victim->fails = 0;
    return (victim);
}

int
auth_throttled(struct auth *a, const char *key, int64_t now, int64_t *retry)
{
    struct slot *s;
    int r = 0;

    *retry = 0;
    pthread_mutex_lock(&a->mtx);
    if ((s = slot_find(a, key, now, 0)) != NULL && s->fails >= limit_of(key)) {
        r = 1;
        *retry = s->window_start + AUTH_THROTTLE_WINDOW_SECS - now;
        if (*retry < 1) {
            *retry = 1;
        }
    }
    pthread_mutex_unlock(&a->mtx);
    return (r);
}

void
auth_failed(struct auth *a, const char *key, int64_t now)
{
    struct slot *s;

    pthread_mutex_lock(&a->mtx);
    if ((s = slot_find(a, key, now, 1)) != NULL) {
        s->fails++;
    }
    pthread_mutex_unlock(&a->mtx);
}

/*
 * Check the token whose hash is ${req}->caller.token_hash: through the
 * cache of recently checked tokens, else the catalog (session live, account
 * active or pending).  Fill ${req}->caller and return 0, or answer 401 (or
 * 5xx) and return 1.
 */
static int
token_check(struct api_req *req)
{
    char acct[CATALOG_ID_BUFLEN];
    int64_t now, expires = 0;
    uint64_t gen;
    int r;

    now = api_now();
    if (cache_get(req->app->auth, req->caller.token_hash, now,
        &req->caller.acct, &gen)) {
        goto ok;
    }
    r = catalog_session_lookup(req->app->cat, req->caller.token_hash,
        now, acct, &expires);
    if (r == STORAGE_ENOTFOUND) {
        goto unauth;
    } else if (r != 0) {
        api_reply_storage(req, r, "");
        return (1);
    }
    r = catalog_account_get(req->app->cat, acct, &req->caller.acct);
    if (r == STORAGE_ENOTFOUND) {
        goto unauth;
    } else if (r != 0) {
        api_reply_storage(req, r, "");
        return (1);
    }
    if (req->caller.acct.state != CATALOG_STATE_ACTIVE &&
        req->caller.acct.state != CATALOG_STATE_PENDING) {
        goto unauth;
    }
    cache_put(req->app->auth, req->caller.token_hash, now, expires,
        &req->caller.acct, gen);

ok:
    req->caller.authed = 1;
    req->caller.public_id = api_account_public_id(&req->caller.acct);
    return (0);

unauth:
    memset(&req->caller, 0, sizeof(req->caller));
    api_reply_error(req, 401, "unauthenticated",
        "missing, unknown or expired token");
    return (1);
}

int
auth_authenticate(struct api_req *req)
{
    uint8_t raw[AUTH_TOKEN_BYTES];
    const char *h;

    h = api_req_header(req, "Authorization");
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0 ||
        ids_token_decode(h + 7, strlen(h + 7), raw, sizeof(raw)) != 0) {
        memset(&req->caller, 0, sizeof(req->caller));
        api_reply_error(req, 401, "unauthenticated",
            "missing, unknown or expired token");
        return (1);
    }
    digest_buf(raw, sizeof(raw), req->caller.token_hash);
    secmem_wipe(raw, sizeof(raw));
    return (token_check(req));
}

int
auth_recheck(struct api_req *req)
{

    if (!req->caller.authed) {
        api_reply_error(req, 401, "unauthenticated",
            "missing, unknown or expired token");
        return (1);
    }
    return (token_check(req));
}
