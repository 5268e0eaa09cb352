/*
 * cmd_demo.c - `lancre demo`: a complete, real CA universe to try lancre on.
 *
 * It builds a root CA, an ECDSA P-256 intermediate (e1) and an RSA-2048
 * intermediate (r1), and 1,000 leaf certificates spread over both, whose AIA
 * and CRL Distribution Point URLs point at the listen address.  A tenth of
 * them are revoked, with every reason the BRs allow.  Everything goes through
 * the same code as the real commands (issuer registration, intake,
 * revocation), so the demo exercises what operators use.
 *
 * The universe is built in DIR.partial and renamed to DIR only when complete:
 * an interrupted demo leaves no half-made DIR, and a second run on a complete
 * DIR reuses it.  DIR may exist if it is empty; anything else in it is refused.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/serving.h"
#include "intake/intake.h"
#include "intake/issuer_add.h"
#include "intake/revoke.h"
#include "pki/issuer.h"
#include "pki/mint.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "pki/urls.h"
#include "proc/layout.h"
#include "signer/signer.h"
#include "util/num.h"
#include "util/fsutil.h"

#define DEMO_DIR "lancre-demo"
#define DEMO_LEAVES 1000
#define DEMO_LEAVES_MAX 1000000
#define DEMO_REVOKE_EVERY 10
#define DEMO_DOMAIN "demo.lancre.test"

static const char usage_text[] =
    "usage: lancre demo [-d DIR] [--store URL] [--listen HOST:PORT] [--admin HOST:PORT]\n"
    "                   [--leaves N] [--no-serve]\n\n"
    "Create a demo CA universe in DIR (default ./lancre-demo): a root CA, an ECDSA\n"
    "P-256 intermediate (e1), an RSA-2048 intermediate (r1) and N leaf certificates\n"
    "(default 1000) whose OCSP, caIssuers and CRL URLs point at HOST:PORT (default\n"
    "127.0.0.1:8080), a tenth of them revoked.  Every certificate is also written\n"
    "as PEM under DIR/certs/, with a TLS certificate for localhost (localhost.pem,\n"
    "localhost.key, localhost-chain.pem).  DIR may be an existing empty directory;\n"
    "run again on the same DIR, it reuses it.\n\n"
    "Then it pre-signs every OCSP response and serves them, with the signer running\n"
    "beside the server (like `lancre run`), until SIGINT or SIGTERM.\n"
    "  --store URL  keep the demo's store in PostgreSQL (postgresql://..., an empty\n"
    "               database, as `lancre init --store`); default: DIR/lancre.db.\n"
    "               (a DIR made already keeps the store its lancre.conf names)\n"
    "  --no-serve   create (or reuse) and pre-sign, then exit\n";

/* The reasons the demo revokes with, in turn. */
static const int demo_reasons[] = {
    REASON_KEY_COMPROMISE,      REASON_SUPERSEDED,          REASON_CESSATION_OF_OPERATION,
    REASON_AFFILIATION_CHANGED, REASON_PRIVILEGE_WITHDRAWN, REASON_UNSPECIFIED,
};

struct ca {
	const char *name, *cn;
	enum mint_key_type type;
	EVP_PKEY *key;
	X509 *cert;
	int64_t id; /* in the store, once registered */
};

struct demo {
	const char *dir; /* where the universe is being built */
	struct conf conf;
	int nleaves;
	int64_t now;
	struct ca root, e1, r1;
	EVP_PKEY *leaf_key; /* one key for every leaf: the demo is about status, not keys */
};

static int
random_serial(uint8_t *s, size_t len, struct err *e)
{
	if (RAND_bytes(s, (int)len) != 1)
		return err_ossl(e, "random serial");
	s[0] = (s[0] & 0x7f) | 0x40; /* positive, and exactly len bytes in DER */
	return 0;
}

static int
make_ca(struct demo *d, struct ca *ca, struct ca *parent, struct err *e)
{
	char path[PATH_MAX], aia[URL_MAX], crl[URL_MAX];
	uint8_t serial[16];
	struct mint_cert m = {0};

	ca->key = mint_key(ca->type, e);
	if (ca->key == NULL || random_serial(serial, sizeof(serial), e) != 0)
		return -1;
	m.common_name = ca->cn;
	m.organization = "lancre demo";
	m.issuer = parent ? parent->cert : NULL;
	m.issuer_key = parent ? parent->key : ca->key;
	m.subject_key = ca->key;
	m.serial = serial;
	m.serial_len = sizeof(serial);
	m.not_before = d->now - 7 * 86400;
	m.not_after = d->now + (parent ? 5 : 10) * 365 * 86400LL;
	m.ca = 1;
	m.pathlen = parent ? 0 : -1;
	if (parent != NULL) {
		/* Like LE's intermediates: the root's CRL and certificate, no OCSP. */
		urls_ca_issuers(&d->conf, parent->name, aia, sizeof(aia));
		urls_crl_shard(&d->conf, parent->name, 1, crl, sizeof(crl));
		m.ca_issuers_url = aia;
		m.crl_url = crl;
	}
	ca->cert = mint_certificate(&m, e);
	if (ca->cert == NULL)
		return -1;
	if (fs_path(path, sizeof(path), e, "%s/keys/%s.key", d->dir, ca->name) != 0 ||
	    mint_write_key_pem(path, ca->key, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/certs/%s.pem", d->dir, ca->name) != 0 ||
	    mint_write_cert_pem(path, &ca->cert, 1, e) != 0)
		return -1;
	return 0;
}

static int
register_ca(struct demo *d, struct store *s, struct ca *ca, struct err *e)
{
	char ref[64], kind[64];

	snprintf(ref, sizeof(ref), "keys/%s.key", ca->name);
	return issuer_register(s, &d->conf, d->dir, ca->name, ca->cert, ref, NULL, 0, &ca->id, kind,
	    sizeof(kind), e);
}

/* Mint one leaf under ca; returns its DER (malloc'd) and writes its PEM. */
static X509 *
make_leaf(struct demo *d, struct ca *ca, const char *dns, EVP_PKEY *key, struct err *e)
{
	char ocsp[URL_MAX], aia[URL_MAX], crl[URL_MAX], san[300];
	uint8_t serial[16];
	struct mint_cert m = {0};

	if (random_serial(serial, sizeof(serial), e) != 0)
		return NULL;
	snprintf(san, sizeof(san), "DNS:%s%s", dns,
	    strcmp(dns, "localhost") == 0 ? ",IP:127.0.0.1,IP:::1" : "");
	urls_ocsp(&d->conf, ca->name, ocsp, sizeof(ocsp));
	urls_ca_issuers(&d->conf, ca->name, aia, sizeof(aia));
	urls_crl_shard(&d->conf, ca->name, serial_shard(serial, sizeof(serial), d->conf.crl_shards),
	    crl, sizeof(crl));
	m.common_name = dns;
	m.issuer = ca->cert;
	m.issuer_key = ca->key;
	m.subject_key = key;
	m.serial = serial;
	m.serial_len = sizeof(serial);
	m.not_before = d->now - 2 * 86400; /* before every demo revocation date */
	m.not_after = d->now + 90 * 86400LL;
	m.san = san;
	m.ocsp_url = ocsp;
	m.ca_issuers_url = aia;
	m.crl_url = crl;
	return mint_certificate(&m, e);
}

static int
write_leaf(struct demo *d, X509 *x, const char *name, struct err *e)
{
	char path[PATH_MAX], hex[SERIAL_HEX_MAX];
	uint8_t serial[STORE_SERIAL_MAX];
	size_t len;

	if (name == NULL) {
		if (serial_from_asn1(X509_get0_serialNumber(x), serial, sizeof(serial), &len, e))
			return -1;
		serial_to_hex(serial, len, hex, sizeof(hex));
		if (fs_path(path, sizeof(path), e, "%s/certs/leaf-%s.pem", d->dir, hex) != 0)
			return -1;
	} else if (fs_path(path, sizeof(path), e, "%s/certs/%s", d->dir, name) != 0) {
		return -1;
	}
	return mint_write_cert_pem(path, &x, 1, e);
}

/* Record a minted certificate through the real intake. */
static int
intake_x509(struct intake *in, X509 *x, struct err *e)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der), rc;

	if (len <= 0)
		return err_ossl(e, "encoding a certificate");
	rc = intake_add(in, "demo", der, (size_t)len, e);
	OPENSSL_free(der);
	return rc;
}

static int
make_localhost(struct demo *d, struct intake *in, struct err *e)
{
	char path[PATH_MAX];
	EVP_PKEY *key = mint_key(MINT_P256, e);
	X509 *x = key ? make_leaf(d, &d->e1, "localhost", key, e) : NULL;
	X509 *chain[2] = {x, d->e1.cert};
	int rc = -1;

	if (x == NULL)
		goto out;
	if (write_leaf(d, x, "localhost.pem", e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/certs/localhost.key", d->dir) != 0 ||
	    mint_write_key_pem(path, key, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/certs/localhost-chain.pem", d->dir) != 0 ||
	    mint_write_cert_pem(path, chain, 2, e) != 0 || intake_x509(in, x, e) != 0)
		goto out;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int
revoke_some(struct demo *d, struct store *s, X509 **leaves, struct err *e)
{
	struct cert_record rec;
	uint8_t serial[STORE_SERIAL_MAX];
	size_t len;
	int64_t at;
	int reason, n = 0;

	if (store_begin(s, e) != 0)
		return -1;
	/* Leaf i is under e1 when i is even; steps of 11 and 10 in turn revoke under both. */
	for (int i = 0; i < d->nleaves; i += DEMO_REVOKE_EVERY + (n % 2 == 0), n++) {
		const struct ca *ca = i % 2 == 0 ? &d->e1 : &d->r1;
		if (serial_from_asn1(X509_get0_serialNumber(leaves[i]), serial, sizeof(serial),
			&len, e) != 0)
			goto fail;
		if (store_cert_get(s, ca->id, serial, len, &rec, e) != 1) {
			err_set(e, "demo leaf %d is missing from the store", i);
			goto fail;
		}
		reason = demo_reasons[n % (int)(sizeof(demo_reasons) / sizeof(demo_reasons[0]))];
		if (revoke_apply(s, &rec, d->now - 60 * (n + 1), reason, d->now, &at, &reason, e))
			goto fail;
	}
	return store_commit(s, e);
fail:
	store_rollback(s, NULL);
	return -1;
}

static int
make_leaves(struct demo *d, struct intake *in, X509 **leaves, struct err *e)
{
	char dns[128];

	d->leaf_key = mint_key(MINT_P256, e);
	if (d->leaf_key == NULL)
		return -1;
	for (int i = 0; i < d->nleaves; i++) {
		struct ca *ca = i % 2 == 0 ? &d->e1 : &d->r1;
		snprintf(dns, sizeof(dns), "leaf%d.%s", i + 1, DEMO_DOMAIN);
		leaves[i] = make_leaf(d, ca, dns, d->leaf_key, e);
		if (leaves[i] == NULL || write_leaf(d, leaves[i], NULL, e) != 0 ||
		    intake_x509(in, leaves[i], e) != 0)
			return -1;
	}
	return intake_flush(in, e);
}

static void
on_reject(void *arg, const char *source, size_t index, const char *why)
{
	struct err *e = arg;

	err_set(e, "%s: certificate %zu: %s", source, index, why);
}

/* Everything after the data directory exists: CAs, issuers, leaves, revocations. */
static int
populate(struct demo *d, struct store *s, struct err *e)
{
	struct issuer_set set = {0};
	struct intake in;
	struct err rejected = {{0}};
	X509 **leaves = calloc((size_t)d->nleaves, sizeof(*leaves));
	int rc = -1;

	intake_init(&in);
	if (leaves == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (make_ca(d, &d->root, NULL, e) != 0 || make_ca(d, &d->e1, &d->root, e) != 0 ||
	    make_ca(d, &d->r1, &d->root, e) != 0 || register_ca(d, s, &d->root, e) != 0 ||
	    register_ca(d, s, &d->e1, e) != 0 || register_ca(d, s, &d->r1, e) != 0 ||
	    issuer_set_load(s, &set, e) != 0)
		goto out;
	in.store = s;
	in.conf = &d->conf;
	in.issuers = &set;
	in.threads = cli_cpus();
	in.now = d->now;
	in.on_reject = on_reject;
	in.arg = &rejected;
	if (make_leaves(d, &in, leaves, e) != 0 || make_localhost(d, &in, e) != 0 ||
	    intake_flush(&in, e) != 0)
		goto out;
	if (in.rejected > 0) {
		*e = rejected;
		goto out;
	}
	rc = revoke_some(d, s, leaves, e);
out:
	for (int i = 0; leaves != NULL && i < d->nleaves; i++)
		X509_free(leaves[i]);
	free(leaves);
	intake_free(&in);
	issuer_set_free(&set);
	return rc;
}

static int
build(struct demo *d, struct err *e)
{
	char path[PATH_MAX];
	struct store *s;
	int rc;

	if (cli_init_data_dir(d->dir, &d->conf, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/keys", d->dir) != 0 ||
	    fs_mkdir_p(path, 0700, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/certs", d->dir) != 0 ||
	    fs_mkdir_p(path, 0755, e) != 0)
		return -1;
	s = store_open(d->dir, d->conf.store, 0, e);
	if (s == NULL)
		return -1;
	rc = populate(d, s, e);
	store_close(s);
	return rc;
}

static void
free_ca(struct ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
summary(struct cli_dir *d)
{
	const char *dir = d->path;
	struct err e;
	int64_t total = 0, revoked = 0;
	char ocsp[URL_MAX], crl[URL_MAX], ca[URL_MAX], admin[CONF_STR_MAX];

	if (store_cert_count(d->store, 0, &total, &revoked, &e) != 0) {
		fprintf(stderr, "lancre demo: %s\n", e.msg);
		return;
	}
	urls_ocsp(&d->conf, "e1", ocsp, sizeof(ocsp));
	urls_ca_issuers(&d->conf, "e1", ca, sizeof(ca));
	urls_crl_shard(&d->conf, "e1", 1, crl, sizeof(crl));
	serving_admin_addr(&d->conf, d->conf.listen, NULL, admin, sizeof(admin));
	printf("Demo CA universe in %s:\n"
	       "  issuers     root, e1 (ECDSA P-256), r1 (RSA-2048)   see: lancre issuer list -d %s\n"
	       "  leaves      %lld certificates, %lld revoked         PEM files in %s/certs/\n"
	       "  TLS         %s/certs/localhost.pem, localhost.key, localhost-chain.pem\n\n"
	       "URLs in the certificates:\n"
	       "  OCSP        %s\n  caIssuers   %s\n  CRL         %s\n"
	       "  admin       http://%s/metrics\n\n"
	       "Try, while it serves:\n"
	       "  openssl ocsp -issuer %s/certs/e1.pem -cert %s/certs/localhost.pem -url %s \\\n"
	       "      -CAfile %s/certs/root.pem\n"
	       "  curl -s %s | openssl x509 -inform DER -noout -subject\n"
	       "  lancre revoke -d %s --reason keyCompromise %s/certs/localhost.pem\n"
	       "  lancre status -d %s %s/certs/localhost.pem\n",
	    dir, dir, (long long)total, (long long)revoked, dir, dir, ocsp, ca, crl, admin, dir,
	    dir, ocsp, dir, ca, dir, dir, dir, dir);
}

/*
 * Started as root, the whole demo directory (keys, certificates, what the
 * pre-signing wrote) goes to [signer] user, readable by the server's group,
 * as `lancre init` does for what it makes (proc/layout.h).
 */
static int
give_to_users(const struct cli_dir *d, struct err *e)
{
	struct proc_users u;

	if (proc_users_resolve(&d->conf, &u, e) != 0)
		return -1;
	return proc_layout_apply(d->path, NULL, d->conf.store, &u, e);
}

/* Pre-sign everything, print what there is, then serve it (signer beside) unless told not to. */
static int
finish(const char *dir, int no_serve, const struct serving *serve)
{
	struct signer_stats st = {0};
	struct signer *sg;
	struct cli_dir d;
	struct err e;
	int rc;

	/* As root, the demo is made as root, then given to its users (give_to_users). */
	if (cli_dir_open_keep_user(&d, dir, STORE_WRITE, &e) != 0)
		return cli_fail("demo", &e);
	sg = cli_signer_new("demo", &d, cli_cpus(), &e);
	rc = sg != NULL ? signer_pass(sg, (int64_t)time(NULL), &st, &e) : -1;
	if (rc == 0)
		rc = give_to_users(&d, &e);
	if (sg != NULL)
		cli_signer_report("demo", sg, &d);
	if (rc != 0) {
		signer_free(sg);
		cli_dir_close(&d);
		return cli_fail("demo", &e);
	}
	signer_free(sg);
	summary(&d);
	if (no_serve) {
		cli_dir_close(&d);
		return EXIT_OK;
	}
	printf("\nServing until Ctrl-C...\n");
	fflush(stdout);
	struct serving o = *serve;
	o.with_signer = 1;
	rc = serving_run(&d, &o, "demo");
	cli_dir_close(&d);
	return rc;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"listen", required_argument, NULL, 'l'},
	    {"admin", required_argument, NULL, 'a'},  {"leaves", required_argument, NULL, 'n'},
	    {"no-serve", no_argument, NULL, 'N'},     {"store", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct demo d = {.dir = NULL, .nleaves = DEMO_LEAVES};
	struct serving serve = {0};
	int no_serve = 0;
	const char *dir = DEMO_DIR, *store = NULL;
	char partial[PATH_MAX], conf[PATH_MAX];
	struct err e;
	int ch, rc;

	cli_log_lines();
	conf_defaults(&d.conf);
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			snprintf(d.conf.listen, sizeof(d.conf.listen), "%s", optarg);
			serve.listen = optarg;
			break;
		case 'a':
			snprintf(d.conf.admin, sizeof(d.conf.admin), "%s", optarg);
			serve.admin = optarg;
			break;
		case 'N':
			no_serve = 1;
			break;
		case 's':
			if (strncmp(optarg, "postgresql://", 13) != 0 &&
			    strncmp(optarg, "postgres://", 11) != 0)
				return cli_usage_error("demo", "--store takes a postgresql:// URL "
								"(the default store is DIR/lancre.db)");
			snprintf(d.conf.store, sizeof(d.conf.store), "%s", optarg);
			store = optarg;
			break;
		case 'n':
			if (num_parse_int(optarg, DEMO_REVOKE_EVERY, DEMO_LEAVES_MAX, &d.nleaves) != 0)
				return cli_usage_error("demo", "--leaves takes %d to %d",
				    DEMO_REVOKE_EVERY, DEMO_LEAVES_MAX);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("demo", argv, ch);
		}
	}
	if (optind != argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (cli_check_listen("demo", "--listen", serve.listen) != 0 ||
	    cli_check_listen("demo", "--admin", serve.admin) != 0)
		return EXIT_USAGE;
	snprintf(conf, sizeof(conf), "%s/%s", dir, CONF_FILE);
	if (fs_exists(conf)) {
		if (store != NULL)
			return cli_usage_error("demo", "%s is a demo already, with the store its "
						       "lancre.conf names: run it without --store", dir);
		printf("Reusing the demo in %s.\n\n", dir);
		return finish(dir, no_serve, &serve);
	}
	/* An empty directory (mktemp -d) is taken, as init takes it: the finished universe is
	 * renamed over it, which rename(2) allows for an empty directory only. */
	if (fs_exists(dir) && !fs_is_empty_dir(dir)) {
		err_set(&e, "%s exists but is not a lancre data directory; choose another -d", dir);
		return cli_fail("demo", &e);
	}
	if (fs_path(partial, sizeof(partial), &e, "%s.partial", dir) != 0)
		return cli_fail("demo", &e);
	nftw(partial, remove_entry, 16, FTW_DEPTH | FTW_PHYS); /* an interrupted earlier run */
	snprintf(d.conf.base_url, sizeof(d.conf.base_url), "http://%s", d.conf.listen);
	d.conf.crl_delay = 5;
	d.dir = partial;
	d.now = (int64_t)time(NULL);
	d.root = (struct ca){.name = "root", .cn = "lancre demo Root", .type = MINT_P256};
	d.e1 = (struct ca){.name = "e1", .cn = "lancre demo E1", .type = MINT_P256};
	d.r1 = (struct ca){.name = "r1", .cn = "lancre demo R1", .type = MINT_RSA2048};
	printf("Creating a demo CA universe in %s (%d leaves)...\n", dir, d.nleaves);
	fflush(stdout);
	rc = build(&d, &e);
	free_ca(&d.root);
	free_ca(&d.e1);
	free_ca(&d.r1);
	EVP_PKEY_free(d.leaf_key);
	if (rc == 0 && rename(partial, dir) != 0)
		rc = err_set(&e, "cannot rename %s to %s: %s", partial, dir, strerror(errno));
	if (rc != 0) {
		nftw(partial, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return cli_fail("demo", &e);
	}
	putchar('\n');
	return finish(dir, no_serve, &serve);
}
