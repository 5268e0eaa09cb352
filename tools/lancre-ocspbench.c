/*
 * lancre-ocspbench.c - how fast the public server's hot path answers, without
 * the HTTP around it, and test requests for the HTTP benchmarks.
 *
 *   lancre-ocspbench bench -d DIR [--requests K] [--lookups L] [--runs R]
 *       [--hash sha1|sha256] [--seed S]
 *   lancre-ocspbench requests -d DIR --out FILE [--requests K] [--hash sha1|sha256]
 *       [--seed S] [--responses DIR] [--post FILE] [--index FILE]
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
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "ocsp/answer.h"
#include "ocsp/certid.h"
#include "ocsp/index.h"
#include "ocsp/request.h"
#include "pki/issuer.h"
#include "pki/serial.h"
#include "util/err.h"
#include "util/fsutil.h"

#define OB_REQUESTS_MAX 10000000ULL
#define OB_LOOKUPS_MAX 1000000000ULL
#define OB_RUNS_MAX 101
#define OB_REQ_DER_MAX 256 /* one CertID, no extensions: 75-180 bytes */
#define OB_GET_MAX (3 * ((OB_REQ_DER_MAX + 2) / 3 * 4) + 1) /* base64, each char %XX */

static const char ob_usage_text[] =
    "usage: lancre-ocspbench bench -d DIR [--requests K] [--lookups L] [--runs R]\n"
    "           [--hash sha1|sha256] [--seed S]\n"
    "       lancre-ocspbench requests -d DIR --out FILE [--requests K]\n"
    "           [--hash sha1|sha256] [--seed S] [--responses DIR] [--post FILE]\n"
    "           [--index FILE]\n\n"
    "bench: load DIR's OCSP responses as the server does, build K requests for\n"
    "random stored serials, and time L lookups R times (median): the index alone,\n"
    "DER request parse + lookup, and GET path decoding + parse + lookup.\n"
    "requests: write K such requests as \"<serial hex> <URL-encoded base64>\" lines,\n"
    "and optionally the response bytes per serial (DIR/<serial hex>.der), the first\n"
    "request's DER, and an openssl ca index.txt of the serials.\n"
    "  --requests K  distinct requests (default 100000, at most the responses stored)\n"
    "  --lookups L   lookups per timed run (default 2000000)\n"
    "  --runs R      timed runs, median reported (default 3)\n"
    "  --hash H      CertID hash of the requests (default sha1, what clients send)\n"
    "  --seed S      sample seed (default 1)\n";

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
	int mode; /* 'b' bench, 'r' requests */
	const char *dir, *out, *responses, *post, *index;
	unsigned long long requests, lookups, runs, seed;
	enum ocsp_hash hash;
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
	qsort(t, (size_t)o->runs, sizeof(t[0]), ob_cmp_double);
	med = o->runs % 2 ? t[o->runs / 2] : (t[o->runs / 2 - 1] + t[o->runs / 2]) / 2;
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

static int
ob_parse_num(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int ob_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
ob_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("lancre-ocspbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", ob_usage_text);
	return EXIT_USAGE;
}

/* -1: parsed, go on; otherwise the exit status. */
static int
ob_parse_opts(int argc, char **argv, struct ob_opts *o)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"requests", required_argument, NULL, 'k'},
	    {"lookups", required_argument, NULL, 'l'},
	    {"runs", required_argument, NULL, 'r'},
	    {"hash", required_argument, NULL, 'H'},
	    {"seed", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"responses", required_argument, NULL, 'R'},
	    {"post", required_argument, NULL, 'p'},
	    {"index", required_argument, NULL, 'i'},
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
	o->hash = OCSP_HASH_SHA1;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(ob_usage_text, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "bench") != 0 && strcmp(argv[1], "requests") != 0))
		return ob_usage("the first argument is bench or requests");
	o->mode = argv[1][0];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'k':
			if (ob_parse_num(optarg, 1, OB_REQUESTS_MAX, &o->requests) != 0)
				return ob_usage("--requests must be between 1 and %llu",
				    OB_REQUESTS_MAX);
			break;
		case 'l':
			if (ob_parse_num(optarg, 1, OB_LOOKUPS_MAX, &o->lookups) != 0)
				return ob_usage("--lookups must be between 1 and %llu",
				    OB_LOOKUPS_MAX);
			break;
		case 'r':
			if (ob_parse_num(optarg, 1, OB_RUNS_MAX, &o->runs) != 0)
				return ob_usage("--runs must be between 1 and %d", OB_RUNS_MAX);
			break;
		case 'H':
			if (strcmp(optarg, "sha1") == 0)
				o->hash = OCSP_HASH_SHA1;
			else if (strcmp(optarg, "sha256") == 0)
				o->hash = OCSP_HASH_SHA256;
			else
				return ob_usage("--hash is sha1 or sha256");
			break;
		case 's':
			if (ob_parse_num(optarg, 0, ULLONG_MAX, &o->seed) != 0)
				return ob_usage("bad --seed");
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
	if (o->mode == 'b' && (o->out || o->responses || o->post || o->index))
		return ob_usage("--out, --responses, --post and --index are for requests");
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
	if (cli_dir_open(&d, o.dir, &e) != 0)
		goto fail;
	opened = 1;

	/* The index, as the server builds it. */
	fprintf(stderr, "lancre-ocspbench: loading %s\n", o.dir);
	t0 = ob_now();
	if ((ix = ocsp_index_new(&e)) == NULL || ocsp_index_load(ix, d.store, 0, &e) != 0)
		goto fail;
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
