#ifndef IDS_H_
#define IDS_H_

#include <stddef.h>
#include <stdint.h>

/*
 * Strict parsers and formatters for the identifiers of the API
 * (docs/API.md §1): vault addresses, SIRETs, service names, opaque ids,
 * tokens, numbers and times.  Every parser takes an explicit length,
 * rejects embedded NULs, and accepts only the canonical form.  No I/O.
 */

/* "XXXX-XXXX-XXXX-C": 12 Crockford symbols, three dashes, a check. */
#define IDS_VAULT_LEN 16
#define IDS_VAULT_BUFLEN (IDS_VAULT_LEN + 1)
#define IDS_SIRET_LEN 14
#define IDS_SERVICE_MAX 32
#define IDS_OPAQUE_MAX 64
#define IDS_ACCOUNT_BUFLEN 65               /* any account id and a NUL */
#define IDS_TIME_BUFLEN 21                  /* "2026-11-28T01:13:00Z" */

/* Kinds of account, as the API names them. */
#define IDS_KIND_PERSON 1
#define IDS_KIND_EMPLOYER 2
#define IDS_KIND_SERVICE 3

/**
 * ids_vault_make(value, out):
 * Format the 60-bit ${value} (higher bits ignored) as a vault address with
 * its check symbol.  Return 0, or -1 if the check value is not below 32
 * (the daemon hands out only such addresses; draw another value).
 */
int ids_vault_make(uint64_t value, char out[IDS_VAULT_BUFLEN]);

/**
 * ids_vault_parse(s, len, value):
 * Accept exactly the canonical vault address form with a valid check
 * symbol (below 32).  Return 0 and set ${*value} (may be NULL), or -1.
 */
int ids_vault_parse(const char *s, size_t len, uint64_t *value);

/**
 * ids_siret_valid(s, len):
 * Nonzero if ${s} is 14 ASCII digits with a valid Luhn key (or La Poste's
 * digit-sum rule for SIRETs starting 356000000).
 */
int ids_siret_valid(const char *s, size_t len);

/**
 * ids_service_valid(s, len):
 * Nonzero if ${s} matches [a-z][a-z0-9-]{1,31}.
 */
int ids_service_valid(const char *s, size_t len);

/**
 * ids_account_kind(s, len):
 * The kind of account id ${s} names by its form (IDS_KIND_*), or 0 if it is
 * none of a vault address, a SIRET or a service name.
 */
int ids_account_kind(const char *s, size_t len);

/**
 * ids_opaque_valid(s, len):
 * Nonzero if ${s} is 1..IDS_OPAQUE_MAX characters of [A-Za-z0-9_-].
 */
int ids_opaque_valid(const char *s, size_t len);

/**
 * ids_printable_valid(s, len, max):
 * Nonzero if ${s} is 1..${max} printable ASCII characters (0x21..0x7e).
 */
int ids_printable_valid(const char *s, size_t len, size_t max);

/**
 * ids_token_encode(raw, rawlen, out, outlen):
 * base64url without padding of ${rawlen} bytes.  Return 0 or -1 (room).
 */
int ids_token_encode(const uint8_t *raw, size_t rawlen, char *out,
    size_t outlen);

/**
 * ids_token_decode(s, len, raw, rawlen):
 * Decode a base64url (no padding) token of exactly ${rawlen} bytes.
 * Return 0 or -1.  ${raw} is wiped on failure.
 */
int ids_token_decode(const char *s, size_t len, uint8_t *raw, size_t rawlen);

/**
 * ids_b64_decode(s, len, out, max, outlen):
 * Decode standard base64 with padding (RFC 4648 §4), strictly: no spaces,
 * canonical trailing bits.  On success set ${*out} (malloc'd, caller
 * frees) and ${*outlen} and return 0; -1 if malformed, empty, or the
 * result exceeds ${max} bytes.
 */
int ids_b64_decode(const char *s, size_t len, uint8_t **out, size_t max,
    size_t *outlen);

/**
 * ids_b64_encode(buf, len):
 * Standard padded base64 of ${buf} as a malloc'd NUL-terminated string, or
 * NULL on allocation failure.
 */
char *ids_b64_encode(const uint8_t *buf, size_t len);

/**
 * ids_b64_encode_to(buf, len, out, outlen):
 * Write the standard padded base64 of ${buf} and a NUL into ${out}, which
 * holds ${outlen} bytes (IDS_B64_BUFLEN(${len}) are enough).  Return 0, or
 * -1 if ${out} is too small.
 */
int ids_b64_encode_to(const uint8_t *buf, size_t len, char *out,
    size_t outlen);
#define IDS_B64_BUFLEN(len) (((len) + 2) / 3 * 4 + 1)

/**
 * ids_u64_parse(s, len, min, max, out):
 * Strict decimal: 1..20 digits, no sign, no leading zero (except "0"), no
 * spaces, value in [${min}, ${max}].  Return 0 and set ${*out}, or -1.
 */
int ids_u64_parse(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out);

/**
 * ids_time_format(t, out):
 * RFC 3339 UTC with second precision.  Return 0 or -1 (out of range).
 */
int ids_time_format(int64_t t, char out[IDS_TIME_BUFLEN]);

/**
 * ids_time_parse(s, len, t):
 * Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (years 1970..9999, a real
 * calendar date).  Return 0 and set ${*t} (seconds since the epoch) or -1.
 */
int ids_time_parse(const char *s, size_t len, int64_t *t);

/**
 * ids_range_parse(h, hlen, size, off, len):
 * Parse an HTTP `Range` header of one `bytes=` range (a-b, a-, -n)
 * against a body of ${size} bytes.  Return 0 with ${*off} and ${*len} set
 * to the (clamped, non-empty) span; 1 if the header is to be ignored
 * (malformed, several ranges: serve the whole body); -1 if unsatisfiable.
 */
int ids_range_parse(const char *h, size_t hlen, uint64_t size,
    uint64_t *off, uint64_t *len);

#endif /* !IDS_H_ */
