/*
 * STREAM throughput: age payload encryption and decryption (push API, in
 * memory) for 100 KiB and 64 MiB inputs, beside libsodium's raw
 * ChaCha20-Poly1305 IETF over 64 KiB chunks of the same data in the same
 * run.  Prints a markdown table (MiB/s, best and median of the samples)
 * and the ratio of STREAM to raw.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/age.h"

#define SAMPLES 7

/* An in-memory sink: output is copied out, as a real consumer would. */
struct sink {
    uint8_t *p;
    size_t len;
    size_t cap;
};

static int
sink_write(void *cookie, const uint8_t *buf, size_t len)
{
    struct sink *s = cookie;

    if (len > s->cap - s->len) {
        return (-1);
    }
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    return (0);
}

/* Monotonic seconds. */
static double
now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return ((double)t.tv_sec + (double)t.tv_nsec / 1e9);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return ((x > y) - (x < y));
}

struct result {
    double best;
    double median;
};

/* Best and median MiB/s of ${samples} timings of ${bytes} each. */
static struct result
summarize(double *secs, size_t bytes)
{
    struct result r;
    double mib = (double)bytes / (1024.0 * 1024.0);

    qsort(secs, SAMPLES, sizeof(double), cmp_double);
    r.best = mib / secs[0];
    r.median = mib / secs[SAMPLES / 2];
    return (r);
}

/* One STREAM pass over ${in}; 0 or abort. */
static void
stream_pass(int decrypt, const uint8_t *fk, const uint8_t *in, size_t len,
    struct sink *out)
{
    struct age_stream *s;

    out->len = 0;
    s = decrypt ? age_stream_new_decrypt(fk) : age_stream_new_encrypt(fk);
    if (s == NULL || age_stream_update(s, in, len, sink_write, out) != 0 ||
        age_stream_final(s, sink_write, out) != 0) {
        fprintf(stderr, "bench_stream: stream %s failed\n",
            decrypt ? "decryption" : "encryption");
        exit(1);
    }
    age_stream_free(s);
}

/* Raw AEAD over 64 KiB chunks of ${in} into ${out}. */
static void
raw_pass(const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = { 0 };
    size_t off, c;
    uint64_t i = 0;

    for (off = 0; off < len || (len == 0 && i == 0); off += c, i++) {
        c = len - off < AGE_CHUNK_BYTES ? len - off : AGE_CHUNK_BYTES;
        memcpy(n + 3, &i, sizeof(i));
        crypto_aead_chacha20poly1305_ietf_encrypt(out +
            (size_t)i * AGE_TAG_BYTES + off, NULL, in + off, c, NULL, 0,
            NULL, n, key);
        if (len == 0) {
            break;
        }
    }
}

int
main(void)
{
    static const size_t sizes[] = { 100 * 1024, 64 * 1024 * 1024 };
    uint8_t fk[AGE_FILE_KEY_BYTES], key[32];
    struct result enc, dec, raw;
    struct sink ct, pt;
    double te[SAMPLES], td[SAMPLES], tr[SAMPLES], t0;
    uint8_t *in, *rawout;
    size_t i, s, reps, r, len, ctcap;

    if (sodium_init() < 0) {
        return (1);
    }
    age_file_key_new(fk);
    randombytes_buf(key, sizeof(key));
    printf("STREAM throughput (MiB/s; best and median of %d samples)\n\n",
        SAMPLES);
    printf("| input | operation | best MiB/s | median MiB/s | best / raw "
        "best | median / raw median |\n");
    printf("|---|---|---|---|---|---|\n");
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        len = sizes[s];

        /* Aim for about 64 MiB of work per sample. */
        reps = (64u * 1024 * 1024) / len;
        ctcap = AGE_NONCE_BYTES + len + (len / AGE_CHUNK_BYTES + 1) *
            AGE_TAG_BYTES;
        if ((in = malloc(len)) == NULL || (ct.p = malloc(ctcap)) == NULL ||
            (pt.p = malloc(len)) == NULL ||
            (rawout = malloc(ctcap)) == NULL) {
            return (1);
        }
        ct.cap = ctcap;
        pt.cap = len;
        randombytes_buf(in, len);

        /*
         * Interleave the three measurements in each sample so that they
         * share the machine's conditions (load, frequency).
         */
        /* Warm-up: every buffer touched once, before any timing. */
        stream_pass(0, fk, in, len, &ct);
        stream_pass(1, fk, ct.p, ct.len, &pt);
        raw_pass(key, in, len, rawout);
        for (i = 0; i < SAMPLES; i++) {
            t0 = now();
            for (r = 0; r < reps; r++) {
                stream_pass(0, fk, in, len, &ct);
            }
            te[i] = (now() - t0) / (double)reps;
            t0 = now();
            for (r = 0; r < reps; r++) {
                stream_pass(1, fk, ct.p, ct.len, &pt);
            }
            td[i] = (now() - t0) / (double)reps;
            t0 = now();
            for (r = 0; r < reps; r++) {
                raw_pass(key, in, len, rawout);
            }
            tr[i] = (now() - t0) / (double)reps;
        }
        if (pt.len != len || memcmp(pt.p, in, len) != 0) {
            fprintf(stderr, "bench_stream: round trip mismatch\n");
            return (1);
        }
        enc = summarize(te, len);
        dec = summarize(td, len);
        raw = summarize(tr, len);
        printf("| %zu KiB | STREAM encrypt | %.0f | %.0f | %.0f %% | "
            "%.0f %% |\n", len / 1024, enc.best, enc.median,
            100.0 * enc.best / raw.best, 100.0 * enc.median / raw.median);
        printf("| %zu KiB | STREAM decrypt | %.0f | %.0f | %.0f %% | "
            "%.0f %% |\n", len / 1024, dec.best, dec.median,
            100.0 * dec.best / raw.best, 100.0 * dec.median / raw.median);
        printf("| %zu KiB | raw AEAD, 64 KiB chunks | %.0f | %.0f | | |\n",
            len / 1024, raw.best, raw.median);
        free(in);
        free(ct.p);
        free(pt.p);
        free(rawout);
    }
    printf("\nRatios: STREAM against raw ChaCha20-Poly1305 measured in the "
        "same samples;\ntarget >= 85 %%.\n");
    return (0);
}
