#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/client.h"
#include "client/commands.h"

/*
 * coffre: dispatch to the command, and `coffre help [COMMAND]`.  Every
 * command's help text lives in its table entry, so that `--help`, `coffre
 * help COMMAND` and the man page (`coffre help --man`) say the same thing.
 */

static const struct command *
command_find(const char *name)
{
    size_t i;

    for (i = 0; commands[i].name != NULL; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return (&commands[i]);
        }
    }
    return (NULL);
}

static const char exit_codes[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  error (I/O, server, bad input)\n"
    "  2  usage error\n"
    "  3  authentication failed (wrong passphrase, login refused)\n"
    "  4  not found\n"
    "  5  integrity or signature failure (nothing was written)\n";

static void
overview(FILE *f)
{
    size_t i;

    fprintf(f, "coffre: a digital safe for payslips; all cryptography "
               "happens here.\n\n"
               "Usage: coffre [--quiet] COMMAND [OPTIONS] [ARGS]\n\n"
               "Commands:\n");
    for (i = 0; commands[i].name != NULL; i++) {
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\nRun 'coffre help COMMAND' for a command's options and "
               "examples.\n\n%s\n"
               "Passphrases are never taken on the command line: a no-echo "
               "prompt,\nthe COFFRE_PASSPHRASE variable, or "
               "--passphrase-file FILE.\n",
        exit_codes);
}

/* Escape a line for troff: leading dots and backslashes. */
static void
man_text(const char *s)
{
    int bol = 1;

    for (; *s != '\0'; s++) {
        if (bol && (*s == '.' || *s == '\'')) {
            fputs("\\&", stdout);
        }
        if (*s == '\\') {
            fputs("\\e", stdout);
        } else if (*s == '-') {
            fputs("\\-", stdout);
        } else {
            putchar(*s);
        }
        bol = (*s == '\n');
    }
}

/* The man page, from the same table as the help. */
static void
man_page(void)
{
    size_t i;

    puts(".TH COFFRE 1 \"\" \"coffre\" \"User Commands\"");
    puts(".SH NAME\ncoffre \\- client of the coffre digital safe");
    puts(".SH SYNOPSIS\n.B coffre\n[\\-\\-quiet] COMMAND [OPTIONS] [ARGS]");
    puts(".SH DESCRIPTION\nA person's safe from the terminal: encrypt, sign, "
         "upload, list, download, share and export documents.  All "
         "cryptography (age v1, minisign) happens on this machine; the "
         "server stores ciphertext only.");
    puts(".SH COMMANDS");
    for (i = 0; commands[i].name != NULL; i++) {
        printf(".SS %s\n.nf\n", commands[i].name);
        man_text(commands[i].help);
        puts(".fi");
    }
    puts(".SH EXIT STATUS\n.nf");
    man_text(exit_codes);
    puts(".fi");
    puts(".SH ENVIRONMENT\n.TP\nCOFFRE_HOME\nconfiguration folder (default "
         "~/.config/coffre)\n.TP\nCOFFRE_PASSPHRASE\npassphrase of the key "
         "file\n.TP\nCOFFRE_WORK_FACTOR\nscrypt work factor for new key files "
         "(10 to 22, default 18)");
}

static int
cmd_help(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2) {
        overview(stdout);
        return (EXIT_OK);
    }
    if (strcmp(argv[1], "--man") == 0) {
        man_page();
        return (EXIT_OK);
    }
    if ((c = command_find(argv[1])) == NULL) {
        return (usage_error("", "unknown command '%s'", argv[1]));
    }
    fputs(c->help, stdout);
    return (EXIT_OK);
}

int
command_help(const char *name)
{
    const struct command *c;

    if ((c = command_find(name)) != NULL) {
        fputs(c->help, stdout);
    }
    return (EXIT_OK);
}

int
main(int argc, char **argv)
{
    const struct command *c;

    if (sodium_init() < 0) {
        fprintf(stderr, "coffre: cannot initialise libsodium\n");
        exit(EXIT_ERR);
    }
    /*
     * A closed pipe is an error to handle (remove partial output), not a
     * reason to die with temporary files left behind.
     */
    (void)signal(SIGPIPE, SIG_IGN);
    argc--;
    argv++;
    while (argc > 0 && strcmp(argv[0], "--quiet") == 0) {
        client_quiet = 1;
        argc--;
        argv++;
    }
    if (argc == 0) {
        overview(stderr);
        exit(EXIT_USAGE);
    }
    if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0) {
        exit(cmd_help(argc, argv));
    }
    if (strcmp(argv[0], "--version") == 0) {
        printf("coffre %s\n", COFFRE_VERSION);
        exit(EXIT_OK);
    }
    if ((c = command_find(argv[0])) == NULL) {
        fprintf(stderr, "coffre: unknown command '%s'\n"
                        "Try 'coffre help'.\n", argv[0]);
        exit(EXIT_USAGE);
    }
    exit(c->fn(argc, argv));
}
