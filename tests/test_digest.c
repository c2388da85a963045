#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/digest.h"

/* Known answer: SHA-256("abc") from FIPS 180-2. */
static void
test_digest_kat_abc(void **state)
{
    uint8_t d[DIGEST_BYTES];
    char id[DIGEST_ID_BUFLEN];
    struct digest *ctx;

    (void)state;
    assert_non_null(ctx = digest_new());
    digest_update(ctx, (const uint8_t *)"a", 1);
    digest_update(ctx, (const uint8_t *)"bc", 2);
    digest_final(ctx, d);
    digest_free(ctx);
    digest_id_format(d, id);
    assert_string_equal(id, "sha256:ba7816bf8f01cfea414140de5dae2223"
                            "b00361a396177a9cb410ff61f20015ad");
}

static void
test_digest_id_parse_roundtrip(void **state)
{
    uint8_t d[DIGEST_BYTES], e[DIGEST_BYTES];
    char id[DIGEST_ID_BUFLEN];

    (void)state;
    digest_buf((const uint8_t *)"", 0, d);
    digest_id_format(d, id);
    assert_int_equal(digest_id_parse(id, strlen(id), e), 0);
    assert_memory_equal(d, e, DIGEST_BYTES);
}

static void
test_digest_id_parse_rejects_malformed(void **state)
{
    static const char *bad[] = {
        "",
        "sha256:",
        "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adz",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/",
        "sha256:../16bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };
    uint8_t d[DIGEST_BYTES];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(digest_id_parse(bad[i], strlen(bad[i]), d), -1);
    }
    /* An embedded NUL within the stated length is refused. */
    assert_int_equal(digest_id_parse("sha256:\0a", 9, d), -1);
}

/*
 * The streaming digest agrees with an independent SHA-256 (libsodium's)
 * for every length around the 64-byte block and digest_buf()'s 256-byte
 * switch from libsodium to libcrypto, and for large inputs fed in
 * uneven pieces.
 */
static void
test_digest_matches_independent_sha256(void **state)
{
    static uint8_t buf[300000];
    uint8_t a[DIGEST_BYTES], b[DIGEST_BYTES], c[DIGEST_BYTES];
    struct digest *ctx;
    size_t len, off, step;

    (void)state;
    randombytes_buf(buf, sizeof(buf));
    assert_non_null(ctx = digest_new());
    for (len = 0; len < sizeof(buf); len = (len < 300) ? len + 1 : len * 3) {
        digest_reset(ctx);
        off = 0;
        step = 1;
        while (off < len) {
            size_t n = (off + step > len) ? len - off : step;

            digest_update(ctx, buf + off, n);
            off += n;
            step = step * 7 % 4099 + 1;
        }
        digest_final(ctx, a);
        digest_buf(buf, len, b);
        crypto_hash_sha256(c, buf, len);
        assert_memory_equal(a, c, DIGEST_BYTES);
        assert_memory_equal(b, c, DIGEST_BYTES);
    }
    digest_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_kat_abc),
        cmocka_unit_test(test_digest_id_parse_roundtrip),
        cmocka_unit_test(test_digest_id_parse_rejects_malformed),
        cmocka_unit_test(test_digest_matches_independent_sha256),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("digest", tests, NULL, NULL));
}
