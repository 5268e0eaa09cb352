/*
 * libFuzzer target: the streaming CRL parser (check/crl_stream.c) against
 * d2i_X509_CRL (tests/unit/check/crl_oracle.h).  Two properties:
 *   - the stream's answer does not depend on how the bytes are cut: fed
 *     whole and in chunks of 1 to 8 bytes (the size from the input), it
 *     refuses with the same reason or accepts with the same entry;
 *   - whatever OpenSSL accepts whole and is strict DER in its framing (the
 *     stream refuses BER on purpose), the stream accepts too, and finds the
 *     same entry (revocation date and reason) for the first entry's serial.
 * The reverse does not hold: the stream frames other entries without
 * reading their contents, so it may accept what OpenSSL refuses.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../unit/check/crl_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DER_DEPTH 12
#define FUZZ_MAX_INPUT 2048 /* a few entries: longer inputs only cost time (d2i of each) */

/*
 * Every constructed element, recursively: single-byte tags, minimal definite
 * lengths, SEQUENCE and SET constructed (OpenSSL reads a primitive 0x10),
 * times of the one length DER allows.
 */
static int
strict_der(const uint8_t *p, size_t n, int depth)
{
	while (n > 0) {
		size_t hl = 2, len, nb;

		if (n < 2 || (p[0] & 0x1f) == 0x1f || p[1] == 0x80 || p[0] == 0x10 || p[0] == 0x11 ||
		    depth > FUZZ_DER_DEPTH)
			return 0;
		len = p[1];
		if (p[1] > 0x80) {
			nb = p[1] & 0x7f;
			if (nb > 4 || n < 2 + nb || p[2] == 0)
				return 0;
			len = 0;
			for (size_t i = 0; i < nb; i++)
				len = len << 8 | p[2 + i];
			if (nb == 1 && len < 0x80)
				return 0;
			hl += nb;
		}
		if (len > n - hl)
			return 0;
		if ((p[0] & 0x20) && !strict_der(p + hl, len, depth + 1))
			return 0;
		if ((p[0] == 0x17 && len != 13) || (p[0] == 0x18 && len != 15))
			return 0; /* RFC 5280 4.1.2.5: YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ; d2i reads any length */
		p += hl + len;
		n -= hl + len;
	}
	return 1;
}

/*
 * OpenSSL's side, one d2i for both: the first entry's serial (1 when there
 * is none), whether it appears once (lookups of twins may differ), and what
 * OpenSSL finds for it (crl_oracle_openssl's rules: every byte consumed).
 */
static ASN1_INTEGER *
openssl_side(const uint8_t *data, size_t size, int *unique, struct crl_outcome *ref)
{
	const unsigned char *p = data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)size);
	STACK_OF(X509_REVOKED) *revs = crl != NULL ? X509_CRL_get_REVOKED(crl) : NULL;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *s = NULL;

	memset(ref, 0, sizeof(*ref));
	ref->reason = -1;
	*unique = 1;
	if (sk_X509_REVOKED_num(revs) > 0) {
		s = ASN1_INTEGER_dup(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, 0)));
		for (int i = 1; i < sk_X509_REVOKED_num(revs); i++)
			*unique &= ASN1_INTEGER_cmp(s, X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i))) != 0;
	}
	if (s == NULL) {
		s = ASN1_INTEGER_new();
		ASN1_INTEGER_set(s, 1);
	}
	ref->parsed = crl != NULL && p == data + size;
	if (ref->parsed && X509_CRL_get0_by_serial(crl, &rev, s) == 1 && rev != NULL)
		crl_oracle_entry(rev, ref);
	X509_CRL_free(crl);
	ERR_clear_error();
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crl_outcome whole, cut, ref;
	int unique;
	ASN1_INTEGER *serial;
	size_t chunk = size ? (size_t)(data[size - 1] % 8) + 1 : 1;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	serial = openssl_side(data, size, &unique, &ref);
	crl_oracle_stream(data, size, size ? size : 1, NULL, serial, &whole, NULL);
	crl_oracle_stream(data, size, chunk, NULL, serial, &cut, NULL);
	if (whole.parsed != cut.parsed || strcmp(whole.why, cut.why) != 0 || whole.found != cut.found ||
	    whole.date != cut.date || whole.reason != cut.reason)
		abort(); /* the answer depends on how the bytes came */
	if (ref.parsed && strict_der(data, size, 0)) {
		if (!whole.parsed)
			abort(); /* OpenSSL reads a DER CRL the stream refuses */
		if (unique && (ref.found != whole.found ||
				  (ref.found && (ref.date != whole.date || ref.reason != whole.reason))))
			abort(); /* a different entry */
	}
	ASN1_INTEGER_free(serial);
	return 0;
}
