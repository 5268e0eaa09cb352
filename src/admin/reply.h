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

#endif
