/*
 * api_cmds.c - `lancre status` and `lancre revoke` over the admin API; see
 * api_cmds.h (`cert add` is in cmd_cert.c, beside its file walking).
 *
 * The output is made by the same words as with -d: the record comes from
 * the API's JSON (api_cert_from_json), what the OCSP server answers from
 * ocsp_expect() with the API's "ocsp" object standing for the signer's
 * mark, and a refused revocation from revoke_decide(), so that both paths
 * say the same thing.
 */
#include "cli/api_cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/lookup.h"
#include "intake/revoke.h"
#include "ocsp/expect.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "pki/spki.h"
#include "signer/signer.h"
#include "util/fsutil.h"
#include "util/num.h"
#include "util/timefmt.h"

#define API_ISSUERS_MAX 4096
#define API_FILE_MAX (1 << 20) /* a certificate file, as lookup.c reads it */
#define API_NOTHING_REVOKED " (nothing was revoked)" /* the API's refusals end so */

int
cli_api_option(const char *cmd, int ch, const char *arg, struct api_opts *o)
{
	switch (ch) {
	case 'A':
		o->url = arg;
		return 0;
	case 'T':
		o->token_file = arg;
		return 0;
	case API_OPT_CACERT:
		o->cacert = arg;
		return 0;
	case API_OPT_CERT:
		o->cert = arg;
		return 0;
	case API_OPT_KEY:
		o->key = arg;
		return 0;
	case API_OPT_WAIT:
		o->wait = 1;
		return 0;
	case API_OPT_WAIT_TIMEOUT:
		if (num_parse_int(arg, 1, API_WAIT_MAX_S, &o->wait_timeout) != 0)
			return cli_usage_error(cmd, "--wait-timeout: '%s' is not a number of seconds "
						    "from 1 to %d", arg, API_WAIT_MAX_S);
		return 0;
	}
	return -1;
}

int
cli_api_options(const char *cmd, const struct api_opts *o, int dir_given)
{
	struct err e;

	if (o->url != NULL && dir_given)
		return cli_usage_error(cmd, "--api and -d: give one (the API's process has the "
					    "data directory)");
	if (o->url == NULL) {
		if (o->token_file != NULL)
			return cli_usage_error(cmd, "--token-file goes with --api URL");
		if (o->cacert != NULL || o->cert != NULL || o->key != NULL)
			return cli_usage_error(cmd, "--cacert, --cert and --key go with --api "
						    "https://...");
		if (o->wait || o->wait_timeout > 0)
			return cli_usage_error(cmd, "--wait goes with --api URL (with -d, the "
						    "running server serves the change within "
						    "seconds: see `lancre status`)");
		return 0;
	}
	if (o->token_file == NULL && o->cert == NULL)
		return cli_usage_error(cmd, "--api needs --token-file F (or --cert F --key F, a "
					    "client certificate the API lists)");
	if ((o->cert != NULL) != (o->key != NULL))
		return cli_usage_error(cmd, "--cert and --key go together");
	if ((o->cacert != NULL || o->cert != NULL) && strncmp(o->url, "https://", 8) != 0)
		return cli_usage_error(cmd, "--cacert, --cert and --key go with an https:// URL");
	if (o->wait_timeout > 0 && !o->wait)
		return cli_usage_error(cmd, "--wait-timeout goes with --wait");
	if (api_url_check(o->url, &e) != 0)
		return cli_usage_error(cmd, "%s", e.msg);
	return 0;
}

static struct api_issuer *
issuers_get(struct api_client *c, size_t *n, struct err *e)
{
	struct api_issuer *v = calloc(API_ISSUERS_MAX, sizeof(*v));
	json_t *ans = NULL;
	long status;

	if (v == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (api_call(c, "GET", "/status", NULL, 0, NULL, &status, &ans, e) != 0 ||
	    (status != 200 && api_status_error(c, status, ans, e) != 0) ||
	    api_issuers_from_json(ans, v, API_ISSUERS_MAX, n, e) != 0) {
		json_decref(ans);
		free(v);
		return NULL;
	}
	json_decref(ans);
	return v;
}

/*
 * GET /certificates/ISSUER/SERIAL: 1 with *out, 0 when the issuer has no such
 * certificate, -1 with e.
 */
static int
cert_get(struct api_client *c, const char *issuer, const char *serial, struct api_cert *out,
    struct err *e)
{
	char path[512];
	char *ei = curl_easy_escape(c->curl, issuer, 0), *es = curl_easy_escape(c->curl, serial, 0);
	json_t *ans = NULL;
	long status;
	int rc;

	if (ei == NULL || es == NULL) {
		curl_free(ei);
		curl_free(es);
		return err_set(e, "out of memory");
	}
	snprintf(path, sizeof(path), "/certificates/%s/%s", ei, es);
	curl_free(ei);
	curl_free(es);
	if (api_call(c, "GET", path, NULL, 0, NULL, &status, &ans, e) != 0)
		return -1;
	if (status == 200)
		rc = api_cert_from_json(ans, out, e) == 0 ? 1 : -1;
	else if (status == 404 && api_error_text(ans) != NULL &&
		 strstr(api_error_text(ans), "has no certificate") != NULL)
		rc = 0;
	else
		rc = api_status_error(c, status, ans, e);
	json_decref(ans);
	return rc;
}

/* The API's certificate as the store's record, for ocsp_expect and revoke_decide. */
static void
to_record(const struct api_cert *a, struct cert_record *r)
{
	memset(r, 0, sizeof(*r));
	r->status = a->revoked ? CERT_REVOKED : CERT_GOOD;
	r->not_before = a->not_before;
	r->not_after = a->not_after;
	r->revoked_at = a->revoked_at;
	r->reason = a->reason;
	r->is_ca = a->is_ca;
	r->shard = a->shard;
}

static void
print_ocsp(const struct cert_record *rec, int signed_yet)
{
	const char *answer;
	char why[256];

	ocsp_expect(&(struct ocsp_expect_in){rec, signed_yet, (int64_t)time(NULL),
			SIGNER_EXPIRED_GRACE},
	    &answer, why, sizeof(why));
	printf("ocsp: %s (%s)\n", answer, why);
}

/* As cmd_status.c's print_match, from the API's answer. */
static void
print_found(const struct api_issuer *is, const struct api_cert *a)
{
	char t[TIMEFMT_LEN];
	struct cert_record r;

	to_record(a, &r);
	printf("issuer: %s (%s)\n", is->name, is->subject);
	printf("serial: %s\n", a->serial);
	timefmt_format(a->not_before, t, sizeof(t));
	printf("not before: %s\n", t);
	timefmt_format(a->not_after, t, sizeof(t));
	printf("not after: %s\n", t);
	printf("status: %s\n", a->revoked ? "revoked" : "good");
	if (a->precert)
		printf("recorded: a precertificate only (its final certificate completes the record)\n");
	/* The API's "current": the response on file reflects the last change. */
	print_ocsp(&r, a->ocsp_signed && a->ocsp_current);
	if (a->revoked) {
		timefmt_format(a->revoked_at, t, sizeof(t));
		printf("revoked at: %s\n", t);
		printf("reason: %s\n", reason_name(a->reason));
	}
	printf("crl shard: %d\n", a->shard);
}

/*
 * The certificate in path and its issuer among v: by name, among those that
 * sign, as issuer_set_match() (which also checks the signature).
 */
static int
file_lookup(const char *path, const struct api_issuer *v, size_t n, const struct api_issuer **is,
    struct cert_record *rec, struct err *e)
{
	unsigned char *der;
	char name[256];
	int derlen, rc = -1;
	X509 *x;

	if (cert_file_der(path, API_FILE_MAX, &der, &derlen, &x, e) != 0)
		return -1;
	if (cert_record_from_x509(x, der, (size_t)derlen, rec, e) != 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	/*
	 * The API names issuers by subject; the signature is checked by the API
	 * when it records (and a certificate it has recorded was checked then).
	 */
	cert_name_line(X509_get_issuer_name(x), name, sizeof(name));
	*is = NULL;
	for (size_t i = 0; i < n && *is == NULL; i++)
		if (v[i].signs && strcmp(v[i].subject, name) == 0)
			*is = &v[i];
	if (*is == NULL) {
		err_set(e, "%s: unknown issuer (%s)", path, name);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

static int
status_run(struct api_client *c, const char *issuer, const char *what, struct err *e)
{
	struct api_issuer *v;
	struct api_cert a;
	size_t n, found = 0;
	int rc = 0;

	if ((v = issuers_get(c, &n, e)) == NULL)
		return -1;
	if (fs_exists(what) || strcmp(what, "-") == 0) {
		const struct api_issuer *is = NULL;
		struct cert_record rec;
		char serial[SERIAL_HEX_MAX], t[TIMEFMT_LEN];
		if (file_lookup(what, v, n, &is, &rec, e) != 0) {
			free(v);
			return -1;
		}
		serial_to_hex(rec.serial, rec.serial_len, serial, sizeof(serial));
		if ((rc = cert_get(c, is->name, serial, &a, e)) == 1) {
			print_found(is, &a);
		} else if (rc == 0) {
			printf("issuer: %s (%s)\n", is->name, is->subject);
			printf("serial: %s\n", serial);
			timefmt_format(rec.not_before, t, sizeof(t));
			printf("not before: %s\n", t);
			timefmt_format(rec.not_after, t, sizeof(t));
			printf("not after: %s\n", t);
			printf("status: unknown\n");
			print_ocsp(NULL, 0);
		}
		free(v);
		return rc < 0 ? -1 : 0;
	}
	if (issuer != NULL) {
		size_t k;
		for (k = 0; k < n && strcmp(v[k].name, issuer) != 0; k++)
			;
		if (k == n) {
			free(v);
			return err_set(e, "no issuer named '%s' (see `lancre issuer list`)", issuer);
		}
	}
	for (size_t i = 0; i < n && found < LOOKUP_MAX_MATCHES; i++) {
		if (issuer != NULL && strcmp(v[i].name, issuer) != 0)
			continue;
		if ((rc = cert_get(c, v[i].name, what, &a, e)) < 0)
			break;
		if (rc == 1) {
			if (found++ > 0)
				putchar('\n');
			print_found(&v[i], &a);
		}
		rc = 0;
	}
	if (rc == 0 && found == 0) {
		printf("serial: %s\nstatus: unknown\n", what);
		print_ocsp(NULL, 0);
	}
	free(v);
	return rc;
}

int
api_cmd_status(const struct api_opts *o, const char *issuer, const char *what)
{
	struct api_client c;
	struct err e;
	int rc;

	if (api_client_open(&c, o, &e) != 0) {
		api_client_close(&c);
		return cli_fail("status", &e);
	}
	rc = status_run(&c, issuer, what, &e);
	api_client_close(&c);
	return rc == 0 ? EXIT_OK : cli_fail("status", &e);
}

/*
 * Record the certificate in path first (POST /certificates, its own
 * transaction: a certificate recorded is harmless if the revocation is then
 * refused), for its issuer and serial.  *recorded: it was not recorded yet.
 */
static int
record_file(struct api_client *c, const char *path, char *issuer, size_t ilen, char *serial,
    size_t slen, int *recorded, struct err *e)
{
	unsigned char *der = NULL;
	struct api_cert a;
	json_t *ans = NULL;
	long status;
	int derlen, rc = -1;

	if (cert_file_der(path, API_FILE_MAX, &der, &derlen, NULL, e) != 0)
		return -1;
	rc = api_call(c, "POST", "/certificates", der, (size_t)derlen, "application/pkix-cert",
	    &status, &ans, e);
	OPENSSL_free(der);
	if (rc != 0)
		return -1;
	rc = -1;
	if (status == 422 && api_error_text(ans) != NULL) {
		char why[ERR_MSG_MAX];
		/* "certificate 1: why", as `lancre revoke FILE` says it: "FILE: why". */
		err_set(e, "%s: %s", path,
		    api_refused(ans, why, sizeof(why)) == 1 ? why : api_error_text(ans));
	} else if (status != 200) {
		api_status_error(c, status, ans, e);
	} else if (api_cert_from_json(json_array_get(json_object_get(ans, "certificates"), 0), &a,
		       e) == 0) {
		snprintf(issuer, ilen, "%s", a.issuer);
		snprintf(serial, slen, "%s", a.serial);
		*recorded = strcmp(a.result, "added") == 0;
		rc = 0;
	}
	json_decref(ans);
	return rc;
}

/*
 * POST body (taken: freed here) as JSON to the revocation endpoint, with
 * --wait's query: 0 and the answer's status and JSON, or -1.  --wait's 504
 * (revoked, not served yet) comes back as the 200 it carries, said as
 * revoked; api_unserved_error then gives the exit code.
 */
static int
post_revocation(struct api_client *c, const char *endpoint, json_t *body, long *status,
    json_t **ans, struct err *e)
{
	char path[96], *text;
	const json_t *done;
	int rc;

	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return err_set(e, "out of memory");
	rc = api_call(c, "POST", api_change_path(c, endpoint, path, sizeof(path)), text,
	    strlen(text), "application/json", status, ans, e);
	free(text);
	if (rc != 0)
		return -1;
	if ((done = api_unserved(c, *status, *ans)) != NULL) {
		json_incref((json_t *)done);
		json_decref(*ans);
		*ans = (json_t *)done;
		*status = 200;
	}
	return 0;
}

/* The API's error for a refused revocation, as `lancre revoke` words it. */
static void
revoke_refused(struct api_client *c, long status, const json_t *ans, const char *const *serials,
    const char *issuer, size_t n, struct err *e)
{
	const char *m = api_error_text(ans);
	char buf[ERR_MSG_MAX];
	size_t k = 0;
	const char *p;

	if (m == NULL || (status != 404 && status != 409 && status != 422)) {
		api_status_error(c, status, ans, e);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", m);
	/* "revocation K: ... (nothing was revoked)": the CLI says "nothing was revoked: ...". */
	if (strncmp(buf, "revocation ", 11) == 0 && (p = strchr(buf, ':')) != NULL) {
		k = strtoul(buf + 11, NULL, 10);
		memmove(buf, p + 2, strlen(p + 2) + 1);
	}
	buf[api_sans_tail(buf, API_NOTHING_REVOKED)] = '\0';
	if (strncmp(buf, "no issuer named", 15) == 0)
		err_set(e, "%s (see `lancre issuer list`)", buf);
	else if (status == 404 && strstr(buf, "has no certificate with serial") != NULL)
		err_set(e, "%s has no certificate with serial %s", issuer,
		    serials != NULL ? serials[k > 0 && k <= n ? k - 1 : 0] : "?");
	else
		err_set(e, "%s", buf);
}

static json_t *
revocation_json(const char *issuer, const char *serial, int reason, int64_t date)
{
	char when[TIMEFMT_LEN];

	timefmt_format(date, when, sizeof(when));
	return json_pack("{s:s, s:s, s:s, s:s}", "issuer", issuer, "serial", serial, "reason",
	    reason_name(reason), "date", when);
}

/*
 * An "unchanged" answer: the API's idempotent case, refused by `lancre
 * revoke` (revoking again): its words, from revoke_decide().
 */
static int
unchanged(const struct api_cert *a, int reason, int64_t date, struct err *e)
{
	struct cert_record r;
	int64_t at;
	int rs;

	to_record(a, &r);
	if (revoke_decide(&r, date, reason, (int64_t)time(NULL), &at, &rs, e) == 0)
		err_set(e, "already revoked");
	return err_prefix(e, "%s serial %s", a->issuer, a->serial);
}

static int
revoke_run(struct api_client *c, const char *issuer, const char *const *serials, size_t n,
    const char *file, int reason, int64_t date, struct err *e)
{
	char fissuer[API_ISSUER_MAX + 1], fserial[SERIAL_HEX_MAX], t[TIMEFMT_LEN];
	json_t *body, *ans = NULL, *list;
	const json_t *it, *first_unchanged = NULL;
	struct api_cert a;
	int recorded = 0;
	size_t nreq = file != NULL ? 1 : n, i;
	long status;

	if (file != NULL) {
		if (record_file(c, file, fissuer, sizeof(fissuer), fserial, sizeof(fserial),
			&recorded, e) != 0)
			return -1;
		body = revocation_json(fissuer, fserial, reason, date);
	} else if (n == 1) {
		body = revocation_json(issuer, serials[0], reason, date);
	} else {
		body = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(body, revocation_json(issuer, serials[i], reason, date));
	}
	if (post_revocation(c, "/revocations", body, &status, &ans, e) != 0)
		return -1;
	if (status != 200) {
		revoke_refused(c, status, ans, file != NULL ? NULL : serials,
		    file != NULL ? fissuer : issuer, n, e);
		if (nreq > 1)
			err_prefix(e, "nothing was revoked");
		json_decref(ans);
		return -1;
	}
	list = nreq > 1 ? json_object_get(ans, "revocations") : NULL;
	if (nreq > 1 && !json_is_array(list)) {
		json_decref(ans);
		return err_set(e, "the admin API at %s: an answer without \"revocations\"", c->url);
	}
	/*
	 * What was revoked, then the words for an "unchanged" one (the API's
	 * idempotent case; `lancre revoke` refuses it): in a list, the others
	 * are revoked, and said first.
	 */
	for (i = 0; i < nreq; i++) {
		it = nreq > 1 ? json_array_get(list, i) : ans;
		if (api_cert_from_json(it, &a, e) != 0) {
			json_decref(ans);
			return -1;
		}
		if (strcmp(a.result, "duplicate") == 0)
			continue;
		if (strcmp(a.result, "unchanged") == 0) {
			if (first_unchanged == NULL)
				first_unchanged = it;
			continue;
		}
		if (recorded)
			printf("Recorded %s serial %s (it was not recorded yet).\n", a.issuer,
			    a.serial);
		timefmt_format(a.revoked_at, t, sizeof(t));
		printf("Revoked %s serial %s at %s (%s).\n", a.issuer, a.serial, t,
		    reason_name(a.reason));
	}
	if (first_unchanged != NULL) {
		api_cert_from_json(first_unchanged, &a, e);
		unchanged(&a, reason, date, e);
		json_decref(ans);
		return -1;
	}
	json_decref(ans);
	return 0;
}

/*
 * A revocation command's end, the client closed: its exit status, and the
 * error line if any.  rc 0 with a change --wait saw unserved is kept (the
 * API recorded it) but says so and exits API_EXIT_NOT_SERVED.
 */
static int
revoke_exit(struct api_client *c, int rc, struct err *e)
{
	int unserved = rc == 0 && c->not_served > 0;

	if (unserved)
		api_unserved_error(c, e);
	api_client_close(c);
	if (rc != 0)
		return cli_fail("revoke", e);
	if (unserved) {
		cli_fail("revoke", e);
		return API_EXIT_NOT_SERVED;
	}
	return EXIT_OK;
}

int
api_cmd_revoke(const struct api_opts *o, const char *issuer, const char *const *serials,
    size_t nserials, const char *file, int reason, int64_t date)
{
	struct api_client c;
	struct err e;
	int rc;

	rc = api_client_open(&c, o, &e) == 0
		 ? revoke_run(&c, issuer, serials, nserials, file, reason, date, &e)
		 : -1;
	return revoke_exit(&c, rc, &e);
}

void
revoke_bykey_print(const uint8_t spki[STORE_SPKI_HASH_LEN], const struct revoke_bykey_line *v,
    size_t n, int64_t unkeyed)
{
	char hex[SPKI_HEX_LEN + 1], t[TIMEFMT_LEN];
	size_t already = 0;

	spki_hex(spki, hex);
	for (size_t i = 0; i < n; i++) {
		timefmt_format(v[i].at, t, sizeof(t));
		printf("%s %s serial %s at %s (keyCompromise).\n",
		    v[i].unchanged ? "Already revoked" : "Revoked", v[i].issuer, v[i].serial, t);
		already += v[i].unchanged != 0;
	}
	if (n == 0)
		printf("No certificate recorded with key SPKI SHA-256 %s.\n", hex);
	else
		printf("Key SPKI SHA-256 %s: %zu certificate%s, %zu revoked now, %zu revoked "
		       "(keyCompromise) already.\n", hex, n, n == 1 ? "" : "s", n - already, already);
	if (unkeyed > 0)
		fprintf(stderr, "lancre revoke: warning: %lld certificates were recorded before "
				"lancre kept key hashes (schema 10) and could not be searched: revoke "
				"any of this key among them by serial\n", (long long)unkeyed);
}

static int
bykey_run(struct api_client *c, const uint8_t spki[STORE_SPKI_HASH_LEN], int has_date,
    int64_t date, struct err *e)
{
	char hex[SPKI_HEX_LEN + 1], t[TIMEFMT_LEN];
	struct revoke_bykey_line *v = NULL;
	json_t *body, *ans = NULL, *list, *unkeyed;
	struct api_cert a;
	size_t n = 0;
	long status;
	int rc;

	spki_hex(spki, hex);
	timefmt_format(date, t, sizeof(t));
	body = has_date ? json_pack("{s:s, s:s}", "spki_sha256", hex, "date", t)
			: json_pack("{s:s}", "spki_sha256", hex);
	if (post_revocation(c, "/revocations/by-key", body, &status, &ans, e) != 0)
		return -1;
	rc = -1;
	list = json_object_get(ans, "revocations");
	unkeyed = json_object_get(ans, "unkeyed");
	if (status != 200) {
		const char *m = api_error_text(ans);
		size_t keep = m != NULL ? api_sans_tail(m, API_NOTHING_REVOKED) : 0;

		/* The API's "... (nothing was revoked)": the CLI's -d words have no such tail. */
		if ((status == 422 || status == 400) && m != NULL && keep < strlen(m))
			err_set(e, "%.*s", (int)keep, m);
		else
			api_status_error(c, status, ans, e);
	} else if (!json_is_array(list) || !json_is_integer(unkeyed)) {
		err_set(e, "the admin API at %s: an answer without \"revocations\"", c->url);
	} else if ((v = calloc(json_array_size(list) + 1, sizeof(*v))) == NULL) {
		err_set(e, "out of memory");
	} else {
		for (n = 0; n < json_array_size(list); n++) {
			if (api_cert_from_json(json_array_get(list, n), &a, e) != 0)
				break;
			snprintf(v[n].issuer, sizeof(v[n].issuer), "%s", a.issuer);
			snprintf(v[n].serial, sizeof(v[n].serial), "%s", a.serial);
			v[n].at = a.revoked_at;
			v[n].unchanged = strcmp(a.result, "unchanged") == 0;
		}
		if (n == json_array_size(list)) {
			revoke_bykey_print(spki, v, n, (int64_t)json_integer_value(unkeyed));
			rc = 0;
		}
	}
	free(v);
	json_decref(ans);
	return rc;
}

int
api_cmd_revoke_bykey(const struct api_opts *o, const uint8_t spki[STORE_SPKI_HASH_LEN],
    int has_date, int64_t date)
{
	struct api_client c;
	struct err e;
	int rc;

	rc = api_client_open(&c, o, &e) == 0 ? bykey_run(&c, spki, has_date, date, &e) : -1;
	return revoke_exit(&c, rc, &e);
}
