/*
 * openssl_index.c - see openssl_index.h.
 *
 * A line is cut into its fields first (TXT_DB's rule: a tab right after a
 * backslash belongs to the field), then each field the importer needs is
 * read on its own.  Times go through OpenSSL's own ASN.1 time parser, so
 * that lancre accepts exactly the strings `openssl ca` reads back, and its
 * results through timefmt_from_civil(), so that no local time zone or
 * 32-bit time_t gets in the way.
 */
#include "import/openssl_index.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "pki/reason.h"
#include "pki/serial.h"
#include "util/timefmt.h"

#define INDEX_FIELDS 6
#define INDEX_TIME_MAX 32 /* "YYYYMMDDHHMMSS.fffZ" and then some */
#define INDEX_REV_MAX 256 /* date,reason,extra */

enum { F_STATUS, F_EXPIRY, F_REVOKED, F_SERIAL, F_FILE, F_SUBJECT };

struct field {
	const char *p;
	size_t len;
};

/*
 * The reason names of `openssl ca`, in its order, and what each stands for.
 * The last three take an extra (the hold instruction, the compromise time).
 */
static const struct {
	const char *name;
	enum openssl_index_rev rev;
	int code;
} reasons[] = {
    {"unspecified", OPENSSL_REV_REASON, REASON_UNSPECIFIED},
    {"keyCompromise", OPENSSL_REV_REASON, REASON_KEY_COMPROMISE},
    {"CACompromise", OPENSSL_REV_REASON, REASON_CA_COMPROMISE},
    {"affiliationChanged", OPENSSL_REV_REASON, REASON_AFFILIATION_CHANGED},
    {"superseded", OPENSSL_REV_REASON, REASON_SUPERSEDED},
    {"cessationOfOperation", OPENSSL_REV_REASON, REASON_CESSATION_OF_OPERATION},
    {"certificateHold", OPENSSL_REV_REASON, REASON_CERTIFICATE_HOLD},
    {"removeFromCRL", OPENSSL_REV_REASON, REASON_REMOVE_FROM_CRL},
    {"holdInstruction", OPENSSL_REV_HOLD, REASON_CERTIFICATE_HOLD},
    {"keyTime", OPENSSL_REV_KEY_TIME, REASON_KEY_COMPROMISE},
    {"CAkeyTime", OPENSSL_REV_CA_KEY_TIME, REASON_CA_COMPROMISE},
};

void
openssl_index_init(struct openssl_index_reader *r, const char *data, size_t len)
{
	r->p = data;
	r->end = data + len;
	r->line = 0;
}

/* Copy a field into buf as a C string; -1 if it does not fit. */
static int
field_str(const char *p, size_t len, char *buf, size_t size)
{
	if (len >= size)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

/*
 * An ASN.1 time string as OpenSSL reads it: generalized only (the compromise
 * time), or UTCTime or GeneralizedTime.
 */
static int
parse_time(const char *p, size_t len, int generalized_only, const char *what, int64_t *out,
    struct err *e)
{
	char buf[INDEX_TIME_MAX];
	ASN1_TIME *t = ASN1_TIME_new();
	struct tm tm;
	int ok;

	if (t == NULL)
		return err_set(e, "out of memory");
	ok = field_str(p, len, buf, sizeof(buf)) == 0 && memchr(buf, '\0', len) == NULL &&
	     (generalized_only ? ASN1_GENERALIZEDTIME_set_string(t, buf)
			       : ASN1_TIME_set_string(t, buf)) == 1 &&
	     ASN1_TIME_to_tm(t, &tm) == 1;
	ASN1_TIME_free(t);
	if (!ok)
		return err_set(e, "%s '%.*s' is not a%s time (%s)", what, (int)(len > 40 ? 40 : len),
		    p, generalized_only ? " GeneralizedTime" : "n ASN.1",
		    generalized_only ? "YYYYMMDDHHMMSSZ" : "YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ");
	*out = timefmt_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return 0;
}

static int
parse_serial(const struct field *f, struct openssl_index_entry *out, struct err *e)
{
	uint8_t exact[STORE_SERIAL_MAX];
	size_t exact_len;

	if (f->len == 0)
		return err_set(e, "no serial");
	if (f->len > OPENSSL_INDEX_HEX_MAX)
		return err_set(e, "serial of %zu hex digits (at most %d)", f->len,
		    OPENSSL_INDEX_HEX_MAX);
	for (size_t i = 0; i < f->len; i++)
		if (!isxdigit((unsigned char)f->p[i]))
			return err_set(e, "serial '%.*s' is not hex", (int)f->len, f->p);
	memcpy(out->serial_hex, f->p, f->len);
	out->serial_hex[f->len] = '\0';
	if (serial_parse_hex(out->serial_hex, exact, &exact_len, out->serial, &out->serial_len,
		STORE_SERIAL_MAX, e) != 0)
		return err_prefix(e, "serial");
	return 0;
}

/* The extra after a reason: the hold instruction's OID, or the compromise time. */
static int
parse_extra(const char *x, size_t xlen, struct openssl_index_entry *out, struct err *e)
{
	ASN1_OBJECT *oid;

	if (out->rev == OPENSSL_REV_REASON)
		return err_set(e, "unexpected '%.*s' after the reason", (int)(xlen > 40 ? 40 : xlen),
		    x);
	if (out->rev == OPENSSL_REV_HOLD) {
		if (field_str(x, xlen, out->hold, sizeof(out->hold)) != 0 ||
		    memchr(out->hold, '\0', xlen) != NULL || (oid = OBJ_txt2obj(out->hold, 0)) == NULL)
			return err_set(e, "holdInstruction '%.*s' is not an object identifier",
			    (int)(xlen > 40 ? 40 : xlen), x);
		ASN1_OBJECT_free(oid);
		return 0;
	}
	return parse_time(x, xlen, 1, "compromise time", &out->compromised_at, e);
}

/* "date[,reason[,extra]]", as unpack_revinfo() in openssl's apps/ca.c reads it. */
static int
parse_revocation(const struct field *f, struct openssl_index_entry *out, struct err *e)
{
	const char *end = f->p + f->len, *c1, *c2, *x = NULL;
	char name[32];
	size_t nlen, xlen = 0;

	c1 = memchr(f->p, ',', f->len);
	if (parse_time(f->p, (size_t)((c1 ? c1 : end) - f->p), 0, "revocation date",
		&out->revoked_at, e) != 0)
		return -1;
	if (c1 == NULL)
		return 0; /* revoked without a reason: the CRL entry has none */
	c2 = memchr(c1 + 1, ',', (size_t)(end - c1 - 1));
	nlen = (size_t)((c2 ? c2 : end) - (c1 + 1));
	if (c2 != NULL) {
		x = c2 + 1;
		xlen = (size_t)(end - x);
	}
	if (field_str(c1 + 1, nlen, name, sizeof(name)) == 0) {
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
			if (strlen(name) == nlen && strcasecmp(name, reasons[i].name) == 0) {
				out->rev = reasons[i].rev;
				out->reason = reasons[i].code;
			}
		}
	}
	if (out->rev == OPENSSL_REV_NONE)
		return err_set(e, "unknown revocation reason '%.*s'", (int)(nlen > 40 ? 40 : nlen),
		    c1 + 1);
	if (x != NULL)
		return parse_extra(x, xlen, out, e);
	if (out->rev == OPENSSL_REV_HOLD)
		return err_set(e, "holdInstruction without its instruction (an OID)");
	if (out->rev != OPENSSL_REV_REASON)
		return err_set(e, "%s without the compromise time", name);
	return 0;
}

/* Cut line[0..len) into its fields, TXT_DB's way; -1 unless there are exactly six. */
static int
split(const char *line, size_t len, struct field f[INDEX_FIELDS], struct err *e)
{
	size_t n = 0, start = 0;

	if (memchr(line, '\0', len) != NULL)
		return err_set(e, "a NUL byte");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (line[i] != '\t' || (i > 0 && line[i - 1] == '\\')))
			continue;
		if (n == INDEX_FIELDS)
			return err_set(e, "more than %d tab-separated fields", INDEX_FIELDS);
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	if (n != INDEX_FIELDS)
		return err_set(e, "%zu tab-separated fields, not %d (status, expiry, revocation, "
				  "serial, file, subject)", n, INDEX_FIELDS);
	return 0;
}

static int
parse_line(const char *line, size_t len, struct openssl_index_entry *out, struct err *e)
{
	struct field f[INDEX_FIELDS];

	memset(out, 0, sizeof(*out));
	out->reason = -1;
	if (split(line, len, f, e) != 0)
		return -1;
	if (f[F_STATUS].len != 1 || strchr("VRE", f[F_STATUS].p[0]) == NULL)
		return err_set(e, "status '%.*s' is not V, R or E",
		    (int)(f[F_STATUS].len > 8 ? 8 : f[F_STATUS].len), f[F_STATUS].p);
	out->status = f[F_STATUS].p[0];
	if (parse_time(f[F_EXPIRY].p, f[F_EXPIRY].len, 0, "expiry", &out->expires, e) != 0 ||
	    parse_serial(&f[F_SERIAL], out, e) != 0)
		return -1;
	if (out->status != 'R') {
		if (f[F_REVOKED].len != 0)
			return err_set(e, "status %c with a revocation field (only R has one)",
			    out->status);
		return 0;
	}
	if (f[F_REVOKED].len == 0)
		return err_set(e, "status R without a revocation date");
	if (f[F_REVOKED].len > INDEX_REV_MAX)
		return err_set(e, "revocation field of %zu bytes (at most %d)", f[F_REVOKED].len,
		    INDEX_REV_MAX);
	return parse_revocation(&f[F_REVOKED], out, e);
}

int
openssl_index_next(struct openssl_index_reader *r, struct openssl_index_entry *out,
    struct err *e)
{
	const char *nl;
	size_t len;

	for (;;) {
		if (r->p >= r->end)
			return 0;
		r->line++;
		nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
		len = (size_t)((nl ? nl : r->end) - r->p);
		if (len > OPENSSL_INDEX_LINE_MAX) {
			r->p = r->end;
			return err_set(e, "a line of more than %d bytes", OPENSSL_INDEX_LINE_MAX);
		}
		if (nl == NULL) {
			r->p = r->end;
			return err_set(e, "the last line has no newline at its end (a file cut short?)");
		}
		if (r->p[0] == '#') { /* a comment, as TXT_DB skips it */
			r->p = nl + 1;
			continue;
		}
		if (parse_line(r->p, len, out, e) != 0) {
			r->p = r->end;
			return -1;
		}
		r->p = nl + 1;
		return 1;
	}
}
