/*
 * cmd_urls.c - `lancre urls`: the AIA and CRL Distribution Point values a CA
 * must put into a certificate it is about to issue, so that clients reach
 * lancre and the certificate lands in the right CRL shard.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/lookup.h"
#include "pki/issuer.h"
#include "pki/serial.h"
#include "pki/urls.h"

static const char usage_text[] =
    "usage: lancre urls [-d DIR] --issuer NAME [--serial HEX] [--format F]\n\n"
    "Print the OCSP and caIssuers (Authority Information Access) and CRL\n"
    "Distribution Point URLs for a certificate NAME will issue.  The CRL shard\n"
    "comes from the serial (serial mod shards, + 1); without --serial, shard 1.\n\n"
    "  --format plain    one 'name: URL' line each (default)\n"
    "  --format openssl  extension lines for an openssl.cnf section\n"
    "  --format json     one JSON object\n";

struct urlset {
	char ocsp[URL_MAX], ca_issuers[URL_MAX], crl[URL_MAX];
	int shard;
};

static int
urls_print(const struct urlset *u, const char *format)
{
	if (strcmp(format, "plain") == 0) {
		printf("ocsp: %s\nca issuers: %s\ncrl: %s\n", u->ocsp, u->ca_issuers, u->crl);
	} else if (strcmp(format, "openssl") == 0) {
		printf("authorityInfoAccess = OCSP;URI:%s,caIssuers;URI:%s\n"
		       "crlDistributionPoints = URI:%s\n",
		    u->ocsp, u->ca_issuers, u->crl);
	} else if (strcmp(format, "json") == 0) {
		/* Issuer names and configured URLs hold no characters that need escaping. */
		printf("{\"ocsp\":\"%s\",\"ca_issuers\":\"%s\",\"crl\":\"%s\",\"crl_shard\":%d}\n",
		    u->ocsp, u->ca_issuers, u->crl, u->shard);
	} else {
		return -1;
	}
	return 0;
}

int
cmd_urls(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"issuer", required_argument, NULL, 'i'},
	    {"serial", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *issuer = NULL, *serial = NULL, *format = "plain";
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t elen, clen;
	struct issuer_set set;
	const struct issuer *is;
	struct urlset u;
	struct cli_dir d;
	struct err e;
	int ch;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 's':
			serial = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("urls", argv, ch);
		}
	}
	if (issuer == NULL || optind != argc)
		return cli_usage_error("urls", "give --issuer NAME (and optionally --serial HEX)");
	if (strcmp(format, "plain") && strcmp(format, "openssl") && strcmp(format, "json"))
		return cli_usage_error("urls", "--format is plain, openssl or json");
	if (serial != NULL &&
	    serial_parse_hex(serial, exact, &elen, canon, &clen, STORE_SERIAL_MAX, &e) != 0)
		return cli_usage_error("urls", "%s", e.msg);
	if (cli_dir_open_as(&d, dir, STORE_READ, &e) != 0)
		return cli_fail("urls", &e);
	if (issuer_set_load(d.store, &set, &e) != 0) {
		cli_dir_close(&d);
		return cli_fail("urls", &e);
	}
	if ((is = lookup_issuer(&set, issuer, &e)) == NULL) {
		issuer_set_free(&set);
		cli_dir_close(&d);
		return cli_fail("urls", &e);
	}
	/* The serial as the CA will encode it: canonical positive DER. */
	u.shard = serial != NULL ? serial_shard(canon, clen, is->rec.crl_shards) : 1;
	urls_ocsp(&d.conf, issuer, u.ocsp, sizeof(u.ocsp));
	urls_ca_issuers(&d.conf, issuer, u.ca_issuers, sizeof(u.ca_issuers));
	urls_crl_shard(&d.conf, issuer, u.shard, u.crl, sizeof(u.crl));
	urls_print(&u, format);
	issuer_set_free(&set);
	cli_dir_close(&d);
	return EXIT_OK;
}
