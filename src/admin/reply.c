/*
 * reply.c - JSON answers; see reply.h.
 */
#include "admin/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/wait.h"
#include "util/err.h"

/* When even the answer cannot be made (out of memory): a fixed one. */
static void
fallback(struct admin_response *rs)
{
	static const char oom[] = "{\"error\":\"out of memory\"}\n";

	rs->status = 500;
	rs->body = malloc(sizeof(oom));
	rs->len = rs->body != NULL ? sizeof(oom) - 1 : 0;
	if (rs->body != NULL)
		memcpy(rs->body, oom, sizeof(oom));
}

void
admin_reply_json(struct admin_response *rs, int status, json_t *body)
{
	char *text;
	size_t n;

	if (rs->keep_json && status == 200 && body != NULL) { /* for ?wait=served (api.h) */
		json_decref(rs->json);
		rs->json = body;
		rs->status = status;
		return;
	}
	text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(body);
	if (text == NULL) {
		fallback(rs);
		return;
	}
	n = strlen(text);
	rs->status = status;
	rs->body = malloc(n + 2);
	if (rs->body == NULL) {
		free(text);
		fallback(rs);
		return;
	}
	memcpy(rs->body, text, n);
	rs->body[n] = '\n';
	rs->body[n + 1] = '\0';
	rs->len = n + 1;
	free(text);
}

/*
 * Room in t for n more bytes, and 2 past them (the newline and terminator
 * admin_reply_text adds): 0, or -1 with t failed.
 */
static int
text_reserve(struct admin_text *t, size_t n)
{
	size_t cap = t->cap == 0 ? 4096 : t->cap;
	char *p;

	if (t->len + n + 2 <= t->cap)
		return 0;
	while (cap < t->len + n + 2)
		cap *= 2;
	if ((p = realloc(t->p, cap)) == NULL) {
		t->failed = 1;
		return -1;
	}
	t->p = p;
	t->cap = cap;
	return 0;
}

void
admin_text_put(struct admin_text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room = t->cap - t->len;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p != NULL ? t->p + t->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	if ((size_t)n >= room) {
		if (text_reserve(t, (size_t)n) != 0)
			return;
		va_start(ap, fmt);
		vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void
admin_text_add(struct admin_text *t, const char *s, size_t n)
{
	if (t->failed || text_reserve(t, n) != 0)
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

void
admin_reply_text(struct admin_response *rs, int status, struct admin_text *t)
{
	if (t->failed || t->cap < t->len + 2) {
		free(t->p);
		*t = (struct admin_text){0};
		fallback(rs);
		return;
	}
	t->p[t->len] = '\n';
	t->p[t->len + 1] = '\0';
	rs->status = status;
	rs->body = t->p;
	rs->len = t->len + 1;
	*t = (struct admin_text){0};
}

static void
reply_error(struct admin_response *rs, int status, json_t *fields, const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];
	json_t *v, *o;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Not UTF-8 (a byte of a name, cut): the same line with '?' for what is not ASCII. */
	if ((v = json_string(msg)) == NULL) {
		for (char *p = msg; *p != '\0'; p++)
			*p = (unsigned char)*p >= 0x80 ? '?' : *p;
		v = json_string(msg);
	}
	/* "error" first: the fields follow it in the answer's text. */
	o = v != NULL ? json_pack("{s:o}", "error", v) : NULL;
	if (o != NULL && fields != NULL && json_object_update(o, fields) != 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(fields);
	admin_reply_json(rs, status, o);
}

void
admin_reply_error(struct admin_response *rs, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(rs, status, NULL, fmt, ap);
	va_end(ap);
}

void
admin_reply_error_with(struct admin_response *rs, int status, json_t *fields, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(rs, status, fields, fmt, ap);
	va_end(ap);
}

void
admin_response_free(struct admin_response *rs)
{
	free(rs->body);
	admin_wait_free(rs->wait);
	rs->wait = NULL;
	json_decref(rs->json);
	rs->json = NULL;
	rs->body = NULL;
	rs->len = 0;
}
