/*
 * lancre-reloadbench - how long the public server's snapshot takes to load
 * from a store opened read-write (as before issue 16) or read-only (the
 * server since: SQLITE_OPEN_READONLY, readonly_shm; sqlite_readonly.c).
 *
 *   lancre-reloadbench DIR read|write ROUNDS
 *
 * Each round builds a full snapshot (every stored response, issuers, CRLs)
 * from nothing, then checks ROUNDS times for a change that is not there (the
 * server's poll, several a second).  Prints the median of each in ms, and
 * the process's resident memory with a snapshot loaded (VmRSS, the largest
 * of the rounds: the store's page cache and mappings are in it).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "server/snapshot.h"
#include "store/store.h"
#include "tool.h"
#include "util/num.h"

static const char usage[] = "usage: lancre-reloadbench DIR read|write ROUNDS\n";

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* VmRSS of this process in KiB, 0 if unknown. */
static long
rss_kib(void)
{
	char line[256];
	long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char conf_path[PATH_MAX];
	double full[64], poll[64];
	struct conf c;
	struct store *s;
	struct err e;
	int rounds, changed;
	long rss = 0, r;

	if (argc != 4 || (strcmp(argv[2], "read") != 0 && strcmp(argv[2], "write") != 0))
		return tool_usage(argv[0], usage, "bad arguments");
	if (num_parse_int(argv[3], 1, 64, &rounds) != 0)
		return tool_usage(argv[0], usage, "ROUNDS takes 1 to 64");
	snprintf(conf_path, sizeof(conf_path), "%s/lancre.conf", argv[1]);
	if (conf_load(conf_path, &c, &e) != 0 ||
	    (s = store_open(argv[1], c.store, argv[2][0] == 'r' ? STORE_READ : STORE_WRITE, &e)) ==
		NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], e.msg);
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ms(), t1;
		int64_t now = (int64_t)time(NULL);
		struct snapshot *snap = snapshot_update(s, NULL, &c, argv[1], now, &changed, &e);

		if (snap == NULL) {
			fprintf(stderr, "%s: %s\n", argv[0], e.msg);
			return 1;
		}
		t1 = now_ms();
		full[i] = t1 - t0;
		if (snapshot_update(s, snap, &c, argv[1], now, &changed, &e) != snap || changed) {
			fprintf(stderr, "%s: a poll with nothing changed rebuilt the snapshot\n", argv[0]);
			return 1;
		}
		poll[i] = now_ms() - t1;
		if ((r = rss_kib()) > rss)
			rss = r;
		snapshot_free(snap);
	}
	qsort(full, (size_t)rounds, sizeof(double), cmp_double);
	qsort(poll, (size_t)rounds, sizeof(double), cmp_double);
	printf("%s: full load %.1f ms, poll %.3f ms (medians of %d), RSS with a snapshot %.1f MiB\n",
	    argv[2], full[rounds / 2], poll[rounds / 2], rounds, (double)rss / 1024);
	store_close(s);
	return 0;
}
