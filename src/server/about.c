/*
 * about.c - see about.h.  Builds the pages; the words are in
 * share/about/<tag>.html, built in (about_builtin.h), and the operator's
 * templates; the language choice in about_lang.c, the example request in
 * about_example.c.
 *
 * The page is one self-contained HTML document: system fonts, a line length
 * of about 70 characters, an embedded style sheet, no script and no outside
 * asset (a visitor investigating traffic should cause none).  Links point to
 * the path form of each URL, which every host of the server answers, so the
 * same bytes work on the bare domain and on a path-form base URL.  Every
 * value from lancre.conf or a certificate is escaped; the templates' HTML is
 * the operator's own and copied as it is.
 */
#include "server/about.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509.h>

#include "server/about_builtin.h"
#include "server/about_example.h"
#include "server/about_tpl.h"
#include "server/snapshot.h"
#include "store/store.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define ABOUT_TAG_FILE_MAX (ABOUT_LANG_TAG_MAX + 5) /* "<tag>.html" */

static const char about_css[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif;"
    "line-height:1.5;max-width:42em;margin:0 auto;padding:1em 1.2em;color:#1b1b1b;"
    "background:#fff}"
    "h1{font-size:1.6em;line-height:1.25}h2{font-size:1.25em;margin-top:1.8em}"
    "h3{font-size:1.05em}code,pre{font-family:ui-monospace,\"SFMono-Regular\",Menlo,"
    "Consolas,\"DejaVu Sans Mono\",monospace;font-size:.92em}"
    "code{overflow-wrap:anywhere}pre{background:#f4f4f4;padding:.6em;overflow-x:auto;"
    "white-space:pre-wrap}"
    "a{color:#0b57d0}nav ul{list-style:none;padding:0;margin:0}"
    "nav li{display:inline;margin-right:1em}"
    ".wide{overflow-x:auto}table{border-collapse:collapse;font-size:.9em}"
    "th,td{text-align:left;padding:.25em .6em .25em 0;border-bottom:1px solid #ddd;"
    "white-space:nowrap}td.n{text-align:right}"
    "@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#161616}"
    "a{color:#8ab4f8}pre{background:#262626}th,td{border-color:#444}}";

/* Write s with &, <, >, " and ' escaped. */
static void
put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* What the placeholders stand for, the same in every language (escaped HTML). */
struct about_vars {
	char *ca;           /* NULL: the template's unnamed_ca */
	char *contact;      /* NULL: the template's no_contact */
	char *domain, *names, *ocsp_example;
};

/* A string built in a memstream, or NULL. */
typedef void (*about_writer)(FILE *f, const void *arg);

static char *
build_string(about_writer w, const void *arg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	w(f, arg);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
write_escaped(FILE *f, const void *arg)
{
	put_escaped(f, arg);
}

/* An e-mail address or http(s) URL as a link; anything else as text. */
static void
write_contact(FILE *f, const void *arg)
{
	const char *c = arg;
	int url = strncmp(c, "http://", 7) == 0 || strncmp(c, "https://", 8) == 0;
	int mail = !url && strchr(c, '@') != NULL && strpbrk(c, " \t<>\"'") == NULL;

	if (!url && !mail) {
		put_escaped(f, c);
		return;
	}
	fputs("<a href=\"", f);
	if (mail)
		fputs("mailto:", f);
	put_escaped(f, c);
	fputs("\">", f);
	put_escaped(f, c);
	fputs("</a>", f);
}

/* The host (and port) of the base URL, without scheme. */
static const char *
base_host(const struct conf *c)
{
	const char *p = strstr(c->base_url, "://");

	return p != NULL ? p + 3 : c->base_url;
}

static void
write_domain(FILE *f, const void *arg)
{
	const struct conf *c = arg;

	put_escaped(f, c->domain[0] != '\0' ? c->domain : base_host(c));
}

/* The names certificates carry, in both forms the server answers. */
static void
write_names(FILE *f, const void *arg)
{
	const struct conf *c = arg;
	static const char *const path_parts[] = {"/ocsp", "/crl/", "/issuer/"};

	if (c->domain[0] != '\0') {
		for (int i = 0; i < 3; i++) {
			fprintf(f, "%s<code>&lt;issuer&gt;.%c.", i ? ", " : "", "oci"[i]);
			put_escaped(f, c->domain);
			fputs("</code>", f);
		}
		fputs(", ", f);
	}
	for (int i = 0; i < 3; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		put_escaped(f, c->base_url);
		fprintf(f, "%s</code>", path_parts[i]);
	}
}

/* An issuer certificate's organization, else its common name, into buf ("" if neither). */
static void
cert_org(X509 *cert, char *buf, int len)
{
	X509_NAME *n = X509_get_subject_name(cert);

	buf[0] = '\0';
	if (X509_NAME_get_text_by_NID(n, NID_organizationName, buf, len) <= 0 &&
	    X509_NAME_get_text_by_NID(n, NID_commonName, buf, len) <= 0)
		buf[0] = '\0';
}

static int
vars_init(struct about_vars *v, const struct conf *c, const struct shared_catalog *cat)
{
	char org[CONF_STR_MAX], *url;
	const char *ca = c->about_ca_name;

	memset(v, 0, sizeof(*v));
	if (ca[0] == '\0' && cat != NULL && cat->nissuers > 0) {
		cert_org(cat->issuers[0].cert, org, sizeof(org));
		ca = org;
	}
	if ((ca[0] != '\0' && (v->ca = build_string(write_escaped, ca)) == NULL) ||
	    (c->about_contact[0] != '\0' &&
		(v->contact = build_string(write_contact, c->about_contact)) == NULL))
		return -1;
	v->domain = build_string(write_domain, c);
	v->names = build_string(write_names, c);
	/* A whole OCSP GET URL of the first issuer, as a log shows it (about_example.c). */
	url = cat != NULL && cat->nissuers > 0
		  ? about_example_ocsp_url(c, cat->issuers[0].name, cat->issuers[0].cert)
		  : about_example_ocsp_url(c, NULL, NULL);
	v->ocsp_example = url != NULL ? build_string(write_escaped, url) : NULL;
	free(url);
	return v->domain != NULL && v->names != NULL && v->ocsp_example != NULL ? 0 : -1;
}

static void
vars_free(struct about_vars *v)
{
	free(v->ca);
	free(v->contact);
	free(v->domain);
	free(v->names);
	free(v->ocsp_example);
}

/* What one language's page needs: its template, English's for the keys it lacks, the values. */
struct about_ctx {
	const struct about_tpl *t, *en;
	const struct about_vars *v;
	const struct conf *conf;
	const struct shared_catalog *cat;
	int64_t now;
};

static const char *
label(const struct about_ctx *x, enum about_key k)
{
	return x->t->val[k] != NULL ? x->t->val[k] : x->en->val[k] != NULL ? x->en->val[k] : "";
}

static void
put_time(FILE *f, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) != NULL && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) > 0)
		fputs(buf, f);
}

static void
put_age(FILE *f, const struct about_ctx *x, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 3600)
		fprintf(f, "%lld %s", (long long)(secs / 60), label(x, ABOUT_K_MINUTES));
	else if (secs < 2 * 86400)
		fprintf(f, "%lld %s", (long long)(secs / 3600), label(x, ABOUT_K_HOURS));
	else
		fprintf(f, "%lld %s", (long long)(secs / 86400), label(x, ABOUT_K_DAYS));
}

/* Full CRL first, then shards in order, then deltas in the same order. */
static int
crl_order(const void *a, const void *b)
{
	const struct snapshot_crl *x = *(const struct snapshot_crl *const *)a;
	const struct snapshot_crl *y = *(const struct snapshot_crl *const *)b;
	int dx = x->shard < 0, dy = y->shard < 0;
	int sx = crl_key_shard(x->shard), sy = crl_key_shard(y->shard);

	if (dx != dy)
		return dx - dy;
	return (sx > sy) - (sx < sy);
}

/* One CRL's row: a link by its path-form URL, when signed, its age, nextUpdate, size. */
static void
crl_row(FILE *f, const struct about_ctx *x, const struct snapshot_crl *c)
{
	const char *name = c->issuer->name;
	int shard = crl_key_shard(c->shard), delta = c->shard < 0;

	fputs("<tr><td><a href=\"/crl/", f);
	if (shard == 0)
		fprintf(f, "%s%s.crl\">%s", name, delta ? "-delta" : "", label(x, ABOUT_K_FULL_CRL));
	else
		fprintf(f, "%s/%d%s.crl\">%s %d", name, shard, delta ? "-delta" : "",
		    label(x, ABOUT_K_SHARD), shard);
	if (delta)
		fprintf(f, " (%s)", label(x, ABOUT_K_DELTA));
	fputs("</a></td><td>", f);
	put_time(f, c->this_update);
	fputs("</td><td class=\"n\">", f);
	put_age(f, x, x->now - c->this_update);
	fputs("</td><td>", f);
	put_time(f, c->next_update);
	fprintf(f, "</td><td class=\"n\">%zu %s</td></tr>\n", c->der_len, label(x, ABOUT_K_BYTES));
}

static void
crl_table(FILE *f, const struct about_ctx *x, const struct snapshot_issuer *si)
{
	const struct snapshot_crl **mine = calloc(x->cat->ncrls + 1, sizeof(*mine));
	size_t n = 0;

	for (size_t i = 0; mine != NULL && i < x->cat->ncrls; i++) {
		if (x->cat->crls[i].issuer == si)
			mine[n++] = &x->cat->crls[i];
	}
	if (n == 0) {
		fprintf(f, "<p>%s</p>\n", label(x, ABOUT_K_NO_CRL));
		free(mine);
		return;
	}
	qsort(mine, n, sizeof(*mine), crl_order);
	fprintf(f, "<div class=\"wide\"><table>\n<thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		   "<th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
	    label(x, ABOUT_K_CRL), label(x, ABOUT_K_SIGNED), label(x, ABOUT_K_AGE),
	    label(x, ABOUT_K_NEXT_UPDATE), label(x, ABOUT_K_SIZE));
	for (size_t i = 0; i < n; i++)
		crl_row(f, x, mine[i]);
	fputs("</tbody></table></div>\n", f);
	free(mine);
}

static void
issuer_section(FILE *f, const struct about_ctx *x, const struct snapshot_issuer *si)
{
	char subject[CONF_STR_MAX] = "";
	BIO *b = BIO_new(BIO_s_mem());

	/* Issuer names are labels ([a-z0-9-]), safe in HTML and URLs as they are. */
	fprintf(f, "<h3 id=\"issuer-%s\">%s %s</h3>\n<p>", si->name, label(x, ABOUT_K_ISSUER),
	    si->name);
	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(si->cert), 0,
			     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		int n = BIO_read(b, subject, (int)sizeof(subject) - 1);
		subject[n > 0 ? n : 0] = '\0';
		fputs("<code>", f);
		put_escaped(f, subject);
		fputs("</code><br>\n", f);
	}
	BIO_free(b);
	fprintf(f, "%s: <a href=\"/issuer/%s\">DER</a> · <a href=\"/issuer/%s.pem\">PEM</a>",
	    label(x, ABOUT_K_CERTIFICATE), si->name, si->name);
	if (si->crl_shards > 0)
		fprintf(f, "<br>\n%s: <a href=\"/crl/%s.json\">/crl/%s.json</a>",
		    label(x, ABOUT_K_CCADB), si->name, si->name);
	fputs("</p>\n", f);
	crl_table(f, x, si);
}

static void
write_directory(FILE *f, const struct about_ctx *x)
{
	fprintf(f, "<h2 id=\"directory\">%s</h2>\n<p>%s ", label(x, ABOUT_K_DIRECTORY),
	    label(x, ABOUT_K_AS_OF));
	put_time(f, x->now);
	fputs(" UTC.</p>\n", f);
	for (size_t i = 0; x->cat != NULL && i < x->cat->nissuers; i++)
		issuer_section(f, x, &x->cat->issuers[i]);
}

/* s with the placeholders replaced; *dir is set when {directory} was among them. */
static void
write_filled(FILE *f, const struct about_ctx *x, const char *s, int *dir)
{
	const struct about_vars *v = x->v;

	while (*s != '\0') {
		const char *open = strchr(s, '{'), *close;
		size_t nl;

		if (open == NULL) {
			fputs(s, f);
			return;
		}
		fwrite(s, 1, (size_t)(open - s), f);
		close = strchr(open, '}');
		nl = close != NULL ? (size_t)(close - open - 1) : 0;
#define IS(name) (nl == sizeof(name) - 1 && memcmp(open + 1, name, nl) == 0)
		if (IS("ca"))
			fputs(v->ca != NULL ? v->ca : label(x, ABOUT_K_UNNAMED_CA), f);
		else if (IS("contact"))
			fputs(v->contact != NULL ? v->contact : label(x, ABOUT_K_NO_CONTACT), f);
		else if (IS("domain"))
			fputs(v->domain, f);
		else if (IS("names"))
			fputs(v->names, f);
		else if (IS("ocsp_example"))
			fputs(v->ocsp_example, f);
		else if (IS("directory") && dir != NULL) {
			write_directory(f, x);
			*dir = 1;
		} else {
			fputc('{', f);
			s = open + 1;
			continue;
		}
#undef IS
		s = close + 1;
	}
}

/* The whole page of template x->t; pages[0..n) are the languages to link to. */
static void
write_page(FILE *f, const struct about_ctx *x, const struct about_tpl *const *all, size_t n)
{
	int dir = 0;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>",
	    x->t->tag);
	write_filled(f, x, label(x, ABOUT_K_TITLE), NULL);
	fputs("</title>\n", f);
	for (size_t i = 0; i < n; i++) {
		if (all[i] != x->t)
			fprintf(f, "<link rel=\"alternate\" hreflang=\"%s\" href=\"/?lang=%s\">\n",
			    all[i]->tag, all[i]->tag);
	}
	fprintf(f, "<style>%s</style>\n</head>\n<body>\n<nav aria-label=\"%s\"><ul>\n", about_css,
	    label(x, ABOUT_K_LANGUAGES));
	for (size_t i = 0; i < n; i++) {
		const char *name = all[i]->val[ABOUT_K_NAME] ? all[i]->val[ABOUT_K_NAME] : all[i]->tag;
		if (all[i] == x->t)
			fprintf(f, "<li><strong lang=\"%s\">%s</strong></li>\n", all[i]->tag, name);
		else
			fprintf(f, "<li><a href=\"/?lang=%s\" hreflang=\"%s\" lang=\"%s\">%s</a></li>\n",
			    all[i]->tag, all[i]->tag, all[i]->tag, name);
	}
	fputs("</ul></nav>\n<main>\n<h1>", f);
	write_filled(f, x, label(x, ABOUT_K_TITLE), NULL);
	fputs("</h1>\n", f);
	write_filled(f, x, x->t->body, &dir);
	if (!dir)
		write_directory(f, x);
	fputs("</main>\n</body>\n</html>\n", f);
}

/*
 * The operator's templates: DIR/about/<tag>.html, in name order (so the
 * links between languages are stable); a tag already in t[0..*n) replaces
 * it.  What cannot be used is counted in *skipped.
 */
static void
load_templates(const char *dir, struct about_tpl *t, size_t *n, size_t *skipped)
{
	char path[PATH_MAX], tag[ABOUT_TAG_FILE_MAX + 1];
	struct dirent **names = NULL;
	int count;

	if (dir == NULL || fs_path(path, sizeof(path), NULL, "%s/%s", dir, ABOUT_DIR) != 0)
		return;
	count = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < count; i++) {
		const char *fn = names[i]->d_name;
		size_t fl = strlen(fn), len, slot = *n;
		uint8_t *data = NULL;
		struct about_tpl nt;
		struct err e;

		if (fn[0] == '.' || fl <= 5 || strcmp(fn + fl - 5, ".html") != 0 ||
		    fl - 5 > ABOUT_LANG_TAG_MAX) {
			*skipped += fn[0] != '.';
			continue;
		}
		memcpy(tag, fn, fl - 5);
		tag[fl - 5] = '\0';
		for (size_t j = 0; j < *n; j++) {
			if (strcasecmp(t[j].tag, tag) == 0)
				slot = j;
		}
		if ((slot == *n && *n == ABOUT_LANGS_MAX) ||
		    fs_path(path, sizeof(path), NULL, "%s/%s/%s", dir, ABOUT_DIR, fn) != 0 ||
		    fs_read_all(path, ABOUT_TPL_MAX, &data, &len, &e) != 0 ||
		    about_tpl_parse(&nt, tag, (const char *)data, len, &e) != 0) {
			(*skipped)++;
			free(data);
			continue;
		}
		free(data);
		if (slot < *n)
			about_tpl_free(&t[slot]);
		else
			(*n)++;
		t[slot] = nt;
	}
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/*
 * The built-in languages into t (English first: page[0] is every unknown
 * visitor's) and English again into en, the fallback of every key.
 */
static int
builtin_templates(struct about_tpl *t, size_t *n, struct about_tpl *en, struct err *e)
{
	const struct about_builtin *b = NULL;

	for (size_t i = 0; i < about_nbuiltin; i++)
		if (strcmp(about_builtin[i].tag, "en") == 0)
			b = &about_builtin[i];
	if (b == NULL)
		return err_set(e, "about page: no built-in English (share/about/en.html)");
	if (about_tpl_parse(en, "en", b->text, b->len, e) != 0 ||
	    about_tpl_parse(&t[(*n)++], "en", b->text, b->len, e) != 0)
		return -1;
	for (size_t i = 0; i < about_nbuiltin && *n < ABOUT_LANGS_MAX; i++) {
		b = &about_builtin[i];
		if (strcmp(b->tag, "en") != 0 &&
		    about_tpl_parse(&t[(*n)++], b->tag, b->text, b->len, e) != 0)
			return -1;
	}
	return 0;
}

static int
render_all(struct about_pages *p, const struct about_tpl *t, size_t n, const struct about_tpl *en,
    const struct conf *c, const struct shared_catalog *cat, int64_t now)
{
	const struct about_tpl *all[ABOUT_LANGS_MAX];
	struct about_vars v;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		all[i] = &t[i];
	if (vars_init(&v, c, cat) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct about_page *pg = &p->page[i];
		struct about_ctx x = {&t[i], en, &v, c, cat, now};
		FILE *f = open_memstream(&pg->html, &pg->len);
		if (f == NULL)
			goto out;
		write_page(f, &x, all, n);
		if (fclose(f) != 0)
			goto out;
		memcpy(pg->tag, t[i].tag, sizeof(pg->tag));
		pg->etag = hash_fnv1a(HASH_FNV_OFFSET, (const uint8_t *)pg->html, pg->len);
		p->tags[i] = pg->tag;
		p->n++;
	}
	rc = 0;
out:
	vars_free(&v);
	return rc;
}

struct about_pages *
about_build(const struct conf *c, const struct shared_catalog *cat, const char *dir, int64_t now,
    struct err *e)
{
	struct about_pages *p = calloc(1, sizeof(*p));
	struct about_tpl t[ABOUT_LANGS_MAX], en; /* en: the fallback of every key, whatever replaces t[0] */
	size_t n = 0;
	int rc = -1;

	memset(t, 0, sizeof(t));
	memset(&en, 0, sizeof(en));
	if (p == NULL) {
		err_set(e, "about page: out of memory");
		goto out;
	}
	if (builtin_templates(t, &n, &en, e) != 0)
		goto out;
	load_templates(dir, t, &n, &p->skipped);
	rc = render_all(p, t, n, &en, c, cat, now);
	if (rc != 0)
		err_set(e, "about page: out of memory");
out:
	for (size_t i = 0; i < n; i++)
		about_tpl_free(&t[i]);
	about_tpl_free(&en);
	if (rc != 0) {
		about_free(p);
		return NULL;
	}
	return p;
}

void
about_free(struct about_pages *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < ABOUT_LANGS_MAX; i++)
		free(p->page[i].html);
	free(p);
}

const struct about_page *
about_choose(const struct about_pages *p, const char *query, size_t query_len, const char *accept,
    size_t accept_len)
{
	size_t i = about_lang_query(query, query_len, p->tags, p->n);

	if (i == p->n)
		i = about_lang_pick(accept, accept_len, p->tags, p->n, 0);
	return &p->page[i];
}
