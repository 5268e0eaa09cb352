/*
 * cmd_token.c - `lancre token add|list|revoke`: the admin API's bearer
 * tokens (store.h's tokens; store/token.h their text).  `add` prints the
 * token once, on stdout alone (so that `> FILE` keeps it), and the store
 * keeps only its SHA-256; each change is a row of the audit trail, in the
 * same transaction.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "store/audit.h"
#include "store/token.h"
#include "util/timefmt.h"

static const char usage_text[] =
    "usage: lancre token add NAME --scope SCOPES [-d DIR]\n"
    "       lancre token list [-d DIR] [--json]\n"
    "       lancre token revoke NAME [-d DIR]\n\n"
    "Bearer tokens of the admin API (`Authorization: Bearer lct_...`).\n\n"
    "  add NAME        make a token: printed once on stdout, only its SHA-256 is stored\n"
    "  list            every token: name, scopes, when added and revoked (never the token)\n"
    "  revoke NAME     the token stops working at once; its row is kept\n\n"
    "  -d, --dir DIR   the data directory (default $LANCRE_DIR, else .)\n"
    "  -s, --scope S   what the token may do, comma-separated: intake (add certificates),\n"
    "                  revoke (revoke them), read (look them up)\n"
    "      --json      list as a JSON array of objects (name, scopes, created, revoked)\n\n"
    "NAME: 1 to 63 letters, digits, '.', '_' or '-'.  One active token per name.\n";

/* A token made and recorded with its audit row, in one transaction; the text into out. */
static int
token_add(struct cli_dir *d, const char *name, unsigned scopes, char out[TOKEN_TEXT_LEN + 1],
    struct err *e)
{
	struct token_record t = {.scopes = scopes, .created = (int64_t)time(NULL)};
	char scope_text[TOKEN_SCOPES_TEXT_MAX], qname[2 * STORE_TOKEN_NAME_MAX + 8], detail[256];

	snprintf(t.name, sizeof(t.name), "%s", name);
	if (token_generate(out, e) != 0 || token_hash(out, TOKEN_TEXT_LEN, t.hash) != 0)
		return err_set(e, "making a token: %s", e->msg);
	token_scopes_format(scopes, scope_text);
	audit_json_str(name, qname, sizeof(qname));
	snprintf(detail, sizeof(detail), "{\"name\":%s,\"scopes\":\"%s\"}", qname, scope_text);
	if (store_begin(d->store, e) != 0)
		return -1;
	if (store_token_put(d->store, &t, e) != 0 ||
	    cli_audit(d, "token.add", 0, NULL, 0, detail, e) != 0 || store_commit(d->store, e) != 0) {
		store_rollback(d->store, NULL);
		return -1;
	}
	return 0;
}

int
cli_token_first(struct store *s, const char *actor, char *out, struct err *e)
{
	struct cli_dir d = {.store = s};

	snprintf(d.actor, sizeof(d.actor), "%s", actor);
	return token_add(&d, CLI_FIRST_TOKEN, TOKEN_SCOPE_ALL, out, e);
}

static int
token_revoke(struct cli_dir *d, const char *name, struct err *e)
{
	char qname[2 * STORE_TOKEN_NAME_MAX + 8], detail[192];
	int rc;

	audit_json_str(name, qname, sizeof(qname));
	snprintf(detail, sizeof(detail), "{\"name\":%s}", qname);
	if (store_begin(d->store, e) != 0)
		return -1;
	rc = store_token_revoke(d->store, name, (int64_t)time(NULL), e);
	if (rc == 0)
		err_set(e, "no active token named '%s' (see `lancre token list`)", name);
	if (rc != 1 || cli_audit(d, "token.revoke", 0, NULL, 0, detail, e) != 0 ||
	    store_commit(d->store, e) != 0) {
		store_rollback(d->store, NULL);
		return -1;
	}
	return 0;
}

struct lister {
	int json, rows;
};

static int
print_token(void *arg, const struct token_record *t, struct err *e)
{
	struct lister *l = arg;
	char scopes[TOKEN_SCOPES_TEXT_MAX], created[TIMEFMT_LEN], revoked[TIMEFMT_LEN];

	token_scopes_format(t->scopes, scopes);
	timefmt_format(t->created, created, sizeof(created));
	if (t->revoked != 0)
		timefmt_format(t->revoked, revoked, sizeof(revoked));
	if (l->json) {
		printf("%s\n  {\"name\": \"%s\", \"scopes\": [", l->rows == 0 ? "" : ",", t->name);
		for (const char *p = scopes; *p != '\0';) {
			size_t n = strcspn(p, ",");
			printf("%s\"%.*s\"", p == scopes ? "" : ", ", (int)n, p);
			p += n + (p[n] == ',');
		}
		printf("], \"created\": \"%s\", \"revoked\": ", created);
		printf(t->revoked != 0 ? "\"%s\"}" : "null}", revoked);
	} else {
		printf("%-20s %-20s %s %s\n", t->name, scopes[0] != '\0' ? scopes : "-", created,
		    t->revoked != 0 ? revoked : "active");
	}
	l->rows++;
	return ferror(stdout) ? err_set(e, "writing the list: output error") : 0;
}

static int
token_list(struct cli_dir *d, int json, struct err *e)
{
	struct lister l = {.json = json};
	int rc;

	if (json)
		putchar('[');
	else
		printf("%-20s %-20s %-20s %s\n", "NAME", "SCOPES", "CREATED", "REVOKED");
	rc = store_token_each(d->store, print_token, &l, e);
	if (json)
		printf("%s]\n", l.rows ? "\n" : "");
	if (rc == 0 && fflush(stdout) != 0)
		rc = err_set(e, "writing the list: output error");
	return rc;
}

int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'}, {"scope", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *sub, *scope = NULL, *name = NULL;
	char text[TOKEN_TEXT_LEN + 1], scope_text[TOKEN_SCOPES_TEXT_MAX];
	unsigned scopes = 0;
	struct cli_dir d;
	struct err e;
	int ch, json = 0, rc;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0)
		return cli_usage_error("token", "unknown subcommand '%s' (add, list, revoke)", sub);
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":d:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			scope = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("token", argv, ch);
		}
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			return cli_usage_error("token", "unexpected argument '%s'", argv[optind]);
		if (scope != NULL)
			return cli_usage_error("token", "--scope is for `token add`");
	} else {
		if (optind >= argc)
			return cli_usage_error("token", "%s needs a NAME", sub);
		if (optind + 1 != argc)
			return cli_usage_error("token", "unexpected argument '%s'", argv[optind + 1]);
		name = argv[optind];
		if (json)
			return cli_usage_error("token", "--json is for `token list`");
		if (token_name_check(name, &e) != 0)
			return cli_usage_error("token", "%s", e.msg);
		if (strcmp(sub, "add") == 0 && scope == NULL)
			return cli_usage_error("token", "add needs --scope (intake, revoke, read)");
		if (strcmp(sub, "revoke") == 0 && scope != NULL)
			return cli_usage_error("token", "--scope is for `token add`");
		if (scope != NULL && token_scopes_parse(scope, &scopes, &e) != 0)
			return cli_usage_error("token", "--scope: %s", e.msg);
	}
	if (cli_dir_open_as(&d, dir, strcmp(sub, "list") == 0 ? STORE_READ : STORE_WRITE, &e) != 0)
		return cli_fail("token", &e);
	if (strcmp(sub, "list") == 0) {
		rc = token_list(&d, json, &e);
	} else if (strcmp(sub, "revoke") == 0) {
		rc = token_revoke(&d, name, &e);
		if (rc == 0)
			fprintf(stderr, "Revoked token '%s'.\n", name);
	} else {
		rc = token_add(&d, name, scopes, text, &e);
		if (rc == 0) {
			token_scopes_format(scopes, scope_text);
			printf("%s\n", text);
			fflush(stdout);
			fprintf(stderr, "Added token '%s' (%s). It is shown only this once: keep it "
					"where only its user can read it.\n", name, scope_text);
			OPENSSL_cleanse(text, sizeof(text));
		}
	}
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("token", &e);
}
