#include "daemon/jsontext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
jsontext_raw(struct jsontext *t, const char *s, size_t len)
{
    size_t ncap;
    char *np;

    if (t->failed) {
        return;
    }
    if (len > SIZE_MAX / 4 - t->len) {
        t->failed = 1;
        return;
    }
    if (t->len + len + 1 > t->cap) {
        ncap = t->cap ? t->cap : 1024;
        while (ncap < t->len + len + 1) {
            ncap *= 2;
        }
        if ((np = realloc(t->p, ncap)) == NULL) {
            t->failed = 1;
            return;
        }
        t->p = np;
        t->cap = ncap;
    }
    memcpy(t->p + t->len, s, len);
    t->len += len;
    t->p[t->len] = '\0';
}

void
jsontext_str(struct jsontext *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run;
    char esc[6];

    if (s == NULL) {
        jsontext_raw(t, "null", 4);
        return;
    }
    jsontext_raw(t, "\"", 1);
    for (run = s; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        jsontext_raw(t, run, (size_t)(s - run));
        run = s + 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            jsontext_raw(t, esc, 2);
        } else if (c == '\n') {
            jsontext_raw(t, "\\n", 2);
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            jsontext_raw(t, esc, 6);
        }
    }
    jsontext_raw(t, run, (size_t)(s - run));
    jsontext_raw(t, "\"", 1);
}
