#include "storage/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_internal.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A growable output buffer. */
struct obuf {
    uint8_t *b;
    size_t n;
    size_t cap;
    int err;
};

/* Append ${len} bytes to ${o}; remember a failure in ${o}->err. */
static void
ob_put(struct obuf *o, const void *p, size_t len)
{
    uint8_t *nb;
    size_t ncap;

    if (o->err) {
        return;
    }
    if (len > RECORD_MAX_BYTES || o->n + len > RECORD_MAX_BYTES) {
        o->err = STORAGE_ETOOBIG;
        return;
    }
    if (o->n + len > o->cap) {
        ncap = o->cap ? o->cap : 256;
        while (ncap < o->n + len) {
            ncap *= 2;
        }
        if ((nb = realloc(o->b, ncap)) == NULL) {
            o->err = STORAGE_ENOMEM;
            return;
        }
        o->b = nb;
        o->cap = ncap;
    }
    memcpy(o->b + o->n, p, len);
    o->n += len;
}

/* Return 1 if ${s} of ${len} bytes is valid UTF-8 with no NUL. */
static int
utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0, k, n;
    uint32_t c;

    while (i < len) {
        c = s[i];
        if (c == 0) {
            return (0);
        } else if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            c &= 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            c &= 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            c &= 0x07;
        } else {
            return (0);
        }
        if (len - i - 1 < n) {
            return (0);
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return (0);
            }
            c = (c << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond U+10FFFF. */
        if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
            (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
            return (0);
        }
        i += n + 1;
    }
    return (1);
}

/* Return 1 if ${key} is a non-empty [a-z_]+ of fitting length. */
static int
key_valid(const char *key)
{
    size_t i;

    for (i = 0; key[i] != '\0'; i++) {
        if (!((key[i] >= 'a' && key[i] <= 'z') || key[i] == '_')) {
            return (0);
        }
    }
    return (i > 0 && i < RECORD_KEY_BUFLEN);
}

void
record_init(struct record *rec, const char *type)
{

    memset(rec, 0, sizeof(*rec));
    (void)snprintf(rec->type, sizeof(rec->type), "%s", type);
}

void
record_clear(struct record *rec)
{
    size_t i;

    for (i = 0; i < rec->n; i++) {
        free(rec->f[i].sval);
    }
    memset(rec, 0, sizeof(*rec));
}

/* Find field ${key}, or NULL. */
static const struct record_field *
rec_find(const struct record *rec, const char *key)
{
    size_t i;

    for (i = 0; i < rec->n; i++) {
        if (strcmp(rec->f[i].key, key) == 0) {
            return (&rec->f[i]);
        }
    }
    return (NULL);
}

/* Reserve a new field ${key} in ${rec}. */
static int
rec_new_field(struct record *rec, const char *key, struct record_field **f)
{

    if (!key_valid(key) || strcmp(key, RECORD_MAGIC) == 0 ||
        rec_find(rec, key) != NULL) {
        return (storage_fail(STORAGE_EINVAL, "bad record key"));
    }
    if (rec->n == RECORD_MAX_FIELDS) {
        return (storage_fail(STORAGE_ETOOBIG, "too many record fields"));
    }
    *f = &rec->f[rec->n];
    memset(*f, 0, sizeof(**f));
    memcpy((*f)->key, key, strlen(key) + 1);
    return (0);
}

int
record_add_str(struct record *rec, const char *key, const char *s,
    size_t len)
{
    struct record_field *f;
    int rc;

    if (len > RECORD_MAX_BYTES || !utf8_valid((const uint8_t *)s, len)) {
        return (storage_fail(STORAGE_EINVAL, "record text is not UTF-8"));
    }
    if ((rc = rec_new_field(rec, key, &f)) != 0) {
        return (rc);
    }
    if ((f->sval = malloc(len + 1)) == NULL) {
        return (storage_errno(errno, "malloc"));
    }
    memcpy(f->sval, s, len);
    f->sval[len] = '\0';
    f->slen = len;
    rec->n++;
    return (0);
}

int
record_add_cstr(struct record *rec, const char *key, const char *s)
{

    return (record_add_str(rec, key, s, strlen(s)));
}

int
record_add_int(struct record *rec, const char *key, int64_t v)
{
    struct record_field *f;
    int rc;

    if ((rc = rec_new_field(rec, key, &f)) != 0) {
        return (rc);
    }
    f->is_int = 1;
    f->ival = v;
    rec->n++;
    return (0);
}

int
record_add_b64(struct record *rec, const char *key, const uint8_t *buf,
    size_t len)
{
    char *out;
    size_t i, o;
    uint32_t v;
    int rc;

    if (len > RECORD_MAX_BYTES) {
        return (storage_fail(STORAGE_ETOOBIG, "record field too big"));
    }
    if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL) {
        return (storage_errno(errno, "malloc"));
    }
    for (i = 0, o = 0; i + 2 < len; i += 3) {
        v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 | buf[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = b64chars[(v >> 6) & 63];
        out[o++] = b64chars[v & 63];
    }
    if (len - i == 1) {
        v = (uint32_t)buf[i] << 16;
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8;
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = b64chars[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    rc = record_add_str(rec, key, out, o);
    free(out);
    return (rc);
}

/* Append a JSON string in canonical form. */
static void
enc_str(struct obuf *o, const char *s, size_t len)
{
    char esc[8];
    size_t i, start;

    ob_put(o, "\"", 1);
    for (i = start = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c != '"' && c != '\\' && c >= 0x20) {
            continue;
        }
        ob_put(o, s + start, i - start);
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            ob_put(o, esc, 2);
        } else {
            (void)snprintf(esc, sizeof(esc), "\\u%04x", c);
            ob_put(o, esc, 6);
        }
        start = i + 1;
    }
    ob_put(o, s + start, len - start);
    ob_put(o, "\"", 1);
}

/* qsort order of fields: by key bytes. */
static int
field_cmp(const void *a, const void *b)
{
    const struct record_field *const *fa = a;
    const struct record_field *const *fb = b;

    return (strcmp((*fa)->key, (*fb)->key));
}

int
record_encode(const struct record *rec, uint8_t **buf, size_t *len)
{
    const struct record_field *order[RECORD_MAX_FIELDS];
    struct obuf o = {NULL, 0, 0, 0};
    char num[32];
    size_t i;

    *buf = NULL;
    *len = 0;
    for (i = 0; i < rec->n; i++) {
        order[i] = &rec->f[i];
    }
    qsort(order, rec->n, sizeof(order[0]), field_cmp);
    ob_put(&o, "{\"" RECORD_MAGIC "\":", 10);
    enc_str(&o, rec->type, strlen(rec->type));
    for (i = 0; i < rec->n; i++) {
        ob_put(&o, ",", 1);
        enc_str(&o, order[i]->key, strlen(order[i]->key));
        ob_put(&o, ":", 1);
        if (order[i]->is_int) {
            (void)snprintf(num, sizeof(num), "%lld",
                (long long)order[i]->ival);
            ob_put(&o, num, strlen(num));
        } else {
            enc_str(&o, order[i]->sval, order[i]->slen);
        }
    }
    ob_put(&o, "}", 1);
    if (o.err) {
        free(o.b);
        return (storage_fail(o.err, "record encoding"));
    }
    *buf = o.b;
    *len = o.n;
    return (0);
}

/* Parser state over untrusted bytes. */
struct parser {
    const uint8_t *p;
    const uint8_t *end;
};

/* Parse a JSON string (only the escapes the encoder emits) into a malloc'd
 * NUL-terminated ${*out}. */
static int
parse_str(struct parser *ps, char **out, size_t *outlen)
{
    const uint8_t *q;
    char *s;
    size_t n = 0;
    unsigned v;
    int i;

    *out = NULL;
    if (ps->p >= ps->end || *ps->p != '"') {
        return (-1);
    }
    ps->p++;
    /* Decoded length is at most the raw length up to the closing quote. */
    for (q = ps->p; q < ps->end && *q != '"'; q++) {
        if (*q == '\\') {
            q++;
            if (q >= ps->end) {
                return (-1);
            }
        }
    }
    if (q >= ps->end) {
        return (-1);
    }
    if ((s = malloc((size_t)(q - ps->p) + 1)) == NULL) {
        return (-1);
    }
    while (*ps->p != '"') {
        uint8_t c = *ps->p++;

        if (c < 0x20) {
            goto bad;
        }
        if (c != '\\') {
            s[n++] = (char)c;
            continue;
        }
        c = *ps->p++;
        if (c == '"' || c == '\\') {
            s[n++] = (char)c;
        } else if (c == 'u' && ps->end - ps->p >= 4 && ps->p[0] == '0' &&
            ps->p[1] == '0') {
            for (v = 0, i = 2; i < 4; i++) {
                c = ps->p[i];
                if (c >= '0' && c <= '9') {
                    v = v * 16 + (unsigned)(c - '0');
                } else if (c >= 'a' && c <= 'f') {
                    v = v * 16 + (unsigned)(c - 'a' + 10);
                } else {
                    goto bad;
                }
            }
            if (v == 0 || v >= 0x20) {
                goto bad;
            }
            s[n++] = (char)v;
            ps->p += 4;
        } else {
            goto bad;
        }
    }
    ps->p++;
    s[n] = '\0';
    if (!utf8_valid((const uint8_t *)s, n)) {
        goto bad;
    }
    *out = s;
    *outlen = n;
    return (0);

bad:
    free(s);
    return (-1);
}

/* Parse a decimal int64. */
static int
parse_int(struct parser *ps, int64_t *v)
{
    int neg = 0;
    uint64_t acc = 0, lim;
    int digits = 0;

    if (ps->p < ps->end && *ps->p == '-') {
        neg = 1;
        ps->p++;
    }
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        unsigned d = (unsigned)(*ps->p - '0');

        if (acc > (lim - d) / 10) {
            return (-1);
        }
        acc = acc * 10 + d;
        ps->p++;
        digits++;
    }
    if (digits == 0) {
        return (-1);
    }
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return (0);
}

/* Parse the flat object into ${rec}, without the canonical check. */
static int
parse_object(struct parser *ps, struct record *rec)
{
    struct record_field *f;
    char *key = NULL;
    char *type = NULL;
    size_t klen, tlen;

    if (ps->end - ps->p < 10 ||
        memcmp(ps->p, "{\"" RECORD_MAGIC "\":", 10) != 0) {
        return (-1);
    }
    ps->p += 10;
    if (parse_str(ps, &type, &tlen) != 0) {
        return (-1);
    }
    if (tlen == 0 || tlen >= sizeof(rec->type)) {
        free(type);
        return (-1);
    }
    memcpy(rec->type, type, tlen + 1);
    free(type);
    while (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        if (parse_str(ps, &key, &klen) != 0) {
            return (-1);
        }
        if (ps->p >= ps->end || *ps->p != ':' ||
            rec_new_field(rec, key, &f) != 0) {
            free(key);
            return (-1);
        }
        free(key);
        ps->p++;
        if (ps->p < ps->end && *ps->p == '"') {
            if (parse_str(ps, &f->sval, &f->slen) != 0) {
                return (-1);
            }
        } else {
            if (parse_int(ps, &f->ival) != 0) {
                return (-1);
            }
            f->is_int = 1;
        }
        rec->n++;
    }
    if (ps->p >= ps->end || *ps->p != '}' || ps->p + 1 != ps->end) {
        return (-1);
    }
    return (0);
}

int
record_parse(const uint8_t *buf, size_t len, struct record *rec)
{
    struct parser ps;
    uint8_t *again;
    size_t againlen;
    int same;

    memset(rec, 0, sizeof(*rec));
    if (len > RECORD_MAX_BYTES) {
        return (storage_fail(STORAGE_EINVAL, "record too big"));
    }
    ps.p = buf;
    ps.end = buf + len;
    if (parse_object(&ps, rec) != 0) {
        return (storage_fail(STORAGE_EINVAL, "not a record"));
    }
    /* One record, one spelling: re-encode and compare. */
    if (record_encode(rec, &again, &againlen) != 0) {
        return (storage_fail(STORAGE_EINVAL, "not a record"));
    }
    same = (againlen == len && memcmp(again, buf, len) == 0);
    free(again);
    if (!same) {
        return (storage_fail(STORAGE_EINVAL, "record not canonical"));
    }
    return (0);
}

int
record_get_str(const struct record *rec, const char *key, const char **s,
    size_t *len)
{
    const struct record_field *f;

    if ((f = rec_find(rec, key)) == NULL) {
        return (storage_fail(STORAGE_ENOTFOUND, "record lacks %s", key));
    }
    if (f->is_int) {
        return (storage_fail(STORAGE_EINVAL, "record %s not text", key));
    }
    *s = f->sval;
    *len = f->slen;
    return (0);
}

int
record_get_text(const struct record *rec, const char *key, char *out,
    size_t outlen)
{
    const char *s;
    size_t len;
    int rc;

    if ((rc = record_get_str(rec, key, &s, &len)) != 0) {
        return (rc);
    }
    if (len >= outlen) {
        return (storage_fail(STORAGE_ETOOBIG, "record %s too long", key));
    }
    memcpy(out, s, len + 1);
    return (0);
}

int
record_get_int(const struct record *rec, const char *key, int64_t *v)
{
    const struct record_field *f;

    if ((f = rec_find(rec, key)) == NULL) {
        return (storage_fail(STORAGE_ENOTFOUND, "record lacks %s", key));
    }
    if (!f->is_int) {
        return (storage_fail(STORAGE_EINVAL, "record %s not a number", key));
    }
    *v = f->ival;
    return (0);
}

/* Value of base64 digit ${c}, or -1. */
static int
b64val(char c)
{
    const char *p;

    if (c == '\0' || (p = strchr(b64chars, c)) == NULL) {
        return (-1);
    }
    return ((int)(p - b64chars));
}

int
record_get_b64(const struct record *rec, const char *key, size_t maxlen,
    uint8_t **buf, size_t *len)
{
    const char *s;
    size_t slen, i, o, pad;
    uint8_t *b;
    int v[4];
    int k, rc;

    *buf = NULL;
    *len = 0;
    if ((rc = record_get_str(rec, key, &s, &slen)) != 0) {
        return (rc);
    }
    if (slen % 4 != 0) {
        return (storage_fail(STORAGE_EINVAL, "record %s not base64", key));
    }
    pad = (slen > 0 && s[slen - 1] == '=') + (slen > 1 && s[slen - 2] == '=');
    if (slen / 4 * 3 - pad > maxlen) {
        return (storage_fail(STORAGE_ETOOBIG, "record %s too long", key));
    }
    if ((b = malloc(slen / 4 * 3 + 1)) == NULL) {
        return (storage_errno(errno, "malloc"));
    }
    for (i = 0, o = 0; i < slen; i += 4) {
        for (k = 0; k < 4; k++) {
            v[k] = b64val(s[i + k]);
            if (v[k] < 0 && !(i + 4 == slen && s[i + k] == '=' &&
                k >= (int)(4 - pad))) {
                goto bad;
            }
        }
        b[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0) {
            b[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
        } else if ((v[1] & 15) != 0) {
            goto bad;
        }
        if (v[3] >= 0) {
            b[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
        } else if (v[2] >= 0 && (v[2] & 3) != 0) {
            goto bad;
        }
    }
    *buf = b;
    *len = o;
    return (0);

bad:
    free(b);
    return (storage_fail(STORAGE_EINVAL, "record %s not base64", key));
}
