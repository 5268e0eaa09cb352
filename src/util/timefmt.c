/*
 * timefmt.c - RFC 3339 parsing and formatting without the C library's
 * locale- and TZ-dependent time functions (timegm is not in C11 and mktime
 * depends on $TZ).  The civil-date arithmetic is the well-known days-from-civil
 * algorithm, valid for the proleptic Gregorian calendar.
 */
#include "util/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t
timefmt_from_civil(int year, int mon, int day, int hour, int min, int sec)
{
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (mon + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + hour * 3600 + min * 60 + sec;
}

static void
civil_from_days(int64_t z, int *year, int *mon, int *day)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int)(yoe + era * 400 + (m <= 2));
	*mon = (int)m;
	*day = (int)d;
}

void
timefmt_to_civil(int64_t t, struct timefmt_civil *out)
{
	int64_t days = t / 86400, rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &out->year, &out->mon, &out->day);
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem / 60 % 60);
	out->sec = (int)(rem % 60);
}

static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * Years 0000-9999 by hand (what "%04d" writes for them): a bundle's answer
 * through the admin API writes three a certificate.  Others through snprintf.
 */
void
timefmt_format(int64_t t, char *buf, size_t len)
{
	struct timefmt_civil c;
	char *p = buf;

	timefmt_to_civil(t, &c);
	if (c.year < 0 || c.year > 9999 || len < sizeof("YYYY-MM-DDTHH:MM:SSZ")) {
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.mon, c.day, c.hour,
		    c.min, c.sec);
		return;
	}
	p = put2(p, c.year / 100);
	p = put2(p, c.year % 100);
	*p++ = '-';
	p = put2(p, c.mon);
	*p++ = '-';
	p = put2(p, c.day);
	*p++ = 'T';
	p = put2(p, c.hour);
	*p++ = ':';
	p = put2(p, c.min);
	*p++ = ':';
	p = put2(p, c.sec);
	*p++ = 'Z';
	*p = '\0';
}

/*
 * By hand rather than gmtime_r() + strftime(): the server writes two of these
 * per OCSP answer, and gmtime_r() takes glibc's time zone lock every call,
 * which the server's threads then contend for.
 */
void
timefmt_http(int64_t t, char *buf)
{
	static const char wdays[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 was a Thursday */
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct timefmt_civil c;
	int64_t days = t / 86400 - (t % 86400 < 0);
	int wday = (int)(days % 7 + (days % 7 < 0 ? 7 : 0));
	char *p = buf;

	timefmt_to_civil(t, &c);
	memcpy(p, wdays + 3 * wday, 3);
	p[3] = ',';
	p[4] = ' ';
	p = put2(p + 5, c.day);
	*p++ = ' ';
	memcpy(p, months + 3 * (c.mon - 1), 3);
	p[3] = ' ';
	p = put2(p + 4, c.year / 100);
	p = put2(p, c.year % 100);
	*p++ = ' ';
	p = put2(p, c.hour);
	*p++ = ':';
	p = put2(p, c.min);
	*p++ = ':';
	p = put2(p, c.sec);
	memcpy(p, " GMT", 4);
}

/* Read exactly n decimal digits from *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int
timefmt_parse(const char *s, int64_t *out, struct err *e)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		goto bad;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			goto bad;
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &sec))
			goto bad;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
				goto bad;
		} else {
			goto bad;
		}
		if (*p != '\0')
			goto bad;
	}
	/* RFC 3339 allows second 60 for leap seconds; fold it into the next second. */
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		goto bad;
	*out = timefmt_from_civil(y, mo, d, h, mi, sec) - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return err_set(e, "'%s' is not an RFC 3339 date-time (like 2026-11-28T10:00:00Z)", s);
}
