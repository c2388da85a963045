#define _DEFAULT_SOURCE
#include "client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "activity/jsonin.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"

#define PASSPHRASE_MAX 1024     /* bytes, longer ones are refused */
#define KEYFILE_MAX (64 * 1024) /* a key file is a few hundred bytes */
#define IDFILE_MAX (1024 * 1024)

int client_quiet = 0;

/*
 * Print the message ${fmt} on stderr with its control characters replaced
 * by '?' (term_text()): its arguments may quote names and server messages
 * that others chose.  Safe from any thread.
 */
static void __attribute__((format(printf, 1, 0)))
vmsg(const char *fmt, va_list ap)
{
    va_list aq;
    char *buf;
    int n;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
        fputs("(message lost: out of memory)", stderr);
        return;
    }
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    jsonin_scrub(buf);
    fputs(buf, stderr);
    free(buf);
}

void
warnx_(const char *fmt, ...)
{
    va_list ap;

    fputs("coffre: ", stderr);
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void
infox(const char *fmt, ...)
{
    va_list ap;

    if (client_quiet) {
        return;
    }
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("coffre: ", stderr);
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'coffre help %s'.\n", term_text(cmd));
    return (EXIT_USAGE);
}

const char *
term_text(const char *s)
{
    static char *slot[TERM_TEXT_SLOTS];
    static size_t next;
    char *c;

    if (s == NULL) {
        return ("(none)");
    }
    if ((c = strdup(s)) == NULL) {
        return ("(out of memory)");
    }
    jsonin_scrub(c);
    free(slot[next]);
    slot[next] = c;
    next = (next + 1) % TERM_TEXT_SLOTS;
    return (c);
}

int
json_print(const json_t *j, size_t flags)
{
    const unsigned char *p;
    char *text;
    int rc = 0;

    if ((text = json_dumps(j, flags)) == NULL) {
        return (-1);
    }
    /* The text is UTF-8: 0xc2 is always the first byte of a character. */
    for (p = (const unsigned char *)text; *p != '\0' && rc == 0; p++) {
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            rc = printf("\\u%04X", p[1]) < 0 ? -1 : 0;
            p++;
        } else if (*p == 0x7f) {
            rc = fputs("\\u007F", stdout) == EOF ? -1 : 0;
        } else {
            rc = putchar(*p) == EOF ? -1 : 0;
        }
    }
    free(text);
    return (rc);
}

int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;
    const char *p;

    if (s == NULL || *s == '\0') {
        return (-1);
    }
    for (p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return (-1);
        }
        if (v > (max - (unsigned long long)(*p - '0')) / 10) {
            return (-1);
        }
        v = v * 10 + (unsigned long long)(*p - '0');
    }
    *out = v;
    return (0);
}

int
write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    ssize_t w;

    while (len > 0) {
        if ((w = write(fd, p, len)) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return (-1);
        }
        p += w;
        len -= (size_t)w;
    }
    return (0);
}

int
fd_read_cb(void *cookie, uint8_t *buf, size_t len, size_t *got)
{
    int fd = *(int *)cookie;
    ssize_t r;

    do {
        r = read(fd, buf, len);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return (-1);
    }
    *got = (size_t)r;
    return (0);
}

int
fd_write_cb(void *cookie, const uint8_t *buf, size_t len)
{

    return (write_all(*(int *)cookie, buf, len));
}

int
open_input(const char *path)
{
    int fd;

    if (path == NULL || strcmp(path, "-") == 0) {
        return (STDIN_FILENO);
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        warnx_("cannot open %s: %s", path, strerror(errno));
        return (-1);
    }
    return (fd);
}

/* Read all of ${fd} into ${buf} of capacity ${cap}; -2 if it is larger. */
static int
read_fd_bounded(int fd, uint8_t *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    ssize_t r;

    for (;;) {
        if (n == cap) {
            uint8_t extra;

            do {
                r = read(fd, &extra, 1);
            } while (r < 0 && errno == EINTR);
            if (r < 0) {
                return (-1);
            }
            if (r > 0) {
                return (-2);
            }
            break;
        }
        do {
            r = read(fd, buf + n, cap - n);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            return (-1);
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    *len = n;
    return (0);
}

/* Shared body of file_read_all() and file_read_secret(). */
static int
file_read_into(const char *path, size_t max, int secret, uint8_t **buf,
    size_t *len)
{
    uint8_t *b;
    int fd, rc;

    *buf = NULL;
    *len = 0;
    if ((fd = open_input(path)) < 0) {
        goto err0;
    }
    b = secret ? secmem_alloc(max + 1) : malloc(max + 1);
    if (b == NULL) {
        warnx_("out of memory");
        goto err1;
    }
    if ((rc = read_fd_bounded(fd, b, max, len)) != 0) {
        if (rc == -2) {
            warnx_("%s: larger than %zu bytes", path, max);
        } else {
            warnx_("cannot read %s: %s", path, strerror(errno));
        }
        goto err2;
    }
    b[*len] = '\0';
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    *buf = b;

    /* Success! */
    return (0);

err2:
    if (secret) {
        secmem_free(b);
    } else {
        free(b);
    }
err1:
    if (fd != STDIN_FILENO) {
        close(fd);
    }
err0:
    /* Failure! */
    return (-1);
}

int
file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len)
{

    return (file_read_into(path, max, 0, buf, len));
}

int
file_read_secret(const char *path, size_t max, uint8_t **buf, size_t *len)
{

    return (file_read_into(path, max, 1, buf, len));
}

/* Read one line from the terminal ${fd} without echo into ${buf}. */
static int
tty_read_noecho(int fd, const char *prompt, char *buf, size_t cap,
    size_t *len)
{
    struct termios old, noecho;
    size_t n = 0;
    char c;
    ssize_t r;
    int rc = -1;

    if (tcgetattr(fd, &old) != 0) {
        return (-1);
    }
    noecho = old;
    noecho.c_lflag &= ~(tcflag_t)ECHO;
    noecho.c_lflag |= ECHONL;
    if (write_all(fd, prompt, strlen(prompt)) != 0 ||
        tcsetattr(fd, TCSAFLUSH, &noecho) != 0) {
        return (-1);
    }
    for (;;) {
        do {
            r = read(fd, &c, 1);
        } while (r < 0 && errno == EINTR);
        if (r <= 0 || c == '\n' || c == '\r') {
            break;
        }
        if (n + 1 >= cap) {
            goto done;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *len = n;
    rc = (r < 0) ? -1 : 0;
done:
    c = 0;
    (void)tcsetattr(fd, TCSAFLUSH, &old);
    return (rc);
}

/* Passphrase from a no-echo prompt, twice if ${confirm}. */
static int
passphrase_prompt(const char *prompt, int confirm, char *buf, size_t *len)
{
    char *again;
    size_t len2;
    int fd, rc = -1;

    if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
        warnx_("no terminal to ask for a passphrase: use "
               "--passphrase-file or COFFRE_PASSPHRASE");
        return (-1);
    }
    if (tty_read_noecho(fd, prompt, buf, PASSPHRASE_MAX + 1, len) != 0) {
        warnx_("cannot read the passphrase");
        goto done;
    }
    if (confirm) {
        if ((again = secmem_alloc(PASSPHRASE_MAX + 2)) == NULL) {
            goto done;
        }
        if (tty_read_noecho(fd, "Repeat it: ", again, PASSPHRASE_MAX + 1,
                &len2) != 0) {
            warnx_("cannot read the passphrase");
            secmem_free(again);
            goto done;
        }
        if (len2 != *len || !secmem_eq(buf, again, *len)) {
            warnx_("the two passphrases differ");
            secmem_free(again);
            goto done;
        }
        secmem_free(again);
    }
    rc = 0;
done:
    close(fd);
    return (rc);
}

int
passphrase_get(const char *file, int confirm, const char *prompt, char **out,
    size_t *outlen)
{
    uint8_t *fbuf;
    const char *env;
    char *p;
    size_t len = 0, flen;

    *out = NULL;
    *outlen = 0;
    if ((p = secmem_alloc(PASSPHRASE_MAX + 2)) == NULL) {
        warnx_("out of memory");
        goto err0;
    }
    if (file != NULL) {
        if (file_read_secret(file, PASSPHRASE_MAX + 2, &fbuf, &flen) != 0) {
            goto err1;
        }
        /* The first line, without its newline. */
        for (len = 0; len < flen && fbuf[len] != '\n' && fbuf[len] != '\r';
             len++) {
            ;
        }
        if (len > PASSPHRASE_MAX) {
            secmem_free(fbuf);
            warnx_("passphrase longer than %d bytes", PASSPHRASE_MAX);
            goto err1;
        }
        memcpy(p, fbuf, len);
        secmem_free(fbuf);
    } else if ((env = getenv("COFFRE_PASSPHRASE")) != NULL) {
        if ((len = strlen(env)) > PASSPHRASE_MAX) {
            warnx_("passphrase longer than %d bytes", PASSPHRASE_MAX);
            goto err1;
        }
        memcpy(p, env, len);
    } else if (passphrase_prompt(prompt, confirm, p, &len) != 0) {
        goto err1;
    }
    if (len == 0) {
        warnx_("empty passphrase refused");
        goto err1;
    }
    p[len] = '\0';
    *out = p;
    *outlen = len;

    /* Success! */
    return (0);

err1:
    secmem_free(p);
err0:
    /* Failure! */
    return (-1);
}

int
work_factor_get(const char *arg, int *out)
{
    unsigned long long v;
    const char *s = arg;

    if (s == NULL) {
        s = getenv("COFFRE_WORK_FACTOR");
    }
    if (s == NULL) {
        *out = AGE_DEFAULT_SCRYPT_LOG2;
        return (0);
    }
    if (parse_uint(s, 64, &v) != 0 || v < AGE_MIN_SCRYPT_LOG2 ||
        v > AGE_MAX_SCRYPT_LOG2) {
        warnx_("work factor must be a number from %d to %d, not '%s'",
            AGE_MIN_SCRYPT_LOG2, AGE_MAX_SCRYPT_LOG2, s);
        return (-1);
    }
    *out = (int)v;
    return (0);
}

/* Shared body of outfile_open() and outfile_open_replace(). */
static int
outfile_open_(struct outfile *of, const char *path, int mode, int replace)
{
    char *dcopy = NULL, *bcopy = NULL;
    size_t n;

    of->fd = -1;
    of->path = NULL;
    of->tmp = NULL;
    if (path == NULL || strcmp(path, "-") == 0) {
        of->fd = STDOUT_FILENO;
        return (0);
    }
    if (!replace && access(path, F_OK) == 0) {
        warnx_("%s exists; not overwriting it", path);
        return (-1);
    }
    if ((of->path = strdup(path)) == NULL || (dcopy = strdup(path)) == NULL ||
        (bcopy = strdup(path)) == NULL) {
        goto nomem;
    }
    n = strlen(path) + 32;
    if ((of->tmp = malloc(n)) == NULL) {
        goto nomem;
    }
    snprintf(of->tmp, n, "%s/.%s.XXXXXX", dirname(dcopy), basename(bcopy));
    if ((of->fd = mkstemp(of->tmp)) < 0) {
        warnx_("cannot create a file beside %s: %s", path, strerror(errno));
        goto err;
    }
    if (fchmod(of->fd, (mode_t)mode) != 0) {
        warnx_("cannot set the mode of %s: %s", of->tmp, strerror(errno));
        outfile_abort(of);
        goto err;
    }
    free(dcopy);
    free(bcopy);
    return (0);

nomem:
    warnx_("out of memory");
err:
    free(dcopy);
    free(bcopy);
    free(of->path);
    free(of->tmp);
    of->path = of->tmp = NULL;
    of->fd = -1;
    return (-1);
}

int
outfile_open(struct outfile *of, const char *path, int mode)
{

    return (outfile_open_(of, path, mode, 0));
}

int
outfile_open_replace(struct outfile *of, const char *path, int mode)
{

    return (outfile_open_(of, path, mode, 1));
}

int
outfile_commit(struct outfile *of)
{
    char *dcopy;
    int dfd, rc = -1;

    if (of->tmp == NULL) {
        /* Standard output: flush what the kernel lets us. */
        return (0);
    }
    if (fsync(of->fd) != 0) {
        warnx_("cannot write %s: %s", of->path, strerror(errno));
        outfile_abort(of);
        return (-1);
    }
    if (close(of->fd) != 0) {
        of->fd = -1;
        warnx_("cannot write %s: %s", of->path, strerror(errno));
        outfile_abort(of);
        return (-1);
    }
    of->fd = -1;
    if (rename(of->tmp, of->path) != 0) {
        warnx_("cannot create %s: %s", of->path, strerror(errno));
        outfile_abort(of);
        return (-1);
    }
    if ((dcopy = strdup(of->path)) != NULL) {
        if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
            0) {
            rc = fsync(dfd);
            close(dfd);
        }
        free(dcopy);
    }
    if (rc != 0) {
        warnx_("warning: %s written but its directory was not synced",
            of->path);
    }
    free(of->tmp);
    free(of->path);
    of->tmp = of->path = NULL;
    return (0);
}

void
outfile_abort(struct outfile *of)
{

    if (of->tmp != NULL) {
        if (of->fd >= 0) {
            close(of->fd);
        }
        (void)unlink(of->tmp);
    }
    free(of->tmp);
    free(of->path);
    of->tmp = of->path = NULL;
    of->fd = -1;
}

int
keyfile_load(const char *path, const char *passfile, struct keys **out)
{
    uint8_t *buf;
    size_t len, plen;
    char *pass;
    int rc;

    *out = NULL;
    if (file_read_all(path, KEYFILE_MAX, &buf, &len) != 0) {
        return (EXIT_ERR);
    }
    if (!keys_file_is_encrypted(buf, len)) {
        warnx_("%s is not a coffre key file", path);
        free(buf);
        return (EXIT_ERR);
    }
    if (passphrase_get(passfile, 0, "Passphrase for the key file: ", &pass,
            &plen) != 0) {
        free(buf);
        return (EXIT_AUTH);
    }
    rc = keys_file_read(buf, len, pass, plen, out);
    secmem_free(pass);
    free(buf);
    if (rc == AGE_EAUTH || rc == AGE_ENOKEY) {
        warnx_("%s: wrong passphrase, or the key file was altered", path);
        return (EXIT_AUTH);
    }
    if (rc != 0) {
        warnx_("%s: %s", path, age_strerror(rc));
        return (EXIT_ERR);
    }
    return (EXIT_OK);
}

int
identities_load(const char *path, const char *passfile,
    struct age_identity *ids, size_t max, size_t *n)
{
    struct keys *k;
    uint8_t *buf;
    size_t len;
    int rc;

    *n = 0;
    if (file_read_secret(path, IDFILE_MAX, &buf, &len) != 0) {
        return (EXIT_ERR);
    }
    if (keys_file_is_encrypted(buf, len)) {
        secmem_free(buf);
        if ((rc = keyfile_load(path, passfile, &k)) != EXIT_OK) {
            return (rc);
        }
        if (max < 1) {
            keys_free(k);
            return (EXIT_ERR);
        }
        memset(&ids[0], 0, sizeof(ids[0]));
        ids[0].kind = AGE_X25519;
        memcpy(ids[0].x25519, k->x25519_sk, AGE_X25519_BYTES);
        keys_free(k);
        *n = 1;
        return (EXIT_OK);
    }
    rc = keys_identities_parse(buf, len, ids, max, n);
    secmem_free(buf);
    if (rc != 0 || *n == 0) {
        warnx_("%s: not an age identity file nor a coffre key file", path);
        return (EXIT_ERR);
    }
    return (EXIT_OK);
}

char *
str_concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s;

    if ((s = malloc(la + lb + 1)) == NULL) {
        warnx_("out of memory");
        return (NULL);
    }
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return (s);
}

char *
b64_encode_std(const uint8_t *buf, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s;

    if ((s = malloc(n)) == NULL) {
        return (NULL);
    }
    sodium_bin2base64(s, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
    return (s);
}

int
b64_decode_std(const char *s, size_t max, uint8_t **out, size_t *outlen)
{
    const char *end;
    size_t slen = strlen(s);
    uint8_t *b;
    char *re;

    *out = NULL;
    *outlen = 0;
    if (slen / 4 * 3 > max + 3) {
        return (-1);
    }
    if ((b = malloc(slen / 4 * 3 + 1)) == NULL) {
        return (-1);
    }
    if (sodium_base642bin(b, slen / 4 * 3 + 1, s, slen, NULL, outlen, &end,
            sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + slen ||
        *outlen > max) {
        free(b);
        return (-1);
    }
    /*
     * libsodium 1.0.18 reads bytes >= 0x80 as '/': only the one canonical
     * spelling of a value is accepted, checked by encoding it again.
     */
    if ((re = b64_encode_std(b, *outlen)) == NULL || strcmp(re, s) != 0) {
        free(re);
        free(b);
        return (-1);
    }
    free(re);
    *out = b;
    return (0);
}

int
tmpfile_fd(void)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    int fd;

    if ((path = str_concat(dir != NULL && dir[0] != '\0' ? dir : "/tmp",
             "/coffre.XXXXXX")) == NULL) {
        return (-1);
    }
    if ((fd = mkstemp(path)) >= 0) {
        (void)unlink(path);
    } else {
        warnx_("cannot create a temporary file: %s", strerror(errno));
    }
    free(path);
    return (fd);
}

int
plainbuf_sink(void *cookie, const uint8_t *buf, size_t len)
{
    struct plainbuf *b = cookie;
    size_t ncap;
    uint8_t *np;

    if (len > b->max - b->len) {
        b->toobig = 1;
        return (-1);
    }
    if (b->len + len + 1 > b->cap) {
        ncap = b->cap ? b->cap : 65536;
        while (ncap < b->len + len + 1) {
            ncap *= 2;
        }
        /* Not realloc: the old plaintext is wiped before it goes. */
        if ((np = malloc(ncap)) == NULL) {
            return (-1);
        }
        if (b->p != NULL) {
            memcpy(np, b->p, b->len);
            secmem_wipe(b->p, b->len);
            free(b->p);
        }
        b->p = np;
        b->cap = ncap;
    }
    if (len > 0) {
        memcpy(b->p + b->len, buf, len);
    }
    b->len += len;
    b->p[b->len] = '\0';
    return (0);
}

void
plainbuf_free(struct plainbuf *b)
{
    size_t max = b->max;

    if (b->p != NULL) {
        secmem_wipe(b->p, b->len);
    }
    free(b->p);
    memset(b, 0, sizeof(*b));
    b->max = max;
}

int
last_complete_year(void)
{
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL) {
        return (1970);
    }
    return (tm.tm_year + 1900 - 1);
}
