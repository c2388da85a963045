/*
 * Unit tests of the daemon's strict parsers: vault addresses, SIRETs,
 * names, tokens, base64, numbers, times and the config file.  The daemon
 * is a program, not a library, so its sources are compiled in here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.c"
#include "daemon/ids.c"
#include "daemon/logger.c"

static void
test_ids_vault_make_roundtrip(void **state)
{
    char v[IDS_VAULT_BUFLEN];
    uint64_t x, got, made = 0;

    (void)state;
    for (x = 0; x < 2000; x++) {
        uint64_t val = x * UINT64_C(0x9e3779b97f4a7c15) >> 4;

        if (ids_vault_make(val, v) != 0) {
            assert_true(val % 37 >= 32);
            continue;
        }
        made++;
        assert_int_equal(strlen(v), IDS_VAULT_LEN);
        assert_int_equal(ids_vault_parse(v, strlen(v), &got), 0);
        assert_true(got == (val & ((UINT64_C(1) << 60) - 1)));
    }
    assert_true(made > 1500);
}

static void
test_ids_vault_parse_rejects_single_errors(void **state)
{
    static const char sym[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char v[IDS_VAULT_BUFLEN], w[IDS_VAULT_BUFLEN], t;
    size_t i, j;

    (void)state;
    assert_int_equal(ids_vault_make(UINT64_C(123456789012345), v), 0);
    /* Every single substitution is caught by the check symbol. */
    for (i = 0; i < IDS_VAULT_LEN; i++) {
        if (v[i] == '-') {
            continue;
        }
        for (j = 0; j < 32; j++) {
            if (sym[j] == v[i]) {
                continue;
            }
            memcpy(w, v, sizeof(w));
            w[i] = sym[j];
            assert_int_not_equal(ids_vault_parse(w, strlen(w), NULL), 0);
        }
    }
    /* Every swap of two adjacent different data symbols too. */
    for (i = 0; i + 1 < 14; i++) {
        if (v[i] == '-' || v[i + 1] == '-' || v[i] == v[i + 1]) {
            continue;
        }
        memcpy(w, v, sizeof(w));
        t = w[i];
        w[i] = w[i + 1];
        w[i + 1] = t;
        assert_int_not_equal(ids_vault_parse(w, strlen(w), NULL), 0);
    }
}

static void
test_ids_vault_parse_rejects_noncanonical(void **state)
{
    char v[IDS_VAULT_BUFLEN], w[40];

    (void)state;
    assert_int_equal(ids_vault_make(UINT64_C(987654321), v), 0);
    assert_int_equal(ids_vault_parse(v, strlen(v), NULL), 0);
    /* Lower case, missing dashes, extra characters, short, NUL. */
    snprintf(w, sizeof(w), "%s", v);
    w[0] = (char)(w[0] | 0x20);
    if (w[0] != v[0]) {
        assert_int_not_equal(ids_vault_parse(w, strlen(w), NULL), 0);
    }
    assert_int_not_equal(ids_vault_parse(v, strlen(v) - 1, NULL), 0);
    snprintf(w, sizeof(w), "%sX", v);
    assert_int_not_equal(ids_vault_parse(w, strlen(w), NULL), 0);
    snprintf(w, sizeof(w), "%s", v);
    w[4] = 'A';
    assert_int_not_equal(ids_vault_parse(w, strlen(w), NULL), 0);
    memcpy(w, v, sizeof(v));
    w[2] = '\0';
    assert_int_not_equal(ids_vault_parse(w, IDS_VAULT_LEN, NULL), 0);
    assert_int_not_equal(ids_vault_parse("../../etc/passwd", 16, NULL), 0);
}

static void
test_ids_siret_valid_luhn(void **state)
{

    (void)state;
    /* Known valid SIRETs (Luhn), and La Poste's exception. */
    assert_true(ids_siret_valid("73282932000074", 14));
    assert_true(ids_siret_valid("35600000000048", 14));
    assert_false(ids_siret_valid("73282932000075", 14));
    assert_false(ids_siret_valid("7328293200007", 13));
    assert_false(ids_siret_valid("7328293200007a", 14));
    assert_false(ids_siret_valid("732829320000745", 15));
    assert_true(ids_siret_valid("35600000000015", 14));
    assert_false(ids_siret_valid("35600000000049", 14));
}

static void
test_ids_account_kind_distinguishes(void **state)
{
    char v[IDS_VAULT_BUFLEN];

    (void)state;
    assert_int_equal(ids_vault_make(42, v), 0);
    assert_int_equal(ids_account_kind(v, strlen(v)), IDS_KIND_PERSON);
    assert_int_equal(ids_account_kind("73282932000074", 14),
        IDS_KIND_EMPLOYER);
    assert_int_equal(ids_account_kind("cnav", 4), IDS_KIND_SERVICE);
    assert_int_equal(ids_account_kind("Cnav", 4), 0);
    assert_int_equal(ids_account_kind("a", 1), 0);
    assert_int_equal(ids_account_kind("cn/av", 5), 0);
    assert_int_equal(ids_account_kind("", 0), 0);
}

static void
test_ids_token_roundtrip_and_rejects(void **state)
{
    uint8_t raw[32], back[32];
    char tok[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(raw); i++) {
        raw[i] = (uint8_t)(i * 37 + 1);
    }
    assert_int_equal(ids_token_encode(raw, 32, tok, sizeof(tok)), 0);
    assert_int_equal(strlen(tok), 43);
    assert_int_equal(ids_token_decode(tok, 43, back, 32), 0);
    assert_memory_equal(raw, back, 32);
    assert_int_not_equal(ids_token_decode(tok, 42, back, 32), 0);
    tok[5] = '+';
    assert_int_not_equal(ids_token_decode(tok, 43, back, 32), 0);
    /* Room check. */
    assert_int_not_equal(ids_token_encode(raw, 32, tok, 43), 0);
}

static void
test_ids_b64_decode_strict(void **state)
{
    uint8_t *out;
    size_t len;
    char *e;

    (void)state;
    assert_int_equal(ids_b64_decode("aGVsbG8=", 8, &out, 100, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    e = ids_b64_encode((const uint8_t *)"hello", 5);
    assert_string_equal(e, "aGVsbG8=");
    free(e);
    /* No padding, bad padding, non-canonical bits, spaces, too big. */
    assert_int_not_equal(ids_b64_decode("aGVsbG8", 7, &out, 100, &len), 0);
    assert_int_not_equal(ids_b64_decode("aGVsbG9=", 8, &out, 100, &len), 0);
    assert_int_not_equal(ids_b64_decode("aGVs bG8=", 9, &out, 100, &len), 0);
    assert_int_not_equal(ids_b64_decode("aGVsbG8=", 8, &out, 4, &len), 0);
    assert_int_not_equal(ids_b64_decode("", 0, &out, 100, &len), 0);
    assert_int_not_equal(ids_b64_decode("====", 4, &out, 100, &len), 0);
    assert_null(out);
}

/* The in-place encoder agrees with the allocating one at every length and
 * refuses a buffer one byte short. */
static void
test_ids_b64_encode_to_fits_exactly(void **state)
{
    uint8_t in[40];
    char out[IDS_B64_BUFLEN(40)];
    size_t len, i;
    char *e;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)(i * 37 + 5);
    }
    for (len = 0; len <= sizeof(in); len++) {
        assert_int_equal(ids_b64_encode_to(in, len, out,
            IDS_B64_BUFLEN(len)), 0);
        assert_non_null(e = ids_b64_encode(in, len));
        assert_string_equal(out, e);
        free(e);
        assert_int_equal(ids_b64_encode_to(in, len, out,
            IDS_B64_BUFLEN(len) - 1), -1);
    }
}

/* The request line: every field, the milliseconds zero-padded, quotes in
 * the route escaped, absent account and address as "-". */
static void
test_logger_request_line_format(void **state)
{
    char path[] = "/tmp/coffred-log-XXXXXX", buf[1024];
    const char *a, *b;
    ssize_t n;
    int fd;

    (void)state;
    assert_true((fd = mkstemp(path)) >= 0);
    assert_int_equal(logger_open(path, LOGGER_INFO), 0);
    logger_request(7, "GET", "/v1/documents/{id}", 200, 931, 4005, "acct1",
        "127.0.0.1");
    logger_request(18446744073709551615ULL, "PUT", "/x\"y", 413, 0, 12,
        NULL, NULL);
    logger_flush();
    logger_close();
    assert_true((n = read(fd, buf, sizeof(buf) - 1)) > 0);
    buf[n] = '\0';
    (void)close(fd);
    (void)unlink(path);
    /* t=YYYY-MM-DDTHH:MM:SS.mmmZ */
    assert_memory_equal(buf, "t=", 2);
    assert_int_equal(buf[21], '.');
    assert_int_equal(buf[25], 'Z');
    a = buf + 26;
    assert_non_null(b = strchr(a, '\n'));
    assert_int_equal(b - a, strlen(" level=info req=7 method=\"GET\" "
        "route=\"/v1/documents/{id}\" status=200 bytes=931 ms=4.005 "
        "account=acct1 addr=127.0.0.1"));
    assert_memory_equal(a, " level=info req=7 method=\"GET\" "
        "route=\"/v1/documents/{id}\" status=200 bytes=931 ms=4.005 "
        "account=acct1 addr=127.0.0.1", (size_t)(b - a));
    a = b + 1 + 26;
    assert_string_equal(a, " level=info req=18446744073709551615 "
        "method=\"PUT\" route=\"/x\\\"y\" status=413 bytes=0 ms=0.012 "
        "account=- addr=-\n");
}

static void
test_ids_u64_parse_strict(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(ids_u64_parse("0", 1, 0, 10, &v), 0);
    assert_int_equal(ids_u64_parse("200", 3, 1, 200, &v), 0);
    assert_true(v == 200);
    assert_int_not_equal(ids_u64_parse("201", 3, 1, 200, &v), 0);
    assert_int_not_equal(ids_u64_parse("012", 3, 0, 200, &v), 0);
    assert_int_not_equal(ids_u64_parse("", 0, 0, 200, &v), 0);
    assert_int_not_equal(ids_u64_parse("-1", 2, 0, 200, &v), 0);
    assert_int_not_equal(ids_u64_parse("1 ", 2, 0, 200, &v), 0);
    assert_int_not_equal(ids_u64_parse("18446744073709551616", 20, 0,
        UINT64_MAX, &v), 0);
    assert_int_equal(ids_u64_parse("18446744073709551615", 20, 0,
        UINT64_MAX, &v), 0);
}

static void
test_ids_time_parse_roundtrip(void **state)
{
    char buf[IDS_TIME_BUFLEN];
    int64_t t;

    (void)state;
    assert_int_equal(ids_time_parse("2026-11-28T01:13:00Z", 20, &t), 0);
    assert_true(t == INT64_C(1795828380));
    assert_int_equal(ids_time_format(t, buf), 0);
    assert_string_equal(buf, "2026-11-28T01:13:00Z");
    assert_int_equal(ids_time_parse("2024-02-29T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(ids_time_parse("2023-02-29T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(ids_time_parse("2026-13-01T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(ids_time_parse("2026-11-28 01:13:00Z", 20, &t), 0);
    assert_int_not_equal(ids_time_parse("2026-11-28T01:13:00", 19, &t), 0);
    assert_int_not_equal(ids_time_parse("1969-12-31T23:59:59Z", 20, &t), 0);
}

static void
test_ids_range_parse_forms(void **state)
{
    uint64_t off, len;

    (void)state;
#define R(s) ids_range_parse(s, strlen(s), 20, &off, &len)
    assert_int_equal(R("bytes=5-9"), 0);
    assert_true(off == 5 && len == 5);
    assert_int_equal(R("bytes=5-"), 0);
    assert_true(off == 5 && len == 15);
    assert_int_equal(R("bytes=-3"), 0);
    assert_true(off == 17 && len == 3);
    assert_int_equal(R("bytes=-30"), 0);
    assert_true(off == 0 && len == 20);
    assert_int_equal(R("bytes=10-100"), 0);
    assert_true(off == 10 && len == 10);
    assert_int_equal(R("bytes=20-"), -1);
    assert_int_equal(R("bytes=25-30"), -1);
    /* Ignored: whole body. */
    assert_int_equal(R("bytes=9-5"), 1);
    assert_int_equal(R("bytes=1-2,4-5"), 1);
    assert_int_equal(R("items=1-2"), 1);
    assert_int_equal(R("bytes=-"), 1);
    assert_int_equal(R("bytes=-0"), 1);
    assert_int_equal(R("bytes= 1-2"), 1);
    assert_int_equal(R("bytes=1-2x"), 1);
    assert_int_equal(R("bytes=99999999999999999999-"), 1);
    assert_int_equal(ids_range_parse("bytes=0-", 8, 0, &off, &len), -1);
#undef R
}

static void
test_config_load_file_and_errors(void **state)
{
    char path[] = "/tmp/coffred-conf-XXXXXX", err[256];
    struct config cfg;
    FILE *f;
    int fd;

    (void)state;
    assert_true((fd = mkstemp(path)) >= 0);
    assert_non_null(f = fdopen(fd, "w"));
    fputs("# comment\n\nlisten = [::1]:9000\nthreads = 4\n"
        "registration = approval\nmax_blob_bytes = 1024\n"
        "closure_date = 2076-01-01T00:00:00Z\n", f);
    fclose(f);
    assert_int_equal(config_init(&cfg), 0);
    assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 9000);
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.registration, CONFIG_REG_APPROVAL);
    assert_true(cfg.max_blob_bytes == 1024);
    assert_true(cfg.closure_date > 0);
    assert_int_not_equal(config_set(&cfg, "threads", "0"), 0);
    assert_int_not_equal(config_set(&cfg, "nosuchkey", "1"), 0);
    assert_int_not_equal(config_set(&cfg, "listen", "127.0.0.1"), 0);
    assert_int_not_equal(config_set(&cfg, "listen", "127.0.0.1:70000"), 0);
    assert_int_not_equal(config_set(&cfg, "registration", "maybe"), 0);
    config_clear(&cfg);

    assert_non_null(f = fopen(path, "w"));
    fputs("threads = many\n", f);
    fclose(f);
    assert_int_equal(config_init(&cfg), 0);
    assert_int_not_equal(config_load(&cfg, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, ":1:"));
    config_clear(&cfg);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_vault_make_roundtrip),
        cmocka_unit_test(test_ids_vault_parse_rejects_single_errors),
        cmocka_unit_test(test_ids_vault_parse_rejects_noncanonical),
        cmocka_unit_test(test_ids_siret_valid_luhn),
        cmocka_unit_test(test_ids_account_kind_distinguishes),
        cmocka_unit_test(test_ids_token_roundtrip_and_rejects),
        cmocka_unit_test(test_ids_b64_decode_strict),
        cmocka_unit_test(test_ids_b64_encode_to_fits_exactly),
        cmocka_unit_test(test_logger_request_line_format),
        cmocka_unit_test(test_ids_u64_parse_strict),
        cmocka_unit_test(test_ids_time_parse_roundtrip),
        cmocka_unit_test(test_ids_range_parse_forms),
        cmocka_unit_test(test_config_load_file_and_errors),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
