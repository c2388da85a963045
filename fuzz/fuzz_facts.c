#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/facts.h"
#include "activity/periods.h"

/*
 * The payroll-facts reader and the periods JSON a hook prints, on the same
 * bytes.  Whatever facts are accepted must survive a round trip through
 * facts_to_json() unchanged.
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
    struct periods_set *set;
    struct facts *f, *g;
    char err[256], *text;
    json_t *j;
    int rc;

    rc = facts_parse(data, size, &f, err, sizeof(err));
    check(rc == 0 || rc == FACTS_ENOTFACTS || rc == FACTS_EINVALID ||
        rc == -1);
    if (rc == 0) {
        check(strlen(f->siret) == 14);
        check(f->month >= 1 && f->month <= 12);
        if ((j = facts_to_json(f)) != NULL) {
            text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
            json_decref(j);
            if (text != NULL) {
                rc = facts_parse((const uint8_t *)text, strlen(text), &g,
                    err, sizeof(err));
                check(rc == 0 || rc == -1);
                if (rc == 0) {
                    check(strcmp(g->siret, f->siret) == 0);
                    check(g->paid == f->paid);
                    check(g->ref_quota == f->ref_quota);
                    check(g->contract_start == f->contract_start);
                    check(g->period_start == f->period_start);
                    check(g->nabsences == f->nabsences);
                    facts_free(g);
                }
                free(text);
            }
        }
        if ((set = periods_new()) != NULL) {
            if (periods_add_facts(set, f) == 0) {
                (void)periods_finish(set);
            }
            periods_free(set);
        }
        facts_free(f);
    } else {
        check(f == NULL);
    }
    if ((set = periods_new()) != NULL) {
        if (periods_add_json(set, (const char *)data, size, err,
            sizeof(err)) == 0 && periods_finish(set) == 0) {
            if ((j = periods_to_json(set)) != NULL) {
                json_decref(j);
            }
        }
        periods_free(set);
    }
    return (0);
}
