#ifndef CMD_BACKUP_H_
#define CMD_BACKUP_H_

/*
 * Operator backup and restore of a data directory (storage/backup.h):
 *   coffred backup -o FILE.tar [--data DIR] [--with-key]
 *   coffred restore FILE.tar --data DIR
 */

/**
 * cmd_backup_main(argc, argv):
 * Run "backup" or "restore" (${argv[0]}) with its options.  Print a
 * summary on stdout and errors on stderr.  Return the exit status: 0
 * success, 1 failure (a restore that does not verify), 2 usage error.
 */
int cmd_backup_main(int argc, char **argv);

#endif /* !CMD_BACKUP_H_ */
