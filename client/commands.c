#include "client/commands.h"

#include <stddef.h>

/* Help texts: what --help, `coffre help CMD` and docs/coffre.1 show. */

const struct command commands[] = {
    {"keygen", cmd_keygen, "make a key file (age identity + signing key)",
        "Usage: coffre keygen [-o KEYFILE] [--work-factor N]\n"
        "                     [--passphrase-file FILE]\n"
        "\n"
        "Make an account's two key pairs: an age X25519 identity that\n"
        "receives documents and an Ed25519 (minisign) key that signs them.\n"
        "Both secrets go into KEYFILE, itself an age file encrypted to a\n"
        "passphrase (scrypt), so `age -d KEYFILE` also opens it.  Prints the\n"
        "age recipient and the minisign public key.  KEYFILE.pub receives\n"
        "the public key in minisign's format, for `minisign -V -p`.\n"
        "\n"
        "Options:\n"
        "  -o KEYFILE            where to write (default: coffre.key); an\n"
        "                        existing file is never overwritten\n"
        "  --work-factor N       scrypt work factor, 10 to 22 (default 18,\n"
        "                        or COFFRE_WORK_FACTOR)\n"
        "  --passphrase-file F   read the passphrase from F's first line\n"
        "                        (else COFFRE_PASSPHRASE, else a prompt)\n"
        "\n"
        "Example:\n"
        "  coffre keygen -o ~/.config/coffre/me.key\n"},
    {"encrypt", cmd_encrypt, "encrypt a file to age recipients",
        "Usage: coffre encrypt -r RECIPIENT [-r RECIPIENT...] [-o OUT] [FILE]\n"
        "\n"
        "Encrypt FILE (or standard input) as a standard age v1 file that\n"
        "`age -d` opens.  RECIPIENT is an age1... public key.  OUT appears\n"
        "only once complete; without -o the result goes to standard output.\n"
        "\n"
        "Example:\n"
        "  coffre encrypt -r age1... -o payslip.pdf.age payslip.pdf\n"},
    {"decrypt", cmd_decrypt, "decrypt an age file",
        "Usage: coffre decrypt -i IDENTITY [-o OUT] [--passphrase-file F]\n"
        "                      [FILE]\n"
        "\n"
        "Decrypt an age file (FILE or standard input).  IDENTITY is an age\n"
        "identity file as age-keygen writes it, or a coffre key file (its\n"
        "passphrase is asked).  With -o, nothing is left at OUT unless the\n"
        "whole file decrypted and authenticated.\n"
        "\n"
        "Example:\n"
        "  coffre decrypt -i me.key -o payslip.pdf payslip.pdf.age\n"},
    {"sign", cmd_sign, "sign a file (minisign format)",
        "Usage: coffre sign -k KEYFILE [-t TRUSTED_COMMENT] [-x SIGFILE]\n"
        "                   [--passphrase-file F] FILE\n"
        "\n"
        "Sign FILE with the key file's Ed25519 key and write FILE.minisig\n"
        "(or SIGFILE), which `minisign -V` verifies.  The trusted comment is\n"
        "signed too; by default it holds the time and the file name.\n"
        "\n"
        "Example:\n"
        "  coffre sign -k me.key -t 'period:2026-10' payslip.pdf\n"},
    {"verify", cmd_verify, "verify a minisign signature",
        "Usage: coffre verify (-P PUBKEY | -p PUBKEYFILE) [-x SIGFILE] FILE\n"
        "\n"
        "Check FILE against FILE.minisig (or SIGFILE) and print the trusted\n"
        "comment.  Exits 0 only for a valid signature by that key, 5\n"
        "otherwise.  PUBKEY is the RW... base64 key; PUBKEYFILE a minisign\n"
        "public key file.\n"
        "\n"
        "Example:\n"
        "  coffre verify -P RWQ... payslip.pdf\n"},
    {NULL, NULL, NULL, NULL},
};
