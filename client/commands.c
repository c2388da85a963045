#include "client/commands.h"
#include "client/cmd_activity.h"
#include "client/cmd_evidence.h"

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
    {"init", cmd_init, "make your keys and register your safe",
        "Usage: coffre init --server URL [--work-factor N]\n"
        "                   [--passphrase-file F]\n"
        "       coffre init --server URL --kind employer --siret N\n"
        "                   --name NAME\n"
        "       coffre init --server URL --kind service --name NAME\n"
        "\n"
        "Make your key file (as `coffre keygen`) under $COFFRE_HOME (default\n"
        "~/.config/coffre), register your public keys with the server, and\n"
        "print your vault address: give it to your employers.  Also writes a\n"
        "recovery kit, recovery.key: a second copy of your key file that a\n"
        "long recovery code, printed once, opens.  Losing both the passphrase\n"
        "and the recovery code loses the documents: nobody can open them.\n"
        "\n"
        "With --kind employer (or service), files a registration request\n"
        "carrying the public keys instead; the operator approves it.  A\n"
        "server that registers such accounts only through its operator gets\n"
        "the `coffred account add` line to run, printed here.\n"
        "\n"
        "Example:\n"
        "  coffre init --server http://127.0.0.1:8420\n"},
    {"whoami", cmd_whoami, "show your account and server",
        "Usage: coffre whoami [--json]\n"
        "\n"
        "Show the account you are logged in as, its vault address and keys,\n"
        "and the server.\n"},
    {"info", cmd_info, "the server's policies (retention, formats, closure)",
        "Usage: coffre info [--server URL] [--json]\n"
        "\n"
        "What the service promises before you sign up: how long documents\n"
        "and logs are kept, the export formats, its signing key, and the\n"
        "closure date if one was announced.  No account needed with\n"
        "--server.\n"},
    {"passwd", cmd_passwd, "change the key file's passphrase",
        "Usage: coffre passwd [--work-factor N] [--passphrase-file OLD]\n"
        "                     [--new-passphrase-file NEW]\n"
        "\n"
        "Re-encrypt your key file under a new passphrase.  The old file is\n"
        "replaced only once the new one is completely written.\n"},
    {"put", cmd_put, "encrypt, sign and store documents",
        "Usage: coffre put [--class CLASS] FILE...\n"
        "\n"
        "For each FILE, in one pass: encrypt it (age), hash the ciphertext\n"
        "(its blob id) and sign the plaintext (minisign); upload, then\n"
        "deposit the record with its encrypted metadata (name, size, type,\n"
        "class, dates).  Prints each new document id.\n"
        "CLASS: payslip, certificate, payroll-facts, evidence, other\n"
        "(default).\n"
        "\n"
        "Example:\n"
        "  coffre put --class certificate attestation-employeur.pdf\n"},
    {"ls", cmd_ls, "list your documents",
        "Usage: coffre ls [--class CLASS] [--json]\n"
        "\n"
        "List your documents, decrypting their names locally: id, date,\n"
        "class, size, whether the author's signature of the metadata checks\n"
        "(ok/bad), name, and who deposited it when not you.\n"},
    {"get", cmd_get, "download, check and decrypt documents",
        "Usage: coffre get ID [-o PATH] [--force] [--sig]\n"
        "       coffre get ID... [-d DIR] [--force] [--sig]\n"
        "\n"
        "Download document ID (or a unique prefix of it), check that the\n"
        "blob matches its id, decrypt it, verify its author's signature, and\n"
        "only then move it into place (PATH, or its original name in DIR or\n"
        "the current folder, control characters, '/' and '\\' made '_', as\n"
        "is a leading '.' or '-').  Any failure writes nothing and exits 5;\n"
        "--force keeps a document whose signature fails, with a loud\n"
        "warning.  Several IDs are fetched with one login.  --sig also\n"
        "writes the author's signature beside each file (PATH.minisig), so\n"
        "that anyone can check it with `minisign -Vm PATH -P AUTHOR_KEY`.\n"
        "\n"
        "Example:\n"
        "  coffre get 3f2a -o bulletin-2026-10.pdf\n"},
    {"rm", cmd_rm, "delete documents",
        "Usage: coffre rm ID...\n"
        "\n"
        "Delete documents from your safe.  The audit log keeps the trace.\n"},
    {"share", cmd_share, "let another person or the account service read",
        "Usage: coffre share ID --with VAULT|SERVICE\n"
        "\n"
        "Give another person (by vault address) or a service (by name) the\n"
        "key to one document: a new age header for the same stored blob.\n"
        "Employers can never be given read access.\n"
        "\n"
        "Example:\n"
        "  coffre share 3f2a --with cpf\n"},
    {"unshare", cmd_unshare, "revoke a share",
        "Usage: coffre unshare ID --with VAULT|SERVICE\n"
        "\n"
        "Revoke a share; from then on that account gets 'not found'.\n"},
    {"link", cmd_link, "make a share link (no account needed to open it)",
        "Usage: coffre link ID [--expires 7d] [--uses N]\n"
        "\n"
        "Print a link URL/s/TOKEN#AGE-SECRET-KEY-1...  The part after # is\n"
        "the key; it never reaches the server.  The link works for the\n"
        "given time (d, h, m, s; default 7d) and number of uses (default 1).\n"
        "It opens with `coffre fetch LINK`, or with standard tools:\n"
        "  curl -s URL > doc.age; age -d -i KEYFILE doc.age\n"},
    {"fetch", cmd_fetch, "open a share link",
        "Usage: coffre fetch LINK [-o PATH] [--force]\n"
        "\n"
        "Download the document behind a share link, decrypt it with the key\n"
        "in the link's fragment and verify its author's signature.  No\n"
        "account is needed.  Without -o, the plaintext goes to standard\n"
        "output.\n"},
    {"audit", cmd_audit, "your vault's log, verified",
        "Usage: coffre audit [--verify] [--json]\n"
        "\n"
        "Show everything done to your vault: deposits, reads, deletions,\n"
        "shares, links, logins and refused attempts.  --verify recomputes\n"
        "the hash chain, checks the server's signature on its head with the\n"
        "key pinned at init, and checks that the head seen at the last\n"
        "verification is still there unchanged: a rewritten, truncated or\n"
        "altered history fails with exit 5.\n"},
    {"push", cmd_push, "employer: deposit a month of payslips",
        "Usage: coffre push --manifest FILE [--jobs N] [--report FILE]\n"
        "                   [--no-progress]\n"
        "\n"
        "Run with an employer account.  FILE is CSV (RFC 4180; a header\n"
        "line starting with \"vault\" is allowed): vault address, payslip\n"
        "file, payroll-facts file (JSON, may be empty), period (YYYY-MM).\n"
        "Relative file names are taken from FILE's folder.  For each row:\n"
        "look up the employee's key, encrypt, sign with a trusted comment\n"
        "binding SIRET, vault, period, class and the SHA-256 of the\n"
        "payslip, upload and deposit; then the same for the payroll facts,\n"
        "linked to the payslip.  A bad row does not stop the others.\n"
        "\n"
        "The report (default: FILE with .report.csv) lists every row with\n"
        "its document ids and the server's signed receipts, or its error\n"
        "code and message (bad_row, unreadable, bad_facts, unknown_vault,\n"
        "opposition, network, ...; see docs/EMPLOYERS.md).  REPORT.journal\n"
        "records each deposit as soon as it is acknowledged: a run that was\n"
        "stopped resumes where it stopped, and running the same manifest\n"
        "again deposits nothing new.  Exit 0 only if every row succeeded.\n"
        "\n"
        "Options:\n"
        "  --jobs N        payslips encrypted in parallel, 1 to 32 (default\n"
        "                  4); each job keeps up to 4 deposits in flight (32\n"
        "                  connections at most)\n"
        "  --report FILE   where to write the report\n"
        "  --no-progress   no progress bar (it shows only on a terminal)\n"
        "\n"
        "Example:\n"
        "  coffre push --manifest 2026-10.csv --jobs 8 --report out.csv\n"},
    {"employers", cmd_employers, "who deposits into your safe; opposition",
        "Usage: coffre employers [list] [--json]\n"
        "       coffre employers oppose SIRET\n"
        "       coffre employers allow SIRET\n"
        "\n"
        "List the employers that deposited documents into your safe (SIRET,\n"
        "name, number of documents, last deposit) and those you opposed.\n"
        "oppose refuses electronic payslips from that employer from now on:\n"
        "its deposits are refused with the error 'opposition'.  allow\n"
        "withdraws the opposition.\n"
        "\n"
        "Example:\n"
        "  coffre employers oppose 73282932000074\n"},
    {"receipts", cmd_receipts, "verify the receipts of a push report",
        "Usage: coffre receipts verify REPORT [--key RW... | --key-file F]\n"
        "\n"
        "Check every receipt in a report of `coffre push` against the\n"
        "server's signing key (by default the key pinned at init): the\n"
        "server's signature over the exact receipt text, and that the\n"
        "receipt names the report's document, vault and class.  Prints one\n"
        "line per receipt; exits 5 if any fails.  Each receipt also checks\n"
        "with minisign alone: save the text (no newline) and the signature,\n"
        "then `minisign -V -P KEY -m receipt.json`.\n"
        "\n"
        "Example:\n"
        "  coffre receipts verify 2026-10.out.csv\n"},
    {"export", cmd_export, "take the whole safe out in one archive",
        "Usage: coffre export -o FILE [--format tar|tar.gz|zip] [--raw]\n"
        "\n"
        "Write every document of your safe into one archive (format from\n"
        "FILE's name, or --format), streamed: memory stays small whatever\n"
        "the size of the safe.  Each document is checked as for `get`\n"
        "(blob digest, decryption, author's signature); any failure stops\n"
        "the export with exit 5 and leaves no archive.  Inside:\n"
        "CLASS/YEAR/NAME and NAME.minisig beside it, signers/*.pub,\n"
        "manifest.json, audit.jsonl (the verified log), SHA256SUMS and a\n"
        "README.txt saying how to check everything with `sha256sum -c`\n"
        "and `minisign -V`, without coffre.\n"
        "--raw writes each document still encrypted, as a standard age\n"
        "file raw/ID.age (your header and the stored blob) beside its\n"
        "sidecar raw/ID.json, for moving to another server with\n"
        "`coffre import --raw`.\n"
        "\n"
        "Example:\n"
        "  coffre export -o coffre-2026.zip\n"},
    {"import", cmd_import, "deposit the files of an archive",
        "Usage: coffre import ARCHIVE [--class CLASS]\n"
        "       coffre import --raw ARCHIVE\n"
        "\n"
        "Deposit every regular file of a tar, tar.gz or zip archive (for\n"
        "example another provider's export) with its path as its name.\n"
        "Entries are read one by one, never extracted.  Refused, each with\n"
        "its reason, while the rest goes on: absolute paths and '..',\n"
        "links, devices, encrypted zip entries, names that are not valid\n"
        "UTF-8, files over 64 MiB.  The whole archive stops once it\n"
        "expands past 1 GiB, or past 100 times its own size (beyond\n"
        "16 MiB), or past 100,000 entries.  Importing the same archive\n"
        "again deposits nothing new.  Exit 0 when every entry was\n"
        "imported, 1 when some were refused or failed.\n"
        "--raw takes back an archive made by `coffre export --raw`: each\n"
        "age file is checked (blob digest, payload, author's signature)\n"
        "and deposited again with the same header and blob.\n"
        "\n"
        "Example:\n"
        "  coffre import --class payslip bulletins-2019.zip\n"},
    {"periods", cmd_periods, cmd_periods_summary, cmd_periods_help},
    {"accrual", cmd_accrual, cmd_accrual_summary, cmd_accrual_help},
    {"evidence", cmd_evidence, cmd_evidence_summary, cmd_evidence_help},
    {NULL, NULL, NULL, NULL},
};
