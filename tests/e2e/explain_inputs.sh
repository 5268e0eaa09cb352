#!/bin/bash
# explain_inputs.sh - `lancre explain` on inputs that explain.sh does not cover:
# an OCSP GET URL whose '+' a log decoded into spaces, HAR files whose entries POST
# the request (base64, or binary carried as text), and a CRL and OCSP responses
# made by OpenSSL's own CA tools (`openssl ca -gencrl` with revoked entries,
# `openssl ocsp` answering as a responder from `openssl ca`'s index).
. "$(dirname "$0")/lib.sh"

# A small CA run by `openssl ca`: a leaf to revoke, one to leave good.
A=$T/ca
mkdir -p "$A/new"
: >"$A/index.txt"
echo 1000 >"$A/serial"
echo 01 >"$A/crlnumber"
cat >"$A/ca.cnf" <<EOF
[ ca ]
default_ca = lint_ca
[ lint_ca ]
dir = $A
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 90
default_crl_days = 7
policy = any
x509_extensions = leaf_ext
crl_extensions = crl_ext
[ any ]
commonName = supplied
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
authorityInfoAccess = OCSP;URI:http://o.example/,caIssuers;URI:http://i.example/ca.der
crlDistributionPoints = URI:http://c.example/ca.crl
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$A/ca.key" \
	-subj "/O=lancre test/CN=openssl ca" -days 365 -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
	-out "$A/ca.pem" 2>/dev/null
for who in revoked good; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$A/$who.key" \
		-subj "/CN=$who.example" -out "$A/$who.csr" 2>/dev/null
	openssl ca -batch -config "$A/ca.cnf" -in "$A/$who.csr" -out "$A/$who.pem" 2>/dev/null ||
		not_ok "openssl ca issues $who"
done
openssl ca -config "$A/ca.cnf" -revoke "$A/revoked.pem" -crl_reason keyCompromise 2>/dev/null ||
	not_ok "openssl ca revokes"
openssl ca -config "$A/ca.cnf" -gencrl -out "$A/ca.crl" 2>/dev/null || not_ok "openssl ca -gencrl"

run "$LANCRE" explain --issuer "$A/ca.pem" "$A/ca.crl"
has "$OUT" '^A certificate revocation list \(CRL\) published by openssl ca: it lists 1 certificate ' "an openssl ca CRL in words, its one revoked entry"
has "$OUT" '^  keyCompromise: 1$' "the entry's reason"
has "$OUT" '^CRL number: 01$' "its number, from openssl ca's crlnumber file"
has "$OUT" '^signature: verifies with the issuer' "its signature verifies"
has "$OUT" '^Lint: no finding' "and it trips no lint rule"
# openssl ca's defaults (no crl_extensions, no crlnumber file): no CRL number and no AKI, as the rules say.
sed -i 's/^crl_extensions = crl_ext$//' "$A/ca.cnf"
rm -f "$A/crlnumber"
sed -i 's/^crlnumber = .*$//' "$A/ca.cnf"
openssl ca -config "$A/ca.cnf" -gencrl -out "$A/bare.crl" 2>/dev/null || not_ok "openssl ca -gencrl (defaults)"
run "$LANCRE" explain --json --issuer "$A/ca.pem" "$A/bare.crl"
same "openssl ca's default CRL: what the rules find" "e_crl_number_missing e_crl_aki_missing" \
	"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(f["id"] for f in d["objects"][0]["findings"]))' "$OUT")"
run "$LANCRE" explain --issuer "$A/ca.pem" "$A/revoked.pem"
has "$OUT" '^Lint: no finding' "an openssl ca leaf with OCSP and CRL URLs trips no certificate rule"

# openssl ocsp as the responder, from openssl ca's index: revoked and good.
for who in revoked good; do
	openssl ocsp -issuer "$A/ca.pem" -cert "$A/$who.pem" -reqout "$T/$who.req" -no_nonce 2>/dev/null
	openssl ocsp -index "$A/index.txt" -CA "$A/ca.pem" -rsigner "$A/ca.pem" -rkey "$A/ca.key" \
		-reqin "$T/$who.req" -respout "$T/$who.resp" -ndays 1 -resp_key_id >/dev/null 2>&1 ||
		not_ok "openssl ocsp answers for $who"
done
run "$LANCRE" explain --issuer "$A/ca.pem" "$T/revoked.resp"
has "$OUT" '^An OCSP response from openssl ca: certificate [0-9a-f]+ was REVOKED at [0-9T:Z-]+, reason keyCompromise' "an openssl ocsp response: revoked, with the reason"
has "$OUT" 'Signature: verifies \(signed by the issuer itself\)' "its signature verifies"
has "$OUT" '^Lint: no finding' "it trips no lint rule"
run "$LANCRE" explain --issuer "$A/ca.pem" "$T/good.resp"
has "$OUT" '^An OCSP response from openssl ca: certificate [0-9a-f]+ is good' "an openssl ocsp response: good"

# A GET URL whose base64 has '+': some log formats decode '+' to a space.
for i in $(seq 1 200); do
	openssl ocsp -issuer "$A/ca.pem" -serial "0x$(openssl rand -hex 12)" -reqout "$T/plus.req" -no_nonce 2>/dev/null
	B=$(base64 -w0 "$T/plus.req")
	case $B in *+*) break ;; esac
done
case $B in *+*) ok "a request whose base64 has '+' (try $i)" ;; *) not_ok "a request whose base64 has '+'" ;; esac
SPACED=$(printf '%s' "$B" | tr '+' ' ')
printf '10.0.0.7 - - [06/Dec/2026:08:00:00 +0000] "GET /ocsp/%s HTTP/1.1" 200 503 "-" "Microsoft-CryptoAPI/10.0"\n' "$SPACED" >"$T/spaced.log"
run "$LANCRE" explain "$T/spaced.log"
has "$OUT" '^== .*: OCSP request \(URL, its spaces read as .\+.: the log decoded them\)' "a log line whose '+' became spaces: found, and said so"
has "$OUT" '^A client asking openssl ca whether certificate [0-9a-f]+ is still valid|^A client asking .* whether certificate' "and explained as a request"
want=$("$LANCRE" explain --json "$T/plus.req" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["objects"][0]["details"]["certid"]["serial"])')
run "$LANCRE" explain --json "$T/spaced.log"
same "the same serial as the request itself" "$want" \
	"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["spaces_as_plus"] is True; print(d["objects"][0]["details"]["certid"]["serial"])' "$OUT")"
run "$LANCRE" explain "GET http://o.example/$SPACED"
has "$OUT" '^A client asking' "the URL alone, spaces and all, on the command line"
# Spaces in text that is not a request stay an error.
expect 1 "words after a slash are not a request" "$LANCRE" explain "GET /Mon dieu, rien ici HTTP/1.1"
one_line_error "with one line"

# HAR files with the request POSTed: base64 (marked or not), and binary carried as text.
har() { # FILE TEXT [ENCODING]
	local enc=${3:+,\"encoding\":\"$3\"}
	printf '{"log":{"version":"1.2","entries":[{"request":{"method":"POST","url":"http://o.example/","headers":[{"name":"Content-Type","value":"application/ocsp-request"}],"postData":{"mimeType":"application/ocsp-request","text":"%s"%s}},"response":{"status":200}}]}}\n' "$2" "$enc" >"$1"
}
har "$T/b64.har" "$(base64 -w0 "$T/revoked.req")" base64
har "$T/b64-unmarked.har" "$(base64 -w0 "$T/revoked.req")"
har "$T/latin1.har" "$("$PY" -c 'import sys; print("".join(chr(b) if 0x20 <= b < 0x7f and chr(b) not in "\"\\" else "\\u%04x" % b for b in open(sys.argv[1], "rb").read()), end="")' "$T/revoked.req")"
"$PY" -c 'import json,sys; d=open(sys.argv[1],"rb").read(); j={"log":{"entries":[{"request":{"method":"POST","url":"http://o.example/","postData":{"mimeType":"application/ocsp-request","text":d.decode("latin-1")}}}]}}; open(sys.argv[2],"w",encoding="utf-8").write(json.dumps(j, ensure_ascii=False))' "$T/revoked.req" "$T/utf8.har"
rs=$(openssl x509 -in "$A/revoked.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
for h in b64 b64-unmarked latin1 utf8; do
	run "$LANCRE" explain --issuer "$A/ca.pem" "$T/$h.har"
	if [ "$rc" -eq 0 ] && grep -q '^== .*: OCSP request (HAR)' "$OUT" &&
		grep -Eq "^A client asking openssl ca whether certificate 0*$rs is still valid" "$OUT"; then
		ok "a HAR file POSTing the request ($h)"
	else not_ok "a HAR file POSTing the request ($h)"; fi
done
# "postData": null is no body: the response's content (here the request's base64) is
# not read as one (the next '{' after the key was taken as postData's object).
printf '{"log":{"entries":[{"request":{"method":"POST","url":"http://o.example/","postData": null},"response":{"status":200,"content":{"mimeType":"text/plain","text":"%s","encoding":"base64"}}}]}}\n' \
	"$(base64 -w0 "$T/revoked.req")" >"$T/null.har"
run "$LANCRE" explain "$T/null.har"
if ! grep -q 'OCSP request (HAR)' "$OUT"; then ok "a HAR postData null: nothing explained as a POST body"
else not_ok "a HAR postData null: nothing explained as a POST body"; fi
# A body some tool already replaced with U+FFFD is gone: one line, exit 1.
har "$T/lost.har" '0\ufffd\u0001\ufffd'
expect 1 "a HAR body that was decoded as UTF-8 and lost" "$LANCRE" explain "$T/lost.har"
one_line_error "with one line"
# Bounded work on text that only looks like URLs: decoding is tried only where base64
# of a DER SEQUENCE ('M') follows a '/', and a run joined over spaces is scanned no
# further than its length limit (10 MB of 'A/' took minutes, decoding at every '/').
"$PY" -c 'import sys; sys.stdout.write("A/" * 5000000 + "\n")' >"$T/slashes.txt"
"$PY" -c 'import sys; sys.stdout.write(" ".join(["x/M"] * 90) + " " + "QUJD" * 2500000 + "\n")' >"$T/spaced.txt"
for f in slashes spaced; do
	run timeout 10 "$LANCRE" explain "$T/$f.txt"
	if [ "$rc" -eq 1 ] && grep -q '^lancre explain: .*no OCSP GET URL' "$ERR"; then
		ok "a pathological text input ($f) is refused within 10 s"
	else not_ok "a pathological text input ($f) is refused within 10 s (exit $rc)"; fi
done
rm -f "$T/slashes.txt" "$T/spaced.txt"
echo "1..$n"
