#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/employer.h"
#include "client/http.h"
#include "client/session.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * Set-up and account commands: init, whoami, info, passwd.
 */

enum { OPT_PASSFILE = 256, OPT_WORK_FACTOR, OPT_SERVER, OPT_JSON, OPT_FORCE,
    OPT_KIND, OPT_SIRET, OPT_NAME };

#define RECOVERY_GROUPS 6
#define RECOVERY_GROUP_LEN 5
#define RECOVERY_LEN (RECOVERY_GROUPS * (RECOVERY_GROUP_LEN + 1))

/* Crockford base32: no I, L, O, U, easy to read aloud and copy. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * A recovery code: 30 random symbols of base32 (150 bits) in six groups,
 * "XXXXX-XXXXX-...".  ${code} is secmem of RECOVERY_LEN bytes.
 */
static void
recovery_code(char *code)
{
    uint8_t r[RECOVERY_GROUPS * RECOVERY_GROUP_LEN];
    size_t i, n = 0;

    secmem_random(r, sizeof(r));
    for (i = 0; i < sizeof(r); i++) {
        if (i > 0 && i % RECOVERY_GROUP_LEN == 0) {
            code[n++] = '-';
        }
        code[n++] = crockford[r[i] & 31];
    }
    code[n] = '\0';
    secmem_wipe(r, sizeof(r));
}

/* Write key file ${path} for ${k} under ${pass}. */
static int
write_keyfile(const char *path, const struct keys *k, const char *pass,
    size_t plen, int wf, int replace)
{
    struct outfile of;
    int err;

    if ((replace ? outfile_open_replace(&of, path, 0600)
                 : outfile_open(&of, path, 0600)) != 0) {
        return (-1);
    }
    if ((err = keys_file_write(k, pass, plen, wf, fd_write_cb, &of.fd)) != 0) {
        warnx_("cannot write %s: %s", path, age_strerror(err));
        outfile_abort(&of);
        return (-1);
    }
    return (outfile_commit(&of));
}

/* Register the person's public keys; fills s->account. */
static int
register_person(struct session *s, const struct keys *k)
{
    char rcpt[KEYS_RECIPIENT_MAX], pub[MINISIG_PUBKEY_B64_LEN + 1];
    struct minisig_pubkey mpk;
    json_t *body, *resp = NULL;
    const char *acct;
    long status;
    int rc;

    minisig_seckey_public(&k->sign, &mpk);
    minisig_pubkey_encode(&mpk, pub);
    if (keys_recipient_encode(k->x25519_pk, rcpt, sizeof(rcpt)) != 0) {
        return (EXIT_ERR);
    }
    body = json_pack("{s:s, s:s, s:s}", "kind", "person", "age_recipient",
        rcpt, "minisign_key", pub);
    if (body == NULL) {
        return (EXIT_ERR);
    }
    rc = http_json(s->http, "POST", "/v1/accounts", body, 0, &status, &resp);
    json_decref(body);
    if (rc != 0) {
        return (EXIT_ERR);
    }
    if ((status != 201 && status != 202) ||
        (acct = json_string_value(json_object_get(resp, "account"))) ==
            NULL) {
        rc = http_error_exit("registration", status, resp);
        json_decref(resp);
        return (rc);
    }
    s->account = strdup(acct);
    s->kind = strdup("person");
    if (status == 202) {
        infox("Registration received; the operator must approve it before "
              "you can use the safe.");
    }
    json_decref(resp);
    return (s->account != NULL ? EXIT_OK : EXIT_ERR);
}

/* Fetch /v1/info and pin the server's signing key. */
static int
pin_server_key(struct session *s)
{
    json_t *resp = NULL;
    const char *key;
    long status;

    if (http_json(s->http, "GET", "/v1/info", NULL, 0, &status, &resp) != 0) {
        return (EXIT_ERR);
    }
    if (status != 200 ||
        (key = json_string_value(json_object_get(resp, "signing_key"))) ==
            NULL) {
        json_decref(resp);
        warnx_("%s does not look like a coffre server", s->server);
        return (EXIT_ERR);
    }
    s->server_key = strdup(key);
    json_decref(resp);
    return (s->server_key != NULL ? EXIT_OK : EXIT_ERR);
}

int
cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"work-factor", required_argument, NULL, OPT_WORK_FACTOR},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"kind", required_argument, NULL, OPT_KIND},
        {"siret", required_argument, NULL, OPT_SIRET},
        {"name", required_argument, NULL, OPT_NAME},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *server = NULL, *wf_arg = NULL, *passfile = NULL;
    const char *kind = "person", *siret = NULL, *name = NULL;
    struct session *s;
    struct keys *k = NULL;
    char *pass = NULL, *code = NULL, *cfg = NULL, *rpath = NULL;
    size_t plen;
    int c, wf, rc = EXIT_ERR;

    while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case OPT_SERVER: server = optarg; break;
        case OPT_WORK_FACTOR: wf_arg = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case OPT_KIND: kind = optarg; break;
        case OPT_SIRET: siret = optarg; break;
        case OPT_NAME: name = optarg; break;
        case 'h': return (command_help("init"));
        default: return (usage_error("init", "bad option"));
        }
    }
    if (server == NULL || optind != argc) {
        return (usage_error("init", "need --server URL"));
    }
    /* Employers and services: see employer_init(). */
    if (strcmp(kind, "person") != 0 &&
        (strcmp(kind, "employer") != 0 || siret == NULL ||
            !employer_siret_valid(siret) || name == NULL || name[0] == '\0') &&
        (strcmp(kind, "service") != 0 || name == NULL || name[0] == '\0')) {
        return (usage_error("init", "--kind employer needs --siret (14 "
            "digits, Luhn key) and --name; --kind service needs --name"));
    }
    if (work_factor_get(wf_arg, &wf) != 0) {
        return (EXIT_USAGE);
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return (EXIT_ERR);
    }
    s->passfile = passfile;
    if ((s->home = session_home()) == NULL ||
        (s->server = strdup(server)) == NULL ||
        (cfg = session_path(s, "config.json")) == NULL ||
        (s->keyfile = session_path(s, "key")) == NULL ||
        (rpath = session_path(s, "recovery.key")) == NULL) {
        goto done;
    }
    if (access(cfg, F_OK) == 0 || access(s->keyfile, F_OK) == 0) {
        warnx_("%s already holds a safe's configuration; set COFFRE_HOME to "
               "another folder to make a second one", s->home);
        goto done;
    }
    if ((s->http = http_new(server)) == NULL || pin_server_key(s) != EXIT_OK) {
        goto done;
    }
    if ((k = keys_generate()) == NULL) {
        goto done;
    }
    if (passphrase_get(passfile, 1, "Passphrase for your new key file: ",
            &pass, &plen) != 0) {
        goto done;
    }
    if ((code = secmem_alloc(RECOVERY_LEN + 1)) == NULL) {
        goto done;
    }
    recovery_code(code);

    /* Keys first, so that an account never exists without them. */
    if (write_keyfile(s->keyfile, k, pass, plen, wf, 0) != 0 ||
        write_keyfile(rpath, k, code, strlen(code), wf, 0) != 0) {
        goto done;
    }
    rc = strcmp(kind, "person") == 0 ? register_person(s, k)
                                     : employer_init(s, k, kind, siret, name);
    if (rc != EXIT_OK) {
        (void)unlink(rpath);
        (void)unlink(s->keyfile);
        goto done;
    }
    rc = EXIT_ERR;
    if (session_save_config(s) != 0) {
        goto done;
    }
    if (strcmp(kind, "person") == 0) {
        printf("Your vault address: %s\n", term_text(s->account));
        printf("Give it to your employers so that they can deposit your "
               "payslips.\n\n");
    }
    printf("RECOVERY CODE (shown once, write it down and keep it apart from "
           "this computer):\n\n    %s\n\n", code);
    printf("It opens %s, a second copy of your keys:\n"
           "    age -d %s    (enter the recovery code as the passphrase)\n"
           "If you lose both your passphrase and this recovery code, your "
           "documents\ncannot be recovered by anyone, including the "
           "operator of the server.\n", rpath, rpath);
    rc = EXIT_OK;

done:
    secmem_free(code);
    secmem_free(pass);
    keys_free(k);
    free(cfg);
    free(rpath);
    session_free(s);
    return (rc);
}

int
cmd_whoami(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL;
    struct session *s;
    json_t *resp = NULL;
    int c, rc, json = 0;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("whoami"));
        default: return (usage_error("whoami", "bad option"));
        }
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if ((rc = api_call(s, "GET", "/v1/me", NULL, 200, "whoami", &resp)) ==
        EXIT_OK) {
        json_object_set_new(resp, "server", json_string(s->server));
        json_object_set_new(resp, "key_file", json_string(s->keyfile));
        if (json) {
            json_print(resp, JSON_INDENT(2) | JSON_SORT_KEYS);
            putchar('\n');
        } else {
            const char *key;
            json_t *v;

            json_object_foreach(resp, key, v) {
                if (json_is_string(v)) {
                    printf("%-14s %s\n", term_text(key),
                        term_text(json_string_value(v)));
                }
            }
        }
    }
    json_decref(resp);
    session_free(s);
    return (rc);
}

int
cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *server = NULL;
    struct session *s = NULL;
    struct http *h;
    json_t *resp = NULL;
    long status;
    int c, rc = EXIT_ERR, json = 0;

    while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case OPT_SERVER: server = optarg; break;
        case OPT_JSON: json = 1; break;
        case 'h': return (command_help("info"));
        default: return (usage_error("info", "bad option"));
        }
    }
    if (server == NULL) {
        if ((rc = session_open(NULL, 0, &s)) != EXIT_OK) {
            return (rc);
        }
        h = s->http;
    } else if ((h = http_new(server)) == NULL) {
        return (EXIT_ERR);
    }
    if (http_json(h, "GET", "/v1/info", NULL, 0, &status, &resp) == 0) {
        if (status != 200) {
            rc = http_error_exit("info", status, resp);
        } else if (json) {
            json_print(resp, JSON_INDENT(2) | JSON_SORT_KEYS);
            putchar('\n');
            rc = EXIT_OK;
        } else {
            json_t *ret = json_object_get(resp, "retention");
            json_t *lret = json_object_get(resp, "log_retention");
            json_t *fmts = json_object_get(resp, "export_formats"), *v;
            size_t i;

            printf("service        %s %s (API %s)\n",
                term_text(json_string_value(json_object_get(resp,
                    "service"))),
                term_text(json_string_value(json_object_get(resp,
                    "version"))),
                term_text(json_string_value(json_object_get(resp, "api"))));
            printf("signing key    %s\n",
                term_text(json_string_value(json_object_get(resp,
                    "signing_key"))));
            printf("documents kept %s\n",
                term_text(json_string_value(json_object_get(ret,
                    "documents"))));
            printf("audit log kept %s\n",
                term_text(json_string_value(json_object_get(lret,
                    "audit"))));
            printf("export formats");
            json_array_foreach(fmts, i, v) {
                printf(" %s", term_text(json_string_value(v)));
            }
            printf("\nclosure date   %s\n",
                json_is_string(json_object_get(resp, "closure_date"))
                    ? term_text(json_string_value(json_object_get(resp,
                          "closure_date")))
                    : "none announced");
            rc = EXIT_OK;
        }
    }
    json_decref(resp);
    if (s != NULL) {
        session_free(s);
    } else {
        http_free(h);
    }
    return (rc);
}

int
cmd_passwd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work-factor", required_argument, NULL, OPT_WORK_FACTOR},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"new-passphrase-file", required_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL, *newfile = NULL, *wf_arg = NULL;
    struct session *s;
    struct keys *k;
    char *pass = NULL;
    size_t plen;
    int c, wf, rc;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_WORK_FACTOR: wf_arg = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case OPT_FORCE: newfile = optarg; break;
        case 'h': return (command_help("passwd"));
        default: return (usage_error("passwd", "bad option"));
        }
    }
    if (work_factor_get(wf_arg, &wf) != 0) {
        return (EXIT_USAGE);
    }
    if ((rc = session_open(passfile, 0, &s)) != EXIT_OK) {
        return (rc);
    }
    rc = EXIT_AUTH;
    if ((k = session_keys(s)) == NULL) {
        goto done;
    }
    rc = EXIT_ERR;
    if (newfile == NULL && getenv("COFFRE_PASSPHRASE") != NULL) {
        warnx_("the new passphrase cannot come from COFFRE_PASSPHRASE (it "
               "holds the old one): use --new-passphrase-file or a terminal");
        goto done;
    }
    if (newfile != NULL) {
        rc = passphrase_get(newfile, 0, "", &pass, &plen);
    } else {
        rc = passphrase_get(NULL, 1, "New passphrase: ", &pass, &plen);
    }
    if (rc != 0) {
        rc = EXIT_ERR;
        goto done;
    }
    /* Replaced atomically: the old file stays whole until the new one is. */
    rc = (write_keyfile(s->keyfile, k, pass, plen, wf, 1) == 0) ? EXIT_OK
                                                                : EXIT_ERR;
    if (rc == EXIT_OK) {
        infox("Key file %s re-encrypted under the new passphrase.",
            s->keyfile);
    }

done:
    secmem_free(pass);
    session_free(s);
    return (rc);
}
