#ifndef CMD_ACTIVITY_H_
#define CMD_ACTIVITY_H_

/*
 * coffre periods / coffre accrual: employment periods and training-account
 * (CPF) rights from DSN files, payroll facts and, through a hook, other
 * documents.  The work is done by activity/; these parse options and print.
 */

/* One-line summaries and full help texts, for the command table. */
extern const char cmd_periods_summary[];
extern const char cmd_periods_help[];
extern const char cmd_accrual_summary[];
extern const char cmd_accrual_help[];

/**
 * cmd_periods(argc, argv):
 * `coffre periods --from FILE... [--json] [--hook PATH]`; argv[0] is
 * "periods".  Return the exit code: 0 ok, 1 error, 2 usage.
 */
int cmd_periods(int argc, char **argv);

/**
 * cmd_accrual(argc, argv):
 * `coffre accrual --from FILE... [--until YEAR] [--low-qualified-since YEAR]
 * [--dif-hours N] [--cec ACTIVITY:YEAR...] [--hook PATH] [--json]`; argv[0]
 * is "accrual".  Return the exit code: 0 ok, 1 error, 2 usage.
 */
int cmd_accrual(int argc, char **argv);

#endif /* !CMD_ACTIVITY_H_ */
