#ifndef HOOK_H_
#define HOOK_H_

#include <stddef.h>
#include <stdint.h>

/*
 * The external hook: a program that reads a document's bytes on its standard
 * input, finds its class and name in the environment (COFFRE_DOC_CLASS,
 * COFFRE_DOC_NAME) and prints employment periods as JSON on its standard
 * output (schema in docs/ACTIVITY.md).  It runs in its own process group,
 * with a deadline and a cap on what it may print; its standard error is the
 * caller's.  This runner is the only I/O of the activity module.
 */

#define HOOK_TIMEOUT_MS 10000          /* 10 s */
#define HOOK_OUTPUT_MAX (1024u * 1024) /* bytes of standard output */

#define HOOK_EEXEC (-2)    /* the program could not be started */
#define HOOK_ETIMEOUT (-3) /* killed at the deadline */
#define HOOK_ETOOBIG (-4)  /* killed for printing more than the cap */
#define HOOK_EFAILED (-5)  /* exited non-zero or died of a signal */

/**
 * hook_run(path, doc_class, doc_name, doc, len, timeout_ms, max_out, out,
 *     outlen, err, errlen):
 * Run the program ${path} (no arguments) with ${doc} (${len} bytes) on its
 * standard input and COFFRE_DOC_CLASS=${doc_class}, COFFRE_DOC_NAME=
 * ${doc_name} added to the environment.  Kill its process group after
 * ${timeout_ms} milliseconds or once it printed more than ${max_out} bytes.
 * On a zero exit store its output, NUL-terminated, in a new buffer ${out}
 * (the caller frees it) of ${outlen} bytes and return 0.  Otherwise return
 * HOOK_EEXEC, HOOK_ETIMEOUT, HOOK_ETOOBIG, HOOK_EFAILED (with a message in
 * ${err}) or -1 on a system error.  SIGPIPE is ignored while the hook runs
 * (the previous disposition is restored), so the runner is not meant to be
 * called from several threads at once.
 */
int hook_run(const char *path, const char *doc_class, const char *doc_name,
    const uint8_t *doc, size_t len, unsigned timeout_ms, size_t max_out,
    char **out, size_t *outlen, char *err, size_t errlen);

#endif /* !HOOK_H_ */
