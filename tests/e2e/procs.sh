#!/bin/bash
# The process table of `lancre run` seen from /proc (issue 16, "One table of
# processes"): the supervisor holds no store and restarts a child that dies,
# with back-off and one line saying why, the port answering again within 2 s
# of a server's death (the supervisor keeps it bound) and a restarted signer
# still signing revocations; SIGTERM stops everything with exit 0.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
mkleaf b e1
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" >/dev/null 2>&1

P=$(free_port)
A=$(free_port)
"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
	>"$T/run.out" 2>"$T/run.err" &
pid=$!
wait_http "http://127.0.0.1:$A/healthz"
server=$(child_pid "$pid" server)
signer=$(child_pid "$pid" signer)
if [ -n "$server" ] && [ -n "$signer" ]; then ok "lancre run ($pid): a server ($server) and a signer ($signer) child"; else not_ok "children of $pid: server '$server', signer '$signer'"; fi

# fds PID: what the process's descriptors point to, one per line.
fds() { for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null; }

if fds "$pid" | grep -q 'lancre\.db'; then not_ok "the supervisor holds the store: $(fds "$pid" | grep lancre.db | tr '\n' ' ')"; else ok "the supervisor ($pid) holds no store descriptor"; fi
if fds "$server" | grep -q 'lancre\.db$'; then ok "(the server holds one: the check sees store descriptors)"; else not_ok "the server holds no lancre.db descriptor: the check is blind"; fi

# ocsp_of CERT: the certificate's status as the server answers it (good, revoked, ...).
ocsp_of() {
	openssl ocsp -issuer "$T/e1.pem" -cert "$T/$1.pem" -url "http://127.0.0.1:$P/ocsp" -no_nonce -noverify 2>/dev/null |
		awk -v f="$T/$1.pem" '$1 == f ":" { print $2 }'
}
# wait_child NAME OLD: until the supervisor has a NAME child other than OLD (2 s); sets $new.
wait_child() {
	local i
	for i in $(seq 1 $((40 * TF))); do
		new=$(child_pid "$pid" "$1")
		[ -n "$new" ] && [ "$new" != "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# answers_within_2s: the port serves a CRL within 2 s (curl retries on a refused connection).
answers_within_2s() {
	local i
	for i in $(seq 1 $((40 * TF))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/issuer/e1")" = 200 ] && return 0
		sleep 0.05
	done
	return 1
}

# The server killed: restarted, the port answers again within 2 s, and never refuses
# a connection meanwhile (the supervisor keeps the listening socket: the kernel queues).
t0=$(date +%s%N)
kill -9 "$server"
if answers_within_2s; then ok "server ($server) SIGKILLed: the port answers again within 2 s ($((($(date +%s%N) - t0) / 1000000)) ms)"; else not_ok "server SIGKILLed: the port does not answer within 2 s"; fi
if wait_child server "$server"; then ok "a new server ($new) replaced it"; else not_ok "no new server"; fi
has "$T/run.err" "^lancre run: the server process \\(pid $server\\) was killed by signal 9 \\(Killed\\); restarting it in 100 ms$" "the supervisor says which child died and why"
server=$new

# Back-off: a server that dies right after its restart waits twice as long each time.
for want in 200 400; do
	kill -9 "$server"
	wait_child server "$server"
	has "$T/run.err" "the server process \\(pid $server\\) .*restarting it in $want ms$" "killed again soon after: restarted after $want ms"
	server=$new
done
answers_within_2s && ok "and it serves" || not_ok "the server does not serve after three restarts"

# The signer killed: restarted, and a revocation afterwards is signed.
same "before: b is good" "$(ocsp_of b)" good
kill -9 "$signer"
if wait_child signer "$signer"; then ok "signer ($signer) SIGKILLed: a new signer ($new) within 2 s"; else not_ok "no new signer"; fi
has "$T/run.err" "^lancre run: the signer process \\(pid $signer\\) was killed by signal 9 \\(Killed\\); restarting it in 100 ms$" "the supervisor says so"
signer=$new
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b.pem" >/dev/null
got=
for _ in $(seq 1 $((100 * TF))); do
	got=$(ocsp_of b)
	[ "$got" = revoked ] && break
	sleep 0.05
done
same "a revocation after the signer's restart is signed and served within 5 s" "$got" revoked

# SIGHUP passes to both children; SIGTERM stops everything, exit 0.
kill -HUP "$pid"
sleep 0.5
if kill -0 "$server" && kill -0 "$signer" && [ "$(child_pid "$pid" server)" = "$server" ]; then ok "SIGHUP: both children still run, none restarted"; else not_ok "SIGHUP killed a child"; fi
kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0
if ! kill -0 "$server" 2>/dev/null && ! kill -0 "$signer" 2>/dev/null; then ok "and both children are gone"; else not_ok "a child outlived the stop"; kill -9 "$server" "$signer" 2>/dev/null; fi

echo "1..$n"
