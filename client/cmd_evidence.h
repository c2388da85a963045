#ifndef CMD_EVIDENCE_H_
#define CMD_EVIDENCE_H_

/*
 * coffre evidence publish / revoke / pull: activity statements handed to an
 * account service (docs/ACTIVITY.md §7).
 */

extern const char cmd_evidence_summary[];
extern const char cmd_evidence_help[];

/**
 * cmd_evidence(argc, argv):
 * `coffre evidence publish|revoke|pull ...`; argv[0] is "evidence".
 * Return the exit code: 0 ok, 1 error, 2 usage, 3 authentication, 4 not
 * found, 5 a statement failed its checks (pull).
 */
int cmd_evidence(int argc, char **argv);

#endif /* !CMD_EVIDENCE_H_ */
