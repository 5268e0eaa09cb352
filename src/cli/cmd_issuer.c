/*
 * cmd_issuer.c - `lancre issuer add|set-key|retire|ocsp-signer|list`.
 *
 * The checks themselves live in intake/issuer_add.c (shared with the demo)
 * and intake/issuer_manage.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/lookup.h"
#include "intake/issuer_add.h"
#include "intake/issuer_manage.h"
#include "store/audit.h"
#include "pki/cert.h"
#include "pki/issuer.h"
#include "signer/key.h"
#include "util/num.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define ISSUER_CERT_FILE_MAX (1 << 20)

static const char usage_text[] =
    "usage: lancre issuer add [-d DIR] [--shards N] [--passphrase-file FILE] NAME CERT KEY\n"
    "       lancre issuer set-key [-d DIR] [--passphrase-file FILE] NAME KEY\n"
    "       lancre issuer retire [-d DIR] NAME\n"
    "       lancre issuer ocsp-signer [-d DIR] NAME CERT KEY\n"
    "       lancre issuer ocsp-signer [-d DIR] --remove NAME\n"
    "       lancre issuer list [-d DIR]\n\n"
    "add: register a CA that issues the certificates lancre will track.\n"
    "  NAME   short name used in URLs and host names (a-z, 0-9, '-'), e.g. e1\n"
    "  CERT   the CA certificate, PEM or DER\n"
    "  KEY    its private key: a PEM file, or a PKCS#11 URI\n"
    "         (pkcs11:token=...;object=...;type=private?pin-source=file:/path)\n"
    "         with the module set in lancre.conf [pkcs11] module\n"
    "  --shards N   CRL shards for this issuer (default: lancre.conf [crl] shards);\n"
    "               fixed from now on, since shard numbers go into certificates\n"
    "  --passphrase-file FILE  KEY is an encrypted PEM key whose passphrase is the\n"
    "               first line of FILE; lancre records FILE's path, never the\n"
    "               passphrase, and reads it (then wipes it) each time it loads KEY\n\n"
    "The key must match the certificate, and the certificate must be a CA allowed\n"
    "to sign certificates and CRLs; lancre refuses otherwise.  The key stays where\n"
    "it is: lancre records its path (relative when it is inside DIR) or its URI.\n\n"
    "ocsp-signer: sign NAME's OCSP responses with a delegated responder: CERT must be\n"
    "issued by NAME with extendedKeyUsage OCSPSigning and id-pkix-ocsp-nocheck; it\n"
    "is included in every response.  --remove goes back to signing with NAME's key.\n"
    "Either way every response of NAME is re-signed.\n\n"
    "set-key: NAME's key moved (a new file, a replaced token): KEY must be the\n"
    "private key of NAME's certificate, or nothing changes.  A running signer\n"
    "picks it up on its next pass.  Until then it goes on signing for the other\n"
    "issuers and logs which one it cannot sign for.\n\n"
    "retire: NAME issues no more: `lancre cert add` refuses its certificates from\n"
    "now on; its OCSP responses and CRLs are kept fresh until its last recorded\n"
    "certificate expires; then each of its CRLs is signed once more and the\n"
    "signer stops signing for it (and no longer loads its key).\n"
    "Published CRLs stay served.  Cannot be undone.\n\n"
    "list: every issuer with its certificate count, and retired ones as such.\n";

/* The key reference to record: a URI as given; a file relative to dir when inside it. */
static int
key_reference(const char *dir, const char *key, char *out, size_t len, struct err *e)
{
	char abs[PATH_MAX], base[PATH_MAX];
	size_t n;

	if (key_ref_is_pkcs11(key))
		return fs_path(out, len, e, "%s", key);
	if (realpath(key, abs) == NULL)
		return err_set(e, "key %s: %s", key, strerror(errno));
	if (realpath(dir, base) != NULL) {
		n = strlen(base);
		if (strncmp(abs, base, n) == 0 && abs[n] == '/')
			return fs_path(out, len, e, "%s", abs + n + 1);
	}
	return fs_path(out, len, e, "%s", abs);
}

/*
 * A change made since store_begin (rc its outcome) and its audit row (an
 * "issuer.*" action, detail: the issuer's name as JSON and what changed):
 * committed together, or rolled back together.
 */
static int
issuer_commit(struct cli_dir *d, int rc, const char *action, int64_t issuer_id,
    const char *name, const char *what, struct err *e)
{
	char qname[2 * STORE_ISSUER_NAME_MAX + 8], detail[1024];

	audit_json_str(name, qname, sizeof(qname));
	snprintf(detail, sizeof(detail), "{\"name\":%s%s%s}", qname, what[0] != '\0' ? "," : "",
	    what);
	if (rc == 0 && cli_audit(d, action, issuer_id, NULL, 0, detail, e) == 0 &&
	    store_commit(d->store, e) == 0)
		return 0;
	store_rollback(d->store, NULL);
	return -1;
}

static int
issuer_add(struct cli_dir *d, const char *name, const char *cert_path, const char *key,
    const char *pass_file, int shards, struct err *e)
{
	char ref[STORE_KEY_REF_MAX + 1], pass[STORE_KEY_REF_MAX + 1], subject[256], kind[64];
	char qsubject[600], what[700];
	int64_t id;
	X509 *x;
	int rc;

	if (cert_file_der(cert_path, ISSUER_CERT_FILE_MAX, NULL, NULL, &x, e) != 0)
		return -1;
	rc = key_reference(d->path, key, ref, sizeof(ref), e);
	if (rc == 0 && pass_file != NULL)
		rc = key_reference(d->path, pass_file, pass, sizeof(pass), e);
	if (rc == 0)
		rc = store_begin(d->store, e);
	if (rc == 0) {
		rc = issuer_register(d->store, &d->conf, d->path, name, x, ref,
		    pass_file != NULL ? pass : NULL, shards, &id, kind, sizeof(kind), e);
		cert_name_line(X509_get_subject_name(x), subject, sizeof(subject));
		audit_json_str(subject, qsubject, sizeof(qsubject));
		snprintf(what, sizeof(what), "\"subject\":%s,\"key\":\"%s\",\"shards\":%d",
		    qsubject, rc == 0 ? kind : "", shards > 0 ? shards : d->conf.crl_shards);
		rc = issuer_commit(d, rc, "issuer.add", rc == 0 ? id : 0, name, what, e);
	}
	OPENSSL_cleanse(ref, sizeof(ref)); /* a PKCS#11 URI may carry a PIN */
	if (rc == 0) {
		printf("Added issuer %s: %s, %s key, %d CRL shard%s.\n", name, subject, kind,
		    shards > 0 ? shards : d->conf.crl_shards,
		    (shards > 0 ? shards : d->conf.crl_shards) == 1 ? "" : "s");
	}
	X509_free(x);
	return rc;
}

/* The issuer named name, from *set loaded here (the caller frees it, even on failure). */
static const struct issuer *
issuer_load_named(struct cli_dir *d, struct issuer_set *set, const char *name, struct err *e)
{
	if (issuer_set_load(d->store, set, e) != 0)
		return NULL;
	return lookup_issuer(set, name, e);
}

static int
issuer_responder(struct cli_dir *d, const char *name, const char *cert_path, const char *key,
    int remove, struct err *e)
{
	struct issuer_set set;
	const struct issuer *is;
	char ref[STORE_KEY_REF_MAX + 1];
	X509 *x = NULL;
	int rc = -1;

	if ((is = issuer_load_named(d, &set, name, e)) == NULL)
		goto out;
	if (remove) {
		if (store_begin(d->store, e) != 0)
			goto out;
		rc = store_issuer_set_ocsp_signer(d->store, is->rec.id, NULL, 0, NULL, e);
		rc = issuer_commit(d, rc, "issuer.change", is->rec.id, name,
		    "\"change\":\"responder removed\"", e);
		if (rc == 0)
			printf("Issuer %s signs its own OCSP responses again.\n", name);
		goto out;
	}
	if (cert_file_der(cert_path, ISSUER_CERT_FILE_MAX, NULL, NULL, &x, e) != 0)
		goto out;
	if (key_reference(d->path, key, ref, sizeof(ref), e) != 0)
		goto out;
	if (store_begin(d->store, e) == 0) {
		rc = issuer_set_responder(d->store, &d->conf, d->path, is->rec.id, is->cert, x, ref,
		    e);
		rc = issuer_commit(d, rc, "issuer.change", is->rec.id, name,
		    "\"change\":\"responder\"", e);
	}
	OPENSSL_cleanse(ref, sizeof(ref));
	if (rc == 0)
		printf("Issuer %s: OCSP responses are now signed by the delegated responder.\n",
		    name);
out:
	X509_free(x);
	issuer_set_free(&set);
	return rc;
}

static int
issuer_set_key_cmd(struct cli_dir *d, const char *name, const char *key, const char *pass_file,
    struct err *e)
{
	struct issuer_set set;
	const struct issuer *is;
	char ref[STORE_KEY_REF_MAX + 1], pass[STORE_KEY_REF_MAX + 1];
	int rc = -1;

	is = issuer_load_named(d, &set, name, e);
	if (is != NULL && key_reference(d->path, key, ref, sizeof(ref), e) == 0 &&
	    (pass_file == NULL || key_reference(d->path, pass_file, pass, sizeof(pass), e) == 0) &&
	    store_begin(d->store, e) == 0) {
		rc = issuer_set_key(d->store, &d->conf, d->path, is, ref,
		    pass_file != NULL ? pass : NULL, e);
		rc = issuer_commit(d, rc, "issuer.change", is->rec.id, name, "\"change\":\"key\"",
		    e);
	}
	OPENSSL_cleanse(ref, sizeof(ref)); /* a PKCS#11 URI may carry a PIN */
	if (rc == 0)
		printf("Issuer %s: key set to %s; a running signer uses it from its next pass.\n",
		    name, key_ref_is_pkcs11(key) ? "the PKCS#11 URI" : key);
	issuer_set_free(&set);
	return rc;
}

static int
issuer_retire_cmd(struct cli_dir *d, const char *name, struct err *e)
{
	struct issuer_set set;
	const struct issuer *is;
	struct store_issuer_certs k;
	char when[TIMEFMT_LEN];
	int rc = -1;

	is = issuer_load_named(d, &set, name, e);
	if (is != NULL && store_begin(d->store, e) == 0 &&
	    issuer_commit(d, issuer_retire(d->store, is, (int64_t)time(NULL), e), "issuer.retire",
		is->rec.id, name, "", e) == 0 &&
	    store_issuer_certs(d->store, is->rec.id, 1, &k, e) == 0)
		rc = 0;
	if (rc == 0 && k.last_not_after > (int64_t)time(NULL)) {
		timefmt_format(k.last_not_after, when, sizeof(when));
		printf("Issuer %s retired: no new certificates; its OCSP responses and CRLs are "
		       "kept until its last certificate expires on %s.\n", name, when);
	} else if (rc == 0) {
		printf("Issuer %s retired: its certificates have all expired; the signer publishes "
		       "one last CRL and stops signing for it.\n", name);
	}
	issuer_set_free(&set);
	return rc;
}

/* ", retired on X, signing until Y" for a retired issuer; "" otherwise. */
static int
retired_note(struct cli_dir *d, const struct issuer *is, char *buf, size_t len, struct err *e)
{
	struct store_issuer_certs k;
	char on[TIMEFMT_LEN], until[TIMEFMT_LEN];

	buf[0] = '\0';
	if (is->rec.retired_at == 0)
		return 0;
	if (store_issuer_certs(d->store, is->rec.id, 1, &k, e) != 0)
		return -1;
	timefmt_format(is->rec.retired_at, on, sizeof(on));
	timefmt_format(k.last_not_after, until, sizeof(until));
	snprintf(buf, len, "\tretired on %s, %s %s", on,
	    k.last_not_after > (int64_t)time(NULL) ? "signing until its last certificate expires on"
						     : "its last certificate expired on",
	    k.last_not_after > 0 ? until : "(none recorded)");
	return 0;
}

static int
issuer_list(struct cli_dir *d, struct err *e)
{
	struct issuer_set set;
	char subject[256], until[TIMEFMT_LEN], retired[160];
	int64_t total, revoked, na;

	if (issuer_set_load(d->store, &set, e) != 0)
		return -1;
	if (set.n == 0)
		printf("No issuers yet: add one with `lancre issuer add`.\n");
	for (size_t i = 0; i < set.n; i++) {
		const struct issuer *is = &set.v[i];
		if (store_cert_count(d->store, is->rec.id, &total, &revoked, e) != 0 ||
		    retired_note(d, is, retired, sizeof(retired), e) != 0) {
			issuer_set_free(&set);
			return -1;
		}
		cert_name_line(X509_get_subject_name(is->cert), subject, sizeof(subject));
		cert_time(X509_get0_notAfter(is->cert), &na);
		timefmt_format(na, until, sizeof(until));
		printf("%s\t%s\tvalid until %s\t%d shard%s\t%lld certificates\t%lld revoked%s\n",
		    is->rec.name, subject, until, is->rec.crl_shards,
		    is->rec.crl_shards == 1 ? "" : "s", (long long)total, (long long)revoked, retired);
	}
	issuer_set_free(&set);
	return 0;
}

int
cmd_issuer(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"shards", required_argument, NULL, 'n'},
	    {"remove", no_argument, NULL, 'r'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *sub, *pass_file = NULL;
	struct cli_dir d;
	struct err e;
	int ch, shards = 0, remove = 0, rc;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (num_parse_int(optarg, 1, CONF_CRL_SHARDS_MAX, &shards) != 0)
				return cli_usage_error("issuer", "--shards takes 1 to %d",
				    CONF_CRL_SHARDS_MAX);
			break;
		case 'r':
			remove = 1;
			break;
		case 'p':
			pass_file = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("issuer", argv, ch);
		}
	}
	if (optind >= argc)
		return cli_usage_error("issuer", "missing 'add', 'set-key', 'retire' or 'list'");
	sub = argv[optind++];
	if (strcmp(sub, "add") == 0 && argc - optind != 3)
		return cli_usage_error("issuer", "add takes NAME CERT KEY");
	if (strcmp(sub, "set-key") == 0 && argc - optind != 2)
		return cli_usage_error("issuer", "set-key takes NAME KEY");
	if (strcmp(sub, "retire") == 0 && argc - optind != 1)
		return cli_usage_error("issuer", "retire takes NAME");
	if (pass_file != NULL && strcmp(sub, "add") != 0 && strcmp(sub, "set-key") != 0)
		return cli_usage_error("issuer", "--passphrase-file goes with add or set-key");
	if (strcmp(sub, "list") == 0 && argc != optind)
		return cli_usage_error("issuer", "list takes no arguments");
	if (strcmp(sub, "ocsp-signer") == 0 && argc - optind != (remove ? 1 : 3))
		return cli_usage_error("issuer", "ocsp-signer takes NAME CERT KEY, or --remove NAME");
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "ocsp-signer") != 0 &&
	    strcmp(sub, "set-key") != 0 && strcmp(sub, "retire") != 0)
		return cli_usage_error("issuer", "unknown subcommand '%s'", sub);
	if (cli_dir_open_as(&d, dir, strcmp(sub, "list") == 0 ? STORE_READ : STORE_WRITE, &e) != 0)
		return cli_fail("issuer", &e);
	if (strcmp(sub, "add") == 0)
		rc = issuer_add(&d, argv[optind], argv[optind + 1], argv[optind + 2], pass_file,
		    shards, &e);
	else if (strcmp(sub, "set-key") == 0)
		rc = issuer_set_key_cmd(&d, argv[optind], argv[optind + 1], pass_file, &e);
	else if (strcmp(sub, "retire") == 0)
		rc = issuer_retire_cmd(&d, argv[optind], &e);
	else if (strcmp(sub, "ocsp-signer") == 0)
		rc = issuer_responder(&d, argv[optind], remove ? NULL : argv[optind + 1],
		    remove ? NULL : argv[optind + 2], remove, &e);
	else
		rc = issuer_list(&d, &e);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("issuer", &e);
}
