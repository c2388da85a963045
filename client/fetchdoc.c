#define _DEFAULT_SOURCE
#include "client/fetchdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/doc.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/secmem.h"

/* A download being checked and decrypted on the fly. */
struct fetchsink {
    struct fetchdoc *f;
    struct digest *dig;        /* over the ciphertext: the blob id */
    struct digest *pdig;       /* over the plaintext: the manifest digest */
    struct age_stream *st;
    struct minisig_hash *mh;   /* over the plaintext: the signature */
    int err;                   /* first AGE_E* error, or 0 */
    int sinkfail;              /* a caller's sink refused bytes */
};

/* age_write_fn: authenticated plaintext to the hashes and the caller. */
static int
plain_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct fetchsink *g = cookie;

    minisig_hash_update(g->mh, buf, len);
    digest_update(g->pdig, buf, len);
    g->f->pt_size += len;
    if (g->f->plain_sink != NULL &&
        g->f->plain_sink(g->f->plain_cookie, buf, len) != 0) {
        g->sinkfail = 1;
        return (-1);
    }
    return (0);
}

/* http_sink_fn: ciphertext from the network. */
static int
cipher_sink(void *cookie, const uint8_t *buf, size_t len)
{
    struct fetchsink *g = cookie;
    int err;

    digest_update(g->dig, buf, len);
    g->f->ct_size += len;
    if (g->f->cipher_sink != NULL &&
        g->f->cipher_sink(g->f->cipher_cookie, buf, len) != 0) {
        g->sinkfail = 1;
        return (-1);
    }
    if ((err = age_stream_update(g->st, buf, len, plain_write, g)) != 0) {
        g->err = g->sinkfail ? 0 : err;
        return (-1);
    }
    return (0);
}

int
fetchdoc_check_signature(struct minisig_hash *mh, const char *sigtext,
    const char *key, char *trusted, size_t tlen)
{
    struct minisig_pubkey pk;
    struct minisig sig;
    int err;

    trusted[0] = '\0';
    if (sigtext == NULL || key == NULL) {
        warnx_("the document carries no signature");
        return (-1);
    }
    if ((err = minisig_parse(sigtext, strlen(sigtext), &sig)) != 0 ||
        (err = minisig_pubkey_parse(key, strlen(key), &pk)) != 0) {
        warnx_("signature unreadable: %s", minisig_strerror(err));
        return (-1);
    }
    snprintf(trusted, tlen, "%s", sig.trusted);
    if ((err = minisig_verify(mh, &sig, &pk)) != 0) {
        warnx_("signature check failed: %s", minisig_strerror(err));
        return (-1);
    }
    return (0);
}

/* GET the blob through ${g}; return an exit code. */
static int
download(struct session *s, const char *blob, struct fetchsink *g)
{
    json_t *err = NULL;
    char *ev = NULL, *path = NULL;
    long status;
    int rc = EXIT_ERR;

    if ((ev = http_escape(blob)) == NULL ||
        (path = str_concat("/v1/blobs/", ev)) == NULL) {
        goto done;
    }
    if (http_get_stream(s->http, path, cipher_sink, g, &status, &err) != 0) {
        if (g->err != 0) {
            warnx_("%s: %s", g->f->label, age_strerror(g->err));
            rc = EXIT_INTEGRITY;
        }
        goto done;
    }
    if (status != 200) {
        rc = http_error_exit("download", status, err);
        goto done;
    }
    rc = EXIT_OK;

done:
    json_decref(err);
    free(path);
    free(ev);
    return (rc);
}

int
fetchdoc_run(struct session *s, json_t *rec,
    const uint8_t sk[AGE_X25519_BYTES], struct fetchdoc *f)
{
    struct fetchsink g;
    const char *blob;
    uint8_t *fk = NULL, dig[DIGEST_BYTES], want[DIGEST_BYTES];
    int rc = EXIT_ERR, e;

    memset(&g, 0, sizeof(g));
    g.f = f;
    f->ct_size = f->pt_size = 0;
    f->trusted[0] = '\0';
    f->sig_failed = 0;
    if (f->label == NULL) {
        f->label = "document";
    }
    blob = json_string_value(json_object_get(rec, "blob"));
    if (blob == NULL || digest_id_parse(blob, strlen(blob), want) != 0) {
        warnx_("%s: the server's record has no valid blob id", f->label);
        return (EXIT_INTEGRITY);
    }
    if ((fk = secmem_alloc(AGE_FILE_KEY_BYTES)) == NULL) {
        return (EXIT_ERR);
    }
    if ((e = doc_unwrap(json_string_value(json_object_get(rec, "header")),
             sk, fk)) != 0) {
        warnx_("%s: cannot open the document's key: %s", f->label,
            age_strerror(e));
        rc = (e == AGE_EAUTH) ? EXIT_INTEGRITY : EXIT_ERR;
        goto done;
    }
    if ((g.dig = digest_new()) == NULL || (g.pdig = digest_new()) == NULL ||
        (g.mh = minisig_hash_new()) == NULL ||
        (g.st = age_stream_new_decrypt(fk)) == NULL) {
        warnx_("out of memory");
        goto done;
    }

    /* Stream: hash the ciphertext, decrypt, hash the plaintext. */
    if ((rc = download(s, blob, &g)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_INTEGRITY;
    digest_final(g.dig, dig);
    if (!secmem_eq(dig, want, DIGEST_BYTES)) {
        warnx_("%s: the blob does not match its id (altered on the server)",
            f->label);
        goto done;
    }
    if ((e = age_stream_final(g.st, plain_write, &g)) != 0) {
        if (g.sinkfail) {
            rc = EXIT_ERR;
        } else {
            warnx_("%s: %s", f->label, age_strerror(e));
        }
        goto done;
    }
    digest_final(g.pdig, f->pt_sha256);
    if (fetchdoc_check_signature(g.mh,
            json_string_value(json_object_get(rec, "signature")),
            json_string_value(json_object_get(rec, "signer_key")),
            f->trusted, sizeof(f->trusted)) != 0) {
        f->sig_failed = 1;
        goto done;
    }
    rc = EXIT_OK;

done:
    if (g.sinkfail && rc == EXIT_INTEGRITY && !f->sig_failed) {
        rc = EXIT_ERR;
    }
    age_stream_free(g.st);
    minisig_hash_free(g.mh);
    digest_free(g.pdig);
    digest_free(g.dig);
    secmem_free(fk);
    return (rc);
}
