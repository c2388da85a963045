#include "activity/periods.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "activity/dsn.h"
#include "activity/facts.h"
#include "activity/periods_internal.h"

int
periods_grow(void *p, size_t *cap, size_t n, size_t size)
{
    void **pp = p;
    size_t ncap;
    void *np;

    if (n < *cap) {
        return (0);
    }
    ncap = (*cap == 0) ? 16 : *cap * 2;
    if (ncap > SIZE_MAX / size) {
        return (-1);
    }
    if ((np = realloc(*pp, ncap * size)) == NULL) {
        return (-1);
    }
    memset((char *)np + *cap * size, 0, (ncap - *cap) * size);
    *pp = np;
    *cap = ncap;
    return (0);
}

/* Dates: Howard Hinnant's days-from-civil, proleptic Gregorian. */

static int
leap(int y)
{

    return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

int
periods_days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
        30, 31 };

    if (m < 1 || m > 12) {
        return (0);
    }
    return (dim[m - 1] + (m == 2 && leap(y)));
}

int32_t
periods_day(int y, int m, int d)
{
    int era, yoe, doy, doe;

    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 ||
        d > periods_days_in_month(y, m)) {
        return (INT32_MIN);
    }
    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return ((int32_t)(era * 146097 + doe - 719468));
}

void
periods_ymd(int32_t day, int *y, int *m, int *d)
{
    int32_t z = day + 719468;
    int32_t era = z / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int
periods_parse_iso_date(const char *s, int32_t *day)
{
    int32_t d;
    size_t i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return (-1);
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return (-1);
        }
    }
    d = periods_day((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
        (s[2] - '0') * 10 + (s[3] - '0'), (s[5] - '0') * 10 + (s[6] - '0'),
        (s[8] - '0') * 10 + (s[9] - '0'));
    if (d == INT32_MIN) {
        return (-1);
    }
    *day = d;
    return (0);
}

void
periods_format_day(int32_t day, char buf[11])
{
    int y, m, d;

    if (day == 0 || day == PERIODS_DAY_OPEN) {
        buf[0] = '\0';
        return;
    }
    periods_ymd(day, &y, &m, &d);
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
        (unsigned)m % 100u, (unsigned)d % 100u);
}

int
periods_parse_decimal(const char *s, size_t len, int neg_ok, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0, intdigits = 0;
    int neg = 0;

    if (len > 0 && s[0] == '-') {
        if (!neg_ok) {
            return (-1);
        }
        neg = 1;
        i = 1;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (s[i] - '0');
        if (++intdigits > 9) {
            return (-1);
        }
    }
    if (intdigits == 0 || i + 3 != len || s[i] != '.' ||
        s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
        s[i + 2] > '9') {
        return (-1);
    }
    v = v * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    if (v > PERIODS_QUANTITY_MAX) {
        return (-1);
    }
    *out = neg ? -v : v;
    return (0);
}

int
periods_hundredths_from_json(const json_t *j, int64_t *out)
{
    double x, r;

    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);

        if (i < -PERIODS_QUANTITY_MAX / 100 ||
            i > PERIODS_QUANTITY_MAX / 100) {
            return (-1);
        }
        *out = (int64_t)i * 100;
        return (0);
    }
    if (!json_is_real(j)) {
        return (-1);
    }
    x = json_real_value(j) * 100.0;
    if (!(x >= -(double)PERIODS_QUANTITY_MAX &&
        x <= (double)PERIODS_QUANTITY_MAX)) {
        return (-1);
    }
    r = floor(x + 0.5);
    /* More than two decimals is refused, with room for binary noise. */
    if (fabs(x - r) > 1e-6) {
        return (-1);
    }
    *out = (int64_t)r;
    return (0);
}

int
periods_absence_counts(int sick, const char *reason)
{
    static const char *const sick_codes[] = { "02", "03", "05", "06",
        "09" };
    static const char *const susp_codes[] = { "607", "632", "650" };
    size_t i;

    if (sick) {
        for (i = 0; i < sizeof(sick_codes) / sizeof(sick_codes[0]); i++) {
            if (strcmp(reason, sick_codes[i]) == 0) {
                return (1);
            }
        }
    } else {
        for (i = 0; i < sizeof(susp_codes) / sizeof(susp_codes[0]); i++) {
            if (strcmp(reason, susp_codes[i]) == 0) {
                return (1);
            }
        }
    }
    return (0);
}

struct periods_set *
periods_new(void)
{

    return (calloc(1, sizeof(struct periods_set)));
}

void
periods_free(struct periods_set *set)
{
    size_t i;

    if (set == NULL) {
        return;
    }
    for (i = 0; i < set->nwarnings; i++) {
        free(set->warnings[i]);
    }
    free(set->warnings);
    free(set->months);
    free(set->absences);
    free(set->conflicts);
    free(set->slots);
    free(set);
}

/* Replace each byte of ${s} that is not part of valid UTF-8 (or is a
 * control character) by '?'. */
static void
utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n, k;
    uint32_t c;

    while (*p != '\0') {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7f) {
                *p = '?';
            }
            p++;
            continue;
        }
        n = (*p >= 0xc2 && *p <= 0xdf) ? 1 : (*p >= 0xe0 && *p <= 0xef) ?
            2 : (*p >= 0xf0 && *p <= 0xf4) ? 3 : 0;
        c = *p & (n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07);
        for (k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80) {
                break;
            }
            c = (c << 6) | (p[k] & 0x3f);
        }
        if (n == 0 || k <= n || (n == 2 && (c < 0x800 ||
            (c >= 0xd800 && c <= 0xdfff))) || (n == 3 && (c < 0x10000 ||
            c > 0x10ffff))) {
            *p++ = '?';
            continue;
        }
        p += n + 1;
    }
}

int
periods_warn(struct periods_set *set, const char *fmt, ...)
{
    va_list ap;
    char buf[256];
    size_t i;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* File names may be any bytes, and the cut may split a character:
     * warnings go into JSON, so make them valid UTF-8. */
    utf8_scrub(buf);
    /* The same warning once is enough. */
    for (i = 0; i < set->nwarnings; i++) {
        if (strcmp(set->warnings[i], buf) == 0) {
            return (0);
        }
    }
    if (periods_grow(&set->warnings, &set->capwarnings, set->nwarnings,
        sizeof(char *))) {
        return (-1);
    }
    if ((set->warnings[set->nwarnings] = strdup(buf)) == NULL) {
        return (-1);
    }
    set->nwarnings++;
    return (0);
}

int
periods_same_person(const char *a, const char *b)
{

    return (a[0] == '\0' || b[0] == '\0' || strcmp(a, b) == 0);
}

/* FNV-1a over the key of a contract-month and its NIR ("" if unknown). */
static size_t
key_hash(const char *siret, int32_t start, int year, int month,
    const char *nir)
{
    uint64_t h = 14695981039346656037ULL;
    int32_t k[3] = { start, year, month };
    const unsigned char *p;
    size_t i;

    for (p = (const unsigned char *)siret; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
    h = (h ^ '/') * 1099511628211ULL;
    for (p = (const unsigned char *)nir; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
    p = (const unsigned char *)k;
    for (i = 0; i < sizeof(k); i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return ((size_t)h);
}

/* Put month ${i} in the index (which has room). */
static void
index_put(struct periods_set *set, size_t i)
{
    const struct periods_month *m = &set->months[i];
    size_t h = key_hash(m->siret, m->contract_start, m->year, m->month,
        m->nir);

    for (h &= set->nslots - 1; set->slots[h] != 0;
        h = (h + 1) & (set->nslots - 1)) {
        continue;
    }
    set->slots[h] = i + 1;
}

int
periods_index_rebuild(struct periods_set *set, size_t want)
{
    size_t n = 64, i;
    size_t *slots;

    while (n < 2 * want) {
        if (n > SIZE_MAX / 4 / sizeof(*slots)) {
            return (-1);
        }
        n *= 2;
    }
    if ((slots = calloc(n, sizeof(*slots))) == NULL) {
        return (-1);
    }
    free(set->slots);
    set->slots = slots;
    set->nslots = n;
    for (i = 0; i < set->nmonths; i++) {
        index_put(set, i);
    }
    return (0);
}

/* Probe the index for a contract-month stated with exactly ${nir}. */
static ssize_t
probe(const struct periods_set *set, const char *siret, int32_t start,
    int year, int month, const char *nir)
{
    size_t h = key_hash(siret, start, year, month, nir) & (set->nslots - 1);

    for (; set->slots[h] != 0; h = (h + 1) & (set->nslots - 1)) {
        const struct periods_month *m = &set->months[set->slots[h] - 1];

        if (m->year == year && m->month == month &&
            m->contract_start == start && strcmp(m->siret, siret) == 0 &&
            strcmp(m->nir, nir) == 0) {
            return ((ssize_t)(set->slots[h] - 1));
        }
    }
    return (-1);
}

/* Find the record of a contract-month for the person ${nir} ("" when not
 * known, which matches any person), or -1. */
static ssize_t
find_month(const struct periods_set *set, const char *siret, int32_t start,
    int year, int month, const char *nir)
{
    ssize_t k;
    size_t i;

    if (set->nslots == 0) {
        return (-1);
    }
    if (nir[0] != '\0') {
        if ((k = probe(set, siret, start, year, month, nir)) >= 0) {
            return (k);
        }
        return (probe(set, siret, start, year, month, ""));
    }
    for (i = set->nmonths; i > 0; i--) {
        const struct periods_month *m = &set->months[i - 1];

        if (m->year == year && m->month == month &&
            m->contract_start == start && strcmp(m->siret, siret) == 0) {
            return ((ssize_t)(i - 1));
        }
    }
    return (-1);
}

/* Without a contract start, attach to the only contract of that SIRET and
 * month if there is exactly one. */
static int32_t
guess_start(const struct periods_set *set, const char *siret, int year,
    int month, const char *nir)
{
    int32_t found = 0;
    size_t i, n = 0;

    for (i = 0; i < set->nmonths; i++) {
        const struct periods_month *m = &set->months[i];

        if (m->year == year && m->month == month &&
            strcmp(m->siret, siret) == 0 && periods_same_person(m->nir, nir)) {
            found = m->contract_start;
            n++;
        }
    }
    return (n == 1 ? found : 0);
}

int
periods_add_month(struct periods_set *set, enum periods_source src,
    const char *siret, int32_t contract_start, int year, int month,
    const struct periods_values *vals)
{
    struct periods_month *m;
    struct periods_values *sv;
    ssize_t k;

    if (contract_start == 0) {
        contract_start = guess_start(set, siret, year, month, vals->nir);
    }
    if ((k = find_month(set, siret, contract_start, year, month,
        vals->nir)) < 0) {
        if (periods_grow(&set->months, &set->capmonths, set->nmonths,
            sizeof(*set->months))) {
            return (-1);
        }
        if (2 * (set->nmonths + 1) > set->nslots &&
            periods_index_rebuild(set, set->nmonths + 1)) {
            return (-1);
        }
        k = (ssize_t)set->nmonths++;
        m = &set->months[k];
        memset(m, 0, sizeof(*m));
        snprintf(m->siret, sizeof(m->siret), "%s", siret);
        m->contract_start = contract_start;
        m->year = year;
        m->month = month;
        memcpy(m->nir, vals->nir, sizeof(m->nir));
        index_put(set, (size_t)k);
    }
    m = &set->months[k];
    if (m->nir[0] == '\0' && vals->nir[0] != '\0') {
        /* The record now has a person: index it under the NIR. */
        memcpy(m->nir, vals->nir, sizeof(m->nir));
        if (periods_index_rebuild(set, set->nmonths)) {
            free(set->slots);
            set->slots = NULL;
            set->nslots = 0;
            return (-1);
        }
    }
    sv = &m->src[src];
    set->finished = 0;

    if (src != PERIODS_SRC_DSN || !sv->present) {
        /* Payroll facts and hooks: the later document replaces. */
        *sv = *vals;
        sv->present = 1;
        return (0);
    }
    if (sv->seq == vals->seq || sv->decl_ym != vals->decl_ym) {
        /* More pay of the same declaration, or a regularisation that a
         * later declaration makes for this month: add it. */
        sv->paid += vals->paid;
        if (sv->paid > PERIODS_QUANTITY_MAX) {
            sv->paid = PERIODS_QUANTITY_MAX;
        } else if (sv->paid < -PERIODS_QUANTITY_MAX) {
            sv->paid = -PERIODS_QUANTITY_MAX;
        }
        if (sv->seq == vals->seq) {
            sv->contract_end = vals->contract_end;
        }
        return (0);
    }
    /* The same month declared again: the later copy replaces. */
    *sv = *vals;
    sv->present = 1;
    return (0);
}

int
periods_add_absence(struct periods_set *set,
    const struct periods_absence *abs)
{

    if (periods_grow(&set->absences, &set->capabsences, set->nabsences,
        sizeof(*set->absences))) {
        return (-1);
    }
    set->absences[set->nabsences++] = *abs;
    set->finished = 0;
    return (0);
}

/* Remove what earlier DSN declarations of ${siret} for month ${ym} said. */
static void
cancel_declaration(struct periods_set *set, const char *siret, int32_t ym)
{
    size_t i, o;

    for (i = 0; i < set->nmonths; i++) {
        struct periods_month *m = &set->months[i];
        struct periods_values *v = &m->src[PERIODS_SRC_DSN];

        if (v->present && v->decl_ym == ym && strcmp(m->siret, siret) == 0) {
            memset(v, 0, sizeof(*v));
        }
    }
    for (i = o = 0; i < set->nabsences; i++) {
        struct periods_absence *a = &set->absences[i];

        if (a->source == PERIODS_SRC_DSN && a->decl_ym == ym &&
            strcmp(a->siret, siret) == 0) {
            continue;
        }
        set->absences[o++] = *a;
    }
    set->nabsences = o;
    set->finished = 0;
}

/* The end of a contract, ignoring cancelled ends. */
static int32_t
contract_end(const struct dsn_contract *c)
{

    if (c->end == 0 || strcmp(c->end_reason, "099") == 0) {
        return (PERIODS_DAY_OPEN);
    }
    return (c->end);
}

/* The values every month of contract ${c} shares. */
static int
contract_values(struct periods_set *set, const struct dsn_declaration *d,
    const struct dsn_individual *ind, const struct dsn_contract *c,
    struct periods_values *v)
{

    memset(v, 0, sizeof(*v));
    v->present = 1;
    memcpy(v->nir, ind->nir, sizeof(v->nir));
    v->unit = c->unit ? c->unit : PERIODS_UNIT_HOUR;
    v->ref_quota = c->ref_quota;
    if (v->unit != PERIODS_UNIT_HOUR && v->unit != PERIODS_UNIT_DAY &&
        v->unit != PERIODS_UNIT_FORFAIT_DAYS &&
        v->unit != PERIODS_UNIT_FORFAIT_HOURS) {
        /* No working time, or a unit we do not know: counts nothing. */
        if (v->unit != PERIODS_UNIT_NONE && periods_warn(set, "%s: DSN %s "
            "%04d-%02d: contract of line %zu has unknown unit %02d; not "
            "counted", set->doc, d->siret, d->year, d->month, c->line,
            v->unit % 100)) {
            return (-1);
        }
        v->unit = PERIODS_UNIT_NONE;
    } else if (v->ref_quota <= 0 && (v->unit == PERIODS_UNIT_HOUR ||
        v->unit == PERIODS_UNIT_FORFAIT_HOURS)) {
        v->ref_quota = PERIODS_LEGAL_QUOTA;
        v->unit = PERIODS_UNIT_HOUR;
        if (periods_warn(set, "%s: DSN %s %04d-%02d: contract of line %zu has "
            "no reference quota; 151.67 h assumed",
            set->doc, d->siret, d->year,
            d->month, c->line)) {
            return (-1);
        }
    } else if (v->ref_quota <= 0) {
        /* Days without a reference cannot be turned into a ratio. */
        v->unit = PERIODS_UNIT_NONE;
        if (periods_warn(set, "%s: DSN %s %04d-%02d: contract of line %zu "
            "counts days without a reference quota; not counted",
            set->doc, d->siret,
            d->year, d->month, c->line)) {
            return (-1);
        }
    }
    if (v->ref_quota < 0) {
        v->ref_quota = 0;
    }
    v->contract_quota = c->contract_quota > 0 ? c->contract_quota : 0;
    v->contract_end = contract_end(c);
    memcpy(v->nature, c->nature, sizeof(v->nature));
    memcpy(v->contract, c->number, sizeof(v->contract));
    return (0);
}

/* Add the absences of one DSN contract. */
static int
add_dsn_absences(struct periods_set *set, const struct dsn_declaration *d,
    const struct dsn_individual *ind, const struct dsn_contract *c,
    int32_t ym, unsigned long seq)
{
    struct periods_absence a;
    size_t i;

    for (i = 0; i < c->nabsences; i++) {
        const struct dsn_absence *da = &c->absences[i];

        memset(&a, 0, sizeof(a));
        memcpy(a.siret, d->siret, sizeof(a.siret));
        memcpy(a.nir, ind->nir, sizeof(a.nir));
        a.contract_start = c->start;
        a.sick = da->sick;
        memcpy(a.reason, da->reason, sizeof(a.reason));
        if (da->sick) {
            a.start = da->last_worked ? da->last_worked + 1 : c->start;
            if (da->return_date) {
                a.end = da->return_date - 1;
            } else if (da->planned_end) {
                a.end = da->planned_end;
            } else {
                a.end = PERIODS_DAY_OPEN;
            }
        } else {
            a.start = da->start;
            a.end = da->end ? da->end : PERIODS_DAY_OPEN;
        }
        if (a.end < a.start) {
            if (periods_warn(set, "%s: DSN %s %04d-%02d: absence of line %zu "
                "ends before it starts; ignored", set->doc, d->siret, d->year,
                d->month, da->line)) {
                return (-1);
            }
            continue;
        }
        a.counts = periods_absence_counts(a.sick, a.reason);
        a.source = PERIODS_SRC_DSN;
        a.decl_ym = ym;
        a.seq = seq;
        if (periods_add_absence(set, &a)) {
            return (-1);
        }
    }
    return (0);
}

/* The contract a remuneration block belongs to, or NULL. */
static const struct dsn_contract *
pay_contract(const struct dsn_individual *ind, const struct dsn_pay *p)
{
    size_t i;

    if (p->contract[0] != '\0') {
        for (i = 0; i < ind->ncontracts; i++) {
            if (strcmp(ind->contracts[i].number, p->contract) == 0) {
                return (&ind->contracts[i]);
            }
        }
    }
    if (ind->ncontracts == 1) {
        return (&ind->contracts[0]);
    }
    for (i = 0; i < ind->ncontracts; i++) {
        const struct dsn_contract *c = &ind->contracts[i];

        if (c->start <= p->start && p->start <= contract_end(c)) {
            return (c);
        }
    }
    return (NULL);
}

/* Add one individual of declaration ${d}. */
static int
add_dsn_individual(struct periods_set *set, const struct dsn_declaration *d,
    const struct dsn_individual *ind, int32_t ym, unsigned long seq)
{
    struct periods_values v;
    int32_t first, last;
    size_t i;
    int y, mo, dd;

    first = periods_day(d->year, d->month, 1);
    last = first + periods_days_in_month(d->year, d->month) - 1;
    for (i = 0; i < ind->ncontracts; i++) {
        const struct dsn_contract *c = &ind->contracts[i];

        if (contract_values(set, d, ind, c, &v)) {
            return (-1);
        }
        v.decl_ym = ym;
        v.seq = seq;
        if (c->start <= last && v.contract_end >= first) {
            if (periods_add_month(set, PERIODS_SRC_DSN, d->siret, c->start,
                d->year, d->month, &v)) {
                return (-1);
            }
        }
        if (add_dsn_absences(set, d, ind, c, ym, seq)) {
            return (-1);
        }
    }
    for (i = 0; i < ind->npays; i++) {
        const struct dsn_pay *p = &ind->pays[i];
        const struct dsn_contract *c;

        if (strcmp(p->type, "002") != 0) {
            continue;
        }
        if ((c = pay_contract(ind, p)) == NULL) {
            if (periods_warn(set, "%s: DSN %s %04d-%02d: remuneration of line "
                "%zu matches no contract; ignored",
                set->doc, d->siret, d->year,
                d->month, p->line)) {
                return (-1);
            }
            continue;
        }
        if (contract_values(set, d, ind, c, &v)) {
            return (-1);
        }
        v.decl_ym = ym;
        v.seq = seq;
        if (p->has_activity) {
            v.paid = (v.unit == PERIODS_UNIT_FORFAIT_DAYS ||
                v.unit == PERIODS_UNIT_DAY) ? p->work_days : p->work_hours;
        } else {
            v.paid = p->has_hours ? p->hours : 0;
        }
        periods_ymd(p->start, &y, &mo, &dd);
        if (periods_add_month(set, PERIODS_SRC_DSN, d->siret, c->start, y,
            mo, &v)) {
            return (-1);
        }
    }
    return (0);
}

int
periods_add_dsn(struct periods_set *set, const struct dsn_file *dsn,
    const char *name)
{
    size_t i, j;

    set->doc = name != NULL ? name : "(DSN file)";
    for (i = 0; i < dsn->ndecls; i++) {
        const struct dsn_declaration *d = &dsn->decls[i];
        int32_t ym = d->year * 12 + d->month - 1;
        unsigned long seq = ++set->seq;

        if (strcmp(d->type, "03") == 0 || strcmp(d->type, "04") == 0 ||
            strcmp(d->type, "05") == 0) {
            cancel_declaration(set, d->siret, ym);
        }
        if (strcmp(d->type, "04") == 0) {
            continue;
        }
        for (j = 0; j < d->nindividuals; j++) {
            if (add_dsn_individual(set, d, &d->individuals[j], ym, seq)) {
                set->doc = NULL;
                return (-1);
            }
        }
    }
    set->doc = NULL;
    return (0);
}

int
periods_add_facts(struct periods_set *set, const struct facts *f)
{
    struct periods_values v;
    struct periods_absence a;
    ssize_t k;
    size_t i;

    memset(&v, 0, sizeof(v));
    v.present = 1;
    v.unit = f->unit;
    v.ref_quota = f->ref_quota;
    v.contract_quota = f->contract_quota;
    v.paid = f->paid;
    v.contract_end = f->contract_end;
    memcpy(v.nature, f->nature, sizeof(v.nature));
    memcpy(v.contract, f->contract, sizeof(v.contract));
    memcpy(v.nir, f->nir, sizeof(v.nir));
    if (periods_add_month(set, PERIODS_SRC_FACTS, f->siret,
        f->contract_start, f->year, f->month, &v)) {
        return (-1);
    }
    k = find_month(set, f->siret, f->contract_start, f->year, f->month,
        f->nir);
    if (k >= 0) {
        snprintf(set->months[k].employer, sizeof(set->months[k].employer),
            "%s", f->employer);
    }
    for (i = 0; i < f->nabsences; i++) {
        memset(&a, 0, sizeof(a));
        memcpy(a.siret, f->siret, sizeof(a.siret));
        memcpy(a.nir, f->nir, sizeof(a.nir));
        a.contract_start = f->contract_start;
        a.sick = f->absences[i].sick;
        memcpy(a.reason, f->absences[i].reason, sizeof(a.reason));
        a.start = f->absences[i].start;
        a.end = f->absences[i].end;
        a.counts = periods_absence_counts(a.sick, a.reason);
        a.source = PERIODS_SRC_FACTS;
        if (periods_add_absence(set, &a)) {
            return (-1);
        }
    }
    return (0);
}
