#ifndef COMMANDS_H_
#define COMMANDS_H_

/*
 * The client's commands.  Each takes argv with argv[0] = its name and
 * returns the process exit code (client.h EXIT_*).
 */

#define COFFRE_VERSION "0.1.0"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;   /* one line */
    const char *help;      /* full text: synopsis, options, examples */
};

/* The table, ended by a NULL name (commands.c). */
extern const struct command commands[];

/**
 * command_help(name):
 * Print the help text of command ${name} on stdout; return EXIT_OK.
 */
int command_help(const char *name);

int cmd_keygen(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_unshare(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_employers(int argc, char **argv);
int cmd_receipts(int argc, char **argv);

#endif /* !COMMANDS_H_ */
