#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>

#include "client/auditchain.h"
#include "client/client.h"
#include "client/commands.h"
#include "client/doc.h"
#include "client/docs.h"
#include "client/export.h"
#include "client/fetchdoc.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

/*
 * coffre export and coffre import (docs/EXPORT.md).  Export streams every
 * document through fetchdoc_run() straight into its archive entry, so
 * memory stays constant whatever the size of the safe; any failed check
 * removes the partial archive and exits 5.
 */

enum { OPT_PASSFILE = 256, OPT_FORMAT, OPT_RAW, OPT_CLASS };

#define RAW_SIDECAR_MAX (64 * 1024)
#define SIG_BUF 4096

static const char readme_text[] =
    "This archive is a complete export of a coffre safe.\n"
    "\n"
    "  CLASS/YEAR/NAME         each document, decrypted, under its class\n"
    "                          and year (names made safe; a clash gets\n"
    "                          \" (2)\", \" (3)\"... before the extension)\n"
    "  CLASS/YEAR/NAME.minisig its author's signature (minisign)\n"
    "  signers/DEPOSITOR.pub   the public key of every author\n"
    "  manifest.json           for each document: id, class, name, size,\n"
    "                          SHA-256, blob id, depositor, dates, path,\n"
    "                          signature status\n"
    "  audit.jsonl             the safe's log, one entry per line, then\n"
    "                          the server-signed head; verified at export\n"
    "  SHA256SUMS              SHA-256 of every document\n"
    "\n"
    "Checking without coffre (after extracting, in this folder):\n"
    "\n"
    "  sha256sum -c SHA256SUMS\n"
    "\n"
    "checks that every document is intact.  For each document, its\n"
    "author's signature is checked with minisign:\n"
    "\n"
    "  minisign -V -p signers/DEPOSITOR.pub -m CLASS/YEAR/NAME\n"
    "\n"
    "(manifest.json names the key file of each document in \"signer\").\n"
    "The trusted comment minisign prints binds the vault, the class and\n"
    "the SHA-256 of the document.  The files are ordinary: open them with\n"
    "any program.\n";

/* RFC 3339 UTC to seconds, or 0. */
static int64_t
rfc3339(const char *t)
{
    struct tm tm;
    char *end;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || (end = strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
        *end != '\0') {
        return (0);
    }
    return ((int64_t)timegm(&tm));
}

/* Hex of ${n} bytes into ${out} (2n+1). */
static void
hexstr(const uint8_t *b, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    out[2 * n] = '\0';
}

/* One export in progress. */
struct exp {
    struct session *s;
    struct keys *k;
    struct archive *a;
    json_t *used;        /* set of member paths */
    json_t *signers;     /* depositor -> signer file */
    FILE *man;           /* manifest entries, one per document (temp) */
    FILE *sums;          /* SHA256SUMS text (temp) */
    size_t ndocs;
    int64_t now;
    int raw;
};

/* A temporary stream for what is written at the end (unlinked file). */
static FILE *
tmp_stream(void)
{
    FILE *f;
    int fd;

    if ((fd = tmpfile_fd()) < 0) {
        return (NULL);
    }
    if ((f = fdopen(fd, "w+")) == NULL) {
        close(fd);
    }
    return (f);
}

/* Append document entry ${m} to the manifest being built. */
static int
man_add(struct exp *x, json_t *m)
{
    char *text;
    int rc;

    if ((text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        return (-1);
    }
    rc = fprintf(x->man, "%s    %s", x->ndocs > 0 ? ",\n" : "", text) < 0
        ? -1 : 0;
    free(text);
    x->ndocs += (rc == 0);
    return (rc);
}

/* fetchdoc sink: bytes into the current archive entry. */
static int
entry_sink(void *cookie, const uint8_t *buf, size_t len)
{

    return (export_entry_data(cookie, buf, len));
}

/*
 * A free member path "DIR/BASE" (with " (n)" before the extension on a
 * clash, also keeping BASE.minisig free); malloc'd and marked used.
 */
static char *
unique_path(struct exp *x, const char *dir, const char *base)
{
    const char *dot = strrchr(base, '.');
    size_t stem = (dot != NULL && dot != base) ? (size_t)(dot - base)
                                               : strlen(base);
    char *p, *m;
    size_t len = strlen(dir) + strlen(base) + 32;
    int n;

    if ((p = malloc(len)) == NULL || (m = malloc(len + 8)) == NULL) {
        free(p);
        return (NULL);
    }
    for (n = 1; n < 100000; n++) {
        if (n == 1) {
            snprintf(p, len, "%s/%s", dir, base);
        } else {
            snprintf(p, len, "%s/%.*s (%d)%s", dir, (int)stem, base, n,
                base + stem);
        }
        snprintf(m, len + 8, "%s.minisig", p);
        if (json_object_get(x->used, p) == NULL &&
            json_object_get(x->used, m) == NULL) {
            json_object_set_new(x->used, p, json_true());
            json_object_set_new(x->used, m, json_true());
            free(m);
            return (p);
        }
    }
    free(m);
    free(p);
    return (NULL);
}

/* Append "HEX  PATH\n" to the SHA256SUMS text. */
static int
sums_add(struct exp *x, const char *hex, const char *path)
{

    return (fprintf(x->sums, "%s  %s\n", hex, path) < 0 ? -1 : 0);
}

/* The folder CLASS/YEAR of a document; malloc'd. */
static char *
doc_dir(json_t *rec, json_t *meta)
{
    const char *period = json_string_value(json_object_get(meta, "period"));
    const char *created = json_string_value(json_object_get(rec,
        "created_at"));
    char year[5] = "0000", *cls, *d;
    size_t len;

    if (period != NULL && strlen(period) >= 4 &&
        strspn(period, "0123456789") >= 4) {
        memcpy(year, period, 4);
    } else if (created != NULL && strlen(created) >= 4 &&
        strspn(created, "0123456789") >= 4) {
        memcpy(year, created, 4);
    }
    if ((cls = export_safe_component(json_string_value(json_object_get(rec,
        "class")))) == NULL) {
        return (NULL);
    }
    len = strlen(cls) + 8;
    if ((d = malloc(len)) != NULL) {
        snprintf(d, len, "%s/%s", cls, year);
    }
    free(cls);
    return (d);
}

/* The signer key file of ${rec}'s depositor, remembered for the end. */
static const char *
signer_file(struct exp *x, json_t *rec)
{
    const char *dep = json_string_value(json_object_get(rec, "depositor"));
    const char *key = json_string_value(json_object_get(rec, "signer_key"));
    json_t *v;
    char *safe, *p;
    size_t len;

    if (dep == NULL || key == NULL) {
        return (NULL);
    }
    if ((v = json_object_get(x->signers, dep)) != NULL) {
        return (json_string_value(json_object_get(v, "file")));
    }
    if ((safe = export_safe_component(dep)) == NULL) {
        return (NULL);
    }
    len = strlen(safe) + 16;
    if ((p = malloc(len)) == NULL) {
        free(safe);
        return (NULL);
    }
    snprintf(p, len, "signers/%s.pub", safe);
    free(safe);
    json_object_set_new(x->signers, dep, json_pack("{s:s, s:s}", "file", p,
        "key", key));
    free(p);
    v = json_object_get(x->signers, dep);
    return (json_string_value(json_object_get(v, "file")));
}

/* Export document ${rec} decrypted; return an exit code. */
static int
export_plain(struct exp *x, json_t *rec)
{
    struct fetchdoc f;
    json_t *meta, *m;
    const char *id = json_string_value(json_object_get(rec, "document"));
    const char *sig = json_string_value(json_object_get(rec, "signature"));
    const char *want = NULL, *signer;
    char *dir = NULL, *base = NULL, *path = NULL, *sigpath = NULL;
    char hex[2 * DIGEST_BYTES + 1];
    json_int_t size;
    int rc = EXIT_ERR;

    memset(&f, 0, sizeof(f));
    meta = doc_meta_open(json_string_value(json_object_get(rec, "metadata")),
        x->k->x25519_sk);
    size = json_integer_value(json_object_get(meta, "size"));
    if (id == NULL || meta == NULL || size < 0 ||
        !json_is_integer(json_object_get(meta, "size"))) {
        warnx_("%s: metadata unreadable: the document's size is unknown",
            id != NULL ? id : "?");
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if ((dir = doc_dir(rec, meta)) == NULL ||
        (base = export_safe_component(json_string_value(json_object_get(meta,
        "name")))) == NULL || (path = unique_path(x, dir, base)) == NULL) {
        goto done;
    }
    if (export_entry_begin(x->a, path, (uint64_t)size,
        rfc3339(json_string_value(json_object_get(rec, "created_at")))) !=
        0) {
        warnx_("%s: archive: %s", path, export_writer_error(x->a));
        goto done;
    }
    f.plain_sink = entry_sink;
    f.plain_cookie = x->a;
    f.label = id;
    if ((rc = fetchdoc_run(x->s, rec, x->k->x25519_sk, &f)) != EXIT_OK) {
        if (rc == EXIT_ERR && export_writer_error(x->a)[0] != '\0') {
            warnx_("%s: archive: %s", path, export_writer_error(x->a));
        }
        goto done;
    }
    rc = EXIT_INTEGRITY;
    hexstr(f.pt_sha256, DIGEST_BYTES, hex);
    want = json_string_value(json_object_get(meta, "sha256"));
    if (f.pt_size != (uint64_t)size ||
        (want != NULL && want[0] != '\0' && strcmp(want, hex) != 0)) {
        warnx_("%s: the document does not match its metadata (size or "
               "SHA-256)", id);
        goto done;
    }
    rc = EXIT_ERR;
    if (export_entry_end(x->a) != 0) {
        warnx_("%s: archive: %s", path, export_writer_error(x->a));
        goto done;
    }
    if ((sigpath = str_concat(path, ".minisig")) == NULL ||
        export_add_buf(x->a, sigpath, sig, strlen(sig), x->now) != 0 ||
        (signer = signer_file(x, rec)) == NULL || sums_add(x, hex, path)) {
        goto done;
    }
    m = json_pack("{s:s, s:s, s:O?, s:O?, s:I, s:s, s:O?, s:O?, s:O?, "
                  "s:O?, s:s, s:s, s:s, s:s}",
        "id", id, "path", path, "class", json_object_get(rec, "class"),
        "name", json_object_get(meta, "name"), "size", size, "sha256", hex,
        "blob", json_object_get(rec, "blob"), "depositor",
        json_object_get(rec, "depositor"), "depositor_kind",
        json_object_get(rec, "depositor_kind"), "created_at",
        json_object_get(rec, "created_at"), "signature", "verified",
        "signature_file", sigpath, "signer", signer, "trusted_comment",
        f.trusted);
    if (m == NULL) {
        goto done;
    }
    if (json_object_get(meta, "period") != NULL) {
        json_object_set(m, "period", json_object_get(meta, "period"));
    }
    if (json_object_get(meta, "mtime") != NULL) {
        json_object_set(m, "modified_at", json_object_get(meta, "mtime"));
    }
    if (man_add(x, m) != 0) {
        json_decref(m);
        goto done;
    }
    json_decref(m);
    rc = EXIT_OK;

done:
    json_decref(meta);
    free(sigpath);
    free(path);
    free(base);
    free(dir);
    return (rc);
}

/* Export document ${rec} as a standard age file and its sidecar. */
static int
export_raw(struct exp *x, json_t *rec)
{
    struct fetchdoc f;
    const char *id = json_string_value(json_object_get(rec, "document"));
    json_t *side = NULL;
    uint8_t *hdr = NULL;
    size_t hlen;
    char *text = NULL, path[128];
    json_int_t size = json_integer_value(json_object_get(rec, "size"));
    int64_t t;
    int rc = EXIT_ERR;

    memset(&f, 0, sizeof(f));
    if (id == NULL || strlen(id) > 64 || strspn(id,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        strlen(id) || size < 0 ||
        b64_decode_std(json_string_value(json_object_get(rec, "header")),
        DOC_HEADER_MAX, &hdr, &hlen) != 0) {
        warnx_("%s: the server's record is malformed", id != NULL ? id : "?");
        return (EXIT_INTEGRITY);
    }
    t = rfc3339(json_string_value(json_object_get(rec, "created_at")));
    side = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, "
                     "s:O?}",
        "format", "coffre-raw-v1", "document", id, "class",
        json_object_get(rec, "class"), "blob", json_object_get(rec, "blob"),
        "size", json_object_get(rec, "size"), "created_at",
        json_object_get(rec, "created_at"), "depositor",
        json_object_get(rec, "depositor"), "metadata",
        json_object_get(rec, "metadata"), "signature",
        json_object_get(rec, "signature"), "signer_key",
        json_object_get(rec, "signer_key"));
    if (side == NULL || (text = json_dumps(side, JSON_INDENT(2) |
        JSON_SORT_KEYS)) == NULL) {
        goto done;
    }
    snprintf(path, sizeof(path), "raw/%s.json", id);
    if (export_add_buf(x->a, path, text, strlen(text), t) != 0) {
        goto archive;
    }
    snprintf(path, sizeof(path), "raw/%s.age", id);
    if (export_entry_begin(x->a, path, hlen + (uint64_t)size, t) != 0 ||
        export_entry_data(x->a, hdr, hlen) != 0) {
        goto archive;
    }
    f.cipher_sink = entry_sink;
    f.cipher_cookie = x->a;
    f.label = id;
    if ((rc = fetchdoc_run(x->s, rec, x->k->x25519_sk, &f)) != EXIT_OK) {
        goto done;
    }
    if (f.ct_size != (uint64_t)size) {
        warnx_("%s: the blob's size is not the record's", id);
        rc = EXIT_INTEGRITY;
        goto done;
    }
    rc = EXIT_ERR;
    if (export_entry_end(x->a) != 0) {
        goto archive;
    }
    json_object_set_new(side, "path", json_string(path));
    json_object_del(side, "metadata");
    json_object_del(side, "signature");
    if (man_add(x, side) != 0) {
        goto done;
    }
    rc = EXIT_OK;
    goto done;

archive:
    warnx_("%s: archive: %s", path, export_writer_error(x->a));
done:
    free(text);
    free(hdr);
    json_decref(side);
    return (rc);
}

/*
 * Member ${name}: ${pre}, then what temp stream ${f} holds, then ${post}.
 */
static int
add_stream(struct exp *x, const char *name, const char *pre, FILE *f,
    const char *post)
{
    uint8_t buf[16384];
    long len;
    size_t n;

    if (fflush(f) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
        export_entry_begin(x->a, name, strlen(pre) + (uint64_t)len +
        strlen(post), x->now) != 0 ||
        export_entry_data(x->a, (const uint8_t *)pre, strlen(pre)) != 0) {
        return (-1);
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (export_entry_data(x->a, buf, n) != 0) {
            return (-1);
        }
    }
    if (ferror(f) ||
        export_entry_data(x->a, (const uint8_t *)post, strlen(post)) != 0) {
        return (-1);
    }
    return (export_entry_end(x->a));
}

/* auditchain_stream() callback: one entry, one line. */
static int
audit_line(void *cookie, json_t *v)
{
    char *line;
    int rc;

    if ((line = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        return (-1);
    }
    rc = fprintf(cookie, "%s\n", line) < 0 ? -1 : 0;
    free(line);
    return (rc);
}

/*
 * audit.jsonl: the vault's log, verified as it is fetched (hash chain,
 * server signature with the pinned key), one entry per line, then the
 * signed head.  Return an exit code (EXIT_INTEGRITY: the log does not
 * verify).
 */
static int
export_audit(struct exp *x)
{
    json_t *head = NULL, *v;
    uint8_t hhash[DIGEST_BYTES];
    uint64_t hseq;
    char *line = NULL;
    FILE *f;
    int rc;

    if ((f = tmp_stream()) == NULL) {
        return (EXIT_ERR);
    }
    if ((rc = auditchain_stream(x->s, audit_line, f, &head, &hseq,
        hhash)) != EXIT_OK) {
        if (rc == EXIT_INTEGRITY) {
            warnx_("the audit log does not verify: no export");
        }
        goto done;
    }
    rc = EXIT_ERR;
    v = json_pack("{s:O?, s:b}", "head", head, "verified", 1);
    line = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(v);
    if (line == NULL || fprintf(f, "%s\n", line) < 0 ||
        add_stream(x, "audit.jsonl", "", f, "") != 0) {
        goto done;
    }
    rc = EXIT_OK;

done:
    free(line);
    json_decref(head);
    fclose(f);
    return (rc);
}

/* manifest.json around the entries written so far. */
static int
export_manifest(struct exp *x)
{
    json_t *v = NULL, *w = NULL;
    char *server = NULL, *vault = NULL, *post = NULL;
    size_t len;
    int rc = -1;

    if ((v = json_string(x->s->server)) == NULL ||
        (w = json_string(x->s->account)) == NULL ||
        (server = json_dumps(v, JSON_ENCODE_ANY)) == NULL ||
        (vault = json_dumps(w, JSON_ENCODE_ANY)) == NULL ||
        (post = malloc(len = strlen(server) + strlen(vault) + 256)) ==
        NULL) {
        goto done;
    }
    snprintf(post, len, "\n  ],\n  \"count\": %zu,\n"
        "  \"exported_at\": %lld,\n  \"format\": \"%s\",\n"
        "  \"server\": %s,\n  \"vault\": %s\n}\n", x->ndocs,
        (long long)x->now, x->raw ? "coffre-export-raw-v1"
                                  : "coffre-export-v1", server, vault);
    rc = add_stream(x, "manifest.json", "{\n  \"documents\": [\n", x->man,
        post);

done:
    free(post);
    free(vault);
    free(server);
    json_decref(w);
    json_decref(v);
    return (rc);
}

/* The members after the documents: signers, manifest, sums. */
static int
export_tail(struct exp *x)
{
    struct minisig_pubkey pk;
    json_t *v;
    const char *dep, *key;
    char pub[512];

    if (!x->raw) {
        json_object_foreach(x->signers, dep, v) {
            key = json_string_value(json_object_get(v, "key"));
            if (key == NULL ||
                minisig_pubkey_parse(key, strlen(key), &pk) != 0 ||
                minisig_pubkey_file(&pk, pub, sizeof(pub)) < 0 ||
                export_add_buf(x->a, json_string_value(json_object_get(v,
                "file")), pub, strlen(pub), x->now) != 0) {
                warnx_("signer %s: unusable key", dep);
                return (-1);
            }
        }
    }
    if (export_manifest(x) != 0 ||
        (!x->raw && add_stream(x, "SHA256SUMS", "", x->sums, "") != 0)) {
        return (-1);
    }
    return (0);
}

/*
 * Export every document of the vault, one page of the listing at a time
 * (newest first, as the server lists them: a deterministic order), so
 * that the records are never all held at once.  Return an exit code.
 */
static int
export_all(struct exp *x)
{
    json_t *resp = NULL, *rec;
    char *ev, *ec = NULL, *path = NULL, *cur = NULL;
    size_t i, len;
    int rc = EXIT_ERR;

    if ((ev = http_escape(x->s->account)) == NULL) {
        return (EXIT_ERR);
    }
    for (;;) {
        len = strlen(ev) + 64 + (ec != NULL ? strlen(ec) : 0);
        if ((path = malloc(len)) == NULL) {
            rc = EXIT_ERR;
            break;
        }
        snprintf(path, len, "/v1/vaults/%s/documents?limit=200%s%s", ev,
            ec != NULL ? "&cursor=" : "", ec != NULL ? ec : "");
        rc = api_call(x->s, "GET", path, NULL, 200, "list", &resp);
        free(path);
        path = NULL;
        if (rc != EXIT_OK) {
            break;
        }
        json_array_foreach(json_object_get(resp, "documents"), i, rec) {
            rc = x->raw ? export_raw(x, rec) : export_plain(x, rec);
            if (rc != EXIT_OK) {
                break;
            }
        }
        free(ec);
        ec = NULL;
        free(cur);
        cur = NULL;
        if (rc == EXIT_OK &&
            json_string_value(json_object_get(resp, "next")) != NULL &&
            ((cur = strdup(json_string_value(json_object_get(resp,
            "next")))) == NULL || (ec = http_escape(cur)) == NULL)) {
            rc = EXIT_ERR;
        }
        json_decref(resp);
        resp = NULL;
        if (rc != EXIT_OK || ec == NULL) {
            break;
        }
    }
    free(cur);
    free(ec);
    free(ev);
    return (rc);
}

int
cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"raw", no_argument, NULL, OPT_RAW},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *passfile = NULL, *fmtname = NULL;
    enum export_format fmt;
    struct outfile of;
    struct exp x;
    int c, rc, opened = 0;

    memset(&x, 0, sizeof(x));
    /* Member names are UTF-8: let libarchive convert them as such. */
    (void)setlocale(LC_CTYPE, "C.UTF-8");
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORMAT: fmtname = optarg; break;
        case OPT_RAW: x.raw = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("export"));
        default: return (usage_error("export", "bad option"));
        }
    }
    if (optind != argc || out == NULL) {
        return (usage_error("export", "give the archive with -o FILE"));
    }
    if (fmtname != NULL ? export_format_parse(fmtname, &fmt) != 0
                        : export_format_from_name(out, &fmt) != 0) {
        return (usage_error("export", "format: tar, tar.gz or zip (from "
                                      "the name, or --format)"));
    }
    if ((rc = session_open(passfile, 1, &x.s)) != EXIT_OK) {
        return (rc);
    }
    rc = EXIT_ERR;
    x.now = (int64_t)time(NULL);
    if ((x.k = session_keys(x.s)) == NULL) {
        rc = EXIT_AUTH;
        goto done;
    }
    rc = EXIT_ERR;
    if ((x.used = json_object()) == NULL ||
        (x.signers = json_object()) == NULL ||
        (x.man = tmp_stream()) == NULL ||
        (x.sums = tmp_stream()) == NULL) {
        goto done;
    }
    if (outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    opened = 1;
    if ((x.a = export_writer_new(of.fd, fmt)) == NULL) {
        warnx_("%s: cannot start the archive", out);
        goto done;
    }
    if (!x.raw && export_add_buf(x.a, "README.txt", readme_text,
        strlen(readme_text), x.now) != 0) {
        warnx_("%s: archive: %s", out, export_writer_error(x.a));
        goto done;
    }
    if (!x.raw && (rc = export_audit(&x)) != EXIT_OK) {
        goto done;
    }
    if ((rc = export_all(&x)) != EXIT_OK) {
        warnx_("export stopped; %s not written", out);
        goto done;
    }
    rc = EXIT_ERR;
    if (export_tail(&x) != 0) {
        warnx_("%s: archive: %s", out, export_writer_error(x.a));
        goto done;
    }
    c = export_writer_close(x.a);
    x.a = NULL;
    if (c != 0) {
        warnx_("%s: cannot finish the archive", out);
        goto done;
    }
    opened = 0;
    if (outfile_commit(&of) != 0) {
        goto done;
    }
    infox("exported %zu documents to %s", x.ndocs, out);
    rc = EXIT_OK;

done:
    export_writer_abort(x.a);
    if (opened) {
        outfile_abort(&of);
    }
    if (x.sums != NULL) {
        fclose(x.sums);
    }
    if (x.man != NULL) {
        fclose(x.man);
    }
    json_decref(x.signers);
    json_decref(x.used);
    session_free(x.s);
    return (rc);
}

/* ------------------------------------------------------------------ */
/* Import */

/* One import in progress. */
struct imp {
    struct session *s;
    struct keys *k;
    const char *class;
    char tc[256];
    char mykey[MINISIG_PUBKEY_B64_LEN + 1];  /* my minisign key, RW... */
    json_t *known;        /* import keys already in the vault */
    json_t *side;         /* raw: the last sidecar read */
    int fd;               /* the current entry's bytes (unlinked) */
    int raw;
    int stop;             /* an exit code that stops the import */
    unsigned long imported, present, failed, refused;
};

static int
imp_begin(void *cookie, const char *path)
{
    struct imp *m = cookie;

    (void)path;
    return ((m->fd = tmpfile_fd()) < 0 ? -1 : 0);
}

static int
imp_data(void *cookie, const uint8_t *buf, size_t len)
{
    struct imp *m = cookie;

    return (write_all(m->fd, buf, len));
}

static void
imp_drop(void *cookie)
{
    struct imp *m = cookie;

    if (m->fd >= 0) {
        close(m->fd);
    }
    m->fd = -1;
}

static void
imp_refuse(void *cookie, const char *raw, const char *reason)
{
    struct imp *m = cookie;
    char p[256];

    export_printable(raw, p, sizeof(p));
    warnx_("refused %s: %s", p[0] != '\0' ? p : "(no name)", reason);
    m->refused++;
}

/* The idempotency key of entry ${path} with plaintext digest ${sha}. */
static void
import_key(const char *path, const uint8_t sha[DIGEST_BYTES],
    char out[80])
{
    struct digest *d;
    uint8_t h[DIGEST_BYTES];
    char hex[2 * DIGEST_BYTES + 1];

    memset(h, 0, sizeof(h));
    if ((d = digest_new()) != NULL) {
        digest_update(d, (const uint8_t *)"coffre-import-v1", 17);
        digest_update(d, (const uint8_t *)path, strlen(path) + 1);
        digest_update(d, sha, DIGEST_BYTES);
        digest_final(d, h);
        digest_free(d);
    }
    hexstr(h, DIGEST_BYTES, hex);
    snprintf(out, 80, "import-%s", hex);
}

/* ops->end for an ordinary import: deposit the entry. */
static int
imp_end(void *cookie, const char *path, uint64_t size,
    const uint8_t sha[DIGEST_BYTES])
{
    struct imp *m = cookie;
    json_t *extra;
    char key[80], *id = NULL;
    int rc;

    (void)size;
    import_key(path, sha, key);
    if (json_object_get(m->known, key) != NULL) {
        infox("already in the safe: %s", path);
        m->present++;
        imp_drop(m);
        return (0);
    }
    if (lseek(m->fd, 0, SEEK_SET) != 0 ||
        (extra = json_pack("{s:s}", "import_key", key)) == NULL) {
        imp_drop(m);
        return (-1);
    }
    rc = docs_deposit(m->s, m->s->account, m->fd, path, m->class,
        m->k->x25519_pk, m->tc, extra, key, NULL, &id);
    json_decref(extra);
    imp_drop(m);
    if (rc != EXIT_OK) {
        warnx_("%s: not imported", path);
        m->failed++;
        if (rc == EXIT_AUTH) {
            m->stop = rc;
            return (-1);
        }
        return (0);
    }
    json_object_set_new(m->known, key, json_true());
    printf("%s\t%s\n", term_text(id), term_text(path));
    m->imported++;
    free(id);
    return (0);
}

/* The import keys of the documents already in the vault. */
static int
known_keys(struct imp *m)
{
    json_t *all, *rec, *meta;
    const char *k;
    size_t i;
    int rc;

    if ((m->known = json_object()) == NULL) {
        return (EXIT_ERR);
    }
    if ((rc = docs_list(m->s, NULL, &all)) != EXIT_OK) {
        return (rc);
    }
    json_array_foreach(all, i, rec) {
        meta = doc_meta_open(json_string_value(json_object_get(rec,
            "metadata")), m->k->x25519_sk);
        k = json_string_value(json_object_get(meta, "import_key"));
        if (k != NULL) {
            json_object_set_new(m->known, k, json_true());
        }
        json_decref(meta);
    }
    json_decref(all);
    return (EXIT_OK);
}

/* Read the whole current entry (at most ${max} bytes) into memory. */
static char *
slurp(int fd, uint64_t size, size_t max)
{
    char *buf;
    size_t got;

    if (size > max || lseek(fd, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)size + 1)) == NULL) {
        return (NULL);
    }
    if (fd_read_cb(&fd, (uint8_t *)buf, (size_t)size, &got) != 0 ||
        got != size) {
        free(buf);
        return (NULL);
    }
    buf[size] = '\0';
    return (buf);
}

/* The payload being checked while copied out of a raw .age entry. */
struct rawcopy {
    int out;
    struct digest *blob;      /* over the payload */
    struct digest *plain;     /* over the plaintext */
    struct minisig_hash *mv;  /* to verify the original signature */
    struct minisig_hash *ms;  /* to sign again, if another's */
};

/* age_write_fn: plaintext into the hashes. */
static int
raw_plain(void *cookie, const uint8_t *buf, size_t len)
{
    struct rawcopy *c = cookie;

    digest_update(c->plain, buf, len);
    minisig_hash_update(c->mv, buf, len);
    minisig_hash_update(c->ms, buf, len);
    return (0);
}

/*
 * Copy the payload after the header (${used} bytes) of ${fd} to ${c}->out,
 * decrypting it with ${fk} on the way.  Return 0 or an AGE_E* / -1.
 */
static int
raw_copy(int fd, size_t used, const uint8_t fk[AGE_FILE_KEY_BYTES],
    struct rawcopy *c)
{
    struct age_stream *st;
    uint8_t *buf;
    size_t got;
    int err = -1;

    if (lseek(fd, (off_t)used, SEEK_SET) != (off_t)used ||
        (buf = malloc(AGE_CHUNK_BYTES)) == NULL) {
        return (-1);
    }
    if ((st = age_stream_new_decrypt(fk)) == NULL) {
        free(buf);
        return (-1);
    }
    for (;;) {
        if (fd_read_cb(&fd, buf, AGE_CHUNK_BYTES, &got) != 0) {
            goto done;
        }
        if (got == 0) {
            break;
        }
        digest_update(c->blob, buf, got);
        if (write_all(c->out, buf, got) != 0 ||
            (err = age_stream_update(st, buf, got, raw_plain, c)) != 0) {
            goto done;
        }
        err = -1;
    }
    err = age_stream_final(st, raw_plain, c);

done:
    age_stream_free(st);
    free(buf);
    return (err);
}

/* Metadata for a document signed by someone else: keep the origin. */
static char *
raw_meta(struct imp *m, json_t *side)
{
    json_t *meta;
    char *b64 = NULL;

    meta = doc_meta_open(json_string_value(json_object_get(side,
        "metadata")), m->k->x25519_sk);
    if (meta == NULL && (meta = json_pack("{s:i, s:O?}", "v", 1, "name",
        json_object_get(side, "document"))) == NULL) {
        return (NULL);
    }
    json_object_set_new(meta, "origin", json_pack("{s:O?, s:O?, s:O?, s:O?}",
        "document", json_object_get(side, "document"), "depositor",
        json_object_get(side, "depositor"), "signature",
        json_object_get(side, "signature"), "signer_key",
        json_object_get(side, "signer_key")));
    if (doc_meta_seal(meta, m->k->x25519_pk, &b64) != 0) {
        b64 = NULL;
    }
    json_decref(meta);
    return (b64);
}

/* PUT the payload in ${fd} as ${blob}, then POST the record ${body}. */
static int
raw_deposit(struct imp *m, const char *blob, int fd, uint64_t size,
    json_t *body)
{
    json_t *resp = NULL;
    char *ev = NULL, *path = NULL, *a;
    long status;
    int rc = EXIT_ERR;

    if ((ev = http_escape(blob)) == NULL ||
        (path = str_concat("/v1/blobs/", ev)) == NULL) {
        goto done;
    }
    if (http_put_fd(m->s->http, path, fd, size, &status, &resp) != 0) {
        goto done;
    }
    if (status == 401) {
        json_decref(resp);
        resp = NULL;
        if ((rc = session_login(m->s)) != EXIT_OK ||
            http_put_fd(m->s->http, path, fd, size, &status, &resp) != 0) {
            rc = (rc == EXIT_OK) ? EXIT_ERR : rc;
            goto done;
        }
    }
    if (status != 200 && status != 201) {
        rc = http_error_exit("upload", status, resp);
        goto done;
    }
    json_decref(resp);
    resp = NULL;
    free(path);
    free(ev);
    path = NULL;
    if ((ev = http_escape(m->s->account)) == NULL ||
        (a = str_concat("/v1/vaults/", ev)) == NULL) {
        goto done;
    }
    path = str_concat(a, "/documents");
    free(a);
    if (path == NULL) {
        goto done;
    }
    rc = api_call(m->s, "POST", path, body, 0, "deposit", &resp);

done:
    json_decref(resp);
    free(path);
    free(ev);
    return (rc);
}

/* Check and re-deposit the raw document in m->fd (${size} bytes). */
static int
raw_import_one(struct imp *m, const char *id, uint64_t size)
{
    struct rawcopy c;
    struct age_header *h = NULL;
    json_t *side = m->side, *body = NULL;
    const char *sig, *skey, *blob, *cls;
    uint8_t *hdr = NULL, *fk = NULL, dig[DIGEST_BYTES], want[DIGEST_BYTES];
    char *hdr64 = NULL, *meta64 = NULL, *sigbuf = NULL, key[80];
    char hex[2 * DIGEST_BYTES + 1], tc[512];
    struct minisig_pubkey pk;
    struct minisig ms;
    size_t n, used;
    int rc = EXIT_INTEGRITY, e;

    memset(&c, 0, sizeof(c));
    c.out = -1;
    sig = json_string_value(json_object_get(side, "signature"));
    skey = json_string_value(json_object_get(side, "signer_key"));
    blob = json_string_value(json_object_get(side, "blob"));
    cls = json_string_value(json_object_get(side, "class"));
    if (sig == NULL || skey == NULL || blob == NULL || cls == NULL ||
        !docs_class_valid(cls) ||
        digest_id_parse(blob, strlen(blob), want) != 0 ||
        minisig_parse(sig, strlen(sig), &ms) != 0 ||
        minisig_pubkey_parse(skey, strlen(skey), &pk) != 0) {
        warnx_("raw/%s: its sidecar is malformed", id);
        goto done;
    }
    n = size < AGE_MAX_HEADER_BYTES ? (size_t)size : AGE_MAX_HEADER_BYTES;
    if ((hdr = (uint8_t *)slurp(m->fd, n, AGE_MAX_HEADER_BYTES)) == NULL ||
        age_header_parse(hdr, n, &h, &used) != 0 ||
        used > DOC_HEADER_MAX || (hdr64 = b64_encode_std(hdr, used)) ==
        NULL) {
        warnx_("raw/%s: not an age file", id);
        goto done;
    }
    if ((fk = secmem_alloc(AGE_FILE_KEY_BYTES)) == NULL ||
        (e = doc_unwrap(hdr64, m->k->x25519_sk, fk)) != 0) {
        warnx_("raw/%s: not for this safe's key", id);
        goto done;
    }
    rc = EXIT_ERR;
    if ((c.out = tmpfile_fd()) < 0 || (c.blob = digest_new()) == NULL ||
        (c.plain = digest_new()) == NULL ||
        (c.mv = minisig_hash_new()) == NULL ||
        (c.ms = minisig_hash_new()) == NULL) {
        goto done;
    }
    rc = EXIT_INTEGRITY;
    if ((e = raw_copy(m->fd, used, fk, &c)) != 0) {
        warnx_("raw/%s: %s", id, e < -1 ? age_strerror(e) : "read error");
        goto done;
    }
    digest_final(c.blob, dig);
    if (!secmem_eq(dig, want, DIGEST_BYTES)) {
        warnx_("raw/%s: the payload does not match its blob id", id);
        goto done;
    }
    if ((e = minisig_verify(c.mv, &ms, &pk)) != 0) {
        warnx_("raw/%s: signature check failed: %s", id,
            minisig_strerror(e));
        goto done;
    }
    rc = EXIT_ERR;
    if (strcmp(skey, m->mykey) == 0) {
        body = json_pack("{s:s, s:s, s:s, s:O?, s:s}", "blob", blob,
            "class", cls, "header", hdr64, "metadata",
            json_object_get(side, "metadata"), "signature", sig);
    } else {
        /* Another author: sign again, keep theirs in the metadata. */
        digest_final(c.plain, dig);
        hexstr(dig, DIGEST_BYTES, hex);
        snprintf(tc, sizeof(tc), "coffre-doc-v1\tvault:%s\tclass:%s\t"
            "sha256:%s", m->s->account, cls, hex);
        if ((sigbuf = malloc(SIG_BUF)) == NULL ||
            minisig_sign(c.ms, &m->k->sign, NULL, tc, sigbuf, SIG_BUF) < 0 ||
            (meta64 = raw_meta(m, side)) == NULL) {
            goto done;
        }
        body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "blob", blob, "class",
            cls, "header", hdr64, "metadata", meta64, "signature", sigbuf);
    }
    snprintf(key, sizeof(key), "raw-%s", id);
    if (body == NULL || json_object_set_new(body, "idempotency_key",
        json_string(key)) != 0) {
        goto done;
    }
    if ((rc = raw_deposit(m, blob, c.out, size - used, body)) == EXIT_OK) {
        printf("%s\traw/%s.age\n", term_text(id), term_text(id));
    }

done:
    json_decref(body);
    free(sigbuf);
    free(meta64);
    free(hdr64);
    free(hdr);
    secmem_free(fk);
    age_header_free(h);
    minisig_hash_free(c.ms);
    minisig_hash_free(c.mv);
    digest_free(c.plain);
    digest_free(c.blob);
    if (c.out >= 0) {
        close(c.out);
    }
    return (rc);
}

/* The document id of member "raw/ID.SUFFIX", into ${id}; -1 if not one. */
static int
raw_member(const char *path, const char *suffix, char id[65])
{
    size_t n = strlen(path), s = strlen(suffix);

    if (strncmp(path, "raw/", 4) != 0 || n <= 4 + s || n - 4 - s > 64 ||
        strcmp(path + n - s, suffix) != 0) {
        return (-1);
    }
    memcpy(id, path + 4, n - 4 - s);
    id[n - 4 - s] = '\0';
    return (0);
}

/* ops->end for --raw: remember sidecars, re-deposit .age members. */
static int
raw_end(void *cookie, const char *path, uint64_t size,
    const uint8_t sha[DIGEST_BYTES])
{
    struct imp *m = cookie;
    const char *sid;
    char id[65], *text;
    int rc;

    (void)sha;
    if (raw_member(path, ".json", id) == 0) {
        json_decref(m->side);
        m->side = NULL;
        if ((text = slurp(m->fd, size, RAW_SIDECAR_MAX)) != NULL) {
            m->side = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
            free(text);
        }
        sid = json_string_value(json_object_get(m->side, "document"));
        if (sid == NULL || strcmp(sid, id) != 0) {
            warnx_("refused %s: not a coffre sidecar", path);
            m->refused++;
            json_decref(m->side);
            m->side = NULL;
        }
    } else if (raw_member(path, ".age", id) == 0) {
        sid = json_string_value(json_object_get(m->side, "document"));
        if (sid == NULL || strcmp(sid, id) != 0) {
            warnx_("refused %s: no sidecar before it", path);
            m->refused++;
        } else if ((rc = raw_import_one(m, id, size)) == EXIT_OK) {
            m->imported++;
        } else {
            m->failed++;
            if (rc == EXIT_AUTH) {
                m->stop = rc;
            }
        }
    }
    imp_drop(m);
    return (m->stop != 0 ? -1 : 0);
}

int
cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, OPT_CLASS},
        {"raw", no_argument, NULL, OPT_RAW},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct export_scan_ops ops = { imp_begin, imp_data, imp_end, imp_drop,
        imp_refuse };
    struct export_scan_stats st;
    struct minisig_pubkey pk;
    const char *passfile = NULL;
    struct archive *a = NULL;
    struct stat sb;
    struct imp m;
    int c, rc, fd = -1, r;

    memset(&m, 0, sizeof(m));
    m.fd = -1;
    m.class = "other";
    /* Zip and pax names are UTF-8: libarchive can only hand them over
     * in a UTF-8 locale (in "C" they come back empty). */
    (void)setlocale(LC_CTYPE, "C.UTF-8");
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case OPT_CLASS: m.class = optarg; break;
        case OPT_RAW: m.raw = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("import"));
        default: return (usage_error("import", "bad option"));
        }
    }
    if (argc - optind != 1) {
        return (usage_error("import", "name one ARCHIVE"));
    }
    if (!docs_class_valid(m.class)) {
        return (usage_error("import", "unknown class '%s'", m.class));
    }
    errno = 0;
    if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) < 0 ||
        fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        warnx_("%s: %s", argv[optind], errno != 0 ? strerror(errno)
                                                   : "not a file");
        if (fd >= 0) {
            close(fd);
        }
        return (EXIT_ERR);
    }
    if ((rc = session_open(passfile, 1, &m.s)) != EXIT_OK) {
        close(fd);
        return (rc);
    }
    rc = EXIT_ERR;
    if ((m.k = session_keys(m.s)) == NULL) {
        rc = EXIT_AUTH;
        goto done;
    }
    minisig_seckey_public(&m.k->sign, &pk);
    minisig_pubkey_encode(&pk, m.mykey);
    snprintf(m.tc, sizeof(m.tc), "coffre-doc-v1\tvault:%s\tclass:%s",
        m.s->account, m.class);
    if (!m.raw && (rc = known_keys(&m)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if (m.raw) {
        ops.end = raw_end;
    }
    if ((a = export_reader_new()) == NULL ||
        archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
        warnx_("%s: not a tar or zip archive", argv[optind]);
        goto done;
    }
    r = export_scan(a, (uint64_t)sb.st_size, &ops, &m, &st);
    imp_drop(&m);
    if (r == EXPORT_EBOMB) {
        warnx_("%s: stopped: it expands past the bounds (over 1 GiB, or "
               "over 100 times its size, or over %d entries); the rest is "
               "not imported", argv[optind], EXPORT_IMPORT_MAX_ENTRIES);
    } else if (r == EXPORT_EARCHIVE) {
        warnx_("%s: damaged or unreadable archive: %s; the rest is not "
               "imported", argv[optind], archive_error_string(a) != NULL ?
               archive_error_string(a) : "no detail");
    }
    infox("%lu imported, %lu already there, %lu refused, %lu failed",
        m.imported, m.present, m.refused, m.failed);
    if (m.stop != 0) {
        rc = m.stop;
    } else if (r == EXPORT_OK && m.refused == 0 && m.failed == 0) {
        rc = EXIT_OK;
    }

done:
    if (a != NULL) {
        archive_read_free(a);
    }
    json_decref(m.side);
    json_decref(m.known);
    session_free(m.s);
    close(fd);
    return (rc);
}
