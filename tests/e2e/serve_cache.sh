#!/bin/bash
# A node whose store does not fit in memory (issue 18): with [server] cache =
# 1M it loads no response at start, answers every one of N correctly (each
# looked up in the store, the most recent kept up to 1 MB), its memory stays
# within the bound while it serves them all (/proc VmRSS), and it never
# serves a stale response: a revocation made after start-up is served at
# once, for a response it holds and for one it does not, and nothing older
# comes back after.
. "$(dirname "$0")/lib.sh"

N=10000
CACHE=1048576
OVERHEAD_KB=$((64 * 1024)) # OPERATOR.md: RSS within [server] cache + 64 MB
signed_store "$N" "$N" 3 # a request for each of the N
same "all of them, once each" "$(cut -d' ' -f1 "$T/reqs.txt" | sort -u | wc -l)" "$N"

# Bad sizes are refused with one line.
cp -a "$D/lancre.conf" "$T/good.conf"
conf_set "$D/lancre.conf" server cache 512K
expect 1 "[server] cache below 1M is refused" "$LANCRE" serve -d "$D" --listen "127.0.0.1:$(free_port)"
has "$ERR" 'cache must be 0 \(every response\) or at least 1M' "and says so"
conf_set "$D/lancre.conf" server cache lots
expect 1 "[server] cache that is not a size is refused" "$LANCRE" serve -d "$D" --listen "127.0.0.1:$(free_port)"
has "$ERR" "'lots' is not a size" "and says so"
cp -a "$T/good.conf" "$D/lancre.conf"
conf_set "$D/lancre.conf" server cache 1M

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"; }

# differ LINES: GET each "<serial> <b64>" line of LINES, over 4 keep-alive connections,
# and print how many answers differ from the stored bytes ($T/files/<serial>.der).
differ() {
	"$PY" - "$P" "$1" "$T/files" <<'PYEOF'
import http.client, sys, threading
port, lines, files = int(sys.argv[1]), sys.argv[2], sys.argv[3]
todo = [l.split() for l in open(lines)]
bad = [0] * 4
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for serial, b64 in todo[i::4]:
        c.request("GET", "/ocsp/" + b64)
        body = c.getresponse().read()
        if body != open("%s/%s.der" % (files, serial), "rb").read():
            bad[i] += 1
ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(bad))
PYEOF
}
# status SERIAL B64: what the node answers for it (good, revoked, or the error).
status() {
	curl -s -o "$T/st.der" "http://127.0.0.1:$P/ocsp/$2"
	openssl ocsp -respin "$T/st.der" -resp_text -noverify 2>/dev/null |
		sed -n 's/^ *Cert Status: //p; s/^OCSP Response Status: \([a-zA-Z]*\) .*/\1/p' | tail -1
}

start_serve || not_ok "lancre serve starts"
same "it loads no response" "$(metric lancre_ocsp_responses)" 0
same "its cache's bound is 1M" "$(metric lancre_ocsp_cache_limit_bytes)" "$CACHE"
same "and it is not 'loading' (bounded, it never loads them all)" "$(metric lancre_ocsp_loading)" 0
rss0=$(rss_kb)
same "each of the $N answers is the stored response" "$(differ "$T/reqs.txt")" 0
rss1=$(rss_kb)
bytes=$(metric lancre_ocsp_cache_bytes)
if [ "$bytes" -le "$CACHE" ]; then ok "the cache holds $bytes bytes, within its bound"; else not_ok "the cache holds $bytes bytes, over $CACHE"; fi
ev=$(metric lancre_ocsp_cache_evictions_total)
if [ "${ev:-0}" -gt 0 ]; then ok "and evicted the least recently used ($ev)"; else not_ok "nothing was evicted"; fi
sum=$(cat "$T"/files/*.der | wc -c)
grow=$((rss1 - rss0))
echo "# RSS ${rss0} kB at start, ${rss1} kB after all $N ($((sum / 1024)) kB of responses): +${grow} kB"
# A sanitizer build (LANCRE_TIME_FACTOR > 1, tests/run.sh) keeps freed memory in
# quarantine (ASan: up to 256 MB): its RSS measures the sanitizer, not what lancre holds.
if [ "$TF" != 1 ]; then
	n=$((n + 1))
	echo "ok $n # SKIP RSS under a sanitizer's allocator (the plain build checks it)"
	n=$((n + 1))
	echo "ok $n # SKIP RSS growth under a sanitizer's allocator"
else
	if [ "$rss1" -le $((CACHE / 1024 + OVERHEAD_KB)) ]; then ok "RSS ${rss1} kB is within the cache + 64 MB"; else not_ok "RSS ${rss1} kB is over the cache + 64 MB"; fi
	if [ "$grow" -le $((CACHE / 1024 + sum / 1024 / 2)) ]; then
		ok "serving all $N grew RSS by ${grow} kB: the cache, not the $((sum / 1024)) kB of responses"
	else
		not_ok "serving all $N grew RSS by ${grow} kB, as if every response were held ($((sum / 1024)) kB)"
	fi
fi

# Again, in reverse: the most recent ones are hits now, the others lookups; all right.
hits=$(metric lancre_ocsp_cache_hits_total)
tac "$T/reqs.txt" >"$T/reqs-rev.txt"
same "asked again, every answer is still the stored response" "$(differ "$T/reqs-rev.txt")" 0
if [ "$(metric lancre_ocsp_cache_hits_total)" -gt "$hits" ]; then ok "some from the cache"; else not_ok "no cache hit"; fi

# Revocations after start-up: one held (asked for just now), one not (the first asked).
read -r held hb64 < <(tail -1 "$T/reqs-rev.txt")
read -r cold cb64 < <(head -1 "$T/reqs-rev.txt")
status "$held" "$hb64" >/dev/null
hits=$(metric lancre_ocsp_cache_hits_total)
same "the held one is good" "$(status "$held" "$hb64")" good
same "from the cache" "$(metric lancre_ocsp_cache_hits_total)" $((hits + 1))
"$LANCRE" revoke -d "$D" --issuer e1 --serial "$held" --serial "$cold" --reason keyCompromise >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
for i in $(seq 1 40); do
	[ "$(status "$held" "$hb64")" = revoked ] && break
	sleep 0.05
done
same "a revocation of a held response is served within 2 s" "$(status "$held" "$hb64")" revoked
same "so is one of a response not held" "$(status "$cold" "$cb64")" revoked
stale=0
for i in $(seq 1 20); do
	[ "$(status "$held" "$hb64")" = revoked ] || stale=$((stale + 1))
	[ "$(status "$cold" "$cb64")" = revoked ] || stale=$((stale + 1))
done
same "and neither is ever served good again (40 asks)" "$stale" 0
# Every other response, many evictions and lookups later.
same "the other $((N - 2)) still answer the stored bytes" "$(differ "$T/reqs.txt")" 2
same "the revoked ones too, still revoked" "$(status "$held" "$hb64") $(status "$cold" "$cb64")" "revoked revoked"

# A stored response whose signature is damaged (one byte flipped; through `sqlite3`, which the
# PostgreSQL pass answers from the database) is never served, however many lookups came
# before: each looked-up response is checked, not a sample of them.
read -r bad bb64 < <(sed -n 2p "$T/reqs.txt")
where="hash_alg = 1 and cert_id = (select id from certificates where serial = x'$bad')"
row=$(sqlite3 "$D/lancre.db" "select cert_id, hex(der) from ocsp_responses where $where")
hex=$("$PY" -c 'import sys; b = bytearray.fromhex(sys.argv[1]); b[-5] ^= 0x40; print(b.hex())' "${row#*|}")
sqlite3 "$D/lancre.db" "update ocsp_responses set der = x'$hex' where cert_id = ${row%%|*} and hash_alg = 1"
served=0
for i in $(seq 1 20); do
	curl -s -o "$T/st.der" "http://127.0.0.1:$P/ocsp/$bb64"
	openssl ocsp -respin "$T/st.der" -resp_text -noverify 2>&1 | grep -q 'Responder Error: unauthorized' ||
		served=$((served + 1))
done
same "a response with a damaged signature is never served (20 asks)" "$served" 0

# SQLite: a tool that closes the store last while no writer has it open (the sqlite3 shell)
# removes the -wal and -shm the node's lookup handles read; the next writer makes new ones.
# A lookup must still read the new store: a revocation made then is served revoked.
if [ -z "${LANCRE_PG_REAL:-}" ]; then
	read -r late lb64 < <(sed -n 3p "$T/reqs.txt")
	sqlite3 "$D/lancre.db" "pragma journal_mode" >/dev/null
	if [ -e "$D/lancre.db-wal" ]; then
		not_ok "the sqlite3 shell was to remove the -wal, the case checked here"
	else
		"$LANCRE" revoke -d "$D" --issuer e1 --serial "$late" --reason keyCompromise >/dev/null
		"$LANCRE" sign -d "$D" --once >/dev/null
		for i in $(seq 1 40); do
			[ "$(status "$late" "$lb64")" = revoked ] && break
			sleep 0.05
		done
		same "after the sqlite3 shell closed the store, a revocation is still served" \
			"$(status "$late" "$lb64")" revoked
	fi
fi

kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0
lib_exit
