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
#include "client/fetchdoc.h"
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

enum { OPT_PASSFILE = 256, OPT_FORCE, OPT_SIG };

/* fetchdoc plain sink: the plaintext to the temporary output file. */
static int
plain_to_fd(void *cookie, const uint8_t *buf, size_t len)
{

    return (write_all(*(int *)cookie, buf, len));
}

/* Write the author's signature of ${rec} beside ${out}, as OUT.minisig. */
static int
sig_write(json_t *rec, const char *out)
{
    const char *sig = json_string_value(json_object_get(rec, "signature"));
    struct outfile of;
    char *path;
    int rc = -1;

    if (sig == NULL || (path = str_concat(out, ".minisig")) == NULL) {
        return (-1);
    }
    if (outfile_open(&of, path, 0644) == 0) {
        if (write_all(of.fd, sig, strlen(sig)) == 0) {
            rc = outfile_commit(&of);
        } else {
            outfile_abort(&of);
        }
    }
    free(path);
    return (rc);
}

/*
 * Fetch one document ${id} into ${out} (NULL: its name, inside ${dir} if
 * non-NULL, else the current folder); with ${sig}, its author's signature
 * into OUT.minisig too.  Return an exit code.
 */
static int
get_one(struct session *s, const struct keys *k, const char *id,
    const char *out, const char *dir, int force, int sig)
{
    struct fetchdoc f;
    struct outfile of;
    json_t *rec = NULL, *meta = NULL;
    char *name = NULL, *path = NULL;
    int rc, opened = 0;

    memset(&f, 0, sizeof(f));
    if ((rc = docs_resolve(s, id, &rec)) != EXIT_OK) {
        return (rc);
    }
    rc = EXIT_ERR;
    meta = doc_meta_open(json_string_value(json_object_get(rec, "metadata")),
        k->x25519_sk);
    if (out == NULL) {
        name = doc_safe_name(meta != NULL ? json_string_value(
                                                json_object_get(meta, "name"))
                                          : NULL);
        if (name == NULL) {
            goto done;
        }
        if (dir != NULL) {
            char *d = str_concat(dir, "/");

            path = (d != NULL) ? str_concat(d, name) : NULL;
            free(d);
            if (path == NULL) {
                goto done;
            }
            out = path;
        } else {
            out = name;
        }
    }
    if (outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    opened = 1;

    /* Stream through every check into the temporary file. */
    f.plain_sink = plain_to_fd;
    f.plain_cookie = &of.fd;
    f.label = id;
    if ((rc = fetchdoc_run(s, rec, k->x25519_sk, &f)) != EXIT_OK) {
        if (!f.sig_failed) {
            warnx_("%s: nothing written", id);
            goto done;
        }
        if (!force) {
            warnx_("%s: nothing written (use --force to keep a document "
                   "whose signature fails)", id);
            goto done;
        }
        fprintf(stderr, "coffre: WARNING: %s is written although its "
                        "SIGNATURE DOES NOT VERIFY: its origin is unproven\n",
            term_text(out));
    }
    rc = EXIT_ERR;
    opened = 0;
    if (outfile_commit(&of) != 0) {
        goto done;
    }
    if (sig && sig_write(rec, out) != 0) {
        warnx_("%s: cannot write %s.minisig", id, out);
        goto done;
    }
    if (!client_quiet) {
        fprintf(stderr, "%s: %s (signed by %s: %s)\n", term_text(id),
            term_text(out), term_text(json_string_value(json_object_get(rec,
                "depositor"))), term_text(f.trusted));
    }
    rc = EXIT_OK;

done:
    if (opened) {
        outfile_abort(&of);
    }
    json_decref(meta);
    json_decref(rec);
    free(name);
    free(path);
    return (rc);
}

int
cmd_get(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"directory", required_argument, NULL, 'd'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"sig", no_argument, NULL, OPT_SIG},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *dir = NULL, *passfile = NULL;
    struct session *s = NULL;
    struct keys *k;
    int c, i, rc, worst = EXIT_OK, force = 0, sig = 0;

    while ((c = getopt_long(argc, argv, "o:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': dir = optarg; break;
        case OPT_FORCE: force = 1; break;
        case OPT_SIG: sig = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("get"));
        default: return (usage_error("get", "bad option"));
        }
    }
    if (optind == argc) {
        return (usage_error("get", "name at least one document ID"));
    }
    if (out != NULL && (argc - optind != 1 || dir != NULL)) {
        return (usage_error("get", "-o names one output: use -d DIR for "
                                   "several documents"));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((k = session_keys(s)) == NULL) {
        session_free(s);
        return (EXIT_AUTH);
    }
    /* One login and one key file opening for any number of documents. */
    for (i = optind; i < argc; i++) {
        rc = get_one(s, k, argv[i], out, dir, force, sig);
        if (rc != EXIT_OK && (worst == EXIT_OK || rc == EXIT_INTEGRITY)) {
            worst = rc;
        }
    }
    session_free(s);
    return (worst);
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
