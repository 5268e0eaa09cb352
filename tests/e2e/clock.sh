#!/bin/bash
# A clock that steps back (issue 15 item 9): `lancre sign` run under libfaketime
# 10 days ahead, then with the real clock.  What was signed ahead (OCSP
# responses, CRLs and deltas) is re-signed at once and dated now, the step is
# logged once, CRL numbers keep growing, a new revocation reaches the CRL, and
# the server's /healthz fails while it serves anything dated in the future.
. "$(dirname "$0")/lib.sh"

ahead() { faked +10d "$@"; }
P=$(free_port)
A=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" server admin "127.0.0.1:$A"
conf_set "$D/lancre.conf" crl delta yes
conf_set "$D/lancre.conf" crl delay 2s
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
mkleaf b e1
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" >/dev/null
now=$(date +%s)
expect 0 "lancre sign --once, 10 days ahead" ahead "$LANCRE" sign -d "$D" --once
q() { sqlite3 "$D/lancre.db" "$1"; }
future=$(q "select count(*) from ocsp_responses where this_update > $now + 86400")
same "4 responses dated 10 days ahead" "$future" 4
same "4 CRLs (full, shard, their deltas) dated ahead" "$(q "select count(*) from crls where this_update > $now + 86400")" 4
# The largest CRL number of each shard's sequence (a base and its delta share one).
SEQ="select case when shard < 0 then -shard - 1 else shard end as k, max(number) as m from crls group by k"
q "$SEQ" >"$T/numbers.before"

# The server, with the real clock, holding what was signed ahead: unhealthy.
"$LANCRE" serve -d "$D" >"$T/serve.log" 2>&1 &
serve_pid=$!
wait_http "http://127.0.0.1:$A/healthz" || not_ok "lancre serve started"
code=$(curl -s -o "$T/health" -w '%{http_code}' "http://127.0.0.1:$A/healthz")
same "/healthz fails while responses and CRLs are dated in the future" "$code" 503
has "$T/health" 'future' "it says why"

expect 0 "lancre sign --once with the real clock" "$LANCRE" sign -d "$D" --once
has "$ERR" 'clock went back' "the clock step is logged"
has "$ERR" '4 OCSP responses' "with the responses found dated ahead"
has "$OUT" 'signed 4 CRLs' "every CRL is re-signed at once"
now=$(date +%s)
same "no response is dated in the future any more" "$(q "select count(*) from ocsp_responses where this_update > $now + 60")" 0
same "no CRL is dated in the future any more" "$(q "select count(*) from crls where this_update > $now + 60")" 0
stale=0
while IFS='|' read -r k m; do
	stale=$((stale + $(q "select count(*) from crls where (case when shard < 0 then -shard - 1 else shard end) = $k and number <= $m")))
done <"$T/numbers.before"
same "every new CRL (base and delta) is numbered above its shard's numbers signed ahead" "$stale" 0
expect 0 "a second pass" "$LANCRE" sign -d "$D" --once
if grep -q 'clock went back' "$ERR"; then not_ok "the step is logged once"; else ok "the step is logged once"; fi

# The server reloads and is healthy again; the oldest response's age is not negative.
for i in $(seq 1 $((40 * TF))); do
	code=$(curl -s -o "$T/health" -w '%{http_code}' "http://127.0.0.1:$A/healthz")
	[ "$code" = 200 ] && break
	sleep 0.25
done
same "/healthz is ok once everything is re-signed" "$code" 200
curl -s "http://127.0.0.1:$A/metrics" >"$T/metrics"
has "$T/metrics" '^lancre_ocsp_oldest_response_age_seconds [0-9]' "oldest_response_age_seconds is not negative"
if [ "$code" != 200 ]; then # what the server said, and what the store holds (now $(date +%s))
	sed 's/^/#   healthz: /' "$T/health"
	grep -E '^lancre_(ocsp_(oldest|earliest|responses|loading|load_failures|lookup)|snapshot|reloads|uptime)' "$T/metrics" | sed 's/^/#   metrics: /'
	sed 's/^/#   serve: /' "$T/serve.log"
	q "select seq, this_update, next_update from ocsp_responses" | sed 's/^/#   store: /'
	q "select name, value from meta" | sed 's/^/#   meta: /'
fi

# A revocation now reaches the CRLs (the delta within [crl] delay).
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b.pem" >/dev/null
sleep 1.1
expect 0 "lancre sign --once after a revocation" "$LANCRE" sign -d "$D" --once
serial=$(openssl x509 -in "$T/b.pem" -noout -serial | cut -d= -f2)
openssl crl -inform DER -in "$D/public/crl/e1-delta.crl" -noout -text >"$T/delta.txt"
has "$T/delta.txt" "Serial Number: $serial" "the revoked certificate is in the delta CRL"
kill -TERM $serve_pid
wait $serve_pid 2>/dev/null
echo "1..$n"
