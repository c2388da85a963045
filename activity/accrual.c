#include "activity/accrual.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity/periods.h"

/* Rules of the hours era (hours) and the euro era (cents). */
#define H_RATE 24
#define H_RATE_HIGH 12
#define H_STEP 120
#define H_CEILING 150
#define H_LQ_RATE 48
#define H_LQ_CEILING 400
#define E_RATE 50000
#define E_CEILING 500000
#define E_LQ_RATE 80000
#define E_LQ_CEILING 800000
#define CONV_CENTS_PER_HOUR 1500
#define CONV_CEC_CENTS_PER_HOUR 1200
#define CEC_HOURS 20
#define CEC_HOURS_CEILING 60
#define CEC_CENTS 24000
#define CEC_CENTS_CEILING 72000
#define HALF_THOUSANDTHS 500

static const char *const cec_activities[] = { "civic-service",
    "military-reserve", "citizen-reserve", "municipal-reserve",
    "health-reserve", "apprentice-master", "volunteering", NULL };

/* A growing sentence. */
struct text {
    char *buf;
    size_t len, off;
};

/* After a cut, drop a last character that lost some of its bytes. */
static void
utf8_trim(struct text *t)
{
    size_t p = t->off, need;
    unsigned char c;

    while (p > 0 && ((unsigned char)t->buf[p - 1] & 0xc0) == 0x80) {
        p--;
    }
    if (p == 0) {
        return;
    }
    c = (unsigned char)t->buf[p - 1];
    need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (p - 1 + need > t->off) {
        t->off = p - 1;
    }
    t->buf[t->off] = '\0';
}

/* Append to ${t}, truncating silently at its end (on a character). */
static void
add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->off + 1 >= t->len) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->off, t->len - t->off, fmt, ap);
    va_end(ap);
    if (n > 0) {
        t->off += (size_t)n;
        if (t->off >= t->len) {
            t->off = t->len - 1;
            utf8_trim(t);
        }
    }
}

/* Format ${v}, a number with ${dec} decimals, rounded half up to ${show}
 * decimals, with a comma between thousands ("1,456.0"). */
static void
fmt_num(char *buf, size_t len, int64_t v, int dec, int show)
{
    char digits[32], out[48];
    int64_t div = 1, scale = 1;
    size_t n = 0, o = 0, i;
    int neg = v < 0, k;

    if (neg) {
        v = -v;
    }
    for (k = show; k < dec; k++) {
        div *= 10;
    }
    v = (v + div / 2) / div;
    for (k = 0; k < show; k++) {
        scale *= 10;
    }
    snprintf(digits, sizeof(digits), "%lld", (long long)(v / scale));
    n = strlen(digits);
    if (neg) {
        out[o++] = '-';
    }
    for (i = 0; i < n; i++) {
        out[o++] = digits[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n) {
            out[o++] = ',';
        }
    }
    if (show > 0) {
        int64_t frac = v % scale;

        out[o++] = '.';
        for (k = show - 1; k >= 0; k--) {
            out[o + (size_t)k] = (char)('0' + frac % 10);
            frac /= 10;
        }
        o += (size_t)show;
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

/* Round a non-negative quantity in billionths up to a whole unit. */
static int64_t
ceil_units(int64_t n)
{

    return ((n + ACCRUAL_RATIO_ONE - 1) / ACCRUAL_RATIO_ONE);
}

int
accrual_cec_parse(const char *s, struct accrual_cec *out)
{
    const char *colon = strrchr(s, ':');
    size_t i, n;
    int y = 0;

    if (colon == NULL || (n = (size_t)(colon - s)) == 0 ||
        n >= sizeof(out->activity) || strlen(colon + 1) != 4) {
        return (-1);
    }
    for (i = 1; i <= 4; i++) {
        if (colon[i] < '0' || colon[i] > '9') {
            return (-1);
        }
        y = y * 10 + (colon[i] - '0');
    }
    for (i = 0; cec_activities[i] != NULL; i++) {
        if (strlen(cec_activities[i]) == n &&
            memcmp(cec_activities[i], s, n) == 0) {
            break;
        }
    }
    if (cec_activities[i] == NULL || y < 1900 || y > ACCRUAL_LAST_YEAR) {
        return (-1);
    }
    memcpy(out->activity, s, n);
    out->activity[n] = '\0';
    out->year = y;
    return (0);
}

int
accrual_cec_parse_list(const char *s, struct accrual_cec *cec, size_t *ncec)
{
    char item[64];
    const char *end;
    size_t n = *ncec, len;

    for (;;) {
        end = strchr(s, ',');
        len = end != NULL ? (size_t)(end - s) : strlen(s);
        if (n >= ACCRUAL_CEC_MAX || len >= sizeof(item)) {
            return (-1);
        }
        memcpy(item, s, len);
        item[len] = '\0';
        if (accrual_cec_parse(item, &cec[n]) != 0) {
            return (-1);
        }
        n++;
        if (end == NULL) {
            break;
        }
        s = end + 1;
    }
    *ncec = n;
    return (0);
}

/* The ratio of ${y}: the sum over its contracts, at most a full year; the
 * sentence that shows it goes to ${t}. */
static int64_t
year_ratio(const struct accrual_contract_year *cy, size_t n, int y, int euro,
    struct text *t)
{
    char a[32], b[32], c[32];
    int64_t sum = 0, r, ref;
    size_t i, k = 0, count = 0;

    for (i = 0; i < n; i++) {
        count += (cy[i].year == y);
    }
    for (i = 0; i < n; i++) {
        if (cy[i].year != y) {
            continue;
        }
        ref = euro ? cy[i].reference_euros : cy[i].reference;
        r = 0;
        if (ref > 0) {
            r = (cy[i].counted * ACCRUAL_RATIO_ONE) / ref;
            if (r > ACCRUAL_RATIO_ONE) {
                r = ACCRUAL_RATIO_ONE;
            }
        }
        sum += r;
        fmt_num(a, sizeof(a), cy[i].counted - cy[i].absence, 2, 1);
        fmt_num(b, sizeof(b), cy[i].absence, 2, 1);
        fmt_num(c, sizeof(c), ref, 2, 1);
        add(t, "%s%s %s", k++ ? " + " : "", a,
            cy[i].days ? "days worked" : "paid hours");
        if (cy[i].absence > 0) {
            add(t, " + %s %s of assimilated absence", b,
                cy[i].days ? "days" : "h");
        }
        add(t, " of %s", c);
        if (count > 1) {
            add(t, " (SIRET %s)", cy[i].siret);
        }
    }
    if (k == 0) {
        add(t, "no work");
    }
    fmt_num(a, sizeof(a), sum > ACCRUAL_RATIO_ONE ? ACCRUAL_RATIO_ONE : sum,
        9, 3);
    add(t, " → ratio %s%s", a, sum > ACCRUAL_RATIO_ONE ?
        " (capped at a full year)" : "");
    return (sum > ACCRUAL_RATIO_ONE ? ACCRUAL_RATIO_ONE : sum);
}

/* Credit of an hours-era year at balance ${bal}; the sentence to ${t}. */
static int64_t
hours_credit(int64_t ratio, int64_t bal, int lq, struct text *t)
{
    char r1[32], r2[32], h1[32], h2[32];
    int64_t raw, credit, ceiling = lq ? H_LQ_CEILING : H_CEILING;
    int64_t first;

    fmt_num(r1, sizeof(r1), ratio, 9, 3);
    if (lq) {
        raw = H_LQ_RATE * ratio;
        fmt_num(h1, sizeof(h1), raw, 9, 1);
        add(t, " → %d h (low-qualified) × %s = %s", H_LQ_RATE, r1, h1);
    } else if (bal >= H_STEP) {
        raw = H_RATE_HIGH * ratio;
        fmt_num(h1, sizeof(h1), raw, 9, 1);
        add(t, " → %d h (balance at least %d h) × %s = %s", H_RATE_HIGH,
            H_STEP, r1, h1);
    } else if (H_RATE * ratio <= (H_STEP - bal) * ACCRUAL_RATIO_ONE) {
        raw = H_RATE * ratio;
        fmt_num(h1, sizeof(h1), raw, 9, 1);
        add(t, " → %d h × %s = %s", H_RATE, r1, h1);
    } else {
        /* Policy for the year that crosses 120 h: the 24 h rate up to
         * 120 h, the 12 h rate for the rest of the year's ratio. */
        /* (120 - B) h use (120 - B) / 24 of the year; the rest earns
         * 12 h × (ratio - (120 - B) / 24).  Summed without rounding the
         * split: (120 - B) × (1 - 12/24) + 12 × ratio. */
        first = (H_STEP - bal) * ACCRUAL_RATIO_ONE / H_RATE;
        raw = (H_STEP - bal) * ACCRUAL_RATIO_ONE *
            (H_RATE - H_RATE_HIGH) / H_RATE + H_RATE_HIGH * ratio;
        fmt_num(r1, sizeof(r1), first, 9, 3);
        fmt_num(r2, sizeof(r2), ratio - first, 9, 3);
        fmt_num(h1, sizeof(h1), (H_STEP - bal) * ACCRUAL_RATIO_ONE, 9, 1);
        fmt_num(h2, sizeof(h2), raw - (H_STEP - bal) * ACCRUAL_RATIO_ONE,
            9, 1);
        add(t, " → %d h × %s = %s up to %d h, then %d h × %s = %s", H_RATE,
            r1, h1, H_STEP, H_RATE_HIGH, r2, h2);
    }
    credit = ceil_units(raw);
    add(t, " → %lld h", (long long)credit);
    if (bal + credit > ceiling) {
        credit = bal >= ceiling ? 0 : ceiling - bal;
        add(t, ", %lld h under the %lld h ceiling", (long long)credit,
            (long long)ceiling);
    }
    add(t, "; balance %lld h", (long long)(bal + credit));
    return (credit);
}

/* Credit of a euro-era year at balance ${bal} (cents). */
static int64_t
euro_credit(int64_t ratio, int64_t bal, int lq, struct text *t)
{
    char r[32], amount[32], c[32], b[32], ceil_s[32];
    int64_t rate = lq ? E_LQ_RATE : E_RATE;
    int64_t ceiling = lq ? E_LQ_CEILING : E_CEILING;
    int64_t credit, thousandths = (ratio + 500000) / 1000000;

    fmt_num(r, sizeof(r), ratio, 9, 3);
    fmt_num(amount, sizeof(amount), rate, 2, 2);
    if (thousandths >= HALF_THOUSANDTHS) {
        credit = rate;
        add(t, ", at least half → %s €%s", amount,
            lq ? " (low-qualified)" : "");
    } else {
        credit = (rate * ratio + ACCRUAL_RATIO_ONE - 1) / ACCRUAL_RATIO_ONE;
        fmt_num(c, sizeof(c), credit, 2, 2);
        add(t, " → %s €%s × %s = %s €", amount,
            lq ? " (low-qualified)" : "", r, c);
    }
    if (bal + credit > ceiling) {
        credit = bal >= ceiling ? 0 : ceiling - bal;
        fmt_num(c, sizeof(c), credit, 2, 2);
        fmt_num(ceil_s, sizeof(ceil_s), ceiling, 2, 2);
        add(t, ", %s € under the %s € ceiling", c, ceil_s);
    }
    fmt_num(b, sizeof(b), bal + credit, 2, 2);
    add(t, "; balance %s €", b);
    return (credit);
}

/* The citizen-engagement credit of year ${y}: distinct activities. */
static int64_t
cec_credit(const struct accrual_params *p, int y, int64_t bal,
    struct text *t)
{
    size_t i, j, k = 0;
    int euro = (y >= ACCRUAL_EURO_YEAR);
    int64_t credit, ceiling = euro ? CEC_CENTS_CEILING : CEC_HOURS_CEILING;
    char c[32], b[32];

    for (i = 0; i < p->ncec; i++) {
        if (p->cec[i].year != y) {
            continue;
        }
        for (j = 0; j < i; j++) {
            if (p->cec[j].year == y &&
                strcmp(p->cec[j].activity, p->cec[i].activity) == 0) {
                break;
            }
        }
        if (j == i) {
            add(t, "%s%s", k++ ? ", " : "; CEC: ", p->cec[i].activity);
        }
    }
    if (k == 0) {
        return (0);
    }
    if (y < ACCRUAL_CEC_YEAR) {
        add(t, " (before %d: nothing)", ACCRUAL_CEC_YEAR);
        return (0);
    }
    credit = (int64_t)k * (euro ? CEC_CENTS : CEC_HOURS);
    if (bal + credit > ceiling) {
        credit = bal >= ceiling ? 0 : ceiling - bal;
    }
    if (euro) {
        fmt_num(c, sizeof(c), credit, 2, 2);
        fmt_num(b, sizeof(b), bal + credit, 2, 2);
        add(t, " → %s €; CEC balance %s €", c, b);
    } else {
        add(t, " → %lld h; CEC balance %lld h", (long long)credit,
            (long long)(bal + credit));
    }
    return (credit);
}

/* Convert the hour balances on 1 January 2019. */
static void
convert(struct accrual_result *r, int64_t hours, int dif, int64_t cec_hours)
{
    char e[32], c[32];

    r->converted = 1;
    r->conv_hours = hours;
    r->conv_dif_hours = dif;
    r->conv_cents = (hours + dif) * CONV_CENTS_PER_HOUR;
    r->conv_cec_hours = cec_hours;
    r->conv_cec_cents = cec_hours * CONV_CEC_CENTS_PER_HOUR;
    fmt_num(e, sizeof(e), r->conv_cents, 2, 2);
    fmt_num(c, sizeof(c), r->conv_cec_cents, 2, 2);
    if (r->has_cec) {
        snprintf(r->conv_explanation, sizeof(r->conv_explanation),
            "1 January %d: (%lld h + %d h of DIF) × 15.00 € = %s €; "
            "CEC %lld h × 12.00 € = %s €", ACCRUAL_EURO_YEAR,
            (long long)hours, dif, e, (long long)cec_hours, c);
    } else {
        snprintf(r->conv_explanation, sizeof(r->conv_explanation),
            "1 January %d: (%lld h + %d h of DIF) × 15.00 € = %s €",
            ACCRUAL_EURO_YEAR, (long long)hours, dif, e);
    }
}

/* Check the parameters and find the first year; 0 or -2. */
static int
check_params(const struct accrual_contract_year *cy, size_t n,
    const struct accrual_params *p, int *first, char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (cy[i].counted < 0 || cy[i].absence < 0 ||
            cy[i].absence > cy[i].counted ||
            cy[i].counted > 12 * (int64_t)PERIODS_QUANTITY_MAX ||
            cy[i].reference < 0 || cy[i].reference_euros < 0 ||
            cy[i].reference > 12 * (int64_t)PERIODS_QUANTITY_MAX ||
            cy[i].reference_euros > 12 * (int64_t)PERIODS_QUANTITY_MAX) {
            snprintf(err, errlen, "contract-year %zu out of range", i);
            return (-2);
        }
    }
    *first = p->first_year;
    if (*first == 0) {
        for (i = 0; i < n; i++) {
            if (cy[i].year >= ACCRUAL_FIRST_YEAR &&
                (*first == 0 || cy[i].year < *first)) {
                *first = cy[i].year;
            }
        }
        /* A citizen engagement is data too, even in a year without
         * work. */
        for (i = 0; i < p->ncec; i++) {
            if (p->cec[i].year >= ACCRUAL_CEC_YEAR &&
                p->cec[i].year <= p->until &&
                (*first == 0 || p->cec[i].year < *first)) {
                *first = p->cec[i].year;
            }
        }
    }
    if (*first == 0) {
        snprintf(err, errlen, "no period in %d or later", ACCRUAL_FIRST_YEAR);
        return (-2);
    }
    if (*first < ACCRUAL_FIRST_YEAR) {
        *first = ACCRUAL_FIRST_YEAR;
    }
    if (p->until < *first || p->until > ACCRUAL_LAST_YEAR) {
        snprintf(err, errlen, "no year to compute: first year %d, until %d",
            *first, p->until);
        return (-2);
    }
    if (p->dif_hours < 0 || p->dif_hours > ACCRUAL_DIF_MAX) {
        snprintf(err, errlen, "DIF hours must be 0..%d", ACCRUAL_DIF_MAX);
        return (-2);
    }
    if (p->opening_hours < 0 || p->opening_hours > ACCRUAL_OPENING_MAX) {
        snprintf(err, errlen, "opening hours must be 0..%d",
            ACCRUAL_OPENING_MAX);
        return (-2);
    }
    if (p->low_qualified_since != 0 && (p->low_qualified_since < 1900 ||
        p->low_qualified_since > ACCRUAL_LAST_YEAR)) {
        snprintf(err, errlen, "bad low-qualified year");
        return (-2);
    }
    return (0);
}

int
accrual_compute(const struct accrual_contract_year *cy, size_t n,
    const struct accrual_params *p, struct accrual_result **out, char *err,
    size_t errlen)
{
    struct accrual_result *r;
    int64_t bal = 0, cec = 0;
    int first, y, lq, euro, rc;
    size_t i;

    *out = NULL;
    if ((rc = check_params(cy, n, p, &first, err, errlen)) != 0) {
        return (rc);
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        goto err0;
    }
    r->nyears = (size_t)(p->until - first + 1);
    if ((r->years = calloc(r->nyears, sizeof(*r->years))) == NULL) {
        goto err1;
    }
    for (i = 0; i < p->ncec; i++) {
        r->has_cec |= (p->cec[i].year >= first && p->cec[i].year <= p->until);
    }
    r->era = ACCRUAL_ERA_HOURS;
    bal = p->opening_hours;
    for (i = 0; i < r->nyears; i++) {
        struct accrual_year *ay = &r->years[i];
        struct text t = { ay->explanation, sizeof(ay->explanation), 0 };

        y = first + (int)i;
        euro = (y >= ACCRUAL_EURO_YEAR);
        if (euro && !r->converted) {
            convert(r, bal, p->dif_hours, cec);
            bal = r->conv_cents;
            cec = r->conv_cec_cents;
            r->era = ACCRUAL_ERA_EUROS;
        }
        lq = (p->low_qualified_since != 0 && y >= p->low_qualified_since &&
            y >= ACCRUAL_LQ_YEAR);
        ay->year = y;
        ay->era = euro ? ACCRUAL_ERA_EUROS : ACCRUAL_ERA_HOURS;
        add(&t, "%d: ", y);
        ay->ratio = year_ratio(cy, n, y, euro, &t);
        ay->credit = euro ? euro_credit(ay->ratio, bal, lq, &t) :
            hours_credit(ay->ratio, bal, lq, &t);
        bal += ay->credit;
        ay->balance = bal;
        ay->cec_credit = cec_credit(p, y, cec, &t);
        cec += ay->cec_credit;
        ay->cec_balance = cec;
    }
    r->balance = bal;
    r->cec_balance = cec;
    r->dif_hours = r->converted ? 0 : p->dif_hours;
    *out = r;

    /* Success! */
    return (0);

err1:
    free(r);
err0:
    /* Failure! */
    return (-1);
}

void
accrual_free(struct accrual_result *r)
{

    if (r == NULL) {
        return;
    }
    free(r->years);
    free(r);
}

/* Add one contract-month to the contract-years ${a}; ${reference} holds
 * the contract's latest quota until accrual_contract_years() ends. */
static int
add_month(struct accrual_contract_year **a, size_t *n, size_t *cap,
    const struct periods_month *m)
{
    struct accrual_contract_year *c = NULL, *na;
    size_t i;

    if (m->v.unit == PERIODS_UNIT_NONE) {
        return (0);
    }
    /* Months are sorted by year: only the recent entries can match. */
    for (i = *n; i > 0; i--) {
        struct accrual_contract_year *e = &(*a)[i - 1];

        if (e->year != m->year) {
            break;
        }
        if (strcmp(e->siret, m->siret) == 0 &&
            e->contract_start == m->contract_start) {
            c = e;
            break;
        }
    }
    if (c == NULL) {
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;

            if ((na = realloc(*a, ncap * sizeof(*na))) == NULL) {
                return (-1);
            }
            *a = na;
            *cap = ncap;
        }
        c = &(*a)[(*n)++];
        memset(c, 0, sizeof(*c));
        c->year = m->year;
        memcpy(c->siret, m->siret, sizeof(c->siret));
        c->contract_start = m->contract_start;
    }
    /* Twelve months at most per person; clamp so that the ratio's
     * arithmetic (counted × 10^9) cannot overflow on hostile input. */
    c->counted += m->counted;
    c->absence += m->absence;
    if (c->counted > 12 * (int64_t)PERIODS_QUANTITY_MAX) {
        c->counted = 12 * (int64_t)PERIODS_QUANTITY_MAX;
    }
    if (c->absence > c->counted) {
        c->absence = c->counted;
    }
    c->unit = m->v.unit;
    c->reference = m->v.ref_quota;
    return (0);
}

/* Turn a contract's latest quota into the references of a full year. */
static void
set_references(struct accrual_contract_year *c)
{
    int64_t q = c->reference;

    switch (c->unit) {
    case PERIODS_UNIT_FORFAIT_DAYS:
        /* 218 days in the hours era; the days of the forfait, at most
         * 218, in the euro era. */
        c->days = 1;
        c->reference = 21800;
        c->reference_euros = q < 21800 ? q : 21800;
        break;
    case PERIODS_UNIT_FORFAIT_HOURS:
        /* An annual quota of hours. */
        c->reference = c->reference_euros = q;
        break;
    case PERIODS_UNIT_DAY:
        c->days = 1;
        c->reference = c->reference_euros = 12 * q;
        break;
    default:
        c->reference = c->reference_euros = 12 * q;
        break;
    }
}

int
accrual_contract_years(const struct periods_set *set,
    struct accrual_contract_year **out, size_t *n)
{
    struct accrual_contract_year *a = NULL;
    size_t i, cap = 0;

    *out = NULL;
    *n = 0;
    for (i = 0; i < set->nmonths; i++) {
        if (add_month(&a, n, &cap, &set->months[i])) {
            free(a);
            *n = 0;
            return (-1);
        }
    }
    for (i = 0; i < *n; i++) {
        set_references(&a[i]);
    }
    *out = a;
    return (0);
}

int
accrual_from_periods(const struct periods_set *set,
    const struct accrual_params *p, struct accrual_result **out, char *err,
    size_t errlen)
{
    struct accrual_contract_year *cy;
    size_t n;
    int rc;

    *out = NULL;
    if (accrual_contract_years(set, &cy, &n)) {
        return (-1);
    }
    rc = accrual_compute(cy, n, p, out, err, errlen);
    free(cy);
    return (rc);
}

/* Money or hours as a JSON number in the unit of ${era}. */
static json_t *
amount(int64_t v, enum accrual_era era)
{

    return (era == ACCRUAL_ERA_EUROS ? json_real((double)v / 100.0) :
        json_integer(v));
}

/* Set ${key} of ${o} to ${v}, which it takes; 0 or -1. */
static int
put(json_t *o, const char *key, json_t *v)
{

    return (v == NULL ? -1 : json_object_set_new(o, key, v));
}

/* The ratio rounded to thousandths, as shown in the explanation. */
static json_t *
ratio_json(int64_t ratio)
{

    return (json_real((double)((ratio + 500000) / 1000000) / 1000.0));
}

json_t *
accrual_to_json(const struct accrual_result *r)
{
    json_t *root, *years, *o;
    const char *unit;
    size_t i;

    if ((root = json_object()) == NULL) {
        return (NULL);
    }
    if ((years = json_array()) == NULL || put(root, "years", years)) {
        goto err;
    }
    for (i = 0; i < r->nyears; i++) {
        const struct accrual_year *y = &r->years[i];

        unit = y->era == ACCRUAL_ERA_EUROS ? "EUR" : "h";
        if ((o = json_object()) == NULL || json_array_append_new(years, o) ||
            put(o, "year", json_integer(y->year)) ||
            put(o, "era", json_string(y->era == ACCRUAL_ERA_EUROS ?
            "euros" : "hours")) ||
            put(o, "ratio", ratio_json(y->ratio)) ||
            put(o, "credit", amount(y->credit, y->era)) ||
            put(o, "unit", json_string(unit)) ||
            put(o, "balance", amount(y->balance, y->era)) ||
            put(o, "explanation", json_string(y->explanation))) {
            goto err;
        }
        if (r->has_cec && (put(o, "cec_credit", amount(y->cec_credit,
            y->era)) || put(o, "cec_balance", amount(y->cec_balance,
            y->era)))) {
            goto err;
        }
    }
    if (!r->converted) {
        if (put(root, "conversion", json_null())) {
            goto err;
        }
    } else if ((o = json_object()) == NULL || put(root, "conversion", o) ||
        put(o, "hours", json_integer(r->conv_hours)) ||
        put(o, "dif_hours", json_integer(r->conv_dif_hours)) ||
        put(o, "euros", json_real((double)r->conv_cents / 100.0)) ||
        (r->has_cec && (put(o, "cec_hours", json_integer(r->conv_cec_hours))
        || put(o, "cec_euros", json_real((double)r->conv_cec_cents /
        100.0))))) {
        goto err;
    }
    unit = r->era == ACCRUAL_ERA_EUROS ? "EUR" : "h";
    if ((o = json_object()) == NULL || put(root, "balance", o) ||
        put(o, "amount", amount(r->balance, r->era)) ||
        put(o, "unit", json_string(unit)) ||
        (r->dif_hours > 0 && put(o, "dif_hours",
        json_integer(r->dif_hours)))) {
        goto err;
    }
    if (r->has_cec && ((o = json_object()) == NULL || put(root, "cec", o) ||
        put(o, "amount", amount(r->cec_balance, r->era)) ||
        put(o, "unit", json_string(unit)))) {
        goto err;
    }
    return (root);

err:
    json_decref(root);
    return (NULL);
}
