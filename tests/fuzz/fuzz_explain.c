/*
 * libFuzzer target: `lancre explain`'s input detector (explain/detect.h) on
 * any bytes (DER, PEM, base64, URLs, log lines), then every decoder and
 * printer it leads to (cli/explain_*.c, both text and JSON, to /dev/null)
 * and the lint rules (lint/lint.h) over what it found.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
print_all(const struct explain_input *in, FILE *sink, int json, STACK_OF(X509) *known)
{
	struct xout o;
	struct explain_ctx c;
	struct err e;

	xout_init(&o, sink, json);
	c = (struct explain_ctx){&o, (int64_t)time(NULL), known, NULL};
	xout_begin(&o);
	for (size_t i = 0; i < in->n; i++) {
		switch (in->v[i].kind) {
		case EXPLAIN_CRL:
			explain_crl(&c, &in->v[i], &e);
			break;
		case EXPLAIN_OCSP_RESPONSE:
			explain_ocsp_response(&c, &in->v[i], &e);
			break;
		case EXPLAIN_OCSP_REQUEST:
			explain_ocsp_request(&c, &in->v[i], &e);
			break;
		case EXPLAIN_CERT:
			explain_cert(&c, &in->v[i], &e);
			break;
		}
	}
	xout_end(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct explain_input in;
	struct err e;
	STACK_OF(X509) *known = sk_X509_new_null();

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	if (sink == NULL || known == NULL)
		return 0;
	if (explain_detect(data, size, &in, &e) == 0) {
		/* Certificates of the input may sign the rest, as in cmd_explain.c. */
		for (size_t i = 0; i < in.n; i++) {
			const unsigned char *p = in.v[i].der;
			X509 *x = in.v[i].kind == EXPLAIN_CERT ? d2i_X509(NULL, &p, (long)in.v[i].len) : NULL;

			if (x != NULL && !sk_X509_push(known, x))
				X509_free(x);
		}
		print_all(&in, sink, 0, known);
		print_all(&in, sink, 1, known);
	}
	explain_input_free(&in);
	sk_X509_pop_free(known, X509_free);
	return 0;
}
