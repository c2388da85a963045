#include "crypto/minisig.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/*
 * Layouts follow minisign 0.11 (src/minisign.h), all fields packed:
 *   public key  "Ed" || keyid[8] || pk[32]                        42 bytes
 *   signature   "ED" || keyid[8] || sig[64]                       74 bytes
 *   secret key  "Ed" || kdf_alg[2] || "B2" || salt[32] || ops le64
 *               || mem le64 || keyid[8] || sk[64] || chk[32]     158 bytes
 * Each is one line of standard base64 with padding.  See docs/FORMATS.md.
 */
#define ALG_KEY "Ed"    /* public and secret keys; also legacy signatures */
#define ALG_HASHED "ED" /* signatures over BLAKE2b-512 of the content */
#define ALG_CHK "B2"    /* secret key checksum: BLAKE2b-256 */

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define DEFAULT_SIG_COMMENT "signature from minisign secret key"
#define SECKEY_COMMENT "minisign encrypted secret key"

#define PREFIX_LEN(p) (sizeof(p) - 1)

#define PREHASH_BYTES crypto_generichash_BYTES_MAX /* 64 */
#define CHK_BYTES crypto_generichash_BYTES         /* 32 */
#define SALT_BYTES 32
#define PUB_BIN_BYTES (2 + MINISIG_KEYID_BYTES + MINISIG_PK_BYTES)
#define SIG_BIN_BYTES (2 + MINISIG_KEYID_BYTES + MINISIG_SIG_BYTES)
#define SEC_BIN_BYTES                                                        \
    (2 + 2 + 2 + SALT_BYTES + 8 + 8 + MINISIG_KEYID_BYTES + MINISIG_SK_BYTES \
        + CHK_BYTES)

/* Offsets into the secret key layout. */
#define SEC_OFF_KDF 2
#define SEC_OFF_CHKALG 4
#define SEC_OFF_KEYID (6 + SALT_BYTES + 8 + 8)
#define SEC_OFF_SK (SEC_OFF_KEYID + MINISIG_KEYID_BYTES)
#define SEC_OFF_CHK (SEC_OFF_SK + MINISIG_SK_BYTES)

/* Base64 lengths (without NUL) of the binary layouts. */
#define B64_LEN(n) (((n) + 2) / 3 * 4)
#define SIG_B64_LEN B64_LEN(SIG_BIN_BYTES)        /* 100 */
#define GSIG_B64_LEN B64_LEN(MINISIG_SIG_BYTES)   /* 88 */
#define SEC_B64_LEN B64_LEN(SEC_BIN_BYTES)        /* 212 */

/*
 * minisign reads a comment line with fgets() into 1024 bytes and requires
 * its '\n' to fit: the line, CR included, has at most 1022 bytes.
 */
#define MINISIGN_LINE_MAX 1022

struct minisig_hash {
    crypto_generichash_state st;
    int done; /* finished: only minisig_hash_free() may follow */
};

/* One line of text, located within a larger buffer. */
struct line {
    const char *p; /* first byte */
    size_t len;    /* bytes, without the line end */
    size_t rawlen; /* bytes, with a CR of a CRLF end but not the LF */
};

const char *
minisig_strerror(int err)
{

    switch (err) {
    case 0:
        return ("success");
    case -1:
        return ("output buffer too small");
    case MINISIG_EFORMAT:
        return ("malformed minisign signature, key or comment");
    case MINISIG_EKEYID:
        return ("signature made by another key");
    case MINISIG_EBADSIG:
        return ("invalid signature");
    case MINISIG_ELEGACY:
        return ("legacy non-prehashed signature not accepted");
    case MINISIG_ENOMEM:
        return ("out of memory");
    default:
        return ("unknown minisign error");
    }
}

/* Little-endian load, as minisign reads key ids. */
static uint64_t
le64_load(const uint8_t p[8])
{
    uint64_t x = 0;
    size_t i;

    for (i = 8; i > 0; i--) {
        x = (x << 8) | p[i - 1];
    }
    return (x);
}

void
minisig_keyid_hex(const uint8_t keyid[MINISIG_KEYID_BYTES],
    char out[MINISIG_KEYID_HEX_LEN + 1])
{

    snprintf(out, MINISIG_KEYID_HEX_LEN + 1, "%016" PRIX64,
        le64_load(keyid));
}

void
minisig_keygen(struct minisig_seckey *sk, struct minisig_pubkey *pk)
{

    randombytes_buf(sk->keyid, sizeof(sk->keyid));
    crypto_sign_keypair(pk->pk, sk->sk);
    memcpy(pk->keyid, sk->keyid, sizeof(pk->keyid));
}

void
minisig_seckey_public(const struct minisig_seckey *sk,
    struct minisig_pubkey *pk)
{

    memcpy(pk->keyid, sk->keyid, sizeof(pk->keyid));
    crypto_sign_ed25519_sk_to_pk(pk->pk, sk->sk);
}

/*
 * next_line(text, len, pos, ln, eol_optional):
 * Take the line starting at ${*pos}: it ends with LF or CRLF, or, only if
 * ${eol_optional}, at the end of the text.  Fail on a missing line, a
 * missing line end, a NUL or a CR that does not start a CRLF.  On success
 * advance ${*pos} past the line end.
 */
static int
next_line(const char *text, size_t len, size_t *pos, struct line *ln,
    int eol_optional)
{
    size_t i;

    if (*pos >= len) {
        return (-1);
    }
    for (i = *pos; i < len && text[i] != '\n'; i++) {
        if (text[i] == '\0') {
            return (-1);
        }
        /* A lone CR would end the line for minisign but not for us. */
        if (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')) {
            return (-1);
        }
    }
    if (i == len && !eol_optional) {
        return (-1);
    }
    ln->p = text + *pos;
    ln->rawlen = i - *pos;
    ln->len = ln->rawlen;
    if (ln->len > 0 && ln->p[ln->len - 1] == '\r') {
        ln->len--;
    }
    *pos = (i == len) ? len : i + 1;
    return (0);
}

/* Does ${ln} start with the NUL-terminated ${prefix}? */
static int
has_prefix(const struct line *ln, const char *prefix)
{
    size_t n = strlen(prefix);

    return (ln->len >= n && memcmp(ln->p, prefix, n) == 0);
}

/*
 * b64_decode_exact(ln, bin, binlen):
 * Decode ${ln} into ${bin} if it is exactly the canonical padded base64 of
 * ${binlen} bytes: one byte string, one spelling.  Return 0 or -1.  ${bin}
 * may hold partial output on failure; the caller wipes it if secret.
 */
static int
b64_decode_exact(const struct line *ln, uint8_t *bin, size_t binlen)
{
    char re[SEC_B64_LEN + 1];
    const char *end;
    size_t outlen;
    int rc = -1;

    assert(B64_LEN(binlen) < sizeof(re));
    if (ln->len != B64_LEN(binlen)) {
        goto done;
    }
    if (sodium_base642bin(bin, binlen, ln->p, ln->len, NULL, &outlen, &end,
            sodium_base64_VARIANT_ORIGINAL) != 0
        || end != ln->p + ln->len || outlen != binlen) {
        goto done;
    }
    /*
     * Re-encode and compare: libsodium 1.0.18 decodes any byte >= 0x80 as
     * '/', and other versions may differ on padding bits.
     */
    sodium_bin2base64(re, sizeof(re), bin, binlen,
        sodium_base64_VARIANT_ORIGINAL);
    if (memcmp(re, ln->p, ln->len) != 0) {
        goto done;
    }
    rc = 0;

done:
    /* ${re} may spell a secret key. */
    sodium_memzero(re, sizeof(re));
    return (rc);
}

/*
 * comment_line(ln, prefix, max, out):
 * Check that ${ln} is ${prefix} then at most ${max} comment bytes and copy
 * them, NUL-terminated, into ${out} (if not NULL).  next_line() already
 * refused NUL, CR and LF within.  Return 0 or -1.
 */
static int
comment_line(const struct line *ln, const char *prefix, size_t max,
    char *out)
{
    size_t n = strlen(prefix);

    if (!has_prefix(ln, prefix) || ln->len - n > max) {
        return (-1);
    }
    if (out != NULL) {
        memcpy(out, ln->p + n, ln->len - n);
        out[ln->len - n] = '\0';
    }
    return (0);
}

/* Is ${s} (${len} bytes) free of the CR, LF and NUL that end a line? */
static int
comment_ok(const char *s, size_t len)
{

    return (memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL
        && memchr(s, '\0', len) == NULL);
}

/* The binary public key layout of ${pk}. */
static void
pubkey_bin(const struct minisig_pubkey *pk, uint8_t bin[PUB_BIN_BYTES])
{

    memcpy(bin, ALG_KEY, 2);
    memcpy(bin + 2, pk->keyid, MINISIG_KEYID_BYTES);
    memcpy(bin + 2 + MINISIG_KEYID_BYTES, pk->pk, MINISIG_PK_BYTES);
}

void
minisig_pubkey_encode(const struct minisig_pubkey *pk,
    char out[MINISIG_PUBKEY_B64_LEN + 1])
{
    uint8_t bin[PUB_BIN_BYTES];

    pubkey_bin(pk, bin);
    sodium_bin2base64(out, MINISIG_PUBKEY_B64_LEN + 1, bin, sizeof(bin),
        sodium_base64_VARIANT_ORIGINAL);
}

int
minisig_pubkey_parse(const char *text, size_t len, struct minisig_pubkey *pk)
{
    struct line ln;
    uint8_t bin[PUB_BIN_BYTES];
    size_t pos = 0;

    memset(pk, 0, sizeof(*pk));
    if (len > MINISIG_FILE_MAX || next_line(text, len, &pos, &ln, 1) != 0) {
        goto err0;
    }
    /* A file: the comment line, then the key (base64 has no ':' or ' '). */
    if (has_prefix(&ln, UNTRUSTED_PREFIX)) {
        if (ln.rawlen > MINISIGN_LINE_MAX
            || next_line(text, len, &pos, &ln, 1) != 0) {
            goto err0;
        }
    }
    if (pos != len || b64_decode_exact(&ln, bin, sizeof(bin)) != 0
        || memcmp(bin, ALG_KEY, 2) != 0) {
        goto err0;
    }
    memcpy(pk->keyid, bin + 2, MINISIG_KEYID_BYTES);
    memcpy(pk->pk, bin + 2 + MINISIG_KEYID_BYTES, MINISIG_PK_BYTES);

    /* Success! */
    return (0);

err0:
    /* Failure! */
    return (MINISIG_EFORMAT);
}

int
minisig_pubkey_file(const struct minisig_pubkey *pk, char *out,
    size_t outlen)
{
    char keyid[MINISIG_KEYID_HEX_LEN + 1];
    char b64[MINISIG_PUBKEY_B64_LEN + 1];
    int n;

    minisig_keyid_hex(pk->keyid, keyid);
    minisig_pubkey_encode(pk, b64);
    n = snprintf(out, outlen, UNTRUSTED_PREFIX "minisign public key %s\n%s\n",
        keyid, b64);
    if (n < 0 || (size_t)n >= outlen) {
        return (-1);
    }
    return (n);
}

/* The minisign checksum of a secret key: BLAKE2b-256("Ed" || keyid || sk). */
static void
seckey_chk(const uint8_t keyid[MINISIG_KEYID_BYTES],
    const uint8_t sk[MINISIG_SK_BYTES], uint8_t chk[CHK_BYTES])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)ALG_KEY, 2);
    crypto_generichash_update(&st, keyid, MINISIG_KEYID_BYTES);
    crypto_generichash_update(&st, sk, MINISIG_SK_BYTES);
    crypto_generichash_final(&st, chk, CHK_BYTES);
    sodium_memzero(&st, sizeof(st));
}

int
minisig_seckey_file(const struct minisig_seckey *sk, char *out,
    size_t outlen)
{
    uint8_t bin[SEC_BIN_BYTES];
    size_t clen = PREFIX_LEN(UNTRUSTED_PREFIX SECKEY_COMMENT "\n");
    size_t need = clen + SEC_B64_LEN + 1;

    if (outlen < need + 1) {
        return (-1);
    }
    /*
     * Unencrypted, as `minisign -G -W`: kdf "\0\0", zero salt and limits.
     * minisign leaves the checksum zero there; we fill it in (minisign
     * does not read it for such keys) so that damage is detected.
     */
    memset(bin, 0, sizeof(bin));
    memcpy(bin, ALG_KEY, 2);
    memcpy(bin + SEC_OFF_CHKALG, ALG_CHK, 2);
    memcpy(bin + SEC_OFF_KEYID, sk->keyid, MINISIG_KEYID_BYTES);
    memcpy(bin + SEC_OFF_SK, sk->sk, MINISIG_SK_BYTES);
    seckey_chk(sk->keyid, sk->sk, bin + SEC_OFF_CHK);

    memcpy(out, UNTRUSTED_PREFIX SECKEY_COMMENT "\n", clen);
    sodium_bin2base64(out + clen, SEC_B64_LEN + 1, bin, sizeof(bin),
        sodium_base64_VARIANT_ORIGINAL);
    out[need - 1] = '\n';
    out[need] = '\0';
    sodium_memzero(bin, sizeof(bin));
    return ((int)need);
}

/*
 * seckey_check(bin):
 * Check the fields of a decoded secret key: algorithms, no encryption,
 * a checksum that is right or absent (all zero, as `minisign -G -W`
 * writes), and a secret whose seed yields the public half it carries.
 */
static int
seckey_check(const uint8_t bin[SEC_BIN_BYTES])
{
    uint8_t chk[CHK_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    int rc = -1;

    /* kdf "Sc" (password-protected) is not supported. */
    if (memcmp(bin, ALG_KEY, 2) != 0 || bin[SEC_OFF_KDF] != 0
        || bin[SEC_OFF_KDF + 1] != 0
        || memcmp(bin + SEC_OFF_CHKALG, ALG_CHK, 2) != 0) {
        goto done;
    }
    seckey_chk(bin + SEC_OFF_KEYID, bin + SEC_OFF_SK, chk);
    if (sodium_memcmp(chk, bin + SEC_OFF_CHK, CHK_BYTES) != 0
        && !sodium_is_zero(bin + SEC_OFF_CHK, CHK_BYTES)) {
        goto done;
    }
    /* sk is seed || pk: recompute both from the seed. */
    if (crypto_sign_seed_keypair(pk, sk, bin + SEC_OFF_SK) != 0
        || sodium_memcmp(sk, bin + SEC_OFF_SK, sizeof(sk)) != 0) {
        goto done;
    }
    rc = 0;

done:
    sodium_memzero(chk, sizeof(chk));
    sodium_memzero(sk, sizeof(sk));
    return (rc);
}

int
minisig_seckey_parse(const char *text, size_t len, struct minisig_seckey *sk)
{
    struct line l1, l2;
    uint8_t bin[SEC_BIN_BYTES];
    size_t pos = 0;

    sodium_memzero(sk, sizeof(*sk));
    if (len > MINISIG_FILE_MAX || next_line(text, len, &pos, &l1, 0) != 0
        || next_line(text, len, &pos, &l2, 1) != 0 || pos != len) {
        goto err0;
    }
    if (!has_prefix(&l1, UNTRUSTED_PREFIX) || l1.rawlen > MINISIGN_LINE_MAX) {
        goto err0;
    }
    if (b64_decode_exact(&l2, bin, sizeof(bin)) != 0
        || seckey_check(bin) != 0) {
        goto err1;
    }
    memcpy(sk->keyid, bin + SEC_OFF_KEYID, MINISIG_KEYID_BYTES);
    memcpy(sk->sk, bin + SEC_OFF_SK, MINISIG_SK_BYTES);
    sodium_memzero(bin, sizeof(bin));

    /* Success! */
    return (0);

err1:
    sodium_memzero(bin, sizeof(bin));
err0:
    /* Failure! */
    return (MINISIG_EFORMAT);
}

/* Start a prehash in ${h}. */
static void
hash_init(struct minisig_hash *h)
{

    crypto_generichash_init(&h->st, NULL, 0, PREHASH_BYTES);
    h->done = 0;
}

/* Finish ${h} into ${out}; ${h} may then only be freed. */
static void
hash_final(struct minisig_hash *h, uint8_t out[PREHASH_BYTES])
{

    assert(!h->done);
    crypto_generichash_final(&h->st, out, PREHASH_BYTES);
    h->done = 1;
}

struct minisig_hash *
minisig_hash_new(void)
{
    void *p;
    size_t align = _Alignof(struct minisig_hash);

    /* The libsodium state wants more alignment than malloc() promises. */
    if (align < sizeof(void *)) {
        align = sizeof(void *);
    }
    if (posix_memalign(&p, align, sizeof(struct minisig_hash)) != 0) {
        return (NULL);
    }
    hash_init(p);
    return (p);
}

void
minisig_hash_update(struct minisig_hash *h, const uint8_t *buf, size_t len)
{

    assert(!h->done);
    crypto_generichash_update(&h->st, buf, len);
}

void
minisig_hash_free(struct minisig_hash *h)
{

    if (h == NULL) {
        return;
    }
    /* The state is derived from the (possibly secret) content. */
    sodium_memzero(h, sizeof(*h));
    free(h);
}

/*
 * sign_prehash(prehash, sk, untrusted, trusted, out, outlen):
 * minisig_sign() once the content is hashed.
 */
static int
sign_prehash(const uint8_t prehash[PREHASH_BYTES],
    const struct minisig_seckey *sk, const char *untrusted,
    const char *trusted, char *out, size_t outlen)
{
    uint8_t sigbin[SIG_BIN_BYTES];
    uint8_t gmsg[MINISIG_SIG_BYTES + MINISIG_COMMENT_MAX];
    uint8_t gsig[MINISIG_SIG_BYTES];
    size_t ulen, tlen, need, o;

    if (outlen > 0) {
        out[0] = '\0';
    }
    if (untrusted == NULL) {
        untrusted = DEFAULT_SIG_COMMENT;
    }
    if (trusted == NULL) {
        return (MINISIG_EFORMAT);
    }
    ulen = strlen(untrusted);
    tlen = strlen(trusted);
    if (ulen > MINISIG_UNTRUSTED_MAX || !comment_ok(untrusted, ulen)
        || tlen > MINISIG_COMMENT_MAX || !comment_ok(trusted, tlen)) {
        return (MINISIG_EFORMAT);
    }
    need = PREFIX_LEN(UNTRUSTED_PREFIX) + ulen + 1 + SIG_B64_LEN + 1
        + PREFIX_LEN(TRUSTED_PREFIX) + tlen + 1 + GSIG_B64_LEN + 1;
    if (outlen < need + 1) {
        return (-1);
    }

    /* sig = Ed25519(prehash); global = Ed25519(sig || trusted comment). */
    memcpy(sigbin, ALG_HASHED, 2);
    memcpy(sigbin + 2, sk->keyid, MINISIG_KEYID_BYTES);
    crypto_sign_detached(sigbin + 2 + MINISIG_KEYID_BYTES, NULL, prehash,
        PREHASH_BYTES, sk->sk);
    memcpy(gmsg, sigbin + 2 + MINISIG_KEYID_BYTES, MINISIG_SIG_BYTES);
    memcpy(gmsg + MINISIG_SIG_BYTES, trusted, tlen);
    crypto_sign_detached(gsig, NULL, gmsg, MINISIG_SIG_BYTES + tlen, sk->sk);

    o = 0;
    memcpy(out + o, UNTRUSTED_PREFIX, PREFIX_LEN(UNTRUSTED_PREFIX));
    o += PREFIX_LEN(UNTRUSTED_PREFIX);
    memcpy(out + o, untrusted, ulen);
    o += ulen;
    out[o++] = '\n';
    sodium_bin2base64(out + o, SIG_B64_LEN + 1, sigbin, sizeof(sigbin),
        sodium_base64_VARIANT_ORIGINAL);
    o += SIG_B64_LEN;
    out[o++] = '\n';
    memcpy(out + o, TRUSTED_PREFIX, PREFIX_LEN(TRUSTED_PREFIX));
    o += PREFIX_LEN(TRUSTED_PREFIX);
    memcpy(out + o, trusted, tlen);
    o += tlen;
    out[o++] = '\n';
    sodium_bin2base64(out + o, GSIG_B64_LEN + 1, gsig, sizeof(gsig),
        sodium_base64_VARIANT_ORIGINAL);
    o += GSIG_B64_LEN;
    out[o++] = '\n';
    out[o] = '\0';
    assert(o == need);
    return ((int)need);
}

int
minisig_sign(struct minisig_hash *h, const struct minisig_seckey *sk,
    const char *untrusted, const char *trusted, char *out, size_t outlen)
{
    uint8_t prehash[PREHASH_BYTES];
    int rc;

    hash_final(h, prehash);
    rc = sign_prehash(prehash, sk, untrusted, trusted, out, outlen);
    sodium_memzero(prehash, sizeof(prehash));
    return (rc);
}

int
minisig_sign_buf(const uint8_t *buf, size_t len,
    const struct minisig_seckey *sk, const char *untrusted,
    const char *trusted, char *out, size_t outlen)
{
    struct minisig_hash h;
    int rc;

    hash_init(&h);
    minisig_hash_update(&h, buf, len);
    rc = minisig_sign(&h, sk, untrusted, trusted, out, outlen);
    sodium_memzero(&h, sizeof(h));
    return (rc);
}

int
minisig_parse(const char *text, size_t len, struct minisig *sig)
{
    struct line lu, ls, lt, lg;
    uint8_t sigbin[SIG_BIN_BYTES];
    size_t pos = 0;
    int legacy;

    memset(sig, 0, sizeof(*sig));
    /* Exactly four lines; only the last may lack its line end. */
    if (len > MINISIG_FILE_MAX || next_line(text, len, &pos, &lu, 0) != 0
        || next_line(text, len, &pos, &ls, 0) != 0
        || next_line(text, len, &pos, &lt, 0) != 0
        || next_line(text, len, &pos, &lg, 1) != 0 || pos != len) {
        goto err0;
    }
    if (lu.rawlen > MINISIGN_LINE_MAX
        || comment_line(&lu, UNTRUSTED_PREFIX, MINISIG_UNTRUSTED_MAX,
               sig->untrusted)
            != 0
        || comment_line(&lt, TRUSTED_PREFIX, MINISIG_COMMENT_MAX, sig->trusted)
            != 0) {
        goto err0;
    }
    if (b64_decode_exact(&ls, sigbin, sizeof(sigbin)) != 0
        || b64_decode_exact(&lg, sig->global_sig, MINISIG_SIG_BYTES) != 0) {
        goto err0;
    }
    if (memcmp(sigbin, ALG_HASHED, 2) == 0) {
        legacy = 0;
    } else if (memcmp(sigbin, ALG_KEY, 2) == 0) {
        legacy = 1;
    } else {
        goto err0;
    }
    if (legacy) {
        memset(sig, 0, sizeof(*sig));
        return (MINISIG_ELEGACY);
    }
    memcpy(sig->alg, sigbin, 2);
    memcpy(sig->keyid, sigbin + 2, MINISIG_KEYID_BYTES);
    memcpy(sig->sig, sigbin + 2 + MINISIG_KEYID_BYTES, MINISIG_SIG_BYTES);

    /* Success! */
    return (0);

err0:
    /* Failure! */
    memset(sig, 0, sizeof(*sig));
    return (MINISIG_EFORMAT);
}

int
minisig_verify_comment(const struct minisig *sig,
    const struct minisig_pubkey *pk)
{
    uint8_t gmsg[MINISIG_SIG_BYTES + MINISIG_COMMENT_MAX];
    size_t tlen;

    if (memcmp(sig->alg, ALG_HASHED, 2) != 0) {
        return (MINISIG_ELEGACY);
    }
    tlen = strnlen(sig->trusted, sizeof(sig->trusted));
    if (tlen > MINISIG_COMMENT_MAX) {
        return (MINISIG_EFORMAT);
    }
    if (memcmp(sig->keyid, pk->keyid, MINISIG_KEYID_BYTES) != 0) {
        return (MINISIG_EKEYID);
    }
    /* global_sig = Ed25519(sig || trusted comment). */
    memcpy(gmsg, sig->sig, MINISIG_SIG_BYTES);
    memcpy(gmsg + MINISIG_SIG_BYTES, sig->trusted, tlen);
    if (crypto_sign_verify_detached(sig->global_sig, gmsg,
            MINISIG_SIG_BYTES + tlen, pk->pk)
        != 0) {
        return (MINISIG_EBADSIG);
    }
    return (0);
}

/*
 * verify_prehash(prehash, sig, pk):
 * minisig_verify() once the content is hashed: the checks of
 * minisig_verify_comment(), then the signature over the prehash.
 */
static int
verify_prehash(const uint8_t prehash[PREHASH_BYTES], const struct minisig *sig,
    const struct minisig_pubkey *pk)
{
    int rc;

    if ((rc = minisig_verify_comment(sig, pk)) != 0) {
        return (rc);
    }
    if (crypto_sign_verify_detached(sig->sig, prehash, PREHASH_BYTES, pk->pk)
        != 0) {
        return (MINISIG_EBADSIG);
    }
    return (0);
}

int
minisig_verify(struct minisig_hash *h, const struct minisig *sig,
    const struct minisig_pubkey *pk)
{
    uint8_t prehash[PREHASH_BYTES];
    int rc;

    hash_final(h, prehash);
    rc = verify_prehash(prehash, sig, pk);
    sodium_memzero(prehash, sizeof(prehash));
    return (rc);
}

int
minisig_verify_buf(const uint8_t *buf, size_t len, const struct minisig *sig,
    const struct minisig_pubkey *pk)
{
    struct minisig_hash h;
    int rc;

    hash_init(&h);
    minisig_hash_update(&h, buf, len);
    rc = minisig_verify(&h, sig, pk);
    sodium_memzero(&h, sizeof(h));
    return (rc);
}
