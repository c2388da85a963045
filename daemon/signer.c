#include "daemon/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "daemon/logger.h"

struct signer {
    struct minisig_seckey *sk;             /* secmem; read-only when idle */
    char pub[MINISIG_PUBKEY_B64_LEN + 1];
    char pubfile[SIGNER_PUBFILE_MAX];
};

/* Read the key file at ${path} into ${sk}.  Return 0, -1, or 1 if absent. */
static int
load(const char *path, struct minisig_seckey *sk)
{
    char *buf;
    ssize_t n;
    size_t len = 0;
    int fd, rc = -1;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno == ENOENT) {
            return (1);
        }
        log_err(0, "%s: %s", path, strerror(errno));
        return (-1);
    }
    if ((buf = secmem_alloc(MINISIG_FILE_MAX)) == NULL) {
        goto err0;
    }
    while (len < MINISIG_FILE_MAX &&
        (n = read(fd, buf + len, MINISIG_FILE_MAX - len)) > 0) {
        len += (size_t)n;
    }
    if (minisig_seckey_parse(buf, len, sk) != 0) {
        log_err(0, "%s: not a minisign secret key", path);
        goto err1;
    }
    rc = 0;

err1:
    secmem_free(buf);
err0:
    close(fd);
    return (rc);
}

/* Create a fresh key in ${sk} and write it to ${path}, durably. */
static int
create(const char *path, struct minisig_seckey *sk)
{
    struct minisig_pubkey pk;
    char *buf;
    int fd, n;

    minisig_keygen(sk, &pk);
    if ((buf = secmem_alloc(MINISIG_FILE_MAX)) == NULL) {
        goto err0;
    }
    if ((n = minisig_seckey_file(sk, buf, MINISIG_FILE_MAX)) < 0) {
        goto err1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
        0600);
    if (fd < 0) {
        log_err(0, "%s: %s", path, strerror(errno));
        goto err1;
    }
    if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
        log_err(0, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        goto err1;
    }
    close(fd);
    secmem_free(buf);
    log_info(0, "created the daemon signing key %s", path);

    /* Success! */
    return (0);

err1:
    secmem_free(buf);
err0:
    /* Failure! */
    return (-1);
}

struct signer *
signer_open(const char *datadir)
{
    struct minisig_pubkey pk;
    struct signer *s;
    struct stat st;
    char path[4096];
    int r;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", datadir,
        SIGNER_KEY_FILE) >= sizeof(path)) {
        goto err0;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        goto err0;
    }
    if ((s->sk = secmem_alloc(sizeof(*s->sk))) == NULL) {
        goto err1;
    }
    if ((r = load(path, s->sk)) == 1) {
        r = create(path, s->sk);
    }
    if (r != 0) {
        goto err2;
    }
    if (stat(path, &st) != 0 || (st.st_mode & 077) != 0) {
        log_err(0, "%s: must not be readable by others (mode 0600)", path);
        goto err2;
    }
    minisig_seckey_public(s->sk, &pk);
    minisig_pubkey_encode(&pk, s->pub);
    if (minisig_pubkey_file(&pk, s->pubfile, sizeof(s->pubfile)) < 0) {
        goto err2;
    }
    /* Shared by all threads, so never noaccess; read-only is enough. */
    (void)secmem_readonly(s->sk);

    /* Success! */
    return (s);

err2:
    secmem_free(s->sk);
err1:
    free(s);
err0:
    /* Failure! */
    return (NULL);
}

int
signer_sign(struct signer *s, const char *buf, size_t len,
    const char *trusted, char *out, size_t outlen)
{

    return (minisig_sign_buf((const uint8_t *)buf, len, s->sk,
        "signature from the coffred signing key", trusted, out, outlen));
}

const char *
signer_pubkey(const struct signer *s)
{

    return (s->pub);
}

const char *
signer_pubkey_file(const struct signer *s)
{

    return (s->pubfile);
}

void
signer_free(struct signer *s)
{

    if (s == NULL) {
        return;
    }
    (void)secmem_readwrite(s->sk);
    secmem_free(s->sk);
    free(s);
}
