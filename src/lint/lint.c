/*
 * lint.c - see lint.h: the parts common to every table (levels, the joined
 * list of rules, reports).
 */
#include "lint/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum lint_level
lint_level(const struct lint_def *d)
{
	switch (d->id[0]) {
	case 'e':
		return LINT_ERROR;
	case 'w':
		return LINT_WARNING;
	default:
		return LINT_NOTICE;
	}
}

const char *
lint_level_name(enum lint_level l)
{
	return l == LINT_ERROR ? "error" : l == LINT_WARNING ? "warning" : "notice";
}

/* The tables in the order of enum lint_kind. */
static const struct lint_def *(*const tables[])(size_t) = {
    lint_crl_def_at, lint_ocsp_def_at, lint_cert_def_at, lint_responder_def_at,
};

const char *
lint_kind_title(enum lint_kind k)
{
	static const char *const titles[] = {"CRLs", "OCSP responses", "Certificates",
	    "Delegated OCSP responder certificates"};

	return titles[k];
}

const struct lint_def *
lint_def_at(size_t i)
{
	const struct lint_def *d;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		size_t n = 0;

		while ((d = tables[t](n)) != NULL && n < i)
			n++;
		if (d != NULL)
			return d;
		i -= n;
	}
	return NULL;
}

const struct lint_def *
lint_def_find(const char *id)
{
	const struct lint_def *d;

	for (size_t i = 0; (d = lint_def_at(i)) != NULL; i++)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

size_t
lint_count(const struct lint_report *r, enum lint_level l)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += lint_level(r->v[i].def) == l;
	return n;
}

void
lint_add(struct lint_report *r, const struct lint_def *d, const char *fmt, ...)
{
	va_list ap;
	struct lint_finding *f;

	if (r->n >= LINT_FINDINGS_MAX) /* cannot happen: a table is shorter */
		return;
	f = &r->v[r->n++];
	f->def = d;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}
