/*
 * har.c - the bodies a HAR file (HTTP Archive, what browsers' developer
 * tools export) says were POSTed: an OCSP request sent by POST is in
 * log.entries[].request.postData.text, as
 *   - base64 ("encoding": "base64", which some exporters add, or unmarked);
 *   - or the binary body carried as text, one character per byte: \u00XX
 *     escapes or raw UTF-8 of U+0000..U+00FF (what a Latin-1 reading of the
 *     body gives).  A body some tool decoded as UTF-8 and replaced with
 *     U+FFFD is lost, and said to be none of these.
 *
 * No JSON library: every "postData" object is found by its key, its extent
 * by counting braces outside strings, and its "text" and "encoding" strings
 * are read with JSON's escapes.  That is enough for what exporters write and
 * never reads out of bounds on anything else (fuzz_explain).
 */
#include "explain/detect.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define HAR_KEY_POSTDATA "\"postData\""

/* End of the JSON string whose opening quote is at q (index of the closing quote), or len. */
static size_t
string_end(const uint8_t *d, size_t len, size_t q)
{
	for (size_t i = q + 1; i < len; i++) {
		if (d[i] == '\\')
			i++;
		else if (d[i] == '"')
			return i;
	}
	return len;
}

static int
is_json_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The object that is the value of the key ending at i (blanks, ':', blanks,
 * then '{'): [*from, *to) with its braces; 1 when the value is not an object
 * (null, say: the next '{' is some other key's), -1 when it never ends.
 */
static int
object_at(const uint8_t *d, size_t len, size_t i, size_t *from, size_t *to)
{
	int depth = 0;

	while (i < len && is_json_space(d[i]))
		i++;
	if (i >= len || d[i++] != ':')
		return 1;
	while (i < len && is_json_space(d[i]))
		i++;
	if (i >= len || d[i] != '{')
		return 1;
	*from = i;
	for (; i < len; i++) {
		if (d[i] == '"')
			i = string_end(d, len, i);
		else if (d[i] == '{')
			depth++;
		else if (d[i] == '}' && --depth == 0) {
			*to = i + 1;
			return 0;
		}
	}
	return -1;
}

static int
hex4(const uint8_t *p, unsigned *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		int c = p[k], x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
				  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (x < 0)
			return -1;
		*v = *v << 4 | (unsigned)x;
	}
	return 0;
}

/*
 * The JSON string at d[q] (its opening quote) as bytes, one per character:
 * out holds up to the string's length.  *wide is set when a character is
 * above U+00FF (then the text is not a binary body carried as text).
 */
static size_t
read_string(const uint8_t *d, size_t len, size_t q, uint8_t *out, int *wide)
{
	size_t end = string_end(d, len, q), n = 0;
	unsigned v;

	*wide = 0;
	for (size_t i = q + 1; i < end; i++) {
		uint8_t c = d[i];

		if (c == '\\' && i + 1 < end) {
			c = d[++i];
			if (c == 'u' && i + 4 < end && hex4(d + i + 1, &v) == 0) {
				i += 4;
				*wide |= v > 0xff;
				c = (uint8_t)v;
			} else {
				c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b'
				    : c == 'f' ? '\f' : c;
			}
		} else if ((c & 0xe0) == 0xc0 && i + 1 < end && (d[i + 1] & 0xc0) == 0x80) {
			v = (unsigned)(c & 0x1f) << 6 | (d[++i] & 0x3f);
			*wide |= v > 0xff;
			c = (uint8_t)v;
		} else if (c >= 0x80) {
			*wide = 1; /* a longer UTF-8 sequence, or not UTF-8 at all */
		}
		out[n++] = c;
	}
	return n;
}

/* The value of "key": a string in d[from, to), as its opening quote's index; 0 when absent. */
static size_t
key_string(const uint8_t *d, size_t from, size_t to, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = from; i + klen < to; i++) {
		size_t j;

		if (d[i] != '"')
			continue;
		if (memcmp(d + i, key, klen) != 0) {
			i = string_end(d, to, i);
			continue;
		}
		for (j = i + klen; j < to && (d[j] == ' ' || d[j] == '\t' || d[j] == '\n' ||
						d[j] == '\r'); j++)
			;
		if (j >= to || d[j] != ':')
			continue;
		for (j++; j < to && (d[j] == ' ' || d[j] == '\t' || d[j] == '\n' || d[j] == '\r'); j++)
			;
		return j < to && d[j] == '"' ? j : 0;
	}
	return 0;
}

/* base64 (blanks ignored) into out: bytes, or 0. */
static size_t
unbase64(const uint8_t *s, size_t n, uint8_t *out)
{
	char *b = malloc(n + 4);
	size_t m = 0, pad = 0;
	int got = -1;

	for (size_t i = 0; b != NULL && i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			b[m++] = (char)s[i];
	while (m > 0 && b[m - 1] == '=') {
		m--;
		pad++;
	}
	if (b != NULL && m > 0 && m % 4 != 1 && pad <= 2) {
		pad = (4 - m % 4) % 4;
		for (size_t k = 0; k < pad; k++)
			b[m++] = '=';
		got = EVP_DecodeBlock(out, (const unsigned char *)b, (int)m);
	}
	free(b);
	return got > (int)pad ? (size_t)got - pad : 0;
}

/* One postData object d[from, to): its body, if explain knows what it is. */
static void
one_post(const uint8_t *d, size_t from, size_t to, struct explain_input *in)
{
	size_t tq = key_string(d, from, to, "\"text\""), eq = key_string(d, from, to, "\"encoding\"");
	uint8_t *text, *der;
	size_t n, m;
	int wide, base64 = 0;

	if (tq == 0 || (text = malloc(to - tq)) == NULL)
		return;
	if ((der = malloc(to - tq)) == NULL) {
		free(text);
		return;
	}
	if (eq != 0) {
		uint8_t enc[16];
		int w;

		base64 = string_end(d, to, eq) - eq - 1 == 6 && read_string(d, to, eq, enc, &w) == 6 &&
			 memcmp(enc, "base64", 6) == 0;
	}
	n = read_string(d, to, tq, text, &wide);
	if (base64 || wide || explain_input_add(in, text, n) != 0) {
		m = unbase64(text, n, der);
		if (m > 0)
			explain_input_add(in, der, m);
	}
	free(text);
	free(der);
}

int
explain_har_posts(const uint8_t *data, size_t len, struct explain_input *in)
{
	const uint8_t *p = data;
	size_t from, to, klen = strlen(HAR_KEY_POSTDATA);

	while ((p = memmem(p, len - (size_t)(p - data), HAR_KEY_POSTDATA, klen)) != NULL &&
	       in->n < EXPLAIN_OBJECTS_MAX) {
		int rc = object_at(data, len, (size_t)(p - data) + klen, &from, &to);

		if (rc < 0)
			break;
		if (rc > 0) {
			p += klen;
			continue;
		}
		one_post(data, from, to, in);
		p = data + to;
	}
	return in->n > 0 ? 0 : -1;
}
