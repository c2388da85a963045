#define _GNU_SOURCE /* memfd_create */
#include "client/doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "crypto/secmem.h"

#define SEAL_CHUNK AGE_CHUNK_BYTES
#define SIG_BUF 4096

/* Where the ciphertext goes while sealing: a temp file and its digest. */
struct seal_out {
    int fd;
    struct digest *dig;
    uint64_t size;
};

/* age_write_fn: append ciphertext to the temp file, hashing it. */
static int
seal_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct seal_out *o = cookie;

    digest_update(o->dig, buf, len);
    o->size += len;
    return (write_all(o->fd, buf, len));
}

/*
 * Where the ciphertext of ${in} goes: an anonymous memory file when ${in}
 * is a small regular file (no inode to create and free on the disk's file
 * system for each of many small documents), otherwise, or if that fails,
 * an unlinked temp file.  Return the fd or -1.
 */
static int
seal_file(int in)
{
    struct stat st;
    int fd;

    if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size <= DOC_MEMFD_MAX &&
        (fd = memfd_create("coffre-seal", MFD_CLOEXEC)) >= 0) {
        return (fd);
    }
    return (tmpfile_fd());
}

int
doc_seal(int in, const uint8_t rcpt[AGE_X25519_BYTES],
    const struct minisig_seckey *sk, const char *tc_prefix,
    struct doc_sealed *out)
{
    struct age_recipient r;
    struct seal_out so;
    struct age_stream *st = NULL;
    struct minisig_hash *mh = NULL;
    struct digest *pd = NULL;
    uint8_t *buf = NULL, dig[DIGEST_BYTES];
    char hex[2 * DIGEST_BYTES + 1], *tc = NULL;
    size_t got, tclen;
    int err, n;

    memset(out, 0, sizeof(*out));
    out->ct_fd = -1;
    so.fd = -1;
    so.dig = NULL;
    so.size = 0;
    if ((buf = malloc(SEAL_CHUNK)) == NULL ||
        (so.dig = digest_new()) == NULL || (pd = digest_new()) == NULL ||
        (mh = minisig_hash_new()) == NULL) {
        warnx_("out of memory");
        goto err;
    }
    if ((so.fd = seal_file(in)) < 0) {
        goto err;
    }
    age_file_key_new(out->fk);
    if ((st = age_stream_new_encrypt(out->fk)) == NULL) {
        goto err;
    }

    /* One pass: plaintext hashes and encryption, ciphertext hash. */
    for (;;) {
        if (fd_read_cb(&in, buf, SEAL_CHUNK, &got) != 0) {
            warnx_("cannot read the document: %s", strerror(errno));
            goto err;
        }
        if (got == 0) {
            break;
        }
        digest_update(pd, buf, got);
        minisig_hash_update(mh, buf, got);
        out->pt_size += got;
        if ((err = age_stream_update(st, buf, got, seal_write, &so)) != 0) {
            warnx_("cannot encrypt: %s", age_strerror(err));
            goto err;
        }
    }
    if ((err = age_stream_final(st, seal_write, &so)) != 0) {
        warnx_("cannot encrypt: %s", age_strerror(err));
        goto err;
    }
    digest_final(so.dig, dig);
    digest_id_format(dig, out->blob_id);
    digest_final(pd, out->pt_sha256);
    out->ct_size = so.size;

    /* The owner's header. */
    memset(&r, 0, sizeof(r));
    r.kind = AGE_X25519;
    memcpy(r.x25519, rcpt, AGE_X25519_BYTES);
    if ((err = age_header_new(out->fk, &r, 1, &out->header,
             &out->header_len)) != 0) {
        warnx_("cannot make the header: %s", age_strerror(err));
        goto err;
    }

    /* The author's signature, binding the plaintext digest. */
    for (n = 0; n < DIGEST_BYTES; n++) {
        snprintf(hex + 2 * n, 3, "%02x", out->pt_sha256[n]);
    }
    tclen = strlen(tc_prefix) + sizeof("\tsha256:") + sizeof(hex);
    if ((tc = malloc(tclen)) == NULL || (out->sig = malloc(SIG_BUF)) == NULL) {
        goto err;
    }
    snprintf(tc, tclen, "%s\tsha256:%s", tc_prefix, hex);
    if ((n = minisig_sign(mh, sk, NULL, tc, out->sig, SIG_BUF)) < 0) {
        warnx_("cannot sign: %s", minisig_strerror(n));
        goto err;
    }
    free(tc);
    minisig_hash_free(mh);
    digest_free(pd);
    digest_free(so.dig);
    age_stream_free(st);
    free(buf);
    out->ct_fd = so.fd;

    /* Success! */
    return (0);

err:
    /* Failure! */
    free(tc);
    minisig_hash_free(mh);
    digest_free(pd);
    digest_free(so.dig);
    age_stream_free(st);
    free(buf);
    if (so.fd >= 0) {
        close(so.fd);
    }
    doc_sealed_free(out);
    return (-1);
}

void
doc_sealed_free(struct doc_sealed *d)
{

    if (d->ct_fd >= 0) {
        close(d->ct_fd);
    }
    d->ct_fd = -1;
    secmem_wipe(d->fk, sizeof(d->fk));
    free(d->header);
    d->header = NULL;
    free(d->sig);
    d->sig = NULL;
}

int
doc_header_for(const uint8_t fk[AGE_FILE_KEY_BYTES],
    const uint8_t rcpt[AGE_X25519_BYTES], char **b64)
{
    struct age_recipient r;
    uint8_t *hdr;
    size_t len;

    *b64 = NULL;
    memset(&r, 0, sizeof(r));
    r.kind = AGE_X25519;
    memcpy(r.x25519, rcpt, AGE_X25519_BYTES);
    if (age_header_new(fk, &r, 1, &hdr, &len) != 0) {
        return (-1);
    }
    *b64 = b64_encode_std(hdr, len);
    free(hdr);
    return (*b64 != NULL ? 0 : -1);
}

int
doc_unwrap(const char *header_b64, const uint8_t sk[AGE_X25519_BYTES],
    uint8_t fk[AGE_FILE_KEY_BYTES])
{
    struct age_identity *id;
    struct age_header *h = NULL;
    uint8_t *raw;
    size_t len, used;
    int err;

    if (header_b64 == NULL ||
        b64_decode_std(header_b64, DOC_HEADER_MAX, &raw, &len) != 0) {
        return (AGE_EFORMAT);
    }
    if ((err = age_header_parse(raw, len, &h, &used)) != 0) {
        free(raw);
        return (err == AGE_EAGAIN ? AGE_EFORMAT : err);
    }
    free(raw);
    if (used != len) {
        age_header_free(h);
        return (AGE_EFORMAT);
    }
    if ((id = secmem_alloc(sizeof(*id))) == NULL) {
        age_header_free(h);
        return (AGE_ENOMEM);
    }
    id->kind = AGE_X25519;
    memcpy(id->x25519, sk, AGE_X25519_BYTES);
    err = age_header_unwrap(h, id, 1, fk);
    secmem_free(id);
    age_header_free(h);
    return (err);
}

/* A growing buffer for age_write_fn, and a reader over a fixed buffer. */
struct mbuf {
    uint8_t *buf;
    size_t len, cap, off;
};

static int
mbuf_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct mbuf *m = cookie;
    uint8_t *nb;

    if (m->len + len > DOC_META_MAX) {
        return (-1);
    }
    if (m->len + len > m->cap) {
        if ((nb = realloc(m->buf, m->len + len)) == NULL) {
            return (-1);
        }
        m->buf = nb;
        m->cap = m->len + len;
    }
    memcpy(m->buf + m->len, buf, len);
    m->len += len;
    return (0);
}

static int
mbuf_read(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    struct mbuf *m = cookie;

    *got = len < m->len - m->off ? len : m->len - m->off;
    memcpy(buf, m->buf + m->off, *got);
    m->off += *got;
    return (0);
}

int
doc_meta_seal(json_t *meta, const uint8_t rcpt[AGE_X25519_BYTES],
    char **b64)
{
    struct age_recipient r;
    struct mbuf in, out;
    char *text;
    int err;

    *b64 = NULL;
    if ((text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        return (-1);
    }
    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    in.buf = (uint8_t *)text;
    in.len = strlen(text);
    memset(&r, 0, sizeof(r));
    r.kind = AGE_X25519;
    memcpy(r.x25519, rcpt, AGE_X25519_BYTES);
    err = age_encrypt(&r, 1, mbuf_read, &in, mbuf_write, &out);
    secmem_wipe(text, in.len);
    free(text);
    if (err == 0) {
        *b64 = b64_encode_std(out.buf, out.len);
    }
    free(out.buf);
    return (*b64 != NULL ? 0 : -1);
}

json_t *
doc_meta_open(const char *b64, const uint8_t sk[AGE_X25519_BYTES])
{
    struct age_identity *id;
    struct mbuf in, out;
    json_t *j = NULL;
    size_t len;

    if (b64 == NULL) {
        return (NULL);
    }
    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    if (b64_decode_std(b64, DOC_META_MAX, &in.buf, &len) != 0) {
        return (NULL);
    }
    in.len = len;
    if ((id = secmem_alloc(sizeof(*id))) == NULL) {
        free(in.buf);
        return (NULL);
    }
    id->kind = AGE_X25519;
    memcpy(id->x25519, sk, AGE_X25519_BYTES);
    if (age_decrypt(id, 1, mbuf_read, &in, mbuf_write, &out) == 0) {
        j = json_loadb((const char *)out.buf, out.len,
            JSON_REJECT_DUPLICATES, NULL);
    }
    secmem_free(id);
    if (out.buf != NULL) {
        secmem_wipe(out.buf, out.len);
    }
    free(out.buf);
    free(in.buf);
    return (j);
}

char *
doc_safe_name(const char *name)
{
    const unsigned char *p;
    char *s;
    size_t n = 0, k;
    unsigned char lead;

    if (name == NULL || (s = malloc(201)) == NULL) {
        return (name == NULL ? strdup("document") : NULL);
    }
    for (p = (const unsigned char *)name; *p != '\0' && n < 200; p++) {
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* A C1 control (U+0080..U+009F): one '_' for its two bytes. */
            s[n++] = '_';
            p++;
        } else if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\') {
            s[n++] = '_';
        } else if (n == 0 && (*p == '.' || *p == '-')) {
            /* No hidden file, no "..", and never "-" (standard output)
             * nor a name that a later command would take for an option. */
            s[n++] = '_';
        } else {
            s[n++] = (char)*p;
        }
    }
    /* Cut at 200 bytes: drop a UTF-8 sequence left incomplete. */
    if (*p != '\0') {
        k = n;
        while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80) {
            k--;
        }
        if (k > 0 && (lead = (unsigned char)s[k - 1]) >= 0xc0 &&
            n - (k - 1) < (size_t)(lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2)) {
            n = k - 1;
        }
    }
    s[n] = '\0';
    if (n == 0) {
        free(s);
        return (strdup("document"));
    }
    return (s);
}

int
doc_trusted_field(const char *tc, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key), vlen;
    const char *p = tc, *end;

    while (p != NULL && *p != '\0') {
        end = strchr(p, '\t');
        if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
            p += klen + 1;
            vlen = (end != NULL) ? (size_t)(end - p) : strlen(p);
            if (vlen >= outlen) {
                return (-1);
            }
            memcpy(out, p, vlen);
            out[vlen] = '\0';
            return (0);
        }
        p = (end != NULL) ? end + 1 : NULL;
    }
    return (-1);
}
