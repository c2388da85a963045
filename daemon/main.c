/*
 * coffred: the coffre daemon and its operator commands.
 *
 *   coffred serve [--listen ADDR:PORT] [--data DIR] [--config FILE]
 *                 [--open-registration] [--registration MODE] [--log FILE]
 *                 [--port-file FILE] [--threads N] [--workers N]
 *   coffred account add|list|approve|disable ... [--data DIR]
 *   coffred routes
 *   coffred reindex|scrub|gc ...          (maintenance: daemon/ops.c)
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/api.h"
#include "daemon/auth.h"
#include "daemon/cmd_backup.h"
#include "daemon/config.h"
#include "daemon/datadir.h"
#include "daemon/httpd.h"
#include "daemon/ids.h"
#include "daemon/limits.h"
#include "daemon/logger.h"
#include "daemon/ops.h"
#include "daemon/signer.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"

static void
usage(void)
{

    fprintf(stderr,
        "usage: coffred serve [--listen ADDR:PORT] [--data DIR] "
        "[--config FILE]\n"
        "                     [--open-registration] [--registration "
        "open|approval|closed]\n"
        "                     [--log FILE] [--port-file FILE] "
        "[--threads N] [--workers N]\n"
        "       coffred account add --kind employer|service|person "
        "[--siret S] [--name N]\n"
        "                     --age-recipient age1... --minisign-key RW... "
        "[--data DIR]\n"
        "       coffred account list [--data DIR]\n"
        "       coffred account approve|disable ACCOUNT [--data DIR]\n"
        "       coffred routes\n"
        "       coffred backup -o FILE.tar [--data DIR] [--with-key]\n"
        "       coffred restore FILE.tar --data DIR\n"
        "       coffred reindex|scrub|gc ...\n");
}

/* Disable core dumps: the process holds the signing key. */
static void
no_core_dumps(void)
{
    struct rlimit rl = { 0, 0 };

    (void)setrlimit(RLIMIT_CORE, &rl);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Create ${dir} (0700) if absent; refuse one that others may read. */
static int
data_dir_check(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "coffred: %s: %s\n", dir, strerror(errno));
        return (-1);
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "coffred: %s: not a directory\n", dir);
        return (-1);
    }
    if ((st.st_mode & 007) != 0) {
        fprintf(stderr, "coffred: %s: must not be accessible to others "
            "(chmod 700)\n", dir);
        return (-1);
    }
    return (0);
}

/* Write ${port} to ${path} atomically. */
static int
write_port_file(const char *path, unsigned port)
{
    char tmp[4096];
    FILE *f;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
        (f = fopen(tmp, "w")) == NULL) {
        return (-1);
    }
    fprintf(f, "%u\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        return (-1);
    }
    return (0);
}

/* Wait for signals; drain on SIGTERM/SIGINT, reopen the log on SIGHUP. */
static void
serve_loop(struct app *app, struct httpd *h, const sigset_t *set)
{
    struct timespec ts = { 1, 0 };
    time_t deadline, purged = time(NULL);
    int sig;

    for (;;) {
        sig = sigtimedwait(set, NULL, &ts);
        logger_flush();
        if (sig == SIGHUP) {
            if (logger_reopen() != 0) {
                log_err(0, "cannot reopen the log: %s", strerror(errno));
            }
            log_info(0, "log reopened");
        } else if (sig == SIGTERM || sig == SIGINT) {
            break;
        } else if (sig < 0 && errno == EAGAIN &&
            time(NULL) - purged >= 60) {
            /* Housekeeping: forget expired challenges and sessions. */
            (void)catalog_challenge_purge(app->cat, api_now());
            (void)catalog_session_purge(app->cat, api_now());
            purged = time(NULL);
        }
    }
    log_info(0, "draining: %u requests in flight", httpd_inflight(h));
    httpd_drain_begin(h);
    httpd_quiesce(h);
    /*
     * Wait for requests in flight, at most HTTPD_DRAIN_SECS, and no longer
     * than HTTPD_DRAIN_STALL_SECS without any of them making progress (a
     * client that stopped sending half-way would otherwise hold the exit
     * until its connection times out).
     */
    deadline = time(NULL) + HTTPD_DRAIN_SECS;
    while (httpd_inflight(h) > 0 && time(NULL) < deadline &&
        httpd_stalled_secs(h) < HTTPD_DRAIN_STALL_SECS) {
        struct timespec nap = { 0, 20 * 1000 * 1000 };

        nanosleep(&nap, NULL);
    }
    if (httpd_inflight(h) > 0) {
        log_warn(0, "drain: %u requests cut (stalled or too slow)",
            httpd_inflight(h));
    }
}

/* Parse the options of `serve` into ${cfg}. */
static int
serve_args(int argc, char **argv, struct config *cfg)
{
    char err[512];
    int i;

    /* The config file first, so that the other options override it. */
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            if (config_load(cfg, argv[i + 1], err, sizeof(err)) != 0) {
                fprintf(stderr, "coffred: %s\n", err);
                return (-1);
            }
        }
    }
    for (i = 0; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char *key = NULL;

        if (strcmp(o, "--open-registration") == 0) {
            cfg->registration = CONFIG_REG_OPEN;
            continue;
        }
        if (strcmp(o, "--listen") == 0) {
            key = "listen";
        } else if (strcmp(o, "--data") == 0) {
            key = "data";
        } else if (strcmp(o, "--log") == 0) {
            key = "log";
        } else if (strcmp(o, "--port-file") == 0) {
            key = "port_file";
        } else if (strcmp(o, "--threads") == 0) {
            key = "threads";
        } else if (strcmp(o, "--workers") == 0) {
            key = "workers";
        } else if (strcmp(o, "--registration") == 0) {
            key = "registration";
        } else if (strcmp(o, "--config") == 0) {
            i++;
            continue;
        }
        if (key == NULL || v == NULL || config_set(cfg, key, v) != 0) {
            fprintf(stderr, "coffred: bad option or value: %s\n", o);
            return (-1);
        }
        i++;
    }
    return (0);
}

/* `coffred serve`. */
static int
cmd_serve(int argc, char **argv)
{
    struct config cfg;
    struct app app;
    struct httpd *h;
    sigset_t set;
    uint16_t port;
    int rc = 1, r, lockfd = -1;

    memset(&app, 0, sizeof(app));
    if (config_init(&cfg) != 0 || serve_args(argc, argv, &cfg) != 0) {
        goto err0;
    }
    app.cfg = &cfg;
    /*
     * Before anything is opened or listened on: one daemon per data
     * directory, and every place it writes is writable (SQLite would
     * otherwise open a read-only index and serve half-working).
     */
    if (data_dir_check(cfg.data) != 0 ||
        datadir_lock(cfg.data, &lockfd) != 0 ||
        datadir_writable(cfg.data) != 0) {
        goto err0;
    }
    if (logger_open(cfg.log_path, LOGGER_INFO) != 0) {
        fprintf(stderr, "coffred: %s: %s\n", cfg.log_path, strerror(errno));
        goto err0;
    }
    /* Signals are taken synchronously by the main thread only. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((r = blobstore_open(cfg.data, &app.bs)) != 0) {
        log_err(0, "blob store: %s: %s", storage_strerror(r),
            storage_detail());
        goto err1;
    }
    if ((r = catalog_open(cfg.data, &app.cat)) != 0) {
        log_err(0, "catalog: %s: %s", storage_strerror(r), storage_detail());
        goto err2;
    }
    if ((app.signer = signer_open(cfg.data)) == NULL) {
        goto err3;
    }
    if ((app.auth = auth_new()) == NULL) {
        goto err4;
    }
    if ((h = httpd_start(&app, &port)) == NULL) {
        goto err5;
    }
    log_info(0, "listening on %s:%u data=%s threads=%u workers=%u",
        cfg.listen_host, (unsigned)port, cfg.data, cfg.threads, cfg.workers);
    if (cfg.port_file != NULL && write_port_file(cfg.port_file, port) != 0) {
        log_err(0, "cannot write the port file %s", cfg.port_file);
        httpd_stop(h);
        goto err5;
    }
    serve_loop(&app, h, &set);
    httpd_stop(h);
    log_info(0, "stopped");
    rc = 0;

err5:
    auth_free(app.auth);
err4:
    signer_free(app.signer);
err3:
    catalog_close(app.cat);
err2:
    blobstore_close(app.bs);
err1:
    logger_close();
err0:
    /* An orderly exit, even a failed start: only a crash leaves a pid. */
    datadir_unlock(lockfd);
    config_clear(&cfg);
    return (rc);
}

/* Value of option ${name} in argv, or NULL. */
static const char *
opt(int argc, char **argv, const char *name)
{
    int i;

    for (i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return (argv[i + 1]);
        }
    }
    return (NULL);
}

/* Copy ${v} into a fixed field; -1 if it does not fit. */
static int
field(char *dst, size_t dstlen, const char *v)
{

    if (v == NULL || strlen(v) >= dstlen) {
        return (-1);
    }
    strcpy(dst, v);
    return (0);
}

/* `coffred account add`. */
static int
account_add(struct catalog *cat, int argc, char **argv)
{
    const char *kind = opt(argc, argv, "--kind");
    const char *siret = opt(argc, argv, "--siret");
    const char *name = opt(argc, argv, "--name");
    const char *rcpt = opt(argc, argv, "--age-recipient");
    const char *mkey = opt(argc, argv, "--minisign-key");
    struct catalog_account a;
    struct minisig_pubkey pk;
    uint64_t v;
    int r, tries;

    memset(&a, 0, sizeof(a));
    if (kind == NULL || rcpt == NULL || mkey == NULL ||
        strncmp(rcpt, "age1", 4) != 0 ||
        minisig_pubkey_parse(mkey, strlen(mkey), &pk) != 0 ||
        field(a.age_recipient, sizeof(a.age_recipient), rcpt) != 0 ||
        field(a.minisign_key, sizeof(a.minisign_key), mkey) != 0) {
        fprintf(stderr, "coffred: account add needs --kind, a valid "
            "--age-recipient and --minisign-key\n");
        return (1);
    }
    a.state = CATALOG_STATE_ACTIVE;
    if (strcmp(kind, "employer") == 0) {
        a.kind = CATALOG_KIND_EMPLOYER;
        if (siret == NULL || !ids_siret_valid(siret, strlen(siret)) ||
            field(a.siret, sizeof(a.siret), siret) != 0 ||
            field(a.name, sizeof(a.name), name != NULL ? name : siret)) {
            fprintf(stderr, "coffred: --siret: 14 digits with a valid "
                "Luhn key\n");
            return (1);
        }
    } else if (strcmp(kind, "service") == 0) {
        a.kind = CATALOG_KIND_SERVICE;
        if (name == NULL || !ids_service_valid(name, strlen(name)) ||
            field(a.name, sizeof(a.name), name) != 0) {
            fprintf(stderr, "coffred: --name: [a-z][a-z0-9-]{1,31}\n");
            return (1);
        }
        {
            struct catalog_account other;
            struct app app = { .cat = cat };

            if (api_account_by_public(&app, name, IDS_KIND_SERVICE,
                &other) == 0) {
                fprintf(stderr, "coffred: service %s exists\n", name);
                return (1);
            }
        }
    } else if (strcmp(kind, "person") == 0) {
        a.kind = CATALOG_KIND_PERSON;
        if (name != NULL && field(a.name, sizeof(a.name), name) != 0) {
            return (1);
        }
    } else {
        fprintf(stderr, "coffred: --kind employer|service|person\n");
        return (1);
    }
    for (tries = 0; tries < 16; tries++) {
        if (a.kind == CATALOG_KIND_PERSON) {
            do {
                randombytes_buf(&v, sizeof(v));
            } while (ids_vault_make(v, a.vault) != 0);
        }
        a.id[0] = '\0';
        r = catalog_account_create(cat, CATALOG_ACTOR_OPERATOR, &a);
        if (r != STORAGE_EEXIST || a.kind != CATALOG_KIND_PERSON) {
            break;
        }
    }
    if (r != 0) {
        fprintf(stderr, "coffred: account add: %s\n", storage_strerror(r));
        return (1);
    }
    printf("%s\n", api_account_public_id(&a));
    return (0);
}

/* `coffred account list`. */
static int
account_list(struct catalog *cat)
{
    static const char *const kinds[] = { "-", "person", "employer",
        "service" };
    static const char *const states[] = { "-", "pending", "active",
        "disabled" };
    struct catalog_account *v;
    char t[IDS_TIME_BUFLEN];
    size_t n, i;
    int r;

    if ((r = catalog_account_list(cat, CATALOG_KIND_ANY, CATALOG_STATE_ANY,
        &v, &n)) != 0) {
        fprintf(stderr, "coffred: account list: %s\n", storage_strerror(r));
        return (1);
    }
    for (i = 0; i < n; i++) {
        if (ids_time_format(v[i].created, t) != 0) {
            strcpy(t, "-");
        }
        printf("%-20s %-9s %-9s %s %s\n", api_account_public_id(&v[i]),
            kinds[v[i].kind & 3], states[v[i].state & 3], t,
            v[i].name[0] != '\0' ? v[i].name : "-");
    }
    free(v);
    return (0);
}

/* `coffred account approve|disable ACCOUNT`. */
static int
account_state(struct catalog *cat, const char *name, enum catalog_state st)
{
    struct catalog_account a;
    struct app app = { .cat = cat };
    int r;

    if ((r = api_account_by_public(&app, name, 0, &a)) != 0) {
        fprintf(stderr, "coffred: %s: %s\n", name, r == STORAGE_EINVAL ?
            "not an account id" : storage_strerror(r));
        return (1);
    }
    if ((r = catalog_account_set_state(cat, CATALOG_ACTOR_OPERATOR, a.id,
        st)) != 0) {
        fprintf(stderr, "coffred: %s: %s\n", name, storage_strerror(r));
        return (1);
    }
    return (0);
}

/* `coffred account ...`. */
static int
cmd_account(int argc, char **argv)
{
    const char *data = opt(argc, argv, "--data");
    struct catalog *cat;
    int r, rc;

    if (argc < 1) {
        usage();
        return (2);
    }
    if (data == NULL) {
        data = "./var";
    }
    if (data_dir_check(data) != 0) {
        return (1);
    }
    if ((r = catalog_open(data, &cat)) != 0) {
        fprintf(stderr, "coffred: catalog: %s: %s\n", storage_strerror(r),
            storage_detail());
        return (1);
    }
    if (strcmp(argv[0], "add") == 0) {
        rc = account_add(cat, argc - 1, argv + 1);
    } else if (strcmp(argv[0], "list") == 0) {
        rc = account_list(cat);
    } else if (strcmp(argv[0], "approve") == 0 && argc >= 2) {
        rc = account_state(cat, argv[1], CATALOG_STATE_ACTIVE);
    } else if (strcmp(argv[0], "disable") == 0 && argc >= 2) {
        rc = account_state(cat, argv[1], CATALOG_STATE_DISABLED);
    } else {
        usage();
        rc = 2;
    }
    catalog_close(cat);
    return (rc);
}

/* `coffred routes`: every route, one per line. */
static int
cmd_routes(void)
{
    size_t i;

    for (i = 0; i < api_nroutes; i++) {
        printf("%s %s\n", api_routes[i].method, api_routes[i].pattern);
    }
    return (0);
}

int
main(int argc, char **argv)
{

    if (sodium_init() < 0) {
        fprintf(stderr, "coffred: libsodium failed to start\n");
        exit(1);
    }
    no_core_dumps();
    umask(077);
    if (argc < 2) {
        usage();
        exit(2);
    }
    if (strcmp(argv[1], "serve") == 0) {
        exit(cmd_serve(argc - 2, argv + 2));
    } else if (strcmp(argv[1], "account") == 0) {
        exit(cmd_account(argc - 2, argv + 2));
    } else if (strcmp(argv[1], "backup") == 0 ||
        strcmp(argv[1], "restore") == 0) {
        exit(cmd_backup_main(argc - 1, argv + 1));
    } else if (strcmp(argv[1], "routes") == 0) {
        exit(cmd_routes());
    } else if (strcmp(argv[1], "reindex") == 0 ||
        strcmp(argv[1], "scrub") == 0 || strcmp(argv[1], "gc") == 0) {
        /* Maintenance (daemon/ops.c) parses its own options. */
        exit(ops_main(argc - 1, argv + 1));
    }
    usage();
    exit(2);
}
