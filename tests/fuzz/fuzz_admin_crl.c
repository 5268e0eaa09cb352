/*
 * libFuzzer target: an [admin] client_crl file's bytes (admin/tls.h,
 * admin_tls_crls_parse): PEM "X509 CRL" blocks or one DER CRL, read at
 * start and, with `lancre run`, again on SIGHUP.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "admin/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509_CRL) *sk;
	struct err e;

	if (admin_tls_crls_parse(data, size, &sk, &e) == 0)
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
	return 0;
}
