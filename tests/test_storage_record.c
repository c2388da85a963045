/* Record objects: canonical JSON encoder and strict parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/record.h"
#include "storage/storage.h"
#include "tests/util/storage_tu.h"

/* Build the reference record used by several tests. */
static void
sample(struct record *r)
{
    static const uint8_t bin[5] = {0, 1, 2, 0xfe, 0xff};

    record_init(r, "grant/1");
    assert_int_equal(record_add_cstr(r, "reader", "ab\"c\\d\n\x01 é"), 0);
    assert_int_equal(record_add_int(r, "created", -42), 0);
    assert_int_equal(record_add_b64(r, "header", bin, sizeof(bin)), 0);
    assert_int_equal(record_add_int(r, "big", INT64_MAX), 0);
    assert_int_equal(record_add_int(r, "small", INT64_MIN), 0);
}

static void
test_record_encode_is_canonical(void **state)
{
    struct record r;
    uint8_t *buf;
    size_t len;
    const char *want =
        "{\"coffre\":\"grant/1\",\"big\":9223372036854775807,"
        "\"created\":-42,\"header\":\"AAEC/v8=\","
        "\"reader\":\"ab\\\"c\\\\d\\u000a\\u0001 \xc3\xa9\","
        "\"small\":-9223372036854775808}";

    (void)state;
    sample(&r);
    assert_int_equal(record_encode(&r, &buf, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    free(buf);
    record_clear(&r);
}

static void
test_record_parse_round_trip(void **state)
{
    struct record r, p;
    uint8_t *buf, *bin;
    const char *s;
    size_t len, slen, binlen;
    int64_t v;

    (void)state;
    sample(&r);
    assert_int_equal(record_encode(&r, &buf, &len), 0);
    assert_int_equal(record_parse(buf, len, &p), 0);
    assert_string_equal(p.type, "grant/1");
    assert_int_equal(record_get_str(&p, "reader", &s, &slen), 0);
    assert_string_equal(s, "ab\"c\\d\n\x01 é");
    assert_int_equal(record_get_int(&p, "created", &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(record_get_int(&p, "small", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(record_get_b64(&p, "header", 100, &bin, &binlen), 0);
    assert_int_equal(binlen, 5);
    assert_int_equal(bin[3], 0xfe);
    free(bin);
    assert_int_equal(record_get_b64(&p, "header", 4, &bin, &binlen),
        STORAGE_ETOOBIG);
    assert_int_equal(record_get_int(&p, "reader", &v), STORAGE_EINVAL);
    assert_int_equal(record_get_str(&p, "created", &s, &slen),
        STORAGE_EINVAL);
    assert_int_equal(record_get_int(&p, "absent", &v), STORAGE_ENOTFOUND);
    record_clear(&p);
    free(buf);
    record_clear(&r);
}

static void
test_record_b64_every_length(void **state)
{
    uint8_t in[40], *out;
    struct record r;
    size_t n, outlen;

    (void)state;
    storage_tu_fill(in, sizeof(in), 5);
    for (n = 0; n <= sizeof(in); n++) {
        record_init(&r, "t/1");
        assert_int_equal(record_add_b64(&r, "b", in, n), 0);
        assert_int_equal(record_get_b64(&r, "b", sizeof(in), &out, &outlen),
            0);
        assert_int_equal(outlen, n);
        assert_memory_equal(out, in, n);
        free(out);
        record_clear(&r);
    }
}

static void
test_record_parse_rejects_noncanonical(void **state)
{
    static const char *const bad[] = {
        "",
        "{}",
        "{\"coffre\":\"t/1\"",
        "{\"coffre\":\"t/1\"} ",
        " {\"coffre\":\"t/1\"}",
        "{\"coffre\": \"t/1\"}",
        "{\"coffre\":\"\"}",
        "{\"type\":\"t/1\"}",
        "{\"coffre\":\"t/1\",\"b\":1,\"a\":2}",           /* key order */
        "{\"coffre\":\"t/1\",\"a\":1,\"a\":1}",           /* duplicate */
        "{\"coffre\":\"t/1\",\"a\":01}",
        "{\"coffre\":\"t/1\",\"a\":-0}",
        "{\"coffre\":\"t/1\",\"a\":+1}",
        "{\"coffre\":\"t/1\",\"a\":1.5}",
        "{\"coffre\":\"t/1\",\"a\":1e3}",
        "{\"coffre\":\"t/1\",\"a\":9223372036854775808}",
        "{\"coffre\":\"t/1\",\"a\":true}",
        "{\"coffre\":\"t/1\",\"a\":null}",
        "{\"coffre\":\"t/1\",\"a\":[1]}",
        "{\"coffre\":\"t/1\",\"a\":{}}",
        "{\"coffre\":\"t/1\",\"a\":\"\\u0041\"}",         /* needless escape */
        "{\"coffre\":\"t/1\",\"a\":\"\\/\"}",
        "{\"coffre\":\"t/1\",\"a\":\"\\n\"}",
        "{\"coffre\":\"t/1\",\"a\":\"\\u000A\"}",
        "{\"coffre\":\"t/1\",\"a\":\"\\u0000\"}",
        "{\"coffre\":\"t/1\",\"a\":\"\x01\"}",            /* raw control */
        "{\"coffre\":\"t/1\",\"a\":\"\xc3\"}",            /* bad UTF-8 */
        "{\"coffre\":\"t/1\",\"a\":\"\xc0\xaf\"}",        /* overlong */
        "{\"coffre\":\"t/1\",\"a\":\"\xed\xa0\x80\"}",    /* surrogate */
        "{\"coffre\":\"t/1\",\"A\":1}",                   /* key charset */
        "{\"coffre\":\"t/1\",\"coffre\":1}",
        "{\"coffre\":\"t/1\",\"a\":1,}",
        "[\"coffre\"]",
    };
    struct record r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (record_parse((const uint8_t *)bad[i], strlen(bad[i]), &r) == 0) {
            fail_msg("accepted: %s", bad[i]);
        }
        record_clear(&r);
    }
}

static void
test_record_parse_rejects_truncation_and_flips(void **state)
{
    struct record r, p;
    uint8_t *buf;
    size_t len, i;
    int bit, ok;

    (void)state;
    sample(&r);
    assert_int_equal(record_encode(&r, &buf, &len), 0);
    for (i = 0; i < len; i++) {
        assert_int_not_equal(record_parse(buf, i, &p), 0);
        record_clear(&p);
    }
    /* A bit flip either breaks the record or yields a different, still
     * canonical one; it never parses back to the same fields silently. */
    for (i = 0; i < len; i++) {
        for (bit = 0; bit < 8; bit++) {
            uint8_t *again;
            size_t againlen;

            buf[i] ^= (uint8_t)(1 << bit);
            ok = record_parse(buf, len, &p) == 0;
            if (ok) {
                assert_int_equal(record_encode(&p, &again, &againlen), 0);
                assert_int_equal(againlen, len);
                assert_memory_equal(again, buf, len);
                free(again);
            }
            record_clear(&p);
            buf[i] ^= (uint8_t)(1 << bit);
        }
    }
    free(buf);
    record_clear(&r);
}

static void
test_record_add_rejects_bad_fields(void **state)
{
    struct record r;
    int i;
    char key[8];

    (void)state;
    record_init(&r, "t/1");
    assert_int_equal(record_add_int(&r, "Bad", 1), STORAGE_EINVAL);
    assert_int_equal(record_add_int(&r, "", 1), STORAGE_EINVAL);
    assert_int_equal(record_add_int(&r, "coffre", 1), STORAGE_EINVAL);
    assert_int_equal(record_add_str(&r, "a", "\xff", 1), STORAGE_EINVAL);
    assert_int_equal(record_add_str(&r, "a", "a\0b", 3), STORAGE_EINVAL);
    assert_int_equal(record_add_int(&r, "a", 1), 0);
    assert_int_equal(record_add_int(&r, "a", 2), STORAGE_EINVAL);
    for (i = 1; i < RECORD_MAX_FIELDS; i++) {
        (void)snprintf(key, sizeof(key), "k%c", 'a' + i);
        assert_int_equal(record_add_int(&r, key, i), 0);
    }
    assert_int_equal(record_add_int(&r, "zz", 1), STORAGE_ETOOBIG);
    record_clear(&r);
}

static void
test_record_b64_rejects_bad_padding(void **state)
{
    static const char *const bad[] = {
        "{\"coffre\":\"t/1\",\"b\":\"A\"}",
        "{\"coffre\":\"t/1\",\"b\":\"AB==\"}",     /* non-zero pad bits */
        "{\"coffre\":\"t/1\",\"b\":\"AAB=\"}",
        "{\"coffre\":\"t/1\",\"b\":\"A===\"}",
        "{\"coffre\":\"t/1\",\"b\":\"AA=A\"}",
        "{\"coffre\":\"t/1\",\"b\":\"AA==AAAA\"}",
        "{\"coffre\":\"t/1\",\"b\":\"AA-_\"}",
    };
    struct record r;
    uint8_t *out;
    size_t i, outlen;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(record_parse((const uint8_t *)bad[i],
            strlen(bad[i]), &r), 0);
        if (record_get_b64(&r, "b", 100, &out, &outlen) == 0) {
            fail_msg("accepted base64: %s", bad[i]);
        }
        record_clear(&r);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_encode_is_canonical),
        cmocka_unit_test(test_record_parse_round_trip),
        cmocka_unit_test(test_record_b64_every_length),
        cmocka_unit_test(test_record_parse_rejects_noncanonical),
        cmocka_unit_test(test_record_parse_rejects_truncation_and_flips),
        cmocka_unit_test(test_record_add_rejects_bad_fields),
        cmocka_unit_test(test_record_b64_rejects_bad_padding),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
