#include "activity/jsonin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int jsonin_bad(struct jsonin *c, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
  return (JSONIN_EINVALID);
}

int jsonin_only_keys(struct jsonin *c, const json_t *o, const char *where,
                     const char *const *allowed) {
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
      return (jsonin_bad(c, "%s: unknown member \"%.40s\"", where, key));
    }
  }
  return (0);
}

int jsonin_mentions(const uint8_t *buf, size_t len, const char *prefix) {
  size_t n = strlen(prefix), i;

  for (i = 0; i + n <= len; i++) {
    if (memcmp(buf + i, prefix, n) == 0) {
      return (1);
    }
  }
  return (0);
}
