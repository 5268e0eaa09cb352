/*
 * err.h - how lancre's library code reports failure.
 *
 * Library functions never print and never exit.  A function that can fail
 * takes a `struct err *` as its last argument, returns -1 (or NULL) on
 * failure and leaves one human-readable line in it, saying what failed and
 * why.  Callers add context in front with err_prefix() as the error travels
 * up, so the line a command finally prints reads like
 *     "certs/a.pem: certificate 3: unknown issuer (CN=Example CA)".
 * Only a command's main function prints the message and picks the exit code.
 */
#ifndef LANCRE_UTIL_ERR_H
#define LANCRE_UTIL_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 512

struct err {
	char msg[ERR_MSG_MAX];
};

/* Replace the message.  Always returns -1 so that `return err_set(...)` reads well. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like err_set(), then appends ": <first OpenSSL error reason>" and clears OpenSSL's queue. */
int err_ossl(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put "<prefix>: " in front of the current message.  Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit codes shared by every command (PRODUCT.md: 0 ok, 1 failed, 2 usage). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

#endif
