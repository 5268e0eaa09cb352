/*
 * cmd_init.c - `lancre init`: a new data directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "conf/addr.h"
#include "store/token.h"
#include "proc/layout.h"
#include "util/num.h"
#include "util/fsutil.h"

static const char usage_text[] =
    "usage: lancre init [-d DIR] [--store URL] [--listen HOST:PORT] [--base-url URL]\n"
    "                   [--domain DOMAIN] [--shards N]\n\n"
    "Create a lancre data directory: a commented lancre.conf, an empty store, and\n"
    "DIR/admin.token, the admin API's first token (every scope; mode 0600, the\n"
    "user who runs init its owner: see `lancre token`).\n\n"
    "  -d, --dir DIR        the directory (default $LANCRE_DIR, else .); created if absent\n"
    "      --store URL      postgresql://... for a shared store; default: the embedded\n"
    "                       SQLite file DIR/lancre.db\n"
    "      --listen H:P     public listener (default 127.0.0.1:8080)\n"
    "      --base-url URL   base of the path-style URLs put in certificates,\n"
    "                       http://HOST[:PORT] (default http://<listen>)\n"
    "      --domain DOMAIN  use host-style URLs (<issuer>.o.DOMAIN ...) in certificates\n"
    "      --shards N       CRL shards for new issuers (default 1)\n";

/*
 * private/ (keys.db, keys, PIN files: the signer's only) and public/ (what the
 * signer publishes); started as root, the whole directory then goes to
 * [signer] user, readable by the server's group (proc/layout.h).
 */
static int
give_to_users(const char *dir, const char *store, const struct proc_users *u, struct err *e)
{
	char path[PATH_MAX + 32];
	static const char *const made[] = {"lancre.db", "lancre.db-wal", "lancre.db-shm",
	    CONF_FILE, "private", "public", NULL};

	if (fs_path(path, sizeof(path), e, "%s/private", dir) != 0 ||
	    fs_mkdir_p(path, 0700, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/public", dir) != 0 ||
	    fs_mkdir_p(path, 0755, e) != 0)
		return -1;
	return proc_layout_apply(dir, made, store, u, e);
}

/*
 * DIR/admin.token: the first token's text and a newline, mode 0600, made
 * by this process (O_EXCL: never over another file, nor through a link).
 */
static int
write_token(const char *dir, const char *token, struct err *e)
{
	char path[PATH_MAX + 32], line[TOKEN_TEXT_LEN + 2];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s\n", token);
	int fd, saved;

	if (fs_path(path, sizeof(path), e, "%s/%s", dir, CLI_FIRST_TOKEN_FILE) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, "cannot create %s: %s (the token '%s' is in the store: "
				  "`lancre token revoke %s`, then `lancre token add`)", path,
		    strerror(errno), CLI_FIRST_TOKEN, CLI_FIRST_TOKEN);
	/* 0600 whatever the umask. */
	if (fchmod(fd, 0600) != 0 || write(fd, line, len) != (ssize_t)len || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(path);
		OPENSSL_cleanse(line, sizeof(line));
		return err_set(e, "cannot write %s: %s", path, strerror(saved));
	}
	OPENSSL_cleanse(line, sizeof(line));
	return close(fd) == 0 ? 0 : err_set(e, "cannot write %s: %s", path, strerror(errno));
}

int
cli_init_data_dir(const char *dir, const struct conf *c, struct err *e)
{
	char path[PATH_MAX + 32], token[TOKEN_TEXT_LEN + 1], actor[CLI_ACTOR_MAX];
	char *text;
	struct proc_users u;
	struct store *s;
	int rc;

	/* A missing user is said before anything is created. */
	if (proc_users_resolve(c, &u, e) != 0 || fs_mkdir_p(dir, 0755, e) != 0 ||
	    fs_path(path, sizeof(path), e, "%s/%s", dir, CONF_FILE) != 0)
		return -1;
	if (fs_exists(path))
		return err_set(e, "%s already exists: %s is a data directory already", path, dir);
	/* The store first: if it cannot be made, no lancre.conf claims the directory. */
	s = store_open(dir, c->store, STORE_CREATE, e);
	if (s == NULL)
		return -1;
	cli_actor(actor, sizeof(actor));
	rc = cli_token_first(s, actor, token, e);
	store_close(s);
	if (rc != 0)
		return -1;
	text = conf_template(c);
	if (text == NULL)
		return err_set(e, "out of memory");
	rc = fs_write_atomic(path, text, strlen(text), 0644, e);
	free(text);
	if (rc == 0)
		rc = give_to_users(dir, c->store, &u, e);
	/* After give_to_users, which leaves it alone: its owner is who ran init. */
	if (rc == 0)
		rc = write_token(dir, token, e);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},   {"store", required_argument, NULL, 's'},
	    {"listen", required_argument, NULL, 'l'}, {"base-url", required_argument, NULL, 'b'},
	    {"domain", required_argument, NULL, 'D'}, {"shards", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *base = NULL;
	struct conf c;
	struct err e;
	int ch;

	conf_defaults(&c);
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			snprintf(c.store, sizeof(c.store), "%s", optarg);
			break;
		case 'l':
			snprintf(c.listen, sizeof(c.listen), "%s", optarg);
			break;
		case 'b':
			base = optarg;
			break;
		case 'D':
			snprintf(c.domain, sizeof(c.domain), "%s", optarg);
			c.url_style = URL_STYLE_HOST;
			break;
		case 'n':
			if (num_parse_int(optarg, 1, CONF_CRL_SHARDS_MAX, &c.crl_shards) != 0)
				return cli_usage_error("init", "--shards takes 1 to %d",
				    CONF_CRL_SHARDS_MAX);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("init", argv, ch);
		}
	}
	if (optind != argc)
		return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
	if (addr_check_listen(c.listen, &e) != 0)
		return cli_usage_error("init", "--listen: %s", e.msg);
	if (base != NULL)
		snprintf(c.base_url, sizeof(c.base_url), "%s", base);
	else
		snprintf(c.base_url, sizeof(c.base_url), "http://%s", c.listen);
	if (addr_check_base_url(c.base_url, &e) != 0)
		return cli_usage_error("init", "--base-url: %s", e.msg);
	if (c.url_style == URL_STYLE_HOST && addr_check_domain(c.domain, &e) != 0)
		return cli_usage_error("init", "--domain: %s", e.msg);
	if (conf_check(&c, &e) != 0)
		return cli_usage_error("init", "%s", e.msg);
	if (cli_init_data_dir(dir, &c, &e) != 0)
		return cli_fail("init", &e);
	printf("Created %s: lancre.conf and the %s store.\n"
	       "The admin API's first token (every scope) is in %s/%s, readable by you only.\n"
	       "Next: lancre issuer add -d %s NAME CERT KEY\n",
	    dir, strncmp(c.store, "postgres", 8) == 0 ? "PostgreSQL" : "SQLite", dir,
	    CLI_FIRST_TOKEN_FILE, dir);
	return EXIT_OK;
}
