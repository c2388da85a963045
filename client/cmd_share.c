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
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * Sharing: grants to another person or the account service (a new age
 * header for the same blob), share links (a header for a throw-away key
 * whose secret lives only in the link's fragment), and fetching a link.
 */

enum { OPT_PASSFILE = 256, OPT_WITH, OPT_EXPIRES, OPT_USES, OPT_FORCE };

#define LINK_MAX_BYTES ((uint64_t)65 * 1024 * 1024) /* blob limit + header */

/* Which directory a share target lives in. */
static const char *
target_kind(const char *t)
{
    size_t n = strlen(t), i;

    if (n == 14) {
        for (i = 0; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
            ;
        }
        if (i == n) {
            return ("employer");
        }
    }
    if (n == 16 && t[4] == '-' && t[9] == '-' && t[14] == '-') {
        return ("vault");
    }
    return ("service");
}

int
docs_lookup_reader(struct session *s, const char *target, char **account,
    uint8_t rcpt[AGE_X25519_BYTES])
{
    const char *kind = target_kind(target), *r, *a;
    json_t *resp = NULL;
    char *e, *p1, *path;
    int rc;

    *account = NULL;
    if (strcmp(kind, "employer") == 0) {
        warnx_("%s is an employer: employers deposit but can never read a "
               "document", target);
        return (EXIT_USAGE);
    }
    if ((e = http_escape(target)) == NULL) {
        return (EXIT_ERR);
    }
    p1 = str_concat(strcmp(kind, "vault") == 0 ? "/v1/directory/vaults/"
                                               : "/v1/directory/services/",
        e);
    free(e);
    if ((path = p1) == NULL) {
        return (EXIT_ERR);
    }
    rc = api_call(s, "GET", path, NULL, 200, target, &resp);
    free(path);
    if (rc != EXIT_OK) {
        return (rc);
    }
    r = json_string_value(json_object_get(resp, "age_recipient"));
    a = json_string_value(json_object_get(resp, "account"));
    if (r == NULL || a == NULL || keys_recipient_decode(r, rcpt) != 0 ||
        (*account = strdup(a)) == NULL) {
        warnx_("the key directory's answer for %s is unusable", target);
        json_decref(resp);
        return (EXIT_ERR);
    }
    json_decref(resp);
    return (EXIT_OK);
}

/* Parse "7d", "12h", "30m", "45s" or plain seconds. */
static int
parse_duration(const char *s, unsigned long long *secs)
{
    char num[32];
    size_t n = strlen(s);
    unsigned long long v, mul = 1;

    if (n == 0 || n >= sizeof(num)) {
        return (-1);
    }
    memcpy(num, s, n + 1);
    switch (num[n - 1]) {
    case 'd': mul = 86400; num[n - 1] = '\0'; break;
    case 'h': mul = 3600; num[n - 1] = '\0'; break;
    case 'm': mul = 60; num[n - 1] = '\0'; break;
    case 's': num[n - 1] = '\0'; break;
    default: break;
    }
    if (parse_uint(num, 31536000ULL, &v) != 0) {
        return (-1);
    }
    *secs = v * mul;
    return (0);
}

/* Open my header on record ${rec} into ${fk} (secmem). */
static int
my_file_key(struct session *s, json_t *rec, uint8_t *fk)
{
    struct keys *k;
    int e;

    if ((k = session_keys(s)) == NULL) {
        return (EXIT_AUTH);
    }
    if ((e = doc_unwrap(json_string_value(json_object_get(rec, "header")),
             k->x25519_sk, fk)) != 0) {
        warnx_("cannot open the document's key: %s", age_strerror(e));
        return (e == AGE_EAUTH ? EXIT_INTEGRITY : EXIT_ERR);
    }
    return (EXIT_OK);
}

/* Shared option parsing of share/unshare. */
static int
parse_with(int argc, char **argv, const char *cmd, const char **with,
    const char **passfile)
{
    static const struct option opts[] = {
        {"with", required_argument, NULL, OPT_WITH},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
        case OPT_WITH: *with = optarg; break;
        case OPT_PASSFILE: *passfile = optarg; break;
        case 'h': command_help(cmd); return (-1);
        default: return (usage_error(cmd, "bad option"));
        }
    }
    if (*with == NULL || argc - optind != 1) {
        return (usage_error(cmd, "need one document ID and --with "
                                 "VAULT|service"));
    }
    return (EXIT_OK);
}

int
docs_grant(struct session *s, json_t *rec, const char *account,
    const uint8_t rcpt[AGE_X25519_BYTES])
{
    uint8_t *fk = NULL;
    json_t *body = NULL, *resp = NULL;
    char *hdr = NULL, *e = NULL, *p = NULL, *path = NULL;
    const char *id;
    int rc = EXIT_ERR;

    if ((fk = secmem_alloc(AGE_FILE_KEY_BYTES)) == NULL) {
        goto done;
    }
    if ((rc = my_file_key(s, rec, fk)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if (doc_header_for(fk, rcpt, &hdr) != 0) {
        goto done;
    }
    /*
     * Only the header: the server keeps no per-grantee metadata, so the
     * grantee sees the document's class and size but not its name.
     */
    body = json_pack("{s:s}", "header", hdr);
    id = json_string_value(json_object_get(rec, "document"));
    if (body == NULL || id == NULL || (e = http_escape(account)) == NULL ||
        (p = str_concat("/grants/", e)) == NULL ||
        (path = docs_path(id, p)) == NULL) {
        goto done;
    }
    rc = api_call(s, "PUT", path, body, 0, "share", &resp);

done:
    json_decref(resp);
    json_decref(body);
    secmem_free(fk);
    free(hdr);
    free(e);
    free(p);
    free(path);
    return (rc);
}

int
cmd_share(int argc, char **argv)
{
    const char *with = NULL, *passfile = NULL;
    uint8_t rcpt[AGE_X25519_BYTES];
    struct session *s = NULL;
    json_t *rec = NULL;
    char *account = NULL;
    int rc;

    if ((rc = parse_with(argc, argv, "share", &with, &passfile)) != EXIT_OK) {
        return (rc < 0 ? EXIT_OK : rc);
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((rc = docs_resolve(s, argv[optind], &rec)) != EXIT_OK ||
        (rc = docs_lookup_reader(s, with, &account, rcpt)) != EXIT_OK) {
        goto done;
    }
    if ((rc = docs_grant(s, rec, account, rcpt)) == EXIT_OK) {
        infox("%s shared with %s",
            json_string_value(json_object_get(rec, "document")), account);
    }

done:
    json_decref(rec);
    free(account);
    session_free(s);
    return (rc);
}

int
cmd_unshare(int argc, char **argv)
{
    const char *with = NULL, *passfile = NULL, *id;
    struct session *s = NULL;
    json_t *rec = NULL, *resp = NULL;
    char *e = NULL, *p = NULL, *path = NULL;
    int rc;

    if ((rc = parse_with(argc, argv, "unshare", &with, &passfile)) !=
        EXIT_OK) {
        return (rc < 0 ? EXIT_OK : rc);
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((rc = docs_resolve(s, argv[optind], &rec)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    id = json_string_value(json_object_get(rec, "document"));
    if (id == NULL || (e = http_escape(with)) == NULL ||
        (p = str_concat("/grants/", e)) == NULL ||
        (path = docs_path(id, p)) == NULL) {
        goto done;
    }
    if ((rc = api_call(s, "DELETE", path, NULL, 204, "unshare", &resp)) ==
        EXIT_OK) {
        infox("%s no longer shared with %s", id, with);
    }

done:
    json_decref(resp);
    json_decref(rec);
    free(e);
    free(p);
    free(path);
    session_free(s);
    return (rc);
}

int
cmd_link(int argc, char **argv)
{
    static const struct option opts[] = {
        {"expires", required_argument, NULL, OPT_EXPIRES},
        {"uses", required_argument, NULL, OPT_USES},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL, *id, *lpath;
    unsigned long long expires = 7 * 86400, uses = 1;
    struct session *s = NULL;
    struct keys *eph = NULL;
    json_t *rec = NULL, *body = NULL, *resp = NULL;
    uint8_t *fk = NULL;
    char *hdr = NULL, *path = NULL, *secret = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_EXPIRES:
            if (parse_duration(optarg, &expires) != 0 || expires < 60) {
                return (usage_error("link", "bad --expires '%s' (for "
                                            "example 7d, 12h, 30m)", optarg));
            }
            break;
        case OPT_USES:
            if (parse_uint(optarg, 1000, &uses) != 0 || uses == 0) {
                return (usage_error("link", "--uses takes 1 to 1000"));
            }
            break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("link"));
        default: return (usage_error("link", "bad option"));
        }
    }
    if (argc - optind != 1) {
        return (usage_error("link", "name one document ID"));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((rc = docs_resolve(s, argv[optind], &rec)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if ((fk = secmem_alloc(AGE_FILE_KEY_BYTES)) == NULL ||
        (secret = secmem_alloc(KEYS_SECRET_MAX)) == NULL) {
        goto done;
    }
    if ((rc = my_file_key(s, rec, fk)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    /* A throw-away identity: its secret goes only into the fragment. */
    if ((eph = keys_generate()) == NULL ||
        keys_secret_encode(eph->x25519_sk, secret, KEYS_SECRET_MAX) != 0 ||
        doc_header_for(fk, eph->x25519_pk, &hdr) != 0) {
        goto done;
    }
    body = json_pack("{s:s, s:I, s:I}", "header", hdr, "expires_in",
        (json_int_t)expires, "uses", (json_int_t)uses);
    id = json_string_value(json_object_get(rec, "document"));
    if (body == NULL || id == NULL || (path = docs_path(id, "/links")) == NULL) {
        goto done;
    }
    if ((rc = api_call(s, "POST", path, body, 201, "link", &resp)) !=
        EXIT_OK) {
        goto done;
    }
    if ((lpath = json_string_value(json_object_get(resp, "path"))) == NULL) {
        warnx_("link: the server's answer has no path");
        rc = EXIT_ERR;
        goto done;
    }
    {
        size_t n = strlen(s->server);

        /* The secret half never reaches the server: it is the fragment. */
        while (n > 0 && s->server[n - 1] == '/') {
            n--;
        }
        printf("%.*s%s#%s\n", (int)n, s->server, term_text(lpath), secret);
    }
    infox("expires %s, %lld use(s)",
        json_string_value(json_object_get(resp, "expires_at")),
        (long long)json_integer_value(json_object_get(resp, "uses")));

done:
    json_decref(resp);
    json_decref(body);
    json_decref(rec);
    keys_free(eph);
    secmem_free(fk);
    secmem_free(secret);
    free(hdr);
    free(path);
    session_free(s);
    return (rc);
}

/* http_sink_fn: append to a temp file, bounded. */
struct spool {
    int fd;
    uint64_t size;
};

static int
spool_sink(void *cookie, const uint8_t *buf, size_t len)
{
    struct spool *sp = cookie;

    if (sp->size + len > LINK_MAX_BYTES) {
        warnx_("the link's document is larger than any the server stores");
        return (-1);
    }
    sp->size += len;
    return (write_all(sp->fd, buf, len));
}

/* age_write_fn: plaintext to the output, hashed for the signature. */
struct fetch_out {
    int fd;
    struct minisig_hash *mh;
};

static int
fetch_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct fetch_out *fo = cookie;

    minisig_hash_update(fo->mh, buf, len);
    return (write_all(fo->fd, buf, len));
}

int
cmd_fetch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *sigtext, *key;
    char *frag;
    struct age_identity *id = NULL;
    struct spool sp = {-1, 0};
    struct fetch_out fo = {-1, NULL};
    struct http *h = NULL;
    struct outfile of;
    struct minisig sig;
    struct minisig_pubkey pk;
    json_t *err = NULL, *sresp = NULL;
    char *url = NULL, *base = NULL, *path, *spath = NULL, *sl;
    long status;
    int c, e, rc = EXIT_ERR, opened = 0, force = 0;

    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORCE: force = 1; break;
        case 'h': return (command_help("fetch"));
        default: return (usage_error("fetch", "bad option"));
        }
    }
    if (argc - optind != 1) {
        return (usage_error("fetch", "name one LINK"));
    }
    if ((url = strdup(argv[optind])) == NULL) {
        return (EXIT_ERR);
    }
    if ((frag = strchr(url, '#')) == NULL ||
        (sl = strstr(url, "/s/")) == NULL || sl > frag) {
        free(url);
        return (usage_error("fetch", "a link looks like "
                                     "URL/s/TOKEN#AGE-SECRET-KEY-1..."));
    }
    *frag = '\0';
    frag++;
    if ((id = secmem_alloc(sizeof(*id))) == NULL) {
        goto done;
    }
    id->kind = AGE_X25519;
    if (keys_secret_decode(frag, strlen(frag), id->x25519) != 0) {
        warnx_("the link's key (after #) is not an age secret key");
        rc = EXIT_USAGE;
        goto done;
    }
    secmem_wipe(frag, strlen(frag));
    path = sl;
    if ((base = strndup(url, (size_t)(sl - url))) == NULL ||
        (h = http_new(base)) == NULL ||
        (spath = str_concat(path, "/signature")) == NULL) {
        goto done;
    }

    /* The signature first: it uses no use of the link. */
    if (http_json(h, "GET", spath, NULL, 0, &status, &sresp) != 0) {
        goto done;
    }
    if (status != 200) {
        rc = http_error_exit("link", status, sresp);
        goto done;
    }
    if ((sp.fd = tmpfile_fd()) < 0) {
        goto done;
    }
    if (http_get_stream(h, path, spool_sink, &sp, &status, &err) != 0) {
        goto done;
    }
    if (status != 200) {
        rc = http_error_exit("link", status, err);
        goto done;
    }
    if (lseek(sp.fd, 0, SEEK_SET) != 0 || outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    opened = 1;
    fo.fd = of.fd;
    if ((fo.mh = minisig_hash_new()) == NULL) {
        goto done;
    }
    if ((e = age_decrypt(id, 1, fd_read_cb, &sp.fd, fetch_write, &fo)) != 0) {
        warnx_("%s; nothing written", age_strerror(e));
        rc = (e == AGE_ENOKEY || e == AGE_EFORMAT) ? EXIT_ERR : EXIT_INTEGRITY;
        goto done;
    }
    sigtext = json_string_value(json_object_get(sresp, "signature"));
    key = json_string_value(json_object_get(sresp, "signer_key"));
    if (sigtext == NULL || key == NULL ||
        minisig_parse(sigtext, strlen(sigtext), &sig) != 0 ||
        minisig_pubkey_parse(key, strlen(key), &pk) != 0 ||
        minisig_verify(fo.mh, &sig, &pk) != 0) {
        if (!force) {
            warnx_("the document's signature does not verify; nothing "
                   "written (--force keeps it anyway)");
            rc = EXIT_INTEGRITY;
            goto done;
        }
        fprintf(stderr, "coffre: WARNING: SIGNATURE DOES NOT VERIFY\n");
    } else {
        infox("signed by %s: %s", key, sig.trusted);
    }
    opened = 0;
    rc = (outfile_commit(&of) == 0) ? EXIT_OK : EXIT_ERR;

done:
    if (opened) {
        outfile_abort(&of);
    }
    if (sp.fd >= 0) {
        close(sp.fd);
    }
    minisig_hash_free(fo.mh);
    secmem_free(id);
    json_decref(err);
    json_decref(sresp);
    http_free(h);
    if (url != NULL) {
        secmem_wipe(url, strlen(url));
    }
    free(url);
    free(base);
    free(spath);
    return (rc);
}
