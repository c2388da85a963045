#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/age.h"
#include "crypto/age_internal.h"
#include "crypto/b64.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

/*
 * Allocation fault injection (tests/test_age.mk wraps malloc, calloc,
 * realloc and secmem_alloc for our objects): when fail_countdown reaches
 * zero, that one allocation fails.  -1: never.
 */
static int fail_countdown = -1;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_secmem_alloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_secmem_alloc(size_t n);

/* Should this allocation fail? */
static int
fault_now(void)
{

    if (fail_countdown < 0) {
        return (0);
    }
    if (fail_countdown-- == 0) {
        fail_countdown = -1;
        return (1);
    }
    return (0);
}

void *
__wrap_malloc(size_t n)
{

    return (fault_now() ? NULL : __real_malloc(n));
}

void *
__wrap_calloc(size_t n, size_t size)
{

    return (fault_now() ? NULL : __real_calloc(n, size));
}

void *
__wrap_realloc(void *p, size_t n)
{

    return (fault_now() ? NULL : __real_realloc(p, n));
}

void *
__wrap_secmem_alloc(size_t n)
{

    return (fault_now() ? NULL : __real_secmem_alloc(n));
}

/* A growable output buffer, as an age_write_fn sink. */
struct tbuf {
    uint8_t *p;
    size_t len;
    size_t cap;
    int fail_after;   /* > 0: fail the fail_after-th write */
    int writes;
};

static int
tbuf_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct tbuf *b = cookie;

    b->writes++;
    if (b->fail_after > 0 && b->writes >= b->fail_after) {
        return (-1);
    }
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        assert_non_null(b->p = realloc(b->p, b->cap));
    }
    if (len > 0) {
        memcpy(b->p + b->len, buf, len);
    }
    b->len += len;
    return (0);
}

/* An input buffer, as an age_read_fn source, with a maximum read size. */
struct tsrc {
    const uint8_t *p;
    size_t len;
    size_t pos;
    size_t step;      /* 0: as much as asked */
    int fail;         /* nonzero: every read fails */
};

static int
tsrc_read(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    struct tsrc *s = cookie;
    size_t n = s->len - s->pos;

    if (s->fail) {
        return (-1);
    }
    if (n > len) {
        n = len;
    }
    if (s->step > 0 && n > s->step) {
        n = s->step;
    }
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    *got = n;
    return (0);
}

/* A fresh X25519 key pair: identity ${id}, recipient ${r}. */
static void
new_x25519(struct age_identity *id, struct age_recipient *r)
{

    memset(id, 0, sizeof(*id));
    memset(r, 0, sizeof(*r));
    id->kind = AGE_X25519;
    r->kind = AGE_X25519;
    randombytes_buf(id->x25519, AGE_X25519_BYTES);
    crypto_scalarmult_base(r->x25519, id->x25519);
}

/* Encrypt ${len} bytes to ${n} recipients; the file goes to ${out}. */
static void
enc(const struct age_recipient *r, size_t n, const uint8_t *pt, size_t len,
    struct tbuf *out)
{
    struct tsrc src = { pt, len, 0, 0, 0 };

    memset(out, 0, sizeof(*out));
    assert_int_equal(age_encrypt(r, n, tsrc_read, &src, tbuf_write, out),
        0);
}

/* Decrypt ${len} bytes of ${ct}; return the AGE_E* code. */
static int
dec(const struct age_identity *ids, size_t n, const uint8_t *ct,
    size_t len, struct tbuf *out)
{
    struct tsrc src = { ct, len, 0, 0, 0 };

    memset(out, 0, sizeof(*out));
    return (age_decrypt(ids, n, tsrc_read, &src, tbuf_write, out));
}

/* Header length of the age file in ${ct}. */
static size_t
hdr_len(const uint8_t *ct, size_t len)
{
    struct age_header *h;
    size_t used;

    assert_int_equal(age_header_parse(ct, len, &h, &used), 0);
    age_header_free(h);
    return (used);
}

/* Read tests/data/${name} into a malloc'd buffer. */
static uint8_t *
data_file(const char *name, size_t *len)
{
    const char *src = getenv("COFFRE_SRCDIR");
    char path[4096];
    FILE *f;
    uint8_t *p;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/%s",
        src != NULL ? src : ".", name);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_true((n = ftell(f)) >= 0);
    rewind(f);
    assert_non_null(p = malloc((size_t)n + 1));
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return (p);
}

/* RFC 5869 test cases 1 and 3 (first 32 bytes of the OKM). */
static void
test_age_hkdf_rfc5869_vectors(void **state)
{
    static const uint8_t okm1[32] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f,
        0x64, 0xd0, 0x36, 0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a,
        0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4, 0xc5, 0xbf,
    };
    static const uint8_t okm3[32] = {
        0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80,
        0x2a, 0x06, 0x3c, 0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1,
        0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73, 0x8d, 0x2d,
    };
    uint8_t ikm[22], salt[13], out[32];
    char info[11];
    size_t i;

    (void)state;
    memset(ikm, 0x0b, sizeof(ikm));
    for (i = 0; i < sizeof(salt); i++) {
        salt[i] = (uint8_t)i;
    }
    for (i = 0; i < 10; i++) {
        info[i] = (char)(0xf0 + i);
    }
    info[10] = '\0';
    age_hkdf(ikm, sizeof(ikm), salt, sizeof(salt), info, out);
    assert_memory_equal(out, okm1, 32);
    age_hkdf(ikm, sizeof(ikm), NULL, 0, "", out);
    assert_memory_equal(out, okm3, 32);
}

/* Round trip at chunk-boundary sizes; the file has the expected size. */
static void
test_age_encrypt_roundtrip_sizes(void **state)
{
    static const size_t sizes[] = {
        0, 1, 100, 65535, 65536, 65537, 131072, 200000,
    };
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt;
    uint8_t *in;
    size_t i, nchunks, h;

    (void)state;
    new_x25519(&id, &r);
    assert_non_null(in = malloc(200000));
    randombytes_buf(in, 200000);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        enc(&r, 1, in, sizes[i], &ct);
        h = hdr_len(ct.p, ct.len);
        nchunks = sizes[i] == 0 ? 1 : (sizes[i] + 65535) / 65536;
        assert_int_equal(ct.len, h + 16 + sizes[i] + 16 * nchunks);
        assert_int_equal(dec(&id, 1, ct.p, ct.len, &pt), 0);
        assert_int_equal(pt.len, sizes[i]);
        if (sizes[i] > 0) {
            assert_memory_equal(pt.p, in, sizes[i]);
        }
        free(ct.p);
        free(pt.p);
    }
    free(in);
}

/* Files made by the reference implementation (age 1.1.1) decrypt. */
static void
test_age_decrypt_reference_files(void **state)
{
    struct age_identity ids[2], sid;
    struct tbuf pt;
    uint8_t *key, *ct, dig[32], want[32];
    char *hex;
    size_t keylen, len, n, hexlen;

    (void)state;
    key = data_file("age-test.key", &keylen);
    assert_int_equal(keys_identities_parse(key, keylen, ids, 2, &n), 0);
    assert_int_equal(n, 1);

    ct = data_file("age-hello.age", &len);
    assert_int_equal(dec(ids, 1, ct, len, &pt), 0);
    assert_int_equal(pt.len, 14);
    assert_memory_equal(pt.p, "hello, coffre\n", 14);
    free(pt.p);
    free(ct);

    ct = data_file("age-empty.age", &len);
    assert_int_equal(dec(ids, 1, ct, len, &pt), 0);
    assert_int_equal(pt.len, 0);
    free(pt.p);
    free(ct);

    ct = data_file("age-2chunks.age", &len);
    assert_int_equal(dec(ids, 1, ct, len, &pt), 0);
    assert_int_equal(pt.len, 70000);
    crypto_hash_sha256(dig, pt.p, pt.len);
    hex = (char *)data_file("age-2chunks.sha256", &hexlen);
    assert_int_equal(sodium_hex2bin(want, sizeof(want), hex, 64, NULL,
        NULL, NULL), 0);
    assert_memory_equal(dig, want, 32);
    free(hex);
    free(pt.p);
    free(ct);

    /* age -p, passphrase "correct horse battery", work factor 18. */
    memset(&sid, 0, sizeof(sid));
    sid.kind = AGE_SCRYPT;
    sid.passphrase = "correct horse battery";
    sid.passlen = strlen(sid.passphrase);
    ct = data_file("age-scrypt.age", &len);
    assert_int_equal(dec(&sid, 1, ct, len, &pt), 0);
    assert_int_equal(pt.len, 18);
    assert_memory_equal(pt.p, "passphrase vector\n", 18);
    free(pt.p);

    /* The X25519 identity does not open it (wrong passphrases: below). */
    assert_int_equal(dec(ids, 1, ct, len, &pt), AGE_ENOKEY);
    free(pt.p);
    free(ct);
    free(key);
}

/*
 * Decrypt the first ${l} bytes of payload ${p} with file key ${fk}
 * through the push API; return the first error or 0.
 */
static int
dec_payload(const uint8_t fk[AGE_FILE_KEY_BYTES], const uint8_t *p,
    size_t l, struct tbuf *out)
{
    struct age_stream *s;
    int rc;

    memset(out, 0, sizeof(*out));
    assert_non_null(s = age_stream_new_decrypt(fk));
    if ((rc = age_stream_update(s, p, l, tbuf_write, out)) == 0) {
        rc = age_stream_final(s, tbuf_write, out);
    }
    age_stream_free(s);
    return (rc);
}

/*
 * Is truncation length ${l} of a payload of ${len} bytes one we check
 * in every test run?  Lengths that cut the same chunk short take the same
 * path, so the three-chunk file checks every length within 2 KiB of a
 * chunk boundary or of either end, and one length in 97 elsewhere; the
 * smaller files check every length.
 */
static int
trunc_checked(size_t l, size_t len, int every)
{
    size_t off, cl = 65536 + 16;

    if (every || l < 16 + 2048 || len - l < 2048) {
        return (1);
    }
    off = (l - 16) % cl;
    return (off < 2048 || cl - off < 2048 || l % 97 == 0);
}

/*
 * Every proper prefix of age file ${ct} fails with AGE_ETRUNC or
 * AGE_EAUTH: cut in the header, through age_decrypt(); cut in the
 * payload, through the push API with the file key unwrapped once, and
 * every 4099th length through age_decrypt() as well.
 */
static void
check_all_truncations(const struct age_identity *id, const uint8_t *ct,
    size_t len, int every)
{
    struct age_header *hdr;
    struct tbuf pt;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    size_t l, used, h = hdr_len(ct, len);
    int rc;

    for (l = 0; l < h; l++) {
        /* Inside the header: nothing is decrypted at all. */
        assert_int_equal(dec(id, 1, ct, l, &pt), AGE_ETRUNC);
        assert_int_equal(pt.len, 0);
        free(pt.p);
    }
    assert_int_equal(age_header_parse(ct, len, &hdr, &used), 0);
    assert_int_equal(age_header_unwrap(hdr, id, 1, fk), 0);
    age_header_free(hdr);
    assert_int_equal(dec_payload(fk, ct + h, len - h, &pt), 0);
    free(pt.p);
    for (l = h; l < len; l++) {
        if (!trunc_checked(l - h, len - h, every)) {
            continue;
        }
        rc = dec_payload(fk, ct + h, l - h, &pt);
        if (rc != AGE_ETRUNC && rc != AGE_EAUTH) {
            fail_msg("truncation at %zu of %zu gave %d", l, len, rc);
        }
        free(pt.p);
        if ((l - h) % 4099 == 0) {
            rc = dec(id, 1, ct, l, &pt);
            if (rc != AGE_ETRUNC && rc != AGE_EAUTH) {
                fail_msg("age_decrypt truncated at %zu: %d", l, rc);
            }
            free(pt.p);
        }
    }
    sodium_memzero(fk, sizeof(fk));
}

static void
test_age_decrypt_rejects_truncated(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct;
    uint8_t *in;

    (void)state;
    new_x25519(&id, &r);
    assert_non_null(in = malloc(2 * 65536 + 1));
    randombytes_buf(in, 2 * 65536 + 1);

    /* Empty file, exactly one full chunk, and three chunks. */
    enc(&r, 1, in, 0, &ct);
    check_all_truncations(&id, ct.p, ct.len, 1);
    free(ct.p);
    enc(&r, 1, in, 65536, &ct);
    check_all_truncations(&id, ct.p, ct.len, 1);
    free(ct.p);
    enc(&r, 1, in, 2 * 65536 + 1, &ct);
    check_all_truncations(&id, ct.p, ct.len, 0);
    free(ct.p);
    free(in);
}

/* Any single bit flipped in the header: never a success. */
static void
test_age_decrypt_rejects_header_bit_flips(void **state)
{
    struct age_identity id;
    struct age_recipient r[2];
    struct tbuf ct, pt;
    size_t h, i;
    int bit, rc;

    (void)state;
    new_x25519(&id, &r[0]);
    r[1] = r[0];
    enc(r, 2, (const uint8_t *)"payslip", 7, &ct);
    h = hdr_len(ct.p, ct.len);
    for (i = 0; i < h; i++) {
        for (bit = 0; bit < 8; bit++) {
            ct.p[i] ^= (uint8_t)(1 << bit);
            rc = dec(&id, 1, ct.p, ct.len, &pt);
            if (rc == 0) {
                fail_msg("flip at byte %zu bit %d accepted", i, bit);
            }
            free(pt.p);
            ct.p[i] ^= (uint8_t)(1 << bit);
        }
    }
    assert_int_equal(dec(&id, 1, ct.p, ct.len, &pt), 0);
    free(pt.p);
    free(ct.p);
}

/* Any single bit flipped in the payload (nonce, data, tag): AGE_EAUTH. */
static void
test_age_decrypt_rejects_payload_bit_flips(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt;
    uint8_t in[100];
    size_t h, i;
    int bit;

    (void)state;
    new_x25519(&id, &r);
    randombytes_buf(in, sizeof(in));
    enc(&r, 1, in, sizeof(in), &ct);
    h = hdr_len(ct.p, ct.len);
    for (i = h; i < ct.len; i++) {
        for (bit = 0; bit < 8; bit++) {
            ct.p[i] ^= (uint8_t)(1 << bit);
            assert_int_equal(dec(&id, 1, ct.p, ct.len, &pt), AGE_EAUTH);
            free(pt.p);
            ct.p[i] ^= (uint8_t)(1 << bit);
        }
    }
    free(ct.p);
}

/* Swapped, dropped or replayed chunks are refused. */
static void
test_age_decrypt_rejects_reordered_chunks(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt;
    uint8_t *in, *m, *tmp;
    size_t h, c0, cl = 65536 + 16;

    (void)state;
    new_x25519(&id, &r);
    assert_non_null(in = malloc(3 * 65536));
    randombytes_buf(in, 3 * 65536);
    enc(&r, 1, in, 3 * 65536, &ct);
    h = hdr_len(ct.p, ct.len);
    c0 = h + 16;
    assert_int_equal(ct.len, c0 + 3 * cl);
    assert_non_null(m = malloc(ct.len + cl));
    assert_non_null(tmp = malloc(cl));

    /* Swap chunks 0 and 1. */
    memcpy(m, ct.p, ct.len);
    memcpy(tmp, m + c0, cl);
    memcpy(m + c0, m + c0 + cl, cl);
    memcpy(m + c0 + cl, tmp, cl);
    assert_int_equal(dec(&id, 1, m, ct.len, &pt), AGE_EAUTH);
    free(pt.p);

    /* Drop chunk 1. */
    memcpy(m, ct.p, c0 + cl);
    memcpy(m + c0 + cl, ct.p + c0 + 2 * cl, cl);
    assert_int_equal(dec(&id, 1, m, ct.len - cl, &pt), AGE_EAUTH);
    free(pt.p);

    /* Replay chunk 0 in place of chunk 1, and twice at the start. */
    memcpy(m, ct.p, ct.len);
    memcpy(m + c0 + cl, ct.p + c0, cl);
    assert_int_equal(dec(&id, 1, m, ct.len, &pt), AGE_EAUTH);
    free(pt.p);
    memcpy(m, ct.p, c0 + cl);
    memcpy(m + c0 + cl, ct.p + c0, ct.len - c0);
    assert_int_equal(dec(&id, 1, m, ct.len + cl, &pt), AGE_EAUTH);
    free(pt.p);

    /* The last chunk alone after the nonce is not the first chunk. */
    memcpy(m, ct.p, c0);
    memcpy(m + c0, ct.p + c0 + 2 * cl, cl);
    assert_int_equal(dec(&id, 1, m, c0 + cl, &pt), AGE_EAUTH);
    free(pt.p);

    free(tmp);
    free(m);
    free(ct.p);
    free(in);
}

/* A reader that returns a few bytes at a time: same result. */
static void
test_age_decrypt_small_reads(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt;
    uint8_t in[70000];
    size_t steps[] = { 1, 7, 64, 65 };
    size_t i;

    (void)state;
    new_x25519(&id, &r);
    randombytes_buf(in, sizeof(in));
    enc(&r, 1, in, sizeof(in), &ct);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct tsrc src = { ct.p, ct.len, 0, steps[i], 0 };

        memset(&pt, 0, sizeof(pt));
        assert_int_equal(age_decrypt(&id, 1, tsrc_read, &src, tbuf_write,
            &pt), 0);
        assert_int_equal(pt.len, sizeof(in));
        assert_memory_equal(pt.p, in, sizeof(in));
        free(pt.p);
    }

    /* And a non-age input is told apart after its first bytes. */
    {
        struct tsrc src = { (const uint8_t *)"PK\3\4 not age", 14, 0, 1,
            0 };

        memset(&pt, 0, sizeof(pt));
        assert_int_equal(age_decrypt(&id, 1, tsrc_read, &src, tbuf_write,
            &pt), AGE_EFORMAT);
        free(pt.p);
    }
    free(ct.p);
}

/* Another identity: AGE_ENOKEY, and no output. */
static void
test_age_decrypt_wrong_key_enokey(void **state)
{
    struct age_identity id, other;
    struct age_recipient r, ro;
    struct tbuf ct, pt;

    (void)state;
    new_x25519(&id, &r);
    new_x25519(&other, &ro);
    enc(&r, 1, (const uint8_t *)"secret", 6, &ct);
    assert_int_equal(dec(&other, 1, ct.p, ct.len, &pt), AGE_ENOKEY);
    assert_int_equal(pt.len, 0);
    free(pt.p);

    /* A list of identities: the right one anywhere in it is found. */
    {
        struct age_identity two[2] = { other, id };

        assert_int_equal(dec(two, 2, ct.p, ct.len, &pt), 0);
        free(pt.p);
    }
    free(ct.p);
}

/*
 * The MAC guards the header: a changed MAC, or stanzas swapped (each
 * still valid), give AGE_EAUTH although the file key unwraps.
 */
static void
test_age_header_unwrap_mac_mismatch(void **state)
{
    struct age_identity id1, id2;
    struct age_recipient r[2];
    struct age_header *h;
    struct tbuf ct, pt;
    uint8_t fk[AGE_FILE_KEY_BYTES], *m;
    size_t hl, used, s1, s2, l1, l2;
    char *p;

    (void)state;
    new_x25519(&id1, &r[0]);
    new_x25519(&id2, &r[1]);
    enc(r, 2, (const uint8_t *)"x", 1, &ct);
    hl = hdr_len(ct.p, ct.len);

    /* Change the first MAC character to another valid one. */
    assert_non_null(m = malloc(ct.len));
    memcpy(m, ct.p, ct.len);
    m[hl - 44] = (m[hl - 44] == 'A') ? 'B' : 'A';
    assert_int_equal(age_header_parse(m, ct.len, &h, &used), 0);
    assert_int_equal(age_header_unwrap(h, &id1, 1, fk), AGE_EAUTH);
    assert_true(sodium_is_zero(fk, sizeof(fk)));
    age_header_free(h);
    assert_int_equal(dec(&id1, 1, m, ct.len, &pt), AGE_EAUTH);
    free(pt.p);

    /* Swap the two stanzas (each 2 lines): the MAC no longer matches. */
    memcpy(m, ct.p, ct.len);
    p = (char *)m + 22;
    s1 = 0;
    l1 = (size_t)(strchr(strchr(p, '\n') + 1, '\n') + 1 - p);
    s2 = l1;
    l2 = (size_t)(strchr(strchr(p + s2, '\n') + 1, '\n') + 1 - (p + s2));
    assert_int_equal(l1, l2);
    memcpy(p + s1, ct.p + 22 + s2, l2);
    memcpy(p + l2, ct.p + 22 + s1, l1);
    assert_int_equal(dec(&id2, 1, m, ct.len, &pt), AGE_EAUTH);
    free(pt.p);
    free(m);
    free(ct.p);
}

/* Build "age-encryption.org/v1\n" ${mid} "--- <43 A>\n" into ${out}. */
static size_t
mkhdr(char *out, size_t outlen, const char *mid)
{
    int n = snprintf(out, outlen, "age-encryption.org/v1\n%s--- %s\n", mid,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    assert_true(n > 0 && (size_t)n < outlen);
    return ((size_t)n);
}

#define B43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define L64 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* Malformed headers are AGE_EFORMAT; well-formed variants parse. */
static void
test_age_header_parse_rejects_malformed(void **state)
{
    static const char *bad[] = {
        "age-encryption.org/v2\n-> X25519 " B43 "\n" B43 "\n--- " B43 "\n",
        "age-encryption.org/v1\r\n-> X25519 " B43 "\n" B43 "\n--- " B43
        "\n",
        "AGE-encryption.org/v1\n",
        "hello\n",
    };
    static const char *badmid[] = {
        "",                                     /* no stanza */
        "->  X25519 " B43 "\n" B43 "\n",        /* two spaces */
        "-> X25519 " B43 " \n" B43 "\n",        /* trailing space */
        "-> X25519  " B43 "\n" B43 "\n",        /* empty argument */
        "->\n" B43 "\n",                        /* no argument */
        "-> \n" B43 "\n",                       /* empty argument */
        "->X25519 " B43 "\n" B43 "\n",          /* no space */
        "-> X25519\t" B43 "\n" B43 "\n",        /* tab */
        "-> X25519 \xc3\xa9\n" B43 "\n",        /* not ASCII */
        "-> a\n" L64 "A\n",                     /* 65 columns */
        "-> a\nAB\n",                           /* non-canonical */
        "-> a\nAA==\n",                         /* padding */
        "-> a\nA\n",                            /* impossible length */
        "-> a\nAA A\n",                         /* space in body */
        "-> a\n\r\n",                           /* CR */
        "-> a\n" L64 "\n",                      /* no final line... */
        "-> a\n\nxx\n",                         /* junk line */
        "-> a\n\n-> b\n" L64 "\n" L64 "\nA\n",  /* bad final line */
    };
    static const char *badmac[] = {
        "age-encryption.org/v1\n-> a\n\n---\n",
        "age-encryption.org/v1\n-> a\n\n--- \n",
        "age-encryption.org/v1\n-> a\n\n--- " B43 "A\n",
        "age-encryption.org/v1\n-> a\n\n---  " B43 "\n",
        "age-encryption.org/v1\n-> a\n\n---" B43 "\n",
        "age-encryption.org/v1\n-> a\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAB\n",                    /* non-canonical MAC */
        "age-encryption.org/v1\n-> a\n\n--- " B43 "=\n",
    };
    static const char *good[] = {
        "-> X25519 " B43 "\n" B43 "\n",
        "-> a\n\n",
        "-> a b c d e f g h i j k l m n o p q r s t u v w x y z\n\n",
        "-> a\n" L64 "\n\n",
        "-> a\n" L64 "\n" L64 "\nAAAA\n-> b\n\n",
        "-> !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\n\n",
    };
    struct age_header *h;
    char buf[1024];
    size_t i, len, used;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(age_header_parse((const uint8_t *)bad[i],
            strlen(bad[i]), &h, &used), AGE_EFORMAT);
        assert_null(h);
    }
    for (i = 0; i < sizeof(badmid) / sizeof(badmid[0]); i++) {
        len = mkhdr(buf, sizeof(buf), badmid[i]);
        if (age_header_parse((const uint8_t *)buf, len, &h, &used) !=
            AGE_EFORMAT) {
            fail_msg("malformed case %zu accepted", i);
        }
    }
    for (i = 0; i < sizeof(badmac) / sizeof(badmac[0]); i++) {
        assert_int_equal(age_header_parse((const uint8_t *)badmac[i],
            strlen(badmac[i]), &h, &used), AGE_EFORMAT);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        len = mkhdr(buf, sizeof(buf), good[i]);
        if (age_header_parse((const uint8_t *)buf, len, &h, &used) != 0) {
            fail_msg("well-formed case %zu refused", i);
        }
        assert_int_equal(used, len);
        age_header_free(h);
    }

    /* Stanza types and arguments as parsed. */
    len = mkhdr(buf, sizeof(buf), "-> X25519 " B43 "\n" B43 "\n-> b c\n\n");
    assert_int_equal(age_header_parse((const uint8_t *)buf, len, &h, &used),
        0);
    assert_int_equal(age_header_nstanzas(h), 2);
    assert_string_equal(age_header_stanza_type(h, 0), "X25519");
    assert_string_equal(age_header_stanza_type(h, 1), "b");
    assert_null(age_header_stanza_type(h, 2));
    age_header_free(h);
}

/* Every prefix of a header is AGE_EAGAIN; the payload is not consumed. */
static void
test_age_header_parse_eagain_on_prefixes(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct age_header *h;
    struct tbuf ct;
    size_t hl, l, used;

    (void)state;
    new_x25519(&id, &r);
    enc(&r, 1, (const uint8_t *)"abc", 3, &ct);
    hl = hdr_len(ct.p, ct.len);
    for (l = 0; l < hl; l++) {
        assert_int_equal(age_header_parse(ct.p, l, &h, &used), AGE_EAGAIN);
        assert_null(h);
    }
    assert_int_equal(age_header_parse(ct.p, hl, &h, &used), 0);
    assert_int_equal(used, hl);
    age_header_free(h);
    free(ct.p);
}

/* More than AGE_MAX_STANZAS stanzas: AGE_ELIMIT; exactly that many: ok. */
static void
test_age_header_parse_rejects_too_many_stanzas(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct age_header *h;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    char mid[1024], buf[2048];
    size_t i, len, used;

    (void)state;
    mid[0] = '\0';
    for (i = 0; i < AGE_MAX_STANZAS; i++) {
        strcat(mid, "-> grease\n\n");
    }
    len = mkhdr(buf, sizeof(buf), mid);
    assert_int_equal(age_header_parse((const uint8_t *)buf, len, &h, &used),
        0);
    assert_int_equal(age_header_nstanzas(h), AGE_MAX_STANZAS);
    new_x25519(&id, &r);
    assert_int_equal(age_header_unwrap(h, &id, 1, fk), AGE_ENOKEY);
    age_header_free(h);

    strcat(mid, "-> grease\n\n");
    len = mkhdr(buf, sizeof(buf), mid);
    assert_int_equal(age_header_parse((const uint8_t *)buf, len, &h, &used),
        AGE_ELIMIT);

    /* Writers refuse too many recipients as well. */
    {
        struct age_recipient many[AGE_MAX_STANZAS + 1];
        uint8_t *out;
        size_t outlen;

        for (i = 0; i <= AGE_MAX_STANZAS; i++) {
            many[i] = r;
        }
        age_file_key_new(fk);
        assert_int_equal(age_header_new(fk, many, AGE_MAX_STANZAS + 1, &out,
            &outlen), AGE_EINVAL);
        assert_int_equal(age_header_new(fk, many, AGE_MAX_STANZAS, &out,
            &outlen), 0);
        free(out);
    }
}

/* A header over AGE_MAX_HEADER_BYTES: AGE_ELIMIT, not AGE_EAGAIN. */
static void
test_age_header_parse_rejects_too_big(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct age_header *h;
    struct tbuf pt;
    char *buf;
    size_t len = 0, used, cap = AGE_MAX_HEADER_BYTES + 4096;

    (void)state;
    assert_non_null(buf = malloc(cap));
    memcpy(buf, "age-encryption.org/v1\n-> big\n", 29);
    len = 29;
    while (len < AGE_MAX_HEADER_BYTES + 100) {
        memcpy(buf + len, L64 "\n", 65);
        len += 65;
    }
    memcpy(buf + len, "\n--- " B43 "\n", 49);
    len += 49;

    /* Whole, cut at the limit, and cut just before it. */
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used),
        AGE_ELIMIT);
    assert_int_equal(age_header_parse((uint8_t *)buf, AGE_MAX_HEADER_BYTES,
        &h, &used), AGE_ELIMIT);
    assert_int_equal(age_header_parse((uint8_t *)buf,
        AGE_MAX_HEADER_BYTES - 1, &h, &used), AGE_EAGAIN);

    /* age_decrypt stops there too. */
    new_x25519(&id, &r);
    assert_int_equal(dec(&id, 1, (uint8_t *)buf, len, &pt), AGE_ELIMIT);
    free(pt.p);
    free(buf);
}

/* A huge scrypt work factor is refused before any scrypt work. */
static void
test_age_header_unwrap_refuses_huge_work_factor_fast(void **state)
{
    static const char *factors[] = { "23", "40", "63", "64",
        "99999999999999999999" };
    static const char *malformed[] = { "022", "0", "", "1x", "-1", "+5" };
    struct age_identity sid;
    struct age_header *h;
    uint8_t fk[AGE_FILE_KEY_BYTES];
    char mid[256], buf[512];
    size_t i, len, used;
    clock_t t0;

    (void)state;
    memset(&sid, 0, sizeof(sid));
    sid.kind = AGE_SCRYPT;
    sid.passphrase = "pw";
    sid.passlen = 2;
    t0 = clock();
    for (i = 0; i < sizeof(factors) / sizeof(factors[0]); i++) {
        snprintf(mid, sizeof(mid), "-> scrypt AAAAAAAAAAAAAAAAAAAAAA %s\n"
            B43 "\n", factors[i]);
        len = mkhdr(buf, sizeof(buf), mid);
        assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used),
            0);
        assert_int_equal(age_header_unwrap(h, &sid, 1, fk), AGE_ELIMIT);
        age_header_free(h);
    }

    /* A lowered maximum applies in the same way. */
    sid.max_log2_n = 12;
    len = mkhdr(buf, sizeof(buf), "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 13\n"
        B43 "\n");
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used), 0);
    assert_int_equal(age_header_unwrap(h, &sid, 1, fk), AGE_ELIMIT);
    age_header_free(h);
    /* All of the above took far less than one scrypt at 2^23. */
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);

    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        snprintf(mid, sizeof(mid), "-> scrypt AAAAAAAAAAAAAAAAAAAAAA %s\n"
            B43 "\n", malformed[i]);
        len = mkhdr(buf, sizeof(buf), mid);
        if (age_header_parse((uint8_t *)buf, len, &h, &used) == 0) {
            assert_int_equal(age_header_unwrap(h, &sid, 1, fk),
                AGE_EFORMAT);
            age_header_free(h);
        }
    }
}

/* Passphrase files: round trip, wrong passphrase, and must be alone. */
static void
test_age_scrypt_roundtrip_and_alone(void **state)
{
    struct age_recipient r[2];
    struct age_identity sid, xid;
    struct age_header *h;
    struct tbuf ct, pt;
    uint8_t fk[AGE_FILE_KEY_BYTES], *out;
    char mid[512], buf[1024];
    size_t outlen, len, used;

    (void)state;
    memset(r, 0, sizeof(r));
    r[0].kind = AGE_SCRYPT;
    r[0].passphrase = "hunter2";
    r[0].passlen = 7;
    r[0].log2_n = AGE_MIN_SCRYPT_LOG2;
    memset(&sid, 0, sizeof(sid));
    sid.kind = AGE_SCRYPT;
    sid.passphrase = "hunter2";
    sid.passlen = 7;
    enc(r, 1, (const uint8_t *)"pw file", 7, &ct);
    assert_int_equal(dec(&sid, 1, ct.p, ct.len, &pt), 0);
    assert_int_equal(pt.len, 7);
    assert_memory_equal(pt.p, "pw file", 7);
    free(pt.p);
    sid.passphrase = "hunter3";
    assert_int_equal(dec(&sid, 1, ct.p, ct.len, &pt), AGE_ENOKEY);
    free(pt.p);
    free(ct.p);

    /* Writers: an scrypt recipient with any other, or too weak. */
    new_x25519(&xid, &r[1]);
    age_file_key_new(fk);
    assert_int_equal(age_header_new(fk, r, 2, &out, &outlen), AGE_EINVAL);
    r[0].log2_n = AGE_MIN_SCRYPT_LOG2 - 1;
    assert_int_equal(age_header_new(fk, r, 1, &out, &outlen), AGE_EINVAL);

    /* Readers: an scrypt stanza beside another is refused by anyone. */
    snprintf(mid, sizeof(mid), "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n" B43
        "\n-> X25519 " B43 "\n" B43 "\n");
    len = mkhdr(buf, sizeof(buf), mid);
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used), 0);
    sid.passphrase = "hunter2";
    assert_int_equal(age_header_unwrap(h, &sid, 1, fk), AGE_EFORMAT);
    assert_int_equal(age_header_unwrap(h, &xid, 1, fk), AGE_EFORMAT);
    age_header_free(h);
}

/* Feed the push API in odd pieces: same result as one shot. */
static void
feed(struct age_stream *s, const uint8_t *p, size_t len, int bytewise,
    struct tbuf *out)
{
    size_t off = 0, n;

    while (off < len) {
        n = bytewise ? 1 : 1 + randombytes_uniform(70000);
        if (n > len - off) {
            n = len - off;
        }
        assert_int_equal(age_stream_update(s, p + off, n, tbuf_write, out),
            0);
        off += n;
    }
    assert_int_equal(age_stream_final(s, tbuf_write, out), 0);
}

static void
test_age_stream_split_feeding_matches_one_shot(void **state)
{
    static const size_t sizes[] = { 1000, 65536, 3 * 65536 + 17 };
    struct age_identity id;
    struct age_recipient r;
    struct age_stream *s;
    struct tbuf ct, ct2, pt, pt2;
    uint8_t fk[AGE_FILE_KEY_BYTES], *in;
    size_t i, h;
    int bytewise;

    (void)state;
    new_x25519(&id, &r);
    assert_non_null(in = malloc(3 * 65536 + 17));
    randombytes_buf(in, 3 * 65536 + 17);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        bytewise = sizes[i] <= 1000;

        /* Reference: the whole-file API in one shot. */
        enc(&r, 1, in, sizes[i], &ct);
        h = hdr_len(ct.p, ct.len);
        {
            struct age_header *hh;
            size_t used;

            assert_int_equal(age_header_parse(ct.p, ct.len, &hh, &used), 0);
            assert_int_equal(age_header_unwrap(hh, &id, 1, fk), 0);
            age_header_free(hh);
        }

        /* Decrypt the payload in pieces. */
        memset(&pt, 0, sizeof(pt));
        assert_non_null(s = age_stream_new_decrypt(fk));
        feed(s, ct.p + h, ct.len - h, bytewise, &pt);
        age_stream_free(s);
        assert_int_equal(pt.len, sizes[i]);
        assert_memory_equal(pt.p, in, sizes[i]);

        /* Encrypt in pieces: same length, and it decrypts one shot. */
        memset(&ct2, 0, sizeof(ct2));
        assert_non_null(s = age_stream_new_encrypt(fk));
        feed(s, in, sizes[i], bytewise, &ct2);
        age_stream_free(s);
        assert_int_equal(ct2.len, ct.len - h);
        memset(&pt2, 0, sizeof(pt2));
        assert_non_null(s = age_stream_new_decrypt(fk));
        assert_int_equal(age_stream_update(s, ct2.p, ct2.len, tbuf_write,
            &pt2), 0);
        assert_int_equal(age_stream_final(s, tbuf_write, &pt2), 0);
        age_stream_free(s);
        assert_int_equal(pt2.len, sizes[i]);
        assert_memory_equal(pt2.p, in, sizes[i]);

        free(ct.p);
        free(ct2.p);
        free(pt.p);
        free(pt2.p);
    }
    free(in);
}

/*
 * The core of the product: one payload, many headers.  A second header
 * made later from the same file key for another reader, followed by the
 * unchanged payload, is a complete age file for that reader.
 */
static void
test_age_header_new_swap_keeps_payload(void **state)
{
    struct age_identity a, b;
    struct age_recipient ra, rb;
    struct age_stream *s;
    struct tbuf payload, pt;
    uint8_t fk[AGE_FILE_KEY_BYTES], *h1, *h2, *file;
    size_t h1len, h2len;
    uint8_t in[70000];

    (void)state;
    new_x25519(&a, &ra);
    new_x25519(&b, &rb);
    randombytes_buf(in, sizeof(in));
    age_file_key_new(fk);
    assert_int_equal(age_header_new(fk, &ra, 1, &h1, &h1len), 0);
    memset(&payload, 0, sizeof(payload));
    assert_non_null(s = age_stream_new_encrypt(fk));
    assert_int_equal(age_stream_update(s, in, sizeof(in), tbuf_write,
        &payload), 0);
    assert_int_equal(age_stream_final(s, tbuf_write, &payload), 0);
    age_stream_free(s);

    /* Later: a header for B from the same file key. */
    assert_int_equal(age_header_new(fk, &rb, 1, &h2, &h2len), 0);
    assert_non_null(file = malloc(h2len + payload.len));
    memcpy(file, h2, h2len);
    memcpy(file + h2len, payload.p, payload.len);
    assert_int_equal(dec(&b, 1, file, h2len + payload.len, &pt), 0);
    assert_int_equal(pt.len, sizeof(in));
    assert_memory_equal(pt.p, in, sizeof(in));
    free(pt.p);
    assert_int_equal(dec(&a, 1, file, h2len + payload.len, &pt),
        AGE_ENOKEY);
    free(pt.p);

    /* The first header still works with the same payload. */
    memcpy(file, h1, h1len);
    memcpy(file + h1len, payload.p, payload.len);
    assert_int_equal(dec(&a, 1, file, h1len + payload.len, &pt), 0);
    assert_int_equal(pt.len, sizeof(in));
    free(pt.p);

    sodium_memzero(fk, sizeof(fk));
    free(file);
    free(h1);
    free(h2);
    free(payload.p);
}

/* Data after a full-size last chunk: AGE_ETRAIL; after a short one: no. */
static void
test_age_decrypt_rejects_trailing_data(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt;
    uint8_t in[65536];
    int rc;

    (void)state;
    new_x25519(&id, &r);
    randombytes_buf(in, sizeof(in));
    enc(&r, 1, in, sizeof(in), &ct);
    tbuf_write(&ct, (const uint8_t *)"x", 1);
    assert_int_equal(dec(&id, 1, ct.p, ct.len, &pt), AGE_ETRAIL);
    free(pt.p);
    free(ct.p);

    enc(&r, 1, in, 10, &ct);
    tbuf_write(&ct, (const uint8_t *)"x", 1);
    rc = dec(&id, 1, ct.p, ct.len, &pt);
    assert_true(rc == AGE_EAUTH || rc == AGE_ETRAIL);
    free(pt.p);
    free(ct.p);
}

/*
 * Hand-made payloads: a full chunk then an empty last chunk is refused;
 * the same with a one-byte last chunk is accepted (the construction is
 * right).
 */
static void
test_age_decrypt_rejects_empty_last_chunk(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf pt;
    uint8_t fk[AGE_FILE_KEY_BYTES], key[32], n[12];
    uint8_t *hdr, *file, *p, *in;
    size_t hlen, lastlen;

    (void)state;
    new_x25519(&id, &r);
    assert_non_null(in = malloc(65537));
    randombytes_buf(in, 65537);
    age_file_key_new(fk);
    assert_int_equal(age_header_new(fk, &r, 1, &hdr, &hlen), 0);
    assert_non_null(file = malloc(hlen + 16 + 65536 + 16 + 1 + 16));
    for (lastlen = 0; lastlen <= 1; lastlen++) {
        memcpy(file, hdr, hlen);
        p = file + hlen;
        randombytes_buf(p, 16);
        age_hkdf(fk, sizeof(fk), p, 16, "payload", key);
        p += 16;
        memset(n, 0, sizeof(n));
        crypto_aead_chacha20poly1305_ietf_encrypt(p, NULL, in, 65536, NULL,
            0, NULL, n, key);
        p += 65536 + 16;
        n[10] = 1;
        n[11] = 1;
        crypto_aead_chacha20poly1305_ietf_encrypt(p, NULL, in + 65536,
            lastlen, NULL, 0, NULL, n, key);
        p += lastlen + 16;
        assert_int_equal(dec(&id, 1, file, (size_t)(p - file), &pt),
            lastlen == 0 ? AGE_EAUTH : 0);
        if (lastlen == 1) {
            assert_int_equal(pt.len, 65537);
            assert_memory_equal(pt.p, in, 65537);
        }
        free(pt.p);
    }
    free(file);
    free(hdr);
    free(in);
}

/* An X25519 share of low order (all-zero shared secret) is refused. */
static void
test_age_header_unwrap_rejects_low_order_share(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct age_header *h;
    uint8_t fk[AGE_FILE_KEY_BYTES], *out;
    char buf[512];
    size_t len, used, outlen;

    (void)state;
    new_x25519(&id, &r);
    len = mkhdr(buf, sizeof(buf), "-> X25519 " B43 "\n" B43 "\n");
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used), 0);
    assert_int_equal(age_header_unwrap(h, &id, 1, fk), AGE_EFORMAT);
    age_header_free(h);

    /* Wrong argument count or body length: malformed, not skipped. */
    len = mkhdr(buf, sizeof(buf), "-> X25519 " B43 " extra\n" B43 "\n");
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used), 0);
    assert_int_equal(age_header_unwrap(h, &id, 1, fk), AGE_EFORMAT);
    age_header_free(h);
    len = mkhdr(buf, sizeof(buf), "-> X25519 " B43 "\nAAAA\n");
    assert_int_equal(age_header_parse((uint8_t *)buf, len, &h, &used), 0);
    assert_int_equal(age_header_unwrap(h, &id, 1, fk), AGE_EFORMAT);
    age_header_free(h);

    /* A writer refuses a low-order recipient. */
    memset(&r.x25519, 0, sizeof(r.x25519));
    age_file_key_new(fk);
    assert_int_equal(age_header_new(fk, &r, 1, &out, &outlen), AGE_EINVAL);
}

/* Unknown stanzas (grease) before ours are skipped. */
static void
test_age_decrypt_skips_unknown_stanzas(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct tbuf ct, pt, m;
    size_t len;

    (void)state;
    new_x25519(&id, &r);
    enc(&r, 1, (const uint8_t *)"grease", 6, &ct);

    /* Insert a stanza: the MAC then fails, proving it was read... */
    memset(&m, 0, sizeof(m));
    tbuf_write(&m, ct.p, 22);
    tbuf_write(&m, (const uint8_t *)"-> x.org/grease a b\n" L64 "\nAA\n",
        20 + 65 + 3);
    tbuf_write(&m, ct.p + 22, ct.len - 22);
    assert_int_equal(dec(&id, 1, m.p, m.len, &pt), AGE_EAUTH);
    free(pt.p);
    free(m.p);
    free(ct.p);

    /* ...and a header made with the grease inside its MAC decrypts. */
    {
        uint8_t fk[AGE_FILE_KEY_BYTES], key[32], mac[32], *hdr;
        char b64[44];
        size_t hlen, cut;
        struct age_stream *s;

        age_file_key_new(fk);
        assert_int_equal(age_header_new(fk, &r, 1, &hdr, &hlen), 0);
        cut = hlen - 48;    /* start of "--- <mac>\n" */
        memset(&m, 0, sizeof(m));
        tbuf_write(&m, hdr, 22);
        tbuf_write(&m, (const uint8_t *)"-> x.org/grease\n\n", 17);
        tbuf_write(&m, hdr + 22, cut - 22);
        tbuf_write(&m, (const uint8_t *)"---", 3);
        age_hkdf(fk, sizeof(fk), NULL, 0, "header", key);
        crypto_auth_hmacsha256(mac, m.p, m.len, key);
        assert_int_equal(b64_encode(mac, 32, b64, sizeof(b64)), 43);
        tbuf_write(&m, (const uint8_t *)" ", 1);
        tbuf_write(&m, (const uint8_t *)b64, 43);
        tbuf_write(&m, (const uint8_t *)"\n", 1);
        assert_non_null(s = age_stream_new_encrypt(fk));
        assert_int_equal(age_stream_update(s, (const uint8_t *)"ok", 2,
            tbuf_write, &m), 0);
        assert_int_equal(age_stream_final(s, tbuf_write, &m), 0);
        age_stream_free(s);
        len = m.len;
        assert_int_equal(dec(&id, 1, m.p, len, &pt), 0);
        assert_int_equal(pt.len, 2);
        free(pt.p);
        free(m.p);
        free(hdr);
    }
}

/* A failing callback is AGE_EIO, and the stream then refuses more. */
static void
test_age_io_errors(void **state)
{
    struct age_identity id;
    struct age_recipient r;
    struct age_stream *s;
    struct tbuf ct, out;
    struct tsrc src = { (const uint8_t *)"abc", 3, 0, 0, 1 };
    uint8_t fk[AGE_FILE_KEY_BYTES];
    int i;

    (void)state;
    new_x25519(&id, &r);
    memset(&out, 0, sizeof(out));
    assert_int_equal(age_encrypt(&r, 1, tsrc_read, &src, tbuf_write, &out),
        AGE_EIO);
    free(out.p);
    src.fail = 0;
    for (i = 1; i <= 3; i++) {
        memset(&out, 0, sizeof(out));
        out.fail_after = i;
        src.pos = 0;
        assert_int_equal(age_encrypt(&r, 1, tsrc_read, &src, tbuf_write,
            &out), AGE_EIO);
        free(out.p);
    }
    enc(&r, 1, (const uint8_t *)"abc", 3, &ct);
    memset(&out, 0, sizeof(out));
    out.fail_after = 1;
    {
        struct tsrc cs = { ct.p, ct.len, 0, 0, 0 };

        assert_int_equal(age_decrypt(&id, 1, tsrc_read, &cs, tbuf_write,
            &out), AGE_EIO);
    }
    free(ct.p);

    age_file_key_new(fk);
    assert_non_null(s = age_stream_new_encrypt(fk));
    memset(&out, 0, sizeof(out));
    out.fail_after = 1;
    assert_int_equal(age_stream_update(s, fk, 1, tbuf_write, &out), AGE_EIO);
    assert_int_equal(age_stream_update(s, fk, 1, tbuf_write, &out),
        AGE_EINVAL);
    assert_int_equal(age_stream_final(s, tbuf_write, &out), AGE_EINVAL);
    age_stream_free(s);
    age_stream_free(NULL);
    age_header_free(NULL);
}

/* A fixed-size sink that never allocates (for fault injection). */
struct fixsink {
    uint8_t buf[300000];
    size_t len;
};

static int
fixsink_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct fixsink *f = cookie;

    if (len > sizeof(f->buf) - f->len) {
        return (-1);
    }
    memcpy(f->buf + f->len, buf, len);
    f->len += len;
    return (0);
}

/*
 * Make the ${i}-th allocation fail during ${op}; return its result and
 * set *${hit} if the failure was injected (else ${op} ran clean).
 */
#define WITH_FAULT(i, hit, rc, op) do {                                   \
    fail_countdown = (int)(i);                                          \
    (rc) = (op);                                                        \
    *(hit) = (fail_countdown == -1);                                    \
    fail_countdown = -1;                                                \
} while (0)

/*
 * Every allocation of encryption, decryption, header and key-file code
 * failing in turn gives AGE_ENOMEM (or a NULL object), never a crash, a
 * leak (ASan) or a success with wrong output.
 */
static void
test_age_alloc_failures_are_clean(void **state)
{
    static struct fixsink ct, pt, kf;
    struct age_identity id, sid;
    struct age_recipient r[2], sr;
    struct age_header *h;
    struct age_stream *s;
    struct keys *k, *k2;
    uint8_t in[70000], fk[AGE_FILE_KEY_BYTES], *hdr;
    size_t i, used, hl;
    int rc, hit, injected = 0;

    (void)state;
    new_x25519(&id, &r[0]);
    r[1] = r[0];
    randombytes_buf(in, sizeof(in));
    memset(&sr, 0, sizeof(sr));
    sr.kind = AGE_SCRYPT;
    sr.passphrase = "pw";
    sr.passlen = 2;
    sr.log2_n = AGE_MIN_SCRYPT_LOG2;
    memset(&sid, 0, sizeof(sid));
    sid.kind = AGE_SCRYPT;
    sid.passphrase = "pw";
    sid.passlen = 2;

    /* Whole-file encryption to two recipients, and decryption. */
    for (i = 0, hit = 1; hit; i++) {
        struct tsrc src = { in, sizeof(in), 0, 0, 0 };

        ct.len = 0;
        WITH_FAULT(i, &hit, rc, age_encrypt(r, 2, tsrc_read, &src,
            fixsink_write, &ct));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        injected += hit;
    }
    for (i = 0, hit = 1; hit; i++) {
        struct tsrc src = { ct.buf, ct.len, 0, 0, 0 };

        pt.len = 0;
        WITH_FAULT(i, &hit, rc, age_decrypt(&id, 1, tsrc_read, &src,
            fixsink_write, &pt));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        injected += hit;
    }
    assert_int_equal(pt.len, sizeof(in));
    assert_memory_equal(pt.buf, in, sizeof(in));

    /* Header functions and streams on their own. */
    age_file_key_new(fk);
    for (i = 0, hit = 1; hit; i++) {
        WITH_FAULT(i, &hit, rc, age_header_new(fk, r, 2, &hdr, &hl));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        if (rc == 0) {
            free(hdr);
        }
        injected += hit;
    }
    for (i = 0, hit = 1; hit; i++) {
        WITH_FAULT(i, &hit, rc, age_header_parse(ct.buf, ct.len, &h,
            &used));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        age_header_free(h);
        injected += hit;
    }
    for (i = 0, hit = 1; hit; i++) {
        WITH_FAULT(i, &hit, s, age_stream_new_encrypt(fk));
        assert_true(hit ? s == NULL : s != NULL);
        age_stream_free(s);
        injected += hit;
    }

    /* Passphrase files and key files. */
    for (i = 0, hit = 1; hit; i++) {
        struct tsrc src = { in, 10, 0, 0, 0 };

        kf.len = 0;
        WITH_FAULT(i, &hit, rc, age_encrypt(&sr, 1, tsrc_read, &src,
            fixsink_write, &kf));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        injected += hit;
    }
    for (i = 0, hit = 1; hit; i++) {
        WITH_FAULT(i, &hit, k, keys_generate());
        assert_true(hit ? k == NULL : k != NULL);
        if (!hit) {
            break;
        }
        injected++;
    }
    for (i = 0, hit = 1; hit; i++) {
        kf.len = 0;
        WITH_FAULT(i, &hit, rc, keys_file_write(k, "pw", 2,
            AGE_MIN_SCRYPT_LOG2, fixsink_write, &kf));
        assert_int_equal(rc, hit ? AGE_ENOMEM : 0);
        injected += hit;
    }
    for (i = 0, hit = 1; hit; i++) {
        WITH_FAULT(i, &hit, rc, keys_file_read(kf.buf, kf.len, "pw", 2,
            &k2));
        if (hit) {
            assert_int_equal(rc, AGE_ENOMEM);
            assert_null(k2);
        } else {
            assert_int_equal(rc, 0);
            assert_memory_equal(k2->x25519_sk, k->x25519_sk, 32);
            keys_free(k2);
        }
        injected += hit;
    }
    keys_free(k);
    (void)sid;

    /* The loops above did inject failures. */
    assert_true(injected > 20);
}

/* Every code has its own message. */
static void
test_age_strerror_all_codes(void **state)
{
    int e, f;

    (void)state;
    for (e = AGE_EFORMAT; e >= AGE_EAGAIN; e--) {
        assert_non_null(age_strerror(e));
        assert_string_not_equal(age_strerror(e), "unknown error");
        for (f = AGE_EFORMAT; f > e; f--) {
            assert_string_not_equal(age_strerror(e), age_strerror(f));
        }
    }
    assert_string_equal(age_strerror(12345), "unknown error");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_age_hkdf_rfc5869_vectors),
        cmocka_unit_test(test_age_encrypt_roundtrip_sizes),
        cmocka_unit_test(test_age_decrypt_reference_files),
        cmocka_unit_test(test_age_decrypt_rejects_truncated),
        cmocka_unit_test(test_age_decrypt_rejects_header_bit_flips),
        cmocka_unit_test(test_age_decrypt_rejects_payload_bit_flips),
        cmocka_unit_test(test_age_decrypt_rejects_reordered_chunks),
        cmocka_unit_test(test_age_decrypt_small_reads),
        cmocka_unit_test(test_age_decrypt_wrong_key_enokey),
        cmocka_unit_test(test_age_header_unwrap_mac_mismatch),
        cmocka_unit_test(test_age_header_parse_rejects_malformed),
        cmocka_unit_test(test_age_header_parse_eagain_on_prefixes),
        cmocka_unit_test(test_age_header_parse_rejects_too_many_stanzas),
        cmocka_unit_test(test_age_header_parse_rejects_too_big),
        cmocka_unit_test(test_age_header_unwrap_refuses_huge_work_factor_fast),
        cmocka_unit_test(test_age_scrypt_roundtrip_and_alone),
        cmocka_unit_test(test_age_stream_split_feeding_matches_one_shot),
        cmocka_unit_test(test_age_header_new_swap_keeps_payload),
        cmocka_unit_test(test_age_decrypt_rejects_trailing_data),
        cmocka_unit_test(test_age_decrypt_rejects_empty_last_chunk),
        cmocka_unit_test(test_age_header_unwrap_rejects_low_order_share),
        cmocka_unit_test(test_age_decrypt_skips_unknown_stanzas),
        cmocka_unit_test(test_age_io_errors),
        cmocka_unit_test(test_age_alloc_failures_are_clean),
        cmocka_unit_test(test_age_strerror_all_codes),
    };

    if (sodium_init() < 0) {
        return (1);
    }
    return (cmocka_run_group_tests_name("age", tests, NULL, NULL));
}
