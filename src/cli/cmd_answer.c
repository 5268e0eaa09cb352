/*
 * cmd_answer.c - `lancre answer`: what the server would answer to one OCSP
 * request, from the same index and the same code path, without a server.
 * For operators checking a captured request, and for tests with real
 * clients (`openssl ocsp -reqout` in, `openssl ocsp -respin` out).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "ocsp/answer.h"
#include "ocsp/request.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

static const char usage_text[] =
    "usage: lancre answer [-d DIR] (--get PATH | --post FILE|-) [--at TIME] [-o FILE]\n\n"
    "Answer one OCSP request from the pre-signed responses, exactly as the server\n"
    "does, and write the DER response to FILE (default: standard output).  The\n"
    "outcome (response, malformedRequest, unauthorized, tryLater) goes to stderr.\n\n"
    "  --get PATH    the request as in a GET URL: the part after /ocsp/ (or the whole\n"
    "                path on an OCSP host), URL-encoded or not\n"
    "  --post FILE   a DER OCSPRequest, as in a POST body (- for standard input)\n"
    "  --at TIME     answer as if at this RFC 3339 time (default: now)\n"
    "  -o FILE       where to write the response\n";

static int
answer(struct cli_dir *d, const char *get, const char *post, int64_t at, const char *out_path,
    struct err *e)
{
	struct ocsp_index *ix = ocsp_index_new(e);
	struct ocsp_view view = {NULL, ix};
	struct ocsp_answer a;
	uint8_t *body = NULL;
	size_t len;
	int rc = -1;

	if (ix == NULL || ocsp_index_load(ix, d->store, 0, e) != 0)
		goto out;
	if (get != NULL) {
		ocsp_answer_get(&view, get, strlen(get), at, &a);
	} else {
		if (fs_read_all(post, OCSP_REQUEST_MAX, &body, &len, e) != 0)
			goto out;
		ocsp_answer_der(&view, body, len, at, &a);
	}
	if (out_path != NULL) {
		if (fs_write_output(out_path, a.der, a.len, 0644, e) != 0)
			goto out;
	} else if (fwrite(a.der, 1, a.len, stdout) != a.len || fflush(stdout) != 0) {
		err_set(e, "cannot write the response");
		goto out;
	}
	fprintf(stderr, "%s\n", ocsp_outcome_name(a.outcome));
	rc = 0;
out:
	free(body);
	ocsp_index_free(ix);
	return rc;
}

int
cmd_answer(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'}, {"get", required_argument, NULL, 'g'},
	    {"post", required_argument, NULL, 'p'}, {"at", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *get = NULL, *post = NULL, *out = NULL;
	int64_t at = (int64_t)time(NULL);
	struct cli_dir d;
	struct err e;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":d:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'g':
			get = optarg;
			break;
		case 'p':
			post = optarg;
			break;
		case 't':
			if (timefmt_parse(optarg, &at, &e) != 0)
				return cli_usage_error("answer", "--at: %s", e.msg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("answer", argv, ch);
		}
	}
	if ((get == NULL) == (post == NULL) || optind != argc)
		return cli_usage_error("answer", "give one of --get PATH or --post FILE");
	if (cli_dir_open_as(&d, dir, STORE_READ, &e) != 0)
		return cli_fail("answer", &e);
	rc = answer(&d, get, post, at, out, &e);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("answer", &e);
}
