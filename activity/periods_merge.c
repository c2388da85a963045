#include "activity/periods.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity/periods_internal.h"

/*
 * Finishing a set of periods: pick the values of the best source of each
 * contract-month and report disagreements, resolve copies of absences,
 * count the days of assimilated absence and the time each month counts
 * for, and sort.  Rules: docs/ACTIVITY.md section 2.
 */

static const char *const src_names[PERIODS_NSRC] = { "payroll facts", "DSN",
    "hook" };

/* Write hundredths as a decimal with two digits. */
static void
fmt_hundredths(int64_t v, char *buf, size_t len)
{
    int64_t a = v < 0 ? -v : v;

    snprintf(buf, len, "%s%lld.%02lld", v < 0 ? "-" : "",
        (long long)(a / 100), (long long)(a % 100));
}

/* Record that two sources disagree about month ${m}. */
static int
add_conflict(struct periods_set *set, const struct periods_month *m,
    const char *what, enum periods_source a, int64_t va,
    enum periods_source b, int64_t vb)
{
    struct periods_conflict *c;
    char sa[32], sb[32];

    if (periods_grow(&set->conflicts, &set->capconflicts, set->nconflicts,
        sizeof(*set->conflicts))) {
        return (-1);
    }
    c = &set->conflicts[set->nconflicts++];
    memcpy(c->siret, m->siret, sizeof(c->siret));
    c->contract_start = m->contract_start;
    c->year = m->year;
    c->month = m->month;
    if (strcmp(what, "unit") == 0) {
        snprintf(sa, sizeof(sa), "%lld", (long long)va);
        snprintf(sb, sizeof(sb), "%lld", (long long)vb);
    } else {
        fmt_hundredths(va, sa, sizeof(sa));
        fmt_hundredths(vb, sb, sizeof(sb));
    }
    snprintf(c->what, sizeof(c->what), "%s: %s %s, %s %s (%s kept)", what,
        src_names[a], sa, src_names[b], sb, src_names[a]);
    return (0);
}

/* Pick the values of the best source of ${m}; report disagreements. */
static int
merge_sources(struct periods_set *set, struct periods_month *m)
{
    int s, best = -1;

    m->sources = 0;
    for (s = 0; s < PERIODS_NSRC; s++) {
        if (!m->src[s].present) {
            continue;
        }
        m->sources |= 1u << s;
        if (best < 0) {
            best = s;
            m->v = m->src[s];
            continue;
        }
        if (m->src[s].unit != m->v.unit &&
            add_conflict(set, m, "unit", (enum periods_source)best,
            m->v.unit, (enum periods_source)s, m->src[s].unit)) {
            return (-1);
        }
        if (m->src[s].ref_quota != m->v.ref_quota &&
            add_conflict(set, m, "reference quota",
            (enum periods_source)best, m->v.ref_quota,
            (enum periods_source)s, m->src[s].ref_quota)) {
            return (-1);
        }
        if (m->src[s].paid != m->v.paid &&
            add_conflict(set, m, "paid", (enum periods_source)best,
            m->v.paid, (enum periods_source)s, m->src[s].paid)) {
            return (-1);
        }
    }
    return (best < 0 ? 0 : 1);
}

/* Among copies of one absence (same contract, kind, reason and start), keep
 * one: a known end beats an open one, then the later copy wins. */
static void
resolve_absences(const struct periods_set *set, char *active)
{
    size_t i, j;

    for (i = 0; i < set->nabsences; i++) {
        active[i] = 1;
    }
    for (i = 0; i < set->nabsences; i++) {
        const struct periods_absence *a = &set->absences[i];

        for (j = 0; j < set->nabsences && active[i]; j++) {
            const struct periods_absence *b = &set->absences[j];

            if (i == j || !active[j] || a->sick != b->sick ||
                a->start != b->start || a->contract_start !=
                b->contract_start || strcmp(a->reason, b->reason) != 0 ||
                strcmp(a->siret, b->siret) != 0 ||
                strcmp(a->nir, b->nir) != 0) {
                continue;
            }
            if ((a->end == PERIODS_DAY_OPEN) != (b->end == PERIODS_DAY_OPEN)) {
                active[i] = (a->end != PERIODS_DAY_OPEN);
            } else {
                active[i] = (i > j);
            }
        }
    }
}

/* Count the days of month ${m} covered by an assimilated absence. */
static int
absence_days(const struct periods_set *set, const char *active,
    const struct periods_month *m)
{
    char day[31];
    int32_t first, last, lo, hi, d;
    size_t i;
    int n = 0, dim = periods_days_in_month(m->year, m->month);

    memset(day, 0, sizeof(day));
    first = periods_day(m->year, m->month, 1);
    last = first + dim - 1;
    if (m->contract_start > first) {
        first = m->contract_start;
    }
    if (m->v.contract_end != 0 && m->v.contract_end < last) {
        last = m->v.contract_end;
    }
    for (i = 0; i < set->nabsences; i++) {
        const struct periods_absence *a = &set->absences[i];

        if (!active[i] || !a->counts || a->contract_start !=
            m->contract_start || strcmp(a->siret, m->siret) != 0 ||
            !periods_same_person(a->nir, m->nir)) {
            continue;
        }
        lo = a->start > first ? a->start : first;
        hi = a->end < last ? a->end : last;
        for (d = lo; d <= hi; d++) {
            day[d - periods_day(m->year, m->month, 1)] = 1;
        }
    }
    for (i = 0; i < (size_t)dim; i++) {
        n += day[i];
    }
    return (n);
}

/* What month ${m} counts for: paid work, plus assimilated absence for the
 * days not already paid, within the monthly reference (docs/ACTIVITY.md). */
static void
count_month(struct periods_month *m)
{
    int dim = periods_days_in_month(m->year, m->month);
    int64_t paid = m->v.paid > 0 ? m->v.paid : 0;
    int64_t r = m->v.ref_quota, q, abs, room;

    m->absence = 0;
    m->counted = 0;
    if (r <= 0) {
        return; /* no reference: nothing can be counted */
    }
    switch (m->v.unit) {
    case PERIODS_UNIT_HOUR:
    case PERIODS_UNIT_DAY:
        q = (m->v.contract_quota > 0 && m->v.contract_quota <= r) ?
            m->v.contract_quota : r;
        abs = q * m->absence_days / dim;
        room = q - paid > 0 ? q - paid : 0;
        m->absence = abs < room ? abs : room;
        m->counted = paid + m->absence < r ? paid + m->absence : r;
        break;
    case PERIODS_UNIT_FORFAIT_DAYS:
    case PERIODS_UNIT_FORFAIT_HOURS:
        /* The reference is annual: a month is worth a twelfth of it. */
        m->absence = r * m->absence_days / (12 * (int64_t)dim);
        m->counted = paid + m->absence;
        break;
    default:
        break;
    }
}

/* Order records by month, SIRET, then contract start. */
static int
cmp_month(const void *pa, const void *pb)
{
    const struct periods_month *a = pa, *b = pb;
    int c;

    if (a->year != b->year) {
        return (a->year < b->year ? -1 : 1);
    }
    if (a->month != b->month) {
        return (a->month < b->month ? -1 : 1);
    }
    if ((c = strcmp(a->siret, b->siret)) != 0) {
        return (c);
    }
    if (a->contract_start != b->contract_start) {
        return (a->contract_start < b->contract_start ? -1 : 1);
    }
    return (0);
}

int
periods_finish(struct periods_set *set)
{
    char *active = NULL;
    size_t i, o;
    int rc;

    set->nconflicts = 0;
    if (set->nabsences > 0 &&
        (active = malloc(set->nabsences)) == NULL) {
        goto err0;
    }
    resolve_absences(set, active);
    if (set->nmonths > 1) {
        qsort(set->months, set->nmonths, sizeof(*set->months), cmp_month);
    }
    for (i = o = 0; i < set->nmonths; i++) {
        struct periods_month *m = &set->months[i];

        if ((rc = merge_sources(set, m)) < 0) {
            goto err1;
        }
        if (rc == 0) {
            continue; /* every source was cancelled */
        }
        m->absence_days = absence_days(set, active, m);
        count_month(m);
        set->months[o++] = *m;
    }
    set->nmonths = o;
    free(active);
    if (periods_index_rebuild(set, set->nmonths)) {
        /* Never leave a stale index behind. */
        free(set->slots);
        set->slots = NULL;
        set->nslots = 0;
        goto err0;
    }
    set->finished = 1;

    /* Success! */
    return (0);

err1:
    free(active);
err0:
    /* Failure! */
    return (-1);
}

/* qsort comparator of NIR pointers. */
static int
cmp_nir(const void *a, const void *b)
{

    return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

size_t
periods_count_persons(const struct periods_set *set)
{
    const char **nirs;
    size_t i, k = 0, n = 0;

    if ((nirs = malloc((set->nmonths + 1) * sizeof(*nirs))) == NULL) {
        /* Without memory, count at least "more than one" correctly. */
        for (i = 1; i < set->nmonths; i++) {
            if (set->months[i].nir[0] != '\0' &&
                set->months[0].nir[0] != '\0' &&
                strcmp(set->months[i].nir, set->months[0].nir) != 0) {
                return (2);
            }
        }
        return (set->nmonths > 0 && set->months[0].nir[0] != '\0');
    }
    for (i = 0; i < set->nmonths; i++) {
        if (set->months[i].nir[0] != '\0') {
            nirs[k++] = set->months[i].nir;
        }
    }
    if (k > 1) {
        qsort(nirs, k, sizeof(*nirs), cmp_nir);
    }
    for (i = 0; i < k; i++) {
        n += (i == 0 || strcmp(nirs[i], nirs[i - 1]) != 0);
    }
    free(nirs);
    return (n);
}

int
periods_keep_person(struct periods_set *set, const char *nir)
{
    size_t i, o;

    for (i = o = 0; i < set->nmonths; i++) {
        if (periods_same_person(set->months[i].nir, nir)) {
            set->months[o++] = set->months[i];
        }
    }
    set->nmonths = o;
    for (i = o = 0; i < set->nabsences; i++) {
        if (periods_same_person(set->absences[i].nir, nir)) {
            set->absences[o++] = set->absences[i];
        }
    }
    set->nabsences = o;
    return (periods_finish(set));
}
