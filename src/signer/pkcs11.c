/*
 * pkcs11.c - private keys held in a PKCS#11 token, through the libp11
 * "pkcs11" engine (Debian: libengine-pkcs11-openssl).  Every line that
 * knows of the engine is in this file, so that an OpenSSL provider
 * (pkcs11-provider) can replace it without touching the rest.
 *
 * OpenSSL 3 deprecates the ENGINE API in favour of providers, but Debian 12
 * ships no PKCS#11 provider; libp11's engine is the maintained way there, so
 * this one file opts out of the deprecation warnings.  The key it returns is
 * an ordinary EVP_PKEY whose operations the engine forwards to the token.
 *
 * The URI is RFC 7512's.  lancre takes three of its query attributes out
 * before the engine sees it, because libp11 does not do them as the RFC and
 * an operator expect (pkcs11_uri_parse()):
 *   module-path=  the module; else [pkcs11] module; else PKCS11_MODULE_PATH;
 *   pin-source=file:PATH  the PIN is the file's first line, with or without
 *                 its line end (libp11 would send the newline as part of the
 *                 PIN); the file must not be readable by group or others;
 *   pin-value=    refused: a PIN does not belong in a key reference, which
 *                 is stored, backed up and shown.  LANCRE_PKCS11_PIN (the
 *                 environment) is the last fallback.
 * A PIN is wiped once handed to the engine, and no message here ever
 * repeats the URI (it might be an old one holding a pin-value).
 *
 * Sessions: libp11 keeps a pool of sessions per slot (up to 16) and takes
 * one for each signature, so each signing thread signs in its own session,
 * concurrently (docs/BENCHMARKS.md measures it).
 *
 * The engine is one per process (OpenSSL's engine list), and so is the
 * module libp11 loads into it: a second module in the same process is
 * refused, saying which one is in use (pkcs11_module_in_use below mirrors
 * that process-wide fact, under a lock).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "signer/key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#define PKCS11_PIN_MAX 256 /* bytes of a PIN file read; a PIN is far shorter */

/* The module the process-wide engine was given first (see the top). */
static pthread_mutex_t pkcs11_lock = PTHREAD_MUTEX_INITIALIZER;
static char pkcs11_module_in_use[PATH_MAX];

/* Percent-decode src[0..n) into out (RFC 3986); refuses %00 and bad escapes. */
static int
pct_decode(const char *src, size_t n, char *out, size_t len, const char *what, struct err *e)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int c = (unsigned char)src[i];
		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)src[i + 1]) ||
			    !isxdigit((unsigned char)src[i + 2]))
				return err_set(e, "PKCS#11 URI: a bad %%-escape in %s", what);
			char hex[3] = {src[i + 1], src[i + 2], '\0'};
			c = (unsigned int)strtoul(hex, NULL, 16);
			if (c == 0)
				return err_set(e, "PKCS#11 URI: a bad %%-escape in %s", what);
			i += 2;
		}
		if (o + 1 >= len)
			return err_set(e, "PKCS#11 URI: %s too long", what);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Whether attribute a[0..n) is name=...; *val is then its value. */
static int
attr_is(const char *a, size_t n, const char *name, const char **val)
{
	size_t k = strlen(name);

	if (n <= k || strncmp(a, name, k) != 0 || a[k] != '=')
		return 0;
	*val = a + k + 1;
	return 1;
}

/* pin-source's value: file:PATH or file:///PATH, an absolute path. */
static int
pin_source(const char *v, size_t n, struct pkcs11_uri *u, struct err *e)
{
	char src[PATH_MAX + 16];

	if (pct_decode(v, n, src, sizeof(src), "pin-source", e) != 0)
		return -1;
	const char *p = strncmp(src, "file://", 7) == 0 ? src + 7
		      : strncmp(src, "file:", 5) == 0	 ? src + 5
							 : NULL;
	if (p == NULL || p[0] != '/')
		return err_set(e, "PKCS#11 URI: pin-source must be file:/absolute/path");
	if (strlen(p) >= sizeof(u->pin_file))
		return err_set(e, "PKCS#11 URI: pin-source too long");
	memcpy(u->pin_file, p, strlen(p) + 1);
	return 0;
}

/* Append a[0..n) to the engine's URI after sep ('?' or '&'). */
static int
uri_append(struct pkcs11_uri *u, char sep, const char *a, size_t n, struct err *e)
{
	size_t len = strlen(u->engine_uri);

	if (len + 1 + n >= sizeof(u->engine_uri))
		return err_set(e, "PKCS#11 URI too long");
	u->engine_uri[len++] = sep;
	memcpy(u->engine_uri + len, a, n);
	u->engine_uri[len + n] = '\0';
	return 0;
}

int
pkcs11_uri_parse(const char *uri, struct pkcs11_uri *u, struct err *e)
{
	const char *q = strchr(uri, '?'), *v;
	size_t plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	char sep = '?';

	memset(u, 0, sizeof(*u));
	if (strncmp(uri, "pkcs11:", 7) != 0)
		return err_set(e, "not a PKCS#11 URI");
	if (plen >= sizeof(u->engine_uri))
		return err_set(e, "PKCS#11 URI too long");
	/* The path part (';'-separated) carries no PIN in RFC 7512, but libp11 reads one there. */
	for (const char *a = uri + 7; a < uri + plen;) {
		size_t n = strcspn(a, ";?");
		if (attr_is(a, n, "pin-value", &v) || attr_is(a, n, "pin-source", &v) ||
		    attr_is(a, n, "module-path", &v))
			return err_set(e, "PKCS#11 URI: %.*s= belongs in the query part (after '?')",
			    (int)(strchr(a, '=') - a), a);
		a += n + 1;
	}
	memcpy(u->engine_uri, uri, plen);
	for (const char *a = q != NULL ? q + 1 : NULL; a != NULL && *a != '\0';) {
		size_t n = strcspn(a, "&");
		int rc = 0;
		if (attr_is(a, n, "pin-value", &v))
			return err_set(e, "a PIN in the key URI (pin-value=) is refused: put the PIN in a "
					  "file only the signer's user can read and give "
					  "pin-source=file:/path/to/pin instead");
		else if (attr_is(a, n, "pin-source", &v))
			rc = pin_source(v, n - (size_t)(v - a), u, e);
		else if (attr_is(a, n, "module-path", &v))
			rc = pct_decode(v, n - (size_t)(v - a), u->module, sizeof(u->module),
			    "module-path", e);
		else if (n > 0) {
			rc = uri_append(u, sep, a, n, e);
			sep = '&';
		}
		if (rc != 0)
			return -1;
		a += n + (a[n] == '&');
	}
	if (u->module[0] != '\0' && u->module[0] != '/')
		return err_set(e, "PKCS#11 URI: module-path must be an absolute path");
	return 0;
}

int
pkcs11_pin_read(const char *path, char *out, size_t len, struct err *e)
{
	char buf[PKCS11_PIN_MAX];
	struct stat st;
	ssize_t got;
	size_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return err_set(e, "PIN file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "PIN file %s: not a regular file", path);
	}
	/* Refused rather than warned of: a daemon's warning is easily missed, a PIN is not. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return err_set(e, "PIN file %s: group or others may read it (mode %04o): "
				  "chmod 600 it (owned by the signer's user)",
		    path, (unsigned)(st.st_mode & 07777));
	}
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0)
		return err_set(e, "PIN file %s: %s", path, strerror(errno));
	/* The first line, with or without its line end (\n or \r\n). */
	n = strcspn(buf, "\r\n") < (size_t)got ? strcspn(buf, "\r\n") : (size_t)got;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			n = i;
	}
	if (n == 0 || n >= len || (size_t)got == sizeof(buf)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return err_set(e, "PIN file %s: %s", path, n == 0 ? "empty" : "PIN too long");
	}
	memcpy(out, buf, n);
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/*
 * libp11 asks OpenSSL's UI for a PIN it was not given, and the default UI
 * prompts on the terminal: a daemon must fail instead, saying no PIN was
 * given.  A UI whose reader always fails.
 */
static int
ui_refuse(UI *ui, UI_STRING *uis)
{
	(void)ui;
	(void)uis;
	return -1;
}

/* The module for u: module-path=, else [pkcs11] module, else PKCS11_MODULE_PATH. */
static const char *
module_for(const struct pkcs11_uri *u, const char *conf_module)
{
	const char *env = getenv("PKCS11_MODULE_PATH");

	if (u->module[0] != '\0')
		return u->module;
	if (conf_module != NULL && conf_module[0] != '\0')
		return conf_module;
	return env != NULL && env[0] != '\0' ? env : NULL;
}

/* The PIN for u into pin[len] ("" when none is configured): pin-source, else LANCRE_PKCS11_PIN. */
static int
pin_for(const struct pkcs11_uri *u, char *pin, size_t len, struct err *e)
{
	const char *env = getenv("LANCRE_PKCS11_PIN");

	pin[0] = '\0';
	if (u->pin_file[0] != '\0')
		return pkcs11_pin_read(u->pin_file, pin, len, e);
	if (env != NULL && strlen(env) >= len)
		return err_set(e, "LANCRE_PKCS11_PIN: PIN too long");
	if (env != NULL)
		memcpy(pin, env, strlen(env) + 1);
	return 0;
}

/* The engine, with module set: one module per process (see the top). */
static ENGINE *
engine_for(const char *module, struct err *e)
{
	ENGINE *eng;
	int clash;

	pthread_mutex_lock(&pkcs11_lock);
	clash = pkcs11_module_in_use[0] != '\0' && strcmp(pkcs11_module_in_use, module) != 0;
	if (!clash)
		snprintf(pkcs11_module_in_use, sizeof(pkcs11_module_in_use), "%s", module);
	pthread_mutex_unlock(&pkcs11_lock);
	if (clash) {
		err_set(e, "PKCS#11 module %s: this process already uses %s (one module per "
			   "process)", module, pkcs11_module_in_use);
		return NULL;
	}
	ENGINE_load_builtin_engines();
	eng = ENGINE_by_id("pkcs11");
	if (eng == NULL) {
		err_ossl(e, "PKCS#11 keys need the libp11 engine (Debian package "
			    "libengine-pkcs11-openssl)");
		return NULL;
	}
	/* libp11 prints its own diagnostics on stderr; we report one line ourselves. */
	(void)ENGINE_ctrl_cmd(eng, "QUIET", 0, NULL, NULL, 0);
	if (ENGINE_ctrl_cmd_string(eng, "MODULE_PATH", module, 0) != 1) {
		err_ossl(e, "PKCS#11 module %s", module);
		ENGINE_free(eng);
		return NULL;
	}
	return eng;
}

EVP_PKEY *
key_load_pkcs11(const char *uri, const char *conf_module, struct err *e)
{
	struct pkcs11_uri u;
	char pin[PKCS11_PIN_MAX];
	const char *module;
	ENGINE *eng;
	EVP_PKEY *k = NULL;
	UI_METHOD *ui = NULL;

	if (pkcs11_uri_parse(uri, &u, e) != 0)
		return NULL;
	if ((module = module_for(&u, conf_module)) == NULL) {
		err_set(e, "no PKCS#11 module: give module-path= in the URI, [pkcs11] module in "
			   "lancre.conf, or PKCS11_MODULE_PATH");
		return NULL;
	}
	if (pin_for(&u, pin, sizeof(pin), e) != 0 || (eng = engine_for(module, e)) == NULL) {
		OPENSSL_cleanse(pin, sizeof(pin));
		return NULL;
	}
	if (ENGINE_init(eng) != 1) {
		err_ossl(e, "cannot start the PKCS#11 engine with %s", module);
		goto out;
	}
	/* libp11 copies the PIN (it logs in again with it when a session is lost). */
	if (pin[0] != '\0' && ENGINE_ctrl_cmd_string(eng, "PIN", pin, 0) != 1)
		err_ossl(e, "the PKCS#11 engine refused the PIN");
	else if ((ui = UI_create_method("lancre: no prompt")) == NULL ||
		 UI_method_set_reader(ui, ui_refuse) != 0)
		err_ossl(e, "out of memory");
	else if ((k = ENGINE_load_private_key(eng, u.engine_uri, ui, NULL)) == NULL)
		err_ossl(e, "no usable private key at this PKCS#11 URI (token, object, %s?)",
		    pin[0] != '\0' ? "PIN" : "no PIN given");
	/* The key keeps its own reference to the engine; ours can go. */
	ENGINE_finish(eng);
out:
	UI_destroy_method(ui);
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(&u, sizeof(u));
	ENGINE_free(eng);
	return k;
}
