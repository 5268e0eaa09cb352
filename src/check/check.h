/*
 * check.h - deciding a certificate's revocation status as a careful client
 * does (`lancre check`), without a data directory.
 *
 * The order (check.c): a short-lived certificate or one with noRevAvail
 * (RFC 9608) needs no revocation information, by design.  Otherwise the
 * issuer comes from the chain given, or is fetched from the AIA caIssuers URL,
 * and must have signed the certificate.  OCSP is asked first when the
 * certificate names a responder (check_ocsp.c); when it names none, or OCSP
 * gives no usable answer, the CRL from the CRL Distribution Point decides
 * (check_crl.c).  Each fetch and each conclusion is recorded as a step, so a
 * command can show how the decision was reached; the library prints nothing.
 * With a cache (check_opts.cache, cache.h) each fetch is first looked up there;
 * what it holds is re-verified like a fresh answer before it counts.  For a
 * TLS server (tls.h) the response it stapled is judged first, by the same
 * rules as a fetched one; a valid staple decides.
 */
#ifndef LANCRE_CHECK_CHECK_H
#define LANCRE_CHECK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "check/cache.h"
#include "pki/urls.h"
#include "util/err.h"

#define CHECK_SKEW_SECONDS 300                 /* clock difference allowed on thisUpdate/nextUpdate */
#define CHECK_SHORT_LIVED_SECONDS (7 * 86400)  /* validity up to this needs no revocation data */
#define CHECK_STEPS_MAX 16
#define CHECK_NOTE_MAX 320

enum check_status {
	CHECK_GOOD,
	CHECK_REVOKED,
	CHECK_UNDECIDED,  /* could not decide: why says why */
	CHECK_BY_DESIGN,  /* short-lived or noRevAvail: no revocation information by design */
};

/* One fetch or one conclusion on the way to the decision. */
struct check_step {
	const char *kind;  /* "issuer", "ocsp", "crl", "delta", "decision" (static strings) */
	char url[URL_MAX]; /* what was fetched, or "" */
	long http_status;  /* 0 when nothing was fetched or no answer came */
	size_t bytes;
	int ok;            /* this step gave a usable answer */
	int from_cache;    /* the answer came from the cache (cache.h), re-verified */
	char note[CHECK_NOTE_MAX];
};

/* What a TLS server stapled (lancre check HOST[:PORT]). */
enum check_staple {
	CHECK_STAPLE_NA,        /* not a TLS check */
	CHECK_STAPLE_NONE,      /* the server does not staple */
	CHECK_STAPLE_VALID,     /* verified: signature, CertID, fresh; it decided */
	CHECK_STAPLE_INVALID,   /* stapled, but refused: staple_why */
	CHECK_STAPLE_UNCHECKED, /* stapled, not judged (no issuer, or none needed) */
};

struct check_result {
	enum check_status status;
	const char *source;   /* "ocsp", "crl" or "" (static) */
	int64_t revoked_at;   /* CHECK_REVOKED */
	int reason;           /* CHECK_REVOKED: CRL reason code, -1 when none given */
	int64_t this_update, next_update; /* of the answer that decided; next_update 0 if none */
	char why[CHECK_NOTE_MAX];         /* one line: the reason for the status */
	size_t nsteps;
	struct check_step steps[CHECK_STEPS_MAX];
	/* The DER of the OCSP response that decided (verified and fresh), for
	 * --staple; NULL when OCSP did not decide.  Owned: check_result_free(). */
	uint8_t *ocsp_response;
	size_t ocsp_response_len;
	enum check_staple staple;
	char staple_why[CHECK_NOTE_MAX];
};

struct check_opts {
	int64_t now;       /* 0: the clock */
	int skew;          /* seconds; 0: CHECK_SKEW_SECONDS */
	const struct check_cache *cache; /* NULL: fetch everything, keep nothing */
	/* A TLS check: the server's stapled response (NULL: it sent none).  A
	 * valid staple decides, as it does for a browser; otherwise the check
	 * goes on as for a file. */
	int tls;
	const uint8_t *staple;
	size_t staple_len;
};

/*
 * Decide about leaf, with chain (may be NULL) holding the certificates that
 * came with it.  0 with *r filled (whatever the status), or -1 and e on an
 * error that is not about the certificate's status (out of memory).
 * Either way, check_result_free(r) afterwards.
 */
int check_cert(X509 *leaf, STACK_OF(X509) *chain, const struct check_opts *o,
    struct check_result *r, struct err *e);

/* Frees what *r owns (the OCSP response); r itself is the caller's. */
void check_result_free(struct check_result *r);

const char *check_status_name(enum check_status s);

/* For check_*.c: add a step (the last one is overwritten when full) and return it. */
struct check_step *check_step_add(struct check_result *r, const char *kind, const char *url);

/* An ASN1_TIME as seconds since the epoch; -1 if it cannot be read. */
int64_t check_asn1_time(const ASN1_TIME *t);

/*
 * The two ways to an answer, each 0 when it decided (r->status and times
 * set) and -1 when it could not, with the reason in r->why.
 */
int check_ocsp(X509 *leaf, X509 *issuer, const char *url, int64_t now, int skew,
    const struct check_cache *cache, struct check_result *r);
/* A stapled response judged as a fetched one is: 0 when it decided (r->staple VALID). */
int check_ocsp_staple(X509 *leaf, X509 *issuer, const uint8_t *der, size_t len, int64_t now,
    int skew, struct check_result *r);
const char *check_staple_name(enum check_staple s);
int check_crl(X509 *leaf, X509 *issuer, const char *url, int64_t now, int skew,
    const struct check_cache *cache, struct check_result *r);

#endif
