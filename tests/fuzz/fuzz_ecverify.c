/*
 * libFuzzer target: pki/ecverify, the P-256 check with a table of the key's
 * multiples, against OpenSSL.  Input: one byte choosing the key, the 32-byte
 * digest, then the signature (outside bytes: DER that intake reads from every
 * certificate).  Aborts when ecverify accepts what OpenSSL refuses (a
 * forgery let in: only refusals go back to OpenSSL in sigverify_check_table)
 * and when it refuses what OpenSSL accepts (only slower, but a bug).
 *
 * The keys are fixed: two ordinary ones, whose signatures the seed corpus
 * holds (made once with their private keys, which are not kept), and the
 * point whose x is the order n + 3, for which (r, s) = (3, 3) over a zero
 * digest is valid: the rare case where R.x >= n and R.x mod n == r.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "pki/ecverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 3
static const char *const key_hex[NKEYS] = {
	    "04345fb5674ede2d2dc1c7a23aab66116deff68be6be0ff29ac7c6c61e4b9e09"
	    "081451ea8e6dda6e5ecc8396c9471d68039f7e1b6909043f7df3305dcd7197f7"
	    "2f",
	    "0458095f8698392c8fe40f9d001e9226772b273042b928cb197075f6a12d82c3"
	    "d5ba14b7832fa16e54be3083ba911a8ddc2f4717e62c682ecf6f008254638b34"
	    "d0",
	    "04ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc6325"
	    "54b7b0f3ef25bcb11057f7ba76eb0cd78ea285aba2e67538111ce200179e4a2d"
	    "c0",
};

static EVP_PKEY *pkey[NKEYS];
static EVP_PKEY_CTX *vctx[NKEYS];
static struct ecverify_key *table[NKEYS];
static BN_CTX *bn;

static EVP_PKEY *
key_from_hex(const char *hex)
{
	uint8_t oct[65];
	char name[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	for (size_t i = 0; i < sizeof(oct); i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		oct[i] = (uint8_t)v;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct));
	params[2] = OSSL_PARAM_construct_end();
	if (c == NULL || EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
		abort();
	EVP_PKEY_CTX_free(c);
	return k;
}

static void
setup(void)
{
	for (int i = 0; i < NKEYS; i++) {
		pkey[i] = key_from_hex(key_hex[i]);
		if ((table[i] = ecverify_key_new(pkey[i])) == NULL ||
		    (vctx[i] = EVP_PKEY_CTX_new(pkey[i], NULL)) == NULL ||
		    EVP_PKEY_verify_init(vctx[i]) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(vctx[i], EVP_sha256()) != 1)
			abort();
	}
	if ((bn = BN_CTX_new()) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int i, ours, openssl;

	if (bn == NULL)
		setup();
	if (size < 33)
		return 0;
	i = data[0] % NKEYS;
	ours = ecverify_check(table[i], bn, data + 1, data + 33, size - 33);
	openssl = EVP_PKEY_verify(vctx[i], data + 33, size - 33, data + 1, 32) == 1;
	ERR_clear_error();
	if (ours != openssl)
		abort();
	return 0;
}
