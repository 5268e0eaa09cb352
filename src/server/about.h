/*
 * about.h - the about page: the domain explaining itself to whoever notices
 * its traffic, in every language there is a template for (about_tpl.h),
 * followed by a directory of what this origin publishes.
 *
 * The pages are built whole when a snapshot is built (snapshot.h), from the
 * snapshot's settings and catalog and the operator's templates in
 * DIR/about/, never per request: a request only picks one (about_choose) and
 * sends its bytes.  Building reads DIR/about/ (the server's only read of its
 * data directory after start-up, at load, never on the request path).
 */
#ifndef LANCRE_SERVER_ABOUT_H
#define LANCRE_SERVER_ABOUT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "server/about_lang.h"
#include "util/err.h"

#define ABOUT_DIR "about"  /* DIR/about/<tag>.html: the operator's templates */
#define ABOUT_LANGS_MAX 32 /* languages at most, the two built-in ones included */

struct shared_catalog;

struct about_page {
	char tag[ABOUT_LANG_TAG_MAX + 1]; /* its Content-Language */
	char *html;
	size_t len;
	uint64_t etag; /* a hash of html */
};

struct about_pages {
	struct about_page page[ABOUT_LANGS_MAX]; /* page[0] is English, the default */
	const char *tags[ABOUT_LANGS_MAX];       /* page[i].tag, for about_lang_pick() */
	size_t n;
	size_t skipped; /* operator templates left out (unreadable, too big, bad name, too many) */
};

/*
 * The pages for settings c (the CA's name and contact, the URL forms) and
 * catalog cat (issuers and CRLs; ages are counted at now), with the
 * built-in English and French and each DIR/about/<tag>.html (dir may be
 * NULL: the built-in ones only).  NULL only when out of memory; a template
 * that cannot be used is counted in skipped and left out.
 */
struct about_pages *about_build(const struct conf *c, const struct shared_catalog *cat,
    const char *dir, int64_t now, struct err *e);

void about_free(struct about_pages *p); /* accepts NULL */

/*
 * The page for a request: the language its query names ("lang=fr", query
 * may be NULL), else the best match for its Accept-Language value (accept
 * may be NULL), else English.
 */
const struct about_page *about_choose(const struct about_pages *p, const char *query,
    size_t query_len, const char *accept, size_t accept_len);

#endif
