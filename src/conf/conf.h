/*
 * conf.h - lancre.conf, the operator's settings for one data directory.
 *
 * The file is INI (parsed by inih).  Every setting has a default, so an empty
 * file is valid; unknown sections or keys are errors, because a typo in a
 * validity period must not silently fall back to a default.  Durations are
 * written with a unit: "90s", "15m", "8h", "4d".
 *
 * Issuers themselves (certificate, key reference, shard count) live in the
 * store, recorded by `lancre issuer add`; this file holds policy.
 */
#ifndef LANCRE_CONF_CONF_H
#define LANCRE_CONF_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/sandbox.h"
#include "util/err.h"

#define CONF_FILE "lancre.conf"
#define CONF_STR_MAX 512
#define CONF_CACHE_MIN (1024 * 1024) /* [server] cache: the smallest bound (ocsp/cache.h) */
#define CONF_STORE_SQLITE "sqlite:" /* [store] store = sqlite:NAME: the file NAME */

/* Limits from RFC 5019 / CA/B Forum BR 4.9.10 and 4.9.7. */
#define CONF_OCSP_VALIDITY_MIN (8 * 3600)
#define CONF_OCSP_VALIDITY_MAX (10 * 86400)
#define CONF_CRL_VALIDITY_MAX (10 * 86400)
#define CONF_CRL_SHARDS_MAX 65536
#define CONF_SIGNER_LEASE_MIN 2    /* [signer] lease: renewed every third of it */
#define CONF_SIGNER_LEASE_MAX 3600
#define CONF_PKCS11_SESSIONS_MAX 65 /* one per signing thread (SIGNER_THREADS_MAX) + 1 */
#define CONF_HEADER_SIZE_MIN 1024
#define CONF_HEADER_SIZE_MAX 65536
#define CONF_REQUEST_TIMEOUT_MAX 300
#define CONF_H2_STREAMS_MAX 100 /* h2o 2.2 refuses streams past 100 open (its SETTINGS) */
#define CONF_API_OFF "off"           /* [admin] listen = off: no admin process */
#define CONF_API_MAX_BODY_MAX (1024LL * 1024 * 1024) /* [admin] max_body at most 1G */
#define CONF_API_CLIENTS_MAX 32      /* [admin] client lines */

/* One [admin] client line: a client certificate's subject and what it may do. */
struct conf_client {
	char subject[CONF_STR_MAX]; /* RFC 2253, as `openssl x509 -subject -nameopt RFC2253` */
	unsigned scopes;            /* TOKEN_SCOPE_* bits (store/store.h) */
};

enum url_style {
	URL_STYLE_PATH, /* one host: http://host/ocsp, /crl/<issuer>/<n>.crl, /issuer/<issuer> */
	URL_STYLE_HOST, /* lencr.org style: http://<issuer>.o.<domain>/ ... */
};

struct conf {
	/* [server] */
	char listen[CONF_STR_MAX]; /* HOST:PORT of the public listener */
	char admin[CONF_STR_MAX];  /* HOST:PORT of the admin listener; "" = public port + 1 */
	char user[CONF_STR_MAX];   /* started as root, the server runs as this user; "": lancre-server */
	char server_passfile[CONF_STR_MAX]; /* PostgreSQL password file of the server; "": libpq's */
	int max_connections;       /* open public connections at once; more are closed at once */
	int max_header_size;       /* request line + headers, bytes; more gets 431 */
	int64_t request_timeout;   /* an HTTP/1 request (and a kept-alive wait) must end in time */
	int64_t h2_idle_timeout;   /* an HTTP/2 connection with nothing to do is closed after it */
	int64_t write_timeout;     /* a connection whose client takes nothing for this long is closed */
	int h2_max_streams;        /* HTTP/2 requests answered at once per connection */
	int admin_max_connections; /* open admin connections at once; more are closed at once */
	int64_t ocsp_max_age;      /* Cache-Control max-age ceiling for OCSP; 0 = nextUpdate */
	char cache_tag_header[CONF_STR_MAX]; /* e.g. "Edge-Cache-Tag": the serial, for CDN purges */
	int64_t cache; /* bytes of OCSP responses the server holds at most; 0 = all (loaded at start) */

	/* [admin]: the admin API's process (src/admin/, proc/procs.h's PROC_ADMIN) */
	char api_listen[CONF_STR_MAX];   /* HOST:PORT; "": 127.0.0.1 on the public port + 2; "off" */
	char api_user[CONF_STR_MAX];     /* started as root, it runs as this user; "": lancre-admin */
	char api_passfile[CONF_STR_MAX]; /* PostgreSQL password file of the admin process */
	int64_t api_max_body;            /* bytes of a request body; more gets 413 */
	int api_max_connections;         /* open API connections at once; then 429 (admin/httpd.h) */
	char api_tls_cert[CONF_STR_MAX]; /* PEM certificate (and chain) of the listener; "": no TLS */
	char api_tls_key[CONF_STR_MAX];  /* its PEM key, read at start before the privilege drop */
	char api_client_ca[CONF_STR_MAX]; /* PEM CAs of client certificates; "": none asked for */
	char api_client_crl[CONF_STR_MAX]; /* their CRLs, PEM or DER; "": none checked */
	struct conf_client api_clients[CONF_API_CLIENTS_MAX]; /* [admin] client = SUBJECT : SCOPES */
	int api_nclients;

	/* [signer] */
	char signer_user[CONF_STR_MAX]; /* started as root, the signer runs as it; "": lancre-signer */
	int signer_network; /* the signer (and its [crl] hook) may reach the network */
	char signer_read_dirs[CONF_STR_MAX]; /* absolute directories, blank-separated: the signer reads them */
	char signer_passfile[CONF_STR_MAX]; /* the signer's and the writing commands'; "": libpq's */
	int64_t signer_lease; /* many signers: a signer silent this long loses its work to another */

	/* [store] */
	char store[CONF_STR_MAX]; /* file name in the data dir, or postgresql://... */
	char server_store[CONF_STR_MAX]; /* where the server reads (a read-only role, a replica); "": store */
	char admin_store[CONF_STR_MAX];  /* where the admin process writes intake (its own role); "": store */

	/* [urls] */
	enum url_style url_style;
	char base_url[CONF_STR_MAX]; /* path style: "http://127.0.0.1:8080" */
	char domain[CONF_STR_MAX];   /* host style: "pki.example" */

	/* [ocsp] */
	int64_t ocsp_validity; /* seconds between thisUpdate and nextUpdate */
	int64_t ocsp_refresh;  /* re-sign when this much of the validity has passed */
	int ocsp_sha256;       /* also sign responses for SHA-256 CertIDs */

	/* [crl] */
	int crl_shards;       /* default shard count for new issuers */
	int crl_full;         /* also publish a full CRL per issuer */
	int crl_delta;        /* publish delta CRLs; bases then follow [crl] period only */
	char crl_hook[CONF_STR_MAX]; /* program and arguments run with each published file's path */
	int crl_hook_shell;          /* crl_hook is a /bin/sh command instead, the path as $1 */
	int64_t crl_period;   /* re-sign every CRL at least this often */
	int64_t crl_delay;    /* publish a revocation within this delay */
	int64_t crl_validity; /* nextUpdate - thisUpdate */

	/* [pkcs11] */
	char pkcs11_module[CONF_STR_MAX]; /* PKCS#11 module (.so) for pkcs11: key URIs */
	int pkcs11_sessions;              /* sessions per key at most; 0: one per signing thread */

	/* [sandbox] */
	enum sandbox_mode sandbox_mode; /* no-new-privs, seccomp, Landlock: src/sandbox/ */
	/* [about] */
	char about_ca_name[CONF_STR_MAX]; /* the CA the about page names; "": its issuers' O or CN */
	char about_contact[CONF_STR_MAX]; /* an e-mail address, a URL or any text; "": none */
};

/* Fill c with the defaults documented in the template that conf_template() writes. */
void conf_defaults(struct conf *c);

/* Defaults, then the settings in path, checked by conf_check(). */
int conf_load(const char *path, struct conf *c, struct err *e);

/*
 * The same from a file's text (len bytes, not NUL-terminated), name saying
 * in messages where it came from (lancre.conf as another process read it:
 * proc/confpass.h).
 */
int conf_load_text(const char *name, const char *text, size_t len, struct conf *c, struct err *e);

/*
 * Are c's settings valid together (ranges, URLs and listen addresses: see
 * conf/addr.h)?  Removes a trailing slash from c->base_url.
 */
int conf_check(struct conf *c, struct err *e);

/*
 * The commented lancre.conf that `lancre init` writes, with c's values filled
 * in.  Returns a malloc'd string.
 */
char *conf_template(const struct conf *c);

/* "4d" -> 345600.  Accepts s, m, h, d suffixes; a bare number is seconds. */
int conf_parse_duration(const char *s, int64_t *out, struct err *e);

#endif
