/*
 * about_lang.h - which of the about page's languages a visitor gets, from
 * the Accept-Language header (RFC 9110 12.5.4) or an explicit ?lang=TAG.
 *
 * A pure function over the header's bytes: no allocation, no I/O, so it is
 * tested alone (tests/unit/server/test_about_lang.c).
 */
#ifndef LANCRE_SERVER_ABOUT_LANG_H
#define LANCRE_SERVER_ABOUT_LANG_H

#include <stddef.h>

/* A language tag's length at most (RFC 5646's longest in practice, "zh-Hant-TW" and kin). */
#define ABOUT_LANG_TAG_MAX 35

/*
 * The index in tags[0..n) of the language to serve for an Accept-Language
 * value (hdr, len; hdr may be NULL): the range with the highest q-value that
 * matches a tag wins, and among equal q-values the one listed first.  A range
 * matches a tag equal to it, a tag it is a prefix of ("fr" matches "fr-CA"),
 * or a tag that is a prefix of it ("fr-CA" falls back to "fr"); "*" matches
 * any; q=0 means "not this one".  Case is ignored.  dflt when nothing matches
 * or the header is missing or malformed.
 */
size_t about_lang_pick(const char *hdr, size_t len, const char *const *tags, size_t n, size_t dflt);

/*
 * The tag named by "lang=TAG" in a query string (query, len: what follows
 * '?', may be NULL): its index in tags[0..n), or n when there is none or it
 * is not one of tags.
 */
size_t about_lang_query(const char *query, size_t len, const char *const *tags, size_t n);

/* 1 if s is a plausible language tag: letters, digits and '-', a letter first, at most ABOUT_LANG_TAG_MAX. */
int about_lang_tag_ok(const char *s, size_t len);

#endif
