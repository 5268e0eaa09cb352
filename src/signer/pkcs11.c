/*
 * pkcs11.c - private keys held in a PKCS#11 token.  Every line of lancre
 * that speaks PKCS#11 is in this file, so that an OpenSSL provider
 * (pkcs11-provider) can replace it without touching the rest: what it
 * returns is an ordinary EVP_PKEY whose signatures the token makes.
 *
 * Why not the libp11 engine (Debian 12's libengine-pkcs11-openssl 0.4.12),
 * which lancre used before: it cannot get a key back once its token went
 * away.  Its object handles stay cached after the token returns (every
 * signature then fails "Object handle invalid"), its RE_ENUMERATE control
 * fails, and finishing the engine to start over crashes the process.  An HSM
 * operator expects the signer to resume by itself, so lancre calls the
 * module directly (Cryptoki 2.40, the few functions below) and owns that
 * state:
 *   - a module is loaded and C_Initialize'd once per process and path, and
 *     C_Finalize'd and unloaded when its last key is freed: the signer frees
 *     every key before it loads them again, so a reload after a failure
 *     starts from a fresh module (SoftHSM rescans its token directory, a
 *     network HSM's client reconnects);
 *   - each key keeps a pool of sessions, opened as signing threads ask for
 *     them and given back after each signature: one per signing thread, so
 *     threads sign concurrently ([pkcs11] sessions caps the pool; 1 makes
 *     every signature wait for the one session, docs/BENCHMARKS.md).  The
 *     first session logs in (login is per token and process in PKCS#11) and
 *     the pool keeps the login alive; a session the token closed is dropped;
 *   - the EVP_PKEY is an EC_KEY or RSA whose method signs with CKM_ECDSA or
 *     CKM_RSA_PKCS (CKM_RSA_X_509 for OpenSSL's own padding), built from the
 *     public half read from the token.  A failure is put on OpenSSL's error
 *     queue as the CKR name, so err_ossl() reports it.
 *
 * The URI is read by util/pkcs11_uri.c (RFC 7512: which attributes, a
 * pin-value= refused); this file acts on what it names.  The module is
 * module-path=, else [pkcs11] module, else PKCS11_MODULE_PATH.  The PIN is
 * pin-source=file:PATH's first line, with or without its line end (the file
 * must not be readable by group or others: refused, not warned of, as a
 * daemon's warning is easily missed), else LANCRE_PKCS11_PIN (the
 * environment).  A PIN is wiped once the token has it; no message repeats
 * the URI.
 *
 * EC_KEY_METHOD and RSA_METHOD are deprecated in OpenSSL 3 in favour of
 * providers; Debian 12 ships no PKCS#11 provider, so this one file opts out
 * of the deprecation warnings until one replaces it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "signer/key.h"

#include <dlfcn.h>
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
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <p11-kit/pkcs11.h>

#include "util/fsutil.h"
#include "util/pkcs11_uri.h"

#define PKCS11_PIN_MAX 256     /* bytes of a PIN file read; a PIN is far shorter */
#define PKCS11_SESSIONS_MAX 65 /* a key's sessions: SIGNER_THREADS_MAX + the main thread */
#define PKCS11_ATTR_MAX 2048   /* an attribute read (an RSA-16384 modulus, an EC point) */
#define PKCS11_SIG_MAX 2048    /* a signature (RSA-16384) */
#define PKCS11_SLOTS_MAX 256   /* slots looked through for the token */

/*
 * A loaded module.  Process-wide because Cryptoki is: C_Initialize once per
 * process, shared by every key from that module (p11_modules, under
 * p11_lock).
 */
struct p11_module {
	char path[PATH_MAX];
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int refs;     /* keys using it */
	int finalize; /* we initialised it: finalise it with the last key */
	struct p11_module *next;
};

/* A key in a token, attached to its EC_KEY or RSA (ex_data): freed with it. */
struct p11_key {
	struct p11_module *mod;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE obj;
	pthread_mutex_t lock;
	pthread_cond_t idle_cv;
	CK_SESSION_HANDLE idle[PKCS11_SESSIONS_MAX];
	int nidle, nopen, max; /* sessions idle, open (idle or signing), allowed */
};

static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *p11_modules;

/* What OpenSSL needs once per process: key methods, ex_data slots, error strings. */
static pthread_once_t p11_once = PTHREAD_ONCE_INIT;
static EC_KEY_METHOD *p11_ec_method;
static RSA_METHOD *p11_rsa_method;
static int p11_ec_idx = -1, p11_rsa_idx = -1, p11_err_lib;

/* --- PINs ----------------------------------------------------------------- */

int
pkcs11_pin_read(const char *path, char *out, size_t len, struct err *e)
{
	char buf[PKCS11_PIN_MAX];
	struct stat st;
	ssize_t got;
	size_t n;
	int fd = fs_open_private(path, "PIN file", "(owned by the signer's user)", &st, e);

	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0)
		return err_set(e, "PIN file %s: %s", path, strerror(errno));
	/* The first line, with or without its line end (\n or \r\n), up to a NUL. */
	for (n = 0; n < (size_t)got && buf[n] != '\n' && buf[n] != '\r' && buf[n] != '\0'; n++)
		;
	if (n == 0 || n >= len || (size_t)got == sizeof(buf)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return err_set(e, "PIN file %s: %s", path, n == 0 ? "empty" : "PIN too long");
	}
	memcpy(out, buf, n);
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* --- Cryptoki errors ---------------------------------------------------- */

static const struct {
	CK_RV rv;
	const char *name;
} ckr_names[] = {
    {CKR_GENERAL_ERROR, "general error"},
    {CKR_FUNCTION_FAILED, "function failed"},
    {CKR_DEVICE_ERROR, "device error"},
    {CKR_DEVICE_MEMORY, "device out of memory"},
    {CKR_DEVICE_REMOVED, "device removed"},
    {CKR_TOKEN_NOT_PRESENT, "token not present"},
    {CKR_TOKEN_NOT_RECOGNIZED, "token not recognized"},
    {CKR_SESSION_CLOSED, "session closed"},
    {CKR_SESSION_HANDLE_INVALID, "session handle invalid"},
    {CKR_SESSION_COUNT, "too many sessions"},
    {CKR_OBJECT_HANDLE_INVALID, "object handle invalid"},
    {CKR_KEY_HANDLE_INVALID, "key handle invalid"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "the key may not sign"},
    {CKR_MECHANISM_INVALID, "mechanism not supported"},
    {CKR_PIN_INCORRECT, "wrong PIN"},
    {CKR_PIN_LOCKED, "PIN locked"},
    {CKR_PIN_EXPIRED, "PIN expired"},
    {CKR_USER_NOT_LOGGED_IN, "not logged in"},
    {CKR_USER_PIN_NOT_INITIALIZED, "user PIN not initialised"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "module not initialised"},
    {CKR_HOST_MEMORY, "out of memory"},
    {CKR_SLOT_ID_INVALID, "slot id invalid"},
    {CKR_ARGUMENTS_BAD, "bad arguments"},
    {CKR_DATA_LEN_RANGE, "data length out of range"},
};

static const char *
ckr_name(CK_RV rv)
{
	for (size_t i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++) {
		if (ckr_names[i].rv == rv)
			return ckr_names[i].name;
	}
	return NULL;
}

static int
ckr_err(struct err *e, CK_RV rv, const char *fmt, const char *arg)
{
	char what[ERR_MSG_MAX];
	const char *name = ckr_name(rv);

	snprintf(what, sizeof(what), fmt, arg);
	if (name != NULL)
		return err_set(e, "%s: %s (CKR 0x%lx)", what, name, (unsigned long)rv);
	return err_set(e, "%s: CKR 0x%lx", what, (unsigned long)rv);
}

/* rv on OpenSSL's error queue, from a signing method (no struct err there). */
static void
ckr_raise(CK_RV rv)
{
	int reason = rv < 0xfff ? (int)rv : 0xfff; /* vendor codes share one reason */

	ERR_raise(p11_err_lib, reason);
}

/* --- modules --------------------------------------------------------------- */

/* The module at path, loaded and initialised once per process; NULL on error. */
static struct p11_module *
module_get(const char *path, struct err *e)
{
	struct p11_module *m;
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_RV rv;

	pthread_mutex_lock(&p11_lock);
	for (m = p11_modules; m != NULL && strcmp(m->path, path) != 0; m = m->next)
		;
	if (m != NULL) {
		m->refs++;
		pthread_mutex_unlock(&p11_lock);
		return m;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	if ((m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err_set(e, "PKCS#11 module %s: %s", path, dlerror());
		goto fail;
	}
	*(void **)&get = dlsym(m->dl, "C_GetFunctionList");
	if (get == NULL || get(&m->f) != CKR_OK || m->f == NULL) {
		err_set(e, "PKCS#11 module %s: no C_GetFunctionList", path);
		goto fail;
	}
	rv = m->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ckr_err(e, rv, "PKCS#11 module %s: C_Initialize", path);
		goto fail;
	}
	m->finalize = rv == CKR_OK;
	m->refs = 1;
	m->next = p11_modules;
	p11_modules = m;
	pthread_mutex_unlock(&p11_lock);
	return m;
fail:
	if (m != NULL && m->dl != NULL)
		dlclose(m->dl);
	free(m);
	pthread_mutex_unlock(&p11_lock);
	return NULL;
}

/* Drop a key's use of m; the last one finalises and unloads it. */
static void
module_put(struct p11_module *m)
{
	struct p11_module **p;

	pthread_mutex_lock(&p11_lock);
	if (--m->refs == 0) {
		for (p = &p11_modules; *p != m; p = &(*p)->next)
			;
		*p = m->next;
		if (m->finalize)
			m->f->C_Finalize(NULL);
		dlclose(m->dl);
		free(m);
	}
	pthread_mutex_unlock(&p11_lock);
}

/* --- keys and their sessions ---------------------------------------------- */

static void
key_free(struct p11_key *k)
{
	if (k == NULL)
		return;
	for (int i = 0; i < k->nidle; i++)
		k->mod->f->C_CloseSession(k->idle[i]);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->idle_cv);
	module_put(k->mod);
	free(k);
}

/* A session of k's slot for one signature: an idle one, a new one, or wait for one. */
static CK_RV
session_take(struct p11_key *k, CK_SESSION_HANDLE *h)
{
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&k->lock);
	while (k->nidle == 0 && k->nopen >= k->max)
		pthread_cond_wait(&k->idle_cv, &k->lock);
	if (k->nidle > 0) {
		*h = k->idle[--k->nidle];
	} else {
		rv = k->mod->f->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, h);
		k->nopen += rv == CKR_OK;
	}
	pthread_mutex_unlock(&k->lock);
	return rv;
}

/* Give h back after a signature that returned rv; a session the token lost is dropped. */
static void
session_give(struct p11_key *k, CK_SESSION_HANDLE h, CK_RV rv)
{
	int dead = rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
		   rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
		   rv == CKR_DEVICE_ERROR;

	pthread_mutex_lock(&k->lock);
	if (dead) {
		k->mod->f->C_CloseSession(h);
		k->nopen--;
	} else {
		k->idle[k->nidle++] = h;
	}
	pthread_cond_signal(&k->idle_cv);
	pthread_mutex_unlock(&k->lock);
}

/* Sign in[inlen] with mechanism mech into out (*outlen: its room, then the length). */
static int
key_sign(struct p11_key *k, CK_MECHANISM_TYPE mech, const unsigned char *in, size_t inlen,
    unsigned char *out, CK_ULONG *outlen)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_SESSION_HANDLE h;
	CK_RV rv;

	if (k == NULL) {
		ckr_raise(CKR_KEY_HANDLE_INVALID);
		return -1;
	}
	if ((rv = session_take(k, &h)) != CKR_OK) {
		ckr_raise(rv);
		return -1;
	}
	rv = k->mod->f->C_SignInit(h, &m, k->obj);
	if (rv == CKR_OK)
		rv = k->mod->f->C_Sign(h, (CK_BYTE_PTR)in, (CK_ULONG)inlen, out, outlen);
	session_give(k, h, rv);
	if (rv != CKR_OK) {
		ckr_raise(rv);
		return -1;
	}
	return 0;
}

/* --- OpenSSL key methods ------------------------------------------------------ */

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r,
    EC_KEY *ec)
{
	unsigned char sig[PKCS11_SIG_MAX];
	CK_ULONG n = sizeof(sig);
	ECDSA_SIG *s;
	BIGNUM *br, *bs;

	(void)kinv;
	(void)r;
	if (dlen < 0 || key_sign(EC_KEY_get_ex_data(ec, p11_ec_idx), CKM_ECDSA, dgst,
			    (size_t)dlen, sig, &n) != 0)
		return NULL;
	/* CKM_ECDSA gives r || s, each as long as the order. */
	s = ECDSA_SIG_new();
	br = BN_bin2bn(sig, (int)(n / 2), NULL);
	bs = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL);
	if (s == NULL || br == NULL || bs == NULL || n % 2 != 0 || ECDSA_SIG_set0(s, br, bs) != 1) {
		ECDSA_SIG_free(s);
		BN_free(br);
		BN_free(bs);
		return NULL;
	}
	return s;
}

/* OpenSSL pads (PKCS#1 v1.5 DigestInfo, or PSS then no padding); the token signs. */
static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	CK_ULONG n = (CK_ULONG)RSA_size(rsa);
	CK_MECHANISM_TYPE mech = padding == RSA_PKCS1_PADDING ? CKM_RSA_PKCS : CKM_RSA_X_509;

	if (flen < 0 || (padding != RSA_PKCS1_PADDING && padding != RSA_NO_PADDING)) {
		ckr_raise(CKR_MECHANISM_INVALID);
		return -1;
	}
	if (key_sign(RSA_get_ex_data(rsa, p11_rsa_idx), mech, from, (size_t)flen, to, &n) != 0)
		return -1;
	return (int)n;
}

static void
ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	key_free(ptr);
}

/* Error strings for the CKR codes ckr_raise() puts on the queue, as reasons. */
#define P11_ERR_TEXT_MAX 64
static ERR_STRING_DATA p11_err_strings[sizeof(ckr_names) / sizeof(ckr_names[0]) + 2];
static char p11_err_text[sizeof(ckr_names) / sizeof(ckr_names[0])][P11_ERR_TEXT_MAX];

static void
p11_init(void)
{
	int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *,
	    const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
	size_t i;

	p11_ec_method = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	if (p11_ec_method != NULL) {
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, NULL, NULL);
		EC_KEY_METHOD_set_sign(p11_ec_method, sign, NULL, ec_sign_sig);
	}
	p11_rsa_method = RSA_meth_dup(RSA_PKCS1_OpenSSL());
	if (p11_rsa_method != NULL &&
	    (RSA_meth_set1_name(p11_rsa_method, "lancre PKCS#11") != 1 ||
		RSA_meth_set_priv_enc(p11_rsa_method, rsa_priv_enc) != 1)) {
		RSA_meth_free(p11_rsa_method);
		p11_rsa_method = NULL;
	}
	p11_ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	p11_rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	p11_err_lib = ERR_get_next_error_library();
	for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++) {
		/* No ':' in it: err_ossl() keeps what follows the last one. */
		snprintf(p11_err_text[i], sizeof(p11_err_text[i]), "%s (PKCS#11 token)",
		    ckr_names[i].name);
		p11_err_strings[i] = (ERR_STRING_DATA){
		    ERR_PACK(p11_err_lib, 0, (int)ckr_names[i].rv), p11_err_text[i]};
	}
	p11_err_strings[i++] =
	    (ERR_STRING_DATA){ERR_PACK(p11_err_lib, 0, 0xfff), "vendor error (PKCS#11 token)"};
	p11_err_strings[i] = (ERR_STRING_DATA){0, NULL};
	ERR_load_strings(p11_err_lib, p11_err_strings);
}

/* --- finding the token and the key ---------------------------------------------- */

/* Whether want ("" = anything) names the space-padded field f[n]. */
static int
field_is(const char *want, const CK_UTF8CHAR *f, size_t n)
{
	size_t w = strlen(want);

	while (n > 0 && f[n - 1] == ' ')
		n--;
	return w == 0 || (w == n && memcmp(want, f, n) == 0);
}

/* The slot of the token u names (the first one, in the module's order). */
static int
find_slot(struct p11_module *m, const struct pkcs11_uri *u, CK_SLOT_ID *slot, struct err *e)
{
	CK_SLOT_ID slots[PKCS11_SLOTS_MAX];
	CK_ULONG n = PKCS11_SLOTS_MAX;
	CK_TOKEN_INFO ti;
	CK_RV rv = m->f->C_GetSlotList(CK_TRUE, slots, &n);

	if (rv != CKR_OK)
		return ckr_err(e, rv, "PKCS#11 module %s: C_GetSlotList", m->path);
	for (CK_ULONG i = 0; i < n; i++) {
		if (u->slot_id >= 0 && slots[i] != (CK_SLOT_ID)u->slot_id)
			continue;
		if (m->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (field_is(u->token, ti.label, sizeof(ti.label)) &&
		    field_is(u->manufacturer, ti.manufacturerID, sizeof(ti.manufacturerID)) &&
		    field_is(u->serial, ti.serialNumber, sizeof(ti.serialNumber)) &&
		    field_is(u->model, ti.model, sizeof(ti.model))) {
			*slot = slots[i];
			return 0;
		}
	}
	return err_set(e, "no token%s%s%s in PKCS#11 module %s", u->token[0] ? " labelled '" : "",
	    u->token, u->token[0] ? "'" : " matching the URI", m->path);
}

/* Log the token in with pin ("" = none given), if it wants a login. */
static int
login(struct p11_key *k, CK_SESSION_HANDLE h, const char *pin, struct err *e)
{
	CK_TOKEN_INFO ti;
	CK_RV rv = k->mod->f->C_GetTokenInfo(k->slot, &ti);

	if (rv != CKR_OK)
		return ckr_err(e, rv, "PKCS#11 token: %s", "C_GetTokenInfo");
	if (!(ti.flags & CKF_LOGIN_REQUIRED))
		return 0;
	if (pin[0] == '\0' && !(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
		return err_set(e, "the PKCS#11 token needs a PIN and none was given (pin-source= "
				  "in the URI, or LANCRE_PKCS11_PIN)");
	rv = k->mod->f->C_Login(h, CKU_USER, pin[0] ? (CK_UTF8CHAR_PTR)pin : NULL,
	    (CK_ULONG)strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return ckr_err(e, rv, "PKCS#11 login%s", "");
	return 0;
}

/* The one object of class cls that u names (object=, id=), in *obj. */
static int
find_object(struct p11_key *k, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
    const struct pkcs11_uri *u, CK_OBJECT_HANDLE *obj, struct err *e)
{
	CK_ATTRIBUTE t[3] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE found[2];
	CK_ULONG nt = 1, n = 0;
	CK_FUNCTION_LIST_PTR f = k->mod->f;
	CK_RV rv;
	const char *what = cls == CKO_PRIVATE_KEY ? "private key" : "public key";

	if (u->object[0] != '\0')
		t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)u->object, strlen(u->object)};
	if (u->id_len > 0)
		t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)u->id, u->id_len};
	rv = f->C_FindObjectsInit(h, t, nt);
	if (rv == CKR_OK) {
		rv = f->C_FindObjects(h, found, 2, &n);
		f->C_FindObjectsFinal(h);
	}
	if (rv != CKR_OK)
		return ckr_err(e, rv, "PKCS#11: looking for the %s", what);
	if (n != 1)
		return err_set(e, "%s %s%s%s in the PKCS#11 token", n == 0 ? "no" : "more than one",
		    what, u->object[0] ? " labelled " : " with that id", u->object);
	*obj = found[0];
	return 0;
}

/* Attribute type of obj into buf[*len] (*len: its room, then its length). */
static int
get_attr(struct p11_key *k, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    void *buf, CK_ULONG *len, struct err *e)
{
	CK_ATTRIBUTE a = {type, buf, *len};
	CK_RV rv = k->mod->f->C_GetAttributeValue(h, obj, &a, 1);

	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return ckr_err(e, rv != CKR_OK ? rv : CKR_ATTRIBUTE_TYPE_INVALID,
		    "PKCS#11: reading the %s's public half or type", "key");
	*len = a.ulValueLen;
	return 0;
}

/* The EC public key of u's key pair (CKA_EC_PARAMS, and the public object's CKA_EC_POINT). */
static EVP_PKEY *
build_ec(struct p11_key *k, CK_SESSION_HANDLE h, const struct pkcs11_uri *u, struct err *e)
{
	unsigned char params[PKCS11_ATTR_MAX], point[PKCS11_ATTR_MAX];
	CK_ULONG plen = sizeof(params), qlen = sizeof(point);
	CK_OBJECT_HANDLE pub;
	const unsigned char *p = params, *q;
	ASN1_OCTET_STRING *os = NULL;
	EC_KEY *ec = NULL;
	EVP_PKEY *pk = NULL;

	if (get_attr(k, h, k->obj, CKA_EC_PARAMS, params, &plen, e) != 0 ||
	    find_object(k, h, CKO_PUBLIC_KEY, u, &pub, e) != 0 ||
	    get_attr(k, h, pub, CKA_EC_POINT, point, &qlen, e) != 0)
		return NULL;
	/* CKA_EC_POINT is a DER OCTET STRING around the point (some tokens give it bare). */
	q = point;
	os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)qlen);
	q = os != NULL && q == point + qlen ? ASN1_STRING_get0_data(os) : point;
	if ((ec = EC_KEY_new()) == NULL || EC_KEY_set_method(ec, p11_ec_method) != 1 ||
	    d2i_ECParameters(&ec, &p, (long)plen) == NULL ||
	    o2i_ECPublicKey(&ec, &q, os != NULL && q != point ? ASN1_STRING_length(os)
								: (long)qlen) == NULL) {
		err_ossl(e, "PKCS#11: the token's EC public key");
		goto fail;
	}
	if (EC_KEY_set_ex_data(ec, p11_ec_idx, k) != 1 || (pk = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_EC_KEY(pk, ec) != 1) {
		EC_KEY_set_ex_data(ec, p11_ec_idx, NULL);
		err_set(e, "out of memory");
		goto fail;
	}
	ASN1_OCTET_STRING_free(os);
	return pk;
fail:
	EVP_PKEY_free(pk);
	EC_KEY_free(ec);
	ASN1_OCTET_STRING_free(os);
	return NULL;
}

/* The RSA public key of u's key (CKA_MODULUS, CKA_PUBLIC_EXPONENT of the private object). */
static EVP_PKEY *
build_rsa(struct p11_key *k, CK_SESSION_HANDLE h, struct err *e)
{
	unsigned char mod[PKCS11_ATTR_MAX], exp[64];
	CK_ULONG mlen = sizeof(mod), elen = sizeof(exp);
	BIGNUM *n, *x;
	RSA *rsa = NULL;
	EVP_PKEY *pk = NULL;

	if (get_attr(k, h, k->obj, CKA_MODULUS, mod, &mlen, e) != 0 ||
	    get_attr(k, h, k->obj, CKA_PUBLIC_EXPONENT, exp, &elen, e) != 0)
		return NULL;
	n = BN_bin2bn(mod, (int)mlen, NULL);
	x = BN_bin2bn(exp, (int)elen, NULL);
	if (n == NULL || x == NULL || (rsa = RSA_new()) == NULL ||
	    RSA_set_method(rsa, p11_rsa_method) != 1 || RSA_set0_key(rsa, n, x, NULL) != 1) {
		BN_free(n);
		BN_free(x);
		RSA_free(rsa);
		err_set(e, "out of memory");
		return NULL;
	}
	if (RSA_set_ex_data(rsa, p11_rsa_idx, k) != 1 || (pk = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_RSA(pk, rsa) != 1) {
		RSA_set_ex_data(rsa, p11_rsa_idx, NULL);
		EVP_PKEY_free(pk);
		RSA_free(rsa);
		err_set(e, "out of memory");
		return NULL;
	}
	return pk;
}

/* --- loading -------------------------------------------------------------------- */

const char *
key_pkcs11_module(const struct pkcs11_uri *u, const char *conf_module)
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

/* The key u names in module m, through a first session that logs in with pin. */
static EVP_PKEY *
key_open(struct p11_key *k, const struct pkcs11_uri *u, const char *pin, struct err *e)
{
	CK_SESSION_HANDLE h;
	CK_KEY_TYPE type;
	CK_ULONG tlen = sizeof(type);
	CK_RV rv;
	EVP_PKEY *pk = NULL;

	if (find_slot(k->mod, u, &k->slot, e) != 0)
		return NULL;
	rv = k->mod->f->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
	if (rv != CKR_OK) {
		ckr_err(e, rv, "PKCS#11: %s", "C_OpenSession");
		return NULL;
	}
	k->nopen = 1;
	if (login(k, h, pin, e) == 0 && find_object(k, h, CKO_PRIVATE_KEY, u, &k->obj, e) == 0 &&
	    get_attr(k, h, k->obj, CKA_KEY_TYPE, &type, &tlen, e) == 0) {
		if (type == CKK_EC)
			pk = build_ec(k, h, u, e);
		else if (type == CKK_RSA)
			pk = build_rsa(k, h, e);
		else
			err_set(e, "the PKCS#11 key is neither EC nor RSA (CKK 0x%lx)",
			    (unsigned long)type);
	}
	/* The first session stays open in the pool: it keeps the token logged in. */
	k->idle[k->nidle++] = h;
	return pk;
}

EVP_PKEY *
key_load_pkcs11(const char *uri, const struct conf *c, struct err *e)
{
	struct pkcs11_uri u;
	char pin[PKCS11_PIN_MAX];
	const char *path;
	struct p11_key *k;
	EVP_PKEY *pk = NULL;

	if (pthread_once(&p11_once, p11_init) != 0 || p11_ec_method == NULL ||
	    p11_rsa_method == NULL || p11_ec_idx < 0 || p11_rsa_idx < 0) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (pkcs11_uri_parse(uri, &u, e) != 0)
		return NULL;
	if ((path = key_pkcs11_module(&u, c->pkcs11_module)) == NULL) {
		err_set(e, "no PKCS#11 module: give module-path= in the URI, [pkcs11] module in "
			   "lancre.conf, or PKCS11_MODULE_PATH");
		return NULL;
	}
	if (pin_for(&u, pin, sizeof(pin), e) != 0)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->idle_cv, NULL);
	k->max = c->pkcs11_sessions > 0 ? c->pkcs11_sessions : PKCS11_SESSIONS_MAX;
	if ((k->mod = module_get(path, e)) == NULL) {
		pthread_mutex_destroy(&k->lock);
		pthread_cond_destroy(&k->idle_cv);
		free(k);
		goto out;
	}
	/* From here k belongs to pk, freed with it (ex_free), or freed here. */
	if ((pk = key_open(k, &u, pin, e)) == NULL)
		key_free(k);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(&u, sizeof(u));
	return pk;
}
