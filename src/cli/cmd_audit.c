/*
 * cmd_audit.c - `lancre audit`: the audit trail (store.h), listed with
 * filters, or its hash chain checked (--verify: exit 0 when it holds,
 * EXIT_AUDIT_BROKEN naming the first bad row otherwise).
 *
 * --verify recomputes every row's hash from the stored hash of the row
 * before it and the row's own fields (store/audit.h) and checks the
 * numbers run 1, 2, ... without a gap, then that the chain ends at the
 * store's head: a row changed, deleted (in the middle or at the end) or
 * added by hand is found, unless whoever did it rewrote every hash after it
 * and the head too, which only an anchor kept outside the store catches
 * (--head: a head printed by an earlier --verify; docs/SECURITY.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "pki/serial.h"
#include "store/audit.h"
#include "util/timefmt.h"

#define EXIT_AUDIT_BROKEN 3

static const char usage_text[] =
    "usage: lancre audit [-d DIR] [--issuer NAME] [--serial HEX] [--since TIME] [--json]\n"
    "       lancre audit [-d DIR] --verify [--head HASH]\n\n"
    "The audit trail: one row per change (certificate added, revoked; issuer added,\n"
    "changed, retired; token added, revoked), who made it and from where, each row\n"
    "hash-chained to the one before.\n\n"
    "  -d, --dir DIR      the data directory (default $LANCRE_DIR, else .)\n"
    "      --issuer NAME  only the rows about this issuer\n"
    "      --serial HEX   only the rows about this serial\n"
    "      --since TIME   only the rows from TIME on (RFC 3339, 2026-12-01T00:00:00Z)\n"
    "      --json         a JSON array of objects (id, at, actor, origin, action,\n"
    "                     issuer, serial, detail, hash)\n"
    "      --verify       check the hash chain: exit 0 if it holds, 3 if it is broken\n"
    "                     (the first bad row named); prints the head to keep elsewhere\n"
    "      --head HASH    with --verify: the chain must also pass through HASH, a head\n"
    "                     printed by an earlier --verify (history not rewritten since)\n";

struct lister {
	struct issuer_record *issuers;
	size_t nissuers;
	int json, rows;
	/* A serial typed two ways (serial_parse_hex): a row matches either. */
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t exact_len, canon_len;
	int by_serial;
};

static void
issuer_name(const struct lister *l, int64_t id, char *out, size_t len)
{
	for (size_t i = 0; i < l->nissuers; i++)
		if (l->issuers[i].id == id) {
			snprintf(out, len, "%s", l->issuers[i].name);
			return;
		}
	if (id == 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "#%lld", (long long)id);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
serial_matches(const struct lister *l, const struct audit_event *ev)
{
	return (ev->serial_len == l->exact_len && memcmp(ev->serial, l->exact, l->exact_len) == 0) ||
	       (ev->serial_len == l->canon_len && memcmp(ev->serial, l->canon, l->canon_len) == 0);
}

/* A JSON value printed as is if it is one (the detail lancre wrote), else as a string. */
static void
print_json_value(const char *text)
{
	json_error_t jerr;
	json_t *v = text != NULL && text[0] != '\0' ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;
	char *out = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (out != NULL) {
		fputs(out, stdout);
	} else if (text == NULL || text[0] == '\0') {
		fputs("null", stdout);
	} else {
		json_t *s = json_string(text);
		char *q = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		fputs(q != NULL ? q : "null", stdout);
		free(q);
		json_decref(s);
	}
	free(out);
	json_decref(v);
}

/* A string field as JSON: jansson escapes it (a row changed by hand may hold anything). */
static void
print_json_str(const char *s)
{
	json_t *v = json_string(s != NULL ? s : "");
	char *q = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	fputs(q != NULL ? q : "\"\"", stdout); /* not UTF-8: json_string refused it */
	free(q);
	json_decref(v);
}

static int
print_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct lister *l = arg;
	char at[TIMEFMT_LEN], iss[STORE_ISSUER_NAME_MAX + 24], serial[2 * STORE_SERIAL_MAX + 1],
	    h[2 * AUDIT_HASH_LEN + 1];

	if (l->by_serial && !serial_matches(l, &r->ev))
		return 0;
	timefmt_format(r->ev.at, at, sizeof(at));
	issuer_name(l, r->ev.issuer_id, iss, sizeof(iss));
	hex(r->ev.serial, r->ev.serial_len <= STORE_SERIAL_MAX ? r->ev.serial_len : 0, serial);
	hex(r->hash, AUDIT_HASH_LEN, h);
	if (l->json) {
		printf("%s\n  {\"id\": %lld, \"at\": \"%s\", \"actor\": ", l->rows == 0 ? "" : ",",
		    (long long)r->id, at);
		print_json_str(r->ev.actor);
		fputs(", \"origin\": ", stdout);
		print_json_str(r->ev.origin);
		fputs(", \"action\": ", stdout);
		print_json_str(r->ev.action);
		fputs(", \"issuer\": ", stdout);
		if (r->ev.issuer_id != 0)
			print_json_str(iss);
		else
			fputs("null", stdout);
		if (serial[0] != '\0')
			printf(", \"serial\": \"%s\"", serial);
		else
			fputs(", \"serial\": null", stdout);
		fputs(", \"detail\": ", stdout);
		print_json_value(r->ev.detail);
		printf(", \"hash\": \"%s\"}", h);
	} else {
		printf("%lld %s %s %s %s %s %s %s\n", (long long)r->id, at, r->ev.actor, r->ev.origin,
		    r->ev.action, iss, serial[0] != '\0' ? serial : "-",
		    r->ev.detail != NULL && r->ev.detail[0] != '\0' ? r->ev.detail : "-");
	}
	l->rows++;
	return ferror(stdout) ? err_set(e, "writing the list: output error") : 0;
}

static int
audit_list(struct cli_dir *d, const char *issuer, const char *serial, int64_t since, int json,
    struct err *e)
{
	struct lister l = {.json = json};
	struct audit_filter f = {.since = since};
	int rc;

	if (store_issuer_list(d->store, &l.issuers, &l.nissuers, e) != 0)
		return -1;
	for (size_t i = 0; issuer != NULL && i < l.nissuers; i++)
		if (strcmp(l.issuers[i].name, issuer) == 0)
			f.issuer_id = l.issuers[i].id;
	if (issuer != NULL && f.issuer_id == 0) {
		issuer_records_free(l.issuers, l.nissuers);
		return err_set(e, "no issuer named '%s' (see `lancre issuer list`)", issuer);
	}
	if (serial != NULL) {
		(void)serial_parse_hex(serial, l.exact, &l.exact_len, l.canon, &l.canon_len,
		    STORE_SERIAL_MAX, e); /* checked before the store was opened */
		/* One form: the store filters; two: each row is checked against both. */
		if (l.exact_len == l.canon_len && memcmp(l.exact, l.canon, l.exact_len) == 0) {
			f.serial = l.exact;
			f.serial_len = l.exact_len;
		} else {
			l.by_serial = 1;
		}
	}
	if (json)
		putchar('[');
	else
		printf("ID AT ACTOR ORIGIN ACTION ISSUER SERIAL DETAIL\n");
	rc = store_audit_each(d->store, &f, print_row, &l, e);
	if (json)
		printf("%s]\n", l.rows ? "\n" : "");
	if (rc == 0 && fflush(stdout) != 0)
		rc = err_set(e, "writing the list: output error");
	issuer_records_free(l.issuers, l.nissuers);
	return rc;
}

struct verifier {
	int64_t last;                /* the last row's number (0: none yet) */
	uint8_t prev[AUDIT_HASH_LEN]; /* its stored hash */
	int64_t rows;
	char broken[ERR_MSG_MAX]; /* the first break, "" while the chain holds */
	const uint8_t *anchor;    /* --head: a hash the chain must pass through */
	int anchor_seen;
};

static int
verify_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct verifier *v = arg;
	uint8_t h[AUDIT_HASH_LEN];

	v->rows++;
	if (v->broken[0] != '\0')
		return 0; /* the first break is the one to report; count the rest */
	if (r->id != v->last + 1) {
		snprintf(v->broken, sizeof(v->broken),
		    r->id > v->last + 1
			? "row %lld is missing (the rows go from %lld to %lld): deleted"
			: "row %lld comes again after %lld, then %lld: rows were added or renumbered",
		    (long long)(v->last + 1), (long long)v->last, (long long)r->id);
		return 0;
	}
	if (audit_hash(v->prev, r->id, &r->ev, h) != 0)
		return err_set(e, "hashing row %lld: out of memory", (long long)r->id);
	if (memcmp(h, r->hash, AUDIT_HASH_LEN) != 0) {
		snprintf(v->broken, sizeof(v->broken),
		    "row %lld does not match its hash: it was changed (or the row before it, "
		    "hash included)", (long long)r->id);
		return 0;
	}
	if (v->anchor != NULL && memcmp(r->hash, v->anchor, AUDIT_HASH_LEN) == 0)
		v->anchor_seen = 1;
	memcpy(v->prev, r->hash, AUDIT_HASH_LEN);
	v->last = r->id;
	return 0;
}

/*
 * The head is read before the walk and again after it, each in its own
 * snapshot (a read-only handle opens no transaction), while others may
 * append: the rows walked must reach the first head and not pass the
 * second, and end on the hash of whichever head they end at.
 */
static int
audit_verify(struct cli_dir *d, const uint8_t *anchor, int *broken, struct err *e)
{
	struct verifier v = {.anchor = anchor};
	uint8_t h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN];
	char h[2 * AUDIT_HASH_LEN + 1];
	int64_t id1, id2;

	*broken = 0;
	if (store_audit_head(d->store, &id1, h1, e) != 0 ||
	    store_audit_each(d->store, NULL, verify_row, &v, e) != 0 ||
	    store_audit_head(d->store, &id2, h2, e) != 0)
		return -1;
	if (v.broken[0] == '\0' && v.last < id1)
		snprintf(v.broken, sizeof(v.broken), "the trail ends at row %lld but its head is row "
		    "%lld: rows were deleted from the end", (long long)v.last, (long long)id1);
	else if (v.broken[0] == '\0' && v.last > id2)
		snprintf(v.broken, sizeof(v.broken), "the trail goes on to row %lld past its head, "
		    "row %lld: rows were added by hand", (long long)v.last, (long long)id2);
	else if (v.broken[0] == '\0' && ((v.last == id1 && memcmp(v.prev, h1, AUDIT_HASH_LEN) != 0) ||
					   (v.last == id2 && memcmp(v.prev, h2, AUDIT_HASH_LEN) != 0)))
		snprintf(v.broken, sizeof(v.broken), "row %lld is the head but its hash is not the "
		    "head's: the head or the row was changed", (long long)v.last);
	if (v.broken[0] == '\0' && anchor != NULL && !v.anchor_seen)
		snprintf(v.broken, sizeof(v.broken),
		    "no row has the hash given with --head: the history before it was rewritten "
		    "(or the hash is of another store)");
	if (v.broken[0] != '\0') {
		*broken = 1;
		fprintf(stderr, "lancre audit: the audit trail is broken: %s\n", v.broken);
		return 0;
	}
	hex(v.prev, AUDIT_HASH_LEN, h);
	printf("The audit trail holds: %lld rows, chained.\nHead: row %lld, sha256 %s\n",
	    (long long)v.rows, (long long)v.last, h);
	return 0;
}

static int
parse_anchor(const char *s, uint8_t out[AUDIT_HASH_LEN])
{
	if (strlen(s) != 2 * AUDIT_HASH_LEN)
		return -1;
	for (int i = 0; i < AUDIT_HASH_LEN; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || strchr("0123456789abcdefABCDEF", s[2 * i]) == NULL ||
		    strchr("0123456789abcdefABCDEF", s[2 * i + 1]) == NULL)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"issuer", required_argument, NULL, 'i'},
	    {"serial", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},         {"verify", no_argument, NULL, 'v'},
	    {"head", required_argument, NULL, 'H'},   {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *issuer = NULL, *serial = NULL, *head = NULL;
	uint8_t anchor[AUDIT_HASH_LEN], ex[STORE_SERIAL_MAX], ca[STORE_SERIAL_MAX];
	size_t exl, cal;
	int64_t since = 0;
	struct cli_dir d;
	struct err e;
	int ch, json = 0, verify = 0, broken = 0, rc;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 's':
			serial = optarg;
			if (serial_parse_hex(serial, ex, &exl, ca, &cal, STORE_SERIAL_MAX, &e) != 0)
				return cli_usage_error("audit", "--serial: %s", e.msg);
			break;
		case 'S':
			if (timefmt_parse(optarg, &since, &e) != 0)
				return cli_usage_error("audit", "--since: %s", e.msg);
			if (since == 0)
				since = 1; /* 0 means no bound */
			break;
		case 'j':
			json = 1;
			break;
		case 'v':
			verify = 1;
			break;
		case 'H':
			head = optarg;
			if (parse_anchor(head, anchor) != 0)
				return cli_usage_error("audit", "--head takes a sha256 of 64 hex digits "
							      "(as --verify prints it)");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("audit", argv, ch);
		}
	}
	if (optind != argc)
		return cli_usage_error("audit", "unexpected argument '%s'", argv[optind]);
	if (verify && (issuer != NULL || serial != NULL || since != 0 || json))
		return cli_usage_error("audit", "--verify checks the whole trail: no --issuer, "
						"--serial, --since or --json with it");
	if (head != NULL && !verify)
		return cli_usage_error("audit", "--head goes with --verify");
	if (cli_dir_open_as(&d, dir, STORE_READ, &e) != 0)
		return cli_fail("audit", &e);
	if (verify)
		rc = audit_verify(&d, head != NULL ? anchor : NULL, &broken, &e);
	else
		rc = audit_list(&d, issuer, serial, since, json, &e);
	cli_dir_close(&d);
	if (rc != 0)
		return cli_fail("audit", &e);
	return broken ? EXIT_AUDIT_BROKEN : EXIT_OK;
}
