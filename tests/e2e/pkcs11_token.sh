#!/bin/bash
# A token that goes away while `lancre run` signs with it (issue 16, keys in
# HSMs items 2 and 3): SoftHSM2's token directory moved away mid-run.  The
# signer says so in one line per issuer, keeps signing for the issuer whose
# key is a file, and the server keeps serving what was signed; nothing the
# token did not sign is published or recorded as signed (the revocation made
# meanwhile stays unsigned: OCSP still answers the old, valid response and
# the CRL file is untouched).  Once the directory is back, the signer loads
# the key again by itself (a fresh module, a new login: pkcs11.c) and the
# revocation reaches OCSP and the CRL, which openssl verifies.  Meanwhile the
# admin /metrics shows lancre_signing_key_available{issuer} 1, 0, then 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pkcs11.sh"

p11_token_init
p11_keygen e1 01 EC:prime256v1
mkca root
mkca f1 root ec # a file key: its issuer is signed for throughout
p11_ca e1 root
p11_pin_files
p11_chown
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
conf_set "$D/lancre.conf" crl delay 2s
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" \
	"pkcs11:token=lancre;object=e1;type=private?module-path=$MODULE&pin-source=file:$T/pin.nl" >/dev/null
"$LANCRE" issuer add -d "$D" f1 "$T/f1.pem" "$T/f1.key" >/dev/null
p11_leaf a e1
p11_leaf b e1
mkleaf fa f1
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/fa.pem" >/dev/null 2>&1
p11_chown

P=$(free_port)
A=$(free_port)
"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --api "127.0.0.1:$(free_port)" --threads 2 \
	>"$T/run.out" 2>"$T/run.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; lib_exit' EXIT

wait_http "http://127.0.0.1:$A/healthz"

# status_of CERT CA: the certificate's status as the server answers it, "" if no answer.
status_of() {
	openssl ocsp -issuer "$T/$2.pem" -cert "$T/$1.pem" -url "http://127.0.0.1:$P/ocsp" -no_nonce \
		-CAfile "$T/root.pem" 2>/dev/null | awk -v f="$T/$1.pem" '$1 == f ":" { print $2 }'
}
# wait_status CERT CA WANT SECONDS: until the server answers WANT for CERT.
wait_status() {
	local i
	for i in $(seq 1 $(($4 * 10 * TF))); do
		[ "$(status_of "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
crl_has() { # CA SERIAL: the published CRL of CA lists SERIAL
	openssl crl -inform DER -in "$D/public/crl/$1.crl" -noout -text 2>/dev/null |
		grep -qi "Serial Number: *0*$2$"
}
serial() { openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2 | sed 's/^0*//'; }
# key_metric CA: lancre_signing_key_available for CA on the admin /metrics ("" if absent).
key_metric() {
	curl -s "http://127.0.0.1:$A/metrics" |
		awk -v k="lancre_signing_key_available{issuer=\"$1\"}" '$1 == k { print $2 }'
}
# wait_metric CA WANT: until key_metric CA is WANT (10 s).
wait_metric() {
	local i
	for i in $(seq 1 $((100 * TF))); do
		[ "$(key_metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

if wait_status a e1 good 10; then ok "signed through the token: the server answers good for a"; else not_ok "no good answer for a (e1, key in the token)"; cat "$T/run.err" >&2; fi
wait_file "$D/public/crl/e1.crl"
if wait_metric e1 1 && [ "$(key_metric f1)" = 1 ]; then ok "/metrics: lancre_signing_key_available 1 for e1 and f1"; else not_ok "/metrics: e1 '$(key_metric e1)', f1 '$(key_metric f1)', wanted 1 and 1"; fi
cp "$D/public/crl/e1.crl" "$T/e1.crl.before"

# The token goes away; then a's revocation, and fa's (a file key's issuer).
mv "$TOKENS" "$TOKENS.away"
"$LANCRE" revoke -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" revoke -d "$D" "$T/fa.pem" >/dev/null
if wait_status fa f1 revoked 10; then ok "the file-key issuer is still signed for: fa revoked"; else not_ok "fa's revocation was not signed while e1's token was away"; fi
for i in $(seq 1 $((50 * TF))); do grep -q 'cannot sign for issuer e1' "$T/run.err" && break; sleep 0.1; done
has "$T/run.err" 'lancre (run|sign): cannot sign for issuer e1, signing for the others: its key stopped signing: .*\(PKCS#11 token\)' \
	"the signer says why it stopped signing for e1"
sleep $((6 * TF)) # a few tries to load the key again (1, 2, 4 s)
same "in one line, however often it tried again" "$(grep -c 'cannot sign for issuer e1' "$T/run.err")" 1
if wait_metric e1 0 && [ "$(key_metric f1)" = 1 ]; then ok "/metrics: lancre_signing_key_available 0 for e1, still 1 for f1"; else not_ok "/metrics: e1 '$(key_metric e1)', f1 '$(key_metric f1)', wanted 0 and 1"; fi
same "the server keeps serving what was signed: a is still good (the old response)" "$(status_of a e1)" good
same "and b" "$(status_of b e1)" good
if cmp -s "$D/public/crl/e1.crl" "$T/e1.crl.before"; then ok "e1's CRL is the one signed before, untouched"; else not_ok "e1's CRL changed while its token was away"; fi
if crl_has e1 "$(serial a)"; then not_ok "a is in e1's CRL: something signed without the token"; else ok "a's revocation is in no CRL yet"; fi
if crl_has f1 "$(serial fa)"; then ok "fa is in f1's CRL"; else not_ok "fa is not in f1's CRL"; fi
if kill -0 "$pid" 2>/dev/null; then ok "lancre run is still running"; else not_ok "lancre run exited"; fi

# The token comes back: the signer loads the key again by itself.
mv "$TOKENS.away" "$TOKENS"
if wait_status a e1 revoked $((20 * TF)); then ok "once the token is back, a's revocation reaches OCSP"; else not_ok "a is not revoked 20 s after the token came back"; fi
for i in $(seq 1 $((50 * TF))); do crl_has e1 "$(serial a)" && break; sleep 0.1; done
if crl_has e1 "$(serial a)"; then ok "and e1's CRL"; else not_ok "a is not in e1's CRL"; fi
run openssl crl -inform DER -in "$D/public/crl/e1.crl" -CAfile "$T/e1.pem" -noout -verify
has "$ERR" "verify OK" "which openssl verifies (signed in the token)"
has "$T/run.err" 'signing for issuer e1 again' "the signer says it signs for e1 again"
if wait_metric e1 1; then ok "/metrics: lancre_signing_key_available 1 for e1 again"; else not_ok "/metrics: e1 '$(key_metric e1)', wanted 1"; fi
same "b is still good" "$(status_of b e1)" good
no_pin "$T/run.err" "the PIN is in no log line"
no_pin "$T/run.out" "nor on stdout"
