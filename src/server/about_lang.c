/*
 * about_lang.c - see about_lang.h.
 *
 * Each range of Accept-Language is scored against every tag in one pass over
 * the header; a q-value is read as RFC 9110 writes it (0, 1, or 0. and up to
 * three digits), kept in thousandths so no floating point is involved.  A
 * malformed q-value makes that range count as q=0 (ignored), not the header.
 */
#include "server/about_lang.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define Q_ONE 1000

int
about_lang_tag_ok(const char *s, size_t len)
{
	if (len == 0 || len > ABOUT_LANG_TAG_MAX || !isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	}
	return s[len - 1] != '-';
}

/* "fr" and "fr-CA" match each other; "fr" and "fro" do not. */
static int
range_matches(const char *r, size_t rl, const char *tag)
{
	size_t tl = strlen(tag), n = rl < tl ? rl : tl;

	if (strncasecmp(r, tag, n) != 0)
		return 0;
	if (rl == tl)
		return 1;
	return (rl < tl ? tag[n] : r[n]) == '-';
}

/* The q of a parameter list ";q=0.8" (p, len), in thousandths; Q_ONE when absent, -1 if malformed. */
static int
parse_q(const char *p, size_t len)
{
	size_t i = 0;
	int q = 0, digits = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == ';'))
		i++;
	if (i == len)
		return Q_ONE;
	if (len - i < 3 || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=')
		return -1;
	i += 2;
	if (p[i] != '0' && p[i] != '1')
		return -1;
	q = (p[i++] - '0') * Q_ONE;
	if (i < len && p[i] == '.') {
		for (i++; i < len && isdigit((unsigned char)p[i]) && digits < 3; i++, digits++)
			q += (p[i] - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
	}
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i == len && q <= Q_ONE ? q : -1;
}

/* The tag range r names: an equal one first, else a related one; n if none.  "*": dflt. */
static size_t
match_range(const char *r, size_t rl, const char *const *tags, size_t n, size_t dflt)
{
	if (rl == 1 && r[0] == '*')
		return dflt;
	for (size_t t = 0; t < n; t++) {
		if (strlen(tags[t]) == rl && strncasecmp(r, tags[t], rl) == 0)
			return t;
	}
	for (size_t t = 0; t < n; t++) {
		if (range_matches(r, rl, tags[t]))
			return t;
	}
	return n;
}

size_t
about_lang_pick(const char *hdr, size_t len, const char *const *tags, size_t n, size_t dflt)
{
	size_t best = dflt, pos = 0;
	int best_q = 0;

	while (hdr != NULL && pos < len) {
		const char *item = hdr + pos, *comma = memchr(item, ',', len - pos);
		size_t il = comma != NULL ? (size_t)(comma - item) : len - pos, rl = 0, rs = 0;
		size_t t;
		int q;

		pos += il + 1;
		while (rs < il && (item[rs] == ' ' || item[rs] == '\t'))
			rs++;
		while (rs + rl < il && item[rs + rl] != ';' && item[rs + rl] != ' ' &&
		       item[rs + rl] != '\t')
			rl++;
		if (rl == 0 || (q = parse_q(item + rs + rl, il - rs - rl)) <= best_q)
			continue;
		if ((t = match_range(item + rs, rl, tags, n, dflt)) < n) {
			best = t;
			best_q = q;
		}
	}
	return best;
}

size_t
about_lang_query(const char *query, size_t len, const char *const *tags, size_t n)
{
	size_t pos = 0;

	while (query != NULL && pos < len) {
		const char *p = query + pos, *amp = memchr(p, '&', len - pos);
		size_t pl = amp != NULL ? (size_t)(amp - p) : len - pos;

		pos += pl + 1;
		if (pl <= 5 || memcmp(p, "lang=", 5) != 0)
			continue;
		for (size_t t = 0; t < n; t++) {
			if (strlen(tags[t]) == pl - 5 && strncasecmp(p + 5, tags[t], pl - 5) == 0)
				return t;
		}
	}
	return n;
}
