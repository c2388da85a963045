#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/age.h"
#include "crypto/bech32.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

#define PASS "un mot de passe"
#define WF AGE_MIN_SCRYPT_LOG2

/* A growable output buffer, as an age_write_fn sink. */
struct kbuf {
    uint8_t *p;
    size_t len;
};

static int
kbuf_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct kbuf *b = cookie;

    assert_non_null(b->p = realloc(b->p, b->len + len + 1));
    memcpy(b->p + b->len, buf, len);
    b->len += len;
    b->p[b->len] = '\0';
    return (0);
}

/* An input buffer as an age_read_fn source. */
struct ksrc {
    const uint8_t *p;
    size_t len;
    size_t pos;
};

static int
ksrc_read(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    struct ksrc *s = cookie;
    size_t n = s->len - s->pos < len ? s->len - s->pos : len;

    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    *got = n;
    return (0);
}

/* Encrypt ${text} to passphrase PASS at work factor WF into ${out}. */
static void
pw_encrypt(const char *text, struct kbuf *out)
{
    struct age_recipient r;
    struct ksrc src = { (const uint8_t *)text, strlen(text), 0 };

    memset(&r, 0, sizeof(r));
    r.kind = AGE_SCRYPT;
    r.passphrase = PASS;
    r.passlen = strlen(PASS);
    r.log2_n = WF;
    memset(out, 0, sizeof(*out));
    assert_int_equal(age_encrypt(&r, 1, ksrc_read, &src, kbuf_write, out),
        0);
}

/* Decrypt key file ${f} with PASS into ${text}. */
static void
pw_decrypt(const struct kbuf *f, struct kbuf *text)
{
    struct age_identity id;
    struct ksrc src = { f->p, f->len, 0 };

    memset(&id, 0, sizeof(id));
    id.kind = AGE_SCRYPT;
    id.passphrase = PASS;
    id.passlen = strlen(PASS);
    memset(text, 0, sizeof(*text));
    assert_int_equal(age_decrypt(&id, 1, ksrc_read, &src, kbuf_write, text),
        0);
}

/* The example keys of the age specification. */
static void
test_keys_secret_decode_spec_vector(void **state)
{
    const char *sec = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGF"
        "PYYSJZGFPYYSJZGFPQ4EGAEX";
    uint8_t sk[32], pk[32], pk2[32];
    char rcpt[KEYS_RECIPIENT_MAX], back[KEYS_SECRET_MAX];

    (void)state;
    assert_int_equal(keys_secret_decode(sec, strlen(sec), sk), 0);
    crypto_scalarmult_base(pk, sk);
    assert_int_equal(keys_recipient_encode(pk, rcpt, sizeof(rcpt)), 0);
    assert_string_equal(rcpt,
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
    assert_int_equal(keys_recipient_decode(rcpt, pk2), 0);
    assert_memory_equal(pk, pk2, 32);
    assert_int_equal(keys_secret_encode(sk, back, sizeof(back)), 0);
    assert_string_equal(back, sec);
}

/* Case, HRP, length, checksum and buffer size are all checked. */
static void
test_keys_decode_rejects_malformed(void **state)
{
    const char *rcpt =
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
    const char *sec = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGF"
        "PYYSJZGFPYYSJZGFPQ4EGAEX";
    char buf[200];
    uint8_t k[32], short_key[31];
    size_t i;

    (void)state;

    /* Upper-case recipient, lower-case secret, swapped kinds. */
    for (i = 0; rcpt[i] != '\0'; i++) {
        buf[i] = (char)((rcpt[i] >= 'a' && rcpt[i] <= 'z') ?
            rcpt[i] - 32 : rcpt[i]);
    }
    buf[i] = '\0';
    assert_int_equal(keys_recipient_decode(buf, k), -1);
    for (i = 0; sec[i] != '\0'; i++) {
        buf[i] = (char)((sec[i] >= 'A' && sec[i] <= 'Z') ?
            sec[i] + 32 : sec[i]);
    }
    assert_int_equal(keys_secret_decode(buf, strlen(sec), k), -1);
    assert_int_equal(keys_recipient_decode(sec, k), -1);
    assert_int_equal(keys_secret_decode(rcpt, strlen(rcpt), k), -1);

    /* One character changed, one dropped, one added. */
    strcpy(buf, rcpt);
    buf[10] = (buf[10] == 'q') ? 'p' : 'q';
    assert_int_equal(keys_recipient_decode(buf, k), -1);
    strcpy(buf, rcpt);
    memmove(buf + 10, buf + 11, strlen(buf + 11) + 1);
    assert_int_equal(keys_recipient_decode(buf, k), -1);
    snprintf(buf, sizeof(buf), "%.10sq%s", rcpt, rcpt + 10);
    assert_int_equal(keys_recipient_decode(buf, k), -1);
    assert_int_equal(keys_secret_decode(sec, strlen(sec) - 1, k), -1);

    /* A valid bech32 string of 31 bytes with the right HRP. */
    memset(short_key, 7, sizeof(short_key));
    assert_int_equal(keys_recipient_encode(k, buf, 10), -1);
    assert_true(bech32_encode("age", short_key, 31, 0, buf,
        sizeof(buf)) > 0);
    assert_int_equal(keys_recipient_decode(buf, k), -1);
    assert_int_equal(keys_secret_encode(k, buf, 74), -1);
    assert_int_equal(keys_secret_encode(k, buf, 75), 0);
    assert_int_equal(strlen(buf), 74);
}

/* Fresh keys: consistent halves, different each time. */
static void
test_keys_generate_consistent(void **state)
{
    struct keys *a, *b;
    struct minisig_pubkey pa, pb;
    uint8_t pk[32];

    (void)state;
    assert_non_null(a = keys_generate());
    assert_non_null(b = keys_generate());
    crypto_scalarmult_base(pk, a->x25519_sk);
    assert_memory_equal(pk, a->x25519_pk, 32);
    assert_memory_not_equal(a->x25519_sk, b->x25519_sk, 32);
    minisig_seckey_public(&a->sign, &pa);
    minisig_seckey_public(&b->sign, &pb);
    assert_memory_not_equal(pa.pk, pb.pk, sizeof(pa.pk));
    keys_free(a);
    keys_free(b);
    keys_free(NULL);
}

/* Write, read back: the same keys; the file is an scrypt age file. */
static void
test_keys_file_roundtrip(void **state)
{
    struct keys *k, *r;
    struct kbuf f;

    (void)state;
    assert_non_null(k = keys_generate());
    memset(&f, 0, sizeof(f));
    assert_int_equal(keys_file_write(k, PASS, strlen(PASS), WF, kbuf_write,
        &f), 0);
    assert_true(keys_file_is_encrypted(f.p, f.len));
    assert_int_equal(memcmp(f.p, "age-encryption.org/v1\n-> scrypt ", 32),
        0);
    assert_int_equal(keys_file_read(f.p, f.len, PASS, strlen(PASS), &r), 0);
    assert_memory_equal(r->x25519_sk, k->x25519_sk, 32);
    assert_memory_equal(r->x25519_pk, k->x25519_pk, 32);
    assert_memory_equal(r->sign.sk, k->sign.sk, sizeof(k->sign.sk));
    assert_memory_equal(r->sign.keyid, k->sign.keyid, sizeof(k->sign.keyid));
    keys_free(r);

    /* Wrong passphrase: AGE_EAUTH, and nothing returned. */
    r = (struct keys *)1;
    assert_int_equal(keys_file_read(f.p, f.len, "nope", 4, &r), AGE_EAUTH);
    assert_null(r);

    /* Truncated: an error, never keys. */
    assert_true(keys_file_read(f.p, f.len - 1, PASS, strlen(PASS), &r) <
        0);
    assert_null(r);
    free(f.p);
    keys_free(k);
}

/* The decrypted key file is itself an age identity file. */
static void
test_keys_file_text_is_identity_file(void **state)
{
    struct keys *k;
    struct kbuf f, t;
    struct age_identity ids[2];
    struct minisig_pubkey pub;
    char rcpt[KEYS_RECIPIENT_MAX], mpub[MINISIG_PUBKEY_B64_LEN + 1];
    char line[200];
    size_t n;

    (void)state;
    assert_non_null(k = keys_generate());
    memset(&f, 0, sizeof(f));
    assert_int_equal(keys_file_write(k, PASS, strlen(PASS), WF, kbuf_write,
        &f), 0);
    pw_decrypt(&f, &t);
    assert_int_equal(keys_identities_parse(t.p, t.len, ids, 2, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(ids[0].x25519, k->x25519_sk, 32);

    /* The public halves are readable in the comments. */
    assert_int_equal(keys_recipient_encode(k->x25519_pk, rcpt,
        sizeof(rcpt)), 0);
    snprintf(line, sizeof(line), "\n# age recipient: %s\n", rcpt);
    assert_non_null(strstr((char *)t.p, line));
    minisig_seckey_public(&k->sign, &pub);
    minisig_pubkey_encode(&pub, mpub);
    snprintf(line, sizeof(line), "\n# minisign public key: %s\n", mpub);
    assert_non_null(strstr((char *)t.p, line));
    assert_int_equal(memcmp(t.p, "# coffre key file v1\n", 21), 0);
    sodium_memzero(t.p, t.len);
    free(t.p);
    free(f.p);
    keys_free(k);
}

/* Key file texts that are not right: AGE_EFORMAT. */
static void
test_keys_file_read_rejects_bad_text(void **state)
{
    struct keys *k, *r;
    struct kbuf f, t, bad;
    char *s, *p, *q;
    char other[KEYS_RECIPIENT_MAX];
    uint8_t pk[32];
    int i;

    (void)state;
    assert_non_null(k = keys_generate());
    memset(&f, 0, sizeof(f));
    assert_int_equal(keys_file_write(k, PASS, strlen(PASS), WF, kbuf_write,
        &f), 0);
    pw_decrypt(&f, &t);
    s = (char *)t.p;

    for (i = 0; i < 8; i++) {
        char text[4096];

        snprintf(text, sizeof(text), "%s", s);
        switch (i) {
        case 0:     /* wrong magic */
            text[2] = 'C';
            break;
        case 1:     /* recipient of someone else */
            randombytes_buf(pk, 32);
            assert_int_equal(keys_recipient_encode(pk, other,
                sizeof(other)), 0);
            p = strstr(text, "# age recipient: ") + 17;
            memcpy(p, other, strlen(other));
            break;
        case 2:     /* minisign public key changed */
            p = strstr(text, "# minisign public key: ") + 23;
            p[10] = (p[10] == 'A') ? 'B' : 'A';
            break;
        case 3:     /* no secret key line */
            p = strstr(text, "AGE-SECRET-KEY-1");
            *p = '\0';
            break;
        case 4:     /* two secret key lines */
            p = strstr(s, "AGE-SECRET-KEY-1");
            strcat(text, p);
            break;
        case 5:     /* a line that is neither comment nor key */
            strcat(text, "junk\n");
            break;
        case 6:     /* minisign lines removed */
            p = strstr(text, "# minisign secret key");
            q = strstr(text, "AGE-SECRET-KEY-1");
            memmove(p, q, strlen(q) + 1);
            break;
        case 7:     /* no final LF */
            text[strlen(text) - 1] = '\0';
            break;
        default:
            break;
        }
        pw_encrypt(text, &bad);
        r = (struct keys *)1;
        if (keys_file_read(bad.p, bad.len, PASS, strlen(PASS), &r) !=
            AGE_EFORMAT) {
            fail_msg("bad key file text %d accepted", i);
        }
        assert_null(r);
        free(bad.p);
    }

    /* The unmodified text, re-encrypted, is accepted. */
    pw_encrypt(s, &bad);
    assert_int_equal(keys_file_read(bad.p, bad.len, PASS, strlen(PASS), &r),
        0);
    keys_free(r);
    free(bad.p);
    sodium_memzero(t.p, t.len);
    free(t.p);
    free(f.p);
    keys_free(k);
}

/* Files that are not key files, and bad arguments. */
static void
test_keys_file_rejects_other_files(void **state)
{
    struct keys *k, *r;
    struct kbuf f;
    struct age_recipient x;
    struct ksrc src = { (const uint8_t *)"hi", 2, 0 };
    const char *plain = "# created: 2026\nAGE-SECRET-KEY-1GFPYYSJZGFPYYSJ"
        "ZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n";

    (void)state;
    assert_non_null(k = keys_generate());

    /* An X25519 age file is not a key file. */
    memset(&x, 0, sizeof(x));
    x.kind = AGE_X25519;
    memcpy(x.x25519, k->x25519_pk, 32);
    memset(&f, 0, sizeof(f));
    assert_int_equal(age_encrypt(&x, 1, ksrc_read, &src, kbuf_write, &f), 0);
    assert_false(keys_file_is_encrypted(f.p, f.len));
    assert_int_equal(keys_file_read(f.p, f.len, PASS, strlen(PASS), &r),
        AGE_EFORMAT);
    free(f.p);

    /* Neither is a plain identity file, nor nothing. */
    assert_false(keys_file_is_encrypted((const uint8_t *)plain,
        strlen(plain)));
    assert_int_equal(keys_file_read((const uint8_t *)plain, strlen(plain),
        PASS, strlen(PASS), &r), AGE_EFORMAT);
    assert_false(keys_file_is_encrypted((const uint8_t *)"", 0));

    /* Work factor bounds and an empty passphrase. */
    memset(&f, 0, sizeof(f));
    assert_int_equal(keys_file_write(k, PASS, strlen(PASS),
        AGE_MIN_SCRYPT_LOG2 - 1, kbuf_write, &f), AGE_EINVAL);
    assert_int_equal(keys_file_write(k, PASS, strlen(PASS),
        AGE_MAX_SCRYPT_LOG2 + 1, kbuf_write, &f), AGE_EINVAL);
    assert_int_equal(keys_file_write(k, "", 0, WF, kbuf_write, &f),
        AGE_EINVAL);
    assert_null(f.p);
    keys_free(k);
}

/* age-keygen output, comments, CRLF, several keys, and bad files. */
static void
test_keys_identities_parse(void **state)
{
    const char *k1 = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGF"
        "PYYSJZGFPYYSJZGFPQ4EGAEX";
    struct age_identity *ids;
    struct keys *a;
    char text[1024], sec[KEYS_SECRET_MAX];
    size_t n;

    (void)state;
    assert_non_null(ids = secmem_alloc(3 * sizeof(*ids)));
    assert_non_null(a = keys_generate());
    assert_int_equal(keys_secret_encode(a->x25519_sk, sec, sizeof(sec)), 0);

    snprintf(text, sizeof(text), "# created: now\n# public key: age1...\n"
        "%s\n\n#%s\r\n%s", k1, sec, sec);
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(text),
        ids, 3, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0].kind, AGE_X25519);
    assert_memory_equal(ids[1].x25519, a->x25519_sk, 32);

    /* CRLF line ends. */
    snprintf(text, sizeof(text), "# c\r\n%s\r\n", sec);
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(text),
        ids, 3, &n), 0);
    assert_int_equal(n, 1);

    /* Too many for the array, none at all, and junk. */
    snprintf(text, sizeof(text), "%s\n%s\n%s\n%s\n", k1, k1, sec, sec);
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(text),
        ids, 3, &n), -1);
    assert_int_equal(n, 0);
    assert_int_equal(keys_identities_parse((const uint8_t *)"# only\n\n", 8,
        ids, 3, &n), -1);
    snprintf(text, sizeof(text), "%s\nage1zvkyg2lqzraa2lnjvqej32nkuu0ues2s"
        "82hzrye869xeexvn73equnujwj\n", k1);
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(text),
        ids, 3, &n), -1);
    snprintf(text, sizeof(text), " %s\n", k1);
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(text),
        ids, 3, &n), -1);
    snprintf(text, sizeof(text), "%s\n", k1);
    text[5] = '\0';
    assert_int_equal(keys_identities_parse((uint8_t *)text, strlen(k1) + 1,
        ids, 3, &n), -1);
    keys_free(a);
    secmem_free(ids);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_secret_decode_spec_vector),
        cmocka_unit_test(test_keys_decode_rejects_malformed),
        cmocka_unit_test(test_keys_generate_consistent),
        cmocka_unit_test(test_keys_file_roundtrip),
        cmocka_unit_test(test_keys_file_text_is_identity_file),
        cmocka_unit_test(test_keys_file_read_rejects_bad_text),
        cmocka_unit_test(test_keys_file_rejects_other_files),
        cmocka_unit_test(test_keys_identities_parse),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("keys", tests, NULL, NULL));
}
