/*
 * Crash test: a child process deposits (blob put, then document insert)
 * in a loop from several threads at once (so that kills land inside group
 * commits too), reporting each acknowledged deposit or deletion through a
 * pipe, and is killed with SIGKILL at a random moment, 200 times.  After
 * each kill: every acknowledged deposit is present with the right bytes,
 * every acknowledged deletion holds, no temp file is left once the store
 * is reopened, and scrub (missing or corrupt objects) is clean.  At the
 * end the index is deleted and rebuilt from the records, and everything is
 * checked again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/digest.h"
#include "storage/blobstore.h"
#include "storage/catalog.h"
#include "storage/maint.h"
#include "tests/util/storage_tu.h"

#define KILLS 200
#define WORKERS 4
#define MAX_ACKS 20000
#define MAX_BLOB 4096

/* One acknowledgement, written atomically (smaller than PIPE_BUF). */
struct ack {
    char op;            /* 'P' deposited, 'I' about to delete, 'D' deleted */
    char id[CATALOG_ID_BUFLEN];
    uint8_t blob[DIGEST_BYTES];
    uint32_t size;
};

static struct ack acks[MAX_ACKS];
static size_t nacks;

/* What one depositing thread of the child needs. */
struct worker {
    pthread_t t;
    struct blobstore *bs;
    struct catalog *cat;
    const char *vault, *depositor;
    int wfd;
    unsigned seed;
};

/* Deposit forever, acknowledging each completed step. */
static void *
deposit_loop(void *arg)
{
    static const uint8_t hdr[] = "age-encryption.org/v1\n-> X25519 x\n";
    struct worker *w = arg;
    char ids[64][CATALOG_ID_BUFLEN];
    struct catalog_deposit in;
    uint8_t buf[MAX_BLOB];
    struct ack a;
    size_t len;
    int k;

    for (k = 0;; k++) {
        len = 1 + (size_t)(rand_r(&w->seed) % MAX_BLOB);
        storage_tu_fill(buf, len, (uint64_t)w->seed << 20 | (uint64_t)k);
        memset(&a, 0, sizeof(a));
        a.op = 'P';
        digest_buf(buf, len, a.blob);
        a.size = (uint32_t)len;
        if (blobstore_put_buf(w->bs, a.blob, buf, len) != 0) {
            _exit(4);
        }
        memset(&in, 0, sizeof(in));
        in.vault = w->vault;
        in.depositor = w->depositor;
        in.doc_class = "payslip";
        memcpy(in.blob, a.blob, DIGEST_BYTES);
        in.size = len;
        in.meta = buf;
        in.metalen = len < 64 ? len : 64;
        in.signature = "sig";
        in.owner_header = hdr;
        in.owner_headerlen = sizeof(hdr);
        if (catalog_document_insert(w->cat, &in, a.id) != 0) {
            _exit(5);
        }
        if (write(w->wfd, &a, sizeof(a)) != (ssize_t)sizeof(a)) {
            _exit(6);
        }
        memcpy(ids[k % 64], a.id, CATALOG_ID_BUFLEN);
        if (k % 4 == 3) {
            /* Delete an earlier deposit of this run.  Announce it first:
             * a kill may land after the deletion but before its ack. */
            a.op = 'I';
            memcpy(a.id, ids[(k - 2) % 64], CATALOG_ID_BUFLEN);
            if (write(w->wfd, &a, sizeof(a)) != (ssize_t)sizeof(a)) {
                _exit(6);
            }
            if (catalog_document_delete(w->cat, w->depositor, a.id) != 0) {
                _exit(7);
            }
            a.op = 'D';
            if (write(w->wfd, &a, sizeof(a)) != (ssize_t)sizeof(a)) {
                _exit(6);
            }
        }
    }
    return (NULL);
}

/*
 * The child: WORKERS threads deposit at once, so that kills also land in
 * the middle of group commits.  Acks are smaller than PIPE_BUF, so the
 * threads' writes to the pipe never interleave.
 */
static void
child(const char *dir, const char *vault, const char *depositor, int wfd,
    unsigned seed)
{
    struct worker w[WORKERS];
    struct blobstore *bs;
    struct catalog *cat;
    struct ack a;
    int i;

    if (blobstore_open(dir, &bs) != 0 || catalog_open(dir, &cat) != 0) {
        _exit(3);
    }
    memset(&a, 0, sizeof(a));
    a.op = 'R';
    if (write(wfd, &a, sizeof(a)) != (ssize_t)sizeof(a)) {
        _exit(6);
    }
    for (i = 0; i < WORKERS; i++) {
        w[i].bs = bs;
        w[i].cat = cat;
        w[i].vault = vault;
        w[i].depositor = depositor;
        w[i].wfd = wfd;
        w[i].seed = seed * WORKERS + (unsigned)i;
        if (i > 0 && pthread_create(&w[i].t, NULL, deposit_loop,
            &w[i]) != 0) {
            _exit(8);
        }
    }
    (void)deposit_loop(&w[0]);
}

/* Was document ${id} acknowledged as deleted ('D'), or only announced
 * ('I': the deletion may or may not have happened)?  0 if neither. */
static char
deletion(const char *id)
{
    char seen = 0;
    size_t i;

    for (i = 0; i < nacks; i++) {
        if ((acks[i].op == 'D' || acks[i].op == 'I') &&
            strcmp(acks[i].id, id) == 0 && seen != 'D') {
            seen = acks[i].op;
        }
    }
    return (seen);
}

/* Check every acknowledgement; re-read the bytes of those from ${fresh}
 * on (older ones were read before, and scrub re-hashes every object). */
static void
verify(const char *dir, FILE *devnull, size_t fresh)
{
    struct maint_report rep;
    struct catalog_document d;
    struct blobstore *bs;
    struct catalog *cat;
    char tmp[4096];
    uint8_t *b;
    size_t i, len;
    int rc;

    assert_int_equal(blobstore_open(dir, &bs), 0);
    (void)snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    assert_int_equal(storage_tu_nfiles(tmp), 0);
    assert_int_equal(catalog_open(dir, &cat), 0);
    for (i = 0; i < nacks; i++) {
        if (acks[i].op != 'P') {
            continue;
        }
        assert_int_equal(catalog_document_get(cat, acks[i].id, &d), 0);
        assert_memory_equal(d.blob, acks[i].blob, DIGEST_BYTES);
        assert_int_equal(d.size, acks[i].size);
        switch (deletion(acks[i].id)) {
        case 'D':
            assert_int_equal(d.state, CATALOG_DOC_DELETED);
            break;
        case 'I':
            break;
        default:
            assert_int_equal(d.state, CATALOG_DOC_LIVE);
        }
        catalog_document_clear(&d);
        /* The bytes are there and hash to their id. */
        if (i >= fresh) {
            rc = blobstore_read_all(bs, acks[i].blob, MAX_BLOB, &b, &len);
            assert_int_equal(rc, 0);
            assert_int_equal(len, acks[i].size);
            free(b);
        } else {
            uint64_t size;

            assert_int_equal(blobstore_stat(bs, acks[i].blob, &size, NULL),
                0);
            assert_int_equal(size, acks[i].size);
        }
    }
    catalog_close(cat);
    blobstore_close(bs);
    rc = maint_scrub(dir, 0, devnull, &rep);
    assert_int_equal(rc, 0);
    assert_int_equal(rep.missing, 0);
    assert_int_equal(rep.corrupt, 0);
}

static void
test_storage_survives_sigkill_200_times(void **state)
{
    struct catalog_account person, employer;
    struct catalog *cat;
    char *dir = storage_tu_mkdtemp();
    unsigned seed = (unsigned)time(NULL);
    FILE *devnull;
    int kill_no, fds[2], st;
    size_t want, got;
    uint64_t before;
    pid_t pid;
    ssize_t r;

    (void)state;
    print_message("seed %u, store %s\n", seed, dir);
    assert_non_null(devnull = fopen("/dev/null", "w"));
    assert_int_equal(catalog_open(dir, &cat), 0);
    memset(&person, 0, sizeof(person));
    person.kind = CATALOG_KIND_PERSON;
    strcpy(person.vault, "V-CRASH");
    person.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(cat, "operator", &person), 0);
    memset(&employer, 0, sizeof(employer));
    employer.kind = CATALOG_KIND_EMPLOYER;
    strcpy(employer.siret, "12345678901234");
    employer.state = CATALOG_STATE_ACTIVE;
    assert_int_equal(catalog_account_create(cat, "operator", &employer), 0);
    catalog_close(cat);

    for (kill_no = 0; kill_no < KILLS; kill_no++) {
        before = nacks;
        assert_int_equal(pipe(fds), 0);
        if ((pid = fork()) == 0) {
            (void)close(fds[0]);
            child(dir, person.id, employer.id, fds[1],
                seed + (unsigned)kill_no);
            _exit(0);
        }
        assert_true(pid > 0);
        (void)close(fds[1]);
        /*
         * Nine times in ten, wait until the store is open and then until
         * the child has acknowledged 0 to 2 deposits, so that kills land
         * among deposits however slow the disk is; then let it run for a
         * random 0 to 30 ms more and kill it.
         */
        if (kill_no % 10 != 0) {
            want = (size_t)(rand_r(&seed) % 3);
            for (got = 0; got <= want;) {
                r = read(fds[0], &acks[nacks], sizeof(acks[0]));
                assert_int_equal(r, sizeof(acks[0]));
                got += acks[nacks].op == 'R' || acks[nacks].op == 'P';
                nacks += acks[nacks].op != 'R';
                assert_true(nacks < MAX_ACKS);
            }
        }
        (void)usleep((useconds_t)(rand_r(&seed) % 30000));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        /* It must have died of the kill, not of a failed step. */
        assert_true(WIFSIGNALED(st));
        while (nacks < MAX_ACKS &&
            (r = read(fds[0], &acks[nacks], sizeof(acks[0]))) > 0) {
            assert_int_equal(r, sizeof(acks[0]));
            nacks += acks[nacks].op != 'R';
        }
        (void)close(fds[0]);
        verify(dir, devnull, (size_t)before);
    }
    print_message("%zu acknowledgements over %d kills, all verified\n",
        nacks, KILLS);
    assert_true(nacks > 0);
    /* Lose the index: a rebuild from the records keeps every acknowledged
     * deposit and deletion. */
    {
        struct maint_report rep;
        char p[4096];

        (void)snprintf(p, sizeof(p), "%s/index.sqlite", dir);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(maint_reindex(dir, devnull, &rep), 0);
        print_message("reindex after the kills: %llu documents\n",
            (unsigned long long)rep.documents);
        verify(dir, devnull, 0);
    }
    fclose(devnull);
    storage_tu_rmrf(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storage_survives_sigkill_200_times),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
