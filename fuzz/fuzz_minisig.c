#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/minisig.h"

/*
 * The three minisign parsers on the same bytes: signature file, public
 * key (bare or file), secret key file.  Beyond not crashing, whatever is
 * accepted must survive a round trip through our writers, and a parsed
 * signature must hold comments minisign could carry.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fail loudly so that libFuzzer records the input. */
static void
check(int cond)
{

    if (!cond) {
        abort();
    }
}

/* Comments come back NUL-terminated, without CR or LF. */
static void
check_comment(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    check(n <= max);
    check(memchr(s, '\r', n) == NULL && memchr(s, '\n', n) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static struct minisig_seckey sk, sk2; /* fuzz inputs, not secrets */
    struct minisig_pubkey pk, pk2;
    struct minisig sig;
    const char *text = (const char *)data;
    char buf[MINISIG_FILE_MAX];
    char b64[MINISIG_PUBKEY_B64_LEN + 1];
    int n, rc;

    if (!ready) {
        check(sodium_init() >= 0);
        ready = 1;
    }

    rc = minisig_parse(text, size, &sig);
    check(rc == 0 || rc == MINISIG_EFORMAT || rc == MINISIG_ELEGACY);
    if (rc == 0) {
        check(memcmp(sig.alg, "ED", 2) == 0);
        check_comment(sig.untrusted, MINISIG_UNTRUSTED_MAX);
        check_comment(sig.trusted, MINISIG_COMMENT_MAX);
        /* Verification of arbitrary input ends in a plain error. */
        memset(&pk, 0, sizeof(pk));
        memcpy(pk.keyid, sig.keyid, sizeof(pk.keyid));
        rc = minisig_verify_buf(data, size, &sig, &pk);
        check(rc == MINISIG_EBADSIG);
    }

    if (minisig_pubkey_parse(text, size, &pk) == 0) {
        minisig_pubkey_encode(&pk, b64);
        check(minisig_pubkey_parse(b64, strlen(b64), &pk2) == 0);
        check(memcmp(&pk, &pk2, sizeof(pk)) == 0);
        n = minisig_pubkey_file(&pk, buf, sizeof(buf));
        check(n > 0);
        check(minisig_pubkey_parse(buf, (size_t)n, &pk2) == 0);
        check(memcmp(&pk, &pk2, sizeof(pk)) == 0);
    }

    if (minisig_seckey_parse(text, size, &sk) == 0) {
        n = minisig_seckey_file(&sk, buf, sizeof(buf));
        check(n > 0);
        check(minisig_seckey_parse(buf, (size_t)n, &sk2) == 0);
        check(memcmp(&sk, &sk2, sizeof(sk)) == 0);
        sodium_memzero(buf, sizeof(buf));
    }
    return (0);
}
