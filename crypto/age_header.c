#include "crypto/age.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/age_internal.h"
#include "crypto/b64.h"

/*
 * The age v1 header: parsing (strict, bounded), unwrapping the file key
 * for X25519 and scrypt identities, and making a header for recipients.
 */

#define AGE_VERSION_LINE "age-encryption.org/v1\n"
#define AGE_VERSION_LEN (sizeof(AGE_VERSION_LINE) - 1)
#define AGE_LINE_COLS 64           /* base64 characters per full line */
#define AGE_MAC_BYTES 32
#define AGE_MAC_B64_LEN 43
#define AGE_WRAPPED_BYTES (AGE_FILE_KEY_BYTES + AGE_TAG_BYTES)
#define AGE_SCRYPT_SALT_BYTES 16
#define AGE_SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define AGE_SCRYPT_LABEL_LEN (sizeof(AGE_SCRYPT_LABEL) - 1)
#define AGE_X25519_INFO "age-encryption.org/v1/X25519"

struct age_stanza {
    size_t nargs;
    char **args;          /* args[0] is the type; into argbuf */
    char *argbuf;         /* the argument line, spaces made NULs */
    uint8_t *body;
    size_t bodylen;
};

struct age_header {
    size_t n;
    struct age_stanza st[AGE_MAX_STANZAS];
    uint8_t *raw;         /* header bytes up to and including "---" */
    size_t rawlen;
    uint8_t mac[AGE_MAC_BYTES];
};

/* A growable byte buffer for building a header. */
struct age_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

/* Append ${len} bytes to ${b}; return 0 or -1 on allocation failure. */
static int
age_buf_add(struct age_buf *b, const void *data, size_t len)
{
    uint8_t *np;
    size_t ncap;

    if (len > SIZE_MAX / 2 - b->len) {
        return (-1);
    }
    if (b->len + len > b->cap) {
        ncap = (b->cap == 0) ? 256 : b->cap;
        while (ncap < b->len + len) {
            ncap *= 2;
        }
        if ((np = realloc(b->p, ncap)) == NULL) {
            return (-1);
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return (0);
}

/*
 * Find the line starting at ${pos}: set *${eol} to the index of its LF.
 * Return 0, AGE_EAGAIN if the buffer ends first, or AGE_ELIMIT if the
 * line would end past AGE_MAX_HEADER_BYTES.
 */
static int
age_line(const uint8_t *buf, size_t len, size_t pos, size_t *eol)
{
    const uint8_t *lf;
    size_t lim = len < AGE_MAX_HEADER_BYTES ? len : AGE_MAX_HEADER_BYTES;

    if (pos >= lim) {
        return (len >= AGE_MAX_HEADER_BYTES ? AGE_ELIMIT : AGE_EAGAIN);
    }
    if ((lf = memchr(buf + pos, '\n', lim - pos)) == NULL) {
        return (len >= AGE_MAX_HEADER_BYTES ? AGE_ELIMIT : AGE_EAGAIN);
    }
    *eol = (size_t)(lf - buf);
    return (0);
}

/* Free what stanza ${st} owns. */
static void
age_stanza_clear(struct age_stanza *st)
{

    free(st->args);
    free(st->argbuf);
    free(st->body);
    memset(st, 0, sizeof(*st));
}

/*
 * Parse the argument line ${line} (${len} bytes after "-> ", no LF) into
 * ${st}: one or more arguments of visible ASCII separated by one space.
 */
static int
age_parse_args(const uint8_t *line, size_t len, struct age_stanza *st)
{
    size_t i, k, nargs = 1;

    if (len == 0 || line[0] == ' ' || line[len - 1] == ' ') {
        return (AGE_EFORMAT);
    }
    for (i = 0; i < len; i++) {
        if (line[i] == ' ') {
            if (line[i - 1] == ' ') {
                return (AGE_EFORMAT);
            }
            nargs++;
        } else if (line[i] < 0x21 || line[i] > 0x7e) {
            return (AGE_EFORMAT);
        }
    }
    if ((st->argbuf = malloc(len + 1)) == NULL) {
        return (AGE_ENOMEM);
    }
    if ((st->args = calloc(nargs, sizeof(char *))) == NULL) {
        return (AGE_ENOMEM);
    }
    memcpy(st->argbuf, line, len);
    st->argbuf[len] = '\0';
    st->args[0] = st->argbuf;
    for (i = 0, k = 1; i < len; i++) {
        if (st->argbuf[i] == ' ') {
            st->argbuf[i] = '\0';
            st->args[k++] = &st->argbuf[i + 1];
        }
    }
    st->nargs = nargs;
    return (0);
}

/*
 * Parse the body lines of a stanza starting at *${pos}: full lines of 64
 * base64 characters, then one shorter (possibly empty) line; decode them
 * into ${st}->body and advance *${pos} past the last line.
 */
static int
age_parse_body(const uint8_t *buf, size_t len, size_t *pos,
    struct age_stanza *st)
{
    size_t p, eol, linelen, chars = 0, cap, got, n = 0;
    int rc;

    /* First pass: find the final line and count the characters. */
    p = *pos;
    for (;;) {
        if ((rc = age_line(buf, len, p, &eol)) != 0) {
            return (rc);
        }
        linelen = eol - p;
        if (linelen > AGE_LINE_COLS) {
            return (AGE_EFORMAT);
        }
        chars += linelen;
        p = eol + 1;
        if (linelen < AGE_LINE_COLS) {
            break;
        }
    }

    /* Second pass: decode each line; a full line is 48 whole bytes. */
    cap = chars / 4 * 3 + 3;
    if ((st->body = malloc(cap)) == NULL) {
        return (AGE_ENOMEM);
    }
    p = *pos;
    for (;;) {
        if ((rc = age_line(buf, len, p, &eol)) != 0) {
            return (rc);
        }
        linelen = eol - p;
        if (b64_decode((const char *)buf + p, linelen, st->body + n,
            cap - n, &got) != 0) {
            return (AGE_EFORMAT);
        }
        n += got;
        p = eol + 1;
        if (linelen < AGE_LINE_COLS) {
            break;
        }
    }
    st->bodylen = n;
    *pos = p;
    return (0);
}

int
age_header_parse(const uint8_t *buf, size_t len, struct age_header **hdr,
    size_t *used)
{
    struct age_header *h;
    size_t pos, eol, got;
    int rc;

    *hdr = NULL;
    *used = 0;

    /* Tell "not an age file" as early as the first bytes allow. */
    if (len == 0) {
        rc = AGE_EAGAIN;
        goto err0;
    }
    if (memcmp(buf, AGE_VERSION_LINE,
        len < AGE_VERSION_LEN ? len : AGE_VERSION_LEN) != 0) {
        rc = AGE_EFORMAT;
        goto err0;
    }
    if (len < AGE_VERSION_LEN) {
        rc = AGE_EAGAIN;
        goto err0;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        rc = AGE_ENOMEM;
        goto err0;
    }
    pos = AGE_VERSION_LEN;

    /* Stanzas, then the MAC line. */
    for (;;) {
        if ((rc = age_line(buf, len, pos, &eol)) != 0) {
            goto err1;
        }
        if (eol - pos >= 3 && memcmp(buf + pos, "---", 3) == 0) {
            break;
        }
        if (eol - pos < 3 || memcmp(buf + pos, "-> ", 3) != 0) {
            rc = AGE_EFORMAT;
            goto err1;
        }
        if (h->n == AGE_MAX_STANZAS) {
            rc = AGE_ELIMIT;
            goto err1;
        }
        if ((rc = age_parse_args(buf + pos + 3, eol - pos - 3,
            &h->st[h->n])) != 0) {
            h->n++;
            goto err1;
        }
        h->n++;
        pos = eol + 1;
        if ((rc = age_parse_body(buf, len, &pos, &h->st[h->n - 1])) != 0) {
            goto err1;
        }
    }
    if (h->n == 0) {
        rc = AGE_EFORMAT;
        goto err1;
    }

    /* "--- " and exactly 43 canonical base64 characters. */
    if (eol - pos != 4 + AGE_MAC_B64_LEN || buf[pos + 3] != ' ' ||
        b64_decode((const char *)buf + pos + 4, AGE_MAC_B64_LEN, h->mac,
        sizeof(h->mac), &got) != 0 || got != AGE_MAC_BYTES) {
        rc = AGE_EFORMAT;
        goto err1;
    }
    h->rawlen = pos + 3;
    if ((h->raw = malloc(h->rawlen)) == NULL) {
        rc = AGE_ENOMEM;
        goto err1;
    }
    memcpy(h->raw, buf, h->rawlen);
    *hdr = h;
    *used = eol + 1;

    /* Success! */
    return (0);

err1:
    age_header_free(h);
err0:
    /* Failure! */
    return (rc);
}

size_t
age_header_nstanzas(const struct age_header *hdr)
{

    return (hdr->n);
}

const char *
age_header_stanza_type(const struct age_header *hdr, size_t i)
{

    if (i >= hdr->n) {
        return (NULL);
    }
    return (hdr->st[i].args[0]);
}

void
age_header_free(struct age_header *hdr)
{
    size_t i;

    if (hdr == NULL) {
        return;
    }
    for (i = 0; i < hdr->n; i++) {
        age_stanza_clear(&hdr->st[i]);
    }
    free(hdr->raw);
    free(hdr);
}

/*
 * Decode argument ${arg} as exactly ${len} bytes of canonical base64 into
 * ${out}; return 0 or -1.
 */
static int
age_arg_bytes(const char *arg, uint8_t *out, size_t len)
{
    size_t got;

    if (b64_decode(arg, strlen(arg), out, len, &got) != 0 || got != len) {
        return (-1);
    }
    return (0);
}

/*
 * Try X25519 identity ${sk} on stanza ${st} (of type "X25519").  Return 0
 * with the file key in ${fk}, 1 if the stanza is for someone else, or
 * AGE_EFORMAT for a malformed stanza.
 */
static int
age_unwrap_x25519(const struct age_stanza *st, const uint8_t *sk,
    uint8_t fk[AGE_FILE_KEY_BYTES])
{
    static const uint8_t zero_nonce[12];
    uint8_t share[AGE_X25519_BYTES], pk[AGE_X25519_BYTES];
    uint8_t shared[AGE_X25519_BYTES], salt[2 * AGE_X25519_BYTES];
    uint8_t wrap[AGE_HKDF_BYTES];
    int rc;

    if (st->nargs != 2 || age_arg_bytes(st->args[1], share,
        sizeof(share)) != 0 || st->bodylen != AGE_WRAPPED_BYTES) {
        rc = AGE_EFORMAT;
        goto done;
    }

    /* libsodium refuses an all-zero shared secret (low-order share). */
    if (crypto_scalarmult(shared, sk, share) != 0) {
        rc = AGE_EFORMAT;
        goto done;
    }
    crypto_scalarmult_base(pk, sk);
    memcpy(salt, share, AGE_X25519_BYTES);
    memcpy(salt + AGE_X25519_BYTES, pk, AGE_X25519_BYTES);
    age_hkdf(shared, sizeof(shared), salt, sizeof(salt), AGE_X25519_INFO,
        wrap);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(fk, NULL, NULL,
        st->body, AGE_WRAPPED_BYTES, NULL, 0, zero_nonce, wrap) != 0) {
        sodium_memzero(fk, AGE_FILE_KEY_BYTES);
        rc = 1;
        goto done;
    }
    rc = 0;

done:
    sodium_memzero(shared, sizeof(shared));
    sodium_memzero(wrap, sizeof(wrap));
    return (rc);
}

/*
 * Parse a scrypt work factor: decimal, no leading zero.  Return the value,
 * AGE_EFORMAT, or AGE_ELIMIT if it is over ${max}.
 */
static int
age_parse_log2(const char *s, int max)
{
    size_t i, len = strlen(s);
    int v = 0;

    if (len == 0 || s[0] == '0') {
        return (AGE_EFORMAT);
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (AGE_EFORMAT);
        }
    }
    if (len > 2) {
        return (AGE_ELIMIT);
    }
    for (i = 0; i < len; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return (v > max ? AGE_ELIMIT : v);
}

/*
 * Derive the scrypt wrap key for ${pass} and ${salt} into ${key}; return
 * 0 or AGE_ENOMEM.
 */
static int
age_scrypt(const char *pass, size_t passlen,
    const uint8_t salt[AGE_SCRYPT_SALT_BYTES], int log2_n,
    uint8_t key[AGE_HKDF_BYTES])
{
    uint8_t s[AGE_SCRYPT_LABEL_LEN + AGE_SCRYPT_SALT_BYTES];

    memcpy(s, AGE_SCRYPT_LABEL, AGE_SCRYPT_LABEL_LEN);
    memcpy(s + AGE_SCRYPT_LABEL_LEN, salt, AGE_SCRYPT_SALT_BYTES);
    if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass,
        passlen, s, sizeof(s), (uint64_t)1 << log2_n, 8, 1, key,
        AGE_HKDF_BYTES) != 0) {
        sodium_memzero(key, AGE_HKDF_BYTES);
        return (AGE_ENOMEM);
    }
    return (0);
}

/*
 * Try scrypt identity ${id} on stanza ${st} (of type "scrypt", alone).
 * Return 0 with the file key in ${fk}, 1 for a wrong passphrase,
 * AGE_EFORMAT, AGE_ELIMIT (work factor over the maximum, checked before
 * any scrypt work) or AGE_ENOMEM.
 */
static int
age_unwrap_scrypt(const struct age_stanza *st,
    const struct age_identity *id, uint8_t fk[AGE_FILE_KEY_BYTES])
{
    static const uint8_t zero_nonce[12];
    uint8_t salt[AGE_SCRYPT_SALT_BYTES];
    uint8_t wrap[AGE_HKDF_BYTES];
    int max = id->max_log2_n > 0 ? id->max_log2_n : AGE_MAX_SCRYPT_LOG2;
    int log2_n, rc;

    if (st->nargs != 3 || age_arg_bytes(st->args[1], salt,
        sizeof(salt)) != 0) {
        return (AGE_EFORMAT);
    }
    if ((log2_n = age_parse_log2(st->args[2], max > 63 ? 63 : max)) < 0) {
        return (log2_n);
    }
    if (st->bodylen != AGE_WRAPPED_BYTES) {
        return (AGE_EFORMAT);
    }
    if ((rc = age_scrypt(id->passphrase, id->passlen, salt, log2_n,
        wrap)) != 0) {
        return (rc);
    }
    rc = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(fk, NULL, NULL,
        st->body, AGE_WRAPPED_BYTES, NULL, 0, zero_nonce, wrap) != 0) {
        sodium_memzero(fk, AGE_FILE_KEY_BYTES);
        rc = 1;
    }
    sodium_memzero(wrap, sizeof(wrap));
    return (rc);
}

/* Check the header MAC of ${hdr} with file key ${fk}: 0 or AGE_EAUTH. */
static int
age_header_check_mac(const struct age_header *hdr,
    const uint8_t fk[AGE_FILE_KEY_BYTES])
{
    uint8_t key[AGE_HKDF_BYTES];
    int rc;

    age_hkdf(fk, AGE_FILE_KEY_BYTES, NULL, 0, "header", key);
    rc = crypto_auth_hmacsha256_verify(hdr->mac, hdr->raw, hdr->rawlen,
        key) == 0 ? 0 : AGE_EAUTH;
    sodium_memzero(key, sizeof(key));
    return (rc);
}

int
age_header_unwrap(const struct age_header *hdr,
    const struct age_identity *ids, size_t n,
    uint8_t fk[AGE_FILE_KEY_BYTES])
{
    const struct age_stanza *st;
    size_t i, j;
    int rc;

    sodium_memzero(fk, AGE_FILE_KEY_BYTES);

    /* An scrypt stanza must be alone, whatever the identities. */
    for (j = 0; j < hdr->n; j++) {
        if (strcmp(hdr->st[j].args[0], "scrypt") == 0 && hdr->n != 1) {
            return (AGE_EFORMAT);
        }
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < hdr->n; j++) {
            st = &hdr->st[j];
            if (ids[i].kind == AGE_X25519 &&
                strcmp(st->args[0], "X25519") == 0) {
                rc = age_unwrap_x25519(st, ids[i].x25519, fk);
            } else if (ids[i].kind == AGE_SCRYPT &&
                strcmp(st->args[0], "scrypt") == 0) {
                rc = age_unwrap_scrypt(st, &ids[i], fk);
            } else {
                /* Another type, or one we do not know: skip it. */
                continue;
            }
            if (rc < 0) {
                return (rc);
            }
            if (rc == 0) {
                goto found;
            }
        }
    }
    return (AGE_ENOKEY);

found:
    /* The file key leaves only once the MAC proves the header intact. */
    if ((rc = age_header_check_mac(hdr, fk)) != 0) {
        sodium_memzero(fk, AGE_FILE_KEY_BYTES);
        return (rc);
    }
    return (0);
}

/*
 * Append a stanza to ${b}: "-> " ${args} LF, then ${body} in base64 lines
 * of 64 columns ending with a shorter (possibly empty) line.
 */
static int
age_write_stanza(struct age_buf *b, const char *args, const uint8_t *body,
    size_t bodylen)
{
    char line[AGE_LINE_COLS + 1];
    size_t off = 0, take;
    int n;

    if (age_buf_add(b, "-> ", 3) || age_buf_add(b, args, strlen(args)) ||
        age_buf_add(b, "\n", 1)) {
        return (AGE_ENOMEM);
    }
    for (;;) {
        take = bodylen - off > 48 ? 48 : bodylen - off;
        if ((n = b64_encode(body + off, take, line, sizeof(line))) < 0) {
            return (AGE_EINVAL);
        }
        if (age_buf_add(b, line, (size_t)n) || age_buf_add(b, "\n", 1)) {
            return (AGE_ENOMEM);
        }
        off += take;
        if (n < AGE_LINE_COLS) {
            break;
        }
    }
    return (0);
}

/* Append an X25519 stanza wrapping ${fk} to public key ${pk}. */
static int
age_stanza_x25519(struct age_buf *b, const uint8_t pk[AGE_X25519_BYTES],
    const uint8_t fk[AGE_FILE_KEY_BYTES])
{
    static const uint8_t zero_nonce[12];
    uint8_t eph[AGE_X25519_BYTES], share[AGE_X25519_BYTES];
    uint8_t shared[AGE_X25519_BYTES], salt[2 * AGE_X25519_BYTES];
    uint8_t wrap[AGE_HKDF_BYTES], body[AGE_WRAPPED_BYTES];
    char args[7 + B64_ENCODED_LEN(AGE_X25519_BYTES) + 1];
    int rc;

    randombytes_buf(eph, sizeof(eph));
    crypto_scalarmult_base(share, eph);
    if (crypto_scalarmult(shared, eph, pk) != 0) {
        /* A low-order "public key": nobody could ever open this. */
        rc = AGE_EINVAL;
        goto done;
    }
    memcpy(salt, share, AGE_X25519_BYTES);
    memcpy(salt + AGE_X25519_BYTES, pk, AGE_X25519_BYTES);
    age_hkdf(shared, sizeof(shared), salt, sizeof(salt), AGE_X25519_INFO,
        wrap);
    crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, fk,
        AGE_FILE_KEY_BYTES, NULL, 0, NULL, zero_nonce, wrap);
    memcpy(args, "X25519 ", 7);
    if (b64_encode(share, sizeof(share), args + 7, sizeof(args) - 7) < 0) {
        rc = AGE_EINVAL;
        goto done;
    }
    rc = age_write_stanza(b, args, body, sizeof(body));

done:
    sodium_memzero(eph, sizeof(eph));
    sodium_memzero(shared, sizeof(shared));
    sodium_memzero(wrap, sizeof(wrap));
    return (rc);
}

/* Append an scrypt stanza wrapping ${fk} to recipient ${r}. */
static int
age_stanza_scrypt(struct age_buf *b, const struct age_recipient *r,
    const uint8_t fk[AGE_FILE_KEY_BYTES])
{
    static const uint8_t zero_nonce[12];
    uint8_t salt[AGE_SCRYPT_SALT_BYTES];
    uint8_t wrap[AGE_HKDF_BYTES], body[AGE_WRAPPED_BYTES];
    char args[7 + B64_ENCODED_LEN(AGE_SCRYPT_SALT_BYTES) + 1 + 3 + 1];
    int n, rc;

    if (r->passphrase == NULL || r->passlen == 0 ||
        r->log2_n < AGE_MIN_SCRYPT_LOG2 || r->log2_n > AGE_MAX_SCRYPT_LOG2) {
        return (AGE_EINVAL);
    }
    randombytes_buf(salt, sizeof(salt));
    if ((rc = age_scrypt(r->passphrase, r->passlen, salt, r->log2_n,
        wrap)) != 0) {
        return (rc);
    }
    crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, fk,
        AGE_FILE_KEY_BYTES, NULL, 0, NULL, zero_nonce, wrap);
    sodium_memzero(wrap, sizeof(wrap));
    memcpy(args, "scrypt ", 7);
    if ((n = b64_encode(salt, sizeof(salt), args + 7,
        sizeof(args) - 7)) < 0) {
        return (AGE_EINVAL);
    }
    args[7 + n] = ' ';
    args[8 + n] = (char)('0' + r->log2_n / 10);
    args[9 + n] = (char)('0' + r->log2_n % 10);
    args[10 + n] = '\0';
    return (age_write_stanza(b, args, body, sizeof(body)));
}

int
age_header_new(const uint8_t fk[AGE_FILE_KEY_BYTES],
    const struct age_recipient *rcpts, size_t n, uint8_t **out,
    size_t *outlen)
{
    struct age_buf b = { NULL, 0, 0 };
    uint8_t key[AGE_HKDF_BYTES], mac[AGE_MAC_BYTES];
    char macb64[AGE_MAC_B64_LEN + 1];
    size_t i;
    int rc;

    *out = NULL;
    *outlen = 0;
    if (n == 0 || n > AGE_MAX_STANZAS) {
        rc = AGE_EINVAL;
        goto err0;
    }
    for (i = 0; i < n; i++) {
        if ((rcpts[i].kind == AGE_SCRYPT && n != 1) ||
            (rcpts[i].kind != AGE_SCRYPT && rcpts[i].kind != AGE_X25519)) {
            rc = AGE_EINVAL;
            goto err0;
        }
    }
    if (age_buf_add(&b, AGE_VERSION_LINE, AGE_VERSION_LEN)) {
        rc = AGE_ENOMEM;
        goto err1;
    }
    for (i = 0; i < n; i++) {
        switch (rcpts[i].kind) {
        case AGE_X25519:
            rc = age_stanza_x25519(&b, rcpts[i].x25519, fk);
            break;
        case AGE_SCRYPT:
            rc = age_stanza_scrypt(&b, &rcpts[i], fk);
            break;
        default:
            rc = AGE_EINVAL;
            break;
        }
        if (rc != 0) {
            goto err1;
        }
    }

    /* The MAC covers everything up to and including "---". */
    if (age_buf_add(&b, "---", 3)) {
        rc = AGE_ENOMEM;
        goto err1;
    }
    age_hkdf(fk, AGE_FILE_KEY_BYTES, NULL, 0, "header", key);
    crypto_auth_hmacsha256(mac, b.p, b.len, key);
    sodium_memzero(key, sizeof(key));
    if (b64_encode(mac, sizeof(mac), macb64, sizeof(macb64)) < 0) {
        rc = AGE_EINVAL;
        goto err1;
    }
    if (age_buf_add(&b, " ", 1) ||
        age_buf_add(&b, macb64, AGE_MAC_B64_LEN) ||
        age_buf_add(&b, "\n", 1)) {
        rc = AGE_ENOMEM;
        goto err1;
    }
    *out = b.p;
    *outlen = b.len;

    /* Success! */
    return (0);

err1:
    free(b.p);
err0:
    /* Failure! */
    return (rc);
}
