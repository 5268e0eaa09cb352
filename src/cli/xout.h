/*
 * xout.h - one way to write explain's results as text for people or as JSON
 * for scripts, so each fact is written once with both its stable JSON key
 * and its human label and the two outputs cannot drift apart.
 *
 * Text: "label: value" lines, indented under each heading; JSON: one object per
 * input on one line (JSON Lines), keys as given.  Objects and arrays nest up
 * to XOUT_DEPTH_MAX.
 */
#ifndef LANCRE_CLI_XOUT_H
#define LANCRE_CLI_XOUT_H

#include <stdint.h>
#include <stdio.h>

#define XOUT_DEPTH_MAX 8

struct xout {
	FILE *f;
	int json;
	int depth;
	int count[XOUT_DEPTH_MAX];    /* members written at each depth, for JSON commas */
	int labelled[XOUT_DEPTH_MAX]; /* text: the level has a heading, so it is indented */
};

void xout_init(struct xout *o, FILE *f, int json);
/* The object of one input: "{" in JSON, nothing in text. */
void xout_begin(struct xout *o);
void xout_end(struct xout *o);

/* key: "value" / label: value.  label NULL: JSON only. */
void xout_str(struct xout *o, const char *key, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void xout_int(struct xout *o, const char *key, const char *label, long long v);
void xout_bool(struct xout *o, const char *key, const char *label, int v);

/* A paragraph of plain words (text), or the "summary" string (JSON). */
void xout_say(struct xout *o, const char *text);

/* Nested object (key; label is its heading in text) or array (items are objects). */
void xout_obj(struct xout *o, const char *key, const char *label);
void xout_arr(struct xout *o, const char *key, const char *label);
void xout_item(struct xout *o); /* an object inside an array */
void xout_close(struct xout *o, char closer); /* '}' or ']' */

#endif
