/*
 * timefmt.h - the one time format lancre reads and writes: RFC 3339 in UTC.
 *
 * Times inside lancre are `int64_t` seconds since the Unix epoch (UTC), which
 * covers every date an X.509 certificate can carry (years 0000-9999 in
 * GeneralizedTime) without the 2038 problem.
 */
#ifndef LANCRE_UTIL_TIMEFMT_H
#define LANCRE_UTIL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TIMEFMT_LEN 32 /* enough for "9999-12-31T23:59:59Z" and a terminator */

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least TIMEFMT_LEN bytes). */
void timefmt_format(int64_t t, char *buf, size_t len);

#define TIMEFMT_HTTP_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * Write t as an HTTP date (RFC 9110 IMF-fixdate) into buf: exactly
 * TIMEFMT_HTTP_LEN bytes, no terminator.  For years 0000-9999.
 */
void timefmt_http(int64_t t, char *buf);

/*
 * Parse an RFC 3339 date-time: "2026-11-28T10:00:00Z", with optional fractional
 * seconds (dropped) and an offset ("+01:00", "-05:30", "Z" or "z").  A lone
 * date ("2026-11-28") means midnight UTC.  Rejects anything else.
 */
int timefmt_parse(const char *s, int64_t *out, struct err *e);

struct timefmt_civil {
	int year, mon, day, hour, min, sec;
};

/* The civil UTC date and time of t. */
void timefmt_to_civil(int64_t t, struct timefmt_civil *out);

/* Seconds since the epoch for a civil UTC date; no range checks. */
int64_t timefmt_from_civil(int year, int mon, int day, int hour, int min, int sec);

#endif
