#ifndef JSONIN_H_
#define JSONIN_H_

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Strict reading of the activity module's JSON documents (payroll facts,
 * activity statements): shared by its parsers; not an API.  The client
 * uses jsonin_scrub() alone, for all it prints (client/util.c).
 */

/* Where a parser writes why a document is invalid. */
struct jsonin {
  char *err;
  size_t errlen;
};

/* The value jsonin_bad() returns: FACTS_EINVALID and STATEMENT_EINVALID. */
#define JSONIN_EINVALID (-3)

/**
 * jsonin_bad(c, fmt, ...):
 * Write the message into ${c}'s buffer (scrubbed: jsonin_scrub()); return
 * JSONIN_EINVALID.
 */
int jsonin_bad(struct jsonin *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * jsonin_scrub(s):
 * Replace, in place, every control character of the NUL-terminated ${s}
 * (C0, DEL, and C1 encoded in UTF-8) with '?', so that a message quoting
 * a document stays one line and carries no terminal escape.
 */
void jsonin_scrub(char *s);

/**
 * jsonin_only_keys(c, o, where, allowed):
 * Refuse (JSONIN_EINVALID, naming ${where}) a member of object ${o} that
 * is not in the NULL-terminated ${allowed}; else return 0.
 */
int jsonin_only_keys(struct jsonin *c, const json_t *o, const char *where,
                     const char *const *allowed);

/**
 * jsonin_mentions(buf, len, prefix):
 * Nonzero if the ${len} bytes of ${buf} contain the string ${prefix} (a
 * document of that schema, if damaged JSON).
 */
int jsonin_mentions(const uint8_t *buf, size_t len, const char *prefix);

#endif /* !JSONIN_H_ */
