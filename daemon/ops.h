#ifndef OPS_H_
#define OPS_H_

/*
 * Operator commands of coffred that work on a data directory offline:
 *   coffred reindex --data DIR
 *   coffred scrub --data DIR [--quarantine]
 *   coffred gc --data DIR [--grace SECONDS] [--apply]
 */

/**
 * ops_main(argc, argv):
 * Run the operator command ${argv[0]} ("reindex", "scrub" or "gc") with its
 * options ${argv[1..argc-1]}.  Print findings on stdout and errors on
 * stderr.  Return the process exit status: 0 success, 1 a problem was found
 * (scrub: missing or corrupt objects) or the command failed, 2 usage error.
 */
int ops_main(int argc, char **argv);

#endif /* !OPS_H_ */
