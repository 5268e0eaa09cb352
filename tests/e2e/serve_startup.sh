#!/bin/bash
# A node answers at once, whatever the store's size (issue 18): `lancre serve`
# over a store of many responses answers while it loads them, each request it
# has not loaded looked up in the store, with the same bytes and headers it
# gives once loaded (and `lancre answer` gives); an unknown serial is
# unauthorized, a revocation made meanwhile is served; a reload (SIGHUP) never
# stalls requests.  LANCRE_TEST_LOAD_DELAY_MS holds each load back, so that
# "not loaded yet" does not depend on the machine's speed.
. "$(dirname "$0")/lib.sh"

N=20000
K=300
signed_store "$N" "$K" 7

# fetch FILE-OF-LINES OUTDIR: GET each "<serial> <b64>" line over one keep-alive
# connection; OUTDIR/<serial>.der, and each answer's seconds in OUTDIR/times.
fetch() {
	mkdir -p "$2"
	"$PY" - "$P" "$1" "$2" <<'PYEOF'
import http.client, sys, time
port, lines, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
with open(out + "/times", "w") as times:
    for line in open(lines):
        serial, b64 = line.split()
        t = time.monotonic()
        c.request("GET", "/ocsp/" + b64)
        r = c.getresponse()
        body = r.read()
        times.write("%.4f\n" % (time.monotonic() - t))
        with open("%s/%s.der" % (out, serial), "wb") as f:
            f.write(body)
        with open("%s/%s.hdr" % (out, serial), "w") as f:
            for k in ("content-type", "etag", "last-modified", "expires"):
                f.write("%s: %s\n" % (k, r.getheader(k)))
PYEOF
}

# differ DIR [LINES]: how many answers in DIR to LINES' requests (all K) differ from the stored bytes.
differ() {
	local s b64 bad=0
	while read -r s b64; do
		cmp -s "$1/$s.der" "$T/files/$s.der" || bad=$((bad + 1))
	done <"${2:-$T/reqs.txt}"
	echo "$bad"
}
slowest() { sort -n "$1/times" | tail -1; }

# --- Start-up: answered at once, from the store. -----------------------------------
P=$(free_port)
A=$(free_port)
t0=$(date +%s.%N)
LANCRE_TEST_LOAD_DELAY_MS=4000 "$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" \
	--admin "127.0.0.1:$A" --threads 2 >"$T/serve.out" 2>"$T/serve.err" &
pid=$!
read -r first fb64 <"$T/reqs.txt"
for i in $(seq 1 200); do
	code=$(curl -s -o "$T/first.der" -w '%{http_code}' "http://127.0.0.1:$P/ocsp/$fb64") && [ "$code" = 200 ] && break
	sleep 0.01
done
t1=$(date +%s.%N)
same "the first answer is 200" "$code" 200
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
if awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }'; then ok "it came ${secs}s after the start, within 1 s"; else not_ok "the first answer took ${secs}s"; fi
expect 0 "with the bytes the store holds" cmp "$T/first.der" "$T/files/$first.der"
same "the node is still loading its responses" "$(metric lancre_ocsp_loading)" 1
fetch "$T/reqs.txt" "$T/during"
same "while loading, all $K answers are the stored bytes" "$(differ "$T/during")" 0
same "the node was still loading when they were answered" "$(metric lancre_ocsp_loading)" 1
lookups=$(metric lancre_ocsp_lookups_total)
if [ "${lookups:-0}" -ge "$K" ]; then ok "each was looked up in the store ($lookups lookups)"; else not_ok "only ${lookups:-none} lookups"; fi
s=$(slowest "$T/during")
if awk -v s="$s" 'BEGIN { exit !(s < 0.5) }'; then ok "the slowest took ${s}s"; else not_ok "the slowest took ${s}s"; fi
run "$LANCRE" answer -d "$D" --get "$fb64" -o "$T/answer.der"
expect 0 "lancre answer gives the same bytes" cmp "$T/answer.der" "$T/during/$first.der"

# A serial e1 never issued: unauthorized, as from a loaded node.
openssl ocsp -issuer "$T/e1.pem" -serial 0x7e57ab1e0001 -no_nonce -reqout "$T/unknown.req" >/dev/null 2>&1
ub64=$(base64 -w0 "$T/unknown.req" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
curl -s -o "$T/unknown.der" "http://127.0.0.1:$P/ocsp/$ub64"
same "an unknown serial is unauthorized" "$(od -An -tx1 "$T/unknown.der" | tr -d ' \n')" 30030a0106
# An issuer the node does not know: unauthorized, and not looked up.
before=$(metric lancre_ocsp_lookups_total)
openssl ocsp -issuer "$T/root.pem" -serial 0x01 -no_nonce -reqout "$T/other.req" >/dev/null 2>&1
curl -s -o "$T/other.der" --data-binary @"$T/other.req" -H 'Content-Type: application/ocsp-request' "http://127.0.0.1:$P/ocsp"
same "an unknown issuer is unauthorized" "$(od -An -tx1 "$T/other.der" | tr -d ' \n')" 30030a0106
same "without a lookup" "$(metric lancre_ocsp_lookups_total)" "$before"

# A revocation while the node loads: served within 2 s.
read -r rserial rb64 < <(sed -n 2p "$T/reqs.txt")
"$LANCRE" revoke -d "$D" --issuer e1 --serial "$rserial" --reason keyCompromise >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
for i in $(seq 1 40); do
	curl -s -o "$T/revoked.der" "http://127.0.0.1:$P/ocsp/$rb64"
	openssl ocsp -respin "$T/revoked.der" -resp_text -noverify 2>/dev/null | grep -q 'Cert Status: revoked' && break
	sleep 0.05
done
has <(openssl ocsp -respin "$T/revoked.der" -resp_text -noverify 2>/dev/null) 'Cert Status: revoked' \
	"a revocation made during the load is served"
same "still loading then" "$(metric lancre_ocsp_loading)" 1

# --- Loaded: the same answers, from memory. ---------------------------------------
if wait_loaded "$A" 20; then ok "the node loads every response"; else not_ok "the node never finished loading"; fi
same "it holds them all" "$(metric lancre_ocsp_responses)" "$N"
lookups=$(metric lancre_ocsp_lookups_total)
sed 2d "$T/reqs.txt" >"$T/reqs-same.txt"
fetch "$T/reqs-same.txt" "$T/after"
same "loaded, no request is looked up" "$(metric lancre_ocsp_lookups_total)" "$lookups"
bad=0
while read -r s b64; do
	cmp -s "$T/after/$s.der" "$T/during/$s.der" && cmp -s "$T/after/$s.hdr" "$T/during/$s.hdr" || bad=$((bad + 1))
done <"$T/reqs-same.txt"
same "the same bytes and headers as while loading" "$bad" 0
curl -s -o "$T/revoked2.der" "http://127.0.0.1:$P/ocsp/$rb64"
expect 0 "and the revoked response, the same as served during the load" cmp "$T/revoked2.der" "$T/revoked.der"

# --- A reload (SIGHUP: everything read again) never stalls requests. --------------
# Nor does it go back to a partial snapshot: the new base loads (4 s, the hook)
# beside the one served.  The last two checks catch a reload that starts from
# scratch (a SIGHUP given prev = NULL, as without a builder, fails both: the
# node loads again and looks every request up).
kill -HUP "$pid"
sleep 0.3
fetch "$T/reqs-same.txt" "$T/reload"
same "during the reload the answers are the same" "$(differ "$T/reload" "$T/reqs-same.txt")" 0
s=$(slowest "$T/reload")
if awk -v s="$s" 'BEGIN { exit !(s < 0.5) }'; then ok "and the slowest took ${s}s"; else not_ok "a request waited ${s}s during the reload"; fi
same "the node is not loading from scratch meanwhile" "$(metric lancre_ocsp_loading)" 0
same "nor looking up" "$(metric lancre_ocsp_lookups_total)" "$lookups"

kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0

# --- The first loaded base never takes an answer back. --------------------------
# While a node loads, a lookup answers from the store; the base it then takes
# was read before.  A response written between that read and the swap (a
# revocation) is served by a lookup at once, and must stay served across the
# swap: the new snapshot, older than that answer, is not answered from until a
# reload catches up (lookup.h, lookup_served_seq).  LANCRE_TEST_SWAP_DELAY_MS
# holds the swap 5 s after its read of the store; the base (N responses) loads
# well within the 1.5 s before the revocation.
P=$(free_port)
A=$(free_port)
LANCRE_TEST_SWAP_DELAY_MS=5000 "$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" \
	--admin "127.0.0.1:$A" --threads 2 >"$T/serve3.out" 2>"$T/serve3.err" &
pid=$!
wait_http "http://127.0.0.1:$A/healthz"
sleep 1.5
read -r xserial xb64 < <(sed -n 3p "$T/reqs.txt")
"$LANCRE" revoke -d "$D" --issuer e1 --serial "$xserial" --reason keyCompromise >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
same "the swap is still held after the revocation was signed" "$(metric lancre_ocsp_loading)" 1
# Ask for it every few milliseconds for 6 s, across the swap: each answer's status, in order.
"$PY" - "$P" "$xb64" >"$T/across.txt" <<'PYEOF'
import http.client, sys, time
from cryptography.x509 import ocsp
port, b64 = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
end = time.monotonic() + 6
while time.monotonic() < end:
    c.request("GET", "/ocsp/" + b64)
    r = ocsp.load_der_ocsp_response(c.getresponse().read())
    if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        print(r.response_status.name.lower())
    else:
        print(r.certificate_status.name.lower())
    time.sleep(0.005)
PYEOF
same "loaded by the end" "$(metric lancre_ocsp_loading)" 0
at=$(grep -n -m1 -x revoked "$T/across.txt" | cut -d: -f1)
if [ -n "$at" ]; then ok "the revocation is served while the swap is held (answer $at of $(wc -l <"$T/across.txt"))"; else
	not_ok "never served revoked: $(sort "$T/across.txt" | uniq -c | tr '\n' ' ')"
fi
same "and never anything else after it, across the swap" \
	"$(tail -n +"${at:-1}" "$T/across.txt" | sort -u | tr '\n' ' ')" "revoked "
kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0

# --- Without the delay: the first answer within a second. ------------------------
P=$(free_port)
A=$(free_port)
t0=$(date +%s.%N)
"$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
	>"$T/serve2.out" 2>"$T/serve2.err" &
pid=$!
for i in $(seq 1 200); do
	code=$(curl -s -o "$T/first2.der" -w '%{http_code}' "http://127.0.0.1:$P/ocsp/$fb64") && [ "$code" = 200 ] && break
	sleep 0.01
done
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
if [ "$code" = 200 ] && awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }'; then ok "a second start answers in ${secs}s"; else not_ok "a second start answered $code after ${secs}s"; fi
expect 0 "the same bytes" cmp "$T/first2.der" "$T/files/$first.der"
kill -TERM "$pid"
wait "$pid"
lib_exit
