/*
 * about_builtin.h - the about page's built-in languages.
 *
 * Their text is not in this tree's C: each is the operator-facing file
 * share/about/<tag>.html (English and French), in the form about_tpl.h
 * describes, which `make install` also installs (PREFIX/share/lancre/about/)
 * for an operator to copy to DIR/about/<tag>.html and adapt.  The build
 * turns those same files into a generated C file (scripts/embed_about.sh,
 * build/gen/about_builtin.c), so the page a server shows and the file an
 * operator copies cannot drift apart.  English, the fallback of every key
 * and every visitor, must be among them.
 */
#ifndef LANCRE_SERVER_ABOUT_BUILTIN_H
#define LANCRE_SERVER_ABOUT_BUILTIN_H

#include <stddef.h>

struct about_builtin {
	const char *tag;  /* the file's name without .html */
	const char *text; /* its bytes, NUL-terminated */
	size_t len;       /* without the NUL */
};

/* Every share/about/<tag>.html, in the order of their names. */
extern const struct about_builtin about_builtin[];
extern const size_t about_nbuiltin;

#endif
