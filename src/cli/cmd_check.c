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
#include "check/tls.h"
#include "cli/cli.h"
#include "pki/reason.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define CHECK_STAPLE_MODE 0644 /* read by the TLS server's worker user */

#define CHECK_EXIT_REVOKED 3
#define CHECK_EXIT_UNDECIDED 4

static const char usage_text[] =
    "usage: lancre check [--json] [--verbose] [--no-cache] [--staple FILE]\n"
    "                    [--servername NAME] [--cafile FILE] CERTFILE | HOST[:PORT]\n\n"
    "Decide whether a certificate is revoked, as a careful client does: the\n"
    "issuer from the chain in CERTFILE or fetched from the caIssuers URL, then\n"
    "the OCSP responder the certificate names (signature, CertID, freshness),\n"
    "then, when there is no responder or it gives no usable answer, the CRL from\n"
    "the CRL Distribution Point (signature, scope, freshness; read as it streams\n"
    "in, in a few KB) and the delta CRL it names, if any.  CERTFILE is PEM\n"
    "(the certificate first, then its chain) or one DER certificate.  No data\n"
    "directory is needed.\n\n"
    "An argument that is not an existing file is a TLS server, HOST[:PORT]\n"
    "(port 443; [IPV6]:PORT): lancre connects, asks for an OCSP staple, and\n"
    "decides on the certificate and chain the server presents; a valid staple\n"
    "(signature, CertID, fresh) decides, else the check goes on as for a file.\n"
    "It says whether the server staples and whether the staple is valid, and\n"
    "whether the chain verifies (reported, not required).\n\n"
    "  --verbose   every fetch and the reason for each decision\n"
    "  --json      the same as one JSON object\n"
    "  --no-cache  fetch everything and keep nothing; by default answers are kept\n"
    "              in $XDG_CACHE_HOME/lancre (else ~/.cache/lancre) until the\n"
    "              earlier of their nextUpdate and Cache-Control max-age, and\n"
    "              re-verified each time they are used\n"
    "  --staple FILE  write the OCSP response (DER) that decided, verified and\n"
    "              fresh, atomically to FILE (nginx ssl_stapling_file, HAProxy);\n"
    "              without one, exit 1 and leave FILE as it was\n"
    "  --servername NAME  the SNI to send and the name to verify (default: HOST,\n"
    "              none for an IP address)\n"
    "  --cafile FILE  verify the server's chain against these roots, not the\n"
    "              system's trust store\n\n"
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

/* The TLS server's part, as "tls":{...}, after a comma. */
static void
check_print_json_tls(const struct check_tls *tls, const struct check_result *r)
{
	printf(",\"tls\":{\"address\":");
	json_str(tls->address);
	printf(",\"protocol\":");
	json_str(tls->protocol);
	printf(",\"servername\":");
	json_str(tls->servername);
	printf(",\"chain_verified\":%s,\"chain\":", tls->chain_verified ? "true" : "false");
	json_str(tls->chain_why);
	printf(",\"staples\":%s,\"staple\":", tls->staple != NULL ? "true" : "false");
	json_str(check_staple_name(r->staple));
	printf(",\"staple_valid\":%s,\"staple_why\":", r->staple == CHECK_STAPLE_VALID ? "true" : "false");
	json_str(r->staple_why);
	putchar('}');
}

static void
check_print_json(const struct check_result *r, const struct check_tls *tls)
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
	if (tls != NULL)
		check_print_json_tls(tls, r);
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
check_print_text(const struct check_result *r, const struct check_tls *tls, int verbose)
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
	if (tls != NULL) {
		printf("server: %s (%s%s%s)\n", tls->address, tls->protocol,
		    tls->servername[0] ? ", SNI " : ", no SNI", tls->servername);
		printf("chain: %s%s\n", tls->chain_verified ? "" : "not verified: ", tls->chain_why);
		printf("staple: %s: %s\n", check_staple_name(r->staple), r->staple_why);
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
	/* As `answer -o`: a device, a FIFO or "-" is written in place, never replaced (fsutil.h). */
	return fs_write_output(path, r->ocsp_response, r->ocsp_response_len, CHECK_STAPLE_MODE, e);
}

struct check_args {
	const char *staple, *servername, *cafile, *target;
	int json, verbose, use_cache;
};

/* The options; -1 with the exit status in *rc when the command ends here. */
static int
check_args(int argc, char **argv, struct check_args *a, int *rc)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"verbose", no_argument, NULL, 'v'},
	    {"staple", required_argument, NULL, 's'}, {"no-cache", no_argument, NULL, 'n'},
	    {"servername", required_argument, NULL, 'S'}, {"cafile", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int ch;

	memset(a, 0, sizeof(*a));
	a->use_cache = 1;
	while ((ch = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			a->json = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 's':
			a->staple = optarg;
			break;
		case 'n':
			a->use_cache = 0;
			break;
		case 'S':
			a->servername = optarg;
			break;
		case 'C':
			a->cafile = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			*rc = EXIT_OK;
			return -1;
		default:
			*rc = cli_bad_option("check", argv, ch);
			return -1;
		}
	}
	if (optind != argc - 1) {
		*rc = cli_usage_error("check", "give one CERTFILE or HOST[:PORT]");
		return -1;
	}
	a->target = argv[optind];
	return 0;
}

/*
 * The certificate and chain: from the file named, else from the TLS server
 * (a name with a '/' is a file that does not exist).  0, 2 for a usage
 * error, or -1 with e.
 */
static int
check_subject(const struct check_args *a, struct check_tls *tls, int *is_tls, X509 **leaf,
    STACK_OF(X509) **chain, struct err *e)
{
	struct check_tls_target t;

	*is_tls = !fs_exists(a->target) && strchr(a->target, '/') == NULL;
	if (!*is_tls) {
		if (a->servername != NULL || a->cafile != NULL) {
			err_set(e, "--servername and --cafile are for HOST[:PORT], not a file");
			return 2;
		}
		return check_load(a->target, leaf, chain, e);
	}
	if (check_tls_target_parse(a->target, &t, e) != 0)
		return 2;
	if (check_tls_fetch(&t, a->servername, a->cafile, tls, e) != 0)
		return -1;
	*leaf = tls->leaf;
	*chain = tls->chain;
	X509_up_ref(*leaf);
	tls->chain = NULL; /* handed over */
	return 0;
}

int
cmd_check(int argc, char **argv)
{
	STACK_OF(X509) *chain = NULL;
	struct check_result r = {0};
	struct check_tls tls = {0};
	struct check_cache cache;
	struct check_opts o = {0};
	struct check_args a;
	X509 *leaf = NULL;
	struct err e;
	int rc, is_tls;

	if (check_args(argc, argv, &a, &rc) != 0)
		return rc;
	if ((rc = check_subject(&a, &tls, &is_tls, &leaf, &chain, &e)) != 0) {
		rc = rc == 2 ? cli_usage_error("check", "%s", e.msg) : cli_fail("check", &e);
		goto done;
	}
	/* A cache that cannot be used is not an error: the check fetches everything. */
	if (a.use_cache && check_cache_open(&cache, &e) == 0)
		o.cache = &cache;
	else if (a.use_cache && a.verbose && !a.json)
		printf("cache: not used: %s\n", e.msg);
	o.tls = is_tls;
	o.staple = tls.staple;
	o.staple_len = tls.staple_len;
	if (check_cert(leaf, chain, &o, &r, &e) != 0) {
		rc = cli_fail("check", &e);
		goto done;
	}
	if (a.json)
		check_print_json(&r, is_tls ? &tls : NULL);
	else
		check_print_text(&r, is_tls ? &tls : NULL, a.verbose);
	rc = r.status == CHECK_REVOKED ? CHECK_EXIT_REVOKED :
	    r.status == CHECK_UNDECIDED ? CHECK_EXIT_UNDECIDED : EXIT_OK;
	if (a.staple != NULL && check_staple(a.staple, &r, &e) != 0)
		rc = cli_fail("check", &e);
done:
	check_result_free(&r);
	check_tls_free(&tls);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
