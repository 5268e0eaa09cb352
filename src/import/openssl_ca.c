/*
 * openssl_ca.c - see openssl_ca.h.
 *
 * Two passes.  The first parses every line and checks that no serial comes
 * twice, touching nothing, so that a file malformed at its last line is
 * refused before any work.  The second runs inside one store transaction:
 * each line is compared with what the store holds (one point lookup) and
 * only a difference does any work: reading and checking a certificate file,
 * or a revocation decided by intake/revoke.c's rules.  What changed is
 * logged in im->changes and becomes true only with the commit.
 *
 * The second pass goes IMPORT_CHUNK lines at a time: the chunk's lines are
 * looked up, the certificates it lacks read from newcerts/ and recorded
 * together (intake_record_many: checked on threads, one insert, one audit
 * append), then its lines are applied in order.  A first import of a large
 * index.txt had recorded one certificate at a time, each checked on this
 * thread, inserted and audited alone.  Errors are still reported at the
 * first line that fails, in line order: a chunk's lines before a refused
 * certificate are applied first.  In the audit trail a chunk's "cert.add"
 * rows come before its "cert.revoke" rows (the same rows as before, in that
 * order within a chunk).
 */
#include "import/openssl_ca.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "intake/intake.h"
#include "intake/revoke.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

/* Lines looked up, and their missing certificates recorded, together (see above). */
#define IMPORT_CHUNK 2048

struct parsed {
	struct openssl_index_entry *v;
	size_t n, cap;
	size_t *lines; /* each entry's line */
};

static int
parsed_push(struct parsed *p, const struct openssl_index_entry *ent, size_t line, struct err *e)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct openssl_index_entry *v = realloc(p->v, cap * sizeof(*v));
		size_t *l = v ? realloc(p->lines, cap * sizeof(*l)) : NULL;

		if (v != NULL)
			p->v = v;
		if (l == NULL)
			return err_set(e, "out of memory");
		p->lines = l;
		p->cap = cap;
	}
	p->v[p->n] = *ent;
	p->lines[p->n++] = line;
	return 0;
}

static int
by_serial(const void *a, const void *b)
{
	const struct openssl_index_entry *x = *(const struct openssl_index_entry *const *)a;
	const struct openssl_index_entry *y = *(const struct openssl_index_entry *const *)b;

	if (x->serial_len != y->serial_len)
		return x->serial_len < y->serial_len ? -1 : 1;
	return memcmp(x->serial, y->serial, x->serial_len);
}

/* The same serial twice: openssl ca never writes it, and which line would hold? */
static int
check_unique(struct openssl_ca_import *im, const struct parsed *p, struct err *e)
{
	const struct openssl_index_entry **order = malloc((p->n ? p->n : 1) * sizeof(*order));
	int rc = 0;

	if (order == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < p->n; i++)
		order[i] = &p->v[i];
	qsort(order, p->n, sizeof(*order), by_serial);
	for (size_t i = 1; i < p->n && rc == 0; i++) {
		size_t a = (size_t)(order[i - 1] - p->v), b = (size_t)(order[i] - p->v);

		if (by_serial(&order[i - 1], &order[i]) != 0)
			continue;
		if (a > b) { /* report the later line, naming the earlier */
			size_t t = a;
			a = b;
			b = t;
		}
		im->err_line = p->lines[b];
		rc = err_set(e, "serial %s is also on line %zu", p->v[b].serial_hex, p->lines[a]);
	}
	free(order);
	return rc;
}

static int
parse_all(struct openssl_ca_import *im, const char *data, size_t len, struct parsed *p,
    struct err *e)
{
	struct openssl_index_reader r;
	struct openssl_index_entry ent;
	int rc;

	openssl_index_init(&r, data, len);
	while ((rc = openssl_index_next(&r, &ent, e)) == 1) {
		if (parsed_push(p, &ent, r.line, e) != 0)
			break;
	}
	if (rc != 0) {
		im->err_line = r.line;
		return -1;
	}
	return check_unique(im, p, e);
}

/* newcerts/<SERIAL>.pem as DER (OPENSSL_free it), checked to hold ent's serial. */
static int
read_cert(const struct openssl_ca_import *im, const struct openssl_index_entry *ent,
    unsigned char **der, int *derlen, struct err *e)
{
	char path[PATH_MAX], hex[SERIAL_HEX_MAX];
	uint8_t serial[STORE_SERIAL_MAX];
	size_t slen;
	X509 *x;

	*der = NULL;
	if (fs_path(path, sizeof(path), e, "%s/%s.pem", im->newcerts, ent->serial_hex) != 0 ||
	    cert_file_der(path, OPENSSL_CA_CERT_FILE_MAX, der, derlen, &x, e) != 0)
		return -1;
	if (serial_from_asn1(X509_get0_serialNumber(x), serial, sizeof(serial), &slen, e) != 0) {
		X509_free(x);
		OPENSSL_free(*der);
		*der = NULL;
		ERR_clear_error();
		return err_prefix(e, "%s", path);
	}
	X509_free(x);
	if (slen != ent->serial_len || memcmp(serial, ent->serial, slen) != 0) {
		OPENSSL_free(*der);
		serial_to_hex(serial, slen, hex, sizeof(hex));
		return err_set(e, "%s holds serial %s, not %s", path, hex, ent->serial_hex);
	}
	return 0;
}

/*
 * The line's certificate was recorded (it was not in the store) as *cur:
 * the line's serial was not recorded under this issuer, and the file holds
 * that serial, so a certificate of this issuer was inserted now, and *cur
 * is its row (id, notBefore, is_ca; good), with no second read.  One
 * recorded under another issuer (inserted there, or already present) is
 * refused.
 */
static int
check_recorded(const struct openssl_ca_import *im, const struct openssl_index_entry *ent,
    const struct cert_record *cur, struct err *e)
{
	if (cur->issuer_id != im->issuer->rec.id)
		return err_set(e, "%s/%s.pem is not issued by %s", im->newcerts, ent->serial_hex,
		    im->issuer->rec.name);
	return 0;
}

/* When and why lancre revokes for this line (see openssl_ca.h), or why it will not. */
static int
wanted(const struct openssl_index_entry *ent, const struct cert_record *cur, int64_t *at,
    int *reason, struct err *e)
{
	if (ent->reason == REASON_CERTIFICATE_HOLD)
		return err_set(e, "serial %s is on hold (%s): lancre records no holds, a revocation "
				  "there is final (BR 7.2.2 forbids certificateHold); give the line a "
				  "final reason, or set it back to V",
		    ent->serial_hex, ent->rev == OPENSSL_REV_HOLD ? "holdInstruction" : "certificateHold");
	if (ent->reason == REASON_REMOVE_FROM_CRL)
		return err_set(e, "serial %s: removeFromCRL (a hold released) is not recorded: lancre "
				  "has no holds (BR 7.2.2); set the line back to V, or give it a final "
				  "reason", ent->serial_hex);
	*reason = ent->reason < 0 ? REASON_UNSPECIFIED : ent->reason;
	*at = ent->revoked_at;
	if ((ent->rev == OPENSSL_REV_KEY_TIME || ent->rev == OPENSSL_REV_CA_KEY_TIME) &&
	    ent->compromised_at < *at)
		*at = ent->compromised_at > cur->not_before ? ent->compromised_at : cur->not_before;
	return 0;
}

static int
apply_revocation(struct openssl_ca_import *im, const struct openssl_index_entry *ent,
    const struct cert_record *cur, struct openssl_ca_change *ch, struct err *e)
{
	int64_t at = 0;
	int reason = 0;

	if (wanted(ent, cur, &at, &reason, e) != 0)
		return -1;
	/* The same reason kept: lancre's record stands, unless keyCompromise moves earlier. */
	if (cur->status == CERT_REVOKED && cur->reason == reason &&
	    (reason != REASON_KEY_COMPROMISE || at >= cur->revoked_at))
		return 0;
	if (revoke_apply(im->store, cur, at, reason, im->now, &ch->at, &ch->reason, e) != 0)
		return err_prefix(e, "serial %s", ent->serial_hex);
	ch->revoked = 1;
	if (im->actor != NULL) {
		char detail[REVOKE_DETAIL_MAX];
		struct audit_event ev = {.at = im->now, .actor = im->actor,
		    .origin = im->origin != NULL ? im->origin : "", .action = "cert.revoke",
		    .issuer_id = cur->issuer_id, .serial = cur->serial, .serial_len = cur->serial_len,
		    .detail = detail};

		revoke_detail(cur, ch->at, ch->reason, detail, sizeof(detail));
		if (store_audit_append(im->store, &ev, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * Apply the line: cur is the store's row for its serial (found, or just
 * recorded when *added).
 */
static int
apply_line(struct openssl_ca_import *im, const struct openssl_index_entry *ent,
    const struct cert_record *cur, int added, struct openssl_ca_change *ch, struct err *e)
{
	char when[TIMEFMT_LEN];

	if (added) {
		if (check_recorded(im, ent, cur, e) != 0)
			return -1;
		ch->added = 1;
		ch->expired = cur->not_after < im->now;
	}
	if (ent->status == 'R')
		return apply_revocation(im, ent, cur, ch, e);
	if (cur->status == CERT_REVOKED) {
		timefmt_format(cur->revoked_at, when, sizeof(when));
		return err_set(e, "serial %s is revoked in lancre (at %s, %s) but %s here: a "
				  "revocation is final, lancre does not un-revoke",
		    ent->serial_hex, when, reason_name(cur->reason),
		    ent->status == 'V' ? "valid" : "expired");
	}
	return 0;
}

/* One chunk's lines, from the store and newcerts/. */
struct chunk {
	struct cert_record cur[IMPORT_CHUNK];
	int missing[IMPORT_CHUNK];   /* not in the store: recorded from its file */
	size_t miss_at[IMPORT_CHUNK]; /* the lines (chunk positions) of the missing ones */
	unsigned char *der[IMPORT_CHUNK];
	size_t len[IMPORT_CHUNK];
	struct cert_record rec[IMPORT_CHUNK];
};

/*
 * Look up lines [from, to) of p and record the certificates the store lacks.
 * *stop: the chunk position of the first line that failed (to - from: none),
 * its error in stop_e.  -1 only when the store failed (e).
 */
static int
chunk_record(struct openssl_ca_import *im, const struct parsed *p, size_t from, size_t to,
    struct chunk *c, size_t *stop, struct err *stop_e, struct err *e)
{
	size_t n = to - from, nmiss = 0, failed, again;
	struct intake in;
	struct err why;
	int rc, rc_again = 0;

	*stop = n;
	for (size_t k = 0; k < n; k++) {
		const struct openssl_index_entry *ent = &p->v[from + k];
		int derlen = 0;

		rc = store_cert_get(im->store, im->issuer->rec.id, ent->serial, ent->serial_len,
		    &c->cur[k], e);
		if (rc < 0)
			return -1;
		c->missing[k] = rc == 0;
		if (rc != 0)
			continue;
		if (read_cert(im, ent, &c->der[nmiss], &derlen, stop_e) != 0) {
			*stop = k; /* the lines after it are not needed */
			break;
		}
		c->len[nmiss] = (size_t)derlen;
		c->miss_at[nmiss++] = k;
	}
	if (nmiss == 0)
		return 0;
	intake_init(&in);
	in.store = im->store;
	in.conf = im->conf;
	in.issuers = im->issuers;
	in.now = im->now;
	in.threads = im->threads;
	in.allow_foreign_urls = im->allow_foreign_urls;
	in.actor = im->actor;
	in.origin = im->origin;
	rc = intake_record_many(&in, (const uint8_t *const *)c->der, c->len, nmiss, c->rec, NULL,
	    &failed, &why);
	/*
	 * One refused: the lines before it are applied first (one of them may fail
	 * first), so they need their rows: the ones before it recorded again (the
	 * transaction is rolled back in the end whatever happens).  Only the store
	 * can fail them: they were just checked.
	 */
	if (rc != 0 && failed != SIZE_MAX && failed > 0)
		rc_again = intake_record_many(&in, (const uint8_t *const *)c->der, c->len, failed,
		    c->rec, NULL, &again, e);
	intake_free(&in);
	for (size_t i = 0; i < nmiss; i++)
		OPENSSL_free(c->der[i]);
	if (rc_again != 0)
		return -1;
	if (rc != 0 && failed == SIZE_MAX) { /* the store */
		*e = why;
		return -1;
	}
	if (rc != 0) { /* before any file that could not be read: the first failure */
		const struct openssl_index_entry *ent = &p->v[from + c->miss_at[failed]];
		*stop_e = why;
		err_prefix(stop_e, "%s/%s.pem", im->newcerts, ent->serial_hex);
		*stop = c->miss_at[failed];
		nmiss = failed;
	}
	for (size_t i = 0; i < nmiss; i++)
		c->cur[c->miss_at[i]] = c->rec[i];
	return 0;
}

static int
apply_all(struct openssl_ca_import *im, const struct parsed *p, struct err *e)
{
	struct openssl_ca_change ch;
	struct chunk *c = malloc(sizeof(*c));
	struct err stop_e;
	size_t stop;

	if (c == NULL)
		return err_set(e, "out of memory");
	for (size_t from = 0; from < p->n; from += IMPORT_CHUNK) {
		size_t to = from + IMPORT_CHUNK < p->n ? from + IMPORT_CHUNK : p->n;

		if (chunk_record(im, p, from, to, c, &stop, &stop_e, e) != 0) {
			free(c);
			return -1;
		}
		for (size_t k = 0; k < to - from; k++) {
			size_t i = from + k;
			if (k == stop) { /* every line before it applied: its error is the first */
				im->err_line = p->lines[i];
				*e = stop_e;
				free(c);
				return -1;
			}
			memset(&ch, 0, sizeof(ch));
			ch.line = p->lines[i];
			memcpy(ch.serial_hex, p->v[i].serial_hex, sizeof(ch.serial_hex));
			if (apply_line(im, &p->v[i], &c->cur[k], c->missing[k], &ch, e) != 0) {
				im->err_line = p->lines[i];
				free(c);
				return -1;
			}
			if (!ch.added && !ch.revoked) {
				im->unchanged++;
				continue;
			}
			im->added += (size_t)ch.added;
			im->expired += (size_t)ch.expired;
			im->revoked += (size_t)ch.revoked;
			im->changes[im->nchanges++] = ch;
		}
	}
	free(c);
	return 0;
}

int
openssl_ca_import(struct openssl_ca_import *im, const char *data, size_t len, struct err *e)
{
	struct parsed p = {0};
	int rc = -1;

	im->err_line = 0;
	if (parse_all(im, data, len, &p, e) != 0)
		goto out;
	im->entries = p.n;
	im->changes = calloc(p.n ? p.n : 1, sizeof(*im->changes));
	if (im->changes == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (store_begin(im->store, e) != 0)
		goto out;
	if (apply_all(im, &p, e) != 0 || store_commit(im->store, e) != 0) {
		store_rollback(im->store, NULL);
		im->added = im->expired = im->revoked = im->unchanged = im->nchanges = 0;
		goto out;
	}
	rc = 0;
out:
	free(p.v);
	free(p.lines);
	return rc;
}

void
openssl_ca_import_free(struct openssl_ca_import *im)
{
	free(im->changes);
	im->changes = NULL;
	im->nchanges = 0;
}
