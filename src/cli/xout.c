/*
 * xout.c - see xout.h.
 */
#include "cli/xout.h"

#include <stdarg.h>
#include <string.h>

void
xout_init(struct xout *o, FILE *f, int json)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Comma and key of the next JSON member (key NULL inside an array). */
static void
member(struct xout *o, const char *key)
{
	if (o->count[o->depth]++ > 0)
		fputc(',', o->f);
	if (key != NULL) {
		json_string(o->f, key);
		fputc(':', o->f);
	}
}

static void
indent(struct xout *o)
{
	for (int i = 1; i <= o->depth; i++)
		if (o->labelled[i])
			fputs("  ", o->f);
}

static void
push_labelled(struct xout *o, int labelled)
{
	if (o->depth < XOUT_DEPTH_MAX - 1) {
		o->count[++o->depth] = 0;
		o->labelled[o->depth] = labelled;
	}
}

static void
push(struct xout *o)
{
	push_labelled(o, 0);
}

void
xout_begin(struct xout *o)
{
	o->depth = 0;
	o->count[0] = 0;
	if (o->json)
		fputc('{', o->f);
	push(o);
}

void
xout_end(struct xout *o)
{
	o->depth = 0;
	fputs(o->json ? "}\n" : "\n", o->f);
}

void
xout_str(struct xout *o, const char *key, const char *label, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o->json) {
		member(o, key);
		json_string(o->f, buf);
	} else if (label != NULL) {
		indent(o);
		fprintf(o->f, "%s: %s\n", label, buf);
	}
}

void
xout_int(struct xout *o, const char *key, const char *label, long long v)
{
	if (o->json) {
		member(o, key);
		fprintf(o->f, "%lld", v);
	} else if (label != NULL) {
		indent(o);
		fprintf(o->f, "%s: %lld\n", label, v);
	}
}

void
xout_bool(struct xout *o, const char *key, const char *label, int v)
{
	if (o->json) {
		member(o, key);
		fputs(v ? "true" : "false", o->f);
	} else if (label != NULL) {
		indent(o);
		fprintf(o->f, "%s: %s\n", label, v ? "yes" : "no");
	}
}

void
xout_say(struct xout *o, const char *text)
{
	if (o->json) {
		member(o, "summary");
		json_string(o->f, text);
	} else {
		indent(o);
		fprintf(o->f, "%s\n\n", text);
	}
}

static void
open_nested(struct xout *o, const char *key, const char *label, char opener)
{
	if (o->json) {
		member(o, key);
		fputc(opener, o->f);
	} else if (label != NULL) {
		indent(o);
		fprintf(o->f, "%s:\n", label);
	}
	push_labelled(o, !o->json && label != NULL);
}

void
xout_obj(struct xout *o, const char *key, const char *label)
{
	open_nested(o, key, label, '{');
}

void
xout_arr(struct xout *o, const char *key, const char *label)
{
	open_nested(o, key, label, '[');
}

void
xout_item(struct xout *o)
{
	if (o->json) {
		member(o, NULL);
		fputc('{', o->f);
	}
	push(o);
}

void
xout_close(struct xout *o, char closer)
{
	if (o->json)
		fputc(closer, o->f);
	if (o->depth > 0)
		o->depth--;
}
