#ifndef AUTH_H_
#define AUTH_H_

#include <stdint.h>

/*
 * Bearer tokens and login throttling (docs/API.md §3).  Tokens and login
 * challenges are 32 random bytes, shown base64url, stored by the catalog
 * only as their SHA-256.  Failed logins are counted per account and per
 * client address in a fixed-size in-memory table.
 */

struct api_req;
struct auth;

/**
 * auth_new(), auth_free(a):
 * Create / free the throttling table.  auth_new returns NULL on failure.
 */
struct auth *auth_new(void);
void auth_free(struct auth *a);

/**
 * auth_authenticate(req):
 * Check the request's `Authorization: Bearer` token and fill
 * ${req}->caller.  Return 0, or answer `401 unauthenticated` (or 5xx) and
 * return 1.
 */
int auth_authenticate(struct api_req *req);

/**
 * auth_recheck(req):
 * Check again the token that authenticated ${req} (as auth_authenticate
 * does: the cache of recently checked tokens, else the catalog), right
 * before its handler runs.  A request whose body arrives slowly is
 * authenticated when its headers arrive, and must not act once its token
 * is revoked (logout), expired, or its account disabled.  Refresh
 * ${req}->caller and return 0, or answer `401 unauthenticated` (or 5xx)
 * and return 1.
 */
int auth_recheck(struct api_req *req);

/**
 * auth_forget(a, hash):
 * Drop token hash ${hash} from the cache of recently checked tokens (at
 * logout, after the session is revoked in the catalog).  A check already
 * under way, which may have read the session before the revocation, does
 * not cache what it read.  A token is otherwise re-checked against the
 * catalog at most AUTH_CACHE_SECS after its last check, so that a session
 * revoked by another process (account disabled by the operator, logout
 * through another daemon) stops working within that time.
 */
void auth_forget(struct auth *a, const uint8_t *hash);

/**
 * auth_throttled(a, key, now, retry):
 * Nonzero if ${key} (an account id or "addr:<address>") has reached its
 * failure limit in the current window; set ${*retry} to the seconds left.
 */
int auth_throttled(struct auth *a, const char *key, int64_t now,
    int64_t *retry);

/**
 * auth_failed(a, key, now):
 * Count one failed login for ${key}.
 */
void auth_failed(struct auth *a, const char *key, int64_t now);

#endif /* !AUTH_H_ */
