/*
 * Unit tests for admin/api: the admin API's routes, tokens and endpoints,
 * on a real SQLite store opened as the admin process opens it (STORE_INTAKE),
 * without HTTP.
 */
#include "testutil.h"
#include "admin/api.h"
#include "admin/wait.h"
#include "admin/auth.h"
#include "admin/reply.h"
#include "admin/endpoints.h"
#include "pki/issuer.h"
#include "pki/reason.h"

#include <openssl/pem.h>
#include <openssl/sha.h>

#define TOKEN_ALL "lct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_READ "lct_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define TOKEN_GONE "lct_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"

struct fixture {
	char dir[256];
	struct conf conf;
	struct store *s; /* intake handle */
	struct admin_api api;
	struct test_ca root, ca;
	unsigned char *leaf[3];
	int leaf_len[3];
};

static void
put_token(struct store *s, const char *name, const char *text, unsigned scopes, int revoked)
{
	struct token_record t = {0};
	struct err e;

	snprintf(t.name, sizeof(t.name), "%s", name);
	t.scopes = scopes;
	SHA256((const unsigned char *)text, strlen(text), t.hash);
	t.created = 1;
	t.revoked = revoked ? 2 : 0;
	assert_int_equal(store_token_put(s, &t, &e), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store *w;
	struct err e;

	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof(f->dir));
	conf_defaults(&f->conf);
	w = store_open(f->dir, "lancre.db", STORE_CREATE, &e);
	assert_non_null(w);
	test_ca_make(&f->root, "Root", NULL, MINT_P256);
	test_ca_make(&f->ca, "Issuing CA", &f->root, MINT_P256);
	test_issuer_add(w, "e1", &f->ca, "/nonexistent/e1.key", 1);
	put_token(w, "ci", TOKEN_ALL, TOKEN_SCOPE_ALL, 0);
	put_token(w, "reader", TOKEN_READ, TOKEN_SCOPE_READ, 0);
	put_token(w, "old", TOKEN_GONE, TOKEN_SCOPE_ALL, 1);
	store_close(w);
	for (int i = 0; i < 3; i++) {
		uint8_t serial[] = {0x10, (uint8_t)(0xa0 + i)};
		f->leaf[i] = test_leaf_der(&f->ca, serial, sizeof(serial), &f->leaf_len[i]);
	}
	f->s = store_open(f->dir, "lancre.db", STORE_INTAKE, &e);
	if (f->s == NULL)
		fail_msg("%s", e.msg);
	f->api = (struct admin_api){.store = f->s, .conf = &f->conf, .dir = f->dir};
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	admin_api_dispose(&f->api);
	store_close(f->s);
	for (int i = 0; i < 3; i++)
		OPENSSL_free(f->leaf[i]);
	test_ca_free(&f->ca);
	test_ca_free(&f->root);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static const char *body_text;
static const char *call_subject; /* the client certificate's subject of the next calls */
static int call_known;           /* the last answer's authenticated */

/* One request: its status, and the body in body_text (freed by the next call). */
static int
call(struct fixture *f, const char *method, const char *path, const char *token,
    const void *body, size_t len)
{
	static struct admin_response rs;
	static char auth[128];
	struct admin_request rq = {.method = method, .method_len = strlen(method), .path = path,
	    .path_len = strcspn(path, "?"), .body = body, .body_len = len, .peer = "127.0.0.1:5555",
	    .tls_subject = call_subject};

	if (path[rq.path_len] == '?') {
		rq.query = path + rq.path_len + 1;
		rq.query_len = strlen(rq.query);
	}
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		rq.authorization = auth;
		rq.authorization_len = strlen(auth);
	}
	admin_response_free(&rs);
	admin_api_handle(&f->api, &rq, &rs);
	call_known = rs.authenticated;
	assert_non_null(rs.body);
	assert_int_equal(rs.body[rs.len - 1], '\n');
	body_text = rs.body;
	return rs.status;
}

#define CALL_JSON(f, m, p, t, json) call(f, m, p, t, json, strlen(json))
#define HAS(s) \
	do { \
		if (strstr(body_text, s) == NULL) \
			fail_msg("'%s' not in %s", s, body_text); \
	} while (0)

static int64_t
count_certs(struct fixture *f, int64_t *revoked)
{
	int64_t total = 0;
	struct err e;

	assert_int_equal(store_cert_count(f->s, 1, &total, revoked, &e), 0);
	return total;
}

static int
count_cb(void *arg, const struct audit_record *r, struct err *e)
{
	(void)r;
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
audit_rows(struct fixture *f)
{
	struct audit_filter flt = {0};
	struct err e;
	int n = 0;

	assert_int_equal(store_audit_each(f->s, &flt, count_cb, &n, &e), 0);
	return n;
}

static void
test_who_may(void **state)
{
	struct fixture *f = *state;
	int64_t revoked;

	assert_int_equal(call(f, "GET", "/api/v1/status", NULL, NULL, 0), 401);
	HAS("a bearer token is needed");
	assert_int_equal(call(f, "GET", "/api/v1/status", "lct_short", NULL, 0), 401);
	HAS("not a lancre token");
	assert_int_equal(call(f, "GET", "/api/v1/status",
			     "lct_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", NULL, 0),
	    401);
	HAS("unknown or revoked token");
	assert_int_equal(call(f, "GET", "/api/v1/status", TOKEN_GONE, NULL, 0), 401);
	assert_int_equal(call(f, "GET", "/api/v1/status", TOKEN_READ, NULL, 0), 200);
	HAS("\"caller\":\"token:reader\"");
	HAS("\"name\":\"e1\"");
	/* A reader may not add nor revoke: 403, and nothing changes. */
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_READ, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    403);
	HAS("token 'reader' may read; this needs intake");
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_READ,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\"}"),
	    403);
	assert_int_equal(count_certs(f, &revoked), 0);
	assert_int_equal(audit_rows(f), 0);
}

static int
last_actor_cb(void *arg, const struct audit_record *r, struct err *e)
{
	(void)e;
	snprintf(arg, 600, "%s", r->ev.actor);
	return 0;
}

/* The actor of the last audit row. */
static const char *
last_actor(struct fixture *f)
{
	static char actor[600];
	struct audit_filter flt = {0};
	struct err e;

	actor[0] = '\0';
	assert_int_equal(store_audit_each(f->s, &flt, last_actor_cb, actor, &e), 0);
	return actor;
}

/*
 * Mutual TLS: a request without a token over a connection with a verified
 * client certificate is that certificate's [admin] client line; a token,
 * when there is one, decides instead.
 */
static void
test_client_certificate(void **state)
{
	struct fixture *f = *state;
	int64_t revoked;

	snprintf(f->conf.api_clients[0].subject, sizeof(f->conf.api_clients[0].subject),
	    "CN=issuance,O=Example CA");
	f->conf.api_clients[0].scopes = TOKEN_SCOPE_INTAKE | TOKEN_SCOPE_READ;
	f->conf.api_nclients = 1;
	call_subject = "CN=elsewhere,O=Example CA";
	assert_int_equal(call(f, "GET", "/api/v1/status", NULL, NULL, 0), 403);
	HAS("client certificate 'CN=elsewhere,O=Example CA' is not listed in [admin] client");
	assert_false(call_known); /* not listed: no known caller (its connection may be cut) */
	assert_int_equal(call(f, "POST", "/api/v1/certificates", NULL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    403);
	/* Compared whole: a prefix or another case is another subject. */
	call_subject = "CN=issuance";
	assert_int_equal(call(f, "GET", "/api/v1/status", NULL, NULL, 0), 403);
	call_subject = "cn=issuance,O=Example CA";
	assert_int_equal(call(f, "GET", "/api/v1/status", NULL, NULL, 0), 403);
	assert_int_equal(count_certs(f, &revoked), 0);
	assert_int_equal(audit_rows(f), 0);

	call_subject = "CN=issuance,O=Example CA";
	assert_int_equal(call(f, "GET", "/api/v1/status", NULL, NULL, 0), 200);
	assert_true(call_known);
	HAS("\"caller\":\"tls:CN=issuance,O=Example CA\"");
	assert_int_equal(call(f, "POST", "/api/v1/certificates", NULL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    200);
	assert_int_equal(audit_rows(f), 1);
	assert_string_equal(last_actor(f), "tls:CN=issuance,O=Example CA");
	/* Its scopes are its line's: no revoke. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", NULL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\"}"),
	    403);
	HAS("client certificate 'CN=issuance,O=Example CA' may intake, read; this needs revoke");
	assert_true(call_known); /* listed, only short of the scope: known */
	assert_int_equal(count_certs(f, &revoked), 1);
	assert_int_equal(revoked, 0);

	/* With a token, the token decides: a bad one is 401, whatever the certificate. */
	assert_int_equal(call(f, "GET", "/api/v1/status", TOKEN_GONE, NULL, 0), 401);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_READ, f->leaf[1],
			     (size_t)f->leaf_len[1]),
	    403);
	HAS("token 'reader' may read; this needs intake");
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\"}"),
	    200);
	assert_string_equal(last_actor(f), "token:ci");
	assert_int_equal(count_certs(f, &revoked), 1);
	assert_int_equal(revoked, 1);
	call_subject = NULL;
}

static void
test_routes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, "GET", "/api/v2/status", TOKEN_ALL, NULL, 0), 404);
	assert_int_equal(call(f, "GET", "/", TOKEN_ALL, NULL, 0), 404);
	assert_int_equal(call(f, "GET", "/api/v1/certificates/e1", TOKEN_ALL, NULL, 0), 404);
	assert_int_equal(call(f, "GET", "/api/v1/certificates/e1/10/x", TOKEN_ALL, NULL, 0), 404);
	assert_int_equal(call(f, "DELETE", "/api/v1/revocations", TOKEN_ALL, NULL, 0), 405);
	HAS("this endpoint takes POST");
	assert_int_equal(call(f, "GET", "/api/v1/certificates", TOKEN_ALL, NULL, 0), 405);
	assert_int_equal(call(f, "POST", "/api/v1/revocations?wait=later", TOKEN_ALL, "{}", 2),
	    400);
	HAS("unknown query parameter 'wait=later'");
	assert_int_equal(call(f, "GET", "/api/v1/status?wait=served", TOKEN_ALL, NULL, 0), 400);
	HAS("no query parameter is accepted here");
}

/*
 * An error answer with fields, made once: "error" first, then the fields
 * in their order; the message's non-UTF-8 bytes as '?'; no fields, the
 * error alone.
 */
static void
test_reply_error_with(void **state)
{
	struct admin_response rs = {0};

	(void)state;
	admin_reply_error_with(&rs, 422, json_pack("{s:i, s:s}", "index", 2, "reason", "bad"),
	    "certificate %d: %s (nothing was recorded)", 2, "bad");
	assert_int_equal(rs.status, 422);
	assert_string_equal(rs.body, "{\"error\":\"certificate 2: bad (nothing was recorded)\","
				     "\"index\":2,\"reason\":\"bad\"}\n");
	admin_response_free(&rs);
	rs = (struct admin_response){0};
	admin_reply_error_with(&rs, 400, NULL, "name \xff%s", "x");
	assert_int_equal(rs.status, 400);
	assert_string_equal(rs.body, "{\"error\":\"name ?x\"}\n");
	admin_response_free(&rs);
}

/* ?wait=served[&timeout=S]: the default, the cap, either order; anything else refused. */
static void
test_wait_query(void **state)
{
	struct err e;
	int t;

	(void)state;
	assert_int_equal(admin_wait_query(NULL, 0, &t, &e), 0);
	assert_int_equal(t, 0);
	assert_int_equal(admin_wait_query("wait=served", 11, &t, &e), 0);
	assert_int_equal(t, ADMIN_WAIT_DEFAULT_S);
	assert_int_equal(admin_wait_query("timeout=3&wait=served", 21, &t, &e), 0);
	assert_int_equal(t, 3);
	assert_int_equal(admin_wait_query("wait=served&timeout=100000", 26, &t, &e), 0);
	assert_int_equal(t, ADMIN_WAIT_MAX_S);
	assert_int_equal(admin_wait_query("wait=served&timeout=0", 21, &t, &e), -1);
	assert_int_equal(admin_wait_query("wait=served&timeout=2s", 22, &t, &e), -1);
	assert_int_equal(admin_wait_query("timeout=5", 9, &t, &e), -1);
	assert_int_equal(admin_wait_query("wait=served&x", 13, &t, &e), -1);
}

static void
test_add_and_get(void **state)
{
	struct fixture *f = *state;
	int64_t revoked;

	assert_int_equal(call(f, "GET", "/api/v1/certificates/e1/10a0", TOKEN_ALL, NULL, 0), 404);
	HAS("e1 has no certificate with serial 10a0");
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    200);
	HAS("\"added\":1");
	HAS("\"result\":\"added\"");
	/* The same again: present, not an error. */
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    200);
	HAS("\"added\":0");
	HAS("\"result\":\"present\"");
	assert_int_equal(count_certs(f, &revoked), 1);
	assert_int_equal(audit_rows(f), 1); /* one cert.add: the second was no change */
	assert_int_equal(call(f, "GET", "/api/v1/certificates/e1/10:A0", TOKEN_READ, NULL, 0), 200);
	HAS("\"status\":\"good\"");
	HAS("\"ocsp\":{\"signed\":false}");
	assert_int_equal(call(f, "GET", "/api/v1/certificates/e9/10a0", TOKEN_READ, NULL, 0), 404);
	HAS("no issuer named 'e9'");
	assert_int_equal(call(f, "GET", "/api/v1/certificates/e1/zz", TOKEN_READ, NULL, 0), 400);
}

/*
 * The issuers are kept between requests (admin_api_issuers) but read again once
 * they change: a certificate of an issuer added after the first request is taken.
 */
static void
test_issuers_read_again(void **state)
{
	struct fixture *f = *state;
	struct test_ca ca2;
	struct store *w;
	struct err e;
	uint8_t serial[] = {0x20, 0x01};
	unsigned char *leaf;
	int len;

	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    200);
	test_ca_make(&ca2, "Second CA", &f->root, MINT_P256);
	leaf = test_leaf_der(&ca2, serial, sizeof(serial), &len);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, leaf, (size_t)len),
	    422);
	w = store_open(f->dir, "lancre.db", STORE_WRITE, &e);
	assert_non_null(w);
	test_issuer_add(w, "e2", &ca2, "/nonexistent/e2.key", 1);
	store_close(w);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, leaf, (size_t)len),
	    200);
	HAS("\"issuer\":\"e2\"");
	OPENSSL_free(leaf);
	test_ca_free(&ca2);
}

/*
 * The token's lookup is kept prepared between requests (sqlite store): a
 * token revoked by another process (`lancre token revoke`) while the API
 * runs is refused from the next request on, and one added is accepted.
 */
static void
test_token_revoked_while_running(void **state)
{
	struct fixture *f = *state;
	const char *fresh = "lct_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE";
	struct store *w;
	struct err e;

	assert_int_equal(call(f, "GET", "/api/v1/status", TOKEN_ALL, NULL, 0), 200);
	assert_int_equal(call(f, "GET", "/api/v1/status", fresh, NULL, 0), 401);
	w = store_open(f->dir, "lancre.db", STORE_WRITE, &e);
	assert_non_null(w);
	assert_int_equal(store_token_revoke(w, "ci", 5, &e), 1);
	put_token(w, "fresh", fresh, TOKEN_SCOPE_ALL, 0);
	store_close(w);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    401);
	HAS("unknown or revoked token");
	assert_int_equal(call(f, "GET", "/api/v1/status", TOKEN_ALL, NULL, 0), 401);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", fresh, f->leaf[0],
			     (size_t)f->leaf_len[0]),
	    200);
	HAS("\"added\":1");
}

/*
 * The issuer's P-256 key has a table (issuer_set_prepare_tables): a
 * certificate whose issuer name matches but whose signature is another
 * key's is still refused, and the issuer's own are taken.
 */
static void
test_signature_with_table(void **state)
{
	struct fixture *f = *state;
	struct test_ca twin;
	uint8_t serial[] = {0x66};
	unsigned char *forged;
	int len;

	test_ca_make(&twin, "Issuing CA", &f->root, MINT_P256); /* same name, another key */
	forged = test_leaf_der(&twin, serial, sizeof(serial), &len);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, forged, (size_t)len),
	    422);
	HAS("signature does not verify with the key of issuer e1");
	assert_non_null(f->api.issuers);
	assert_non_null(f->api.issuers->v[0].table);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[2],
			     (size_t)f->leaf_len[2]),
	    200);
	HAS("\"added\":1");
	OPENSSL_free(forged);
	test_ca_free(&twin);
}

/* A bundle with one refused certificate records none of them. */
static void
test_bundle_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct test_ca other;
	uint8_t serial[] = {0x77};
	unsigned char *stray;
	int stray_len;
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;
	int64_t revoked;
	X509 *x;

	test_ca_make(&other, "Unknown CA", NULL, MINT_P256);
	stray = test_leaf_der(&other, serial, sizeof(serial), &stray_len);
	for (int i = 0; i < 3; i++) {
		const unsigned char *p = i == 1 ? stray : f->leaf[i];
		x = d2i_X509(NULL, &p, i == 1 ? stray_len : f->leaf_len[i]);
		assert_non_null(x);
		PEM_write_bio_X509(b, x);
		X509_free(x);
	}
	BIO_get_mem_ptr(b, &m);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, m->data, m->length),
	    422);
	HAS("certificate 2: ");
	HAS("(nothing was recorded)");
	assert_int_equal(count_certs(f, &revoked), 0);
	assert_int_equal(audit_rows(f), 0);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, "hello", 5), 400);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, "", 0), 400);
	BIO_free(b);
	OPENSSL_free(stray);
	test_ca_free(&other);
}

static void
test_revoke(void **state)
{
	struct fixture *f = *state;
	int64_t revoked;

	for (int i = 0; i < 2; i++)
		assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[i],
				     (size_t)f->leaf_len[i]),
		    200);
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\", \"reason\": \"superseded\"}"),
	    200);
	HAS("\"status\":\"revoked\"");
	HAS("\"reason\":\"superseded\"");
	HAS("\"result\":\"revoked\"");
	assert_int_equal(audit_rows(f), 3);
	/* Idempotent: the same again changes nothing and adds no audit row. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\", \"reason\": \"superseded\"}"),
	    200);
	HAS("\"result\":\"unchanged\"");
	assert_int_equal(audit_rows(f), 3);
	/* Another reason but keyCompromise: refused (409), nothing changed. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\", \"reason\": \"unspecified\"}"),
	    409);
	HAS("e1 serial 10a0: already revoked at");
	/* keyCompromise replaces it. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a0\", \"reason\": "
			     "\"keyCompromise\"}"),
	    200);
	HAS("\"result\":\"changed\"");
	HAS("\"reason\":\"keyCompromise\"");
	assert_int_equal(audit_rows(f), 4);
	/* A list with one unknown serial: 404, and the other is not revoked either. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "[{\"issuer\": \"e1\", \"serial\": \"10a1\"}, {\"issuer\": \"e1\", "
			     "\"serial\": \"99\"}]"),
	    404);
	HAS("revocation 2: e1 has no certificate with serial 99");
	HAS("(nothing was revoked)");
	assert_int_equal(count_certs(f, &revoked), 2);
	assert_int_equal(revoked, 1);
	/* Malformed: 400, one line naming the member. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "{\"issuer\": \"e1\", \"serial\": \"10a1\", \"reson\": \"x\"}"),
	    400);
	HAS("unknown member \\\"reson\\\"");
	/* The list form answers a list; the same certificate twice is revoked once. */
	assert_int_equal(CALL_JSON(f, "POST", "/api/v1/revocations", TOKEN_ALL,
			     "[{\"issuer\": \"e1\", \"serial\": \"10a1\"}, {\"issuer\": \"e1\", "
			     "\"serial\": \"0x10A1\"}]"),
	    200);
	HAS("{\"revocations\":[");
	HAS("\"result\":\"duplicate\"");
	assert_int_equal(count_certs(f, &revoked), 2);
	assert_int_equal(revoked, 2);
	assert_int_equal(audit_rows(f), 5);
}

/* admin_cert_text writes what json_dumps writes of admin_cert_json, byte for byte. */
static void
test_cert_text(void **state)
{
	static const int64_t times[] = {0, -86400, 1767225600, 253402300799};
	static const char *const issuers[] = {"e1", "a-9", "x"};
	struct cert_record c;
	(void)state;

	for (int k = 0; k < 48; k++) {
		struct admin_text t = {0};
		json_t *o;
		char *want;

		memset(&c, 0, sizeof(c));
		c.serial_len = (size_t)(k % 3 == 0 ? 1 : k % 3 == 1 ? 8 : 20);
		for (size_t i = 0; i < c.serial_len; i++)
			c.serial[i] = (uint8_t)(0x7f - 13 * i - (size_t)k);
		c.not_before = times[k % 4];
		c.not_after = times[(k + 1) % 4];
		c.added_at = times[(k + 2) % 4];
		c.is_ca = k % 5 == 0 ? 0 : k % 5;
		c.precert = k % 7 == 0 ? 0 : k % 7;
		c.shard = k * 37 - 100;
		if (k % 2) {
			c.status = CERT_REVOKED;
			c.revoked_at = times[(k + 3) % 4];
			c.reason = k % 12 == 11 ? 99 : k % 12; /* 7 and 99: no name, "unknown" */
		}
		o = admin_cert_json(issuers[k % 3], &c);
		assert_non_null(o);
		want = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		assert_int_equal(admin_cert_text(&t, issuers[k % 3], &c), 0);
		admin_text_put(&t, "}");
		assert_false(t.failed);
		assert_int_equal(t.len, strlen(want));
		assert_memory_equal(t.p, want, t.len);
		free(want);
		free(t.p);
		json_decref(o);
	}
	/* A name json_dumps would escape: the caller goes the JSON way. */
	{
		struct admin_text t = {0};
		assert_int_equal(admin_cert_text(&t, "e\"1", &c), -1);
		assert_int_equal(admin_cert_text(&t, "\xc3\xa9", &c), -1);
		assert_int_equal(t.len, 0);
		free(t.p);
	}
}

/*
 * A bundle's answer, written as text: what jansson writes of it (parsed and
 * dumped again: the same bytes), each certificate with its result.
 */
static void
test_bundle_answer_text(void **state)
{
	struct fixture *f = *state;
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;
	json_t *j, *list;
	char *again;
	X509 *x;

	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, f->leaf[1],
			     (size_t)f->leaf_len[1]),
	    200);
	for (int i = 0; i < 3; i++) {
		const unsigned char *p = f->leaf[i];
		x = d2i_X509(NULL, &p, f->leaf_len[i]);
		assert_non_null(x);
		PEM_write_bio_X509(b, x);
		X509_free(x);
	}
	BIO_get_mem_ptr(b, &m);
	assert_int_equal(call(f, "POST", "/api/v1/certificates", TOKEN_ALL, m->data, m->length),
	    200);
	j = json_loads(body_text, 0, NULL);
	assert_non_null(j);
	again = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(again);
	assert_int_equal(strlen(body_text), strlen(again) + 1);
	assert_memory_equal(body_text, again, strlen(again));
	HAS("{\"added\":2,\"present\":1,\"completed\":0,\"certificates\":[{\"issuer\":\"e1\","
	    "\"serial\":\"10a0\",");
	list = json_object_get(j, "certificates");
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "result")),
	    "present");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "result")),
	    "added");
	free(again);
	json_decref(j);
	BIO_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_who_may, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_certificate, setup, teardown),
	    cmocka_unit_test(test_wait_query),
	    cmocka_unit_test(test_reply_error_with),
	    cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_and_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issuers_read_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_revoked_while_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bundle_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
	    cmocka_unit_test(test_cert_text),
	    cmocka_unit_test_setup_teardown(test_signature_with_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bundle_answer_text, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
