#ifndef CLIENT_H_
#define CLIENT_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/age.h"

/*
 * Shared pieces of the coffre client: exit codes, messages, passphrases,
 * files written atomically, and fd callbacks for the crypto module.
 */

/* Exit codes (documented in `coffre help` and docs/coffre.1). */
#define EXIT_OK 0
#define EXIT_ERR 1
#define EXIT_USAGE 2
#define EXIT_AUTH 3
#define EXIT_NOTFOUND 4
#define EXIT_INTEGRITY 5

/* Set by --quiet. */
extern int client_quiet;

/**
 * warnx_(fmt, ...), infox(fmt, ...):
 * Print "coffre: <message>\n" on stderr, control characters replaced
 * (term_text()); infox is silenced by --quiet.
 */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void infox(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * term_text(s):
 * ${s} made harmless for a terminal: a copy with every control character
 * (C0 including tab and newline, DEL, and C1 encoded in UTF-8) replaced by
 * '?', other UTF-8 text unchanged, so that names and messages chosen by
 * others (depositors, the server) can neither forge nor hide lines.  The
 * copy stays valid for the next TERM_TEXT_SLOTS - 1 calls; "(none)" for a
 * NULL ${s}.  Not thread-safe: call it from the main thread only.
 * warnx_(), infox() and usage_error() apply it to their whole message.
 */
#define TERM_TEXT_SLOTS 8
const char *term_text(const char *s);

struct json_t;

/**
 * json_print(j, flags):
 * json_dumpf(${j}, stdout, ${flags}), but with DEL and the C1 controls
 * written as \u escapes (jansson escapes only C0): the same JSON value,
 * and nothing a terminal would act on.  Return 0 or -1.
 */
int json_print(const struct json_t *j, size_t flags);

/**
 * usage_error(cmd, fmt, ...):
 * Print the message and a hint to `coffre help CMD`; return EXIT_USAGE.
 */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * passphrase_get(file, confirm, prompt, out, outlen):
 * Get a passphrase: from ${file} (first line) if non-NULL, else from the
 * COFFRE_PASSPHRASE environment variable, else from a no-echo prompt on the
 * terminal (asked twice if ${confirm}).  On success *${out} is secmem
 * memory holding a NUL-terminated passphrase (free with secmem_free()),
 * *${outlen} its length, and 0 is returned; -1 otherwise, with a message.
 */
int passphrase_get(const char *file, int confirm, const char *prompt,
    char **out, size_t *outlen);

/**
 * work_factor_get(arg, out):
 * The scrypt work factor for a new key file: ${arg} (from --work-factor) if
 * non-NULL, else COFFRE_WORK_FACTOR, else AGE_DEFAULT_SCRYPT_LOG2.  Values
 * below AGE_MIN_SCRYPT_LOG2 or above AGE_MAX_SCRYPT_LOG2 are refused.
 * Return 0 or -1 with a message.
 */
int work_factor_get(const char *arg, int *out);

/**
 * parse_uint(s, max, out):
 * Strict decimal parser: digits only, no sign, no empty string, <= ${max}.
 * Return 0 or -1.
 */
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/**
 * file_read_all(path, max, buf, len):
 * Read a whole file ("-" is stdin) of at most ${max} bytes into a malloc'd
 * buffer (NUL-terminated for convenience).  Return 0, or -1 with a message.
 */
int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len);

/**
 * file_read_secret(path, max, buf, len):
 * As file_read_all(), into secmem memory (free with secmem_free()).
 */
int file_read_secret(const char *path, size_t max, uint8_t **buf,
    size_t *len);

/*
 * An output that appears only when complete: a temporary file beside the
 * target, fsynced and renamed into place by outfile_commit(); removed by
 * outfile_abort().  "-" or NULL means standard output (written directly).
 */
struct outfile {
    int fd;
    char *path;   /* target, NULL for stdout */
    char *tmp;    /* temporary name, NULL for stdout */
};

/**
 * outfile_open(of, path, mode):
 * Prepare ${of} for ${path} with permissions ${mode}.  Refuses to replace
 * an existing file unless ${path} is "-".  Return 0 or -1 with a message.
 */
int outfile_open(struct outfile *of, const char *path, int mode);

/**
 * outfile_open_replace(of, path, mode):
 * As outfile_open(), allowing an existing ${path} to be replaced.
 */
int outfile_open_replace(struct outfile *of, const char *path, int mode);

/**
 * outfile_commit(of):
 * fsync, rename into place and fsync the directory.  Return 0 or -1.
 */
int outfile_commit(struct outfile *of);

/**
 * outfile_abort(of):
 * Remove the temporary file; nothing appears at the target.
 */
void outfile_abort(struct outfile *of);

/**
 * fd_read_cb, fd_write_cb:
 * age_read_fn / age_write_fn over a file descriptor passed as a pointer to
 * an int.
 */
int fd_read_cb(void *cookie, uint8_t *buf, size_t len, size_t *got);
int fd_write_cb(void *cookie, const uint8_t *buf, size_t len);

/**
 * write_all(fd, buf, len):
 * Write everything, retrying on EINTR and short writes.  Return 0 or -1.
 */
int write_all(int fd, const void *buf, size_t len);

/**
 * open_input(path):
 * Open ${path} for reading ("-" or NULL: standard input).  Return the fd,
 * or -1 with a message.
 */
int open_input(const char *path);

/**
 * identities_load(path, passfile, ids, max, n):
 * Load decryption identities from ${path}: an age identity file (as
 * age-keygen writes it) or a coffre key file (asks for its passphrase,
 * see passphrase_get()).  ${ids} is caller's secmem memory for ${max}
 * identities.  Return 0 and set *${n}, or an exit code with a message.
 */
int identities_load(const char *path, const char *passfile,
    struct age_identity *ids, size_t max, size_t *n);

struct keys;

/**
 * keyfile_load(path, passfile, out):
 * Open a coffre key file with its passphrase.  Return 0 and set *${out}
 * (keys_free()), or an exit code with a message.
 */
int keyfile_load(const char *path, const char *passfile, struct keys **out);

/**
 * str_concat(a, b):
 * A malloc'd copy of ${a} followed by ${b}, or NULL (with a message).
 */
char *str_concat(const char *a, const char *b);

/**
 * b64_encode_std(buf, len):
 * Standard base64 with padding (RFC 4648 §4), as the API carries binary
 * values in JSON; malloc'd, or NULL.
 */
char *b64_encode_std(const uint8_t *buf, size_t len);

/**
 * b64_decode_std(s, max, out, outlen):
 * Decode standard padded base64 of at most ${max} decoded bytes into a
 * malloc'd *${out}.  Return 0 or -1.
 */
int b64_decode_std(const char *s, size_t max, uint8_t **out, size_t *outlen);

/**
 * tmpfile_fd():
 * An unlinked temporary file in $TMPDIR (default /tmp), open for reading
 * and writing; -1 with a message on failure.
 */
int tmpfile_fd(void);

/**
 * last_complete_year():
 * The last complete calendar year (UTC): the default end of an accrual.
 */
int last_complete_year(void);

/*
 * A plaintext held in memory (a fetchdoc plain sink): grows up to ${max}
 * bytes, always NUL-terminated once anything was appended, the old copy
 * wiped whenever it moves; ${toobig} is set when more than ${max} came.
 */
struct plainbuf {
    uint8_t *p;
    size_t len, cap, max;
    int toobig;
};

/**
 * plainbuf_sink(cookie, buf, len):
 * Append ${len} bytes to the plainbuf ${cookie}.  Return 0 or -1.
 */
int plainbuf_sink(void *cookie, const uint8_t *buf, size_t len);

/**
 * plainbuf_free(b):
 * Wipe and free ${b}'s bytes; ${b} is empty again (same ${max}).
 */
void plainbuf_free(struct plainbuf *b);

#endif /* !CLIENT_H_ */
