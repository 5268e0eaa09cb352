/*
 * conf.c - reading and writing lancre.conf; see conf.h.
 *
 * The keys are described once, in the `keys` table below: where each lives in
 * struct conf, its type, and its help text.  Parsing, validation and the
 * commented template that `lancre init` writes all come from that table, so a
 * new setting is one line here.
 */
#include "conf/conf.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/addr.h"
#include "store/token.h"
#include "util/num.h"

enum key_type {
	KEY_STR,
	KEY_DURATION,
	KEY_INT,
	KEY_BOOL,
	KEY_URL_STYLE,
	KEY_SANDBOX_MODE,
	KEY_SIZE,
	KEY_CLIENT, /* [admin] client: the one key that may be given more than once */
};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t offset;
	const char *help;
};

#define K(sec, name, type, field, help) {sec, name, type, offsetof(struct conf, field), help}

static const struct key keys[] = {
    K("server", "listen", KEY_STR, listen,
      "Public listener, HOST:PORT (IPv6 as [::1]:80).  Serves OCSP, CRLs and issuer\n"
      "; certificates over plain HTTP; holds no private key."),
    K("server", "admin", KEY_STR, admin,
      "Admin listener (health, metrics, admin API).  Empty: 127.0.0.1 on the public\n"
      "; port + 1.  Keep it on loopback or a private network."),
    K("server", "user", KEY_STR, user,
      "Started as root, the public server runs as this user (the ports are bound\n"
      "; before).  Empty: lancre-server.  Started as a normal user: ignored."),
    K("server", "passfile", KEY_STR, server_passfile,
      "With a postgresql:// store: the password file the server reads (libpq's\n"
      "; PGPASSFILE; lines host:port:database:user:password), owned by [server] user,\n"
      "; mode 0600 (libpq ignores one others may read).  Empty: PGPASSFILE, else the\n"
      "; user's ~/.pgpass.  Read at start."),
    K("server", "max_connections", KEY_INT, max_connections,
      "Open public connections at once (all threads); beyond it a new connection is\n"
      "; closed as soon as it is accepted.  Raise `ulimit -n` to match."),
    K("server", "max_header_size", KEY_INT, max_header_size,
      "Bytes of request line and headers a request may have (1024 to 65536); a\n"
      "; larger one is answered 431.  OCSP clients send a few hundred."),
    K("server", "request_timeout", KEY_DURATION, request_timeout,
      "An HTTP/1.1 request must arrive whole within this, and a kept-alive\n"
      "; connection is closed after this long idle (1s to 300s; slow senders, as in\n"
      "; slowloris, are cut off).  Read at start, not on SIGHUP."),
    K("server", "h2_idle_timeout", KEY_DURATION, h2_idle_timeout,
      "An HTTP/2 connection with no request for this long is closed (1s to 300s).\n"
      "; Read at start, not on SIGHUP."),
    K("server", "write_timeout", KEY_DURATION, write_timeout,
      "A connection owing a client a response is closed when the client takes in\n"
      "; nothing of it for this long (a client that stops reading holds no memory or\n"
      "; connection slot past it; 1s to 300s).  Applies from the next reload."),
    K("server", "h2_max_streams", KEY_INT, h2_max_streams,
      "Requests one HTTP/2 connection may have answered at once (1 to 100); more\n"
      "; wait their turn.  Read at start, not on SIGHUP."),
    K("server", "admin_max_connections", KEY_INT, admin_max_connections,
      "Open admin connections at once (health checks, metrics scrapes); beyond it a\n"
      "; new one is closed as soon as it is accepted."),
    K("server", "ocsp_max_age", KEY_DURATION, ocsp_max_age,
      "Ceiling for an OCSP response's Cache-Control max-age, for CDNs that should\n"
      "; come back sooner.  0: up to nextUpdate (never past it, RFC 5019)."),
    K("server", "cache_tag_header", KEY_STR, cache_tag_header,
      "Name of a response header carrying the certificate serial (like Let's Encrypt's\n"
      "; Edge-Cache-Tag), so a CDN can purge one certificate's answers.  Empty: none."),
    K("server", "cache", KEY_SIZE, cache,
      "OCSP responses the server holds in memory at most, in bytes (like 512M, 2G;\n"
      "; at least 1M), for a store that does not fit: a response not held is read\n"
      "; from the store when asked for, the least recently used go.  0: every\n"
      "; response, loaded at start (the default).  Read at start, not on SIGHUP."),
    K("admin", "listen", KEY_STR, api_listen,
      "The admin API (certificates and revocations in, over HTTP with a bearer token\n"
      "; or a client certificate; docs/OPERATOR.md), in a process of its own.\n"
      "; HOST:PORT on loopback; another address only with mutual TLS (tls_cert,\n"
      "; tls_key and client_ca below).  Empty: 127.0.0.1 on the public port + 2.\n"
      "; off: no admin process.  Read at start."),
    K("admin", "user", KEY_STR, api_user,
      "Started as root, the admin process runs as this user, which may write the\n"
      "; store but reads no key.  Empty: lancre-admin.  As a normal user: ignored."),
    K("admin", "passfile", KEY_STR, api_passfile,
      "With a postgresql:// store: the password file the admin process reads, owned\n"
      "; by [admin] user, mode 0600.  Empty: PGPASSFILE, else the user's ~/.pgpass."),
    K("admin", "max_body", KEY_SIZE, api_max_body,
      "Bytes a request body may have (like 1M, 64M); a larger one is answered 413\n"
      "; in JSON and nothing is changed (libh2o reads up to twice this first)."),
    K("admin", "max_connections", KEY_INT, api_max_connections,
      "Open admin API connections at once; beyond it the oldest one that never\n"
      "; showed a valid token is cut, else the newcomer is answered 429."),
    K("admin", "tls_cert", KEY_STR, api_tls_cert,
      "TLS on the admin listener (1.2 and 1.3; HTTP/2 and HTTP/1.1 by ALPN): the\n"
      "; absolute path of its PEM certificate, then its chain.  Empty: plain HTTP\n"
      "; (loopback only).  Read at start; `lancre run` reads the TLS files again on\n"
      "; SIGHUP (and replaces the admin process if they changed)."),
    K("admin", "tls_key", KEY_STR, api_tls_key,
      "The absolute path of tls_cert's PEM private key (not encrypted), mode 0600 and,\n"
      "; started as root, owned by root: it is read at start, before the admin\n"
      "; process becomes [admin] user, which cannot read it.  To have SIGHUP read it\n"
      "; again, own it by [signer] user (the supervisor's after start) instead."),
    K("admin", "client_ca", KEY_STR, api_client_ca,
      "Mutual TLS: the absolute path of the PEM CA certificate(s) a client\n"
      "; certificate must chain to; a connection without one is refused in the\n"
      "; handshake.  Needed to listen off loopback.  Each certificate in it is a\n"
      "; trust anchor by itself: an intermediate alone admits the clients it issued,\n"
      "; not those of another intermediate under the same root.  Read at start."),
    K("admin", "client_crl", KEY_STR, api_client_crl,
      "With client_ca: the absolute path of the CRL(s) of the client CAs, PEM (one\n"
      "; or more) or DER (one); a revoked client certificate is refused in the\n"
      "; handshake.  One from each CA of client_ca that is not a root; a root's own\n"
      "; CRL turns on checking of the whole chain.  Missing, unreadable or past its\n"
      "; nextUpdate: lancre does not start; passing nextUpdate while running, every\n"
      "; client is refused (one line logged) until a new file and SIGHUP."),
    K("admin", "client", KEY_CLIENT, api_clients,
      "With client_ca: a client certificate allowed to act without a bearer token,\n"
      "; as SUBJECT : SCOPES, e.g.\n"
      ";   client = CN=issuance,O=Example CA : intake,revoke\n"
      "; the subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it\n"
      "; (without \"subject=\"), the scopes among intake, revoke, read.  One line per\n"
      "; client; a certificate not listed is answered 403.  Read at start."),
    K("signer", "user", KEY_STR, signer_user,
      "Started as root, the signer (the only process with keys), and the commands\n"
      "; that write the store, run as this user; it owns the data directory.  Must\n"
      "; differ from [server] user.  Empty: lancre-signer.  As a normal user: ignored."),
    K("signer", "read_dirs", KEY_STR, signer_read_dirs,
      "Directories (absolute, separated by spaces) the signer and its [crl] hook may\n"
      "; read besides the data directory, the system's files and the directories of\n"
      "; the key, passphrase and PIN files of the issuers it finds at start: where keys\n"
      "; of issuers added later will be, or files the hook reads.  A key elsewhere\n"
      "; added while it runs is refused until a restart.  Read at start."),
    K("signer", "passfile", KEY_STR, signer_passfile,
      "With a postgresql:// store: the password file the signer, and the commands\n"
      "; that write the store, read; owned by [signer] user, mode 0600.  Each process\n"
      "; needs its own: as root they run as two users, and a file both could read\n"
      "; libpq ignores.  Empty: PGPASSFILE, else the user's ~/.pgpass.  Read at start."),
    K("signer", "network", KEY_BOOL, signer_network,
      "yes: the signer, and the [crl] hook it runs, may open network sockets and\n"
      "; connect: a PKCS#11 module for a network HSM needs it, and so does a hook that\n"
      "; uploads.  no: only unix sockets; anything else fails with \"Permission\n"
      "; denied\" (the signer's sandbox).  Read at start."),
    K("signer", "lease", KEY_DURATION, signer_lease,
      "Several signers on one store (one per HSM, or two for failover) share the work\n"
      "; by issuer and CRL shard, each part leased to one signer at a time and renewed\n"
      "; every third of this; a signer that stops (killed, its machine down) loses its\n"
      "; parts this long after its last renewal, and another takes them over (2s to\n"
      "; 1h; longer than the machines' clocks differ).  One signer alone holds them all."),
    K("store", "store", KEY_STR, store,
      "Where issuers, certificates, revocations and signed data live: a SQLite file\n"
      "; in this directory, or a postgresql:// URL shared by several machines."),
    K("store", "server_store", KEY_STR, server_store,
      "With a postgresql:// store: where the public server reads, if not there: the\n"
      "; same database as a role that may only read what it serves (the GRANTs are in\n"
      "; docs/OPERATOR.md), or a streaming replica.  Empty: [store] store."),
    K("store", "admin_store", KEY_STR, admin_store,
      "With a postgresql:// store: where the admin API's process records what it is\n"
      "; sent: the same database as a role that may write certificates, revocations and\n"
      "; the audit trail but not read where the keys are or write what the signer signs\n"
      "; (the GRANTs are in docs/OPERATOR.md).  Empty: [store] store."),
    K("urls", "style", KEY_URL_STYLE, url_style,
      "Which URL form `lancre urls` and the demo put into certificates:\n"
      ";   path - one host: <base>/ocsp, <base>/crl/<issuer>/<n>.crl, <base>/issuer/<issuer>\n"
      ";   host - like lencr.org: http://<issuer>.o.<domain>, <issuer>.c.<domain>/<n>.crl,\n"
      ";          <issuer>.i.<domain>\n"
      "; The server answers both forms at once whatever this says."),
    K("urls", "base", KEY_STR, base_url,
      "Base URL for the path style: http://HOST[:PORT], no path (a trailing slash is\n"
      "; removed: the server answers /ocsp, /crl/ and /issuer/ at the root)."),
    K("urls", "domain", KEY_STR, domain,
      "Domain for the host style; its o., c. and i. subdomains must reach the server."),
    K("ocsp", "validity", KEY_DURATION, ocsp_validity,
      "nextUpdate - thisUpdate of each OCSP response (BR 4.9.10: 8h to 10d)."),
    K("ocsp", "refresh", KEY_DURATION, ocsp_refresh,
      "Re-sign a response once this much of its validity has passed (at most half of\n"
      "; the validity, and at most 4d)."),
    K("ocsp", "sha256", KEY_BOOL, ocsp_sha256,
      "Also pre-sign a response for SHA-256 CertIDs (most clients send SHA-1).  Costs\n"
      "; a second signature and the memory of a second response per certificate."),
    K("crl", "shards", KEY_INT, crl_shards,
      "CRL shards for issuers added from now on (fixed per issuer at `issuer add`;\n"
      "; a certificate's shard is fixed at intake).  1 for small CAs, 128 at scale."),
    K("crl", "full", KEY_BOOL, crl_full,
      "Also publish a full CRL per issuer (every revoked certificate, no IDP), as\n"
      "; roots and small intermediates do."),
    K("crl", "delta", KEY_BOOL, crl_delta,
      "Publish delta CRLs (RFC 5280 5.2.4): each base CRL points to its delta (Freshest\n"
      "; CRL), a revocation is published in the delta within [crl] delay, and bases are\n"
      "; re-signed every [crl] period.  no: every revocation re-signs the base."),
    K("crl", "hook", KEY_STR, crl_hook,
      "A program run after each file is published under public/ (e.g. to upload it to\n"
      "; a CDN): its path and arguments, split at spaces (no quotes, no shell), with the\n"
      "; file's absolute path added as the last argument.  It runs in the background,\n"
      "; as the signer's user; its exit status is logged.  Empty: none."),
    K("crl", "hook_shell", KEY_BOOL, crl_hook_shell,
      "yes: [crl] hook is a /bin/sh command instead, with the file's path as $1\n"
      "; (pipes, &&, quotes).  Only if you need them: the shell parses the command."),
    K("crl", "period", KEY_DURATION, crl_period, "Re-sign every CRL at least this often."),
    K("crl", "delay", KEY_DURATION, crl_delay,
      "Publish a revocation in its CRL shard within this delay."),
    K("crl", "validity", KEY_DURATION, crl_validity,
      "nextUpdate - thisUpdate of each CRL (BR 4.9.7: at most 10d)."),
    K("pkcs11", "module", KEY_STR, pkcs11_module,
      "PKCS#11 module for issuer keys given as pkcs11: URIs (an HSM's library,\n"
      "; or /usr/lib/softhsm/libsofthsm2.so for tests); a URI's module-path= wins.\n"
      "; Empty: the PKCS11_MODULE_PATH environment variable."),
    K("pkcs11", "sessions", KEY_INT, pkcs11_sessions,
      "PKCS#11 sessions a key signs through at once.  0: one per signing thread, as\n"
      "; they ask (a session signs one thing at a time: 1 makes the threads wait)."),
    K("sandbox", "mode", KEY_SANDBOX_MODE, sandbox_mode,
      "Confine each process after start-up (Linux: no-new-privs, a seccomp system\n"
      "; call allowlist, Landlock file rules; see docs/SECURITY.md):\n"
      ";   auto     - what the kernel offers; one warning line for what it lacks\n"
      ";   required - refuse to start unless the kernel offers all of it\n"
      ";   off      - none (also LANCRE_SANDBOX=off in the environment)\n"
      "; The [crl] hook runs inside the signer's sandbox: it may write only under\n"
      "; public/ and private/ and use the network.  Read at start."),
    K("about", "ca_name", KEY_STR, about_ca_name,
      "The certificate authority the about page (the bare domain's page) names.\n"
      "; Empty: the organization (else common name) of the first issuer certificate."),
    K("about", "contact", KEY_STR, about_contact,
      "How to reach the CA, on the about page: an e-mail address or an http(s) URL\n"
      "; (made links), or any text.  Empty: none given.  Translations and extra\n"
      "; languages: DIR/about/<tag>.html (docs/OPERATOR.md, \"The about page\")."),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	c->max_connections = 50000;
	c->max_header_size = 8192;
	c->request_timeout = 10;
	c->h2_idle_timeout = 30;
	c->write_timeout = 30;
	c->h2_max_streams = 32;
	c->admin_max_connections = 64;
	c->api_max_body = 1024 * 1024;
	c->api_max_connections = 64;
	snprintf(c->store, sizeof(c->store), "lancre.db");
	c->url_style = URL_STYLE_PATH;
	snprintf(c->base_url, sizeof(c->base_url), "http://127.0.0.1:8080");
	c->ocsp_validity = 4 * 86400;
	c->ocsp_refresh = 2 * 86400;
	c->ocsp_sha256 = 1;
	c->crl_shards = 1;
	c->crl_full = 1;
	c->crl_period = 6 * 3600;
	c->crl_delay = 60;
	c->crl_validity = 7 * 86400;
	c->signer_lease = 30;
}

int
conf_parse_duration(const char *s, int64_t *out, struct err *e)
{
	char *end;
	long long v;
	int64_t mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		goto bad;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (v > INT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return err_set(e, "'%s' is not a duration (like 90s, 15m, 8h, 4d)", s);
}

/* Bytes: digits, then K, M or G (binary: 1024, 1024^2, 1024^3), or none. */
static int
conf_parse_size(const char *s, int64_t *out, struct err *e)
{
	const char *p = s;
	int64_t v = 0, mult = 1;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case 'K':
	case 'k':
		mult = 1024, p++;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024, p++;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024, p++;
		break;
	}
	if (*p != '\0' || v > INT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return err_set(e, "'%s' is not a size (like 512M, 2G, or 0)", s);
}

/*
 * [admin] client = SUBJECT : SCOPES, appended to c's clients.  The scopes
 * follow the last ':' (an RFC 2253 subject may hold one, a scope never).
 */
static int
conf_parse_client(struct conf *c, const char *value, struct err *e)
{
	const char *colon = strrchr(value, ':');
	struct conf_client *cl;
	char scopes[64];
	size_t n, k = 0;

	if (colon == NULL)
		return err_set(e, "'%s' is not SUBJECT : SCOPES (like CN=issuance,O=Example CA : "
				  "intake,revoke)", value);
	if (c->api_nclients == CONF_API_CLIENTS_MAX)
		return err_set(e, "more than %d clients", CONF_API_CLIENTS_MAX);
	cl = &c->api_clients[c->api_nclients];
	for (n = (size_t)(colon - value); n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t');)
		n--;
	if (n == 0 || memchr(value, '=', n) == NULL)
		return err_set(e, "'%.*s' is not a certificate subject (like CN=issuance,O=Example "
				  "CA, as `openssl x509 -noout -subject -nameopt RFC2253` prints it)",
		    (int)n, value);
	if (n >= sizeof(cl->subject))
		return err_set(e, "the subject is longer than %zu bytes", sizeof(cl->subject) - 1);
	/* "intake, revoke" as well as "intake,revoke". */
	for (const char *p = colon + 1; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (k + 1 == sizeof(scopes))
			return err_set(e, "the scopes are too long (intake, revoke, read)");
		scopes[k++] = *p;
	}
	scopes[k] = '\0';
	if (k == 0)
		return err_set(e, "no scope after ':' (intake, revoke, read)");
	if (token_scopes_parse(scopes, &cl->scopes, e) != 0)
		return -1;
	memcpy(cl->subject, value, n);
	cl->subject[n] = '\0';
	for (int i = 0; i < c->api_nclients; i++) {
		if (strcmp(c->api_clients[i].subject, cl->subject) == 0)
			return err_set(e, "'%s' is listed twice", cl->subject);
	}
	c->api_nclients++;
	return 0;
}

struct parse_state {
	struct conf *c;
	struct err *e;
	int failed;
	FILE *f;
	int line;          /* of the text being parsed, counted by read_line() */
	int at_start;      /* the next read starts a new line */
	int lines[NKEYS];  /* where each key was set; 0: not in the file */
};

static int
set_key(struct conf *c, const struct key *k, const char *value, struct err *e)
{
	char *field = (char *)c + k->offset;

	switch (k->type) {
	case KEY_STR:
		if (strlen(value) >= CONF_STR_MAX)
			return err_set(e, "value too long");
		/*
		 * store = sqlite:NAME is the file NAME: kept as the file name, which
		 * the process layout and the sandbox's rules name (store_open takes
		 * both spellings).
		 */
		if (field == c->store && strncmp(value, CONF_STORE_SQLITE, strlen(CONF_STORE_SQLITE)) == 0)
			value += strlen(CONF_STORE_SQLITE);
		snprintf(field, CONF_STR_MAX, "%s", value);
		return 0;
	case KEY_DURATION:
		return conf_parse_duration(value, (int64_t *)(void *)field, e);
	case KEY_INT:
		if (num_parse_int(value, 0, INT32_MAX, (int *)(void *)field) != 0)
			return err_set(e, "'%s' is not a number", value);
		return 0;
	case KEY_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
			 strcmp(value, "0") == 0)
			*(int *)(void *)field = 0;
		else
			return err_set(e, "'%s' is not yes or no", value);
		return 0;
	case KEY_URL_STYLE:
		if (strcmp(value, "path") == 0)
			*(enum url_style *)(void *)field = URL_STYLE_PATH;
		else if (strcmp(value, "host") == 0)
			*(enum url_style *)(void *)field = URL_STYLE_HOST;
		else
			return err_set(e, "'%s' is not 'path' or 'host'", value);
		return 0;
	case KEY_SANDBOX_MODE:
		if (sandbox_mode_parse(value, (enum sandbox_mode *)(void *)field) != 0)
			return err_set(e, "'%s' is not auto, required or off", value);
		return 0;
	case KEY_SIZE:
		return conf_parse_size(value, (int64_t *)(void *)field, e);
	case KEY_CLIENT:
		return conf_parse_client(c, value, e);
	}
	return err_set(e, "bad key type");
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (st->failed)
		return 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (st->lines[i] != 0 && keys[i].type != KEY_CLIENT) {
			/* which one would win is anyone's guess: refuse both */
			err_set(st->e, "[%s] %s is set twice (first on line %d)", section, name,
			    st->lines[i]);
			st->failed = 1;
			return 0;
		}
		if (st->lines[i] == 0)
			st->lines[i] = st->line;
		if (set_key(st->c, &keys[i], value, st->e) != 0) {
			err_prefix(st->e, "[%s] %s", section, name);
			st->failed = 1;
			return 0;
		}
		return 1;
	}
	err_set(st->e, "unknown setting [%s] %s", section, name);
	st->failed = 1;
	return 0;
}

/* The setting that failed a check, as its field's offset in struct conf (for its line). */
#define BAD(fld, ...) (*field = offsetof(struct conf, fld), err_set(e, __VA_ARGS__))
#define BAD_PREFIX(fld, ...) (*field = offsetof(struct conf, fld), err_prefix(e, __VA_ARGS__))

/* What goes into certificates and listen addresses (conf/addr.h); normalises base_url. */
static int
check_addrs(struct conf *c, size_t *field, struct err *e)
{
	if (addr_check_listen(c->listen, e) != 0)
		return BAD_PREFIX(listen, "[server] listen");
	if (c->admin[0] != '\0' && addr_check_listen(c->admin, e) != 0)
		return BAD_PREFIX(admin, "[server] admin");
	if (c->api_listen[0] != '\0' && strcmp(c->api_listen, CONF_API_OFF) != 0 &&
	    addr_check_listen(c->api_listen, e) != 0)
		return BAD_PREFIX(api_listen, "[admin] listen");
	if (addr_check_base_url(c->base_url, e) != 0)
		return BAD_PREFIX(base_url, "[urls] base");
	if (c->domain[0] != '\0' && addr_check_domain(c->domain, e) != 0)
		return BAD_PREFIX(domain, "[urls] domain");
	return 0;
}

/* [admin] tls_cert, tls_key, client_ca, client_crl and client lines: what goes with what. */
static int
check_admin_tls(const struct conf *c, size_t *field, struct err *e)
{
	if (c->api_tls_cert[0] != '\0' && c->api_tls_cert[0] != '/')
		return BAD(api_tls_cert, "[admin] tls_cert: '%s' is not an absolute path",
		    c->api_tls_cert);
	if (c->api_tls_key[0] != '\0' && c->api_tls_key[0] != '/')
		return BAD(api_tls_key, "[admin] tls_key: '%s' is not an absolute path",
		    c->api_tls_key);
	if (c->api_client_ca[0] != '\0' && c->api_client_ca[0] != '/')
		return BAD(api_client_ca, "[admin] client_ca: '%s' is not an absolute path",
		    c->api_client_ca);
	if (c->api_client_crl[0] != '\0' && c->api_client_crl[0] != '/')
		return BAD(api_client_crl, "[admin] client_crl: '%s' is not an absolute path",
		    c->api_client_crl);
	if (c->api_client_crl[0] != '\0' && c->api_client_ca[0] == '\0')
		return BAD(api_client_crl, "[admin] client_crl needs client_ca (the CAs whose "
					   "certificates it revokes)");
	if (c->api_tls_cert[0] != '\0' && c->api_tls_key[0] == '\0')
		return BAD(api_tls_cert, "[admin] tls_cert needs tls_key (its private key)");
	if (c->api_tls_key[0] != '\0' && c->api_tls_cert[0] == '\0')
		return BAD(api_tls_key, "[admin] tls_key needs tls_cert (its certificate)");
	if (c->api_client_ca[0] != '\0' && c->api_tls_cert[0] == '\0')
		return BAD(api_client_ca, "[admin] client_ca needs tls_cert and tls_key (client "
					  "certificates are asked for in a TLS handshake)");
	if (c->api_nclients > 0 && c->api_client_ca[0] == '\0')
		return BAD(api_clients, "[admin] client lines need client_ca (the CA their "
					"certificates are verified against)");
	return 0;
}

static int
check_all(struct conf *c, size_t *field, struct err *e)
{
	if (c->ocsp_validity < CONF_OCSP_VALIDITY_MIN || c->ocsp_validity > CONF_OCSP_VALIDITY_MAX)
		return BAD(ocsp_validity, "[ocsp] validity must be between 8h and 10d");
	if (c->ocsp_refresh <= 0 || c->ocsp_refresh > c->ocsp_validity / 2 ||
	    c->ocsp_refresh > 4 * 86400)
		return BAD(ocsp_refresh, "[ocsp] refresh must be positive, at most half the "
					 "validity and at most 4d");
	if (c->max_connections < 1)
		return BAD(max_connections, "[server] max_connections must be at least 1");
	if (c->max_header_size < CONF_HEADER_SIZE_MIN || c->max_header_size > CONF_HEADER_SIZE_MAX)
		return BAD(max_header_size, "[server] max_header_size must be between %d and %d",
		    CONF_HEADER_SIZE_MIN, CONF_HEADER_SIZE_MAX);
	if (c->request_timeout < 1 || c->request_timeout > CONF_REQUEST_TIMEOUT_MAX)
		return BAD(request_timeout, "[server] request_timeout must be between 1s and %ds",
		    CONF_REQUEST_TIMEOUT_MAX);
	if (c->h2_idle_timeout < 1 || c->h2_idle_timeout > CONF_REQUEST_TIMEOUT_MAX)
		return BAD(h2_idle_timeout, "[server] h2_idle_timeout must be between 1s and %ds",
		    CONF_REQUEST_TIMEOUT_MAX);
	if (c->write_timeout < 1 || c->write_timeout > CONF_REQUEST_TIMEOUT_MAX)
		return BAD(write_timeout, "[server] write_timeout must be between 1s and %ds",
		    CONF_REQUEST_TIMEOUT_MAX);
	if (c->cache != 0 && c->cache < CONF_CACHE_MIN)
		return BAD(cache, "[server] cache must be 0 (every response) or at least 1M");
	if (c->h2_max_streams < 1 || c->h2_max_streams > CONF_H2_STREAMS_MAX)
		return BAD(h2_max_streams, "[server] h2_max_streams must be between 1 and %d",
		    CONF_H2_STREAMS_MAX);
	if (c->admin_max_connections < 1)
		return BAD(admin_max_connections, "[server] admin_max_connections must be at least 1");
	if (c->api_max_connections < 1)
		return BAD(api_max_connections, "[admin] max_connections must be at least 1");
	if (c->api_max_body < 1 || c->api_max_body > CONF_API_MAX_BODY_MAX)
		return BAD(api_max_body, "[admin] max_body must be between 1 and 1G");
	if (c->api_passfile[0] != '\0' && c->api_passfile[0] != '/')
		return BAD(api_passfile, "[admin] passfile: '%s' is not an absolute path",
		    c->api_passfile);
	if (check_admin_tls(c, field, e) != 0)
		return -1;
	if (c->pkcs11_sessions < 0 || c->pkcs11_sessions > CONF_PKCS11_SESSIONS_MAX)
		return BAD(pkcs11_sessions, "[pkcs11] sessions must be between 0 and %d",
		    CONF_PKCS11_SESSIONS_MAX);
	if (c->crl_shards < 1 || c->crl_shards > CONF_CRL_SHARDS_MAX)
		return BAD(crl_shards, "[crl] shards must be between 1 and %d", CONF_CRL_SHARDS_MAX);
	if (c->crl_validity <= 0 || c->crl_validity > CONF_CRL_VALIDITY_MAX)
		return BAD(crl_validity, "[crl] validity must be positive and at most 10d");
	if (c->crl_period <= 0 || c->crl_period >= c->crl_validity)
		return BAD(crl_period, "[crl] period must be positive and shorter than the validity");
	if (c->signer_lease < CONF_SIGNER_LEASE_MIN || c->signer_lease > CONF_SIGNER_LEASE_MAX)
		return BAD(signer_lease, "[signer] lease must be between %ds and %ds",
		    CONF_SIGNER_LEASE_MIN, CONF_SIGNER_LEASE_MAX);
	for (const char *w = c->signer_read_dirs; *w != '\0';) {
		size_t n = strcspn(w, " \t");
		if (n > 0 && w[0] != '/')
			return BAD(signer_read_dirs, "[signer] read_dirs: '%.*s' is not an absolute "
						     "path", (int)n, w);
		w += n + strspn(w + n, " \t");
	}
	if (c->server_passfile[0] != '\0' && c->server_passfile[0] != '/')
		return BAD(server_passfile, "[server] passfile: '%s' is not an absolute path",
		    c->server_passfile);
	if (c->signer_passfile[0] != '\0' && c->signer_passfile[0] != '/')
		return BAD(signer_passfile, "[signer] passfile: '%s' is not an absolute path",
		    c->signer_passfile);
	if (c->server_store[0] != '\0' && strncmp(c->server_store, "postgresql://", 13) != 0 &&
	    strncmp(c->server_store, "postgres://", 11) != 0)
		return BAD(server_store, "[store] server_store must be a postgresql:// URL (a SQLite "
					 "store is one file, which the server reads read-only)");
	if (c->admin_store[0] != '\0' && strncmp(c->admin_store, "postgresql://", 13) != 0 &&
	    strncmp(c->admin_store, "postgres://", 11) != 0)
		return BAD(admin_store, "[store] admin_store must be a postgresql:// URL (a SQLite "
					"store has no roles: file permissions say who writes it)");
	if (c->url_style == URL_STYLE_HOST && c->domain[0] == '\0')
		return BAD(url_style, "[urls] style = host needs [urls] domain");
	return check_addrs(c, field, e);
}

int
conf_check(struct conf *c, struct err *e)
{
	size_t field;

	return check_all(c, &field, e);
}

/* inih's reader: fgets, counting lines for the messages (its handler is not told them). */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->f);

	if (r != NULL) {
		st->line += st->at_start;
		st->at_start = strchr(r, '\n') != NULL;
	}
	return r;
}

/* The line where the key stored at offset field was set, or 0. */
static int
field_line(const struct parse_state *st, size_t field)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].offset == field)
			return st->lines[i];
	}
	return 0;
}

/* Defaults, then the settings read from f (closed), path naming it in messages. */
static int
load_stream(FILE *f, const char *path, struct conf *c, struct err *e)
{
	struct parse_state st = {.c = c, .e = e, .at_start = 1, .f = f};
	size_t field;
	int line;

	conf_defaults(c);
	line = ini_parse_stream(read_line, &st, on_key, &st);
	fclose(f);
	if (st.failed)
		return err_prefix(e, "%s:%d", path, line);
	if (line != 0)
		return err_set(e, "%s:%d: syntax error", path, line);
	if (check_all(c, &field, e) != 0) {
		line = field_line(&st, field);
		return line > 0 ? err_prefix(e, "%s:%d", path, line) : err_prefix(e, "%s", path);
	}
	return 0;
}

int
conf_load(const char *path, struct conf *c, struct err *e)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	return load_stream(f, path, c, e);
}

int
conf_load_text(const char *name, const char *text, size_t len, struct conf *c, struct err *e)
{
	FILE *f = fmemopen((void *)(len > 0 ? text : "\n"), len > 0 ? len : 1, "r");

	if (f == NULL)
		return err_set(e, "cannot read %s: %s", name, strerror(errno));
	return load_stream(f, name, c, e);
}

static void
format_value(const struct conf *c, const struct key *k, char *buf, size_t len)
{
	const char *field = (const char *)c + k->offset;
	int64_t d;

	switch (k->type) {
	case KEY_STR:
		snprintf(buf, len, "%s", field);
		break;
	case KEY_INT:
		snprintf(buf, len, "%d", *(const int *)(const void *)field);
		break;
	case KEY_BOOL:
		snprintf(buf, len, "%s", *(const int *)(const void *)field ? "yes" : "no");
		break;
	case KEY_URL_STYLE:
		snprintf(buf, len, "%s",
		    *(const enum url_style *)(const void *)field == URL_STYLE_HOST ? "host" : "path");
		break;
	case KEY_SANDBOX_MODE:
		snprintf(buf, len, "%s",
		    sandbox_mode_name(*(const enum sandbox_mode *)(const void *)field));
		break;
	case KEY_SIZE:
		d = *(const int64_t *)(const void *)field;
		if (d != 0 && d % (1024 * 1024 * 1024) == 0)
			snprintf(buf, len, "%lldG", (long long)(d / (1024 * 1024 * 1024)));
		else if (d != 0 && d % (1024 * 1024) == 0)
			snprintf(buf, len, "%lldM", (long long)(d / (1024 * 1024)));
		else if (d != 0 && d % 1024 == 0)
			snprintf(buf, len, "%lldK", (long long)(d / 1024));
		else
			snprintf(buf, len, "%lld", (long long)d);
		break;
	case KEY_CLIENT: /* conf_template writes each line */
		buf[0] = '\0';
		break;
	case KEY_DURATION:
		d = *(const int64_t *)(const void *)field;
		if (d != 0 && d % 86400 == 0)
			snprintf(buf, len, "%lldd", (long long)(d / 86400));
		else if (d != 0 && d % 3600 == 0)
			snprintf(buf, len, "%lldh", (long long)(d / 3600));
		else if (d != 0 && d % 60 == 0)
			snprintf(buf, len, "%lldm", (long long)(d / 60));
		else
			snprintf(buf, len, "%llds", (long long)d);
		break;
	}
}

char *
conf_template(const struct conf *c)
{
	char *out = NULL, value[CONF_STR_MAX];
	size_t len = 0;
	const char *section = "";
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "; lancre.conf - settings for this lancre data directory.\n"
		   "; Written by `lancre init`; edit freely.  Every key is optional and shows\n"
		   "; its default unless init was told otherwise.  Durations take s, m, h, d.\n"
		   "; Issuers are not listed here: add them with `lancre issuer add`.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(f, "\n[%s]\n", section);
		}
		if (keys[i].type == KEY_CLIENT) {
			fprintf(f, "; %s\n", keys[i].help);
			if (c->api_nclients == 0)
				fprintf(f, ";%s = \n", keys[i].name);
			for (int k = 0; k < c->api_nclients; k++) {
				token_scopes_format(c->api_clients[k].scopes, value);
				fprintf(f, "%s = %s : %s\n", keys[i].name, c->api_clients[k].subject,
				    value);
			}
			continue;
		}
		format_value(c, &keys[i], value, sizeof(value));
		fprintf(f, "; %s\n%s%s = %s\n", keys[i].help, value[0] == '\0' ? ";" : "",
		    keys[i].name, value);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
