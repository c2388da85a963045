#include "activity/jsonin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
jsonin_bad(struct jsonin *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    if (c->errlen > 0) {
        jsonin_scrub(c->err);
    }
    return (JSONIN_EINVALID);
}

void
jsonin_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* U+0080..U+009F: C1 controls (CSI is U+009B). */
            p[0] = '?';
            p[1] = '?';
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            p[0] = '?';
        }
    }
}

int
jsonin_only_keys(struct jsonin *c, const json_t *o, const char *where,
    const char *const *allowed)
{
    const char *key;
    json_t *v;
    size_t i;

    json_object_foreach((json_t *)(uintptr_t)o, key, v) {
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                break;
            }
        }
        if (allowed[i] == NULL) {
            return (jsonin_bad(c, "%s: unknown member \"%.40s\"", where,
                key));
        }
    }
    return (0);
}

int
jsonin_mentions(const uint8_t *buf, size_t len, const char *prefix)
{
    size_t n = strlen(prefix), i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, prefix, n) == 0) {
            return (1);
        }
    }
    return (0);
}
