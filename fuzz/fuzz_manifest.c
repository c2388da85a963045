/*
 * An employer's push reads a payroll manifest (CSV that a payroll export
 * wrote) and checks the receipts the server answers and the report keeps:
 * bytes from outside the client.  The CSV reader must never crash, always
 * move forward, keep its limits, and what it accepts must come back field
 * for field after being written again with employer_csv_field().  The
 * receipt check must never accept a signature that the fixed key below
 * did not make (no input can hold one: nobody has its secret key).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The push code is client code; the fuzz build links modules only.  Each
 * file defines its feature macro as its first line: the glibc headers an
 * earlier one included defined _DEFAULT_SOURCE already.
 */
#include "client/doc.c"
#undef _DEFAULT_SOURCE
#include "client/employer.c"
#undef _DEFAULT_SOURCE
#include "client/http.c"
#include "client/session.c"
#undef _DEFAULT_SOURCE
#include "client/util.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A public key whose secret half is not kept anywhere. */
#define FUZZ_KEY "RWRZMCXotvgUvdQh+rFjU7CNGe27I/CSCVy+NOLHG3PCip4slGd0I/0i"

/* Write ${rec}'s fields again as CSV, read them back, compare. */
static void
round_trip(const struct employer_csv_rec *rec)
{
    struct employer_csv_rec again;
    char err[128], *text;
    size_t i, off = 0;
    unsigned line = 1;
    off_t len;
    int fd;

    /* One empty field is written as a blank line, which reads as none. */
    if (rec->n == 0 || (rec->n == 1 && rec->f[0][0] == '\0')) {
        return;
    }
    if ((fd = memfd_create("csv", MFD_CLOEXEC)) < 0) {
        abort();
    }
    for (i = 0; i < rec->n; i++) {
        if (employer_csv_field(fd, rec->f[i], i + 1 == rec->n) != 0) {
            abort();
        }
    }
    if ((len = lseek(fd, 0, SEEK_END)) < 0 || (text = malloc(
        (size_t)len + 1)) == NULL || pread(fd, text, (size_t)len, 0) !=
        (ssize_t)len) {
        abort();
    }
    close(fd);
    if (employer_csv_next(text, (size_t)len, &off, &line, &again, err,
        sizeof(err)) != 1 || again.n != rec->n || off != (size_t)len) {
        abort();
    }
    for (i = 0; i < rec->n; i++) {
        if (strcmp(again.f[i], rec->f[i]) != 0) {
            abort();
        }
    }
    employer_csv_clear(&again);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct employer_csv_rec rec;
    const char *buf = (const char *)data;
    char err[256], why[256], *text, *sig;
    size_t off = 0, before, cut;
    unsigned line = 1;
    int r;

    /* The manifest: every record, through bad ones, to the end. */
    for (;;) {
        before = off;
        r = employer_csv_next(buf, size, &off, &line, &rec, err,
            sizeof(err));
        if (r == 0) {
            break;
        }
        if (off <= before || off > size ||
            (r == 1 && rec.n > EMPLOYER_CSV_MAX_FIELDS) ||
            (r < 0 && err[0] == '\0')) {
            abort();
        }
        if (r == 1) {
            round_trip(&rec);
            employer_csv_clear(&rec);
        }
    }

    /* A receipt: text, then its signature after the first NUL. */
    cut = 0;
    while (cut < size && data[cut] != '\0') {
        cut++;
    }
    if ((text = strndup(buf, cut)) == NULL ||
        (sig = strndup(cut < size ? buf + cut + 1 : "",
        cut < size ? size - cut - 1 : 0)) == NULL) {
        abort();
    }
    if (employer_receipt_check(text, sig, FUZZ_KEY, "doc", NULL, NULL, why,
        sizeof(why)) == 0) {
        abort();
    }
    free(text);
    free(sig);
    return (0);
}
