#!/bin/bash
# A node whose store does not fit in memory (issue 18): with [server] cache =
# 1M it loads no response at start, answers every one of N correctly (each
# looked up in the store, the most recent kept up to 1 MB), its memory stays
# within the bound while it serves them all (/proc VmRSS), and it never
# serves a stale response: a revocation made after start-up is served at
# once, for a response it holds and for one it does not, and nothing older
# comes back after, even from a lookup that read the store just before the
# revocation (held by a test hook until the change feed has passed); an
# unknown serial is read from the store once, and answered once added; a
# store restored from an older backup is answered as it now is; and
# /healthz sees responses past their nextUpdate as a node holding them all.
. "$(dirname "$0")/lib.sh"

N=10000
CACHE=1048576
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
		sed -n 's/^ *Cert Status: //p; s/^Responder Error: \([a-zA-Z]*\) .*/\1/p' | tail -1
}

# The test hook (server.h): while $T/hold exists, a lookup waits between its store read
# and its cache fill.
export LANCRE_TEST_LOOKUP_HOLD=$T/hold
start_serve || not_ok "lancre serve starts"
same "it loads no response" "$(metric lancre_ocsp_responses)" 0
same "its cache's bound is 1M" "$(metric lancre_ocsp_cache_limit_bytes)" "$CACHE"
same "and it is not 'loading' (bounded, it never loads them all)" "$(metric lancre_ocsp_loading)" 0
# A SIGHUP that changes the size says it needs a restart, and keeps the size.
conf_set "$D/lancre.conf" server cache 2M
kill -HUP "$pid"
wait_file_has() { for i in $(seq 1 100); do grep -q "$2" "$1" && return 0; sleep 0.05; done; return 1; }
if wait_file_has "$T/serve.err" 'cache changes need a restart'; then
	ok "changing [server] cache on SIGHUP says a restart is needed"
else
	not_ok "changing [server] cache on SIGHUP is silently ignored"
fi
same "and the cache keeps its bound" "$(metric lancre_ocsp_cache_limit_bytes)" "$CACHE"
conf_set "$D/lancre.conf" server cache 1M
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
	echo "ok $n # SKIP RSS growth under a sanitizer's allocator"
else
	# (Whether RSS stays within the cache + 64 MB cannot be seen with 3 MB of responses:
	# bench/startup.sh measures it at 1M, docs/BENCHMARKS.md.)
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

# lookups: the store reads the node has made.
lookups() { metric lancre_ocsp_lookups_total; }
# wait_until 'TEST': up to 5 s for the shell test TEST (run again each time) to succeed.
wait_until() {
	for i in $(seq 1 100); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

# The race: a lookup reads a good response, and before it fills the cache the certificate
# is revoked, signed, and the change feed tells the cache.  The older good response must not
# be kept: the next answer is revoked.  A held sentinel shows when the feed has passed.
read -r race rb64 < <(sed -n 5p "$T/reqs.txt")
read -r sent sb64 < <(sed -n 6p "$T/reqs.txt")
status "$sent" "$sb64" >/dev/null
lk=$(lookups)
touch "$T/hold"
curl -s -o "$T/race.der" "http://127.0.0.1:$P/ocsp/$rb64" &
curl_pid=$!
if wait_until '[ "$(lookups)" -gt "$lk" ]'; then ok "a lookup of $race started"; else not_ok "no lookup of $race"; fi
sleep 0.3
if kill -0 "$curl_pid" 2>/dev/null; then ok "and is held, its store read done (the test hook)"; else not_ok "the lookup was not held"; fi
"$LANCRE" revoke -d "$D" --issuer e1 --serial "$race" --serial "$sent" --reason keyCompromise >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
if wait_until '[ "$(status "$sent" "$sb64")" = revoked ]'; then
	ok "the change feed told the cache (a held response turned revoked)"
else
	not_ok "the change feed never told the cache"
fi
sleep 0.3
rm -f "$T/hold"
wait "$curl_pid"
first=$(openssl ocsp -respin "$T/race.der" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Cert Status: //p')
echo "# the held lookup answered: $first (read before the revocation: good or revoked are both right)"
stale=0
for i in $(seq 1 10); do
	[ "$(status "$race" "$rb64")" = revoked ] || stale=$((stale + 1))
done
same "after the held lookup's fill, the answer is revoked, never the older good (10 asks)" "$stale" 0

# An unknown serial reaches the store once; it is then known absent (counted in the
# cache), until the certificate is added and signed: then it is answered.
unk=7e57ab1e5e71a1
openssl ocsp -issuer "$T/e1.pem" -serial "0x$unk" -no_nonce -reqout "$T/unk.req" 2>/dev/null
ub64=$("$PY" -c 'import base64, sys, urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1], "rb").read()).decode(), safe=""))' "$T/unk.req")
lk=$(lookups)
ab=$(metric lancre_ocsp_cache_absent)
for i in $(seq 1 5); do
	s=$(status "$unk" "$ub64")
	[ "$s" = unauthorized ] || break
done
same "an unknown serial is answered unauthorized, 5 times" "$s" unauthorized
same "and read from the store once" "$(($(lookups) - lk))" 1
same "one more absent serial in the cache" "$(metric lancre_ocsp_cache_absent)" $((ab + 1))
mkleaf unk e1 "$unk"
"$LANCRE" cert add -d "$D" "$T/unk.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
if wait_until '[ "$(status "$unk" "$ub64")" = good ]'; then
	ok "once added and signed, it is answered good"
else
	not_ok "added and signed, it is still answered $(status "$unk" "$ub64")"
fi

# The store goes back in time (SQLite: a backup restored with the sqlite3 shell; the
# PostgreSQL pass has no such shell): the node forgets what it holds and answers what
# the restored store holds, not the revocation the restore undid.
# A connection kept open meanwhile, so that the shell, closing, does not remove the -wal
# and -shm (a case of its own, further down).
if [ -z "${LANCRE_PG_REAL:-}" ]; then
	read -r back bkb64 < <(sed -n 7p "$T/reqs.txt")
	touch "$T/keep"
	"$PY" -c 'import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute("begin"); c.execute("select count(*) from meta").fetchall(); c.commit()
c.execute("select count(*) from meta").fetchall()
while os.path.exists(sys.argv[2]): time.sleep(0.05)' "$D/lancre.db" "$T/keep" &
	keeper=$!
	sleep 0.3
	sqlite3 "$D/lancre.db" ".backup '$T/backup.db'"
	status "$back" "$bkb64" >/dev/null
	"$LANCRE" revoke -d "$D" --issuer e1 --serial "$back" --reason keyCompromise >/dev/null
	"$LANCRE" sign -d "$D" --once >/dev/null
	if wait_until '[ "$(status "$back" "$bkb64")" = revoked ]'; then
		ok "a held response is revoked"
	else
		not_ok "a held response was never revoked"
	fi
	sqlite3 "$D/lancre.db" ".restore '$T/backup.db'"
	if wait_until '[ "$(status "$back" "$bkb64")" = good ]'; then
		ok "after the store is restored from an older backup, its answer (good) is served"
	else
		not_ok "after a restore the node still answers $(status "$back" "$bkb64")"
	fi
	rm -f "$T/keep"
	wait "$keeper"
fi

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
	# Served: a successful answer (the damaged one).  Refused: unauthorized; or tryLater
	# while the node reopens the store after the sqlite3 shell removed its -wal.
	openssl ocsp -respin "$T/st.der" -resp_text -noverify 2>&1 |
		grep -q 'OCSP Response Status: successful' && served=$((served + 1))
done
same "a response with a damaged signature is never served (20 asks)" "$served" 0

# SQLite: a tool that closes the store last while no writer has it open (the sqlite3 shell)
# removes the -wal and -shm the node's lookup handles read; the next writer makes new ones.
# A lookup must still read the new store: a revocation made then is served revoked.  And
# the change feed too, for a response the cache holds: SQLite shares one mapping of the
# -shm among a process's connections, so the feed's handle, reopened while an idle lookup
# handle still mapped the removed -shm, read the old store for ever (sqlite_readonly.c).
# Three rounds, each on a node started afresh (once it has reopened the store, a node keeps
# a read lock that stops the shell from removing the -wal again): on the old code each
# round failed about one time in three.  The first round too: the node serving since the
# start has reopened the store at the restore and the damaged signature above (sqlite3
# shells, each making a -wal for as long as it runs, which a look of the node may catch),
# and under load (13-17) its round failed 1 run in 4 with the -wal never removed.
if [ -z "${LANCRE_PG_REAL:-}" ]; then
	read -r late lb64 < <(sed -n 3p "$T/reqs.txt")
	stale=0
	for round in 4 5 6; do
		kill -TERM "$pid"
		wait "$pid"
		start_serve || not_ok "lancre serve starts again"
		read -r held hb64 < <(sed -n "${round}p" "$T/reqs.txt")
		status "$held" "$hb64" >/dev/null # now held by the cache
		# The shell removes them only when no connection is reading at its close: retried.
		for i in $(seq 1 20); do
			sqlite3 "$D/lancre.db" "pragma journal_mode" >/dev/null
			[ -e "$D/lancre.db-wal" ] || break
			sleep 0.1
		done
		if [ -e "$D/lancre.db-wal" ]; then
			not_ok "the sqlite3 shell was to remove the -wal, the case checked here"
			break
		fi
		revoke=("$held")
		[ "$round" != 4 ] || revoke+=("$late")
		for serial in "${revoke[@]}"; do
			"$LANCRE" revoke -d "$D" --issuer e1 --serial "$serial" --reason keyCompromise >/dev/null
		done
		"$LANCRE" sign -d "$D" --once >/dev/null
		for i in $(seq 1 40); do
			[ "$(status "$held" "$hb64")" = revoked ] && break
			sleep 0.05
		done
		[ "$(status "$held" "$hb64")" = revoked ] || stale=$((stale + 1))
		[ "$round" != 4 ] || same "after the sqlite3 shell closed the store, a revocation is still served" \
			"$(status "$late" "$lb64")" revoked
	done
	same "and a held response revoked after it is served revoked (3 rounds: stale in none)" "$stale" 0
fi

kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0

# /healthz sees what the lookups and the feed brought: a node whose clock is 30 days on
# (libfaketime), so that every response is past its nextUpdate, is healthy until it has
# seen one, then unhealthy as a node holding them all would be.
health() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/healthz"; }
unset LANCRE_TEST_LOOKUP_HOLD
faked +30d start_serve || not_ok "lancre serve starts, 30 days on"
same "30 days on, /healthz is 200 before any response is seen" "$(health)" 200
same "a response asked for is answered tryLater" "$(status "$held" "$hb64")" trylater
same "then /healthz is 503" "$(health)" 503
curl -s -o "$T/health.txt" "http://127.0.0.1:$A/healthz"
has "$T/health.txt" "past its nextUpdate" "saying every response is past its nextUpdate"
kill -KILL "$pid" # not TERM: libfaketime's exit unlinks a file, which the sandbox forbids
wait "$pid" 2>/dev/null
lib_exit
