#!/bin/bash
# What the store holds is checked before it is served (issue 15 item 11): with
# bytes flipped in a stored CRL, the running server keeps serving the previous
# good copy (openssl crl -verify accepts it), a restarted server serves none
# (404) rather than a bad one; a response with a flipped signature is left out;
# /metrics counts each failure.
. "$(dirname "$0")/lib.sh"

P=$(free_port)
A=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --listen "127.0.0.1:$P" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null

# flip TABLE KEYCOL WHERE: one byte near the end (in the signature) of the blob of the row
# WHERE selects, written back by KEYCOL; a CRL also moves crl_seq, as a write would.
# Through `sqlite3` only, which tests/run.sh's PostgreSQL pass answers from the database.
flip() {
	local table=$1 keycol=$2 where=$3 row key hex
	row=$(sqlite3 "$D/lancre.db" "select $keycol, hex(der) from $table where $where limit 1")
	key=${row%%|*}
	hex=$("$PY" -c 'import sys; b = bytearray.fromhex(sys.argv[1]); b[-5] ^= 0x40; print(b.hex())' "${row#*|}")
	if [ "$table" = crls ]; then
		sqlite3 "$D/lancre.db" "update crls set der = x'$hex' where $keycol = $key and $where; update meta set value = value + 1 where key = 'crl_seq'"
	else
		sqlite3 "$D/lancre.db" "update $table set der = x'$hex' where $keycol = $key and $where"
	fi
}
serve() {
	"$LANCRE" serve -d "$D" --admin "127.0.0.1:$A" >"$T/serve.log" 2>&1 &
	spid=$!
	wait_http "http://127.0.0.1:$A/healthz" || not_ok "lancre serve started"
	wait_loaded "$A" || not_ok "lancre serve loaded the responses"
}

serve
curl -s -o "$T/good.crl" "http://127.0.0.1:$P/crl/e1.crl"
expect 0 "the stored CRL verifies" openssl crl -inform DER -in "$T/good.crl" -CAfile "$T/e1.pem" -noout -verify
same "no signature failure counted" "$(metric lancre_crl_signature_failures_total)" 0
flip crls issuer_id "shard = 0"
for i in $(seq 1 40); do [ "$(metric lancre_crl_signature_failures_total)" = 1 ] && break; sleep 0.1; done
same "the damaged CRL is counted in /metrics" "$(metric lancre_crl_signature_failures_total)" 1
curl -s -o "$T/served.crl" -w '%{http_code}' "http://127.0.0.1:$P/crl/e1.crl" >"$T/code"
same "the CRL is still served" "$(cat "$T/code")" 200
expect 0 "the previous good copy, byte for byte" cmp "$T/served.crl" "$T/good.crl"
kill -TERM $spid
wait $spid

flip ocsp_responses cert_id "hash_alg = 1"
serve
same "a restarted server serves no CRL rather than a bad one" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/crl/e1.crl")" 404
same "and counts it" "$(metric lancre_crl_signature_failures_total)" 1
same "the response with a bad signature is counted" "$(metric lancre_ocsp_signature_failures_total)" 1
same "both responses were checked" "$(metric lancre_ocsp_signatures_checked_total)" 2
openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -reqout "$T/req.der" -no_nonce >/dev/null 2>&1
curl -s --data-binary @"$T/req.der" -H 'Content-Type: application/ocsp-request' \
	-o "$T/resp.der" "http://127.0.0.1:$P/ocsp"
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -CAfile "$T/e1.pem" -resp_text
if grep -q 'signature failure\|Response Verify Failure' "$OUT" "$ERR"; then
	not_ok "the bad response is not served"
else
	ok "the bad response is not served"
fi
kill -TERM $spid
wait $spid
echo "1..$n"
