/*
 * publish_issuers.c - the issuer certificates in DIR/public/issuer/, beside
 * the CRLs, for operators who push public/ to a CDN or object store: named
 * as the server serves them (/issuer/<name> in DER, /issuer/<name>.pem),
 * written when missing or different from the issuer's certificate, checked
 * with one stat per file on each pass like the CRLs (public.c).  Only the
 * issuers the signer loads (those it signs for) are published.
 */
#include "signer/signer_int.h"

#include <limits.h>

#include <openssl/pem.h>

#include "util/fsutil.h"

/* One issuer's certificate file (pem: the .pem one) made equal to its certificate. */
static int
issuer_file(struct signer *sg, struct signer_issuer *is, int pem, struct err *e)
{
	char path[PATH_MAX];
	unsigned char *der = NULL;
	char *data = NULL;
	long len = 0;
	BIO *b = NULL;
	int n, rc = -1, rewritten = 0;

	if (fs_path(path, sizeof(path), e, "%s/public/issuer/%s%s", sg->dir, is->name,
		pem ? ".pem" : "") != 0)
		return -1;
	if (signer_public_unchanged(sg->dir, path, &is->cert_seen[pem]))
		return 0;
	if (pem) {
		b = BIO_new(BIO_s_mem());
		if (b == NULL || PEM_write_bio_X509(b, is->cert) != 1 ||
		    (len = BIO_get_mem_data(b, &data)) <= 0) {
			err_set(e, "out of memory");
			goto out;
		}
	} else {
		if ((n = i2d_X509(is->cert, &der)) <= 0) {
			err_set(e, "encoding issuer %s's certificate", is->name);
			goto out;
		}
		data = (char *)der;
		len = n;
	}
	rc = signer_public_sync(sg->dir, path, data, (size_t)len, &is->cert_seen[pem], &rewritten, e);
	if (rc == 0 && rewritten)
		signer_run_hook(sg, path, NULL);
out:
	BIO_free(b);
	OPENSSL_free(der);
	return rc;
}

int
signer_public_issuers(struct signer *sg, struct err *e)
{
	for (size_t i = 0; i < sg->nissuers; i++) {
		if (issuer_file(sg, &sg->issuers[i], 0, e) != 0 ||
		    issuer_file(sg, &sg->issuers[i], 1, e) != 0)
			return -1;
	}
	return 0;
}
