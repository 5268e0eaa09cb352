/*
 * metrics.c - see metrics.h.  One function per family of metrics; the names
 * and labels are what operators' dashboards and tests/e2e read: change them
 * only with the docs (OPERATOR.md, "Metrics").
 */
#include "server/metrics.h"

#include "ocsp/answer.h"
#include "ocsp/index.h"
#include "server/about.h"

static const char *const route_names[M_NROUTES] = {
    [ROUTE_NOT_FOUND] = "not_found", [ROUTE_OCSP] = "ocsp", [ROUTE_OCSP_ROOT] = "ocsp_root",
    [ROUTE_CRL_SHARD] = "crl_shard", [ROUTE_CRL_FULL] = "crl_full", [ROUTE_CRL_LIST] = "crl_list",
    [ROUTE_ISSUER_DER] = "issuer", [ROUTE_ISSUER_PEM] = "issuer_pem", [ROUTE_ABOUT] = "about",
    [ROUTE_CRL_DELTA] = "crl_delta",
};
/* The reason label of lancre_signer_refusals_total, by enum store_refusal. */
static const char *const refusal_names[STORE_REFUSED_COUNT] = {
    [STORE_REFUSED_REVOKED_BEFORE] = "revoked_before",
    [STORE_REFUSED_NO_CERTIFICATE] = "no_certificate",
    [STORE_REFUSED_BAD_ISSUER] = "bad_issuer",
};
static const char *const status_names[M_NSTATUS] = {"200", "304", "400", "404", "405", "413", "431",
    "500"};

/* Requests by route and status, and OCSP answers by outcome. */
static void
metrics_requests(FILE *f, struct server *sv)
{
	fprintf(f, "# TYPE lancre_requests_total counter\n");
	for (int k = 0; k < M_NROUTES; k++) {
		for (int s = 0; s < M_NSTATUS; s++) {
			unsigned long v = atomic_load(&sv->requests[k][s]);
			if (v > 0)
				fprintf(f, "lancre_requests_total{route=\"%s\",status=\"%s\"} %lu\n",
				    route_names[k], status_names[s], v);
		}
	}
	fprintf(f, "# TYPE lancre_ocsp_answers_total counter\n");
	for (int o = 0; o < 4; o++)
		fprintf(f, "lancre_ocsp_answers_total{outcome=\"%s\"} %lu\n",
		    ocsp_outcome_name((enum ocsp_outcome)o), atomic_load(&sv->ocsp_outcomes[o]));
}

/* The bounded cache ([server] cache): what it holds against its bound, hits, misses, absent serials. */
static void
metrics_cache(FILE *f, struct ocsp_cache *c)
{
	struct ocsp_cache_stats st;

	ocsp_cache_stats(c, &st);
	fprintf(f, "# TYPE lancre_ocsp_cache_bytes gauge\nlancre_ocsp_cache_bytes %zu\n"
		   "# TYPE lancre_ocsp_cache_limit_bytes gauge\nlancre_ocsp_cache_limit_bytes %zu\n"
		   "# TYPE lancre_ocsp_cache_entries gauge\nlancre_ocsp_cache_entries %zu\n"
		   "# TYPE lancre_ocsp_cache_hits_total counter\nlancre_ocsp_cache_hits_total %llu\n"
		   "# TYPE lancre_ocsp_cache_misses_total counter\nlancre_ocsp_cache_misses_total %llu\n"
		   "# TYPE lancre_ocsp_cache_evictions_total counter\n"
		   "lancre_ocsp_cache_evictions_total %llu\n"
		   "# TYPE lancre_ocsp_cache_absent gauge\nlancre_ocsp_cache_absent %zu\n"
		   "# TYPE lancre_ocsp_cache_absent_hits_total counter\n"
		   "lancre_ocsp_cache_absent_hits_total %llu\n",
	    st.bytes, st.max_bytes, st.count, (unsigned long long)st.hits,
	    (unsigned long long)st.misses, (unsigned long long)st.evictions, st.absent,
	    (unsigned long long)st.absent_hits);
}

/* What the snapshot holds and what loading it found. */
static void
metrics_snapshot(FILE *f, struct server *sv, const struct snapshot *snap)
{
	struct lookup_stats ls;
	unsigned long load_failures_total;
	int load_failures;
	size_t held;

	lookup_counts(sv->lookup, &ls);
	held = ocsp_index_count(snap->view.base) +
	       (snap->view.recent ? ocsp_index_count(snap->view.recent) : 0);
	fprintf(f, "# TYPE lancre_ocsp_responses gauge\nlancre_ocsp_responses %zu\n", held);
	fprintf(f, "# TYPE lancre_ocsp_memory_bytes gauge\nlancre_ocsp_memory_bytes %zu\n",
	    ocsp_index_memory(snap->view.base) +
		(snap->view.recent ? ocsp_index_memory(snap->view.recent) : 0));
	fprintf(f, "# TYPE lancre_reloads_total counter\nlancre_reloads_total %lu\n",
	    atomic_load(&sv->reloads));
	fprintf(f, "# TYPE lancre_crl_signature_failures_total counter\n"
		   "lancre_crl_signature_failures_total %llu\n"
		   "# TYPE lancre_ocsp_signatures_checked_total counter\n"
		   "lancre_ocsp_signatures_checked_total %llu\n"
		   "# TYPE lancre_ocsp_signature_failures_total counter\n"
		   "lancre_ocsp_signature_failures_total %llu\n",
	    (unsigned long long)snap->crl_bad_total,
	    (unsigned long long)(snap->ocsp_checked_total + ls.checked),
	    (unsigned long long)(snap->ocsp_bad_total + ls.bad));
	/* 1 while the responses load (snapshot.h): a miss is then looked up in the store. */
	fprintf(f, "# TYPE lancre_ocsp_loading gauge\nlancre_ocsp_loading %d\n"
		   "# TYPE lancre_ocsp_lookups_total counter\nlancre_ocsp_lookups_total %llu\n",
	    snap->partial && sv->cache == NULL, (unsigned long long)ls.done);
	/* Lookups answered tryLater (lookup.h): the store failed, too slow, the queue full. */
	fprintf(f, "# TYPE lancre_ocsp_lookup_failures_total counter\n"
		   "lancre_ocsp_lookup_failures_total{reason=\"store\"} %llu\n"
		   "lancre_ocsp_lookup_failures_total{reason=\"deadline\"} %llu\n"
		   "lancre_ocsp_lookup_failures_total{reason=\"queue_full\"} %llu\n",
	    (unsigned long long)ls.failed, (unsigned long long)ls.late,
	    (unsigned long long)ls.full);
	fprintf(f, "# TYPE lancre_ocsp_lookups_waiting gauge\nlancre_ocsp_lookups_waiting %ld\n",
	    ls.waiting);
	builder_failures(sv->builder, &load_failures, &load_failures_total);
	fprintf(f, "# TYPE lancre_ocsp_load_failures_total counter\n"
		   "lancre_ocsp_load_failures_total %lu\n", load_failures_total);
	if (sv->cache != NULL)
		metrics_cache(f, sv->cache);
	fprintf(f, "# TYPE lancre_signing_key_available gauge\n"); /* the signer's word, via the store */
	for (size_t i = 0; i < snap->catalog->nissuers; i++) {
		if (snap->key_ok[i] >= 0)
			fprintf(f, "lancre_signing_key_available{issuer=\"%s\"} %d\n",
			    snap->catalog->issuers[i].name, snap->key_ok[i]);
	}
	fprintf(f, "# TYPE lancre_signer_refusals_total counter\n"); /* also the signer's word */
	for (int r = 0; r < STORE_REFUSED_COUNT; r++)
		fprintf(f, "lancre_signer_refusals_total{reason=\"%s\"} %lld\n", refusal_names[r],
		    (long long)snap->refusals[r]);
	fprintf(f, "# TYPE lancre_about_templates_skipped gauge\nlancre_about_templates_skipped %zu\n",
	    snap->about->skipped); /* DIR/about/ files that could not be used */
}

/* Public and admin connections, refusals, write timeouts. */
static void
metrics_connections(FILE *f, struct server *sv)
{
	fprintf(f, "# TYPE lancre_connections gauge\nlancre_connections %ld\n",
	    atomic_load(&sv->connections));
	fprintf(f, "# TYPE lancre_connections_refused_total counter\n"
		   "lancre_connections_refused_total %lu\n",
	    atomic_load(&sv->connections_refused));
	fprintf(f, "# TYPE lancre_admin_connections gauge\nlancre_admin_connections %ld\n"
		   "# TYPE lancre_admin_connections_refused_total counter\n"
		   "lancre_admin_connections_refused_total %lu\n"
		   "# TYPE lancre_write_timeouts_total counter\nlancre_write_timeouts_total %lu\n",
	    atomic_load(&sv->admin_connections), atomic_load(&sv->admin_connections_refused),
	    atomic_load(&sv->write_stalls));
}

/* The oldest response's age and the earliest nextUpdate among those served. */
static void
metrics_freshness(FILE *f, const struct snapshot *snap, int64_t now)
{
	int64_t t1, n1, t2 = 0, n2 = 0;

	ocsp_index_oldest(snap->view.base, &t1, &n1);
	if (snap->view.recent != NULL)
		ocsp_index_oldest(snap->view.recent, &t2, &n2);
	if (t1 == 0 || (t2 != 0 && t2 < t1))
		t1 = t2;
	if (n1 == 0 || (n2 != 0 && n2 < n1))
		n1 = n2;
	if (t1 != 0)
		fprintf(f, "# TYPE lancre_ocsp_oldest_response_age_seconds gauge\n"
			   "lancre_ocsp_oldest_response_age_seconds %lld\n"
			   "# TYPE lancre_ocsp_earliest_next_update_seconds gauge\n"
			   "lancre_ocsp_earliest_next_update_seconds %lld\n",
		    (long long)(now - t1), (long long)(n1 - now));
}

/* The time from a request's arrival to its answer, as a histogram. */
static void
metrics_latency(FILE *f, struct server *sv)
{
	static const double bounds[] = SERVER_LATENCY_BUCKETS;
	unsigned long cum = 0;

	fprintf(f, "# TYPE lancre_answer_seconds histogram\n");
	for (size_t b = 0; b <= sizeof(bounds) / sizeof(bounds[0]); b++) {
		cum += atomic_load(&sv->latency[b]);
		if (b < sizeof(bounds) / sizeof(bounds[0]))
			fprintf(f, "lancre_answer_seconds_bucket{le=\"%g\"} %lu\n", bounds[b], cum);
		else
			fprintf(f, "lancre_answer_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	}
	fprintf(f, "lancre_answer_seconds_sum %.9f\nlancre_answer_seconds_count %lu\n",
	    (double)atomic_load(&sv->latency_sum_ns) / 1e9, cum);
}

void
metrics_write(FILE *f, struct server *sv, const struct snapshot *snap, int64_t now)
{
	metrics_requests(f, sv);
	metrics_snapshot(f, sv, snap);
	metrics_connections(f, sv);
	metrics_freshness(f, snap, now);
	metrics_latency(f, sv);
	fprintf(f, "# TYPE lancre_snapshot_age_seconds gauge\nlancre_snapshot_age_seconds %lld\n",
	    (long long)(now - snap->base_built));
	fprintf(f, "# TYPE lancre_uptime_seconds gauge\nlancre_uptime_seconds %lld\n",
	    (long long)(now - sv->started));
}
