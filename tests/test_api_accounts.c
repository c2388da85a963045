/*
 * Registration modes, operator account commands and the key directory,
 * against the real daemon.
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "tests/util/api_harness.h"

/* Register a person on ${d}; return the status and the vault. */
static long
register_person(struct api_daemon *d, struct api_user *u)
{
    char body[512];
    struct api_resp r;
    long st;

    memset(u, 0, sizeof(*u));
    minisig_keygen(&u->sk, &u->pk);
    minisig_pubkey_encode(&u->pk, u->pkb64);
    snprintf(body, sizeof(body), "{\"kind\":\"person\",\"age_recipient\":"
        "\"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\","
        "\"minisign_key\":\"%s\"}", u->pkb64);
    assert_int_equal(api_request(d, "POST", "/v1/accounts", NULL, body,
        strlen(body), NULL, &r), 0);
    st = r.status;
    if (st == 201 || st == 202) {
        assert_int_equal(api_json_field(r.body, "vault", u->vault,
            sizeof(u->vault)), 0);
        strcpy(u->id, u->vault);
    }
    api_resp_free(&r);
    return (st);
}

static void
test_api_registration_by_approval(void **state)
{
    const char *extra[] = { "--registration", "approval", NULL };
    struct api_daemon d;
    struct api_user u;
    char out[256], path[128];

    (void)state;
    assert_int_equal(api_daemon_start(&d, extra), 0);
    assert_int_equal(register_person(&d, &u), 202);
    /*
     * Pending: the account logs in and sees itself, but may neither list
     * nor deposit nor read until approved; its token then works fully.
     */
    assert_int_equal(api_user_login(&d, &u), 200);
    assert_int_equal(api_status(&d, "GET", "/v1/me", u.token, NULL), 200);
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", u.vault);
    assert_int_equal(api_status(&d, "GET", path, u.token, NULL), 403);
    snprintf(path, sizeof(path), "/v1/vaults/%s/audit", u.vault);
    assert_int_equal(api_status(&d, "GET", path, u.token, NULL), 403);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account",
        "approve", u.id, (char *)NULL), 0);
    sleep(2); /* the daemon caches a checked token for one second */
    snprintf(path, sizeof(path), "/v1/vaults/%s/documents", u.vault);
    assert_int_equal(api_status(&d, "GET", path, u.token, NULL), 200);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account",
        "approve", "NOPE-NOPE-NOPE-0", (char *)NULL), 1);
    assert_int_equal(api_daemon_stop(&d), 0);
}

static void
test_api_registration_closed(void **state)
{
    const char *extra[] = { "--registration", "closed", NULL };
    struct api_daemon d;
    struct api_user u;

    (void)state;
    assert_int_equal(api_daemon_start(&d, extra), 0);
    assert_int_equal(register_person(&d, &u), 403);
    assert_int_equal(api_daemon_stop(&d), 0);
}

static void
test_api_operator_account_add_checks(void **state)
{
    struct api_daemon d;
    struct api_user p, e, s;
    char out[4096], siret[15], key[MINISIG_PUBKEY_B64_LEN + 1];
    struct minisig_seckey sk;
    struct minisig_pubkey pk;
    struct api_resp r;

    (void)state;
    assert_int_equal(api_daemon_start(&d, NULL), 0);
    minisig_keygen(&sk, &pk);
    minisig_pubkey_encode(&pk, key);
    /* A SIRET with a bad Luhn key, a bad service name, a bad key. */
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account", "add",
        "--kind", "employer", "--siret", "73282932000075", "--age-recipient",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        "--minisign-key", key, (char *)NULL), 1);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account", "add",
        "--kind", "service", "--name", "Bad_Name", "--age-recipient",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        "--minisign-key", key, (char *)NULL), 1);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account", "add",
        "--kind", "service", "--name", "cnav", "--age-recipient",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        "--minisign-key", "RWnotakey", (char *)NULL), 1);
    /* Good ones; a second service of the same name is refused. */
    api_siret_make(4242, siret);
    assert_int_equal(api_user_operator(&d, &e, "employer", siret), 0);
    assert_string_equal(e.id, siret);
    assert_int_equal(api_user_operator(&d, &s, "service", "cnav"), 0);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account", "add",
        "--kind", "service", "--name", "cnav", "--age-recipient",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        "--minisign-key", key, (char *)NULL), 1);
    assert_int_equal(api_user_person(&d, &p), 0);
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account", "list",
        (char *)NULL), 0);
    assert_non_null(strstr(out, siret));
    assert_non_null(strstr(out, "cnav"));
    assert_non_null(strstr(out, p.vault));

    /* The key directory, by each kind of public id. */
    {
        char path[128], got[128];

        snprintf(path, sizeof(path), "/v1/directory/vaults/%s", p.vault);
        assert_int_equal(api_request(&d, "GET", path, e.token, NULL, 0, NULL,
            &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(api_json_field(r.body, "minisign_key", got,
            sizeof(got)), 0);
        assert_string_equal(got, p.pkb64);
        api_resp_free(&r);
        snprintf(path, sizeof(path), "/v1/directory/employers/%s", siret);
        assert_int_equal(api_request(&d, "GET", path, p.token, NULL, 0, NULL,
            &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(api_json_field(r.body, "name", got, sizeof(got)),
            0);
        assert_string_equal(got, "Test SA");
        api_resp_free(&r);
        assert_int_equal(api_status(&d, "GET",
            "/v1/directory/services/cnav", p.token, NULL), 200);
        assert_int_equal(api_status(&d, "GET",
            "/v1/directory/services/nosuch", p.token, NULL), 404);
        assert_int_equal(api_status(&d, "GET",
            "/v1/directory/employers/73282932000074", p.token, NULL), 404);
        assert_int_equal(api_status(&d, "GET",
            "/v1/directory/employers/73282932000075", p.token, NULL), 400);
        /* A person's address in the employer route is malformed there. */
        snprintf(path, sizeof(path), "/v1/directory/employers/%s", p.vault);
        assert_int_equal(api_status(&d, "GET", path, p.token, NULL), 400);
    }
    /* Disabled accounts vanish from the directory. */
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "account",
        "disable", "cnav", (char *)NULL), 0);
    assert_int_equal(api_status(&d, "GET", "/v1/directory/services/cnav",
        p.token, NULL), 404);
    assert_int_equal(api_daemon_stop(&d), 0);
}

static void
test_api_cli_unknown_command_is_usage_error(void **state)
{
    struct api_daemon d;
    char out[4096];

    (void)state;
    memset(&d, 0, sizeof(d));
    snprintf(d.data, sizeof(d.data), "/nonexistent-coffre");
    assert_int_equal(api_daemon_cli(&d, out, sizeof(out), "bogus",
        (char *)NULL), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_registration_by_approval),
        cmocka_unit_test(test_api_registration_closed),
        cmocka_unit_test(test_api_operator_account_add_checks),
        cmocka_unit_test(test_api_cli_unknown_command_is_usage_error),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests(tests, NULL, NULL));
}
