/*
 * pkcs11.c - private keys held in a PKCS#11 token, through the libp11
 * "pkcs11" engine (Debian: libengine-pkcs11-openssl).
 *
 * OpenSSL 3 deprecates the ENGINE API in favour of providers, but Debian 12
 * ships no PKCS#11 provider; libp11's engine is the maintained way there, so
 * this one file opts out of the deprecation warnings.  The key it returns is
 * an ordinary EVP_PKEY whose operations the engine forwards to the token.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "signer/key.h"

#include <string.h>

#include <openssl/engine.h>

EVP_PKEY *
key_load_pkcs11(const char *uri, const char *module, struct err *e)
{
	ENGINE *eng;
	EVP_PKEY *k = NULL;

	ENGINE_load_builtin_engines();
	eng = ENGINE_by_id("pkcs11");
	if (eng == NULL) {
		err_ossl(e, "PKCS#11 keys need the libp11 engine (Debian package "
			    "libengine-pkcs11-openssl)");
		return NULL;
	}
	/* libp11 prints its own diagnostics on stderr; we report one line ourselves. */
	(void)ENGINE_ctrl_cmd(eng, "QUIET", 0, NULL, NULL, 0);
	if (module[0] != '\0' && ENGINE_ctrl_cmd_string(eng, "MODULE_PATH", module, 0) != 1) {
		err_ossl(e, "PKCS#11 module %s", module);
		goto out;
	}
	if (ENGINE_init(eng) != 1) {
		err_ossl(e, "cannot start the PKCS#11 engine%s%s", module[0] ? " with " : "",
		    module);
		goto out;
	}
	k = ENGINE_load_private_key(eng, uri, NULL, NULL);
	if (k == NULL)
		err_ossl(e, "no usable private key at this PKCS#11 URI (token, object, PIN?)");
	/* The key keeps its own reference to the engine; ours can go. */
	ENGINE_finish(eng);
out:
	ENGINE_free(eng);
	return k;
}
