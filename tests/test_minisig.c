#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * Vectors in tests/data/minisig-* were made by minisign 0.11 itself (see
 * tests/data/minisig-README.txt).
 */
#define KAT_KEYID "BD14F8B6E8253059"
#define KAT_PUB "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i"
#define KAT_TRUSTED "period:2026-10\temployer:12345678900011"
#define KAT_UNTRUSTED "coffre test vector"

#define SEC_BIN_BYTES 158
#define SEC_OFF_KDF 2
#define SEC_OFF_CHKALG 4
#define SEC_OFF_SALT 6
#define SEC_OFF_SK 62
#define SEC_OFF_CHK 126
#define SIGFILE_MAX 4096

/* Read tests/data/${name} into a NUL-terminated buffer; free() it. */
static char *
load(const char *name, size_t *lenp)
{
    const char *src = getenv("COFFRE_SRCDIR");
    char path[1024];
    char *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_true((n = ftell(f)) >= 0);
    rewind(f);
    assert_non_null(buf = malloc((size_t)n + 1));
    if (n > 0) {
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    }
    fclose(f);
    buf[n] = '\0';
    *lenp = (size_t)n;
    return (buf);
}

/* The public key of the vectors. */
static void
kat_pubkey(struct minisig_pubkey *pk)
{
    size_t len;
    char *t = load("minisig-test.pub", &len);

    assert_int_equal(minisig_pubkey_parse(t, len, pk), 0);
    free(t);
}

/* The secret key of the vectors, in secmem; secmem_free() it. */
static struct minisig_seckey *
kat_seckey(void)
{
    struct minisig_seckey *sk;
    size_t len;
    char *t = load("minisig-test.key", &len);

    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    assert_int_equal(minisig_seckey_parse(t, len, sk), 0);
    sodium_memzero(t, len);
    free(t);
    return (sk);
}

/* Parse ${text} and, if that works, verify it over ${msg}. */
static int
parse_verify(const char *text, size_t len, const void *msg, size_t msglen,
    const struct minisig_pubkey *pk)
{
    struct minisig sig;
    int rc;

    if ((rc = minisig_parse(text, len, &sig)) != 0) {
        return (rc);
    }
    return (minisig_verify_buf(msg, msglen, &sig, pk));
}

/* Decode line 2 of a secret key file into ${bin}. */
static void
seckey_decode(const char *text, uint8_t bin[SEC_BIN_BYTES])
{
    const char *l2 = strchr(text, '\n');
    size_t binlen;

    assert_non_null(l2);
    l2++;
    assert_int_equal(sodium_base642bin(bin, SEC_BIN_BYTES, l2, 212, NULL,
                         &binlen, NULL, sodium_base64_VARIANT_ORIGINAL),
        0);
    assert_int_equal(binlen, SEC_BIN_BYTES);
}

/* Write a secret key file holding ${bin} into ${out}; return its length. */
static size_t
seckey_encode(const uint8_t bin[SEC_BIN_BYTES], char out[512])
{
    size_t n;

    n = (size_t)snprintf(out, 512, "untrusted comment: test\n");
    sodium_bin2base64(out + n, 512 - n, bin, SEC_BIN_BYTES,
        sodium_base64_VARIANT_ORIGINAL);
    n += 212;
    out[n++] = '\n';
    out[n] = '\0';
    return (n);
}

/* Recompute the minisign checksum of ${bin}. */
static void
seckey_fix_chk(uint8_t bin[SEC_BIN_BYTES])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, bin, 2);
    crypto_generichash_update(&st, bin + SEC_OFF_SK - 8, 8 + 64);
    crypto_generichash_final(&st, bin + SEC_OFF_CHK, 32);
}

static void
test_minisig_keyid_hex_kat(void **state)
{
    static const uint8_t id[8] = { 0x59, 0x30, 0x25, 0xe8, 0xb6, 0xf8, 0x14,
        0xbd };
    char hex[MINISIG_KEYID_HEX_LEN + 1];

    (void)state;
    minisig_keyid_hex(id, hex);
    assert_string_equal(hex, KAT_KEYID);
}

static void
test_minisig_pubkey_parse_kat(void **state)
{
    struct minisig_pubkey pk, pk2;
    char b64[MINISIG_PUBKEY_B64_LEN + 1];
    char hex[MINISIG_KEYID_HEX_LEN + 1];
    char file[256];
    size_t len;
    char *t;

    (void)state;
    t = load("minisig-test.pub", &len);
    assert_int_equal(minisig_pubkey_parse(t, len, &pk), 0);
    minisig_keyid_hex(pk.keyid, hex);
    assert_string_equal(hex, KAT_KEYID);
    minisig_pubkey_encode(&pk, b64);
    assert_string_equal(b64, KAT_PUB);

    /* We write the .pub file byte for byte as minisign did. */
    assert_int_equal(minisig_pubkey_file(&pk, file, sizeof(file)), (int)len);
    assert_memory_equal(file, t, len);

    /* The bare key, with or without a line end. */
    assert_int_equal(minisig_pubkey_parse(KAT_PUB, strlen(KAT_PUB), &pk2), 0);
    assert_memory_equal(&pk, &pk2, sizeof(pk));
    assert_int_equal(minisig_pubkey_parse(KAT_PUB "\n", 57, &pk2), 0);
    assert_memory_equal(&pk, &pk2, sizeof(pk));
    assert_int_equal(minisig_pubkey_parse(KAT_PUB "\r\n", 58, &pk2), 0);
    assert_memory_equal(&pk, &pk2, sizeof(pk));
    free(t);
}

static void
test_minisig_pubkey_parse_rejects_malformed(void **state)
{
    static const char *bad[] = {
        "",
        "\n",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0iA",
        "RWRZMCXotvgUvdQh-rFjU7CNGe27I_CSCVy+NOLHG3PCip4slGd0I/0i",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i\n\n",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i\r",
        " RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I\xaf" "CSCVy+NOLHG3PCip4slGd0I/0i",
        "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i ",
        /* "ED" instead of "Ed": not a public key. */
        "RURZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i",
        "untrusted comment: x\n",
        "untrusted comment: x\n\n",
        "comment: x\n" KAT_PUB "\n",
        "untrusted comment: x\n" KAT_PUB "\nextra\n",
        "untrusted comment: x\n" KAT_PUB "\n" KAT_PUB "\n",
        "untrusted comment: x\runtrusted comment: y\n" KAT_PUB "\n",
    };
    struct minisig_pubkey pk;
    char big[1100];
    size_t len, i;
    char *t;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(minisig_pubkey_parse(bad[i], strlen(bad[i]), &pk),
            MINISIG_EFORMAT);
        assert_true(sodium_is_zero((uint8_t *)&pk, sizeof(pk)));
    }
    /* An embedded NUL within the stated length. */
    assert_int_equal(minisig_pubkey_parse(KAT_PUB "\0", 57, &pk),
        MINISIG_EFORMAT);
    /* Every truncation of the file but the one without its final LF. */
    t = load("minisig-test.pub", &len);
    for (i = 0; i < len - 1; i++) {
        assert_int_equal(minisig_pubkey_parse(t, i, &pk), MINISIG_EFORMAT);
    }
    assert_int_equal(minisig_pubkey_parse(t, len - 1, &pk), 0);
    free(t);
    /* A comment line longer than minisign reads. */
    memset(big, 'a', sizeof(big));
    memcpy(big, "untrusted comment: ", 19);
    big[1022] = '\n';
    memcpy(big + 1023, KAT_PUB "\n", 57);
    assert_int_equal(minisig_pubkey_parse(big, 1080, &pk), 0);
    big[1022] = 'a';
    big[1023] = '\n';
    memcpy(big + 1024, KAT_PUB "\n", 57);
    assert_int_equal(minisig_pubkey_parse(big, 1081, &pk), MINISIG_EFORMAT);
}

static void
test_minisig_seckey_parse_kat(void **state)
{
    struct minisig_pubkey pk, pk2;
    struct minisig_seckey *sk;
    uint8_t bin[SEC_BIN_BYTES];
    size_t len;
    char *t;

    (void)state;
    kat_pubkey(&pk);
    sk = kat_seckey();
    minisig_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof(pk));

    /* minisign -G -W leaves the checksum, salt and limits zero. */
    t = load("minisig-test.key", &len);
    seckey_decode(t, bin);
    assert_true(sodium_is_zero(bin + SEC_OFF_CHK, 32));
    assert_true(sodium_is_zero(bin + SEC_OFF_SALT, 48));
    sodium_memzero(bin, sizeof(bin));
    sodium_memzero(t, len);
    free(t);
    secmem_free(sk);
}

static void
test_minisig_seckey_file_roundtrip(void **state)
{
    struct minisig_seckey *sk, *sk2;
    struct minisig_pubkey pk;
    uint8_t ours[SEC_BIN_BYTES], theirs[SEC_BIN_BYTES];
    char out[512];
    size_t len;
    char *t;
    int n;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    assert_non_null(sk2 = secmem_alloc(sizeof(*sk2)));
    minisig_keygen(sk, &pk);
    n = minisig_seckey_file(sk, out, sizeof(out));
    assert_int_equal(n, 49 + 212 + 1);
    assert_int_equal(strlen(out), (size_t)n);
    assert_int_equal(minisig_seckey_parse(out, (size_t)n, sk2), 0);
    assert_memory_equal(sk, sk2, sizeof(*sk));
    secmem_free(sk);

    /* The minisign key rewritten by us: same bytes but the checksum. */
    sk = kat_seckey();
    n = minisig_seckey_file(sk, out, sizeof(out));
    t = load("minisig-test.key", &len);
    assert_int_equal(n, (int)len);
    assert_memory_equal(out, t, 49);
    seckey_decode(out, ours);
    seckey_decode(t, theirs);
    assert_memory_equal(ours, theirs, SEC_OFF_CHK);
    assert_false(sodium_is_zero(ours + SEC_OFF_CHK, 32));
    seckey_fix_chk(theirs);
    assert_memory_equal(ours, theirs, SEC_BIN_BYTES);
    sodium_memzero(ours, sizeof(ours));
    sodium_memzero(theirs, sizeof(theirs));
    sodium_memzero(out, sizeof(out));
    sodium_memzero(t, len);
    free(t);
    secmem_free(sk);
    secmem_free(sk2);
}

static void
test_minisig_seckey_parse_rejects_damage(void **state)
{
    struct minisig_seckey *sk, *sk2;
    struct minisig_pubkey pk;
    uint8_t bin[SEC_BIN_BYTES], orig[SEC_BIN_BYTES];
    char out[512];
    size_t n;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    assert_non_null(sk2 = secmem_alloc(sizeof(*sk2)));
    minisig_keygen(sk, &pk);
    assert_true(minisig_seckey_file(sk, out, sizeof(out)) > 0);
    seckey_decode(out, orig);

    /* A wrong checksum. */
    memcpy(bin, orig, sizeof(bin));
    bin[SEC_OFF_CHK + 5] ^= 0x10;
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    assert_true(sodium_is_zero((uint8_t *)sk2, sizeof(*sk2)));

    /* No checksum, as minisign -W writes: accepted... */
    memcpy(bin, orig, sizeof(bin));
    memset(bin + SEC_OFF_CHK, 0, 32);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), 0);
    assert_memory_equal(sk, sk2, sizeof(*sk));
    /* ...but then a damaged seed or public half is still caught. */
    bin[SEC_OFF_SK + 3] ^= 1;
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    bin[SEC_OFF_SK + 3] ^= 1;
    bin[SEC_OFF_SK + 40] ^= 1;
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    /* Even with a checksum made over the damaged key. */
    seckey_fix_chk(bin);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);

    /* Salt and limits left by `minisign -C -W` are ignored. */
    memcpy(bin, orig, sizeof(bin));
    memset(bin + SEC_OFF_SALT, 0x5a, 48);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), 0);

    /* Encrypted ("Sc"), other checksum or signature algorithms. */
    memcpy(bin, orig, sizeof(bin));
    memcpy(bin + SEC_OFF_KDF, "Sc", 2);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    memcpy(bin, orig, sizeof(bin));
    memcpy(bin + SEC_OFF_CHKALG, "B3", 2);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    memcpy(bin, orig, sizeof(bin));
    memcpy(bin, "ED", 2);
    seckey_fix_chk(bin);
    n = seckey_encode(bin, out);
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);

    /* Not a comment line; or the base64 damaged. */
    n = seckey_encode(orig, out);
    out[0] = 'U';
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    n = seckey_encode(orig, out);
    out[n - 3] = (out[n - 3] == 'A') ? 'B' : 'A';
    assert_int_equal(minisig_seckey_parse(out, n, sk2), MINISIG_EFORMAT);
    n = seckey_encode(orig, out);
    out[n - 2] = '\n';
    assert_int_equal(minisig_seckey_parse(out, n - 1, sk2), MINISIG_EFORMAT);

    sodium_memzero(bin, sizeof(bin));
    sodium_memzero(orig, sizeof(orig));
    sodium_memzero(out, sizeof(out));
    secmem_free(sk);
    secmem_free(sk2);
}

static void
test_minisig_seckey_parse_rejects_truncated(void **state)
{
    struct minisig_seckey *sk;
    size_t len, i;
    char *t;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    t = load("minisig-test.key", &len);
    for (i = 0; i < len - 1; i++) {
        assert_int_equal(minisig_seckey_parse(t, i, sk), MINISIG_EFORMAT);
    }
    assert_int_equal(minisig_seckey_parse(t, len - 1, sk), 0);
    assert_int_equal(minisig_seckey_parse(t, len, sk), 0);
    /* A '/' spelled with its high bit set (libsodium 1.0.18 reads it). */
    assert_int_equal(t[49 + 141], '/');
    t[49 + 141] = (char)0xaf;
    assert_int_equal(minisig_seckey_parse(t, len, sk), MINISIG_EFORMAT);
    sodium_memzero(t, len);
    free(t);
    secmem_free(sk);
}

static void
test_minisig_seckey_file_rejects_small_buffer(void **state)
{
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    char out[512];
    size_t i;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    for (i = 0; i <= 262; i++) {
        assert_int_equal(minisig_seckey_file(sk, out, i), -1);
    }
    assert_int_equal(minisig_seckey_file(sk, out, 263), 262);
    for (i = 0; i <= 113; i++) {
        assert_int_equal(minisig_pubkey_file(&pk, out, i), -1);
    }
    assert_int_equal(minisig_pubkey_file(&pk, out, 114), 113);
    sodium_memzero(out, sizeof(out));
    secmem_free(sk);
}

static void
test_minisig_verify_kat(void **state)
{
    static const struct {
        const char *sig, *msg, *trusted;
    } v[] = {
        { "minisig-msg.txt.minisig", "minisig-msg.txt", KAT_TRUSTED },
        { "minisig-msg-default.minisig", "minisig-msg.txt", NULL },
        { "minisig-empty.txt.minisig", "minisig-empty.txt", "empty file" },
    };
    struct minisig_pubkey pk;
    struct minisig sig;
    size_t i, slen, mlen;
    char *s, *m;

    (void)state;
    kat_pubkey(&pk);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        s = load(v[i].sig, &slen);
        m = load(v[i].msg, &mlen);
        assert_int_equal(minisig_parse(s, slen, &sig), 0);
        assert_memory_equal(sig.alg, "ED", 2);
        assert_memory_equal(sig.keyid, pk.keyid, 8);
        if (v[i].trusted != NULL) {
            assert_string_equal(sig.trusted, v[i].trusted);
        }
        assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &sig, &pk),
            0);
        /* The content matters. */
        assert_int_equal(minisig_verify_buf((const uint8_t *)"x", 1, &sig, &pk),
            MINISIG_EBADSIG);
        free(s);
        free(m);
    }
    s = load("minisig-msg.txt.minisig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_string_equal(sig.untrusted, KAT_UNTRUSTED);
    free(s);
    s = load("minisig-msg-default.minisig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_string_equal(sig.untrusted, "signature from minisign secret key");
    assert_non_null(strstr(sig.trusted, "\tfile:minisig-msg.txt\thashed"));
    free(s);
}

static void
test_minisig_parse_rejects_legacy(void **state)
{
    struct minisig sig;
    size_t len;
    char *t;

    (void)state;
    t = load("minisig-legacy.minisig", &len);
    assert_int_equal(minisig_parse(t, len, &sig), MINISIG_ELEGACY);
    assert_true(sodium_is_zero((uint8_t *)&sig, sizeof(sig)));
    /* A damaged legacy file is just malformed. */
    t[len - 3] ^= 0x01;
    assert_int_equal(minisig_parse(t, len, &sig), MINISIG_EFORMAT);
    free(t);
}

static void
test_minisig_parse_rejects_truncated(void **state)
{
    struct minisig_pubkey pk;
    size_t slen, mlen, i;
    char *s, *m;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);
    for (i = 0; i < slen - 1; i++) {
        assert_int_equal(parse_verify(s, i, m, mlen, &pk), MINISIG_EFORMAT);
    }
    /* Only the final LF may go. */
    assert_int_equal(parse_verify(s, slen - 1, m, mlen, &pk), 0);
    assert_int_equal(parse_verify(s, slen, m, mlen, &pk), 0);
    free(s);
    free(m);
}

static void
test_minisig_verify_rejects_bit_flips(void **state)
{
    struct minisig_pubkey pk;
    size_t slen, mlen, i, ustart, uend;
    unsigned int b;
    unsigned int passed_in_comment = 0;
    char *s, *m;
    int rc;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);
    /* Only the untrusted comment text is not covered by a signature. */
    ustart = strlen("untrusted comment: ");
    uend = (size_t)(strchr(s, '\n') - s);
    for (i = 0; i < slen; i++) {
        for (b = 0; b < 8; b++) {
            s[i] ^= (char)(1u << b);
            rc = parse_verify(s, slen, m, mlen, &pk);
            if (i >= ustart && i < uend) {
                assert_true(rc == 0 || rc == MINISIG_EFORMAT);
                passed_in_comment += (rc == 0);
            } else {
                assert_int_not_equal(rc, 0);
            }
            s[i] ^= (char)(1u << b);
        }
    }
    assert_true(passed_in_comment > 0);
    assert_int_equal(parse_verify(s, slen, m, mlen, &pk), 0);
    /* And every bit of the content. */
    for (i = 0; i < mlen; i += 7) {
        m[i] ^= 0x01;
        assert_int_equal(parse_verify(s, slen, m, mlen, &pk), MINISIG_EBADSIG);
        m[i] ^= 0x01;
    }
    free(s);
    free(m);
}

static void
test_minisig_verify_rejects_tampered_fields(void **state)
{
    struct minisig_pubkey pk;
    struct minisig sig, bad;
    size_t slen, mlen, i;
    char *s, *m;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    for (i = 0; i < 8 * MINISIG_SIG_BYTES; i++) {
        bad = sig;
        bad.sig[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
            MINISIG_EBADSIG);
        bad = sig;
        bad.global_sig[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
            MINISIG_EBADSIG);
    }
    for (i = 0; i < 8 * MINISIG_KEYID_BYTES; i++) {
        bad = sig;
        bad.keyid[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
            MINISIG_EKEYID);
    }
    /* The trusted comment: changed, shortened, lengthened. */
    bad = sig;
    bad.trusted[7] = '1';
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
        MINISIG_EBADSIG);
    bad = sig;
    bad.trusted[strlen(bad.trusted) - 1] = '\0';
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
        MINISIG_EBADSIG);
    bad = sig;
    strcat(bad.trusted, " ");
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
        MINISIG_EBADSIG);
    /* The untrusted comment is, as its name says, not covered. */
    bad = sig;
    strcpy(bad.untrusted, "anything");
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk), 0);
    /* A hand-built struct: legacy, or an unterminated comment. */
    bad = sig;
    memcpy(bad.alg, "Ed", 2);
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
        MINISIG_ELEGACY);
    bad = sig;
    memset(bad.trusted, 'a', sizeof(bad.trusted));
    assert_int_equal(minisig_verify_buf((uint8_t *)m, mlen, &bad, &pk),
        MINISIG_EFORMAT);
    free(s);
    free(m);
}

static void
test_minisig_verify_comment_without_content(void **state)
{
    struct minisig_pubkey pk, other;
    struct minisig_seckey *sk;
    struct minisig sig, bad;
    size_t slen;
    char *s;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    assert_int_equal(minisig_verify_comment(&sig, &pk), 0);
    /* No content is needed; but the global signature covers the content
     * signature, so changing that fails here too. */
    bad = sig;
    bad.sig[0] ^= 0x01;
    assert_int_equal(minisig_verify_comment(&bad, &pk), MINISIG_EBADSIG);
    bad = sig;
    bad.trusted[0] ^= 0x01;
    assert_int_equal(minisig_verify_comment(&bad, &pk), MINISIG_EBADSIG);
    bad = sig;
    bad.global_sig[63] ^= 0x40;
    assert_int_equal(minisig_verify_comment(&bad, &pk), MINISIG_EBADSIG);
    bad = sig;
    memcpy(bad.alg, "Ed", 2);
    assert_int_equal(minisig_verify_comment(&bad, &pk), MINISIG_ELEGACY);
    bad = sig;
    memset(bad.trusted, 'a', sizeof(bad.trusted));
    assert_int_equal(minisig_verify_comment(&bad, &pk), MINISIG_EFORMAT);
    /* Another key, then another key claiming the same id. */
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &other);
    assert_int_equal(minisig_verify_comment(&sig, &other), MINISIG_EKEYID);
    memcpy(other.keyid, pk.keyid, MINISIG_KEYID_BYTES);
    assert_int_equal(minisig_verify_comment(&sig, &other), MINISIG_EBADSIG);
    secmem_free(sk);
    free(s);
}

/* Replace line ${n} (0-based) of ${s} with ${repl}, into ${out}. */
static size_t
replace_line(const char *s, unsigned int n, const char *repl, char *out,
    size_t outlen)
{
    const char *p = s, *e;
    size_t o = 0, k;
    unsigned int i;

    for (i = 0; *p != '\0'; i++) {
        e = strchr(p, '\n');
        assert_non_null(e);
        if (i == n) {
            k = strlen(repl);
            assert_true(o + k + 1 < outlen);
            memcpy(out + o, repl, k);
        } else {
            k = (size_t)(e - p);
            assert_true(o + k + 1 < outlen);
            memcpy(out + o, p, k);
        }
        o += k;
        out[o++] = '\n';
        p = e + 1;
    }
    out[o] = '\0';
    return (o);
}

static void
test_minisig_parse_rejects_bad_base64(void **state)
{
    struct minisig sig;
    char line[128], out[SIGFILE_MAX];
    const char *sline, *gline;
    size_t slen, n;
    char *s;
    static const char *subst[][2] = {
        { "0=", "1=" },   /* non-zero padding bits (sig, one '=') */
        { "0=", "0" },    /* missing padding */
        { "0=", "0==" },  /* too much padding */
        { "Ug0=", "Ug=0" },
        { "Ug0=", "Ug0A" },
        { "RURZ", "RU Z" },
        { "RURZ", "RU-Z" },
        { "vo/j", "vo_j" },
        /* libsodium 1.0.18 alone would read any byte >= 0x80 as '/'. */
        { "vo/j", "vo\xafj" },
        { "vo/j", "vo\xffj" },
    };
    size_t i;

    (void)state;
    s = load("minisig-msg.txt.minisig", &slen);
    sline = "RURZMCXotvgUvdefY0gdJjv7xHHsjgOwAqvejQbzX443lBQu8VQUJyoLWqtVvo/"
            "jQed8U3ZZDRUc8zBp+gyXSICihA22lgCgUg0=";
    gline = "6+pKcZUorXZV1dKAwA36R04rQko2xMRzIOJzasiej191UcOIRnGt8BPnaGnXKU0"
            "PDN6YCGmOLEVifOM+qJFHAA==";
    assert_non_null(strstr(s, sline));
    assert_non_null(strstr(s, gline));
    /* The line as written parses. */
    n = replace_line(s, 1, sline, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), 0);
    for (i = 0; i < sizeof(subst) / sizeof(subst[0]); i++) {
        char *p;

        strcpy(line, sline);
        assert_non_null(p = strstr(line, subst[i][0]));
        memmove(p + strlen(subst[i][1]), p + strlen(subst[i][0]),
            strlen(p + strlen(subst[i][0])) + 1);
        memcpy(p, subst[i][1], strlen(subst[i][1]));
        n = replace_line(s, 1, line, out, sizeof(out));
        assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    }
    /* Global signature: non-zero padding bits, padding, length. */
    strcpy(line, gline);
    line[strlen(line) - 3] = 'B';
    n = replace_line(s, 3, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    strcpy(line, gline);
    line[strlen(line) - 1] = '\0';
    n = replace_line(s, 3, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    strcpy(line, gline);
    strcpy(line + strlen(line) - 4, "==");
    n = replace_line(s, 3, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    /* A signature line that is a valid base64 of something else. */
    n = replace_line(s, 1, gline, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    n = replace_line(s, 3, sline, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    /* An unknown algorithm ("EE"). */
    strcpy(line, sline);
    line[2] = 'V';
    n = replace_line(s, 1, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    free(s);
}

static void
test_minisig_parse_rejects_overlong_comment(void **state)
{
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    struct minisig sig;
    char comment[MINISIG_COMMENT_MAX + 32];
    char line[MINISIG_COMMENT_MAX + 64];
    char out[SIGFILE_MAX + 32];
    size_t slen, mlen, n;
    char *s, *m;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);

    /* Untrusted: minisign reads lines of up to 1022 bytes. */
    strcpy(line, "untrusted comment: ");
    memset(line + 19, 'u', MINISIG_UNTRUSTED_MAX);
    line[19 + MINISIG_UNTRUSTED_MAX] = '\0';
    n = replace_line(s, 0, line, out, sizeof(out));
    assert_int_equal(parse_verify(out, n, m, mlen, &pk), 0);
    assert_int_equal(minisig_parse(out, n, &sig), 0);
    assert_int_equal(strlen(sig.untrusted), MINISIG_UNTRUSTED_MAX);
    /* With CRLF the CR counts. */
    line[19 + MINISIG_UNTRUSTED_MAX] = '\r';
    line[20 + MINISIG_UNTRUSTED_MAX] = '\0';
    n = replace_line(s, 0, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    line[19 + MINISIG_UNTRUSTED_MAX] = 'u';
    n = replace_line(s, 0, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);

    /* Trusted: up to MINISIG_COMMENT_MAX bytes, signed by us. */
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    memset(comment, 't', MINISIG_COMMENT_MAX);
    comment[MINISIG_COMMENT_MAX] = '\0';
    n = (size_t)minisig_sign_buf((uint8_t *)m, mlen, sk, NULL, comment, out,
        sizeof(out));
    assert_int_equal(parse_verify(out, n, m, mlen, &pk), 0);
    comment[MINISIG_COMMENT_MAX] = 't';
    comment[MINISIG_COMMENT_MAX + 1] = '\0';
    assert_int_equal(minisig_sign_buf((uint8_t *)m, mlen, sk, NULL, comment,
                         out, sizeof(out)),
        MINISIG_EFORMAT);
    strcpy(line, "trusted comment: ");
    strcat(line, comment);
    n = replace_line(s, 2, line, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    /* Our signer refuses untrusted comments minisign could not read. */
    memset(comment, 'u', MINISIG_UNTRUSTED_MAX + 1);
    comment[MINISIG_UNTRUSTED_MAX + 1] = '\0';
    assert_int_equal(minisig_sign_buf((uint8_t *)m, mlen, sk, comment, "t",
                         out, sizeof(out)),
        MINISIG_EFORMAT);
    comment[MINISIG_UNTRUSTED_MAX] = '\0';
    assert_true(minisig_sign_buf((uint8_t *)m, mlen, sk, comment, "t", out,
                    sizeof(out))
        > 0);
    secmem_free(sk);
    free(s);
    free(m);
}

static void
test_minisig_parse_line_endings(void **state)
{
    struct minisig_pubkey pk;
    struct minisig sig;
    char out[SIGFILE_MAX + 64];
    size_t slen, mlen, i, n;
    char *s, *m;

    (void)state;
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);

    /* CRLF throughout, as minisign itself accepts: same signature. */
    for (i = 0, n = 0; i < slen; i++) {
        if (s[i] == '\n') {
            out[n++] = '\r';
        }
        out[n++] = s[i];
    }
    assert_int_equal(parse_verify(out, n, m, mlen, &pk), 0);
    assert_int_equal(minisig_parse(out, n, &sig), 0);
    assert_string_equal(sig.trusted, KAT_TRUSTED);
    /* ...and without the last line end. */
    assert_int_equal(parse_verify(out, n - 2, m, mlen, &pk), 0);
    /* A CR alone at the end. */
    assert_int_equal(parse_verify(out, n - 1, m, mlen, &pk), MINISIG_EFORMAT);

    /* Anything after the fourth line. */
    memcpy(out, s, slen);
    out[slen] = '\n';
    assert_int_equal(minisig_parse(out, slen + 1, &sig), MINISIG_EFORMAT);
    memcpy(out + slen, "x\n", 2);
    assert_int_equal(minisig_parse(out, slen + 2, &sig), MINISIG_EFORMAT);

    /* A lone CR or a NUL inside the trusted comment. */
    n = replace_line(s, 2, "trusted comment: period:2026-10\remployer:1",
        out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    memcpy(out, s, slen);
    out[strstr(s, "period") - s] = '\0';
    assert_int_equal(minisig_parse(out, slen, &sig), MINISIG_EFORMAT);

    /* Wrong or missing prefixes, swapped lines. */
    n = replace_line(s, 0, "Untrusted comment: x", out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    n = replace_line(s, 2, "trusted comment:" KAT_TRUSTED, out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    n = replace_line(s, 2, "untrusted comment: " KAT_TRUSTED, out,
        sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);
    n = replace_line(s, 0, "trusted comment: x", out, sizeof(out));
    assert_int_equal(minisig_parse(out, n, &sig), MINISIG_EFORMAT);

    /* Empty comments are fine (the trusted one is still signed). */
    n = replace_line(s, 0, "untrusted comment: ", out, sizeof(out));
    assert_int_equal(parse_verify(out, n, m, mlen, &pk), 0);
    n = replace_line(s, 2, "trusted comment: ", out, sizeof(out));
    assert_int_equal(parse_verify(out, n, m, mlen, &pk), MINISIG_EBADSIG);

    /* Size limit, checked before anything else. */
    assert_int_equal(minisig_parse(s, MINISIG_FILE_MAX + 1, &sig),
        MINISIG_EFORMAT);
    assert_int_equal(minisig_parse("", 0, &sig), MINISIG_EFORMAT);
    free(s);
    free(m);
}

static void
test_minisig_hash_update_odd_splits(void **state)
{
    static const size_t splits[] = { 1, 2, 3, 5, 7, 63, 64, 65, 127, 128,
        129, 255, 1000, 4095, 4096, 5000 };
    static const uint8_t seed[randombytes_SEEDBYTES] = { 42 };
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    struct minisig_hash *h;
    struct minisig sig;
    uint8_t data[5000];
    char one[SIGFILE_MAX], many[SIGFILE_MAX];
    size_t i, off, k, mlen, slen;
    char *m, *s;
    int n1, n2;

    (void)state;
    randombytes_buf_deterministic(data, sizeof(data), seed);
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    n1 = minisig_sign_buf(data, sizeof(data), sk, NULL, "split", one,
        sizeof(one));
    assert_true(n1 > 0);
    /* Ed25519 is deterministic: equal files mean equal prehashes. */
    for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        assert_non_null(h = minisig_hash_new());
        for (off = 0; off < sizeof(data); off += k) {
            k = sizeof(data) - off < splits[i] ? sizeof(data) - off
                                               : splits[i];
            minisig_hash_update(h, data + off, k);
            minisig_hash_update(h, data + off, 0);
        }
        n2 = minisig_sign(h, sk, NULL, "split", many, sizeof(many));
        minisig_hash_free(h);
        assert_int_equal(n1, n2);
        assert_memory_equal(one, many, (size_t)n1);
    }

    /* minisign's own signature, checked over uneven pieces. */
    kat_pubkey(&pk);
    s = load("minisig-msg.txt.minisig", &slen);
    m = load("minisig-msg.txt", &mlen);
    assert_int_equal(minisig_parse(s, slen, &sig), 0);
    for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        assert_non_null(h = minisig_hash_new());
        for (off = 0; off < mlen; off += k) {
            k = mlen - off < splits[i] ? mlen - off : splits[i];
            minisig_hash_update(h, (uint8_t *)m + off, k);
        }
        assert_int_equal(minisig_verify(h, &sig, &pk), 0);
        minisig_hash_free(h);
    }
    free(s);
    free(m);
    secmem_free(sk);
}

static void
test_minisig_sign_buf_verify_buf_roundtrip(void **state)
{
    static const char receipt[] = "{\"doc\":\"sha256:ab\",\"at\":1}";
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    struct minisig sig;
    char out[SIGFILE_MAX];
    int n;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    n = minisig_sign_buf((const uint8_t *)receipt, strlen(receipt), sk, NULL,
        "receipt\tdoc:sha256:ab", out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(strlen(out), (size_t)n);
    assert_int_equal(strncmp(out,
                         "untrusted comment: signature from minisign secret "
                         "key\nRU",
                         56),
        0);
    assert_int_equal(minisig_parse(out, (size_t)n, &sig), 0);
    assert_string_equal(sig.trusted, "receipt\tdoc:sha256:ab");
    assert_int_equal(minisig_verify_buf((const uint8_t *)receipt,
                         strlen(receipt), &sig, &pk),
        0);
    /* An empty trusted comment and an empty message. */
    n = minisig_sign_buf(NULL, 0, sk, "u", "", out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(minisig_parse(out, (size_t)n, &sig), 0);
    assert_int_equal(minisig_verify_buf(NULL, 0, &sig, &pk), 0);
    secmem_free(sk);
}

static void
test_minisig_verify_buf_rejects_other_key(void **state)
{
    struct minisig_seckey *a, *b;
    struct minisig_pubkey pka, pkb;
    struct minisig sig;
    char out[SIGFILE_MAX];
    int n;

    (void)state;
    assert_non_null(a = secmem_alloc(sizeof(*a)));
    assert_non_null(b = secmem_alloc(sizeof(*b)));
    minisig_keygen(a, &pka);
    minisig_keygen(b, &pkb);
    assert_memory_not_equal(pka.keyid, pkb.keyid, 8);
    n = minisig_sign_buf((const uint8_t *)"challenge", 9, a, NULL, "login",
        out, sizeof(out));
    assert_int_equal(minisig_parse(out, (size_t)n, &sig), 0);
    assert_int_equal(minisig_verify_buf((const uint8_t *)"challenge", 9, &sig,
                         &pkb),
        MINISIG_EKEYID);
    /* Another key claiming the same key id. */
    memcpy(pkb.keyid, pka.keyid, 8);
    assert_int_equal(minisig_verify_buf((const uint8_t *)"challenge", 9, &sig,
                         &pkb),
        MINISIG_EBADSIG);
    /* B's signature presented under A's key id. */
    memcpy(b->keyid, a->keyid, 8);
    n = minisig_sign_buf((const uint8_t *)"challenge", 9, b, NULL, "login",
        out, sizeof(out));
    assert_int_equal(minisig_parse(out, (size_t)n, &sig), 0);
    assert_int_equal(minisig_verify_buf((const uint8_t *)"challenge", 9, &sig,
                         &pka),
        MINISIG_EBADSIG);
    secmem_free(a);
    secmem_free(b);
}

static void
test_minisig_sign_rejects_bad_comments(void **state)
{
    static const char *bad[] = { "a\nb", "a\rb", "\n", "x\r" };
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    char out[SIGFILE_MAX];
    size_t i;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(minisig_sign_buf((const uint8_t *)"m", 1, sk, bad[i],
                             "t", out, sizeof(out)),
            MINISIG_EFORMAT);
        assert_int_equal(minisig_sign_buf((const uint8_t *)"m", 1, sk, "u",
                             bad[i], out, sizeof(out)),
            MINISIG_EFORMAT);
        assert_string_equal(out, "");
    }
    assert_int_equal(minisig_sign_buf((const uint8_t *)"m", 1, sk, "u", NULL,
                         out, sizeof(out)),
        MINISIG_EFORMAT);
    secmem_free(sk);
}

static void
test_minisig_sign_rejects_small_buffer(void **state)
{
    struct minisig_seckey *sk;
    struct minisig_pubkey pk;
    char out[SIGFILE_MAX];
    size_t i;
    int n;

    (void)state;
    assert_non_null(sk = secmem_alloc(sizeof(*sk)));
    minisig_keygen(sk, &pk);
    n = minisig_sign_buf((const uint8_t *)"m", 1, sk, "u", "t", out,
        sizeof(out));
    assert_int_equal(n, 19 + 1 + 1 + 100 + 1 + 17 + 1 + 1 + 88 + 1);
    for (i = 0; i <= (size_t)n; i++) {
        assert_int_equal(minisig_sign_buf((const uint8_t *)"m", 1, sk, "u",
                             "t", out, i),
            -1);
    }
    assert_int_equal(minisig_sign_buf((const uint8_t *)"m", 1, sk, "u", "t",
                         out, (size_t)n + 1),
        n);
    secmem_free(sk);
}

static void
test_minisig_keygen_distinct(void **state)
{
    struct minisig_seckey *a, *b;
    struct minisig_pubkey pka, pkb, pk;

    (void)state;
    assert_non_null(a = secmem_alloc(sizeof(*a)));
    assert_non_null(b = secmem_alloc(sizeof(*b)));
    minisig_keygen(a, &pka);
    minisig_keygen(b, &pkb);
    assert_memory_not_equal(pka.pk, pkb.pk, MINISIG_PK_BYTES);
    assert_memory_not_equal(a->sk, b->sk, MINISIG_SK_BYTES);
    minisig_seckey_public(a, &pk);
    assert_memory_equal(&pk, &pka, sizeof(pk));
    secmem_free(a);
    secmem_free(b);
}

static void
test_minisig_strerror_distinct(void **state)
{
    static const int codes[] = { -1, MINISIG_EFORMAT, MINISIG_EKEYID,
        MINISIG_EBADSIG, MINISIG_ELEGACY, MINISIG_ENOMEM };
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_non_null(minisig_strerror(codes[i]));
        for (j = 0; j < i; j++) {
            assert_string_not_equal(minisig_strerror(codes[i]),
                minisig_strerror(codes[j]));
        }
    }
    assert_non_null(minisig_strerror(-99));
}

static void
test_minisig_hash_free_null(void **state)
{

    (void)state;
    minisig_hash_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minisig_keyid_hex_kat),
        cmocka_unit_test(test_minisig_pubkey_parse_kat),
        cmocka_unit_test(test_minisig_pubkey_parse_rejects_malformed),
        cmocka_unit_test(test_minisig_seckey_parse_kat),
        cmocka_unit_test(test_minisig_seckey_file_roundtrip),
        cmocka_unit_test(test_minisig_seckey_parse_rejects_damage),
        cmocka_unit_test(test_minisig_seckey_parse_rejects_truncated),
        cmocka_unit_test(test_minisig_seckey_file_rejects_small_buffer),
        cmocka_unit_test(test_minisig_verify_kat),
        cmocka_unit_test(test_minisig_parse_rejects_legacy),
        cmocka_unit_test(test_minisig_parse_rejects_truncated),
        cmocka_unit_test(test_minisig_verify_rejects_bit_flips),
        cmocka_unit_test(test_minisig_verify_rejects_tampered_fields),
        cmocka_unit_test(test_minisig_verify_comment_without_content),
        cmocka_unit_test(test_minisig_parse_rejects_bad_base64),
        cmocka_unit_test(test_minisig_parse_rejects_overlong_comment),
        cmocka_unit_test(test_minisig_parse_line_endings),
        cmocka_unit_test(test_minisig_hash_update_odd_splits),
        cmocka_unit_test(test_minisig_sign_buf_verify_buf_roundtrip),
        cmocka_unit_test(test_minisig_verify_buf_rejects_other_key),
        cmocka_unit_test(test_minisig_sign_rejects_bad_comments),
        cmocka_unit_test(test_minisig_sign_rejects_small_buffer),
        cmocka_unit_test(test_minisig_keygen_distinct),
        cmocka_unit_test(test_minisig_strerror_distinct),
        cmocka_unit_test(test_minisig_hash_free_null),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("minisig", tests, NULL, NULL));
}
