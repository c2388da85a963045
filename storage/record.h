#ifndef RECORD_H_
#define RECORD_H_

#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

/*
 * Record objects: the catalog's rows written as small canonical JSON
 * objects into the record store, so that the index can be rebuilt from
 * them alone.  A record is one flat JSON object whose first key is
 * "coffre" with the record type as value (e.g. "document/1"), followed by
 * the other keys in byte order, each holding a string or an integer:
 *
 *   {"coffre":"grant/1","created":1700000000,"document":"0f..","header":..}
 *
 * Canonical form: no whitespace; integers in shortest decimal (no "+",
 * no leading zeros, no "-0"); strings are UTF-8 with only `"` and `\`
 * escaped as \" and \\, and bytes below 0x20 as \u00xx (lowercase hex);
 * binary fields are standard base64 with padding.  The parser accepts only
 * canonical input (it re-encodes and compares), so one record has one byte
 * string and therefore one id.
 */

#define RECORD_MAX_BYTES (128 * 1024)
#define RECORD_MAX_FIELDS 24
#define RECORD_KEY_BUFLEN 32
#define RECORD_MAGIC "coffre"

struct record_field {
    char key[RECORD_KEY_BUFLEN];
    int is_int;
    int64_t ival;
    char *sval;                 /* allocated, NUL-terminated */
    size_t slen;
};

struct record {
    char type[RECORD_KEY_BUFLEN];
    size_t n;
    struct record_field f[RECORD_MAX_FIELDS];
};

/**
 * record_init(rec, type):
 * Start an empty record of type ${type} (e.g. "document/1").
 */
void record_init(struct record *rec, const char *type);

/**
 * record_add_str(rec, key, s, len), record_add_cstr(rec, key, s),
 * record_add_int(rec, key, v), record_add_b64(rec, key, buf, len):
 * Add a field.  Keys must be unique and [a-z_]+ (STORAGE_EINVAL);
 * strings must be valid UTF-8 without NUL (STORAGE_EINVAL).
 */
int record_add_str(struct record *rec, const char *key, const char *s,
    size_t len);
int record_add_cstr(struct record *rec, const char *key, const char *s);
int record_add_int(struct record *rec, const char *key, int64_t v);
int record_add_b64(struct record *rec, const char *key, const uint8_t *buf,
    size_t len);

/**
 * record_encode(rec, buf, len):
 * Encode ${rec} canonically into a malloc'd ${*buf} of ${*len} bytes.
 */
int record_encode(const struct record *rec, uint8_t **buf, size_t *len);

/**
 * record_parse(buf, len, rec):
 * Parse canonical record bytes into ${rec}.  STORAGE_EINVAL for anything
 * that is not a canonical record (the input is untrusted).  Release with
 * record_clear() (also after a failure).
 */
int record_parse(const uint8_t *buf, size_t len, struct record *rec);

/**
 * record_clear(rec):
 * Free the strings of ${rec} and empty it.
 */
void record_clear(struct record *rec);

/**
 * record_get_str(rec, key, s, len):
 * Point ${*s} (NUL-terminated, owned by ${rec}) and ${*len} at the string
 * field ${key}.  STORAGE_ENOTFOUND if absent, STORAGE_EINVAL if not a
 * string.
 */
int record_get_str(const struct record *rec, const char *key, const char **s,
    size_t *len);

/**
 * record_get_text(rec, key, out, outlen):
 * Copy string field ${key} into ${out} (NUL-terminated); STORAGE_ETOOBIG
 * if it does not fit in ${outlen} bytes.
 */
int record_get_text(const struct record *rec, const char *key, char *out,
    size_t outlen);

/**
 * record_get_int(rec, key, v):
 * Set ${*v} to integer field ${key}.
 */
int record_get_int(const struct record *rec, const char *key, int64_t *v);

/**
 * record_get_b64(rec, key, maxlen, buf, len):
 * Decode base64 field ${key} (at most ${maxlen} bytes decoded) into a
 * malloc'd ${*buf} of ${*len} bytes (never NULL on success, even if empty).
 */
int record_get_b64(const struct record *rec, const char *key, size_t maxlen,
    uint8_t **buf, size_t *len);

#endif /* !RECORD_H_ */
