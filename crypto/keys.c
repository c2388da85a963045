#include "crypto/keys.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/bech32.h"
#include "crypto/secmem.h"

/*
 * Account keys: bech32 forms of age X25519 keys, the passphrase-protected
 * key file (an age scrypt file around the text documented in keys.h and
 * docs/FORMATS.md), and age-keygen identity files.
 */

#define KEYS_HRP_RECIPIENT "age"
#define KEYS_HRP_SECRET "AGE-SECRET-KEY-"
#define KEYS_TEXT_MAX 4096          /* plaintext of a key file, at most */

#define KEYS_L_MAGIC "# coffre key file v1"
#define KEYS_L_RCPT "# age recipient: "
#define KEYS_L_MPUB "# minisign public key: "
#define KEYS_L_MSEC "# minisign secret key (minisign -W), " \
    "without the \"# \" prefixes:"
#define KEYS_L_SECRET "AGE-SECRET-KEY-1"

/* A byte buffer as an age_read_fn source or an age_write_fn sink. */
struct keys_mem {
    const uint8_t *in;
    uint8_t *out;
    size_t len;      /* bytes of in, or bytes written to out */
    size_t cap;      /* capacity of out */
    size_t pos;      /* read position in in */
};

/* age_read_fn over a keys_mem. */
static int
keys_mem_read(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    struct keys_mem *m = cookie;
    size_t n = m->len - m->pos;

    if (n > len) {
        n = len;
    }
    memcpy(buf, m->in + m->pos, n);
    m->pos += n;
    *got = n;
    return (0);
}

/* age_write_fn into a keys_mem; fails past its capacity. */
static int
keys_mem_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct keys_mem *m = cookie;

    if (len > m->cap - m->len) {
        return (-1);
    }
    memcpy(m->out + m->len, buf, len);
    m->len += len;
    return (0);
}

struct keys *
keys_generate(void)
{
    struct keys *k;
    struct minisig_pubkey pub;

    if ((k = secmem_alloc(sizeof(*k))) == NULL) {
        return (NULL);
    }
    randombytes_buf(k->x25519_sk, sizeof(k->x25519_sk));
    crypto_scalarmult_base(k->x25519_pk, k->x25519_sk);
    minisig_keygen(&k->sign, &pub);
    return (k);
}

void
keys_free(struct keys *k)
{

    secmem_free(k);
}

int
keys_recipient_encode(const uint8_t pk[AGE_X25519_BYTES], char *out,
    size_t outlen)
{

    return (bech32_encode(KEYS_HRP_RECIPIENT, pk, AGE_X25519_BYTES, 0, out,
        outlen) < 0 ? -1 : 0);
}

/* Nonzero if ${s} (${len} bytes) has a character from ${lo}..${hi}. */
static int
keys_has_range(const char *s, size_t len, char lo, char hi)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] >= lo && s[i] <= hi) {
            return (1);
        }
    }
    return (0);
}

int
keys_recipient_decode(const char *s, uint8_t pk[AGE_X25519_BYTES])
{
    char hrp[sizeof(KEYS_HRP_RECIPIENT)];
    size_t len = strlen(s), got;

    if (keys_has_range(s, len, 'A', 'Z') ||
        bech32_decode(s, len, hrp, sizeof(hrp), pk, AGE_X25519_BYTES,
        &got) != 0) {
        return (-1);
    }
    if (strcmp(hrp, KEYS_HRP_RECIPIENT) != 0 || got != AGE_X25519_BYTES) {
        sodium_memzero(pk, AGE_X25519_BYTES);
        return (-1);
    }
    return (0);
}

int
keys_secret_encode(const uint8_t sk[AGE_X25519_BYTES], char *out,
    size_t outlen)
{

    return (bech32_encode(KEYS_HRP_SECRET, sk, AGE_X25519_BYTES, 1, out,
        outlen) < 0 ? -1 : 0);
}

int
keys_secret_decode(const char *s, size_t len, uint8_t sk[AGE_X25519_BYTES])
{
    char hrp[sizeof(KEYS_HRP_SECRET)];
    size_t got;

    if (keys_has_range(s, len, 'a', 'z') ||
        bech32_decode(s, len, hrp, sizeof(hrp), sk, AGE_X25519_BYTES,
        &got) != 0) {
        return (-1);
    }
    if (strcmp(hrp, "age-secret-key-") != 0 || got != AGE_X25519_BYTES) {
        sodium_memzero(sk, AGE_X25519_BYTES);
        return (-1);
    }
    return (0);
}

/* Append NUL-terminated ${s} to the text in ${m}; 0 or -1 if too long. */
static int
keys_text_add(struct keys_mem *m, const char *s)
{

    return (keys_mem_write(m, (const uint8_t *)s, strlen(s)));
}

/*
 * Write the plaintext of the key file of ${k} into ${m} (secret).  The
 * minisign secret key file goes in as comment lines so that the whole
 * text is also an age identity file (`age -d -i`).  Return 0, AGE_ENOMEM
 * or AGE_EINVAL.
 */
static int
keys_text(const struct keys *k, struct keys_mem *m)
{
    struct minisig_pubkey pub;
    char rcpt[KEYS_RECIPIENT_MAX], mpub[MINISIG_PUBKEY_B64_LEN + 1];
    char *msec, *sec, *nl;
    int n, rc = AGE_ENOMEM;

    if ((msec = secmem_alloc(MINISIG_FILE_MAX)) == NULL) {
        goto err0;
    }
    if ((sec = secmem_alloc(KEYS_SECRET_MAX)) == NULL) {
        goto err1;
    }
    rc = AGE_EINVAL;
    minisig_seckey_public(&k->sign, &pub);
    minisig_pubkey_encode(&pub, mpub);
    if (keys_recipient_encode(k->x25519_pk, rcpt, sizeof(rcpt)) != 0 ||
        keys_secret_encode(k->x25519_sk, sec, KEYS_SECRET_MAX) != 0) {
        goto err2;
    }
    if ((n = minisig_seckey_file(&k->sign, msec, MINISIG_FILE_MAX - 1)) < 0) {
        goto err2;
    }
    msec[n] = '\0';
    if (keys_text_add(m, KEYS_L_MAGIC "\n" KEYS_L_RCPT) ||
        keys_text_add(m, rcpt) || keys_text_add(m, "\n" KEYS_L_MPUB) ||
        keys_text_add(m, mpub) || keys_text_add(m, "\n" KEYS_L_MSEC "\n")) {
        goto err2;
    }

    /* Each line of the minisign file, commented out. */
    for (char *p = msec; *p != '\0'; p = nl + 1) {
        if ((nl = strchr(p, '\n')) == NULL) {
            goto err2;
        }
        *nl = '\0';
        if (keys_text_add(m, "# ") || keys_text_add(m, p) ||
            keys_text_add(m, "\n")) {
            goto err2;
        }
    }
    if (keys_text_add(m, sec) || keys_text_add(m, "\n")) {
        goto err2;
    }
    rc = 0;

err2:
    secmem_free(sec);
err1:
    secmem_free(msec);
err0:
    return (rc);
}

int
keys_file_write(const struct keys *k, const char *passphrase,
    size_t passlen, int log2_n, age_write_fn wr, void *cookie)
{
    struct age_recipient r;
    struct keys_mem m;
    uint8_t *text;
    int rc;

    if (log2_n < AGE_MIN_SCRYPT_LOG2 || log2_n > AGE_MAX_SCRYPT_LOG2 ||
        passphrase == NULL || passlen == 0) {
        rc = AGE_EINVAL;
        goto err0;
    }
    if ((text = secmem_alloc(KEYS_TEXT_MAX)) == NULL) {
        rc = AGE_ENOMEM;
        goto err0;
    }
    memset(&m, 0, sizeof(m));
    m.out = text;
    m.cap = KEYS_TEXT_MAX;
    if ((rc = keys_text(k, &m)) != 0) {
        goto err1;
    }

    /* Now read the text back as the plaintext of an scrypt age file. */
    m.in = text;
    m.pos = 0;
    memset(&r, 0, sizeof(r));
    r.kind = AGE_SCRYPT;
    r.passphrase = passphrase;
    r.passlen = passlen;
    r.log2_n = log2_n;
    if ((rc = age_encrypt(&r, 1, keys_mem_read, &m, wr, cookie)) != 0) {
        goto err1;
    }
    secmem_free(text);

    /* Success! */
    return (0);

err1:
    secmem_free(text);
err0:
    /* Failure! */
    return (rc);
}

/*
 * Is ${buf} an age file whose only stanza is scrypt?  Return 1, 0, or
 * AGE_ENOMEM.
 */
static int
keys_is_scrypt(const uint8_t *buf, size_t len)
{
    struct age_header *hdr;
    size_t used;
    int rc;

    if ((rc = age_header_parse(buf, len, &hdr, &used)) != 0) {
        return (rc == AGE_ENOMEM ? AGE_ENOMEM : 0);
    }
    rc = age_header_nstanzas(hdr) == 1 &&
        strcmp(age_header_stanza_type(hdr, 0), "scrypt") == 0;
    age_header_free(hdr);
    return (rc);
}

int
keys_file_is_encrypted(const uint8_t *buf, size_t len)
{

    return (keys_is_scrypt(buf, len) == 1);
}

/* A line of text: ${p}, ${len} bytes without the LF. */
struct keys_line {
    const char *p;
    size_t len;
};

/*
 * Take the next line of ${text} at *${pos}: it must end with LF.  Return
 * 1 with ${l} set, 0 at the end, or -1 if the last line has no LF or a NUL.
 */
static int
keys_next_line(const char *text, size_t len, size_t *pos,
    struct keys_line *l)
{
    const char *lf;

    if (*pos == len) {
        return (0);
    }
    if ((lf = memchr(text + *pos, '\n', len - *pos)) == NULL ||
        memchr(text + *pos, '\0', (size_t)(lf - (text + *pos))) != NULL) {
        return (-1);
    }
    l->p = text + *pos;
    l->len = (size_t)(lf - l->p);
    *pos += l->len + 1;
    return (1);
}

/* Does line ${l} start with ${prefix}? */
static int
keys_line_has(const struct keys_line *l, const char *prefix)
{
    size_t n = strlen(prefix);

    return (l->len >= n && memcmp(l->p, prefix, n) == 0);
}

/*
 * The minisign secret key of a key file: the two lines after the marker,
 * each "# " + a line of the minisign -W file.  Parse them into ${sk}.
 * Return 0, AGE_EFORMAT or AGE_ENOMEM.
 */
static int
keys_parse_msec(const char *text, size_t len, size_t *pos,
    struct minisig_seckey *sk)
{
    struct keys_line l;
    char *f;
    size_t flen = 0;
    int i, rc = AGE_EFORMAT;

    if ((f = secmem_alloc(MINISIG_FILE_MAX)) == NULL) {
        return (AGE_ENOMEM);
    }
    for (i = 0; i < 2; i++) {
        if (keys_next_line(text, len, pos, &l) != 1 ||
            !keys_line_has(&l, "# ") || l.len - 2 + 1 >
            MINISIG_FILE_MAX - flen) {
            goto done;
        }
        memcpy(f + flen, l.p + 2, l.len - 2);
        flen += l.len - 2;
        f[flen++] = '\n';
    }
    if (minisig_seckey_parse(f, flen, sk) != 0) {
        goto done;
    }
    rc = 0;

done:
    secmem_free(f);
    return (rc);
}

/*
 * Parse key file plaintext ${text} into ${k}.  Every part must be there
 * and the public halves must match the secrets.  Return 0, AGE_EFORMAT or
 * AGE_ENOMEM.
 */
static int
keys_parse_text(const char *text, size_t len, struct keys *k)
{
    struct keys_line l;
    struct minisig_pubkey pub;
    char mpub[MINISIG_PUBKEY_B64_LEN + 1], mine[MINISIG_PUBKEY_B64_LEN + 1];
    uint8_t rcpt[AGE_X25519_BYTES];
    size_t pos = 0;
    int r, have_rcpt = 0, have_mpub = 0, have_msec = 0, have_sec = 0;
    int rc = AGE_EFORMAT;

    if (keys_next_line(text, len, &pos, &l) != 1 ||
        l.len != strlen(KEYS_L_MAGIC) || !keys_line_has(&l, KEYS_L_MAGIC)) {
        goto done;
    }
    while ((r = keys_next_line(text, len, &pos, &l)) == 1) {
        if (keys_line_has(&l, KEYS_L_RCPT) && !have_rcpt) {
            char s[KEYS_RECIPIENT_MAX];
            size_t n = l.len - strlen(KEYS_L_RCPT);

            if (n >= sizeof(s)) {
                goto done;
            }
            memcpy(s, l.p + strlen(KEYS_L_RCPT), n);
            s[n] = '\0';
            if (keys_recipient_decode(s, rcpt) != 0) {
                goto done;
            }
            have_rcpt = 1;
        } else if (keys_line_has(&l, KEYS_L_MPUB) && !have_mpub) {
            if (l.len - strlen(KEYS_L_MPUB) != MINISIG_PUBKEY_B64_LEN) {
                goto done;
            }
            memcpy(mpub, l.p + strlen(KEYS_L_MPUB), MINISIG_PUBKEY_B64_LEN);
            mpub[MINISIG_PUBKEY_B64_LEN] = '\0';
            have_mpub = 1;
        } else if (l.len == strlen(KEYS_L_MSEC) &&
            keys_line_has(&l, KEYS_L_MSEC) && !have_msec) {
            if ((rc = keys_parse_msec(text, len, &pos, &k->sign)) != 0) {
                goto done;
            }
            rc = AGE_EFORMAT;
            have_msec = 1;
        } else if (keys_line_has(&l, KEYS_L_SECRET) && !have_sec) {
            if (keys_secret_decode(l.p, l.len, k->x25519_sk) != 0) {
                goto done;
            }
            have_sec = 1;
        } else if (l.len > 0 && l.p[0] != '#') {
            /* Not a comment: a second key, or garbage. */
            goto done;
        }
    }
    if (r != 0 || !have_rcpt || !have_mpub || !have_msec || !have_sec) {
        goto done;
    }

    /* The public halves written in the file must match the secrets. */
    crypto_scalarmult_base(k->x25519_pk, k->x25519_sk);
    minisig_seckey_public(&k->sign, &pub);
    minisig_pubkey_encode(&pub, mine);
    if (sodium_memcmp(rcpt, k->x25519_pk, AGE_X25519_BYTES) != 0 ||
        strcmp(mine, mpub) != 0) {
        goto done;
    }
    rc = 0;

done:
    return (rc);
}

int
keys_file_read(const uint8_t *buf, size_t len, const char *passphrase,
    size_t passlen, struct keys **out)
{
    struct age_identity *id;
    struct keys_mem src, m;
    struct keys *k;
    uint8_t *text;
    int rc;

    *out = NULL;
    if ((rc = keys_is_scrypt(buf, len)) != 1) {
        rc = (rc == AGE_ENOMEM) ? AGE_ENOMEM : AGE_EFORMAT;
        goto err0;
    }
    if ((id = secmem_alloc(sizeof(*id))) == NULL) {
        rc = AGE_ENOMEM;
        goto err0;
    }
    if ((text = secmem_alloc(KEYS_TEXT_MAX)) == NULL) {
        rc = AGE_ENOMEM;
        goto err1;
    }
    if ((k = secmem_alloc(sizeof(*k))) == NULL) {
        rc = AGE_ENOMEM;
        goto err2;
    }
    id->kind = AGE_SCRYPT;
    id->passphrase = passphrase;
    id->passlen = passlen;
    id->max_log2_n = AGE_MAX_SCRYPT_LOG2;
    memset(&src, 0, sizeof(src));
    src.in = buf;
    src.len = len;
    memset(&m, 0, sizeof(m));
    m.out = text;
    m.cap = KEYS_TEXT_MAX;
    if ((rc = age_decrypt(id, 1, keys_mem_read, &src, keys_mem_write,
        &m)) != 0) {
        /* The only stanza is scrypt: no match means a wrong passphrase. */
        if (rc == AGE_ENOKEY) {
            rc = AGE_EAUTH;
        } else if (rc == AGE_EIO) {
            rc = AGE_EFORMAT;     /* plaintext too big for a key file */
        }
        goto err3;
    }
    if ((rc = keys_parse_text((const char *)text, m.len, k)) != 0) {
        goto err3;
    }
    secmem_free(text);
    secmem_free(id);
    *out = k;

    /* Success! */
    return (0);

err3:
    keys_free(k);
err2:
    secmem_free(text);
err1:
    secmem_free(id);
err0:
    /* Failure! */
    return (rc);
}

int
keys_identities_parse(const uint8_t *text, size_t len,
    struct age_identity *ids, size_t max, size_t *n)
{
    const char *t = (const char *)text;
    struct keys_line l;
    size_t pos = 0, llen;
    int r;

    *n = 0;
    for (;;) {
        /* The last line may lack its LF, as age accepts. */
        if ((r = keys_next_line(t, len, &pos, &l)) == 0) {
            break;
        }
        if (r < 0) {
            l.p = t + pos;
            l.len = len - pos;
            if (memchr(l.p, '\0', l.len) != NULL) {
                goto err0;
            }
            pos = len;
        }
        llen = l.len;
        if (llen > 0 && l.p[llen - 1] == '\r') {
            llen--;
        }
        if (llen == 0 || l.p[0] == '#') {
            continue;
        }
        if (*n == max) {
            goto err0;
        }
        memset(&ids[*n], 0, sizeof(ids[*n]));
        ids[*n].kind = AGE_X25519;
        if (keys_secret_decode(l.p, llen, ids[*n].x25519) != 0) {
            goto err0;
        }
        (*n)++;
    }
    if (*n == 0) {
        goto err0;
    }

    /* Success! */
    return (0);

err0:
    sodium_memzero(ids, max * sizeof(*ids));
    *n = 0;

    /* Failure! */
    return (-1);
}
