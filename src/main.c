/*
 * main.c - the `lancre` binary: finds the subcommand and runs it.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define LANCRE_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"init", cmd_init, "create a data directory (lancre.conf and the store)"},
    {"issuer", cmd_issuer, "register an issuing CA and its signing key; list issuers"},
    {"cert", cmd_cert, "record issued certificates (PEM, DER, PKCS#7, directories, stdin); list them"},
    {"import", cmd_import, "take what `openssl ca` issued and revoked (index.txt, newcerts/); --follow"},
    {"revoke", cmd_revoke, "revoke a certificate (by file, or by issuer and serial)"},
    {"status", cmd_status, "what lancre knows about a certificate: good, revoked or unknown"},
    {"urls", cmd_urls, "the AIA and CRL Distribution Point URLs to put in a certificate"},
    {"sign", cmd_sign, "pre-sign OCSP responses and keep them fresh (the only process with keys)"},
    {"serve", cmd_serve, "serve OCSP, CRLs and issuer certificates over HTTP (holds no key)"},
    {"run", cmd_run, "run the signer, the server and the admin API together, as processes"},
    {"admin", cmd_admin, "serve the admin API alone (certificates and revocations in)"},
    {"answer", cmd_answer, "answer one OCSP request from the pre-signed responses, as the server does"},
    {"explain", cmd_explain, "say what a captured OCSP URL, request, response, CRL or certificate is; lint it"},
    {"demo", cmd_demo, "make a demo CA universe: root, two intermediates, 1,000 leaves"},
    {"check", cmd_check, "is a certificate revoked? ask its OCSP responder and CRL, as a client does"},
    {"token", cmd_token, "bearer tokens of the admin API: add (printed once), list, revoke"},
    {"audit", cmd_audit, "the audit trail of every change: list it, --verify its hash chain"},
    {"store", cmd_store, "copy the store into another (SQLite or PostgreSQL), resumable and verified"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: lancre COMMAND [-d DIR] [options]\n\n"
		   "lancre records what a certificate authority issued and revoked, and publishes\n"
		   "its OCSP responses, CRLs and issuer certificates.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEvery data command takes -d DIR / --dir DIR: the data directory (default\n"
		   "$LANCRE_DIR, else the current directory).  'lancre COMMAND --help' for more.\n"
		   "Exit status: 0 success, 1 the operation failed, 2 usage error.\n");
}

int
main(int argc, char **argv)
{
	/* The character type only (names print as UTF-8 where the terminal takes it). */
	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("lancre %s\n", LANCRE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "lancre: unknown command '%s'\nTry 'lancre --help'.\n", argv[1]);
	return EXIT_USAGE;
}
