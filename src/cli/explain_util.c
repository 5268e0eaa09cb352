/*
 * explain_util.c - small helpers the explain printers share (explain.h).
 */
#include "cli/explain.h"

#include <stdio.h>

#include "cli/explain_dir.h"
#include "pki/cert.h"
#include "util/timefmt.h"

int
explain_time(const ASN1_TIME *t, int64_t *out, char *buf, size_t len)
{
	if (t == NULL || cert_time(t, out) != 0) {
		snprintf(buf, len, "?");
		return -1;
	}
	timefmt_format(*out, buf, len);
	return 0;
}

void
explain_span(int64_t secs, char *buf, size_t len)
{
	int64_t s = secs < 0 ? -secs : secs;

	if (s >= 86400)
		snprintf(buf, len, "%lld days %lld hours", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%lld hours %lld minutes", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lld seconds", (long long)s);
}

X509 *
explain_issuer_by_name(const struct explain_ctx *c, const X509_NAME *name)
{
	for (int i = 0; c->known != NULL && i < sk_X509_num(c->known); i++) {
		X509 *x = sk_X509_value(c->known, i);

		if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0)
			return x;
	}
	return NULL;
}

void
explain_short_name(const X509_NAME *n, char *buf, size_t len)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;

	if (i >= 0 && (s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i))) != NULL &&
	    ASN1_STRING_to_UTF8(&utf8, s) >= 0) {
		snprintf(buf, len, "%s", utf8);
		OPENSSL_free(utf8);
		return;
	}
	cert_name_line(n, buf, len);
}

void
explain_issuer_label(const struct explain_ctx *c, X509 *cert, const X509_NAME *n, char *buf,
    size_t len)
{
	const char *name = c->dir != NULL ? explain_dir_issuer_name(c->dir, cert) : NULL;
	char cn[256];

	explain_short_name(n, cn, sizeof(cn));
	if (name != NULL)
		snprintf(buf, len, "lancre issuer %s (%s)", name, cn);
	else
		snprintf(buf, len, "%s", cn);
}

void
explain_findings(struct xout *o, const struct lint_report *r)
{
	if (!o->json)
		fprintf(o->f, "%s\n", r->n == 0 ? "Lint: no finding." : "Lint findings:");
	xout_arr(o, "findings", NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];

		if (o->json) {
			xout_item(o);
			xout_str(o, "id", NULL, "%s", f->def->id);
			xout_str(o, "level", NULL, "%s", lint_level_name(lint_level(f->def)));
			xout_str(o, "text", NULL, "%s", f->def->text);
			xout_str(o, "source", NULL, "%s", f->def->source);
			xout_str(o, "detail", NULL, "%s", f->detail);
			xout_close(o, '}');
		} else {
			fprintf(o->f, "  %s %s: %s%s%s%s [%s]\n", lint_level_name(lint_level(f->def)),
			    f->def->id, f->def->text, f->detail[0] != '\0' ? " (" : "", f->detail,
			    f->detail[0] != '\0' ? ")" : "", f->def->source);
		}
	}
	xout_close(o, ']');
}
