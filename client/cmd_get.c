#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/doc.h"
#include "client/docs.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * get and rm.  get checks everything before a byte appears at the
 * destination: the blob digest, every STREAM chunk, and the author's
 * signature over the plaintext.
 */

enum { OPT_PASSFILE = 256, OPT_FORCE };

/* A download being checked and decrypted on the fly. */
struct getsink {
    struct digest *dig;        /* over the ciphertext: the blob id */
    struct age_stream *st;
    struct minisig_hash *mh;   /* over the plaintext: the signature */
    int outfd;
    int err;                   /* first AGE_E* error, or 0 */
};

/* age_write_fn: plaintext to the temp output and the signature hash. */
static int
plain_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct getsink *g = cookie;

    minisig_hash_update(g->mh, buf, len);
    return (write_all(g->outfd, buf, len));
}

/* http_sink_fn: ciphertext from the network. */
static int
cipher_sink(void *cookie, const uint8_t *buf, size_t len)
{
    struct getsink *g = cookie;
    int err;

    digest_update(g->dig, buf, len);
    if ((err = age_stream_update(g->st, buf, len, plain_write, g)) != 0) {
        g->err = err;
        return (-1);
    }
    return (0);
}

/* Verify ${sigtext} by ${key} over the hash; 0 if valid.  Prints why not. */
static int
check_signature(struct minisig_hash *mh, const char *sigtext,
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

int
cmd_get(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *passfile = NULL, *blob;
    struct session *s = NULL;
    struct keys *k;
    struct getsink g;
    struct outfile of;
    json_t *rec = NULL, *meta = NULL, *err = NULL;
    uint8_t *fk = NULL, dig[DIGEST_BYTES], want[DIGEST_BYTES];
    char *path = NULL, *ev = NULL, *name = NULL, trusted[1100];
    long status;
    int c, rc, force = 0, opened = 0, e;

    memset(&g, 0, sizeof(g));
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORCE: force = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("get"));
        default: return (usage_error("get", "bad option"));
        }
    }
    if (argc - optind != 1) {
        return (usage_error("get", "name one document ID"));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((k = session_keys(s)) == NULL) {
        rc = EXIT_AUTH;
        goto done;
    }
    if ((rc = docs_resolve(s, argv[optind], &rec)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    blob = json_string_value(json_object_get(rec, "blob"));
    if (blob == NULL || digest_id_parse(blob, strlen(blob), want) != 0) {
        warnx_("the server's record has no valid blob id");
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if ((fk = secmem_alloc(AGE_FILE_KEY_BYTES)) == NULL) {
        goto done;
    }
    if ((e = doc_unwrap(json_string_value(json_object_get(rec, "header")),
             k->x25519_sk, fk)) != 0) {
        warnx_("cannot open the document's key: %s", age_strerror(e));
        rc = (e == AGE_EAUTH) ? EXIT_INTEGRITY : EXIT_ERR;
        goto done;
    }
    meta = doc_meta_open(json_string_value(json_object_get(rec, "metadata")),
        k->x25519_sk);
    if (out == NULL) {
        name = doc_safe_name(meta != NULL ? json_string_value(
                                                json_object_get(meta, "name"))
                                          : NULL);
        if (name == NULL) {
            goto done;
        }
        out = name;
    }
    if (outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    opened = 1;

    /* Stream: hash the ciphertext, decrypt, hash the plaintext. */
    g.outfd = of.fd;
    if ((g.dig = digest_new()) == NULL || (g.mh = minisig_hash_new()) == NULL ||
        (g.st = age_stream_new_decrypt(fk)) == NULL) {
        goto done;
    }
    if ((ev = http_escape(blob)) == NULL ||
        (path = str_concat("/v1/blobs/", ev)) == NULL) {
        goto done;
    }
    if (http_get_stream(s->http, path, cipher_sink, &g, &status, &err) != 0) {
        if (g.err != 0) {
            warnx_("%s: %s; nothing written", argv[optind],
                age_strerror(g.err));
            rc = EXIT_INTEGRITY;
        }
        goto done;
    }
    if (status != 200) {
        rc = http_error_exit("download", status, err);
        goto done;
    }
    digest_final(g.dig, dig);
    if (!secmem_eq(dig, want, DIGEST_BYTES)) {
        warnx_("%s: the blob does not match its id (altered on the server); "
               "nothing written", argv[optind]);
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if ((e = age_stream_final(g.st, plain_write, &g)) != 0) {
        warnx_("%s: %s; nothing written", argv[optind], age_strerror(e));
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if (check_signature(g.mh,
            json_string_value(json_object_get(rec, "signature")),
            json_string_value(json_object_get(rec, "signer_key")), trusted,
            sizeof(trusted)) != 0) {
        if (!force) {
            warnx_("%s: nothing written (use --force to keep a document "
                   "whose signature fails)", argv[optind]);
            rc = EXIT_INTEGRITY;
            goto done;
        }
        fprintf(stderr, "coffre: WARNING: %s is written although its "
                        "SIGNATURE DOES NOT VERIFY: its origin is unproven\n",
            out);
    }
    opened = 0;
    if (outfile_commit(&of) != 0) {
        goto done;
    }
    if (!client_quiet) {
        fprintf(stderr, "%s: %s (signed by %s: %s)\n", argv[optind], out,
            json_string_value(json_object_get(rec, "depositor")), trusted);
    }
    rc = EXIT_OK;

done:
    if (opened) {
        outfile_abort(&of);
    }
    age_stream_free(g.st);
    minisig_hash_free(g.mh);
    digest_free(g.dig);
    secmem_free(fk);
    json_decref(err);
    json_decref(meta);
    json_decref(rec);
    free(path);
    free(ev);
    free(name);
    session_free(s);
    return (rc);
}

int
cmd_rm(int argc, char **argv)
{
    static const struct option opts[] = {
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL, *id;
    struct session *s = NULL;
    json_t *rec = NULL, *resp = NULL;
    char *path;
    int c, rc, i;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("rm"));
        default: return (usage_error("rm", "bad option"));
        }
    }
    if (optind == argc) {
        return (usage_error("rm", "name at least one document ID"));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    for (i = optind; i < argc && rc == EXIT_OK; i++) {
        if ((rc = docs_resolve(s, argv[i], &rec)) != EXIT_OK) {
            break;
        }
        id = json_string_value(json_object_get(rec, "document"));
        if (id == NULL || (path = docs_path(id, "")) == NULL) {
            rc = EXIT_ERR;
            break;
        }
        rc = api_call(s, "DELETE", path, NULL, 204, "delete", &resp);
        free(path);
        json_decref(resp);
        if (rc == EXIT_OK) {
            infox("deleted %s", id);
        }
        json_decref(rec);
        rec = NULL;
    }
    json_decref(rec);
    session_free(s);
    return (rc);
}
