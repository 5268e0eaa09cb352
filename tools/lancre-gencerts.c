/*
 * lancre-gencerts.c - test data for benchmarks: N real leaf certificates,
 * signed by a given issuer, as fast as the signature algorithm allows.
 *
 *   lancre-gencerts --issuer-cert CERT.pem --issuer-key KEY.pem --count N --out FILE
 *       [--threads T] [--format der|pem] [--ocsp-url URL] [--ca-issuers-url URL]
 *       [--crl-url-prefix PREFIX] [--crl-shards N]
 *
 * Design.  Building every certificate through OpenSSL's X509 API costs more
 * than signing it, so the certificates share one template: a leaf built once
 * by mint_certificate() (pki/mint.h) with a fixed-length serial, encoded to
 * its TBSCertificate DER, in which we locate the serial's content bytes.  Per
 * certificate a worker copies the template, patches in the serial, signs the
 * TBS and wraps it as Certificate ::= SEQUENCE { tbs, signatureAlgorithm,
 * BIT STRING signature } by hand.  Hand-written DER is kept to the measured
 * hot path: the pieces are three TLVs framed with util/der.h, the helpers the
 * CRL and OCSP writers share, and a self-test parses and verifies the first
 * certificate of every template with OpenSSL before the run starts, so a
 * framing mistake stops us rather than the benchmark.  Signing goes through
 * a per-worker sigctx (pki/sigctx.h), which sets up the key's signing
 * context once rather than per certificate.
 *
 * Serials are 16 bytes: 8 random per run (the first one forced to 0x40..0x7f
 * so the INTEGER is positive, needs no leading zero and keeps its length) and
 * 8 from a bijective 64-bit mix of the certificate's index.  Unique within a
 * run by construction, unique across runs with overwhelming probability, and
 * spread like a CA's random serials, so that the store sees realistic insert
 * order instead of an append-only one.
 *
 * With --crl-url-prefix each certificate names the CRL shard lancre will put
 * it in: PREFIX<n>.crl with n = serial mod shards + 1 (serial_shard(), the
 * store's own rule).  URLs differ in length between shards, so there is one
 * template per shard, chosen from the serial.  Templates are read-only once
 * built; each worker has its own signing context, scratch TBS and output
 * buffer, and takes indexes in blocks from a shared atomic counter, so that a
 * core slowed by a neighbour does not leave the others waiting at the end.
 * Full buffers are appended to the output under a mutex, so the order of
 * certificates in the file is not the order of their indexes (nothing depends
 * on it).  The file is written under a temporary name and renamed when
 * complete.  A summary line (count, seconds, certificates/s) goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "pki/cert.h"
#include "pki/mint.h"
#include "pki/serial.h"
#include "pki/sigctx.h"
#include "pki/urls.h"
#include "util/der.h"
#include "util/err.h"
#include "util/fsutil.h"

#include "util/num.h"

#include "tool.h"

#define GEN_SERIAL_LEN 16
#define GEN_COUNT_MAX 100000000ULL /* 100M certificates, ~50 GB of DER */
#define GEN_THREADS_MAX 256
#define GEN_FILE_MAX (1 << 20) /* issuer certificate and key files */
#define GEN_OUTBUF (4 << 20)   /* bytes a worker collects before one write */
#define GEN_ALG_MAX 128        /* signatureAlgorithm DER */
#define GEN_LEAF_DAYS_BEFORE 1
#define GEN_LEAF_DAYS_AFTER 90
#define GEN_PEM_LINE 48        /* DER bytes per 64-character base64 line */
#define GEN_BLOCK 1024         /* indexes a worker takes from the counter at once */

static const char gen_usage_text[] =
    "usage: lancre-gencerts --issuer-cert CERT.pem --issuer-key KEY.pem --count N\n"
    "           --out FILE [--threads T] [--format der|pem] [--ocsp-url URL]\n"
    "           [--ca-issuers-url URL] [--crl-url-prefix PREFIX] [--crl-shards N]\n\n"
    "Write N leaf certificates signed by the issuer to FILE (DER back to back, or\n"
    "PEM blocks), for benchmarks and tests.  With --crl-url-prefix each certificate\n"
    "gets the CRL Distribution Point PREFIX<n>.crl, n = serial mod shards + 1.\n"
    "  --threads T   signing threads (default: the CPUs available)\n"
    "  --format F    der (default) or pem\n"
    "The subject key, name and validity (now - 1 day to now + 90 days) are fixed;\n"
    "serials are 16 random-looking bytes, unique within a run.\n";

/* A usage error: the message, then the usage text; EXIT_USAGE. */
#define gen_usage(...) tool_usage("lancre-gencerts", gen_usage_text, __VA_ARGS__)

/* One leaf template: its TBSCertificate DER and where the serial's content bytes are. */
struct gen_tmpl {
	uint8_t *tbs;
	size_t tbs_len;
	size_t serial_off;
};

struct gen {
	/* Read-only while the workers run. */
	EVP_PKEY *key;
	X509 *issuer;
	struct gen_tmpl *tmpl;
	int ntmpl;
	size_t tbs_max;
	uint8_t alg[GEN_ALG_MAX];
	size_t alg_len;
	size_t sig_max;
	uint8_t serial_prefix[8];
	uint64_t serial_key;
	int pem;

	/* Work: the next index to hand out, and the end. */
	_Atomic uint64_t next;
	uint64_t count;

	/* Output, shared under lock. */
	pthread_mutex_t lock;
	int fd;
	int write_errno;
};

struct gen_worker {
	struct gen *g;
	pthread_t tid;
	int started;
	int failed;
	char why[ERR_MSG_MAX];
};

/* A bijection on 64-bit integers (splitmix64's finalizer): distinct in, distinct out. */
static uint64_t
gen_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
gen_serial(const struct gen *g, uint64_t index, uint8_t out[GEN_SERIAL_LEN])
{
	uint64_t v = gen_mix64(index + g->serial_key);

	memcpy(out, g->serial_prefix, 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Where the serial's content bytes sit in a TBSCertificate: after the SEQUENCE and [0] version. */
static int
gen_find_serial(const uint8_t *tbs, size_t len, const uint8_t *serial, size_t *off,
    struct err *e)
{
	struct der_reader d = der_reader(tbs, len), in;
	struct der_tlv t;

	if (der_expect(&d, DER_SEQUENCE, &t, &in) != 0 || !der_at_end(&d))
		return err_set(e, "template TBSCertificate is not one SEQUENCE");
	if (der_next(&in, &t) != 0)
		return err_set(e, "template TBSCertificate is truncated");
	/* Step over the [0] EXPLICIT version, which only a v1 certificate leaves out. */
	if (t.tag == DER_CONTEXT_CONS(0) && der_next(&in, &t) != 0)
		return err_set(e, "template TBSCertificate is truncated");
	if (t.tag != DER_INTEGER || t.len != GEN_SERIAL_LEN ||
	    memcmp(t.val, serial, GEN_SERIAL_LEN) != 0)
		return err_set(e, "template serial is not where it should be");
	*off = (size_t)(t.val - tbs);
	return 0;
}

/* Build the template for one CRL shard (no CRL Distribution Point when crl_prefix is NULL). */
static int
gen_tmpl_build(struct gen *g, struct gen_tmpl *t, EVP_PKEY *leaf_key, const char *ocsp,
    const char *ca_issuers, const char *crl_prefix, int shard, int64_t now, struct err *e)
{
	char crl_url[URL_MAX];
	uint8_t serial[GEN_SERIAL_LEN];
	struct mint_cert m = {0};
	unsigned char *der = NULL;
	X509 *x;
	int n;

	gen_serial(g, 0, serial);
	m.common_name = "lancre bench leaf";
	m.issuer = g->issuer;
	m.issuer_key = g->key;
	m.subject_key = leaf_key;
	m.serial = serial;
	m.serial_len = sizeof(serial);
	m.not_before = now - GEN_LEAF_DAYS_BEFORE * 86400;
	m.not_after = now + GEN_LEAF_DAYS_AFTER * 86400;
	m.pathlen = -1;
	m.ocsp_url = ocsp;
	m.ca_issuers_url = ca_issuers;
	if (crl_prefix != NULL) {
		n = snprintf(crl_url, sizeof(crl_url), "%s%d.crl", crl_prefix, shard);
		if (n < 0 || (size_t)n >= sizeof(crl_url))
			return err_set(e, "--crl-url-prefix is too long");
		m.crl_url = crl_url;
	}
	if ((x = mint_certificate(&m, e)) == NULL)
		return -1;
	n = i2d_re_X509_tbs(x, &der);
	if (n <= 0) {
		X509_free(x);
		return err_ossl(e, "encoding the template");
	}
	t->tbs = der;
	t->tbs_len = (size_t)n;
	if (t->tbs_len > g->tbs_max)
		g->tbs_max = t->tbs_len;
	if (g->alg_len == 0) { /* the same for every template: one issuer key, one digest */
		const X509_ALGOR *alg;
		unsigned char *a = NULL;

		X509_get0_signature(NULL, &alg, x);
		n = i2d_X509_ALGOR(alg, &a);
		if (n <= 0 || (size_t)n > sizeof(g->alg)) {
			OPENSSL_free(a);
			X509_free(x);
			return err_ossl(e, "encoding the signature algorithm");
		}
		memcpy(g->alg, a, (size_t)n);
		g->alg_len = (size_t)n;
		OPENSSL_free(a);
	}
	X509_free(x);
	return gen_find_serial(t->tbs, t->tbs_len, serial, &t->serial_off, e);
}

/* A worker's private state: its signing context and the scratch TBS and signature. */
struct gen_signer {
	struct sigctx ctx;
	uint8_t *tbs;
	uint8_t *sig;
};

static void
gen_signer_free(struct gen_signer *s)
{
	sigctx_clear(&s->ctx);
	free(s->tbs);
	free(s->sig);
	memset(s, 0, sizeof(*s));
}

static int
gen_signer_init(const struct gen *g, struct gen_signer *s, struct err *e)
{
	memset(s, 0, sizeof(*s));
	if (sigctx_init(&s->ctx, g->key, e) != 0)
		return err_prefix(e, "issuer key");
	s->tbs = malloc(g->tbs_max);
	s->sig = malloc(g->sig_max);
	if (s->tbs == NULL || s->sig == NULL) {
		gen_signer_free(s);
		return err_set(e, "out of memory");
	}
	return 0;
}

/*
 * Make the certificate with this index into out (room for at least
 * gen_cert_max() bytes); returns its length, or 0 with a message.
 */
static size_t
gen_cert(const struct gen *g, struct gen_signer *s, uint64_t index, uint8_t *out,
    struct err *e)
{
	uint8_t serial[GEN_SERIAL_LEN], *o = out;
	const struct gen_tmpl *t;
	size_t siglen, body;

	gen_serial(g, index, serial);
	t = &g->tmpl[g->ntmpl > 1 ? serial_shard(serial, sizeof(serial), g->ntmpl) - 1 : 0];
	memcpy(s->tbs, t->tbs, t->tbs_len);
	memcpy(s->tbs + t->serial_off, serial, sizeof(serial));

	if (sigctx_sign(&s->ctx, s->tbs, t->tbs_len, s->sig, &siglen, e) != 0)
		return 0;

	/* Certificate ::= SEQUENCE { tbs, algorithm, BIT STRING { 0 unused bits, sig } } */
	body = t->tbs_len + g->alg_len + der_header_len(siglen + 1) + siglen + 1;
	o = der_put_header(o, DER_SEQUENCE, body);
	memcpy(o, s->tbs, t->tbs_len);
	o += t->tbs_len;
	memcpy(o, g->alg, g->alg_len);
	o += g->alg_len;
	o = der_put_header(o, DER_BIT_STRING, siglen + 1);
	*o++ = 0x00;
	memcpy(o, s->sig, siglen);
	return (size_t)(o - out) + siglen;
}

/* Upper bound on one certificate's DER. */
static size_t
gen_cert_max(const struct gen *g)
{
	return 8 + g->tbs_max + g->alg_len + 8 + g->sig_max;
}

/* Upper bound on one certificate in the output format. */
static size_t
gen_out_max(const struct gen *g)
{
	size_t der = gen_cert_max(g);

	if (!g->pem)
		return der;
	/* 64 characters and a newline per 48 bytes, plus the BEGIN and END lines. */
	return (der + GEN_PEM_LINE - 1) / GEN_PEM_LINE * 65 + 64;
}

static size_t
gen_pem(const uint8_t *der, size_t len, uint8_t *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	static const char end[] = "-----END CERTIFICATE-----\n";
	size_t o = 0;

	memcpy(out, begin, sizeof(begin) - 1);
	o += sizeof(begin) - 1;
	for (size_t i = 0; i < len; i += GEN_PEM_LINE) {
		size_t n = len - i < GEN_PEM_LINE ? len - i : GEN_PEM_LINE;
		o += (size_t)EVP_EncodeBlock(out + o, der + i, (int)n);
		out[o++] = '\n';
	}
	memcpy(out + o, end, sizeof(end) - 1);
	return o + sizeof(end) - 1;
}

static int
gen_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append a worker's buffer to the output; 0, or -1 once any write has failed. */
static int
gen_flush(struct gen *g, const uint8_t *buf, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	if (g->write_errno != 0)
		rc = -1;
	else if (gen_write_all(g->fd, buf, len) != 0) {
		g->write_errno = errno != 0 ? errno : EIO;
		rc = -1;
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static void *
gen_worker_main(void *arg)
{
	struct gen_worker *w = arg;
	struct gen *g = w->g;
	struct gen_signer s;
	struct err e;
	size_t cap = GEN_OUTBUF, used = 0, need = gen_out_max(g), n;
	uint8_t *buf = NULL, *der = NULL;
	uint64_t i, end;

	if (cap < 2 * need)
		cap = 2 * need;
	if (gen_signer_init(g, &s, &e) != 0)
		goto fail;
	buf = malloc(cap);
	der = g->pem ? malloc(gen_cert_max(g)) : NULL;
	if (buf == NULL || (g->pem && der == NULL)) {
		err_set(&e, "out of memory");
		goto fail;
	}
	while ((i = atomic_fetch_add(&g->next, GEN_BLOCK)) < g->count) {
		end = g->count - i < GEN_BLOCK ? g->count : i + GEN_BLOCK;
		for (; i < end; i++) {
			if (cap - used < need) {
				if (gen_flush(g, buf, used) != 0) {
					err_set(&e, "write failed");
					goto fail;
				}
				used = 0;
			}
			if (g->pem) {
				if ((n = gen_cert(g, &s, i, der, &e)) == 0)
					goto fail;
				used += gen_pem(der, n, buf + used);
			} else {
				if ((n = gen_cert(g, &s, i, buf + used, &e)) == 0)
					goto fail;
				used += n;
			}
		}
	}
	if (used > 0 && gen_flush(g, buf, used) != 0) {
		err_set(&e, "write failed");
		goto fail;
	}
	gen_signer_free(&s);
	free(buf);
	free(der);
	return NULL;
fail:
	/* Stop the others early: nothing more will be handed out. */
	atomic_store(&g->next, g->count);
	w->failed = 1;
	memcpy(w->why, e.msg, sizeof(w->why));
	gen_signer_free(&s);
	free(buf);
	free(der);
	return NULL;
}

/*
 * Before the run: one certificate from every template through the hand-made
 * path, parsed and verified by OpenSSL.  A framing or offset bug fails here.
 */
static int
gen_selftest(struct gen *g, struct err *e)
{
	struct gen_signer s;
	uint8_t serial[GEN_SERIAL_LEN], got[STORE_SERIAL_MAX], *der = NULL;
	const uint8_t *p;
	char *seen = NULL;
	size_t n, got_len;
	int rc = -1, left = g->ntmpl, k, ok;
	X509 *x;

	if (gen_signer_init(g, &s, e) != 0)
		return -1;
	der = malloc(gen_cert_max(g));
	seen = calloc((size_t)g->ntmpl, 1);
	if (der == NULL || seen == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	/* Walk the indexes until every template has been used once. */
	for (uint64_t i = 0; left > 0; i++) {
		gen_serial(g, i, serial);
		k = g->ntmpl > 1 ? serial_shard(serial, sizeof(serial), g->ntmpl) - 1 : 0;
		if (seen[k])
			continue;
		seen[k] = 1;
		left--;
		if ((n = gen_cert(g, &s, i, der, e)) == 0)
			goto out;
		p = der;
		x = d2i_X509(NULL, &p, (long)n);
		if (x == NULL || p != der + n) {
			X509_free(x);
			err_ossl(e, "self-test: certificate %" PRIu64 " does not parse", i);
			goto out;
		}
		ok = X509_verify(x, X509_get0_pubkey(g->issuer)) == 1 &&
			 serial_from_asn1(X509_get0_serialNumber(x), got, sizeof(got), &got_len,
			     e) == 0 &&
			 got_len == sizeof(serial) && memcmp(got, serial, sizeof(serial)) == 0;
		X509_free(x);
		if (!ok) {
			err_ossl(e, "self-test: certificate %" PRIu64 " does not verify", i);
			goto out;
		}
	}
	rc = 0;
out:
	free(seen);
	free(der);
	gen_signer_free(&s);
	return rc;
}

static EVP_PKEY *
gen_load_key(const char *path, struct err *e)
{
	EVP_PKEY *k;
	BIO *b = BIO_new_file(path, "r");

	if (b == NULL) {
		err_ossl(e, "%s", path);
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL)
		err_ossl(e, "%s: not a PEM private key", path);
	return k;
}

static X509 *
gen_load_cert(const char *path, struct err *e)
{
	uint8_t *data;
	size_t len;
	X509 *x;

	if (fs_read_all(path, GEN_FILE_MAX, &data, &len, e) != 0)
		return NULL;
	x = cert_parse(data, len, e);
	free(data);
	if (x == NULL)
		err_prefix(e, "%s", path);
	return x;
}

struct gen_opts {
	const char *cert, *key, *out, *ocsp, *ca_issuers, *crl_prefix;
	unsigned long long count, threads, shards;
	int pem;
};

static int
gen_parse_opts(int argc, char **argv, struct gen_opts *o)
{
	static const struct option opts[] = {
	    {"issuer-cert", required_argument, NULL, 'c'},
	    {"issuer-key", required_argument, NULL, 'k'},
	    {"count", required_argument, NULL, 'n'},
	    {"out", required_argument, NULL, 'o'},
	    {"threads", required_argument, NULL, 't'},
	    {"format", required_argument, NULL, 'f'},
	    {"ocsp-url", required_argument, NULL, 'O'},
	    {"ca-issuers-url", required_argument, NULL, 'I'},
	    {"crl-url-prefix", required_argument, NULL, 'C'},
	    {"crl-shards", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, have_count = 0;

	memset(o, 0, sizeof(*o));
	o->threads = (unsigned long long)cli_cpus();
	o->shards = 1;
	while ((ch = getopt_long(argc, argv, "c:k:n:o:t:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'n':
			if (num_parse(optarg, 1, GEN_COUNT_MAX, &o->count) != 0)
				return gen_usage("--count must be between 1 and %llu",
				    GEN_COUNT_MAX);
			have_count = 1;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 't':
			if (num_parse(optarg, 1, GEN_THREADS_MAX, &o->threads) != 0)
				return gen_usage("--threads must be between 1 and %d",
				    GEN_THREADS_MAX);
			break;
		case 'f':
			if (strcmp(optarg, "der") == 0)
				o->pem = 0;
			else if (strcmp(optarg, "pem") == 0)
				o->pem = 1;
			else
				return gen_usage("--format is der or pem");
			break;
		case 'O':
			o->ocsp = optarg;
			break;
		case 'I':
			o->ca_issuers = optarg;
			break;
		case 'C':
			o->crl_prefix = optarg;
			break;
		case 's':
			if (num_parse(optarg, 1, CONF_CRL_SHARDS_MAX, &o->shards) != 0)
				return gen_usage("--crl-shards must be between 1 and %d",
				    CONF_CRL_SHARDS_MAX);
			break;
		case 'h':
			fputs(gen_usage_text, stdout);
			return EXIT_OK;
		default:
			return gen_usage("bad option");
		}
	}
	if (optind != argc)
		return gen_usage("unexpected argument");
	if (o->cert == NULL || o->key == NULL || o->out == NULL || !have_count)
		return gen_usage("--issuer-cert, --issuer-key, --count and --out are required");
	if (o->shards > 1 && o->crl_prefix == NULL)
		return gen_usage("--crl-shards needs --crl-url-prefix");
	return -1; /* parsed; go on */
}

static int
gen_setup(struct gen *g, const struct gen_opts *o, struct err *e)
{
	EVP_PKEY *leaf = NULL;
	int64_t now = (int64_t)time(NULL);
	uint8_t rnd[16];
	int rc = -1;

	if ((g->issuer = gen_load_cert(o->cert, e)) == NULL ||
	    (g->key = gen_load_key(o->key, e)) == NULL)
		return -1;
	if (X509_check_private_key(g->issuer, g->key) != 1)
		return err_ossl(e, "%s does not match %s", o->key, o->cert);
	if (!EVP_PKEY_is_a(g->key, "ED25519") && !EVP_PKEY_is_a(g->key, "EC") &&
	    !EVP_PKEY_is_a(g->key, "RSA"))
		return err_set(e, "%s: only EC, RSA and Ed25519 issuer keys are supported", o->key);
	g->sig_max = (size_t)EVP_PKEY_get_size(g->key);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return err_ossl(e, "no randomness");
	memcpy(g->serial_prefix, rnd, 8);
	g->serial_prefix[0] = (uint8_t)(0x40 | (rnd[0] & 0x3f));
	memcpy(&g->serial_key, rnd + 8, 8);
	g->pem = o->pem;

	/* One subject key for every leaf: signing, not key generation, is what we measure. */
	if ((leaf = mint_key(MINT_P256, e)) == NULL)
		return -1;
	g->ntmpl = o->crl_prefix != NULL ? (int)o->shards : 1;
	if ((g->tmpl = calloc((size_t)g->ntmpl, sizeof(*g->tmpl))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (int i = 0; i < g->ntmpl; i++) {
		if (gen_tmpl_build(g, &g->tmpl[i], leaf, o->ocsp, o->ca_issuers, o->crl_prefix,
			i + 1, now, e) != 0)
			goto out;
	}
	rc = gen_selftest(g, e);
out:
	EVP_PKEY_free(leaf);
	return rc;
}

static void
gen_free(struct gen *g)
{
	for (int i = 0; g->tmpl != NULL && i < g->ntmpl; i++)
		OPENSSL_free(g->tmpl[i].tbs);
	free(g->tmpl);
	EVP_PKEY_free(g->key);
	X509_free(g->issuer);
}

/* Run the workers over [0, count); the first failure's message in e. */
static int
gen_run(struct gen *g, unsigned long long count, int nthreads, struct err *e)
{
	struct gen_worker *w = calloc((size_t)nthreads, sizeof(*w));
	int rc = 0;

	if (w == NULL)
		return err_set(e, "out of memory");
	atomic_init(&g->next, 0);
	g->count = count;
	for (int t = 0; t < nthreads; t++)
		w[t].g = g;
	/* Workers 1..n-1 on threads, worker 0 here; one that cannot start runs inline. */
	for (int t = 1; t < nthreads; t++)
		w[t].started = pthread_create(&w[t].tid, NULL, gen_worker_main, &w[t]) == 0;
	gen_worker_main(&w[0]);
	for (int t = 1; t < nthreads; t++) {
		if (w[t].started)
			pthread_join(w[t].tid, NULL);
		else
			gen_worker_main(&w[t]);
	}
	for (int t = 0; t < nthreads; t++) {
		if (w[t].failed && rc == 0) {
			if (g->write_errno != 0)
				err_set(e, "write: %s", strerror(g->write_errno));
			else
				err_set(e, "%s", w[t].why);
			rc = -1;
		}
	}
	free(w);
	return rc;
}

static double
gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct gen_opts o;
	struct gen g;
	struct err e;
	char tmp[PATH_MAX];
	double t0, secs;
	int rc;

	if ((rc = gen_parse_opts(argc, argv, &o)) >= 0)
		return rc;
	memset(&g, 0, sizeof(g));
	g.fd = -1;
	if (pthread_mutex_init(&g.lock, NULL) != 0) {
		fprintf(stderr, "lancre-gencerts: cannot create a mutex\n");
		return EXIT_FAIL;
	}
	t0 = gen_now();
	if (gen_setup(&g, &o, &e) != 0)
		goto fail;
	if (fs_path(tmp, sizeof(tmp), &e, "%s.tmp.XXXXXX", o.out) != 0)
		goto fail;
	if ((g.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		err_set(&e, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(g.fd, 0644) != 0) {
		err_set(&e, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	if (gen_run(&g, o.count, (int)o.threads, &e) != 0) {
		unlink(tmp);
		goto fail;
	}
	if (close(g.fd) != 0 || rename(tmp, o.out) != 0) {
		err_set(&e, "%s: %s", o.out, strerror(errno));
		g.fd = -1;
		unlink(tmp);
		goto fail;
	}
	g.fd = -1;
	secs = gen_now() - t0;
	fprintf(stderr, "lancre-gencerts: %llu certificates in %.2f s (%.0f/s), %llu threads, "
			"%s -> %s\n",
	    o.count, secs, secs > 0 ? (double)o.count / secs : 0.0, o.threads,
	    g.pem ? "pem" : "der", o.out);
	gen_free(&g);
	pthread_mutex_destroy(&g.lock);
	return EXIT_OK;
fail:
	fprintf(stderr, "lancre-gencerts: %s\n", e.msg);
	if (g.fd >= 0)
		close(g.fd);
	gen_free(&g);
	pthread_mutex_destroy(&g.lock);
	return EXIT_FAIL;
}
