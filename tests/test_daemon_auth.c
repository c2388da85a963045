/*
 * Unit tests of the daemon's token check and its one-second cache
 * (daemon/auth.c), with the catalog replaced by a fake session table
 * (-Wl,--wrap, tests/test_daemon_auth.mk) so that a logout can be made to
 * land exactly between a check's catalog read and its cache write.  The
 * daemon is a program, not a library, so its sources are compiled in here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/auth.c"
#include "daemon/ids.c"

int __wrap_catalog_session_lookup(struct catalog *,
    const uint8_t[CATALOG_HASH_BYTES], int64_t, char[CATALOG_ID_BUFLEN],
    int64_t *);
int __wrap_catalog_account_get(struct catalog *, const char *,
    struct catalog_account *);

#define ACCOUNT "0123456789abcdef0123456789abcdef"

/* The fake catalog: one session, and what the test makes happen. */
static struct {
    int live;                      /* the session is not revoked */
    unsigned lookups;              /* catalog reads of the session */
    struct auth *logout_from;      /* non-NULL: log out during the read */
} fake;

static char authz[128];            /* the request's Authorization header */
static unsigned last_status;       /* status of the last answer */

int
__wrap_catalog_session_lookup(struct catalog *cat,
    const uint8_t hash[CATALOG_HASH_BYTES], int64_t now,
    char account[CATALOG_ID_BUFLEN], int64_t *expires)
{
    int live = fake.live;

    (void)cat;
    (void)now;
    fake.lookups++;
    /*
     * A logout committed by another thread right after this read: the
     * session is revoked and the cache told to forget the token, before
     * the caller of this read gets to cache what it read.
     */
    if (fake.logout_from != NULL) {
        fake.live = 0;
        auth_forget(fake.logout_from, hash);
        fake.logout_from = NULL;
    }
    if (!live) {
        return (STORAGE_ENOTFOUND);
    }
    strcpy(account, ACCOUNT);
    *expires = api_now() + 3600;
    return (0);
}

int
__wrap_catalog_account_get(struct catalog *cat, const char *id,
    struct catalog_account *out)
{

    (void)cat;
    memset(out, 0, sizeof(*out));
    strcpy(out->id, id);
    out->kind = CATALOG_KIND_PERSON;
    out->state = CATALOG_STATE_ACTIVE;
    return (0);
}

/* The parts of daemon/api_util.c that auth.c uses. */
const char *
api_req_header(struct api_req *req, const char *name)
{

    (void)req;
    return (strcmp(name, "Authorization") == 0 ? authz : NULL);
}

int
api_reply_error(struct api_req *req, unsigned status, const char *code,
    const char *message)
{

    (void)code;
    (void)message;
    req->answered = 1;
    last_status = status;
    return (0);
}

int
api_reply_storage(struct api_req *req, int err, const char *what)
{

    (void)err;
    return (api_reply_error(req, 500, "internal", what));
}

int64_t
api_now(void)
{

    return (1700000000);
}

const char *
api_account_public_id(const struct catalog_account *acct)
{

    return (acct->id);
}

/* Authenticate a fresh request of ${app}; return what auth_authenticate
 * returns. */
static int
authenticate(struct app *app)
{
    struct api_req req;

    memset(&req, 0, sizeof(req));
    req.app = app;
    last_status = 0;
    return (auth_authenticate(&req));
}

static int
setup(void **state)
{
    static struct app app;
    uint8_t raw[AUTH_TOKEN_BYTES];
    char tok[AUTH_TOKEN_B64_LEN + 1];

    memset(&fake, 0, sizeof(fake));
    fake.live = 1;
    memset(&app, 0, sizeof(app));
    if ((app.auth = auth_new()) == NULL) {
        return (-1);
    }
    randombytes_buf(raw, sizeof(raw));
    if (ids_token_encode(raw, sizeof(raw), tok, sizeof(tok)) != 0) {
        return (-1);
    }
    snprintf(authz, sizeof(authz), "Bearer %s", tok);
    *state = &app;
    return (0);
}

static int
teardown(void **state)
{
    struct app *app = *state;

    auth_free(app->auth);
    return (0);
}

static void
test_auth_cache_spares_the_catalog(void **state)
{
    struct app *app = *state;

    assert_int_equal(authenticate(app), 0);
    assert_int_equal(authenticate(app), 0);
    assert_int_equal(authenticate(app), 0);
    /* One catalog read, then the cache (within the same second). */
    assert_int_equal(fake.lookups, 1);
}

static void
test_auth_forget_refuses_the_token_at_once(void **state)
{
    struct app *app = *state;
    uint8_t h[DIGEST_BYTES];
    uint8_t raw[AUTH_TOKEN_BYTES];

    assert_int_equal(authenticate(app), 0);
    /* Logout: the session goes, the cache forgets. */
    fake.live = 0;
    assert_int_equal(ids_token_decode(authz + 7, strlen(authz + 7), raw,
        sizeof(raw)), 0);
    digest_buf(raw, sizeof(raw), h);
    auth_forget(app->auth, h);
    assert_int_equal(authenticate(app), 1);
    assert_int_equal(last_status, 401);
}

static void
test_auth_logout_during_check_is_not_cached(void **state)
{
    struct app *app = *state;

    /* The check reads a live session; a logout lands before it caches. */
    fake.logout_from = app->auth;
    assert_int_equal(authenticate(app), 0);
    assert_int_equal(fake.live, 0);
    /* The next request must not be let in by what that check cached. */
    assert_int_equal(authenticate(app), 1);
    assert_int_equal(last_status, 401);
    assert_int_equal(fake.lookups, 2);
}

static void
test_auth_recheck_sees_a_revoked_session(void **state)
{
    struct app *app = *state;
    struct api_req req;

    memset(&req, 0, sizeof(req));
    req.app = app;
    fake.logout_from = app->auth;
    assert_int_equal(auth_authenticate(&req), 0);
    assert_int_equal(auth_recheck(&req), 1);
    assert_int_equal(last_status, 401);
    assert_int_equal(req.caller.authed, 0);
    /* Never authenticated: refused without a catalog read. */
    memset(&req, 0, sizeof(req));
    req.app = app;
    fake.lookups = 0;
    assert_int_equal(auth_recheck(&req), 1);
    assert_int_equal(fake.lookups, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth_cache_spares_the_catalog,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_auth_forget_refuses_the_token_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_auth_logout_during_check_is_not_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_auth_recheck_sees_a_revoked_session, setup, teardown),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests(tests, NULL, NULL));
}
