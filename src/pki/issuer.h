/*
 * issuer.h - the issuers of a data directory, loaded from the store with
 * their certificates parsed, and the rule that ties a certificate to its
 * issuer: the issuer's name matches and the signature verifies with the
 * issuer's key.  A name alone proves nothing.
 *
 * A loaded set is read-only, so several threads may match certificates
 * against it at once.
 */
#ifndef LANCRE_PKI_ISSUER_H
#define LANCRE_PKI_ISSUER_H

#include <stddef.h>

#include <openssl/x509.h>

#include "pki/certparse.h"
#include "pki/sigverify.h"
#include "store/store.h"
#include "util/err.h"

struct issuer {
	struct issuer_record rec;
	X509 *cert;
	EVP_PKEY *pub;        /* borrowed from cert */
	uint8_t *subject_der; /* the subject Name's DER, to compare with certificates' issuer */
	size_t subject_len;
	struct ecverify_key *table; /* issuer_set_prepare_tables, for a P-256 key; else NULL */
};

struct issuer_set {
	struct issuer *v;
	size_t n;
};

int issuer_set_load(struct store *s, struct issuer_set *set, struct err *e);
void issuer_set_free(struct issuer_set *set);

/*
 * For a set that will check many certificates: a table of each P-256
 * signing key's multiples (pki/ecverify.h: 25 ms and ~150 KB a key, then
 * each check in a third of the CPU), used by issuer_set_match_parsed.  Call
 * before the set is shared between threads.  A key without one (another
 * type, or OpenSSL failed) is checked the usual way.
 */
void issuer_set_prepare_tables(struct issuer_set *set);

const struct issuer *issuer_set_by_name(const struct issuer_set *set, const char *name);
/* The issuer of that store id, or NULL. */
const struct issuer *issuer_set_by_id(const struct issuer_set *set, int64_t id);

/*
 * The issuer (with a signing key: published-only entries never issue) whose
 * key verifies x's signature.  Returns 0 and sets *out, or -1 with a message
 * saying whether no issuer has that name or the signature did not verify.
 */
int issuer_set_match(const struct issuer_set *set, X509 *x, const struct issuer **out,
    struct err *e);

/*
 * The same for a certificate read by certparse(): its issuer Name bytes are
 * compared with each issuer's subject, and the signature checked with sv.
 * Returns 0 and sets *out; -1 with a message, as above, or -2 when no issuer's
 * subject is byte-identical (the caller may retry with the full OpenSSL
 * parse, which compares names by their canonical form).
 */
int issuer_set_match_parsed(const struct issuer_set *set, const struct cert_parsed *c,
    struct sigverify *sv, const struct issuer **out, struct err *e);

/*
 * Issuer names appear in host names (<name>.o.<domain>) and URL paths, so
 * they are one DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending
 * with '-'.
 */
int issuer_name_check(const char *name, struct err *e);
/*
 * A record read from the store, checked again before its name and shard
 * count become file names (the signer): issuer_name_check() and 1 to
 * CONF_CRL_SHARDS_MAX shards.
 */
int issuer_store_check(const struct issuer_record *r, struct err *e);

#endif
