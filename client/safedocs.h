#ifndef SAFEDOCS_H_
#define SAFEDOCS_H_

#include <stddef.h>
#include <stdint.h>

#include "crypto/digest.h"

/*
 * The activity documents of a person's own safe, read over the network for
 * `coffre periods`, `coffre accrual` and `coffre evidence publish`
 * (docs/ACTIVITY.md §6): every document is downloaded and verified
 * (fetchdoc.h), payroll facts deposited by an employer must also carry the
 * trusted comment that binds them to this vault, their period and their
 * bytes.  A document that fails a check is a warning and is not used.
 */

struct session;
struct periods_set;

#define SAFEDOCS_DOC_MAX (256u * 1024 * 1024) /* plaintext bytes read */

/* One employer-signed payroll-facts document that verified. */
struct safedocs_fact {
    char *doc;            /* document id */
    char siret[15];
    char period[8];       /* YYYY-MM, from the trusted comment */
    char *text;           /* the plaintext (JSON), NUL-terminated */
    size_t len;
    char *signature;      /* the employer's .minisig text */
    char *signer_key;     /* the employer's minisign public key (RW...) */
};

struct safedocs {
    struct safedocs_fact *facts;
    size_t nfacts;
    size_t nread;         /* documents whose periods were read */
    size_t nskipped;      /* documents left out after a warning */
};

/**
 * safedocs_read(s, hook, set, out):
 * Read the caller's safe, oldest deposit first: every document of class
 * payroll-facts or other, told apart by content (payroll facts, DSN,
 * periods JSON; anything else is passed over), and, when ${hook} is not
 * NULL, every payslip through the hook program (class "payslip").  Add
 * their periods to ${set} (NULL: read only the payroll-facts documents,
 * for their signed facts), and collect in ${out} (cleared
 * first; safedocs_clear()) the payroll facts deposited by employers whose
 * signature and trusted comment verified.  Return an exit code.
 */
int safedocs_read(struct session *s, const char *hook,
    struct periods_set *set, struct safedocs *out);

/**
 * safedocs_clear(sd):
 * Release what ${sd} holds (plaintext is wiped) and empty it.
 */
void safedocs_clear(struct safedocs *sd);

/**
 * safedocs_tc_check(tc, kind, vault, class, sha256, siret, period, why,
 *     whylen):
 * Check the trusted comment ${tc} of a document signature: it must begin
 * with "${kind}\t" and carry vault:${vault}, class:${class} and the
 * plaintext digest sha256:<hex of ${sha256}>, and, when ${siret} is not
 * NULL, siret:${siret}.  If ${period} is not NULL, copy the comment's
 * period (YYYY-MM, required then) into it.  Return 0, or -1 with the
 * reason in ${why}.
 */
int safedocs_tc_check(const char *tc, const char *kind, const char *vault,
    const char *class, const uint8_t sha256[DIGEST_BYTES], const char *siret,
    char period[8], char *why, size_t whylen);

#endif /* !SAFEDOCS_H_ */
