/*
 * der.c - see der.h.
 */
#include "util/der.h"

#include "util/timefmt.h"

int
der_next(struct der_reader *d, struct der_tlv *t)
{
	const uint8_t *p = d->p;
	size_t len, avail = (size_t)(d->end - p);

	if (avail < 2 || (p[0] & 0x1f) == 0x1f) /* no high tag numbers */
		return -1;
	t->tag = p[0];
	t->start = p;
	if (p[1] < 0x80) {
		len = p[1];
		p += 2;
	} else {
		size_t n = p[1] & 0x7f;
		if (n == 0 || n > 3 || avail < 2 + n) /* indefinite, or over 16 MiB */
			return -1;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		p += 2 + n;
	}
	if (len > (size_t)(d->end - p))
		return -1;
	t->val = p;
	t->len = len;
	t->total = (size_t)(p + len - t->start);
	d->p = p + len;
	return 0;
}

int
der_expect(struct der_reader *d, uint8_t tag, struct der_tlv *t, struct der_reader *inner)
{
	if (der_next(d, t) != 0 || t->tag != tag)
		return -1;
	if (inner != NULL)
		*inner = der_reader(t->val, t->len);
	return 0;
}

uint8_t *
der_put_header(uint8_t *out, uint8_t tag, size_t n)
{
	size_t k = der_header_len(n) - 2;

	*out++ = tag;
	if (k == 0) {
		*out++ = (uint8_t)n;
		return out;
	}
	*out++ = (uint8_t)(0x80 | k);
	for (size_t i = k; i > 0; i--)
		*out++ = (uint8_t)(n >> (8 * (i - 1)));
	return out;
}

static uint8_t *
two_digits(uint8_t *out, int v)
{
	*out++ = (uint8_t)('0' + v / 10 % 10);
	*out++ = (uint8_t)('0' + v % 10);
	return out;
}

/* Years 0-9999 (what GeneralizedTime holds); written by hand, three per OCSP response. */
static uint8_t *
put_time(uint8_t *out, int64_t t, int utc_allowed)
{
	struct timefmt_civil c;
	int utc;

	timefmt_to_civil(t, &c);
	utc = utc_allowed && c.year >= 1950 && c.year < 2050;
	*out++ = utc ? DER_UTC_TIME : DER_GENERALIZED_TIME;
	*out++ = utc ? 13 : 15;
	if (!utc)
		out = two_digits(out, c.year / 100);
	out = two_digits(out, c.year % 100);
	out = two_digits(out, c.mon);
	out = two_digits(out, c.day);
	out = two_digits(out, c.hour);
	out = two_digits(out, c.min);
	out = two_digits(out, c.sec);
	*out++ = 'Z';
	return out;
}

uint8_t *
der_put_generalized_time(uint8_t *out, int64_t t)
{
	return put_time(out, t, 0);
}

uint8_t *
der_put_x509_time(uint8_t *out, int64_t t)
{
	return put_time(out, t, 1);
}
