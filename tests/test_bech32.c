#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/b64.h"
#include "crypto/bech32.h"

/* BIP 173 valid strings: they decode and re-encode to the same text. */
static void
test_bech32_decode_bip173_valid(void **state)
{
    static const char *ok[] = {
        "A12UEL5L",
        "a12uel5l",
        ("an83characterlonghumanreadablepartthatcontainsthenumber1andthe"
        "excludedcharactersbio1tt5tgs"),
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    char hrp[90], out[200];
    uint8_t data[64];
    size_t i, n;
    int upper;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(bech32_decode(ok[i], strlen(ok[i]), hrp,
            sizeof(hrp), data, sizeof(data), &n), 0);
        upper = (ok[i][0] >= 'A' && ok[i][0] <= 'Z');
        assert_int_equal(bech32_encode(hrp, data, n, upper, out,
            sizeof(out)), (int)strlen(ok[i]));
        assert_string_equal(out, ok[i]);
    }
}

/* BIP 173 invalid strings, and our own strictness cases. */
static void
test_bech32_decode_rejects_invalid(void **state)
{
    static const char *bad[] = {
        " 1nwldj5",             /* space in the HRP */
        ("\x7f" "1axkwrx"),     /* DEL in the HRP */
        ("\x80" "1eym55h"),     /* beyond ASCII */
        ("an84characterslonghumanreadablepartthatcontainsthenumber1andthe"
        "excludedcharactersbio1569pvx"),
        "pzry9x0s0muk",         /* no separator */
        "1pzry9x0s0muk",        /* empty HRP */
        "x1b4n0q5v",            /* 'b' is not a data character */
        "li1dgmt3",             /* checksum too short */
        "de1lg7wt\xff",         /* invalid character in the checksum */
        "A1G7SGD8",             /* checksum over the upper-case HRP */
        "10a06t8",              /* empty HRP */
        "1qzzfhee",             /* empty HRP */
        "A12uEL5L",             /* mixed case */
        "a12uel5m",             /* checksum changed */
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx",
    };
    char hrp[90];
    uint8_t data[64];
    size_t i, n = 99;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(bech32_decode(bad[i], strlen(bad[i]), hrp,
            sizeof(hrp), data, sizeof(data), &n), -1);
        assert_int_equal(n, 0);
    }
}

/* Data that does not end on a byte boundary with zero bits is refused. */
static void
test_bech32_decode_rejects_nonzero_padding(void **state)
{
    uint8_t one = 0xff, data[4];
    char s[64], hrp[8];
    size_t n;

    (void)state;

    /* "a1" + "lu" would be 10 bits: 8 data bits and 2 padding bits. */
    assert_int_equal(bech32_encode("a", &one, 1, 0, s, sizeof(s)), 10);
    assert_string_equal(s, "a1lu9cgf6y");
    assert_int_equal(bech32_decode(s, 10, hrp, sizeof(hrp), data,
        sizeof(data), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(data[0], 0xff);

    /* Same bits but padding 11, with a valid checksum (computed apart). */
    assert_int_equal(bech32_decode("a1llttal5m", 10, hrp, sizeof(hrp),
        data, sizeof(data), &n), -1);
}

/* Too small buffers are reported, not overrun. */
static void
test_bech32_encode_rejects_small_buffer(void **state)
{
    uint8_t k[32] = { 1 };
    char out[70], hrp[3];
    uint8_t small[31];
    size_t n;

    (void)state;
    assert_int_equal(bech32_encode("age", k, 32, 0, out, 62), -1);
    assert_int_equal(bech32_encode("age", k, 32, 0, out, 63), 62);
    assert_int_equal(bech32_decode(out, 62, hrp, sizeof(hrp), small,
        sizeof(small), &n), -1);
    assert_int_equal(bech32_encode("", k, 32, 0, out, sizeof(out)), -1);
}

/* Canonical unpadded base64 round-trips at every length up to 50. */
static void
test_b64_roundtrip(void **state)
{
    uint8_t in[50], back[50];
    char s[B64_ENCODED_LEN(50) + 1];
    size_t len, n;
    int w;

    (void)state;
    randombytes_buf(in, sizeof(in));
    for (len = 0; len <= sizeof(in); len++) {
        w = b64_encode(in, len, s, sizeof(s));
        assert_int_equal(w, (int)B64_ENCODED_LEN(len));
        assert_null(strchr(s, '='));
        assert_int_equal(b64_decode(s, (size_t)w, back, sizeof(back), &n),
            0);
        assert_int_equal(n, len);
        assert_memory_equal(in, back, len);
    }
}

/* Padding, spaces, other alphabets and non-canonical bits are refused. */
static void
test_b64_decode_rejects_noncanonical(void **state)
{
    static const char *bad[] = {
        "AA==", "AAA=", "A", "AAAAA", "AB", "AAB", "AA A", " AAA", "AAA\n",
        "AA-_", "AA.A", ("\xc3\xa9" "AA"),
    };
    uint8_t out[16];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(b64_decode(bad[i], strlen(bad[i]), out,
            sizeof(out), &n), -1);
    }

    /* The canonical neighbours of the refused ones are fine. */
    assert_int_equal(b64_decode("AA", 2, out, sizeof(out), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(b64_decode("AAE", 3, out, sizeof(out), &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(b64_decode("", 0, out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);

    /* Output limit. */
    assert_int_equal(b64_decode("AAAA", 4, out, 2, &n), -1);

    /* An embedded NUL within the stated length. */
    assert_int_equal(b64_decode("AA\0A", 4, out, sizeof(out), &n), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bech32_decode_bip173_valid),
        cmocka_unit_test(test_bech32_decode_rejects_invalid),
        cmocka_unit_test(test_bech32_decode_rejects_nonzero_padding),
        cmocka_unit_test(test_bech32_encode_rejects_small_buffer),
        cmocka_unit_test(test_b64_roundtrip),
        cmocka_unit_test(test_b64_decode_rejects_noncanonical),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("bech32", tests, NULL, NULL));
}
