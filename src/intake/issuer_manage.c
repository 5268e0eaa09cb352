/*
 * issuer_manage.c - see issuer_manage.h.
 */
#include "intake/issuer_manage.h"

#include <string.h>

#include <openssl/crypto.h>

#include "intake/issuer_add.h"
#include "signer/key.h"
#include "util/timefmt.h"

int
issuer_set_key(struct store *s, const struct conf *c, const char *dir,
    const struct issuer *is, const char *key_ref, const char *pass_ref, struct err *e)
{
	EVP_PKEY *key;

	if (issuer_key_ref_check(key_ref, pass_ref, e) != 0)
		return -1;
	key = key_load(key_ref, pass_ref, c, dir, e);
	if (key == NULL || key_check_pair(key, is->cert, e) != 0) {
		EVP_PKEY_free(key);
		return err_prefix(e, "%s", key_ref_is_pkcs11(key_ref) ? "PKCS#11 key" : key_ref);
	}
	EVP_PKEY_free(key);
	return store_issuer_set_key(s, is->rec.id, key_ref, pass_ref, e);
}

int
issuer_retire(struct store *s, const struct issuer *is, int64_t now, struct err *e)
{
	char when[TIMEFMT_LEN];

	if (is->rec.retired_at != 0) {
		timefmt_format(is->rec.retired_at, when, sizeof(when));
		return err_set(e, "issuer %s was already retired on %s", is->rec.name, when);
	}
	return store_issuer_retire(s, is->rec.id, now, e);
}
