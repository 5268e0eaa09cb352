/*
 * lookup.c - see lookup.h.
 */
#include "cli/lookup.h"

#include <stdlib.h>
#include <string.h>

#include "pki/cert.h"
#include "pki/serial.h"
#include "util/fsutil.h"

#define LOOKUP_FILE_MAX (1 << 20)

int
lookup_by_file(struct cli_dir *d, const struct issuer_set *set, const char *path,
    struct lookup_match *m, struct err *e)
{
	struct cert_record rec;
	unsigned char *der;
	int derlen, rc = -1;
	X509 *x;

	memset(m, 0, sizeof(*m));
	if (cert_file_der(path, LOOKUP_FILE_MAX, &der, &derlen, &x, e) != 0)
		return -1;
	if (issuer_set_match(set, x, &m->issuer, e) != 0 ||
	    cert_record_from_x509(x, der, (size_t)derlen, &rec, e) != 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	rc = store_cert_get(d->store, m->issuer->rec.id, rec.serial, rec.serial_len, &m->rec, e);
	if (rc < 0)
		goto out;
	m->found = rc;
	if (!rc) {
		m->rec = rec; /* what the file says, for the report */
		m->rec.issuer_id = m->issuer->rec.id;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

int
lookup_check_serial(const char *hex, struct err *e)
{
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t elen, clen;

	return serial_parse_hex(hex, exact, &elen, canon, &clen, STORE_SERIAL_MAX, e);
}

const struct issuer *
lookup_issuer(const struct issuer_set *set, const char *name, struct err *e)
{
	const struct issuer *is = issuer_set_by_name(set, name);

	if (is == NULL)
		err_set(e, "no issuer named '%s' (see `lancre issuer list`)", name);
	return is;
}

int
lookup_by_serial(struct cli_dir *d, const struct issuer_set *set, const char *issuer,
    const char *hex, struct lookup_match *m, size_t *n, struct err *e)
{
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t elen, clen;
	const struct issuer *only = NULL;
	int rc;

	*n = 0;
	if (serial_parse_hex(hex, exact, &elen, canon, &clen, STORE_SERIAL_MAX, e) != 0)
		return -1;
	if (issuer != NULL && (only = lookup_issuer(set, issuer, e)) == NULL)
		return -1;
	for (size_t i = 0; i < set->n && *n < LOOKUP_MAX_MATCHES; i++) {
		const struct issuer *is = &set->v[i];
		if (only != NULL && is != only)
			continue;
		/* Exact bytes first; then the canonical form of the same number. */
		rc = store_cert_get(d->store, is->rec.id, exact, elen, &m[*n].rec, e);
		if (rc == 0 && (clen != elen || memcmp(exact, canon, clen) != 0))
			rc = store_cert_get(d->store, is->rec.id, canon, clen, &m[*n].rec, e);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			m[*n].issuer = is;
			m[*n].found = 1;
			(*n)++;
		}
	}
	return 0;
}
