/*
 * about_tpl.h - one language of the about page, as a template.
 *
 * A template is UTF-8 text: a header of "key: value" lines (the short
 * strings the generated parts of the page need: its title, the directory's
 * column names...), a line "---", then the page's body in HTML.  Lines of
 * the header that are blank or start with '#' are comments; a key the
 * template does not set falls back to the English one; a text without a
 * "---" line is all body.  In the title and the body, {ca}, {contact},
 * {domain}, {names}, {ocsp_example} and {directory} are replaced by the page
 * builder (about.c), which adds the directory at the end of a body without
 * one; any other brace is copied as it is.
 *
 * The built-in English and French templates are share/about/en.html and
 * fr.html (about_builtin.h); an operator adds or replaces a language with
 * DIR/about/<tag>.html in the same form, copied from one of those
 * (docs/OPERATOR.md, "The about page").
 */
#ifndef LANCRE_SERVER_ABOUT_TPL_H
#define LANCRE_SERVER_ABOUT_TPL_H

#include <stddef.h>

#include "server/about_lang.h"
#include "util/err.h"

/* A template file's size at most: the built-in ones are under 8 KB. */
#define ABOUT_TPL_MAX (64 * 1024)

enum about_key {
	ABOUT_K_NAME,        /* the language's name in itself, for the links between languages */
	ABOUT_K_TITLE,       /* the page's <title> and <h1> */
	ABOUT_K_LANGUAGES,   /* label of the list of languages */
	ABOUT_K_DIRECTORY,   /* heading of the directory of what this origin publishes */
	ABOUT_K_ISSUER,      /* "Issuer" */
	ABOUT_K_CERTIFICATE, /* "Certificate" */
	ABOUT_K_CRL,         /* column: which CRL */
	ABOUT_K_SIGNED,      /* column: thisUpdate */
	ABOUT_K_AGE,         /* column: age of the CRL when the page was built */
	ABOUT_K_NEXT_UPDATE, /* column: nextUpdate */
	ABOUT_K_SIZE,        /* column: size */
	ABOUT_K_FULL_CRL,    /* "full CRL" */
	ABOUT_K_SHARD,       /* "shard" (followed by its number) */
	ABOUT_K_DELTA,       /* "delta" */
	ABOUT_K_NO_CRL,      /* when an issuer has no CRL yet */
	ABOUT_K_CCADB,       /* the CCADB JSON list's label */
	ABOUT_K_AS_OF,       /* "Ages as of" (followed by the time the page was built) */
	ABOUT_K_BYTES,       /* unit after a size */
	ABOUT_K_MINUTES,     /* unit of an age under an hour */
	ABOUT_K_HOURS,       /* unit of an age under two days */
	ABOUT_K_DAYS,        /* unit of an older age */
	ABOUT_K_UNNAMED_CA,  /* {ca} when neither lancre.conf nor the issuers name one */
	ABOUT_K_NO_CONTACT,  /* {contact} when lancre.conf gives none */
	ABOUT_NKEYS
};

/* The key's name in a template ("name", "title", "no_contact"...). */
const char *about_key_name(enum about_key k);

struct about_tpl {
	char tag[ABOUT_LANG_TAG_MAX + 1];
	char *text;                   /* an owned copy: val[] and body point into it */
	const char *val[ABOUT_NKEYS]; /* NUL-terminated; NULL when the template does not set it */
	const char *body;             /* NUL-terminated */
};

/*
 * Parse len bytes of text as the template of language tag into t (which owns
 * a copy after; free it with about_tpl_free).  Fails only on a bad tag, a
 * NUL byte in the text, or memory.
 */
int about_tpl_parse(struct about_tpl *t, const char *tag, const char *text, size_t len,
    struct err *e);

/* Frees what t owns; accepts a zeroed t. */
void about_tpl_free(struct about_tpl *t);

#endif
