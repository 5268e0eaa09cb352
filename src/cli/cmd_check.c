/*
 * cmd_check.c - `lancre check`: a certificate's revocation status, decided
 * as a careful client does (src/check/), printed for a person or as JSON.
 * It needs no data directory.  The exit status is the answer, so scripts can
 * branch on it: 0 good (or no revocation information by design), 3 revoked,
 * 4 could not decide, 1 error, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check/check.h"
#include "cli/cli.h"
#include "pki/reason.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define CHECK_STAPLE_MODE 0644 /* read by the TLS server's worker user */

#define CHECK_EXIT_REVOKED 3
#define CHECK_EXIT_UNDECIDED 4

static const char usage_text[] =
    "usage: lancre check [--json] [--verbose] [--no-cache] [--staple FILE] CERTFILE\n\n"
    "Decide whether a certificate is revoked, as a careful client does: the\n"
    "issuer from the chain in CERTFILE or fetched from the caIssuers URL, then\n"
    "the OCSP responder the certificate names (signature, CertID, freshness),\n"
    "then, when there is no responder or it gives no usable answer, the CRL from\n"
    "the CRL Distribution Point (signature, scope, freshness).  CERTFILE is PEM\n"
    "(the certificate first, then its chain) or one DER certificate.  No data\n"
    "directory is needed.\n\n"
    "  --verbose   every fetch and the reason for each decision\n"
    "  --json      the same as one JSON object\n"
    "  --no-cache  fetch everything and keep nothing; by default answers are kept\n"
    "              in $XDG_CACHE_HOME/lancre (else ~/.cache/lancre) until the\n"
    "              earlier of their nextUpdate and Cache-Control max-age, and\n"
    "              re-verified each time they are used\n"
    "  --staple FILE  write the OCSP response (DER) that decided, verified and\n"
    "              fresh, atomically to FILE (nginx ssl_stapling_file, HAProxy);\n"
    "              without one, exit 1 and leave FILE as it was\n\n"
    "Exit status: 0 good (or no revocation information by design: short-lived or\n"
    "noRevAvail), 3 revoked, 4 could not decide, 1 error, 2 usage.\n";

/* The certificate and the chain after it, PEM or one DER certificate. */
static int
check_load(const char *path, X509 **leaf, STACK_OF(X509) **chain, struct err *e)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *x;

	*leaf = NULL;
	if ((*chain = sk_X509_new_null()) == NULL || b == NULL)
		return err_ossl(e, "%s: cannot read", path);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*leaf == NULL)
			*leaf = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	if (*leaf == NULL) {
		ERR_clear_error();
		(void)BIO_reset(b);
		*leaf = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	ERR_clear_error();
	if (*leaf == NULL)
		return err_set(e, "%s: no certificate (PEM or DER) in it", path);
	return 0;
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
check_print_json(const struct check_result *r)
{
	char t[TIMEFMT_LEN];

	printf("{\"status\":");
	json_str(r->status == CHECK_BY_DESIGN ? "no_revocation_info" :
	    r->status == CHECK_UNDECIDED ? "undecided" : check_status_name(r->status));
	printf(",\"reason\":");
	json_str(r->why);
	printf(",\"source\":");
	json_str(r->source);
	if (r->status == CHECK_REVOKED) {
		timefmt_format(r->revoked_at, t, sizeof(t));
		printf(",\"revoked_at\":\"%s\",\"revocation_reason\":", t);
		json_str(r->reason >= 0 ? reason_name(r->reason) : "");
	}
	if (r->source[0]) {
		timefmt_format(r->this_update, t, sizeof(t));
		printf(",\"this_update\":\"%s\"", t);
		timefmt_format(r->next_update, t, sizeof(t));
		printf(",\"next_update\":\"%s\"", t);
	}
	printf(",\"steps\":[");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct check_step *s = &r->steps[i];

		printf("%s{\"kind\":", i ? "," : "");
		json_str(s->kind);
		printf(",\"url\":");
		json_str(s->url);
		printf(",\"http_status\":%ld,\"bytes\":%zu,\"ok\":%s,\"from_cache\":%s,\"note\":",
		    s->http_status, s->bytes, s->ok ? "true" : "false", s->from_cache ? "true" : "false");
		json_str(s->note);
		putchar('}');
	}
	printf("]}\n");
}

static void
check_print_text(const struct check_result *r, int verbose)
{
	char t[TIMEFMT_LEN];

	if (verbose) {
		for (size_t i = 0; i < r->nsteps; i++) {
			const struct check_step *s = &r->steps[i];

			printf("%s: %s%s", s->kind, s->url, s->url[0] ? " " : "");
			if (s->from_cache)
				printf("(from cache, %zu bytes) ", s->bytes);
			else if (s->url[0])
				printf("(HTTP %ld, %zu bytes) ", s->http_status, s->bytes);
			printf("%s\n", s->note);
		}
	}
	printf("status: %s\n", check_status_name(r->status));
	if (r->status == CHECK_REVOKED) {
		timefmt_format(r->revoked_at, t, sizeof(t));
		printf("revoked at: %s\nreason: %s\n", t,
		    r->reason >= 0 ? reason_name(r->reason) : "(none given)");
	}
	if (r->source[0])
		printf("from: %s\n", r->source);
	printf("why: %s\n", r->why);
}

/* --staple: only an OCSP answer that decided was verified and is fresh. */
static int
check_staple(const char *path, const struct check_result *r, struct err *e)
{
	if (r->ocsp_response == NULL)
		return err_set(e, "--staple: no verified, fresh OCSP response (%s); %s left as it was",
		    r->why, path);
	return fs_write_atomic(path, r->ocsp_response, r->ocsp_response_len, CHECK_STAPLE_MODE, e);
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"verbose", no_argument, NULL, 'v'},
	    {"staple", required_argument, NULL, 's'}, {"no-cache", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *staple = NULL;
	STACK_OF(X509) *chain = NULL;
	struct check_result r = {0};
	X509 *leaf = NULL;
	struct err e;
	struct check_cache cache;
	struct check_opts o = {0};
	int ch, json = 0, verbose = 0, use_cache = 1, rc;

	while ((ch = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 's':
			staple = optarg;
			break;
		case 'n':
			use_cache = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("check", argv, ch);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("check", "give one CERTFILE");
	if (check_load(argv[optind], &leaf, &chain, &e) != 0) {
		rc = cli_fail("check", &e);
		goto done;
	}
	/* A cache that cannot be used is not an error: the check fetches everything. */
	if (use_cache && check_cache_open(&cache, &e) == 0)
		o.cache = &cache;
	else if (use_cache && verbose && !json)
		printf("cache: not used: %s\n", e.msg);
	if (check_cert(leaf, chain, &o, &r, &e) != 0) {
		rc = cli_fail("check", &e);
		goto done;
	}
	if (json)
		check_print_json(&r);
	else
		check_print_text(&r, verbose);
	rc = r.status == CHECK_REVOKED ? CHECK_EXIT_REVOKED :
	    r.status == CHECK_UNDECIDED ? CHECK_EXIT_UNDECIDED : EXIT_OK;
	if (staple != NULL && check_staple(staple, &r, &e) != 0)
		rc = cli_fail("check", &e);
done:
	check_result_free(&r);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
