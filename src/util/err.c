/*
 * err.c - error messages for library code; see err.h for the contract.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/*
 * Formatted into a buffer of its own first: a caller may pass e->msg as an
 * argument ("%s: more", e->msg), and vsnprintf with its destination among
 * its sources is undefined.
 */
int
err_set(struct err *e, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(e->msg, msg, sizeof(e->msg));
	return -1;
}

int
err_ossl(struct err *e, const char *fmt, ...)
{
	va_list ap;
	unsigned long code;
	char reason[256], msg[ERR_MSG_MAX];
	size_t len;

	/* The oldest error is usually the root cause; the rest is call-chain noise. */
	code = ERR_peek_error();
	ERR_clear_error();
	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* as err_set: e->msg may be an argument */
	va_end(ap);
	memcpy(e->msg, msg, sizeof(e->msg));
	if (code != 0) {
		ERR_error_string_n(code, reason, sizeof(reason));
		len = strlen(e->msg);
		/* ERR_error_string_n gives "error:CODE:lib:func:reason"; keep the reason. */
		const char *r = strrchr(reason, ':');
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", r != NULL ? r + 1 : reason);
	}
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	return -1;
}
