/*
 * reply.h - the admin API's JSON answers (libjansson), for api.c and the
 * endpoints.
 */
#ifndef LANCRE_ADMIN_REPLY_H
#define LANCRE_ADMIN_REPLY_H

#include <jansson.h>

#include "admin/api.h"

/* rs = status with {"error": msg}. */
void admin_reply_error(struct admin_response *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * rs = status with {"error": msg} and then the members of fields (an
 * object, taken: decref'd here; NULL: none), in one answer.
 */
void admin_reply_error_with(struct admin_response *rs, int status, json_t *fields,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* rs = status with body (taken: decref'd here), compact JSON and a newline. */
void admin_reply_json(struct admin_response *rs, int status, json_t *body);

/*
 * An answer's JSON written as text, for the one answer too big to build as
 * jansson objects: a bundle's list of certificates (building and dumping
 * 1,000 objects was 7% of the admin process's CPU per certificate, more than
 * its SQLite commit).  Zeroed to start; grows as it is written.
 */
struct admin_text {
	char *p;
	size_t len, cap;
	int failed; /* out of memory: admin_reply_text answers 500 */
};

void admin_text_put(struct admin_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* n bytes of s, as they are (admin_text_put's formatting was a bundle answer's main cost). */
void admin_text_add(struct admin_text *t, const char *s, size_t n);

/* rs = status with t's text and a newline, as admin_reply_json writes it; t is taken (emptied). */
void admin_reply_text(struct admin_response *rs, int status, struct admin_text *t);

#endif
