#include "activity/dsn.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The reader walks the file line by line.  Each line is one rubric
 * `Sxx.Gyy.zz.nnn,'value'`.  Blocks have no end marker: a block instance
 * continues while its field numbers go up and a new instance starts when they
 * go back down.  Nesting follows a fixed parent table for the blocks we read;
 * a block whose parent is not open is an error ("unknown rubric order").
 */

enum blk {
    B_S10_00,
    B_S20_05,
    B_S21_06,
    B_S21_11,
    B_S21_30,
    B_S21_40,
    B_S21_60,
    B_S21_62,
    B_S21_65,
    B_S21_50,
    B_S21_51,
    B_S21_53,
    B_COUNT
};

static const struct {
    const char *id;
    int parent; /* -1: a root */
} blocks[B_COUNT] = {
    [B_S10_00] = { "S10.G00.00", -1 },
    [B_S20_05] = { "S20.G00.05", -1 },
    [B_S21_06] = { "S21.G00.06", B_S20_05 },
    [B_S21_11] = { "S21.G00.11", B_S21_06 },
    [B_S21_30] = { "S21.G00.30", B_S21_11 },
    [B_S21_40] = { "S21.G00.40", B_S21_30 },
    [B_S21_60] = { "S21.G00.60", B_S21_40 },
    [B_S21_62] = { "S21.G00.62", B_S21_40 },
    [B_S21_65] = { "S21.G00.65", B_S21_40 },
    [B_S21_50] = { "S21.G00.50", B_S21_30 },
    [B_S21_51] = { "S21.G00.51", B_S21_50 },
    [B_S21_53] = { "S21.G00.53", B_S21_51 },
};

#define STACK_MAX 8

/* Parser state; "current" objects are the last of their arrays. */
struct pstate {
    struct dsn_file *f;
    struct dsn_error *err;
    size_t line;
    int stack[STACK_MAX];
    size_t depth;
    int last_field[B_COUNT];
    int phase; /* highest structure seen: 10, 20 (S20/S21) or 90 */
    /* the activity block being read */
    char act_type[3];
    char act_unit[3];
    int64_t act_measure;
    int act_has_measure;
};

/* Record a parse error at the current line; always returns DSN_EMALFORMED. */
static int
fail(struct pstate *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct pstate *ps, const char *fmt, ...)
{
    va_list ap;

    ps->err->line = ps->line;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
    va_end(ap);
    return (DSN_EMALFORMED);
}

/* Make room for one more element of ${size} bytes in *${p}. */
static int
grow(void *p, size_t *cap, size_t n, size_t size)
{
    void **pp = p;
    size_t ncap;
    void *np;

    if (n < *cap) {
        return (0);
    }
    ncap = (*cap == 0) ? 4 : *cap * 2;
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

/* Return 1 if ${s} holds exactly ${n} ASCII digits. */
static int
digits(const char *s, size_t len, size_t n)
{
    size_t i;

    if (len != n) {
        return (0);
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return (0);
        }
    }
    return (1);
}

/* Value of the digits s[0..n). */
static int
num(const char *s, size_t n)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return (v);
}

/* Return 1 if ${buf} is valid UTF-8 (no overlongs, surrogates or NUL). */
static int
utf8_valid(const uint8_t *buf, size_t len)
{
    size_t i = 0, n, k;
    uint32_t c;

    while (i < len) {
        c = buf[i];
        if (c == 0) {
            return (0);
        } else if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            c &= 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            c &= 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            c &= 0x07;
        } else {
            return (0);
        }
        if (len - i - 1 < n) {
            return (0);
        }
        for (k = 1; k <= n; k++) {
            if ((buf[i + k] & 0xc0) != 0x80) {
                return (0);
            }
            c = (c << 6) | (buf[i + k] & 0x3f);
        }
        if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
            (n == 3 && (c < 0x10000 || c > 0x10ffff))) {
            return (0);
        }
        i += n + 1;
    }
    return (1);
}

/* Convert Latin-1 to a new NUL-terminated UTF-8 buffer; NULL on failure. */
static char *
latin1_to_utf8(const uint8_t *buf, size_t len, size_t *outlen)
{
    char *out;
    size_t i, o = 0;

    if (len > (SIZE_MAX - 1) / 2 || (out = malloc(2 * len + 1)) == NULL) {
        return (NULL);
    }
    for (i = 0; i < len; i++) {
        if (buf[i] < 0x80) {
            out[o++] = (char)buf[i];
        } else {
            out[o++] = (char)(0xc0 | (buf[i] >> 6));
            out[o++] = (char)(0x80 | (buf[i] & 0x3f));
        }
    }
    out[o] = '\0';
    *outlen = o;
    return (out);
}

/* Return 1 if ${s} (length ${len}, at least 15) starts with a rubric id and
 * a comma: `Sdd.Gdd.dd.ddd,`. */
static int
rubric_prefix(const char *s, size_t len)
{
    static const char pat[] = "S##.G##.##.###,";
    size_t i;

    if (len < sizeof(pat) - 1) {
        return (0);
    }
    for (i = 0; i < sizeof(pat) - 1; i++) {
        if (pat[i] == '#') {
            if (s[i] < '0' || s[i] > '9') {
                return (0);
            }
        } else if (s[i] != pat[i]) {
            return (0);
        }
    }
    return (1);
}

int
dsn_looks_like(const uint8_t *buf, size_t len)
{

    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        buf += 3;
        len -= 3;
    }
    return (rubric_prefix((const char *)buf, len));
}

/* Parse a JJMMAAAA date; return 0 and set ${day}, or -1. */
static int
parse_date(const char *v, size_t len, int32_t *day)
{
    int32_t d;

    if (!digits(v, len, 8)) {
        return (-1);
    }
    d = periods_day(num(v + 4, 4), num(v + 2, 2), num(v, 2));
    if (d == INT32_MIN) {
        return (-1);
    }
    *day = d;
    return (0);
}

/* Copy a code of exactly ${n} digits into ${dst}; return 0 or -1. */
static int
parse_code(const char *v, size_t len, size_t n, char *dst)
{

    if (!digits(v, len, n)) {
        return (-1);
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
    return (0);
}

/* Copy an identifier of 1..max printable ASCII characters; 0 or -1. */
static int
parse_ident(const char *v, size_t len, size_t max, char *dst)
{
    size_t i;

    if (len == 0 || len > max) {
        return (-1);
    }
    for (i = 0; i < len; i++) {
        if (v[i] <= ' ' || v[i] > '~') {
            return (-1);
        }
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
    return (0);
}

/* Copy a name of 1..80 UTF-8 characters without control characters. */
static int
parse_name(const char *v, size_t len, char *dst)
{
    size_t i, chars = 0;

    if (len == 0 || len > PERIODS_NAME_MAX) {
        return (-1);
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c < 0x20 || c == 0x7f) {
            return (-1);
        }
        if ((c & 0xc0) != 0x80) {
            chars++;
        }
    }
    if (chars > 80) {
        return (-1);
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
    return (0);
}

/* The current objects; valid only where the block stack says so. */
static struct dsn_declaration *
cur_decl(struct pstate *ps)
{

    return (&ps->f->decls[ps->f->ndecls - 1]);
}

static struct dsn_individual *
cur_ind(struct pstate *ps)
{
    struct dsn_declaration *d = cur_decl(ps);

    return (&d->individuals[d->nindividuals - 1]);
}

static struct dsn_contract *
cur_contract(struct pstate *ps)
{
    struct dsn_individual *i = cur_ind(ps);

    return (&i->contracts[i->ncontracts - 1]);
}

static struct dsn_pay *
cur_pay(struct pstate *ps)
{
    struct dsn_individual *i = cur_ind(ps);

    return (&i->pays[i->npays - 1]);
}

/* A block instance ends: check what it requires and fold what it holds. */
static int
close_block(struct pstate *ps, int b)
{
    struct dsn_declaration *d;
    struct dsn_contract *c;
    struct dsn_absence *a;
    struct dsn_pay *p;

    switch (b) {
    case B_S20_05:
        d = cur_decl(ps);
        if (d->year == 0) {
            return (fail(ps, "declaration at line %zu has no month "
                "(S20.G00.05.005)", d->line));
        }
        if (d->siren[0] == '\0' || d->nic[0] == '\0') {
            return (fail(ps, "declaration at line %zu has no SIREN or NIC",
                d->line));
        }
        break;
    case B_S21_40:
        c = cur_contract(ps);
        if (c->start == 0) {
            return (fail(ps, "contract at line %zu has no start date "
                "(S21.G00.40.001)", c->line));
        }
        break;
    case B_S21_60:
    case B_S21_65:
        c = cur_contract(ps);
        a = &c->absences[c->nabsences - 1];
        if (a->reason[0] == '\0') {
            return (fail(ps, "absence at line %zu has no reason", a->line));
        }
        if (!a->sick && a->start == 0) {
            return (fail(ps, "suspension at line %zu has no start date "
                "(S21.G00.65.002)", a->line));
        }
        break;
    case B_S21_62:
        if (cur_contract(ps)->end == 0) {
            return (fail(ps, "contract end without date (S21.G00.62.001)"));
        }
        break;
    case B_S21_51:
        p = cur_pay(ps);
        if (p->start == 0 || p->end == 0) {
            return (fail(ps, "remuneration at line %zu has no pay period",
                p->line));
        }
        if (p->end < p->start) {
            return (fail(ps, "remuneration at line %zu ends before it "
                "starts", p->line));
        }
        break;
    case B_S21_53:
        p = cur_pay(ps);
        if (strcmp(p->type, "002") != 0 || strcmp(ps->act_type, "01") != 0 ||
            !ps->act_has_measure) {
            break;
        }
        if (strcmp(ps->act_unit, "10") == 0) {
            p->work_hours += ps->act_measure;
            p->has_activity = 1;
        } else if (strcmp(ps->act_unit, "12") == 0) {
            p->work_days += ps->act_measure;
            p->has_activity = 1;
        }
        if (p->work_hours > PERIODS_QUANTITY_MAX ||
            p->work_days > PERIODS_QUANTITY_MAX ||
            p->work_hours < -PERIODS_QUANTITY_MAX ||
            p->work_days < -PERIODS_QUANTITY_MAX) {
            return (fail(ps, "activity measures out of range"));
        }
        break;
    default:
        break;
    }
    return (0);
}

/* A block instance begins: allocate what it describes. */
static int
open_block(struct pstate *ps, int b)
{
    struct dsn_file *f = ps->f;
    struct dsn_declaration *d;
    struct dsn_individual *ind;
    struct dsn_contract *c;

    switch (b) {
    case B_S20_05:
        if (grow(&f->decls, &f->capdecls, f->ndecls, sizeof(*f->decls))) {
            return (-1);
        }
        f->decls[f->ndecls++].line = ps->line;
        break;
    case B_S21_06:
        d = cur_decl(ps);
        d->siren[0] = d->nic[0] = d->siret[0] = '\0';
        break;
    case B_S21_11:
        cur_decl(ps)->nic[0] = '\0';
        break;
    case B_S21_30:
        d = cur_decl(ps);
        if (d->siren[0] == '\0' || d->nic[0] == '\0') {
            return (fail(ps, "individual before the SIREN and NIC of its "
                "establishment"));
        }
        if (grow(&d->individuals, &d->capindividuals, d->nindividuals,
            sizeof(*d->individuals))) {
            return (-1);
        }
        ind = &d->individuals[d->nindividuals++];
        ind->line = ps->line;
        memcpy(ind->siret, d->siret, sizeof(ind->siret));
        break;
    case B_S21_40:
        ind = cur_ind(ps);
        if (grow(&ind->contracts, &ind->capcontracts, ind->ncontracts,
            sizeof(*ind->contracts))) {
            return (-1);
        }
        c = &ind->contracts[ind->ncontracts++];
        c->line = ps->line;
        c->ref_quota = c->contract_quota = -1;
        break;
    case B_S21_60:
    case B_S21_65:
        c = cur_contract(ps);
        if (grow(&c->absences, &c->capabsences, c->nabsences,
            sizeof(*c->absences))) {
            return (-1);
        }
        c->absences[c->nabsences].sick = (b == B_S21_60);
        c->absences[c->nabsences++].line = ps->line;
        break;
    case B_S21_51:
        ind = cur_ind(ps);
        if (grow(&ind->pays, &ind->cappays, ind->npays, sizeof(*ind->pays))) {
            return (-1);
        }
        ind->pays[ind->npays++].line = ps->line;
        break;
    case B_S21_53:
        ps->act_type[0] = ps->act_unit[0] = '\0';
        ps->act_has_measure = 0;
        ps->act_measure = 0;
        break;
    default:
        break;
    }
    return (0);
}

/* Return 1 if block ${b} is open. */
static int
on_stack(const struct pstate *ps, int b)
{
    size_t i;

    for (i = 0; i < ps->depth; i++) {
        if (ps->stack[i] == b) {
            return (1);
        }
    }
    return (0);
}

/* Close the blocks above ${b}, which is open. */
static int
pop_to(struct pstate *ps, int b)
{
    int rc;

    while (ps->depth > 0 && ps->stack[ps->depth - 1] != b) {
        if ((rc = close_block(ps, ps->stack[ps->depth - 1])) != 0) {
            return (rc);
        }
        ps->depth--;
    }
    return (0);
}

/* Place a line of known block ${b}, field ${field} in the block stack. */
static int
place(struct pstate *ps, int b, int field)
{
    int parent = blocks[b].parent;
    int rc;

    /* Same instance: the block is innermost and its fields go up. */
    if (ps->depth > 0 && ps->stack[ps->depth - 1] == b &&
        field > ps->last_field[b]) {
        ps->last_field[b] = field;
        return (0);
    }
    /* Files that list blocks in ascending order put the suspensions and
     * the contract end (60, 62, 65) after the payments: they belong to the
     * individual's last contract, which is reopened. */
    if (parent == B_S21_40 && !on_stack(ps, B_S21_40) &&
        on_stack(ps, B_S21_30) && cur_ind(ps)->ncontracts > 0) {
        if ((rc = pop_to(ps, B_S21_30)) != 0) {
            return (rc);
        }
        ps->stack[ps->depth++] = B_S21_40;
        ps->last_field[B_S21_40] = 1000; /* its fields start a new one */
    }
    /* A new instance: close blocks down to the parent. */
    while (ps->depth > 0 && ps->stack[ps->depth - 1] != parent) {
        if (ps->stack[ps->depth - 1] == b && field > ps->last_field[b]) {
            return (fail(ps, "rubric %s.%03d out of order", blocks[b].id,
                field));
        }
        if ((rc = close_block(ps, ps->stack[ps->depth - 1])) != 0) {
            return (rc);
        }
        ps->depth--;
    }
    if (parent >= 0 && ps->depth == 0) {
        return (fail(ps, "unknown rubric order: %s outside %s", blocks[b].id,
            blocks[parent].id));
    }
    if (ps->depth >= STACK_MAX) {
        return (fail(ps, "blocks nested too deep"));
    }
    ps->stack[ps->depth++] = b;
    ps->last_field[b] = field;
    return (open_block(ps, b));
}

/* A field of an individual (30); 0, -1 if the value is bad, or
 * DSN_EMALFORMED with its own message. */
static int
field_individual(struct pstate *ps, struct dsn_individual *ind, int field,
    const char *v, size_t len)
{
    size_t i;

    if (field == 1) {
        if (len != PERIODS_NIR_LEN) {
            return (fail(ps, "bad NIR (13 characters)"));
        }
        for (i = 0; i < len; i++) {
            if (!((v[i] >= '0' && v[i] <= '9') || v[i] == 'A' ||
                v[i] == 'B')) {
                return (fail(ps, "bad NIR (13 characters)"));
            }
        }
        memcpy(ind->nir, v, len);
        ind->nir[len] = '\0';
    } else if (field == 2) {
        return (parse_name(v, len, ind->last_name));
    } else if (field == 4) {
        return (parse_name(v, len, ind->first_names));
    }
    return (0);
}

/* A field of a contract (block 40); return 0, or -1 if the value is bad. */
static int
field_contract(struct dsn_contract *c, int field, const char *v, size_t len)
{
    char u[3];

    switch (field) {
    case 1:
        return (parse_date(v, len, &c->start));
    case 7:
        return (parse_code(v, len, 2, c->nature));
    case 9:
        return (parse_ident(v, len, PERIODS_CONTRACT_MAX, c->number));
    case 10:
        return (parse_date(v, len, &c->planned_end));
    case 11:
        if (parse_code(v, len, 2, u)) {
            return (-1);
        }
        c->unit = num(u, 2);
        return (0);
    case 12:
        return (periods_parse_decimal(v, len, 0, &c->ref_quota));
    case 13:
        return (periods_parse_decimal(v, len, 0, &c->contract_quota));
    case 14:
        return (parse_code(v, len, 2, c->modality));
    default:
        return (0);
    }
}

/* A field of a sick leave (60) or a suspension (65); 0 or -1. */
static int
field_absence(struct dsn_absence *a, int field, const char *v, size_t len)
{

    if (field == 1) {
        return (parse_code(v, len, a->sick ? 2 : 3, a->reason));
    }
    if (a->sick) {
        if (field == 2) {
            return (parse_date(v, len, &a->last_worked));
        } else if (field == 3) {
            return (parse_date(v, len, &a->planned_end));
        } else if (field == 10) {
            return (parse_date(v, len, &a->return_date));
        }
    } else if (field == 2) {
        return (parse_date(v, len, &a->start));
    } else if (field == 3) {
        return (parse_date(v, len, &a->end));
    }
    return (0);
}

/* A field of a remuneration (51); 0 or -1. */
static int
field_pay(struct dsn_pay *p, int field, const char *v, size_t len)
{

    switch (field) {
    case 1:
        return (parse_date(v, len, &p->start));
    case 2:
        return (parse_date(v, len, &p->end));
    case 10:
        return (parse_ident(v, len, PERIODS_CONTRACT_MAX, p->contract));
    case 11:
        return (parse_code(v, len, 3, p->type));
    case 12:
        if (periods_parse_decimal(v, len, 1, &p->hours)) {
            return (-1);
        }
        p->has_hours = 1;
        return (0);
    default:
        return (0);
    }
}

/* A field of an activity (53), kept until the block ends; 0 or -1. */
static int
field_activity(struct pstate *ps, int field, const char *v, size_t len)
{

    if (field == 1) {
        return (parse_code(v, len, 2, ps->act_type));
    } else if (field == 2) {
        if (periods_parse_decimal(v, len, 1, &ps->act_measure)) {
            return (-1);
        }
        ps->act_has_measure = 1;
    } else if (field == 3) {
        return (parse_code(v, len, 2, ps->act_unit));
    }
    return (0);
}

/* Store the value of a field we read; other fields are skipped. */
static int
field_value(struct pstate *ps, int b, int field, const char *v, size_t len)
{
    struct dsn_declaration *d;
    struct dsn_contract *c;
    int bad = 0;

    switch (b) {
    case B_S10_00:
        if (field == 6) {
            bad = parse_ident(v, len, DSN_VERSION_MAX, ps->f->version);
        }
        break;
    case B_S20_05:
        d = cur_decl(ps);
        if (field == 1) {
            bad = parse_code(v, len, 2, d->nature);
        } else if (field == 2) {
            bad = parse_code(v, len, 2, d->type);
        } else if (field == 5) {
            int32_t day;

            if (parse_date(v, len, &day) || v[0] != '0' || v[1] != '1') {
                return (fail(ps, "bad declared month '%.*s' (01MMAAAA)",
                    (int)len, v));
            }
            d->month = num(v + 2, 2);
            d->year = num(v + 4, 4);
        }
        break;
    case B_S21_06:
        if (field == 1) {
            d = cur_decl(ps);
            if (!digits(v, len, 9)) {
                return (fail(ps, "bad SIREN (9 digits)"));
            }
            memcpy(d->siren, v, 10);
            d->siren[9] = '\0';
        }
        break;
    case B_S21_11:
        if (field == 1) {
            d = cur_decl(ps);
            if (!digits(v, len, 5)) {
                return (fail(ps, "bad NIC (5 digits)"));
            }
            memcpy(d->nic, v, 5);
            d->nic[5] = '\0';
            if (d->siren[0] == '\0') {
                return (fail(ps, "NIC before SIREN"));
            }
            memcpy(d->siret, d->siren, 9);
            memcpy(d->siret + 9, d->nic, 6);
        }
        break;
    case B_S21_30:
        bad = field_individual(ps, cur_ind(ps), field, v, len);
        if (bad == DSN_EMALFORMED) {
            return (bad);
        }
        break;
    case B_S21_40:
        bad = field_contract(cur_contract(ps), field, v, len);
        break;
    case B_S21_60:
    case B_S21_65:
        c = cur_contract(ps);
        bad = field_absence(&c->absences[c->nabsences - 1], field, v, len);
        break;
    case B_S21_62:
        c = cur_contract(ps);
        if (field == 1) {
            bad = parse_date(v, len, &c->end);
        } else if (field == 2) {
            bad = parse_code(v, len, 3, c->end_reason);
        }
        break;
    case B_S21_51:
        bad = field_pay(cur_pay(ps), field, v, len);
        break;
    case B_S21_53:
        bad = field_activity(ps, field, v, len);
        break;
    default:
        break;
    }
    if (bad) {
        return (fail(ps, "bad value '%.*s' for %s.%03d",
            (int)(len > 40 ? 40 : len), v, blocks[b].id, field));
    }
    return (0);
}

/* Check that no control character hides in a value. */
static int
value_clean(const char *v, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            return (0);
        }
    }
    return (1);
}

/* Handle one line ${s} of ${len} bytes (no newline). */
static int
parse_line(struct pstate *ps, const char *s, size_t len)
{
    int structure, field, b, rc;
    const char *v;
    size_t vlen;

    if (len == 0) {
        return (fail(ps, "empty line"));
    }
    if (len > DSN_LINE_MAX) {
        return (fail(ps, "line longer than %d bytes", DSN_LINE_MAX));
    }
    if (!rubric_prefix(s, len)) {
        return (fail(ps, "not a rubric line (Sxx.Gyy.zz.nnn,'value')"));
    }
    if (len < 17 || s[15] != '\'') {
        return (fail(ps, "value does not begin with an apostrophe"));
    }
    if (s[len - 1] != '\'') {
        return (fail(ps, "missing closing apostrophe"));
    }
    v = s + 16;
    vlen = len - 17;
    if (!value_clean(v, vlen)) {
        return (fail(ps, "control character in value"));
    }
    structure = num(s + 1, 2);
    field = num(s + 11, 3);

    /* Structures come in order: S10, then S20/S21, then S90. */
    if (structure == 10) {
        if (ps->phase > 10) {
            return (fail(ps, "unknown rubric order: S10 after the "
                "declarations"));
        }
        ps->phase = 10;
    } else if (structure == 20 || structure == 21) {
        if (ps->phase > 20) {
            return (fail(ps, "unknown rubric order: S%02d after S90",
                structure));
        }
        ps->phase = 20;
        if (structure == 21 && ps->f->ndecls == 0) {
            return (fail(ps, "unknown rubric order: S21 before S20"));
        }
    } else if (structure == 90) {
        ps->phase = 90;
    } else {
        return (fail(ps, "unknown structure S%02d", structure));
    }

    for (b = 0; b < B_COUNT; b++) {
        if (memcmp(s, blocks[b].id, 10) == 0) {
            break;
        }
    }
    if (b == B_COUNT) {
        return (0); /* a block we do not read */
    }
    if (field == 0) {
        return (fail(ps, "field number 000"));
    }
    if ((rc = place(ps, b, field)) != 0) {
        return (rc);
    }
    return (field_value(ps, b, field, v, vlen));
}

void
dsn_free(struct dsn_file *f)
{
    size_t i, j, k;

    if (f == NULL) {
        return;
    }
    for (i = 0; i < f->ndecls; i++) {
        struct dsn_declaration *d = &f->decls[i];

        for (j = 0; j < d->nindividuals; j++) {
            struct dsn_individual *ind = &d->individuals[j];

            for (k = 0; k < ind->ncontracts; k++) {
                free(ind->contracts[k].absences);
            }
            free(ind->contracts);
            free(ind->pays);
        }
        free(d->individuals);
    }
    free(f->decls);
    free(f);
}

int
dsn_parse(const uint8_t *buf, size_t len, struct dsn_file **out,
    struct dsn_error *err)
{
    struct pstate ps;
    struct dsn_file *f;
    char *conv = NULL;
    const char *text, *p, *end, *nl;
    size_t tlen, ll;
    int rc = -1;

    /* Safe values on entry. */
    *out = NULL;
    err->line = 0;
    err->msg[0] = '\0';

    if (len > DSN_MAX_BYTES) {
        snprintf(err->msg, sizeof(err->msg), "file larger than %u bytes",
            DSN_MAX_BYTES);
        return (DSN_EMALFORMED);
    }
    if (!dsn_looks_like(buf, len)) {
        snprintf(err->msg, sizeof(err->msg), "not a DSN file");
        return (DSN_ENOTDSN);
    }
    if ((f = calloc(1, sizeof(*f))) == NULL) {
        goto err0;
    }
    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        buf += 3;
        len -= 3;
    }
    if (utf8_valid(buf, len)) {
        text = (const char *)buf;
        tlen = len;
    } else {
        if (memchr(buf, '\0', len) != NULL) {
            snprintf(err->msg, sizeof(err->msg), "NUL byte in file");
            rc = DSN_EMALFORMED;
            goto err1;
        }
        if ((conv = latin1_to_utf8(buf, len, &tlen)) == NULL) {
            goto err1;
        }
        text = conv;
        f->latin1 = 1;
    }

    memset(&ps, 0, sizeof(ps));
    ps.f = f;
    ps.err = err;
    p = text;
    end = text + tlen;
    while (p < end) {
        ps.line++;
        nl = memchr(p, '\n', (size_t)(end - p));
        ll = (nl ? (size_t)(nl - p) : (size_t)(end - p));
        if (ll > 0 && p[ll - 1] == '\r') {
            ll--;
        }
        if ((rc = parse_line(&ps, p, ll)) != 0) {
            goto err2;
        }
        p = nl ? nl + 1 : end;
    }
    /* The last line has ended: close every open block. */
    ps.line = 0;
    while (ps.depth > 0) {
        if ((rc = close_block(&ps, ps.stack[ps.depth - 1])) != 0) {
            goto err2;
        }
        ps.depth--;
    }
    if (f->ndecls == 0) {
        snprintf(err->msg, sizeof(err->msg),
            "no declaration (S20.G00.05) in file");
        rc = DSN_EMALFORMED;
        goto err2;
    }
    free(conv);
    *out = f;

    /* Success! */
    return (0);

err2:
    free(conv);
    dsn_free(f);
    if (rc == -1) {
        err->msg[0] = '\0';
    }
    return (rc);
err1:
    dsn_free(f);
    return (rc == DSN_EMALFORMED ? rc : -1);
err0:
    /* Failure! */
    return (-1);
}
