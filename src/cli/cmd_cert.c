/*
 * cmd_cert.c - `lancre cert add`: record the certificates a CA issued
 * (`lancre cert list` is in cmd_cert_list.c).
 *
 * Files are mapped rather than read, so a bundle of a million certificates
 * costs no copy before the intake batches it (intake.h).  Directories are
 * walked (regular files only, sorted, hidden files skipped).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cli/api_client.h"
#include "cli/api_cmds.h"
#include "cli/cli.h"
#include "intake/intake.h"
#include "pki/cert.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define CERT_STDIN_MAX ((size_t)4 << 30)
#define PROGRESS_MIN_BYTES (4 << 20) /* smaller imports finish before a bar helps */
/*
 * From this much input on, each P-256 issuer key gets its table of multiples
 * (issuer_set_prepare_tables: ~20 ms a key, then ~27 us less per signature
 * checked): ~1,500 certificates, past the ~700 where it pays.  stdin's size
 * is not known: checked the usual way.
 */
#define TABLES_MIN_BYTES (1 << 20)
#define EXPIRED_NAMED_MAX 10           /* expired certificates named one by one */

static const char usage_text[] =
    "usage: lancre cert add [-d DIR] [-q] [--allow-foreign-urls] FILE|DIR|- ...\n"
    "       lancre cert add --api URL --token-file F [--wait] [-q] FILE|DIR|- ...\n"
    "       lancre cert list [-d DIR] [--issuer NAME] [--revoked] [--json]\n"
    "                        (see 'lancre cert list --help')\n\n"
    "Record certificates a CA issued, so that lancre signs their OCSP responses and\n"
    "lists them in CRLs when revoked.  FILE: PEM (any number of certificates; other\n"
    "blocks are skipped) or DER (one or more certificates back to back), either of\n"
    "them holding PKCS#7 bundles (.p7b, .p7c) too.  DIR: every\n"
    "file in it, recursively; files in it that hold no certificate (keys, notes)\n"
    "are skipped and counted.  -: standard input.\n\n"
    "Each certificate's issuer is found by verifying its signature with the keys of\n"
    "the registered issuers.  A certificate that is unknown, badly signed, a CA\n"
    "certificate, or unreadable is reported and skipped; the others go in.  The same\n"
    "certificate twice is 'already present', so an interrupted import can be re-run.\n"
    "An expired certificate is recorded with a warning: OCSP answers unauthorized.\n"
    "A certificate whose CRL Distribution Point, OCSP or caIssuers URL is not one\n"
    "lancre serves for its issuer (see `lancre urls`) is refused.\n\n"
    "  -q, --quiet            no progress bar and no summary line\n"
    "  --allow-foreign-urls   record such certificates anyway, with a warning each\n"
    API_CMDS_HELP("intake")
    API_CMDS_WAIT_HELP
    "\nOver the API the certificates go in bundles of up to 10,000 (under 1 MB), each\n"
    "one transaction; a request that fails stops the command, saying from which\n"
    "file and certificate on nothing was recorded.  --allow-foreign-urls is not\n"
    "offered over the API.\n"
    "Exit status 1 if any certificate was refused.\n";

struct source {
	char *path;
	size_t size;
	size_t present; /* certificates of this file that were already recorded */
	int in_dir;     /* found by walking a directory, not named on the command line */
};

struct sources {
	struct source *v;
	size_t n, cap;
	size_t total;
};

struct progress {
	struct sources *srcs;
	size_t last; /* the source on_present matched last: reports come in input order */
	int enabled;
	size_t done_before; /* bytes of sources already finished */
	size_t total;
	time_t start;
	struct intake *in;
	size_t expired_named;
	const struct source *current; /* the source being handed to the intake */
};

static int
sources_push(struct sources *s, const char *path, size_t size, int in_dir)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct source *nv = realloc(s->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].path = strdup(path);
	if (s->v[s->n].path == NULL)
		return -1;
	s->v[s->n].size = size;
	s->v[s->n].present = 0;
	s->v[s->n].in_dir = in_dir;
	s->n++;
	s->total += size;
	return 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * Expand a command-line argument into files (in_dir: path was found in a
 * directory); reports unusable paths and counts them.
 */
static int
collect(struct sources *s, const char *path, int in_dir, int *bad)
{
	struct dirent **names;
	struct stat st;
	char child[PATH_MAX];
	int n;

	if (strcmp(path, "-") == 0)
		return sources_push(s, path, 0, in_dir);
	if (stat(path, &st) != 0) {
		fprintf(stderr, "lancre cert: %s: %s\n", path, strerror(errno));
		(*bad)++;
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return sources_push(s, path, (size_t)st.st_size, in_dir);
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "lancre cert: %s: not a file or directory\n", path);
		(*bad)++;
		return 0;
	}
	n = scandir(path, &names, hidden, name_cmp);
	if (n < 0) {
		fprintf(stderr, "lancre cert: %s: %s\n", path, strerror(errno));
		(*bad)++;
		return 0;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && (size_t)snprintf(child, sizeof(child), "%s/%s", path,
				    names[i]->d_name) < sizeof(child))
			rc = collect(s, child, 1, bad);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* How a source is named in messages. */
static const char *
source_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static void
on_reject(void *arg, const char *source, size_t index, const char *why)
{
	struct progress *p = arg;

	if (p->enabled)
		fputs("\r\033[K", stderr);
	if (index == 0)
		fprintf(stderr, "lancre cert: %s: %s\n", source_name(source), why);
	else
		fprintf(stderr, "lancre cert: %s: certificate %zu: %s\n", source_name(source),
		    index, why);
}

/*
 * An expired certificate was added: recorded, but never signed for.  The first
 * few are named, the rest counted in the summary.
 */
static void
on_expired(void *arg, const char *source, size_t index, int64_t not_after)
{
	struct progress *p = arg;
	char when[TIMEFMT_LEN];

	if (p->expired_named++ >= EXPIRED_NAMED_MAX)
		return;
	if (p->enabled)
		fputs("\r\033[K", stderr);
	timefmt_format(not_after, when, sizeof(when));
	fprintf(stderr, "lancre cert: %s: certificate %zu: warning: expired at %s; recorded, but "
			"OCSP answers unauthorized for it\n", source_name(source), index, when);
}

/* A certificate naming URLs lancre does not serve, recorded with --allow-foreign-urls. */
static void
on_foreign(void *arg, const char *source, size_t index, const char *why)
{
	struct progress *p = arg;

	if (p->enabled)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "lancre cert: %s: certificate %zu: warning: %s; recorded "
			"(--allow-foreign-urls)\n", source_name(source), index, why);
}

/*
 * A file without any certificate: one met in a directory (the CA's key, a
 * README beside the certificates) is skipped and counted; one named on the
 * command line is refused, since it was named as holding certificates.
 */
static int
on_empty(void *arg, const char *source)
{
	const struct progress *p = arg;

	return p->current != NULL && p->current->path == source && p->current->in_dir;
}

static void
on_present(void *arg, const char *source)
{
	struct progress *p = arg;
	struct sources *s = p->srcs;

	for (size_t k = 0; k < s->n; k++) {
		size_t i = (p->last + k) % s->n;
		if (s->v[i].path == source || strcmp(s->v[i].path, source) == 0) {
			s->v[i].present++;
			p->last = i;
			return;
		}
	}
}

/* One line per file that held certificates already recorded: said once, not per certificate. */
static void
report_present(const struct sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].present > 0)
			printf("%s: %zu certificate%s already recorded, skipped\n",
			    source_name(s->v[i].path), s->v[i].present, s->v[i].present == 1 ? "" : "s");
	}
}

/*
 * What `cert add` says at the end, the same with -d and with --api: the files
 * whose certificates were recorded already, the counts, and the expired ones
 * beyond those named.
 */
struct summary {
	size_t added, present, rejected, skipped, expired;
	size_t precerts;  /* of added */
	size_t completed; /* precertificates' records completed by their final certificates */
};

static void
report_summary(const struct sources *s, const struct summary *n)
{
	report_present(s);
	printf("%zu added", n->added);
	if (n->precerts > 0)
		printf(" (%zu precertificate%s)", n->precerts, n->precerts == 1 ? "" : "s");
	printf(", %zu already present, %zu refused", n->present, n->rejected);
	if (n->completed > 0)
		printf(", %zu precertificate%s completed by the final certificate", n->completed,
		    n->completed == 1 ? "" : "s");
	if (n->skipped > 0)
		printf(", %zu file%s without certificates skipped", n->skipped,
		    n->skipped == 1 ? "" : "s");
	putchar('\n');
	if (n->expired > EXPIRED_NAMED_MAX)
		fprintf(stderr, "lancre cert: warning: %zu of the certificates added had expired "
				"(the first %d are named above)\n",
		    n->expired, EXPIRED_NAMED_MAX);
}

static void
draw_progress(struct progress *p, size_t done)
{
	double frac = p->total ? (double)done / (double)p->total : 1;
	double secs = difftime(time(NULL), p->start);
	int width = 30, fill = (int)(frac * width);

	fprintf(stderr, "\r[%.*s%*s] %3d%%  %zu added  %.0f/s", fill,
	    "##############################", width - fill, "", (int)(frac * 100), p->in->added,
	    secs > 0 ? (double)(p->in->added + p->in->present) / secs : 0.0);
}

static void
on_progress(void *arg, size_t done)
{
	struct progress *p = arg;

	if (p->enabled)
		draw_progress(p, p->done_before + done);
}

/* Hand one source to the intake: mapped if it is a file, read if it is stdin. */
static int
add_source(struct intake *in, const struct source *src, struct err *e)
{
	uint8_t *data = NULL;
	size_t len;
	int fd, rc;
	struct err ferr;

	if (strcmp(src->path, "-") == 0) {
		if (fs_read_all("-", CERT_STDIN_MAX, &data, &len, &ferr) != 0) {
			in->rejected++;
			fprintf(stderr, "lancre cert: %s\n", ferr.msg);
			return 0;
		}
		rc = intake_add(in, src->path, data, len, e); /* the batch keeps its own copy */
		free(data);
		return rc;
	}
	if (src->size == 0)
		return intake_add(in, src->path, (const uint8_t *)"", 0, e);
	fd = open(src->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		in->rejected++;
		fprintf(stderr, "lancre cert: %s: %s\n", src->path, strerror(errno));
		return 0;
	}
	data = mmap(NULL, src->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		in->rejected++;
		fprintf(stderr, "lancre cert: %s: %s\n", src->path, strerror(errno));
		return 0;
	}
	madvise(data, src->size, MADV_SEQUENTIAL);
	rc = intake_add(in, src->path, data, src->size, e);
	munmap(data, src->size);
	return rc;
}

static int
cert_add(struct cli_dir *d, struct sources *srcs, int quiet, int allow_foreign, size_t *rejected,
    struct err *e)
{
	struct issuer_set set;
	struct intake in;
	struct progress prog = {0};
	int rc = 0;

	if (issuer_set_load(d->store, &set, e) != 0)
		return -1;
	if (set.n == 0) {
		issuer_set_free(&set);
		return err_set(e, "no issuers registered; add one with `lancre issuer add` first");
	}
	if (store_set_intent(d->store, STORE_INTENT_BULK_IMPORT, e) != 0) {
		issuer_set_free(&set);
		return -1;
	}
	if (srcs->total >= TABLES_MIN_BYTES)
		issuer_set_prepare_tables(&set);
	intake_init(&in);
	in.store = d->store;
	in.conf = &d->conf;
	in.issuers = &set;
	in.threads = cli_cpus();
	in.now = (int64_t)time(NULL);
	in.actor = d->actor;
	in.origin = "cli";
	in.on_reject = on_reject;
	in.on_progress = on_progress;
	in.on_present = on_present;
	in.on_expired = on_expired;
	in.allow_foreign_urls = allow_foreign;
	in.on_foreign = on_foreign;
	in.on_empty = on_empty;
	in.arg = &prog;
	prog.in = &in;
	prog.srcs = srcs;
	prog.total = srcs->total;
	prog.start = time(NULL);
	prog.enabled = !quiet && isatty(STDERR_FILENO) && srcs->total >= PROGRESS_MIN_BYTES;
	for (size_t i = 0; rc == 0 && i < srcs->n; i++) {
		prog.current = &srcs->v[i];
		rc = add_source(&in, &srcs->v[i], e);
		prog.done_before += srcs->v[i].size;
	}
	if (rc == 0)
		rc = intake_flush(&in, e);
	if (prog.enabled) {
		draw_progress(&prog, prog.total);
		fputc('\n', stderr);
	}
	if (!quiet)
		report_summary(srcs, &(struct summary){.added = in.added, .present = in.present,
					 .rejected = in.rejected, .skipped = in.skipped,
					 .expired = in.expired, .precerts = in.precerts,
					 .completed = in.completed});
	*rejected += in.rejected;
	intake_free(&in);
	issuer_set_free(&set);
	return rc;
}

/*
 * `cert add --api`: each certificate is split out of its file here (so that
 * refusals and "already recorded" are told per file, as above) and sent as
 * PEM in bundles of at most API_BUNDLE_CERTS and about API_BUNDLE_BYTES, one
 * transaction each.  The API refuses a whole bundle for one bad certificate
 * (422 naming it): that one is reported and the rest sent again, so the
 * outcome is `cert add`'s (the refused skipped, the others in).  A 413 (a
 * server with a smaller max_body) halves the bundle.
 */
struct api_item {
	size_t src;   /* index in sources */
	size_t index; /* the certificate's number in its file, from 1 */
	char *pem;
	size_t len;
};

struct api_add {
	struct api_client c;
	struct sources *srcs;
	struct api_item *v; /* the bundle being filled */
	size_t n, bytes;
	struct summary sum; /* what report_summary says */
	int64_t now;
	const struct api_item *failed_at; /* the first certificate of a request that failed */
	char failed_src[PATH_MAX];
	size_t failed_index;
};

static void
api_reject(const char *path, size_t index, const char *why)
{
	if (index == 0)
		fprintf(stderr, "lancre cert: %s: %s\n", source_name(path), why);
	else
		fprintf(stderr, "lancre cert: %s: certificate %zu: %s\n", source_name(path), index,
		    why);
}

/* The answer of a bundle that went in: its certificates, in order. */
static int
api_added(struct api_add *r, const struct api_item *v, size_t n, const json_t *ans,
    struct err *e)
{
	const json_t *list = json_object_get(ans, "certificates");
	char when[TIMEFMT_LEN];
	struct api_cert a;

	if (!json_is_array(list) || json_array_size(list) != n)
		return err_set(e, "the admin API at %s: an answer that does not list the %zu "
				  "certificates sent", r->c.url, n);
	for (size_t i = 0; i < n; i++) {
		if (api_cert_from_json(json_array_get(list, i), &a, e) != 0)
			return -1;
		if (strcmp(a.result, "completed") == 0) {
			r->sum.completed++;
			continue;
		}
		if (strcmp(a.result, "added") != 0) {
			r->sum.present++;
			r->srcs->v[v[i].src].present++;
			continue;
		}
		r->sum.added++;
		r->sum.precerts += a.precert != 0;
		if (a.not_after <= r->now && r->sum.expired++ < EXPIRED_NAMED_MAX) {
			timefmt_format(a.not_after, when, sizeof(when));
			fprintf(stderr, "lancre cert: %s: certificate %zu: warning: expired at %s; "
					"recorded, but OCSP answers unauthorized for it\n",
			    source_name(r->srcs->v[v[i].src].path), v[i].index, when);
		}
	}
	return 0;
}

/* Send v[0..n) (the refused ones dropped and said); 0, or -1 with e when a request failed. */
static int
api_send(struct api_add *r, struct api_item *v, size_t n, struct err *e)
{
	const json_t *done = NULL;
	char why[ERR_MSG_MAX], path[96];
	json_t *ans;
	long status;
	size_t len, k;
	char *body;
	int rc;

	while (n > 0) {
		len = 0;
		for (size_t i = 0; i < n; i++)
			len += v[i].len;
		if ((body = malloc(len + 1)) == NULL)
			return err_set(e, "out of memory");
		len = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(body + len, v[i].pem, v[i].len);
			len += v[i].len;
		}
		rc = api_call(&r->c, "POST",
		    api_change_path(&r->c, "/certificates", path, sizeof(path)), body, len,
		    "application/x-pem-file", &status, &ans, e);
		free(body);
		if (rc != 0) {
			r->failed_at = &v[0];
			return -1;
		}
		/* --wait's 504: recorded, not served yet; counted, and the others go on. */
		if (status == 200 || (done = api_unserved(&r->c, status, ans)) != NULL) {
			rc = api_added(r, v, n, status == 200 ? ans : done, e);
			json_decref(ans);
			return rc;
		}
		if (status == 413 && n > 1) {
			json_decref(ans);
			k = n / 2;
			if (api_send(r, v, k, e) != 0)
				return -1;
			v += k;
			n -= k;
			continue;
		}
		k = status == 422 ? api_refused(ans, why, sizeof(why)) : 0;
		if (k == 0 || k > n) {
			api_status_error(&r->c, status, ans, e);
			json_decref(ans);
			r->failed_at = &v[0];
			return -1;
		}
		/* Certificate k refused, none recorded: say it, send the others again. */
		api_reject(r->srcs->v[v[k - 1].src].path, v[k - 1].index, why);
		json_decref(ans);
		r->sum.rejected++;
		if (api_send(r, v, k - 1, e) != 0)
			return -1;
		v += k;
		n -= k;
	}
	return 0;
}

static int
api_flush(struct api_add *r, struct err *e)
{
	int rc = api_send(r, r->v, r->n, e);

	if (rc != 0 && r->failed_at != NULL) {
		snprintf(r->failed_src, sizeof(r->failed_src), "%s",
		    source_name(r->srcs->v[r->failed_at->src].path));
		r->failed_index = r->failed_at->index;
	}
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].pem);
	r->n = r->bytes = 0;
	return rc;
}

static int
api_queue(struct api_add *r, size_t src, size_t index, const uint8_t *der, size_t len,
    struct err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	if (r->n == API_BUNDLE_CERTS || (r->n > 0 && r->bytes + len * 2 > API_BUNDLE_BYTES)) {
		if (api_flush(r, e) != 0) {
			BIO_free(b);
			return -1;
		}
	}
	if (b == NULL || PEM_write_bio(b, "CERTIFICATE", "", der, (long)len) <= 0 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0 || (r->v[r->n].pem = malloc((size_t)n)) == NULL) {
		BIO_free(b);
		return err_set(e, "out of memory");
	}
	memcpy(r->v[r->n].pem, p, (size_t)n);
	BIO_free(b);
	r->v[r->n].len = (size_t)n;
	r->v[r->n].src = src;
	r->v[r->n].index = index;
	r->bytes += (size_t)n;
	r->n++;
	return 0;
}

/* One source's certificates into the bundles, as intake_add() reads it. */
static int
api_source(struct api_add *r, size_t si, struct err *e)
{
	const struct source *src = &r->srcs->v[si];
	struct cert_reader rd;
	const uint8_t *der;
	uint8_t *data = NULL;
	size_t len = 0, dlen;
	struct err why, ferr;
	uint8_t *mapped = NULL;
	int rc = 0, st;

	if (strcmp(src->path, "-") != 0 && src->size > 0) {
		/* Mapped, as add_source() does: a file of a million certificates is not copied. */
		int fd = open(src->path, O_RDONLY | O_CLOEXEC);
		void *m = fd >= 0 ? mmap(NULL, src->size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
		if (fd >= 0)
			close(fd);
		if (m == MAP_FAILED) {
			r->sum.rejected++;
			fprintf(stderr, "lancre cert: %s: %s\n", src->path, strerror(errno));
			return 0;
		}
		madvise(m, src->size, MADV_SEQUENTIAL);
		mapped = m;
		len = src->size;
	} else if (strcmp(src->path, "-") == 0 &&
		   fs_read_all(src->path, CERT_STDIN_MAX, &data, &len, &ferr) != 0) {
		r->sum.rejected++;
		fprintf(stderr, "lancre cert: %s\n", ferr.msg);
		return 0;
	}
	cert_reader_init(&rd, mapped != NULL ? mapped : data != NULL ? data : (const uint8_t *)"",
	    len);
	if (!cert_reader_may_hold_certs(&rd) && len > 0 && src->in_dir) {
		r->sum.skipped++;
		goto out;
	}
	while (rc == 0 && (st = cert_reader_next(&rd, &der, &dlen, &why)) != 0) {
		if (st < 0) {
			r->sum.rejected++;
			api_reject(src->path, rd.index, why.msg);
		} else {
			rc = api_queue(r, si, rd.index, der, dlen, e);
		}
	}
	if (rc == 0 && rd.index == 0) {
		if (src->in_dir) {
			r->sum.skipped++;
		} else {
			r->sum.rejected++;
			api_reject(src->path, 0, "no certificate found");
		}
	}
out:
	cert_reader_free(&rd);
	free(data);
	if (mapped != NULL)
		munmap(mapped, len);
	return rc;
}

/*
 * 0, -1 with e, or 1 with e saying that --wait timed out: everything was
 * recorded, not all of it served in time.
 */
static int
cert_add_api(const struct api_opts *o, struct sources *srcs, int quiet, size_t *rejected,
    struct err *e)
{
	struct api_add r = {.srcs = srcs, .now = (int64_t)time(NULL)};
	int rc;

	if (api_client_open(&r.c, o, e) != 0) {
		api_client_close(&r.c);
		return -1;
	}
	if ((r.v = calloc(API_BUNDLE_CERTS, sizeof(*r.v))) == NULL) {
		api_client_close(&r.c);
		return err_set(e, "out of memory");
	}
	rc = 0;
	for (size_t i = 0; rc == 0 && i < srcs->n; i++)
		rc = api_source(&r, i, e);
	if (rc == 0)
		rc = api_flush(&r, e);
	for (size_t i = 0; i < r.n; i++) /* left by a failure before its request */
		free(r.v[i].pem);
	if (!quiet)
		report_summary(srcs, &r.sum);
	/* Say where it stopped: the requests before it are committed, it and the rest not. */
	if (rc != 0 && r.failed_src[0] != '\0') {
		char why[ERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", e->msg);
		err_set(e, "%s; nothing was recorded from %s certificate %zu on (the %zu added "
			   "before it are)", why, r.failed_src, r.failed_index, r.sum.added);
	}
	*rejected += r.sum.rejected;
	if (rc == 0 && r.c.not_served > 0) {
		api_unserved_error(&r.c, e);
		rc = 1;
	}
	free(r.v);
	api_client_close(&r.c);
	return rc;
}

/* The subcommand word (add, list), past the options and their values; NULL if none. */
static const char *
subcommand(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--dir") == 0 ||
		    strcmp(argv[i], "--issuer") == 0)
			i++;
		else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
			return argv[i];
	}
	return NULL;
}

int
cmd_cert(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"allow-foreign-urls", no_argument, NULL, 'F'},
	    API_CMDS_OPTIONS,
	    API_CMDS_WAIT_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir();
	struct api_opts ao = {0};
	int dir_given = 0;
	struct sources srcs = {0};
	struct cli_dir d;
	struct err e;
	int ch, quiet = 0, allow_foreign = 0, bad = 0, rc;
	size_t rejected = 0;

	if (subcommand(argc, argv) != NULL && strcmp(subcommand(argc, argv), "list") == 0)
		return cmd_cert_list(argc, argv); /* options of its own */
	while ((ch = getopt_long(argc, argv, ":d:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			dir_given = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'F':
			allow_foreign = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			if ((rc = cli_api_option("cert", ch, optarg, &ao)) < 0)
				return cli_bad_option("cert", argv, ch);
			if (rc > 0)
				return rc;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "add") != 0)
		return cli_usage_error("cert", "expected 'add FILE...' or 'list'");
	if (++optind >= argc)
		return cli_usage_error("cert", "add needs at least one FILE, DIR or -");
	if ((rc = cli_api_options("cert", &ao, dir_given)) != 0)
		return rc;
	if (ao.url != NULL && allow_foreign)
		return cli_usage_error("cert", "--allow-foreign-urls is not offered over the API");
	if (ao.url != NULL) {
		rc = 0;
		for (int i = optind; rc == 0 && i < argc; i++)
			rc = collect(&srcs, argv[i], 0, &bad);
		if (rc != 0)
			err_set(&e, "out of memory");
		else
			rc = cert_add_api(&ao, &srcs, quiet, &rejected, &e);
		for (size_t i = 0; i < srcs.n; i++)
			free(srcs.v[i].path);
		free(srcs.v);
		if (rc < 0)
			return cli_fail("cert", &e);
		if (rejected > 0 || bad > 0)
			return EXIT_FAIL;
		if (rc > 0) { /* --wait: all in, not all served in time */
			cli_fail("cert", &e);
			return API_EXIT_NOT_SERVED;
		}
		return EXIT_OK;
	}
	if (cli_dir_open(&d, dir, &e) != 0)
		return cli_fail("cert", &e);
	rc = 0;
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = collect(&srcs, argv[i], 0, &bad);
	if (rc != 0)
		err_set(&e, "out of memory");
	if (rc == 0)
		rc = cert_add(&d, &srcs, quiet, allow_foreign, &rejected, &e);
	cli_dir_close(&d);
	for (size_t i = 0; i < srcs.n; i++)
		free(srcs.v[i].path);
	free(srcs.v);
	if (rc != 0)
		return cli_fail("cert", &e);
	return rejected > 0 || bad > 0 ? EXIT_FAIL : EXIT_OK;
}
