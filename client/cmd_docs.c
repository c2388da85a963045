#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/doc.h"
#include "client/docs.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

/*
 * A person's documents: put, ls, get, rm.
 */

enum { OPT_PASSFILE = 256, OPT_CLASS, OPT_JSON, OPT_FORCE };

static const char *const classes[] = {
    "payslip", "certificate", "payroll-facts", "evidence", "other", NULL,
};

int
docs_class_valid(const char *c)
{
    size_t i;

    for (i = 0; classes[i] != NULL; i++) {
        if (strcmp(classes[i], c) == 0) {
            return (1);
        }
    }
    return (0);
}

/* A MIME type from the file name, for the metadata. */
static const char *
guess_type(const char *name)
{
    static const struct { const char *ext, *type; } t[] = {
        {".pdf", "application/pdf"}, {".json", "application/json"},
        {".txt", "text/plain"}, {".xml", "application/xml"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
        {".png", "image/png"}, {".dsn", "text/plain"},
    };
    const char *dot = strrchr(name, '.');
    size_t i;

    for (i = 0; dot != NULL && i < sizeof(t) / sizeof(t[0]); i++) {
        if (strcasecmp(dot, t[i].ext) == 0) {
            return (t[i].type);
        }
    }
    return ("application/octet-stream");
}

/* RFC 3339 UTC of ${t} into ${buf}. */
static void
fmt_time(time_t t, char buf[32])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
docs_deposit(struct session *s, const char *vault, int fd, const char *name,
    const char *class, const uint8_t rcpt[AGE_X25519_BYTES],
    const char *tc_prefix, json_t *extra_meta, const char *idem,
    json_t **receipt, char **doc_id)
{
    struct doc_sealed d;
    struct keys *k;
    struct stat st;
    json_t *meta = NULL, *body = NULL, *resp = NULL;
    char *path = NULL, *hdr64 = NULL, *meta64 = NULL, *ev = NULL, when[32];
    char idbuf[33];
    uint8_t rnd[16];
    long status;
    int rc = EXIT_ERR, i;

    *doc_id = NULL;
    if (receipt != NULL) {
        *receipt = NULL;
    }
    if ((k = session_keys(s)) == NULL) {
        return (EXIT_AUTH);
    }
    if (fstat(fd, &st) != 0) {
        warnx_("%s: %s", name, strerror(errno));
        return (EXIT_ERR);
    }
    if (doc_seal(fd, rcpt, &k->sign, tc_prefix, &d) != 0) {
        return (EXIT_ERR);
    }

    /* 1. The blob: PUT is idempotent, so it is retried. */
    if ((ev = http_escape(d.blob_id)) == NULL ||
        (path = str_concat("/v1/blobs/", ev)) == NULL) {
        goto done;
    }
    if (http_put_fd(s->http, path, d.ct_fd, d.ct_size, &status, &resp) != 0) {
        goto done;
    }
    if (status == 401) {
        json_decref(resp);
        resp = NULL;
        if ((rc = session_login(s)) != EXIT_OK ||
            http_put_fd(s->http, path, d.ct_fd, d.ct_size, &status, &resp) !=
                0) {
            rc = (rc == EXIT_OK) ? EXIT_ERR : rc;
            goto done;
        }
        rc = EXIT_ERR;
    }
    if (status != 200 && status != 201) {
        rc = http_error_exit("upload", status, resp);
        goto done;
    }
    json_decref(resp);
    resp = NULL;

    /* 2. The record: header, encrypted metadata, signature. */
    fmt_time(st.st_mtime, when);
    meta = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s}", "v", 1, "name",
        name, "size", (json_int_t)d.pt_size, "type", guess_type(name),
        "class", class, "mtime", when, "sha256", "");
    if (meta == NULL) {
        goto done;
    }
    {
        char hex[2 * DIGEST_BYTES + 1];

        for (i = 0; i < DIGEST_BYTES; i++) {
            snprintf(hex + 2 * i, 3, "%02x", d.pt_sha256[i]);
        }
        json_object_set_new(meta, "sha256", json_string(hex));
    }
    if (extra_meta != NULL) {
        json_object_update(meta, extra_meta);
    }
    if (doc_meta_seal(meta, rcpt, &meta64) != 0 ||
        (hdr64 = b64_encode_std(d.header, d.header_len)) == NULL) {
        warnx_("cannot encrypt the metadata");
        goto done;
    }
    if (idem == NULL) {
        /* A fresh key makes a retried POST safe for a person's put. */
        secmem_random(rnd, sizeof(rnd));
        for (i = 0; i < 16; i++) {
            snprintf(idbuf + 2 * i, 3, "%02x", rnd[i]);
        }
        idem = idbuf;
    }
    body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "blob", d.blob_id,
        "class", class, "header", hdr64, "metadata", meta64, "signature",
        d.sig, "idempotency_key", idem);
    free(path);
    path = NULL;
    free(ev);
    if (body == NULL || (ev = http_escape(vault)) == NULL) {
        goto done;
    }
    {
        char *a = str_concat("/v1/vaults/", ev);

        path = (a != NULL) ? str_concat(a, "/documents") : NULL;
        free(a);
    }
    if (path == NULL) {
        goto done;
    }
    for (i = 0; i < 3; i++) {
        /* Retried: the idempotency key makes a second POST harmless. */
        if (http_json(s->http, "POST", path, body, 1, &status, &resp) != 0) {
            goto done;
        }
        if (status != 401 || i > 0) {
            break;
        }
        json_decref(resp);
        resp = NULL;
        if ((rc = session_login(s)) != EXIT_OK) {
            goto done;
        }
        rc = EXIT_ERR;
    }
    if (status != 200 && status != 201) {
        rc = http_error_exit("deposit", status, resp);
        goto done;
    }
    if (json_string_value(json_object_get(resp, "document")) == NULL ||
        (*doc_id = strdup(json_string_value(
             json_object_get(resp, "document")))) == NULL) {
        warnx_("deposit: the server's answer has no document id");
        goto done;
    }
    if (receipt != NULL) {
        *receipt = json_incref(json_object_get(resp, "receipt"));
    }
    rc = EXIT_OK;

done:
    json_decref(resp);
    json_decref(body);
    json_decref(meta);
    free(meta64);
    free(hdr64);
    free(path);
    free(ev);
    doc_sealed_free(&d);
    return (rc);
}

int
cmd_put(int argc, char **argv)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, OPT_CLASS},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *class = "other", *passfile = NULL, *base;
    struct session *s = NULL;
    struct keys *k;
    char *id, tc[128];
    int c, i, fd, rc, failed = 0;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case OPT_CLASS: class = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("put"));
        default: return (usage_error("put", "bad option"));
        }
    }
    if (optind == argc) {
        return (usage_error("put", "name at least one FILE"));
    }
    if (!docs_class_valid(class)) {
        return (usage_error("put", "unknown class '%s'", class));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((k = session_keys(s)) == NULL) {
        session_free(s);
        return (EXIT_AUTH);
    }
    snprintf(tc, sizeof(tc), "coffre-doc-v1\tvault:%s\tclass:%s", s->account,
        class);
    for (i = optind; i < argc; i++) {
        if ((fd = open_input(argv[i])) < 0) {
            failed++;
            continue;
        }
        base = strrchr(argv[i], '/') != NULL ? strrchr(argv[i], '/') + 1
                                              : argv[i];
        rc = docs_deposit(s, s->account, fd, base, class, k->x25519_pk, tc,
            NULL, NULL, NULL, &id);
        if (fd != STDIN_FILENO) {
            close(fd);
        }
        if (rc != EXIT_OK) {
            warnx_("%s: not stored", argv[i]);
            failed++;
            continue;
        }
        printf("%s\t%s\n", term_text(id), term_text(argv[i]));
        free(id);
    }
    session_free(s);
    return (failed ? EXIT_ERR : EXIT_OK);
}

/* Path "/v1/documents/<escaped id><suffix>" (malloc'd). */
char *
docs_path(const char *id, const char *suffix)
{
    char *e, *a, *b;

    if ((e = http_escape(id)) == NULL) {
        return (NULL);
    }
    a = str_concat("/v1/documents/", e);
    free(e);
    if (a == NULL) {
        return (NULL);
    }
    b = str_concat(a, suffix);
    free(a);
    return (b);
}

int
docs_list(struct session *s, const char *class, json_t **out)
{
    json_t *all, *resp, *docs, *v;
    char *ev, *path, *q;
    const char *cursor = NULL;
    char *cur = NULL;
    size_t i, n;
    int rc;

    *out = NULL;
    if ((all = json_array()) == NULL || (ev = http_escape(s->account)) == NULL) {
        json_decref(all);
        return (EXIT_ERR);
    }
    for (;;) {
        char *ec = cursor != NULL ? http_escape(cursor) : NULL;
        size_t len = strlen(ev) + 128 + (ec ? strlen(ec) : 0) +
            (class ? strlen(class) : 0);

        if ((q = malloc(len)) == NULL) {
            free(ec);
            rc = EXIT_ERR;
            break;
        }
        snprintf(q, len, "/v1/vaults/%s/documents?limit=200%s%s%s%s", ev,
            class ? "&class=" : "", class ? class : "", ec ? "&cursor=" : "",
            ec ? ec : "");
        free(ec);
        path = q;
        rc = api_call(s, "GET", path, NULL, 200, "list", &resp);
        free(path);
        if (rc != EXIT_OK) {
            break;
        }
        docs = json_object_get(resp, "documents");
        n = json_array_size(docs);
        for (i = 0; i < n; i++) {
            v = json_array_get(docs, i);
            json_array_append(all, v);
        }
        free(cur);
        cur = NULL;
        if (json_string_value(json_object_get(resp, "next")) != NULL) {
            cur = strdup(json_string_value(json_object_get(resp, "next")));
        }
        json_decref(resp);
        cursor = cur;
        if (cursor == NULL) {
            break;
        }
    }
    free(cur);
    free(ev);
    if (rc != EXIT_OK) {
        json_decref(all);
        return (rc);
    }
    *out = all;
    return (EXIT_OK);
}

int
docs_resolve(struct session *s, const char *id, json_t **rec)
{
    json_t *all, *v, *match = NULL;
    char *path;
    const char *did;
    size_t i, n = 0;
    long status;
    int rc;

    *rec = NULL;
    if ((path = docs_path(id, "")) == NULL) {
        return (EXIT_ERR);
    }
    for (i = 0; i < 2; i++) {
        if (http_json(s->http, "GET", path, NULL, 0, &status, rec) != 0) {
            free(path);
            return (EXIT_ERR);
        }
        if (status != 401 || i > 0) {
            break;
        }
        json_decref(*rec);
        *rec = NULL;
        if ((rc = session_login(s)) != EXIT_OK) {
            free(path);
            return (rc);
        }
    }
    free(path);
    if (status == 200) {
        return (EXIT_OK);
    }
    if (status != 404 && status != 400) {
        rc = http_error_exit("document", status, *rec);
        json_decref(*rec);
        *rec = NULL;
        return (rc);
    }
    json_decref(*rec);
    *rec = NULL;

    /* Not an exact id: a unique prefix among my documents? */
    if ((rc = docs_list(s, NULL, &all)) != EXIT_OK) {
        return (rc);
    }
    json_array_foreach(all, i, v) {
        did = json_string_value(json_object_get(v, "document"));
        if (did != NULL && strncmp(did, id, strlen(id)) == 0) {
            match = v;
            n++;
        }
    }
    if (n == 1) {
        *rec = json_incref(match);
        json_decref(all);
        return (EXIT_OK);
    }
    json_decref(all);
    if (n > 1) {
        warnx_("'%s' is the start of %zu document ids: give more of it", id,
            n);
        return (EXIT_USAGE);
    }
    warnx_("no document '%s'", id);
    return (EXIT_NOTFOUND);
}

/* Check the trusted comment's global signature against the signer key. */
static const char *
sig_status(json_t *rec)
{
    const char *sigtext = json_string_value(json_object_get(rec, "signature"));
    const char *key = json_string_value(json_object_get(rec, "signer_key"));
    struct minisig_pubkey pk;
    struct minisig sig;

    if (sigtext == NULL || key == NULL) {
        return ("none");
    }
    if (minisig_parse(sigtext, strlen(sigtext), &sig) != 0 ||
        minisig_pubkey_parse(key, strlen(key), &pk) != 0) {
        return ("bad");
    }
    if (memcmp(sig.keyid, pk.keyid, MINISIG_KEYID_BYTES) != 0 ||
        minisig_verify_comment(&sig, &pk) != 0) {
        return ("bad");
    }
    return ("ok");
}

int
cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, OPT_CLASS},
        {"json", no_argument, NULL, OPT_JSON},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *class = NULL, *passfile = NULL;
    struct session *s = NULL;
    struct keys *k;
    json_t *all, *rec, *meta, *out, *o;
    size_t i;
    int c, rc, json = 0;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case OPT_CLASS: class = optarg; break;
        case OPT_JSON: json = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("ls"));
        default: return (usage_error("ls", "bad option"));
        }
    }
    if (optind != argc) {
        return (usage_error("ls", "unexpected argument '%s'", argv[optind]));
    }
    if (class != NULL && !docs_class_valid(class)) {
        return (usage_error("ls", "unknown class '%s'", class));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((k = session_keys(s)) == NULL) {
        session_free(s);
        return (EXIT_AUTH);
    }
    if ((rc = docs_list(s, class, &all)) != EXIT_OK) {
        session_free(s);
        return (rc);
    }
    out = json_array();
    json_array_foreach(all, i, rec) {
        meta = doc_meta_open(
            json_string_value(json_object_get(rec, "metadata")), k->x25519_sk);
        o = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s}", "id",
            json_object_get(rec, "document"), "class",
            json_object_get(rec, "class"), "created_at",
            json_object_get(rec, "created_at"), "depositor",
            json_object_get(rec, "depositor"), "depositor_kind",
            json_object_get(rec, "depositor_kind"), "blob",
            json_object_get(rec, "blob"), "signature", sig_status(rec));
        if (o == NULL) {
            json_decref(meta);
            continue;
        }
        json_object_set(o, "name", meta != NULL ? json_object_get(meta, "name")
                                                : json_null());
        json_object_set(o, "size", meta != NULL ? json_object_get(meta, "size")
                                                : json_object_get(rec, "size"));
        if (meta != NULL && json_object_get(meta, "period") != NULL) {
            json_object_set(o, "period", json_object_get(meta, "period"));
        }
        if (meta != NULL && json_object_get(meta, "employer") != NULL) {
            json_object_set(o, "employer", json_object_get(meta, "employer"));
        }
        json_array_append_new(out, o);
        json_decref(meta);
    }
    if (json) {
        json_print(out, JSON_INDENT(2));
        putchar('\n');
    } else {
        json_array_foreach(out, i, o) {
            const char *dep = json_string_value(json_object_get(o,
                "depositor"));
            const char *emp = json_string_value(json_object_get(o,
                "employer"));

            /* Every field but the size was chosen by the server or by
             * the depositor: none may move the cursor or forge a row. */
            printf("%-16.16s  %.10s  %-13s %10lld  %-3s  %s%s%s\n",
                term_text(json_string_value(json_object_get(o, "id"))),
                term_text(json_string_value(json_object_get(o,
                    "created_at"))),
                term_text(json_string_value(json_object_get(o, "class"))),
                (long long)json_integer_value(json_object_get(o, "size")),
                json_string_value(json_object_get(o, "signature")),
                json_string_value(json_object_get(o, "name")) != NULL
                    ? term_text(json_string_value(json_object_get(o,
                          "name")))
                    : "(metadata unreadable)",
                (dep != NULL && strcmp(dep, s->account) != 0) ? "  from " : "",
                (dep != NULL && strcmp(dep, s->account) != 0)
                    ? term_text(emp != NULL ? emp : dep) : "");
        }
    }
    json_decref(out);
    json_decref(all);
    session_free(s);
    return (EXIT_OK);
}
