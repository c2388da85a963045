#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/commands.h"
#include "crypto/age.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"

/*
 * Commands that use only cryptography and local files: keygen, encrypt,
 * decrypt, sign, verify.  They work offline, so that a person holding an
 * export can open and check it without a server.
 */

#define MAX_RECIPIENTS AGE_MAX_STANZAS
#define MAX_IDENTITIES 16
#define SIGFILE_BUF 2048 /* > a .minisig with two 1 KiB comments' base64 */
#define READ_CHUNK 65536

enum { OPT_WORK_FACTOR = 256, OPT_PASSFILE, OPT_HELP };

/* Exit code for an age error: integrity failures are told apart. */
static int
age_exit(int err)
{

    switch (err) {
    case AGE_EAUTH:
    case AGE_ETRUNC:
    case AGE_ETRAIL:
        return (EXIT_INTEGRITY);
    default:
        return (EXIT_ERR);
    }
}

/* Write ${len} bytes of ${text} to a new file ${path} (mode ${mode}). */
static int
write_small_file(const char *path, const char *text, size_t len, int mode,
    int replace)
{
    struct outfile of;

    if ((replace ? outfile_open_replace(&of, path, mode)
                 : outfile_open(&of, path, mode)) != 0) {
        return (-1);
    }
    if (write_all(of.fd, text, len) != 0) {
        warnx_("cannot write %s: %s", path, strerror(errno));
        outfile_abort(&of);
        return (-1);
    }
    return (outfile_commit(&of));
}

int
cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work-factor", required_argument, NULL, OPT_WORK_FACTOR},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *out = "coffre.key", *wf_arg = NULL, *passfile = NULL;
    char rcpt[KEYS_RECIPIENT_MAX], pub[MINISIG_PUBKEY_B64_LEN + 1];
    char pubfile[256], *pubpath = NULL, *pass = NULL;
    struct minisig_pubkey mpk;
    struct outfile of;
    struct keys *k = NULL;
    size_t plen;
    int c, wf, rc = EXIT_ERR, publen;

    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_WORK_FACTOR: wf_arg = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h':
        case OPT_HELP: return (command_help("keygen"));
        default: return (usage_error("keygen", "bad option"));
        }
    }
    if (optind != argc) {
        return (usage_error("keygen", "unexpected argument '%s'",
            argv[optind]));
    }
    if (strcmp(out, "-") == 0) {
        return (usage_error("keygen", "the key file must be a file"));
    }
    if (work_factor_get(wf_arg, &wf) != 0) {
        return (EXIT_USAGE);
    }
    if ((k = keys_generate()) == NULL) {
        warnx_("cannot generate keys");
        goto done;
    }
    if (passphrase_get(passfile, 1, "Passphrase for the new key file: ",
            &pass, &plen) != 0) {
        goto done;
    }
    if (outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    if ((c = keys_file_write(k, pass, plen, wf, fd_write_cb, &of.fd)) != 0) {
        warnx_("cannot write %s: %s", out, age_strerror(c));
        outfile_abort(&of);
        goto done;
    }
    if (outfile_commit(&of) != 0) {
        goto done;
    }

    /* The public halves: printed, and a minisign .pub file beside it. */
    minisig_seckey_public(&k->sign, &mpk);
    minisig_pubkey_encode(&mpk, pub);
    if (keys_recipient_encode(k->x25519_pk, rcpt, sizeof(rcpt)) != 0) {
        goto done;
    }
    if ((publen = minisig_pubkey_file(&mpk, pubfile, sizeof(pubfile))) < 0 ||
        (pubpath = str_concat(out, ".pub")) == NULL ||
        write_small_file(pubpath, pubfile, (size_t)publen, 0644, 0) != 0) {
        warnx_("warning: the public key file was not written");
    }
    printf("age recipient: %s\nminisign public key: %s\n", rcpt, pub);
    infox("Key file written to %s. Keep the passphrase: without it the "
          "key file, and every document encrypted to it, cannot be opened.",
        out);
    rc = EXIT_OK;

done:
    free(pubpath);
    secmem_free(pass);
    keys_free(k);
    return (rc);
}

int
cmd_encrypt(int argc, char **argv)
{
    static const struct option opts[] = {
        {"recipient", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct age_recipient r[MAX_RECIPIENTS];
    const char *out = NULL;
    struct outfile of;
    size_t n = 0;
    int c, in, err;

    memset(r, 0, sizeof(r));
    while ((c = getopt_long(argc, argv, "r:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (n == MAX_RECIPIENTS) {
                return (usage_error("encrypt", "at most %d recipients",
                    MAX_RECIPIENTS));
            }
            r[n].kind = AGE_X25519;
            if (keys_recipient_decode(optarg, r[n].x25519) != 0) {
                return (usage_error("encrypt",
                    "'%s' is not an age recipient (age1...)", optarg));
            }
            n++;
            break;
        case 'o': out = optarg; break;
        case 'h': return (command_help("encrypt"));
        default: return (usage_error("encrypt", "bad option"));
        }
    }
    if (n == 0) {
        return (usage_error("encrypt", "at least one -r RECIPIENT needed"));
    }
    if (argc - optind > 1) {
        return (usage_error("encrypt", "one input file at most"));
    }
    if ((in = open_input(optind < argc ? argv[optind] : NULL)) < 0) {
        return (EXIT_ERR);
    }
    if (outfile_open(&of, out, 0644) != 0) {
        return (EXIT_ERR);
    }
    if ((err = age_encrypt(r, n, fd_read_cb, &in, fd_write_cb, &of.fd)) !=
        0) {
        warnx_("encryption failed: %s", age_strerror(err));
        outfile_abort(&of);
        return (EXIT_ERR);
    }
    return (outfile_commit(&of) == 0 ? EXIT_OK : EXIT_ERR);
}

int
cmd_decrypt(int argc, char **argv)
{
    static const struct option opts[] = {
        {"identity", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *idpath = NULL, *passfile = NULL;
    struct age_identity *ids;
    struct outfile of;
    size_t n;
    int c, in, err, rc;

    while ((c = getopt_long(argc, argv, "i:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': idpath = optarg; break;
        case 'o': out = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("decrypt"));
        default: return (usage_error("decrypt", "bad option"));
        }
    }
    if (idpath == NULL) {
        return (usage_error("decrypt", "-i IDENTITY is required"));
    }
    if (argc - optind > 1) {
        return (usage_error("decrypt", "one input file at most"));
    }
    if ((ids = secmem_alloc(MAX_IDENTITIES * sizeof(*ids))) == NULL) {
        warnx_("out of memory");
        return (EXIT_ERR);
    }
    if ((rc = identities_load(idpath, passfile, ids, MAX_IDENTITIES, &n)) !=
        EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if ((in = open_input(optind < argc ? argv[optind] : NULL)) < 0) {
        goto done;
    }
    if (outfile_open(&of, out, 0600) != 0) {
        goto done;
    }
    if ((err = age_decrypt(ids, n, fd_read_cb, &in, fd_write_cb, &of.fd)) !=
        0) {
        warnx_("%s", age_strerror(err));
        outfile_abort(&of);
        rc = age_exit(err);
        goto done;
    }
    rc = (outfile_commit(&of) == 0) ? EXIT_OK : EXIT_ERR;

done:
    secmem_free(ids);
    return (rc);
}

/* Feed all of ${fd} into the prehash ${h}.  Return 0 or -1. */
static int
hash_fd(int fd, struct minisig_hash *h)
{
    uint8_t *buf;
    size_t got;

    if ((buf = malloc(READ_CHUNK)) == NULL) {
        return (-1);
    }
    for (;;) {
        if (fd_read_cb(&fd, buf, READ_CHUNK, &got) != 0) {
            free(buf);
            return (-1);
        }
        if (got == 0) {
            break;
        }
        minisig_hash_update(h, buf, got);
    }
    free(buf);
    return (0);
}

/* Base name of ${path}, for the default trusted comment. */
static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return (s != NULL ? s + 1 : path);
}

int
cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *keypath = NULL, *trusted = NULL, *sigpath = NULL;
    const char *passfile = NULL;
    char deftc[512], sig[SIGFILE_BUF], *defsig = NULL;
    struct minisig_hash *h = NULL;
    struct keys *k = NULL;
    int c, fd = -1, len, rc;

    while ((c = getopt_long(argc, argv, "k:t:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': keypath = optarg; break;
        case 't': trusted = optarg; break;
        case 'x': sigpath = optarg; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("sign"));
        default: return (usage_error("sign", "bad option"));
        }
    }
    if (keypath == NULL || argc - optind != 1) {
        return (usage_error("sign", "need -k KEYFILE and one FILE"));
    }
    if (trusted == NULL) {
        snprintf(deftc, sizeof(deftc), "timestamp:%lld\tfile:%s\thashed",
            (long long)time(NULL), base_name(argv[optind]));
        trusted = deftc;
    }
    if (sigpath == NULL) {
        if ((defsig = str_concat(argv[optind], ".minisig")) == NULL) {
            return (EXIT_ERR);
        }
        sigpath = defsig;
    }
    if ((rc = keyfile_load(keypath, passfile, &k)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    if ((fd = open_input(argv[optind])) < 0) {
        goto done;
    }
    if ((h = minisig_hash_new()) == NULL || hash_fd(fd, h) != 0) {
        warnx_("cannot read %s", argv[optind]);
        goto done;
    }
    if ((len = minisig_sign(h, &k->sign, NULL, trusted, sig, sizeof(sig))) <
        0) {
        warnx_("cannot sign: %s", len == MINISIG_EFORMAT
                                      ? "the trusted comment must be one "
                                        "line of at most 1024 bytes"
                                      : "internal error");
        rc = (len == MINISIG_EFORMAT) ? EXIT_USAGE : EXIT_ERR;
        goto done;
    }
    if (write_small_file(sigpath, sig, (size_t)len, 0644, 1) != 0) {
        goto done;
    }
    infox("Signature written to %s", sigpath);
    rc = EXIT_OK;

done:
    if (fd > STDIN_FILENO) {
        close(fd);
    }
    minisig_hash_free(h);
    keys_free(k);
    free(defsig);
    return (rc);
}

int
cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pubarg = NULL, *pubpath = NULL, *sigpath = NULL;
    struct minisig_pubkey pk;
    struct minisig sig;
    struct minisig_hash *h = NULL;
    uint8_t *buf = NULL;
    char *defsig = NULL;
    size_t len;
    int c, fd = -1, err, rc = EXIT_ERR;

    while ((c = getopt_long(argc, argv, "P:p:x:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'P': pubarg = optarg; break;
        case 'p': pubpath = optarg; break;
        case 'x': sigpath = optarg; break;
        case 'q': client_quiet = 1; break;
        case 'h': return (command_help("verify"));
        default: return (usage_error("verify", "bad option"));
        }
    }
    if ((pubarg == NULL) == (pubpath == NULL) || argc - optind != 1) {
        return (usage_error("verify",
            "need one of -P PUBKEY or -p PUBKEYFILE, and one FILE"));
    }
    if (pubarg != NULL) {
        if (minisig_pubkey_parse(pubarg, strlen(pubarg), &pk) != 0) {
            return (usage_error("verify", "not a minisign public key: %s",
                pubarg));
        }
    } else {
        if (file_read_all(pubpath, MINISIG_FILE_MAX, &buf, &len) != 0) {
            return (EXIT_ERR);
        }
        err = minisig_pubkey_parse((const char *)buf, len, &pk);
        free(buf);
        buf = NULL;
        if (err != 0) {
            warnx_("%s is not a minisign public key file", pubpath);
            return (EXIT_ERR);
        }
    }
    if (sigpath == NULL) {
        if ((defsig = str_concat(argv[optind], ".minisig")) == NULL) {
            return (EXIT_ERR);
        }
        sigpath = defsig;
    }
    if (file_read_all(sigpath, MINISIG_FILE_MAX, &buf, &len) != 0) {
        goto done;
    }
    if ((err = minisig_parse((const char *)buf, len, &sig)) != 0) {
        warnx_("%s: %s", sigpath, minisig_strerror(err));
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if ((fd = open_input(argv[optind])) < 0) {
        goto done;
    }
    if ((h = minisig_hash_new()) == NULL || hash_fd(fd, h) != 0) {
        warnx_("cannot read %s", argv[optind]);
        goto done;
    }
    if ((err = minisig_verify(h, &sig, &pk)) != 0) {
        warnx_("signature verification failed: %s", minisig_strerror(err));
        rc = EXIT_INTEGRITY;
        goto done;
    }
    if (!client_quiet) {
        printf("Signature and comment signature verified\n"
               "Trusted comment: %s\n", term_text(sig.trusted));
    }
    rc = EXIT_OK;

done:
    if (fd > STDIN_FILENO) {
        close(fd);
    }
    minisig_hash_free(h);
    free(buf);
    free(defsig);
    return (rc);
}
