#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/accrual.h"
#include "activity/dsn.h"
#include "activity/periods.h"

/*
 * The DSN reader, then everything downstream of it: periods, JSON and the
 * accrual engine.  Beyond not crashing: a file is either a DSN, damaged
 * (with a message), or not a DSN; and a parsed file holds the SIRETs and
 * months the reader promises.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct accrual_params p;
    struct accrual_result *r;
    struct periods_set *set;
    struct dsn_error err;
    struct dsn_file *f;
    char msg[256];
    size_t i;
    json_t *j;
    int rc;

    rc = dsn_parse(data, size, &f, &err);
    check(rc == 0 || rc == DSN_ENOTDSN || rc == DSN_EMALFORMED || rc == -1);
    if (rc != 0) {
        check(f == NULL);
        check(rc == -1 || err.msg[0] != '\0');
        check(rc != DSN_ENOTDSN || !dsn_looks_like(data, size));
        return (0);
    }
    check(f->ndecls > 0);
    for (i = 0; i < f->ndecls; i++) {
        check(strlen(f->decls[i].siret) == 0 ||
            strlen(f->decls[i].siret) == 14);
        check(f->decls[i].month >= 1 && f->decls[i].month <= 12);
    }
    if ((set = periods_new()) != NULL) {
        if (periods_add_dsn(set, f, "fuzz") == 0 &&
            periods_finish(set) == 0) {
            for (i = 0; i < set->nmonths; i++) {
                check(set->months[i].counted >= 0);
                check(set->months[i].absence_days >= 0 &&
                    set->months[i].absence_days <= 31);
            }
            if ((j = periods_to_json(set)) != NULL) {
                json_decref(j);
            }
            memset(&p, 0, sizeof(p));
            p.until = 2030;
            p.dif_hours = 10;
            if (accrual_from_periods(set, &p, &r, msg, sizeof(msg)) == 0) {
                for (i = 0; i < r->nyears; i++) {
                    check(r->years[i].ratio >= 0 &&
                        r->years[i].ratio <= ACCRUAL_RATIO_ONE);
                    check(r->years[i].credit >= 0);
                }
                if ((j = accrual_to_json(r)) != NULL) {
                    json_decref(j);
                }
                accrual_free(r);
            }
        }
        periods_free(set);
    }
    dsn_free(f);
    return (0);
}
