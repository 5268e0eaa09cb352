#!/bin/bash
# lint.sh - every lint rule (src/lint/, docs/LINTS.md) against an object that
# breaks it and nothing else, made here by Python cryptography
# (tests/e2e/lint_objects.py: CRLs and OCSP responses; lint_cert_objects.py:
# certificates and delegated responders) or `openssl ocsp`/`openssl x509`;
# correct objects made the same ways trip no rule; docs/LINTS.md is what the
# tables generate.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
O=$T/o
mkdir -p "$O"
"$PY" "$HERE/lint_objects.py" "$O" || { not_ok "lint_objects.py made the objects"; exit 1; }
"$PY" "$HERE/lint_cert_objects.py" "$O" || { not_ok "lint_cert_objects.py made the objects"; exit 1; }
# cryptography refuses to sign a certificate with SHA-1; openssl does it.
printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nauthorityInfoAccess=OCSP;URI:http://o.example/,caIssuers;URI:http://i.example/ca.der\ncrlDistributionPoints=URI:http://c.example/1.crl\n' >"$T/sha1.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/sha1.key" \
	-subj /CN=sha1.example 2>/dev/null | openssl x509 -req -CA "$O/ca.pem" -CAkey "$O/ca.key" \
	-sha1 -days 90 -extfile "$T/sha1.cnf" -outform DER -out "$O/e_cert_sha1_signature.der" 2>/dev/null

# What `openssl ocsp` makes and cryptography's builder cannot: SHA-1 signatures, a byName
# ResponderID (openssl's default), several SingleResponses.
exp=$(date -u -d '+90 days' +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t1234\tunknown\t/CN=leaf.example\nV\t%s\t\t1235\tunknown\t/CN=b\n' "$exp" "$exp" >"$T/index.txt"
openssl ocsp -issuer "$O/ca.pem" -serial 0x1234 -reqout "$T/req1.der" -no_nonce 2>/dev/null
openssl ocsp -issuer "$O/ca.pem" -serial 0x1234 -serial 0x1235 -reqout "$T/req2.der" -no_nonce 2>/dev/null
respond() { # REQ OUT ARGS...
	local req=$1 out=$2
	shift 2
	openssl ocsp -index "$T/index.txt" -CA "$O/ca.pem" -rsigner "$O/ca.pem" -rkey "$O/ca.key" \
		-reqin "$req" -respout "$out" -ndays 1 "$@" >/dev/null 2>&1
}
respond "$T/req1.der" "$O/e_ocsp_sha1_signature.der" -rmd sha1 -resp_key_id
respond "$T/req1.der" "$O/w_ocsp_responder_id_by_name.der"
respond "$T/req2.der" "$O/w_ocsp_more_than_one_response.der" -resp_key_id
respond "$T/req1.der" "$O/clean-ocsp-openssl.der" -resp_key_id

# ids FILE: the ids of the findings, space-separated, from --json.
ids() {
	"$LANCRE" explain --json --issuer "$O/ca.pem" "$1" 2>"$ERR" | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
print(" ".join(f["id"] for o in d["objects"] for f in o["findings"]))'
}

rules=$("$LANCRE" explain --list-lints | sed -n 's/^| `\([a-z0-9_]*\)` |.*/\1/p')
[ "$(echo "$rules" | wc -l)" -ge 50 ] && ok "explain --list-lints lists the rules" ||
	not_ok "explain --list-lints lists the rules ($(echo "$rules" | wc -l))"
for id in $rules; do
	if [ ! -f "$O/$id.der" ]; then
		not_ok "$id: no object breaks it in this test"
		continue
	fi
	same "$id: tripped by its object, and nothing else is" "$id" "$(ids "$O/$id.der")"
done
for f in "$O"/clean-*.der; do
	same "$(basename "$f" .der): no finding" "" "$(ids "$f")"
done

# The signatures of what was made verify with the issuer given.
run "$LANCRE" explain --issuer "$O/ca.pem" "$O/clean-crl.der" "$O/clean-ocsp-openssl.der"
has "$OUT" '^signature: verifies with the issuer' "a CRL's signature verifies with --issuer"
has "$OUT" '^signature: verifies \(signed by the issuer itself\)' "an OCSP response's signature verifies"
# Text output names the rule, its level and its source.
run "$LANCRE" explain "$O/e_crl_idp_not_critical.der"
has "$OUT" '^  error e_crl_idp_not_critical: .*\[RFC 5280 5.2.5; BR 7.2.2; CCADB Policy 6.2\]' "a finding shows level, id, text and source"

# docs/LINTS.md is generated from the tables.
run "$LANCRE" explain --list-lints
if cmp -s "$OUT" "$HERE/../../docs/LINTS.md"; then ok "docs/LINTS.md matches the tables"; else
	not_ok "docs/LINTS.md matches the tables (regenerate: lancre explain --list-lints >docs/LINTS.md)"
fi
echo "1..$n"
