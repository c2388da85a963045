#ifndef JSONTEXT_H_
#define JSONTEXT_H_

#include <stddef.h>

/*
 * JSON written by hand into a growing buffer, for the hot paths where
 * building a jansson tree and dumping it cost more than the rest of the
 * request.  The caller writes the structure; jsontext_str() writes string
 * literals safely.
 */

struct jsontext {
    char *p;                       /* NUL-terminated; malloc'd */
    size_t len;
    size_t cap;
    int failed;                    /* an allocation failed: discard */
};

/**
 * jsontext_raw(t, s, len):
 * Append ${len} bytes of ${s} as they are.  On allocation failure set
 * ${t}->failed (further appends do nothing).
 */
void jsontext_raw(struct jsontext *t, const char *s, size_t len);

/**
 * jsontext_str(t, s):
 * Append the JSON string literal of the NUL-terminated UTF-8 text ${s}:
 * quotes, backslashes and control characters escaped, other bytes as
 * they are (so ${s} must be valid UTF-8).  NULL gives `null`.
 */
void jsontext_str(struct jsontext *t, const char *s);

#endif /* !JSONTEXT_H_ */
