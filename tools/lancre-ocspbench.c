/*
 * lancre-ocspbench.c - how fast the public server's hot path answers, without
 * the HTTP around it, test requests for the HTTP benchmarks, and how fast the
 * signing engine signs, without the store around it.
 *
 *   lancre-ocspbench bench -d DIR [--requests K] [--lookups L] [--runs R]
 *       [--hash sha1|sha256] [--seed S]
 *   lancre-ocspbench requests -d DIR --out FILE [--requests K] [--hash sha1|sha256]
 *       [--seed S] [--responses DIR] [--post FILE] [--index FILE]
 *   lancre-ocspbench sign -d DIR [--count N] [--threads T] [--hash sha1|sha256]
 *       [--runs R]
 *   lancre-ocspbench put -d DIR [--bytes B]
 *
 * Design.  Both modes load DIR's pre-signed responses into one index with
 * ocsp_index_load(), exactly as `lancre serve` does, and time that load.  A
 * second pass over the store (store_ocsp_each) counts the responses and
 * their bytes and draws K of them uniformly at random (reservoir sampling,
 * a seeded splitmix64, so a seed gives the same sample of the same store)
 * among those of one CertID hash algorithm.  For each drawn response we
 * build the request a client would send, with OpenSSL's own
 * OCSP_cert_id_new() over the issuer certificate and the serial, DER-encode
 * it and check, before anything is timed, that ocsp_answer_der() answers it
 * with exactly the stored bytes.  The requests are then shuffled, so that
 * consecutive lookups land on unrelated parts of the index, as requests
 * from many clients do.
 *
 * bench times three paths, each over L lookups cycling through the K
 * requests, R times, and prints the median with the runs:
 *   find    ocsp_index_find() on pre-parsed queries: the hash table alone;
 *   der     ocsp_answer_der(): DER parse (d2i_OCSP_REQUEST) + lookup, a POST;
 *   get     ocsp_answer_get(): URL/base64 decoding + the above, a GET.
 * One thread: a server runs one such loop per core.  The figures printed
 * are lookups/s and ns per lookup, the index's memory (arena + table, from
 * ocsp_index_memory) against the responses' own bytes, and the process's
 * resident memory after the load.
 *
 * requests writes, for the HTTP benchmarks (bench/serve.sh), one line per
 * drawn request: "<serial hex> <request base64, URL-encoded>", and with
 * --responses DIR the response bytes the index holds for each, as
 * DIR/<serial hex>.der (what a static file server is given to serve), with
 * --post FILE the DER of the first request (a POST body) and with --index
 * FILE an `openssl ca` index.txt naming the drawn serials as valid, for
 * `openssl ocsp -index`.  Output lines go to stdout, progress to stderr.
 *
 * sign separates the signature from SQLite: `lancre sign` reads certificates
 * from the store and writes responses back, and its rate mixes both.  Here
 * the first issuer of DIR with a key is loaded as the signer loads it
 * (key_load, ocsp_template_init; only an issuer that signs its own
 * responses: a delegated responder is refused), and N responses, status
 * good, with distinct made-up serials and the signer's times, are signed
 * with ocsp_template_sign() on T threads, each with its own sigctx and one
 * reused output buffer, as the signer's workers do.  Nothing is stored.
 * Before anything is timed, the first response of the first run is signed
 * and checked with OpenSSL: it must decode, verify with the issuer's key and
 * say "good" for its CertID.  Each of R runs is timed in wall time and in
 * the process's CPU time (user + system), and the medians are printed: the
 * CPU time tells what a response costs whatever else the machine did.
 *
 * put is the other half: what the store costs per response, without
 * signing.  On DIR as `lancre sign --once` finds it (run it on a fresh copy
 * of an imported directory: it writes), one thread does what the signer's
 * main thread does: pages of SIGNER_BATCH changed certificates
 * (store_certs_changed), each page's responses (B bytes of filler each, one
 * or two per certificate as DIR's [ocsp] sha256 says) written with one
 * store_ocsp_put(), one transaction.  The CPU time of the reads and of the
 * writes is printed per response.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "ocsp/answer.h"
#include "ocsp/certid.h"
#include "ocsp/index.h"
#include "ocsp/request.h"
#include "ocsp/template.h"
#include "pki/issuer.h"
#include "pki/serial.h"
#include "pki/sigctx.h"
#include "signer/key.h"
#include "signer/signer.h"
#include "util/err.h"
#include "util/fsutil.h"

#include "util/num.h"

#include "tool.h"

#define OB_REQUESTS_MAX 10000000ULL
#define OB_LOOKUPS_MAX 1000000000ULL
#define OB_RUNS_MAX 101
#define OB_COUNT_MAX 1000000000ULL
#define OB_THREADS_MAX 1024
#define OB_SERIAL_LEN 16
#define OB_BYTES_MAX 65536ULL
#define OB_REQ_DER_MAX 256 /* one CertID, no extensions: 75-180 bytes */
#define OB_GET_MAX (3 * ((OB_REQ_DER_MAX + 2) / 3 * 4) + 1) /* base64, each char %XX */

static const char ob_usage_text[] =
    "usage: lancre-ocspbench bench -d DIR [--requests K] [--lookups L] [--runs R]\n"
    "           [--hash sha1|sha256] [--seed S]\n"
    "       lancre-ocspbench requests -d DIR --out FILE [--requests K]\n"
    "           [--hash sha1|sha256] [--seed S] [--responses DIR] [--post FILE]\n"
    "           [--index FILE]\n"
    "       lancre-ocspbench sign -d DIR [--count N] [--threads T] [--hash sha1|sha256]\n"
    "           [--runs R]\n"
    "       lancre-ocspbench put -d DIR [--bytes B]\n\n"
    "bench: load DIR's OCSP responses as the server does, build K requests for\n"
    "random stored serials, and time L lookups R times (median): the index alone,\n"
    "DER request parse + lookup, and GET path decoding + parse + lookup.\n"
    "requests: write K such requests as \"<serial hex> <URL-encoded base64>\" lines,\n"
    "and optionally the response bytes per serial (DIR/<serial hex>.der), the first\n"
    "request's DER, and an openssl ca index.txt of the serials.\n"
    "sign: sign N responses (status good) with the first issuer of DIR that has a\n"
    "key, on T threads, R times (median), storing nothing: the signing engine alone.\n"
    "put: write a response of B bytes (default 280) for every certificate of DIR\n"
    "that lancre sign would sign, as the signer writes them, signing nothing: the\n"
    "store alone.  It writes to DIR: give it a copy.\n"
    "  --requests K  distinct requests (default 100000, at most the responses stored)\n"
    "  --lookups L   lookups per timed run (default 2000000)\n"
    "  --count N     sign: responses per timed run (default 100000)\n"
    "  --threads T   sign: signing threads (default: the CPUs this process may use)\n"
    "  --bytes B     put: bytes per response (default 280, a P-256 response's size)\n"
    "  --runs R      timed runs, median reported (default 3)\n"
    "  --hash H      CertID hash of the requests or responses (default sha1, what\n"
    "                clients send)\n"
    "  --seed S      sample seed (default 1)\n";

/* A usage error: the message, then the usage text; EXIT_USAGE. */
#define ob_usage(...) tool_usage("lancre-ocspbench", ob_usage_text, __VA_ARGS__)

/*
 * One drawn response and the request for it.  The request's DER and GET path
 * live in two packed buffers (struct ob_sample), so that a timed loop reads
 * the requests as one sequential stream, as if they had just arrived.
 */
struct ob_req {
	int64_t issuer_id;
	uint8_t serial[STORE_SERIAL_MAX];
	size_t serial_len;
	size_t der_off, der_len;
	size_t get_off, get_len;
	struct ocsp_query q;
};

/* A growing byte buffer. */
struct ob_buf {
	uint8_t *p;
	size_t len, cap;
};

struct ob_opts {
	int mode; /* 'b' bench, 'r' requests, 's' sign, 'p' put */
	const char *dir, *out, *responses, *post, *index;
	unsigned long long requests, lookups, runs, seed;
	unsigned long long count, threads; /* sign; threads 0: one per CPU */
	unsigned long long bytes;          /* put */
	enum ocsp_hash hash;
	/* An option given that only bench/requests, sign, put, or bench/sign take. */
	int sample_opt, sign_opt, put_opt, runs_opt, hash_opt;
};

/* The sampling pass over the store. */
struct ob_sample {
	struct ob_req *v;
	size_t k, n;       /* wanted, held */
	uint64_t seen;     /* responses of the chosen hash seen so far */
	uint64_t total;    /* all responses */
	uint64_t bytes;    /* their DER bytes */
	enum ocsp_hash hash;
	uint64_t rng;
	struct ob_buf der, get; /* the requests, packed */
};

static uint64_t
ob_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the modulo bias is below 2^-40 for n < 2^24). */
static uint64_t
ob_below(uint64_t *s, uint64_t n)
{
	return ob_rand(s) % n;
}

static double
ob_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
ob_sample_one(void *arg, const struct ocsp_record *r)
{
	struct ob_sample *s = arg;
	uint64_t j;

	s->total++;
	s->bytes += r->der_len;
	if (r->hash != s->hash)
		return 0;
	s->seen++;
	/* Reservoir sampling (Algorithm R): every response ends up drawn with p = k / seen. */
	if (s->n < s->k)
		j = s->n++;
	else if ((j = ob_below(&s->rng, s->seen)) >= s->k)
		return 0;
	s->v[j].issuer_id = r->issuer_id;
	memcpy(s->v[j].serial, r->serial, r->serial_len);
	s->v[j].serial_len = r->serial_len;
	return 0;
}

static int
ob_buf_add(struct ob_buf *b, const void *p, size_t len, struct err *e)
{
	size_t cap = b->cap ? b->cap : 1 << 20;
	uint8_t *np;

	if (b->len + len > b->cap) {
		while (cap < b->len + len)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return err_set(e, "out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

/* Standard base64 with '+', '/' and '=' percent-encoded, as a careful client sends it. */
static size_t
ob_get_path(const uint8_t *der, size_t len, char *out, size_t max)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char b64[OB_GET_MAX];
	size_t n = 0;
	int m;

	if (len > OB_REQ_DER_MAX)
		return 0;
	m = EVP_EncodeBlock(b64, der, (int)len);
	for (int i = 0; i < m; i++) {
		if (n + 4 > max)
			return 0;
		if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=') {
			out[n++] = '%';
			out[n++] = hex[b64[i] >> 4];
			out[n++] = hex[b64[i] & 15];
		} else {
			out[n++] = (char)b64[i];
		}
	}
	out[n] = '\0';
	return n;
}

/*
 * The DER request a client builds for r's serial (one CertID, no nonce) and
 * its GET path, appended to s's buffers (the path with its NUL).
 */
static int
ob_build(struct ob_sample *s, struct ob_req *r, X509 *issuer, struct err *e)
{
	unsigned char ibuf[2 + STORE_SERIAL_MAX], der[OB_REQ_DER_MAX], *p = der;
	const unsigned char *ip = ibuf;
	char get[OB_GET_MAX];
	ASN1_INTEGER *serial;
	OCSP_CERTID *id = NULL;
	OCSP_REQUEST *req;
	int n, rc = -1;

	ibuf[0] = V_ASN1_INTEGER;
	ibuf[1] = (unsigned char)r->serial_len;
	memcpy(ibuf + 2, r->serial, r->serial_len);
	serial = d2i_ASN1_INTEGER(NULL, &ip, (long)(r->serial_len + 2));
	req = OCSP_REQUEST_new();
	if (serial == NULL || req == NULL)
		goto out;
	id = OCSP_cert_id_new(ocsp_hash_md(s->hash), X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), serial);
	if (id == NULL || OCSP_request_add0_id(req, id) == NULL)
		goto out;
	id = NULL; /* the request owns it */
	if ((n = i2d_OCSP_REQUEST(req, NULL)) <= 0 || n > OB_REQ_DER_MAX ||
	    i2d_OCSP_REQUEST(req, &p) != n)
		goto out;
	r->der_len = (size_t)n;
	r->get_len = ob_get_path(der, r->der_len, get, sizeof(get));
	if (r->get_len == 0 || ocsp_request_parse(der, r->der_len, &r->q) != OCSP_REQUEST_OK)
		goto out;
	r->der_off = s->der.len;
	r->get_off = s->get.len;
	rc = 0;
out:
	if (rc != 0)
		err_ossl(e, "building an OCSP request");
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(serial);
	if (rc == 0 && (ob_buf_add(&s->der, der, r->der_len, e) != 0 ||
	    ob_buf_add(&s->get, get, r->get_len + 1, e) != 0))
		rc = -1;
	return rc;
}

static const uint8_t *
ob_der(const struct ob_sample *s, const struct ob_req *r)
{
	return s->der.p + r->der_off;
}

static const char *
ob_get(const struct ob_sample *s, const struct ob_req *r)
{
	return (const char *)s->get.p + r->get_off;
}

/*
 * Shuffle the drawn serials, so that consecutive requests land on unrelated
 * parts of the index, then build their requests in that order and check that
 * each is answered with its stored response, by DER and by GET.
 */
static int
ob_build_all(struct ob_sample *s, struct store *st, const struct ocsp_index *ix, int64_t now,
    struct err *e)
{
	const struct ocsp_view v = {NULL, ix};
	struct issuer_set set;
	struct ocsp_answer a;
	struct ocsp_entry en;
	struct ob_req tmp;
	size_t i, k;
	int rc = -1;

	for (i = s->n; i > 1; i--) { /* Fisher-Yates */
		k = (size_t)ob_below(&s->rng, i);
		tmp = s->v[i - 1];
		s->v[i - 1] = s->v[k];
		s->v[k] = tmp;
	}
	if (issuer_set_load(st, &set, e) != 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		struct ob_req *r = &s->v[i];
		X509 *cert = NULL;
		for (k = 0; k < set.n; k++) {
			if (set.v[k].rec.id == r->issuer_id)
				cert = set.v[k].cert;
		}
		if (cert == NULL) {
			err_set(e, "issuer %" PRId64 " of a response is not in the store",
			    r->issuer_id);
			goto out;
		}
		if (ob_build(s, r, cert, e) != 0)
			goto out;
	}
	for (i = 0; i < s->n; i++) { /* the buffers have stopped moving */
		const struct ob_req *r = &s->v[i];
		ocsp_answer_der(&v, ob_der(s, r), r->der_len, now, &a);
		if (a.outcome != OCSP_OUT_RESPONSE || ocsp_index_find(ix, &r->q, &en) != OCSP_FOUND ||
		    en.der != a.der) {
			err_set(e, "request %zu is answered \"%s\", not with its stored response",
			    i, ocsp_outcome_name(a.outcome));
			goto out;
		}
		ocsp_answer_get(&v, ob_get(s, r), r->get_len, now, &a);
		if (a.outcome != OCSP_OUT_RESPONSE || en.der != a.der) {
			err_set(e, "GET request %zu is answered \"%s\"", i,
			    ocsp_outcome_name(a.outcome));
			goto out;
		}
	}
	rc = 0;
out:
	issuer_set_free(&set);
	return rc;
}

static long
ob_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static int
ob_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n), 0 < n <= OB_RUNS_MAX; v is left in its order (the runs' order). */
static double
ob_median(const double *v, size_t n)
{
	double t[OB_RUNS_MAX];

	memcpy(t, v, n * sizeof(t[0]));
	qsort(t, n, sizeof(t[0]), ob_cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

enum ob_path {
	OB_FIND,
	OB_DER,
	OB_GET,
};

/* One timed run of `lookups` lookups over the requests; seconds.  *sink defeats the optimiser. */
static double
ob_run(enum ob_path path, const struct ocsp_index *ix, const struct ob_sample *s,
    uint64_t lookups, int64_t now, uint64_t *sink)
{
	const struct ob_req *r = s->v;
	size_t n = s->n;
	const struct ocsp_view v = {NULL, ix};
	struct ocsp_answer a;
	struct ocsp_entry en;
	uint64_t acc = 0;
	size_t i = 0;
	double t0 = ob_now();

	for (uint64_t k = 0; k < lookups; k++) {
		switch (path) {
		case OB_FIND:
			if (ocsp_index_find(ix, &r[i].q, &en) == OCSP_FOUND)
				acc += en.der_len;
			break;
		case OB_DER:
			ocsp_answer_der(&v, ob_der(s, &r[i]), r[i].der_len, now, &a);
			acc += a.len;
			break;
		case OB_GET:
			ocsp_answer_get(&v, ob_get(s, &r[i]), r[i].get_len, now, &a);
			acc += a.len;
			break;
		}
		if (++i == n)
			i = 0;
	}
	*sink += acc;
	return ob_now() - t0;
}

static void
ob_time(const char *name, enum ob_path path, const struct ocsp_index *ix,
    const struct ob_sample *s, const struct ob_opts *o, int64_t now, uint64_t *sink)
{
	size_t n = s->n;
	double t[OB_RUNS_MAX], med;
	unsigned long long i;

	ob_run(path, ix, s, n < o->lookups ? n : o->lookups, now, sink); /* warm caches */
	for (i = 0; i < o->runs; i++) {
		t[i] = ob_run(path, ix, s, o->lookups, now, sink);
		fprintf(stderr, "lancre-ocspbench: %s run %llu/%llu: %llu lookups in %.3f s\n",
		    name, i + 1, o->runs, o->lookups, t[i]);
	}
	med = ob_median(t, (size_t)o->runs);
	printf("%s: %llu lookups over %zu requests in %.3f s, median of %llu: %.0f lookups/s, "
	       "%.0f ns/lookup (1 thread)\n",
	    name, o->lookups, n, med, o->runs, med > 0 ? (double)o->lookups / med : 0.0,
	    med * 1e9 / (double)o->lookups);
}

static int
ob_write_requests(const struct ob_sample *s, const struct ocsp_index *ix,
    const struct ob_opts *o, struct err *e)
{
	char hex[SERIAL_HEX_MAX], path[PATH_MAX];
	struct ocsp_entry en;
	FILE *f = NULL, *ix_f = NULL;
	int rc = -1;

	if ((f = fopen(o->out, "w")) == NULL)
		return err_set(e, "%s: %s", o->out, strerror(errno));
	if (o->index != NULL && (ix_f = fopen(o->index, "w")) == NULL) {
		err_set(e, "%s: %s", o->index, strerror(errno));
		goto out;
	}
	if (o->responses != NULL && fs_mkdir_p(o->responses, 0755, e) != 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct ob_req *r = &s->v[i];
		serial_to_hex(r->serial, r->serial_len, hex, sizeof(hex));
		fprintf(f, "%s %s\n", hex, ob_get(s, r));
		if (ix_f != NULL) {
			/* openssl looks serials up as BN_bn2hex(): upper case, no leading zeros. */
			size_t z = 0;
			while (hex[z] == '0' && hex[z + 1] != '\0')
				z++;
			fputs("V\t491231235959Z\t\t", ix_f);
			for (const char *c = hex + z; *c != '\0'; c++)
				fputc(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c, ix_f);
			/* openssl wants subjects unique unless told otherwise: name the serial. */
			fprintf(ix_f, "\tunknown\t/CN=lancre bench leaf %s\n", hex);
		}
		if (o->responses != NULL) {
			if (ocsp_index_find(ix, &r->q, &en) != OCSP_FOUND) {
				err_set(e, "serial %s vanished from the index", hex);
				goto out;
			}
			if (fs_path(path, sizeof(path), e, "%s/%s.der", o->responses, hex) != 0 ||
			    fs_write_atomic(path, en.der, en.der_len, 0644, e) != 0)
				goto out;
		}
	}
	if (o->post != NULL && s->n > 0 &&
	    fs_write_atomic(o->post, ob_der(s, &s->v[0]), s->v[0].der_len, 0644, e) != 0)
		goto out;
	rc = 0;
out:
	if (ix_f != NULL && fclose(ix_f) != 0 && rc == 0)
		rc = err_set(e, "%s: %s", o->index, strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(e, "%s: %s", o->out, strerror(errno));
	return rc;
}

/*
 * sign: the signing engine alone.  What every signing thread shares,
 * read-only while the threads run.
 */
struct ob_engine {
	char name[STORE_ISSUER_NAME_MAX + 1];
	X509 *cert;
	EVP_PKEY *key;
	struct ocsp_template tmpl;
	enum ocsp_hash hash;
	int64_t validity; /* [ocsp] validity, as the signer: 4 days unless configured */
	int64_t this_update, next_update;
};

/* One signing thread: its own context and buffer, as in the signer's pool. */
struct ob_worker {
	const struct ob_engine *en;
	struct sigctx sc;
	uint8_t *buf;      /* ocsp_template_max() bytes, reused for every response */
	uint64_t first, n; /* the serial counters it signs */
	pthread_t tid;
	int failed;
	char why[ERR_MSG_MAX];
};

/*
 * Load the first issuer with a key, as signer.c issuer_load() does, and make
 * its template.  Delegated responders are refused rather than measured
 * without their certificate, which would time a response lancre never signs.
 */
static int
ob_engine_load(struct ob_engine *en, struct cli_dir *d, enum ocsp_hash hash, struct err *e)
{
	struct issuer_set set = {0};
	const struct issuer *is = NULL;
	struct store_issuer_keys keys;
	struct ocsp_signer sg;
	int rc = -1;

	if (issuer_set_load(d->store, &set, e) != 0)
		return -1;
	for (size_t i = 0; i < set.n && is == NULL; i++) {
		if (set.v[i].rec.has_key)
			is = &set.v[i];
	}
	if (is == NULL) {
		err_set(e, "%s has no issuer with a signing key: add one with lancre issuer add",
		    d->path);
		goto out;
	}
	snprintf(en->name, sizeof(en->name), "%s", is->rec.name);
	if (is->rec.ocsp_cert_der != NULL) {
		err_set(e, "issuer %s signs through a delegated OCSP responder; sign measures "
			   "only issuers that sign their own responses", en->name);
		goto out;
	}
	if ((en->cert = X509_dup(is->cert)) == NULL) {
		err_ossl(e, "issuer %s", en->name);
		goto out;
	}
	if (store_issuer_keys(d->store, is->rec.id, &keys, e) < 0)
		goto out;
	if ((en->key = key_load(keys.key_ref, keys.key_pass_ref, &d->conf, d->path, e)) == NULL) {
		err_prefix(e, "issuer %s", en->name);
		goto out;
	}
	sg = (struct ocsp_signer){.issuer = en->cert, .responder = en->cert, .key = en->key};
	if (ocsp_template_init(&en->tmpl, &sg, e) != 0) {
		/* The signer would fall back to ocsp_sign(); there is no engine to time. */
		err_prefix(e, "issuer %s: the OCSP response template is not usable", en->name);
		goto out;
	}
	en->hash = hash;
	en->validity = d->conf.ocsp_validity;
	rc = 0;
out:
	issuer_set_free(&set);
	return rc;
}

static void
ob_engine_clear(struct ob_engine *en)
{
	ocsp_template_clear(&en->tmpl); /* also right after a failed init */
	X509_free(en->cert);
	EVP_PKEY_free(en->key);
	memset(en, 0, sizeof(*en));
}

/* The signer's times (signer_times() without its per-serial jitter). */
static void
ob_engine_times(struct ob_engine *en)
{
	int64_t now = (int64_t)time(NULL);

	en->this_update = now - now % 60;
	en->next_update = en->this_update + en->validity;
}

/* Serial k: 0x40 (positive, no leading zero byte needed), then k big-endian. */
static void
ob_serial(uint64_t k, uint8_t serial[OB_SERIAL_LEN])
{
	memset(serial, 0, OB_SERIAL_LEN);
	serial[0] = 0x40;
	for (int i = 0; i < 8; i++)
		serial[OB_SERIAL_LEN - 1 - i] = (uint8_t)(k >> (8 * i));
}

static struct ocsp_status
ob_status(const struct ob_engine *en, const uint8_t *serial)
{
	return (struct ocsp_status){
	    .serial = serial,
	    .serial_len = OB_SERIAL_LEN,
	    .status = CERT_GOOD,
	    .this_update = en->this_update,
	    .next_update = en->next_update,
	};
}

static void
ob_workers_free(struct ob_worker *w, int n)
{
	for (int t = 0; w != NULL && t < n; t++) {
		sigctx_clear(&w[t].sc);
		free(w[t].buf);
	}
	free(w);
}

static struct ob_worker *
ob_workers_new(const struct ob_engine *en, int n, struct err *e)
{
	struct ob_worker *w = calloc((size_t)n, sizeof(*w));

	if (w == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	for (int t = 0; t < n; t++) {
		w[t].en = en;
		if ((w[t].buf = malloc(ocsp_template_max(&en->tmpl))) == NULL)
			err_set(e, "out of memory");
		if (w[t].buf == NULL || sigctx_init(&w[t].sc, en->key, e) != 0) {
			ob_workers_free(w, t + 1);
			return NULL;
		}
	}
	return w;
}

/* serial's status in bs, by a CertID OpenSSL builds itself: 0 if good and current. */
static int
ob_check_status(OCSP_BASICRESP *bs, const struct ob_engine *en, const uint8_t *serial,
    struct err *e)
{
	BIGNUM *bn = BN_bin2bn(serial, OB_SERIAL_LEN, NULL);
	ASN1_INTEGER *ai = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	OCSP_CERTID *id = NULL;
	ASN1_GENERALIZEDTIME *thisupd, *nextupd;
	int status = -1, reason, rc = -1;

	if (ai != NULL)
		id = OCSP_cert_id_new(ocsp_hash_md(en->hash), X509_get_subject_name(en->cert),
		    X509_get0_pubkey_bitstr(en->cert), ai);
	if (id == NULL)
		err_ossl(e, "building a CertID");
	else if (OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd, &nextupd) != 1)
		err_set(e, "the first response does not answer for its CertID");
	else if (status != V_OCSP_CERTSTATUS_GOOD)
		err_set(e, "the first response says %s, not good", OCSP_cert_status_str(status));
	else if (OCSP_check_validity(thisupd, nextupd, 300, -1) != 1)
		err_ossl(e, "the first response's thisUpdate/nextUpdate");
	else
		rc = 0;
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/*
 * Sign the first response of the first run and have OpenSSL decode it and
 * verify it with the issuer's certificate, so that a fast but broken engine
 * cannot be timed.
 */
static int
ob_sign_check(const struct ob_engine *en, struct ob_worker *w, struct err *e)
{
	uint8_t serial[OB_SERIAL_LEN];
	struct ocsp_status st;
	const unsigned char *p = w->buf;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	size_t len;
	int rc = -1;

	ob_serial(0, serial);
	st = ob_status(en, serial);
	if (certs == NULL || store == NULL || sk_X509_push(certs, en->cert) <= 0)
		err_set(e, "out of memory");
	else if (ocsp_template_sign(&en->tmpl, &w->sc, en->hash, &st, w->buf, &len, e) != 0)
		err_prefix(e, "signing the first response");
	else if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL || p != w->buf + len)
		err_ossl(e, "the first response does not decode");
	else if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		err_ossl(e, "the first response is not a successful basic response");
	else if (OCSP_basic_verify(bs, certs, store, OCSP_NOVERIFY | OCSP_TRUSTOTHER) != 1)
		err_ossl(e, "the first response does not verify with issuer %s's certificate",
		    en->name);
	else
		rc = ob_check_status(bs, en, serial, e);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	X509_STORE_free(store);
	sk_X509_free(certs); /* the certificate stays en's */
	return rc;
}

static void *
ob_sign_worker(void *arg)
{
	struct ob_worker *w = arg;
	uint8_t serial[OB_SERIAL_LEN];
	struct ocsp_status st = ob_status(w->en, serial);
	struct err e;
	size_t len;

	for (uint64_t k = w->first; k < w->first + w->n; k++) {
		ob_serial(k, serial);
		if (ocsp_template_sign(&w->en->tmpl, &w->sc, w->en->hash, &st, w->buf, &len,
			&e) != 0) {
			w->failed = 1;
			memcpy(w->why, e.msg, sizeof(w->why));
			break;
		}
	}
	return NULL;
}

static double
ob_cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * One timed run: serials [base, base + count) split evenly over n threads.
 * *wall and *cpu get its wall time and the process's CPU time.
 */
static int
ob_sign_run(struct ob_engine *en, struct ob_worker *w, int n, uint64_t base, uint64_t count,
    double *wall, double *cpu, struct err *e)
{
	double t0, c0;
	int started, rc = 0;

	ob_engine_times(en);
	for (int t = 0; t < n; t++) {
		w[t].first = base + count * (uint64_t)t / (uint64_t)n;
		w[t].n = base + count * (uint64_t)(t + 1) / (uint64_t)n - w[t].first;
		w[t].failed = 0;
	}
	c0 = ob_cpu_secs();
	t0 = ob_now();
	for (started = 0; started < n; started++) {
		if (pthread_create(&w[started].tid, NULL, ob_sign_worker, &w[started]) != 0) {
			rc = err_set(e, "cannot start signing thread %d", started + 1);
			break;
		}
	}
	for (int t = 0; t < started; t++)
		pthread_join(w[t].tid, NULL);
	*wall = ob_now() - t0;
	*cpu = ob_cpu_secs() - c0;
	for (int t = 0; t < started && rc == 0; t++) {
		if (w[t].failed)
			rc = err_set(e, "%s", w[t].why);
	}
	return rc;
}

static void
ob_sign_report(const struct ob_opts *o, int threads, const double *wall, const double *cpu)
{
	size_t runs = (size_t)o->runs;
	double med = ob_median(wall, runs), cpu_med = ob_median(cpu, runs);

	printf("sign: %llu responses (%s CertIDs, %d thread%s) in %.2f s, median of %zu (",
	    o->count, ocsp_hash_name(o->hash), threads, threads == 1 ? "" : "s", med, runs);
	for (size_t i = 0; i < runs; i++)
		printf("%s%.2f", i ? ", " : "", wall[i]);
	printf("): %.0f/s; CPU %.2f s (%.1f us/response)\n", med > 0 ? (double)o->count / med : 0.0,
	    cpu_med, cpu_med * 1e6 / (double)o->count);
}

static int
ob_sign_main(const struct ob_opts *o)
{
	struct ob_engine en;
	struct ob_worker *w = NULL;
	struct cli_dir d;
	struct err e;
	double wall[OB_RUNS_MAX], cpu[OB_RUNS_MAX];
	const char *type;
	int threads = o->threads ? (int)o->threads : cli_cpus(), rc = EXIT_FAIL, opened = 0;

	memset(&en, 0, sizeof(en));
	if ((unsigned long long)threads > o->count) /* an idle thread would only cost */
		threads = (int)o->count;
	if (cli_dir_open_keep_user(&d, o->dir, STORE_WRITE, &e) != 0)
		goto out;
	opened = 1;
	if (ob_engine_load(&en, &d, o->hash, &e) != 0 ||
	    (w = ob_workers_new(&en, threads, &e)) == NULL)
		goto out;
	ob_engine_times(&en);
	if (ob_sign_check(&en, &w[0], &e) != 0)
		goto out;
	type = EVP_PKEY_get0_type_name(en.key); /* NULL for some engine (HSM) keys */
	fprintf(stderr, "lancre-ocspbench: issuer %s (%s key, %d bits): the first response "
			"decodes and verifies\n", en.name, type != NULL ? type : "an engine",
	    EVP_PKEY_get_bits(en.key));
	for (unsigned long long r = 0; r < o->runs; r++) {
		/* Serials go on counting across runs: no two responses are alike. */
		if (ob_sign_run(&en, w, threads, r * o->count, o->count, &wall[r], &cpu[r],
			&e) != 0)
			goto out;
		fprintf(stderr, "lancre-ocspbench: sign run %llu/%llu: %llu responses in %.3f s "
				"(%.0f/s), CPU %.2f s\n", r + 1, o->runs, o->count, wall[r],
		    wall[r] > 0 ? (double)o->count / wall[r] : 0.0, cpu[r]);
	}
	ob_sign_report(o, threads, wall, cpu);
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK)
		fprintf(stderr, "lancre-ocspbench: %s\n", e.msg);
	ob_workers_free(w, threads);
	ob_engine_clear(&en);
	if (opened)
		cli_dir_close(&d);
	return rc;
}

/* Pages of changed certificates, and dummy responses for them, as the signer writes them. */
static int
ob_put_pass(struct store *st, int variants, size_t bytes, uint64_t *responses, double *read_cpu,
    double *write_cpu, struct err *e)
{
	static struct cert_record work[SIGNER_BATCH];
	static struct ocsp_record r[2 * SIGNER_BATCH];
	uint8_t *der = malloc(bytes);
	struct store_cursor after = {{0}};
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;
	double c;
	int rc = -1;

	if (der == NULL)
		return err_set(e, "out of memory");
	memset(der, 0x5a, bytes);
	do {
		c = ob_cpu_secs();
		if (store_certs_changed(st, &after, now, work, SIGNER_BATCH, &n, e) != 0)
			goto out;
		*read_cpu += ob_cpu_secs() - c;
		if (n == 0)
			break;
		c = ob_cpu_secs();
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			for (int v = 0; v < variants; v++) {
				r[k++] = (struct ocsp_record){.cert_id = work[i].id,
				    .issuer_id = work[i].issuer_id,
				    .hash = v == 0 ? OCSP_HASH_SHA1 : OCSP_HASH_SHA256, .der = der,
				    .der_len = bytes, .this_update = now, .next_update = now + 86400,
				    .due_at = now + 43200, .cert_seq = work[i].change_seq};
			}
		}
		if (store_ocsp_put(st, r, k, e) != 0)
			goto out;
		*responses += k;
		*write_cpu += ob_cpu_secs() - c;
	} while (n == SIGNER_BATCH);
	rc = 0;
out:
	free(der);
	return rc;
}

static int
ob_put_main(const struct ob_opts *o)
{
	struct cli_dir d;
	struct err e;
	uint64_t responses = 0;
	double read_cpu = 0, write_cpu = 0, t0, wall;
	int variants;

	if (cli_dir_open_keep_user(&d, o->dir, STORE_WRITE, &e) != 0) {
		fprintf(stderr, "lancre-ocspbench: %s\n", e.msg);
		return EXIT_FAIL;
	}
	variants = d.conf.ocsp_sha256 ? 2 : 1;
	t0 = ob_now();
	if (store_set_intent(d.store, STORE_INTENT_SIGN, &e) != 0 ||
	    ob_put_pass(d.store, variants, (size_t)o->bytes, &responses, &read_cpu, &write_cpu,
		&e) != 0) {
		fprintf(stderr, "lancre-ocspbench: %s\n", e.msg);
		cli_dir_close(&d);
		return EXIT_FAIL;
	}
	wall = ob_now() - t0;
	cli_dir_close(&d);
	if (responses == 0) {
		fprintf(stderr, "lancre-ocspbench: %s has no certificate to sign\n", o->dir);
		return EXIT_FAIL;
	}
	printf("put: %" PRIu64 " responses of %llu bytes (%d per certificate) in %.2f s; CPU per "
	       "response: read %.2f us, write %.2f us, together %.2f us\n",
	    responses, o->bytes, variants, wall, read_cpu * 1e6 / (double)responses,
	    write_cpu * 1e6 / (double)responses, (read_cpu + write_cpu) * 1e6 / (double)responses);
	return EXIT_OK;
}

/* -1: parsed, go on; otherwise the exit status. */
static int
ob_parse_opts(int argc, char **argv, struct ob_opts *o)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"requests", required_argument, NULL, 'k'},
	    {"lookups", required_argument, NULL, 'l'},
	    {"count", required_argument, NULL, 'n'},
	    {"threads", required_argument, NULL, 't'},
	    {"runs", required_argument, NULL, 'r'},
	    {"hash", required_argument, NULL, 'H'},
	    {"seed", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"responses", required_argument, NULL, 'R'},
	    {"post", required_argument, NULL, 'p'},
	    {"index", required_argument, NULL, 'i'},
	    {"bytes", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->dir = cli_default_dir();
	o->requests = 100000;
	o->lookups = 2000000;
	o->runs = 3;
	o->seed = 1;
	o->count = 100000;
	o->hash = OCSP_HASH_SHA1;
	o->bytes = 280;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(ob_usage_text, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "bench") != 0 && strcmp(argv[1], "requests") != 0 &&
	    strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "put") != 0))
		return ob_usage("the first argument is bench, requests, sign or put");
	o->mode = argv[1][0];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'k':
			if (num_parse(optarg, 1, OB_REQUESTS_MAX, &o->requests) != 0)
				return ob_usage("--requests must be between 1 and %llu",
				    OB_REQUESTS_MAX);
			o->sample_opt = 1;
			break;
		case 'l':
			if (num_parse(optarg, 1, OB_LOOKUPS_MAX, &o->lookups) != 0)
				return ob_usage("--lookups must be between 1 and %llu",
				    OB_LOOKUPS_MAX);
			o->sample_opt = 1;
			break;
		case 'n':
			if (num_parse(optarg, 1, OB_COUNT_MAX, &o->count) != 0)
				return ob_usage("--count must be between 1 and %llu", OB_COUNT_MAX);
			o->sign_opt = 1;
			break;
		case 't':
			if (num_parse(optarg, 1, OB_THREADS_MAX, &o->threads) != 0)
				return ob_usage("--threads must be between 1 and %d",
				    OB_THREADS_MAX);
			o->sign_opt = 1;
			break;
		case 'r':
			if (num_parse(optarg, 1, OB_RUNS_MAX, &o->runs) != 0)
				return ob_usage("--runs must be between 1 and %d", OB_RUNS_MAX);
			o->runs_opt = 1;
			break;
		case 'H':
			if (strcmp(optarg, "sha1") == 0)
				o->hash = OCSP_HASH_SHA1;
			else if (strcmp(optarg, "sha256") == 0)
				o->hash = OCSP_HASH_SHA256;
			else
				return ob_usage("--hash is sha1 or sha256");
			o->hash_opt = 1;
			break;
		case 's':
			if (num_parse(optarg, 0, ULLONG_MAX, &o->seed) != 0)
				return ob_usage("bad --seed");
			o->sample_opt = 1;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'R':
			o->responses = optarg;
			break;
		case 'p':
			o->post = optarg;
			break;
		case 'i':
			o->index = optarg;
			break;
		case 'b':
			if (num_parse(optarg, 1, OB_BYTES_MAX, &o->bytes) != 0)
				return ob_usage("--bytes must be between 1 and %llu", OB_BYTES_MAX);
			o->put_opt = 1;
			break;
		case 'h':
			fputs(ob_usage_text, stdout);
			return EXIT_OK;
		default:
			return ob_usage("bad option");
		}
	}
	if (optind != argc)
		return ob_usage("unexpected argument '%s'", argv[optind]);
	if (o->mode == 'r' && o->out == NULL)
		return ob_usage("requests needs --out FILE");
	if (o->mode != 'r' && (o->out || o->responses || o->post || o->index))
		return ob_usage("--out, --responses, --post and --index are for requests");
	if (o->mode == 's' && o->sample_opt)
		return ob_usage("--requests, --lookups and --seed are for bench and requests");
	if (o->mode != 's' && o->sign_opt)
		return ob_usage("--count and --threads are for sign");
	if (o->mode != 'p' && o->put_opt)
		return ob_usage("--bytes is for put");
	if (o->mode == 'p' && (o->sample_opt || o->sign_opt || o->runs_opt || o->hash_opt))
		return ob_usage("put takes only -d and --bytes (it writes: one run per copy of DIR)");
	return -1;
}

int
main(int argc, char **argv)
{
	struct ob_opts o;
	struct ob_sample s = {0};
	struct ocsp_index *ix = NULL;
	struct cli_dir d;
	struct err e;
	int64_t now = (int64_t)time(NULL);
	uint64_t sink = 0;
	double t0, load_secs;
	long rss;
	int rc, opened = 0;

	if ((rc = ob_parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if (o.mode == 's')
		return ob_sign_main(&o);
	if (o.mode == 'p')
		return ob_put_main(&o);
	if (cli_dir_open_keep_user(&d, o.dir, STORE_WRITE, &e) != 0)
		goto fail;
	opened = 1;

	/* The index, as the server builds it. */
	fprintf(stderr, "lancre-ocspbench: loading %s\n", o.dir);
	t0 = ob_now();
	if ((ix = ocsp_index_new(&e)) == NULL || ocsp_index_load(ix, d.store, 0, &e) != 0)
		goto fail;
	ocsp_index_trim(ix);
	load_secs = ob_now() - t0;
	rss = ob_rss_kb();

	/* What is stored, and K of it drawn at random. */
	s.k = (size_t)o.requests;
	s.hash = o.hash;
	s.rng = o.seed;
	if ((s.v = calloc(s.k, sizeof(*s.v))) == NULL) {
		err_set(&e, "out of memory");
		goto fail;
	}
	if (store_ocsp_each(d.store, 0, ob_sample_one, &s, &e) != 0)
		goto fail;
	if (s.n == 0) {
		err_set(&e, "%s holds no %s OCSP responses: run lancre sign first", o.dir,
		    ocsp_hash_name(o.hash));
		goto fail;
	}
	if (s.total != ocsp_index_count(ix)) {
		err_set(&e, "the store holds %" PRIu64 " responses, the index %zu", s.total,
		    ocsp_index_count(ix));
		goto fail;
	}
	fprintf(stderr, "lancre-ocspbench: building and checking %zu %s requests\n", s.n,
	    ocsp_hash_name(o.hash));
	if (ob_build_all(&s, d.store, ix, now, &e) != 0)
		goto fail;

	if (o.mode == 'r') {
		if (ob_write_requests(&s, ix, &o, &e) != 0)
			goto fail;
		fprintf(stderr, "lancre-ocspbench: wrote %zu requests to %s\n", s.n, o.out);
	} else {
		printf("load: %zu responses (%" PRIu64 " bytes of DER) in %.2f s; index memory "
		       "%zu bytes (%.2f x the DER); process RSS %ld kB\n",
		    ocsp_index_count(ix), s.bytes, load_secs, ocsp_index_memory(ix),
		    s.bytes ? (double)ocsp_index_memory(ix) / (double)s.bytes : 0.0, rss);
		ob_time("find", OB_FIND, ix, &s, &o, now, &sink);
		ob_time("der", OB_DER, ix, &s, &o, now, &sink);
		ob_time("get", OB_GET, ix, &s, &o, now, &sink);
		fprintf(stderr, "lancre-ocspbench: (checksum %" PRIu64 ")\n", sink);
	}
	free(s.v);
	free(s.der.p);
	free(s.get.p);
	ocsp_index_free(ix);
	cli_dir_close(&d);
	return EXIT_OK;
fail:
	fprintf(stderr, "lancre-ocspbench: %s\n", e.msg);
	free(s.v);
	free(s.der.p);
	free(s.get.p);
	ocsp_index_free(ix);
	if (opened)
		cli_dir_close(&d);
	return EXIT_FAIL;
}
