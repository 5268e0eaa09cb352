#!/bin/bash
# explain.sh - `lancre explain` on what investigators have at hand: OCSP GET URLs in every
# shape a log keeps them (raw, URL-encoded, base64url, host or path style, with or without
# scheme, inside common/combined/squid log lines and a HAR file), requests made by openssl,
# responses and CRLs made by lancre's demo, certificates and chains; DER, PEM, base64,
# stdin; --json; bad input (one line, exit 1) and usage errors (exit 2).
. "$(dirname "$0")/lib.sh"

D=$T/demo
"$LANCRE" demo -d "$D" --leaves 40 --listen 127.0.0.1:18080 --no-serve >/dev/null 2>&1 ||
	{ not_ok "the demo builds"; exit 1; }
C=$D/certs
# A good leaf of e1 (the demo revokes a tenth of them).
for leaf in "$C"/leaf-*.pem; do
	openssl x509 -in "$leaf" -noout -issuer | grep -q E1 || continue
	"$LANCRE" status -d "$D" "$leaf" 2>/dev/null | grep -q '^status: good' && break
done
serial=$(openssl x509 -in "$leaf" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
openssl ocsp -issuer "$C/e1.pem" -cert "$leaf" -reqout "$T/req.der" -no_nonce >/dev/null 2>&1
B=$(base64 -w0 "$T/req.der")
ENC=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$B")
URLSAFE=$(printf '%s' "$B" | tr '+/' '-_' | tr -d '=')

# asks DESC INPUT...: explained as an OCSP request about the leaf's serial, in plain words first.
asks() {
	local desc=$1
	shift
	run "$LANCRE" explain "$@"
	if [ "$rc" -eq 0 ] && sed -n 3p "$OUT" | grep -q "^A client asking .* whether certificate $serial is still valid" &&
		grep -q 'not malicious by itself' "$OUT"; then ok "$desc"; else not_ok "$desc"; fi
}
asks "a DER request from openssl" "$T/req.der"
asks "the raw base64 alone" "$B"
asks "a host-style URL with scheme" "http://e1.o.example.com/$B"
asks "a host-style URL without scheme" "e1.o.example.com/$B"
asks "a path-style URL, URL-encoded" "/ocsp/$ENC"
asks "a path-style URL with a host, URL-encoded" "http://127.0.0.1:18080/ocsp/$ENC"
asks "base64url without padding" "http://o.example/$URLSAFE"
asks "a doubled slash" "http://o.example//$B"
printf '10.0.0.7 - - [06/Dec/2026:08:00:00 +0000] "GET /ocsp/%s HTTP/1.1" 200 503\n' "$ENC" >"$T/common.log"
asks "a common log format line" "$T/common.log"
printf '10.0.0.7 - - [06/Dec/2026:08:00:00 +0000] "GET /%s HTTP/1.1" 200 503 "-" "Microsoft-CryptoAPI/10.0"\n' "$B" >"$T/combined.log"
asks "a combined log format line, raw base64" "$T/combined.log"
printf '1765008000.123     12 10.0.0.7 TCP_MISS/200 503 GET http://e1.o.example.com/%s - HIER_DIRECT/192.0.2.1 application/ocsp-response\n' "$ENC" >"$T/squid.log"
asks "a squid access.log line" "$T/squid.log"
printf '{"log":{"entries":[{"request":{"method":"GET","url":"http://o.example/ocsp/%s","headers":[]}}]}}\n' "$ENC" >"$T/x.har"
asks "a HAR file" "$T/x.har"
printf '%s\n' "$B" | fold -w 40 >"$T/req.b64"
asks "bare base64 over several lines" "$T/req.b64"
{ echo "-----BEGIN OCSP REQUEST-----"; base64 "$T/req.der"; echo "-----END OCSP REQUEST-----"; } >"$T/req.pem"
asks "PEM" "$T/req.pem"
run sh -c "'$LANCRE' explain - <'$T/req.der'"
has "$OUT" "^A client asking" "stdin"

# --issuer names the issuer of a request.
run "$LANCRE" explain --issuer "$C/e1.pem" "$B"
has "$OUT" "^A client asking lancre demo E1 whether certificate $serial" "--issuer names the issuer"
has "$OUT" '^  hash algorithm: SHA1' "and the CertID's hash algorithm is shown"

# An OCSP response from lancre (good here; a revoked one below, with -d).
"$LANCRE" answer -d "$D" --get "$B" -o "$T/resp.der" 2>/dev/null
run "$LANCRE" explain --issuer "$C/e1.pem" "$T/resp.der"
has "$OUT" "^An OCSP response from lancre demo E1: certificate $serial is good" "a lancre response: status in words"
has "$OUT" 'Signature: verifies \(signed by the issuer itself\)' "its signature verifies"
has "$OUT" '^Lint: no finding' "a lancre response trips no lint rule"
run "$LANCRE" explain "$T/resp.der"
has "$OUT" 'not checked: the issuer is unknown' "without the issuer, says it could not check"
# A CRL by lancre, DER and PEM; its entries by reason; signature.
run "$LANCRE" explain --issuer "$C/e1.pem" "$D/public/crl/e1/1.crl"
has "$OUT" '^A certificate revocation list \(CRL\) published by lancre demo E1' "a lancre CRL in words"
has "$OUT" '^scope \(IssuingDistributionPoint\): http://127.0.0.1:18080/crl/e1/1.crl' "its scope"
has "$OUT" '^signature: verifies with the issuer' "its signature verifies"
has "$OUT" '^Lint: no finding' "a lancre CRL trips no lint rule"
openssl crl -inform DER -in "$D/public/crl/e1.crl" -out "$T/e1.crl.pem"
run "$LANCRE" explain --json "$T/e1.crl.pem"
if "$PY" -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
o = d["objects"][0]
assert d["form"] == "PEM" and o["kind"] == "crl" and o["summary"].startswith("A certificate revocation list")
assert o["details"]["entries"] >= 1 and o["findings"] == []
' "$OUT"; then ok "--json: form, kind, summary, details, findings"; else not_ok "--json: form, kind, summary, details, findings"; fi

# A CRL made by GnuTLS certtool: explained, its signature verified, no finding.
G=$T/gnutls
mkdir -p "$G"
certtool --generate-privkey --key-type ecdsa --outfile "$G/ca.key" 2>/dev/null
printf 'cn = "gnutls CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 365\n' >"$G/ca.tmpl"
certtool --generate-self-signed --load-privkey "$G/ca.key" --template "$G/ca.tmpl" --outfile "$G/ca.pem" 2>/dev/null
certtool --generate-privkey --key-type ecdsa --outfile "$G/leaf.key" 2>/dev/null
printf 'cn = "leaf"\nserial = 0x4242\nexpiration_days = 30\n' >"$G/leaf.tmpl"
certtool --generate-certificate --load-privkey "$G/leaf.key" --load-ca-privkey "$G/ca.key" \
	--load-ca-certificate "$G/ca.pem" --template "$G/leaf.tmpl" --outfile "$G/leaf.pem" 2>/dev/null
printf 'crl_next_update = 7\ncrl_number = 3\n' >"$G/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$G/ca.key" --load-ca-certificate "$G/ca.pem" \
	--load-certificate "$G/leaf.pem" --template "$G/crl.tmpl" --outfile "$G/crl.pem" 2>/dev/null
run "$LANCRE" explain --issuer "$G/ca.pem" "$G/crl.pem"
has "$OUT" '^A certificate revocation list \(CRL\) published by gnutls CA: it lists 1 certificate' "a certtool CRL in words"
has "$OUT" '^signature: verifies with the issuer' "its signature verifies"
has "$OUT" '^Lint: no finding' "a certtool CRL trips no lint rule"

# Certificates: a chain, the URLs a client fetches; a short-lived one.
run "$LANCRE" explain "$C/localhost-chain.pem"
has "$OUT" '^== .*: certificate, certificate' "a chain: each certificate"
run "$LANCRE" explain "$leaf"
has "$OUT" '^OCSP: http://127.0.0.1:18080/ocsp' "a leaf: its OCSP URL"
has "$OUT" '^CRL: http://127.0.0.1:18080/crl/e1/' "a leaf: its CRL URL"
has "$OUT" '^Lint: no finding' "a lancre leaf trips no certificate rule"
run "$LANCRE" explain --json "$C/localhost-chain.pem"
has "$OUT" '"findings":\[\]}\]' "nor does lancre's chain (leaf and intermediate)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/s.key" \
	-subj /CN=short.example -days 5 -out "$T/short.pem" 2>/dev/null
run "$LANCRE" explain "$T/short.pem"
has "$OUT" 'It is short-lived' "a 5-day certificate is short-lived"

# -d DIR: the issuer by its lancre name, and what lancre answers today (the server's answer path).
run "$LANCRE" explain -d "$D" "$B"
has "$OUT" "^A client asking lancre issuer e1 \(lancre demo E1\) whether certificate $serial" "-d names the issuer"
has "$OUT" '^lancre answers today: good \(a pre-signed response\)' "-d says lancre answers good"
for cand in "$C"/leaf-*.pem; do
	openssl x509 -in "$cand" -noout -issuer | grep -q E1 || continue
	"$LANCRE" status -d "$D" "$cand" 2>/dev/null | grep -q '^status: revoked' && { revoked=$cand; break; }
done
openssl ocsp -issuer "$C/e1.pem" -cert "$revoked" -reqout "$T/rev.der" -no_nonce >/dev/null 2>&1
run "$LANCRE" explain -d "$D" --json "$T/rev.der"
has "$OUT" '"lancre_answers":"revoked, [A-Za-z]+ \(a pre-signed response\)"' "-d says lancre answers revoked, with the reason"
"$LANCRE" answer -d "$D" --post "$T/rev.der" -o "$T/rev-resp.der" 2>/dev/null
run "$LANCRE" explain -d "$D" "$T/rev-resp.der"
has "$OUT" '^An OCSP response from lancre issuer e1 .*: certificate [0-9a-f]+ was REVOKED at [0-9T:Z-]+, reason [A-Za-z]+' "a revoked response: time and reason in words"
has "$OUT" '^reason: (keyCompromise|superseded|affiliationChanged|cessationOfOperation|privilegeWithdrawn|unspecified)$' "and the reason in the details"
openssl ocsp -issuer "$C/e1.pem" -serial 0x0badc0de -reqout "$T/unknown.der" -no_nonce >/dev/null 2>&1
run "$LANCRE" explain -d "$D" "$T/unknown.der"
has "$OUT" '^lancre answers today: unauthorized' "-d: a serial lancre never saw is unauthorized"
run "$LANCRE" explain -d "$D" "$D/public/crl/e1.crl"
has "$OUT" '^signature: verifies with the issuer' "-d: a CRL's signature is checked with the directory's issuer"
expect 1 "-d on a directory that is not lancre's" "$LANCRE" explain -d "$T/garbage" "$B"
one_line_error "with one line"

# Bad input: one line, exit 1, and the other inputs are still explained.
head -c 300 /dev/urandom >"$T/garbage"
expect 1 "random bytes are refused" "$LANCRE" explain "$T/garbage"
one_line_error "with one line"
: >"$T/empty"
expect 1 "an empty file is refused" "$LANCRE" explain "$T/empty"
one_line_error "with one line"
expect 1 "text without a URL is refused" "$LANCRE" explain "GET /index.html HTTP/1.1"
one_line_error "with one line"
expect 1 "a bad input among good ones fails" "$LANCRE" explain "$T/req.der" "$T/garbage"
has "$OUT" "^A client asking" "the good one is still explained"
expect 1 "--issuer without a certificate" "$LANCRE" explain --issuer "$T/empty" "$T/req.der"
one_line_error "with one line"
expect 2 "no INPUT is a usage error" "$LANCRE" explain
expect 2 "an unknown option is a usage error" "$LANCRE" explain --bogus x
expect 0 "--help" "$LANCRE" explain --help
has "$OUT" '^usage: lancre explain' "--help prints the usage"
echo "1..$n"
