#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/statement.h"

/*
 * The activity-statement reader, then what a service does with what it
 * accepts: write it back (the same text must parse to the same
 * statement), recompute periods and accrual from its facts and compare.
 * Errors and differences, which the service prints, are plain text.
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

/* Nonzero if ${s} holds no control character (C0, DEL, C1 in UTF-8). */
static int
plain(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 &&
            p[1] <= 0x9f)) {
            return (0);
        }
    }
    return (1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct statement *st, *g;
    struct statement_diffs d;
    json_t *j, *p, *a;
    char err[256], *text;
    size_t i;
    int rc;

    rc = statement_parse(data, size, &st, err, sizeof(err));
    check(rc == 0 || rc == STATEMENT_ENOTSTATEMENT ||
        rc == STATEMENT_EINVALID || rc == -1);
    if (rc != 0) {
        check(st == NULL);
        check(plain(err));
        return (0);
    }
    check(st->from >= 2015 && st->from <= st->to);
    check(statement_vault_valid(st->vault));
    for (i = 0; i < st->nfacts; i++) {
        check(strlen(st->facts[i].text) == st->facts[i].textlen);
        check(strlen(st->facts[i].siret) == 14);
    }
    if ((j = statement_to_json(st)) != NULL) {
        text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(j);
        if (text != NULL) {
            rc = statement_parse((const uint8_t *)text, strlen(text), &g,
                err, sizeof(err));
            check(rc == 0 || rc == -1);
            if (rc == 0) {
                check(g->nfacts == st->nfacts);
                check(g->from == st->from && g->to == st->to);
                check(json_equal(g->periods, st->periods));
                statement_free(g);
            }
            free(text);
        }
    }
    memset(&d, 0, sizeof(d));
    if (statement_recompute(st, NULL, &p, &a, &d) == 0) {
        (void)statement_compare(st->periods, p, "periods", &d);
        if (a != NULL) {
            (void)statement_compare(st->accrual, a, "accrual", &d);
        }
        json_decref(p);
        json_decref(a);
    }
    for (i = 0; i < d.n; i++) {
        check(plain(d.v[i]));
    }
    statement_diffs_clear(&d);
    statement_free(st);
    return (0);
}
