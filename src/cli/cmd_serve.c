/*
 * cmd_serve.c - `lancre serve` (the public server alone), `lancre admin`
 * (the admin API alone) and `lancre run` (signer, server and admin API
 * together, as three processes).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/serving.h"
#include "server/server.h"
#include "util/num.h"

static const char serve_usage[] =
    "usage: lancre serve [-d DIR] [--listen HOST:PORT] [--admin HOST:PORT] [--threads N]\n\n"
    "Serve DIR's OCSP responses, CRLs and issuer certificates over HTTP/1.1 and\n"
    "HTTP/2 (cleartext), from what the signer stored; changes are picked up within\n"
    "a second.  This process never loads a private key.  Runs until SIGINT/SIGTERM.\n\n"
    "  --listen H:P   public listener (default: lancre.conf [server] listen)\n"
    "  --admin H:P    /healthz and /metrics (default: 127.0.0.1, public port + 1)\n"
    "  --threads N    event loops (default: one per CPU)\n";

static const char run_usage[] =
    "usage: lancre run [-d DIR] [--listen HOST:PORT] [--admin HOST:PORT] [--threads N]\n"
    "                  [--api HOST:PORT|off]\n\n"
    "Run the signer (`lancre sign`), the public server (`lancre serve`) and the\n"
    "admin API (`lancre admin`) together, as processes under a supervisor that\n"
    "restarts any that dies: only the signer holds keys.  Runs until SIGINT/SIGTERM.\n\n"
    "  --api H:P|off  the admin API (default: lancre.conf [admin] listen, else\n"
    "                 127.0.0.1 on the public port + 2); off: no admin process\n";

static const char admin_usage[] =
    "usage: lancre admin [-d DIR] [--api HOST:PORT]\n\n"
    "Serve the admin API alone: certificates and revocations recorded over HTTP/1.1\n"
    "and HTTP/2 (cleartext on loopback, or TLS with [admin] tls_cert), each request\n"
    "with a bearer token or a client certificate (docs/OPERATOR.md).  This process\n"
    "writes the store but never reads a CA key.\n"
    "Runs until SIGINT/SIGTERM.\n\n"
    "  --api H:P      where (default: lancre.conf [admin] listen, else 127.0.0.1 on\n"
    "                 the public port + 2)\n";

/* with_signer: 0 `serve`, 1 `run`, 2 `admin` (the admin API alone). */
static int
serve_main(int argc, char **argv, const char *cmd, const char *usage, int with_signer)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"listen", required_argument, NULL, 'l'},
	    {"admin", required_argument, NULL, 'a'},  {"threads", required_argument, NULL, 't'},
	    {"api", required_argument, NULL, 'A'},    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct serving o = {.with_signer = with_signer == 1, .only_admin = with_signer == 2};
	const char *dir = cli_default_dir();
	struct cli_dir d;
	struct err e;
	int ch, rc;

	cli_log_lines();
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 'a':
			o.admin = optarg;
			break;
		case 'A':
			if (with_signer == 0) /* `serve` runs no admin API */
				return cli_usage_error(cmd, "--api is for `lancre run` and `lancre "
							    "admin`");
			o.api = optarg;
			break;
		case 't':
			if (num_parse_int(optarg, 1, SERVER_THREADS_MAX, &o.threads) != 0)
				return cli_usage_error(cmd, "--threads takes 1 to %d",
				    SERVER_THREADS_MAX);
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option(cmd, argv, ch);
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (cli_check_listen(cmd, "--listen", o.listen) != 0 ||
	    cli_check_listen(cmd, "--admin", o.admin) != 0 ||
	    (o.api != NULL && strcmp(o.api, CONF_API_OFF) != 0 &&
		cli_check_listen(cmd, "--api", o.api) != 0))
		return EXIT_USAGE;
	if (o.only_admin && (o.listen != NULL || o.admin != NULL || o.threads != 0))
		return cli_usage_error(cmd, "--listen, --admin and --threads are the public "
					    "server's; the admin API takes --api");
	/* Each process opens its own store as its user (cli/serving.c): this one only checks. */
	if (cli_dir_open_keep_user(&d, dir, STORE_READ, &e) != 0)
		return cli_fail(cmd, &e);
	rc = serving_run(&d, &o, cmd);
	cli_dir_close(&d);
	return rc;
}

int
cmd_serve(int argc, char **argv)
{
	return serve_main(argc, argv, "serve", serve_usage, 0);
}

int
cmd_run(int argc, char **argv)
{
	return serve_main(argc, argv, "run", run_usage, 1);
}

int
cmd_admin(int argc, char **argv)
{
	return serve_main(argc, argv, "admin", admin_usage, 2);
}
