#!/bin/bash
# The process table of `lancre run` seen from /proc (issue 16, "One table of
# processes"): the supervisor holds no store and restarts a child that dies,
# with back-off and one line saying why, the port answering again within 2 s
# of a server's death (the supervisor keeps it bound) and a restarted signer
# still signing revocations; SIGTERM stops everything with exit 0.  Run by one
# user for everything, that user cannot read the signer's or the supervisor's
# memory (PR_SET_DUMPABLE 0), and a lancre.conf replaced by rename is read on
# SIGHUP (the supervisor hands it to the server, whose sandbox names the old file).
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
mkleaf b e1
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" >/dev/null 2>&1

start_run
if [ -n "$server" ] && [ -n "$signer" ]; then ok "lancre run ($pid): a server ($server) and a signer ($signer) child"; else not_ok "children of $pid: server '$server', signer '$signer'"; fi

# fds PID: what the process's descriptors point to, one per line.
fds() { for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null; }
# status_of PID FIELD: a field of /proc/PID/status (Uid and Gid: real, effective, saved, fs).
status_of() { awk -v f="$2:" '$1 == f { $1 = ""; print substr($0, 2) }' "/proc/$1/status"; }

# The store's descriptors: lancre.db; in PostgreSQL (tests/run.sh's second pass, by the
# server's unix socket), a socket whose peer is PostgreSQL's (ss: the peers of the
# sockets bound to .s.PGSQL.PORT are the clients connected to the database).
PG_URL=$(store_pg_url "$D")
store_fds() {
	if [ -n "$PG_URL" ]; then
		fds "$1" | grep -xFf <(ss -x | awk '$5 ~ /\.s\.PGSQL\./ { print "socket:[" $8 "]" }')
	else
		fds "$1" | grep 'lancre\.db$'
	fi
}
# The descriptors of non-dumpable processes (the supervisor and its children, which
# inherit it) are only readable by root.
if [ "$(id -u)" -eq 0 ]; then
	if store_fds "$pid" | grep -q .; then not_ok "the supervisor holds the store: $(store_fds "$pid" | tr '\n' ' ')"; else ok "the supervisor ($pid) holds no store descriptor${PG_URL:+ (no connection to PostgreSQL)}"; fi
	if store_fds "$server" | grep -q .; then ok "(the server holds one: the check sees store descriptors)"; else not_ok "the server holds no store descriptor: the check is blind"; fi
else
	ok "# SKIP not root: the processes' descriptors are only readable by root"
fi

# Started as root (CI): every process has left uid 0 for its row's user.
if [ "$(id -u)" -eq 0 ]; then
	su=$(id -u lancre-signer) sg=$(id -g lancre-signer) eu=$(id -u lancre-server) eg=$(id -g lancre-server)
	same "the supervisor runs as lancre-signer (Uid)" "$(status_of "$pid" Uid)" "$su $su $su $su"
	same "the supervisor runs as lancre-signer (Gid)" "$(status_of "$pid" Gid)" "$sg $sg $sg $sg"
	same "the supervisor keeps only CAP_SETUID, CAP_SETGID, CAP_KILL" "$(status_of "$pid" CapEff)/$(status_of "$pid" CapPrm)" "00000000000000e0/00000000000000e0"
	same "the supervisor has no supplementary group" "$(status_of "$pid" Groups)" ""
	same "the server runs as lancre-server (Uid)" "$(status_of "$server" Uid)" "$eu $eu $eu $eu"
	same "the server runs as lancre-server (Gid)" "$(status_of "$server" Gid)" "$eg $eg $eg $eg"
	same "the server has no capability" "$(status_of "$server" CapEff)/$(status_of "$server" CapPrm)" "0000000000000000/0000000000000000"
	same "the signer runs as lancre-signer (Uid)" "$(status_of "$signer" Uid)" "$su $su $su $su"
	same "the signer runs as lancre-signer (Gid)" "$(status_of "$signer" Gid)" "$sg $sg $sg $sg"
	same "the signer has no capability" "$(status_of "$signer" CapEff)/$(status_of "$signer" CapPrm)" "0000000000000000/0000000000000000"
	# Not dumpable: even its own user cannot read its /proc files (nor ptrace it).  (The
	# kernel also clears "dumpable" at a change of uid, so these pass without lancre's
	# PR_SET_DUMPABLE: the one-user run below is what checks it, and RLIMIT_CORE 0 here.)
	if as_user lancre-signer cat "/proc/$signer/environ" >/dev/null 2>&1; then not_ok "lancre-signer can read the signer's /proc/PID/environ: it is dumpable"; else ok "the signer is not dumpable: /proc/$signer/environ is unreadable even as lancre-signer"; fi
	if as_user lancre-server cat "/proc/$signer/environ" >/dev/null 2>&1; then not_ok "the server's user reads the signer's environment"; else ok "and as lancre-server"; fi
	if as_user lancre-signer cat "/proc/$pid/environ" >/dev/null 2>&1; then not_ok "the supervisor is dumpable"; else ok "the supervisor is not dumpable either"; fi
	same "the signer may not dump core" "$(awk '/^Max core file size/ { print $5 $6 }' "/proc/$signer/limits")" "00"
	au=$(id -u lancre-admin) ag=$(id -g lancre-admin)
	same "the admin API's process runs as lancre-admin (Uid)" "$(status_of "$adminp" Uid)" "$au $au $au $au"
	same "the admin API's process runs as lancre-admin (Gid)" "$(status_of "$adminp" Gid)" "$ag $ag $ag $ag"
	same "the admin API's process has no capability" "$(status_of "$adminp" CapEff)/$(status_of "$adminp" CapPrm)" "0000000000000000/0000000000000000"
	if [ -n "$PG_URL" ]; then
		# No file: what keeps the server from writing is its session (and its role, OPERATOR.md).
		same "lancre-server reaches the store in PostgreSQL" "$(as_user lancre-server psql "$PG_URL" -X -A -t -c 'select count(*) from issuers')" 1
	elif as_user lancre-server cat "$D/lancre.db" >/dev/null 2>&1 && ! as_user lancre-server sh -c "echo >> '$D/lancre.db'" 2>/dev/null; then ok "lancre-server may read lancre.db, not write it"; else not_ok "lancre-server's access to lancre.db"; fi
else
	ok "# SKIP not root: users and capabilities are checked when the tests run as root"
fi
# No process but the signer has a key file open (keys in $T, and DIR/private/).
for p in "$pid" "$server" "$adminp"; do
	[ "$(id -u)" -eq 0 ] || break
	if fds "$p" | grep -q '\.key$\|/private/'; then not_ok "process $p has a key file open"; else ok "process $p has no key file open"; fi
done

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
# Meanwhile no other program can take the port: it stays bound in the supervisor.
if "$PY" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$P" 2>/dev/null; then not_ok "the port was free while the server restarted"; else ok "while the server restarts, the port cannot be bound by another program"; fi
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

# One user for every process (`lancre run` started by a normal user; as root, the test
# runs it as lancre-signer in a directory that user owns): no uid separates the
# processes, so only PR_SET_DUMPABLE 0 keeps that user, and so a taken-over server,
# out of the signer's and the supervisor's memory.  (Started as root the kernel clears
# "dumpable" at the change of uid anyway: the checks above cannot tell.)
ONE=() # the prefix that runs a command as that user (setpriv execs: $! is the command)
[ "$(id -u)" -eq 0 ] && ONE=(setpriv --reuid=lancre-signer --regid="$(id -g lancre-signer)" --clear-groups)
O1=$T/one
mkdir "$O1"
[ "$(id -u)" -eq 0 ] && chown lancre-signer "$O1"
"${ONE[@]}" "$LANCRE" init -d "$O1" >/dev/null
"${ONE[@]}" "$LANCRE" issuer add -d "$O1" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
P1=$(free_port)
"${ONE[@]}" "$LANCRE" run -d "$O1" --listen "127.0.0.1:$P1" --admin "127.0.0.1:$(free_port)" --api "127.0.0.1:$(free_port)" \
	--threads 1 >"$T/one.out" 2>"$T/one.err" &
opid=$!
wait_http "http://127.0.0.1:$P1/issuer/e1" $((10 * TF))
osigner=$(child_pid "$opid" signer)
if [ -n "$osigner" ] && [ "$(status_of "$osigner" Uid)" = "$(status_of "$opid" Uid)" ]; then ok "one user: the supervisor ($opid) and its signer ($osigner) run as $(id -un "$(status_of "$opid" Uid | cut -d' ' -f1)")"; else not_ok "one user: no signer child of $opid, or another user"; fi
# The control: the same user reads the /proc files of its own dumpable process.
"${ONE[@]}" sleep 30 &
spid=$!
sleep 0.2
if "${ONE[@]}" cat "/proc/$spid/environ" >/dev/null 2>&1 && "${ONE[@]}" sh -c 'exec 3<"$1"' sh "/proc/$spid/mem"; then ok "(control: that user opens its own dumpable process's environ and mem)"; else not_ok "the control cannot read /proc/$spid/environ or mem: the checks below are blind"; fi
kill "$spid"
wait "$spid" 2>/dev/null
for w in signer:"$osigner" supervisor:"$opid"; do
	name=${w%%:*} p=${w#*:}
	[ -d "/proc/$p" ] || { not_ok "one user: no $name process"; continue; }
	if "${ONE[@]}" cat "/proc/$p/environ" >/dev/null 2>&1; then not_ok "one user: the $name's environ is readable by its own user (dumpable)"; else ok "one user: the $name's /proc/PID/environ is unreadable by its own user"; fi
	if "${ONE[@]}" sh -c 'exec 3<"$1"' sh "/proc/$p/mem" 2>/dev/null; then not_ok "one user: the $name's /proc/PID/mem opens as its own user"; else ok "one user: nor its /proc/PID/mem (no ptrace access)"; fi
	same "one user: the $name's /proc files belong to root (not dumpable)" "$(stat -c %u "/proc/$p/environ")" 0
done
# lancre.conf replaced as an editor does (a new file renamed over it): the server's
# sandbox names the old file only, so the supervisor reads the new one on SIGHUP and
# hands it over; the about page names the new [about] ca_name, and nothing is refused.
cp "$O1/lancre.conf" "$T/one.conf"
conf_set "$T/one.conf" about ca_name "Renamed Test CA"
ino=$(stat -c %i "$O1/lancre.conf")
"${ONE[@]}" sh -c 'cat "$1" >"$2.tmp" && mv "$2.tmp" "$2"' sh "$T/one.conf" "$O1/lancre.conf"
about() { curl -s "http://127.0.0.1:$P1/?lang=en" | grep -c "Renamed Test CA"; }
if [ "$(stat -c %i "$O1/lancre.conf")" != "$ino" ] && [ "$(about)" = 0 ]; then ok "one user: lancre.conf replaced by a new file (inode $ino -> $(stat -c %i "$O1/lancre.conf")), not yet read"; else not_ok "one user: lancre.conf was not replaced, or the new name is served already"; fi
kill -HUP "$opid"
for _ in $(seq 1 $((40 * TF))); do [ "$(about)" != 0 ] && break; sleep 0.05; done
if [ "$(about)" != 0 ]; then ok "one user: after SIGHUP the about page names the new [about] ca_name"; else not_ok "one user: the replaced lancre.conf's ca_name is not served after SIGHUP"; fi
# (the signer may say so a moment after the server serves the new name)
for _ in $(seq 1 $((40 * TF))); do [ "$(grep -c "Settings reloaded from $O1/lancre.conf" "$T/one.out")" = 2 ] && break; sleep 0.05; done
same "one user: the server and the signer say they reloaded" "$(grep -c "Settings reloaded from $O1/lancre.conf" "$T/one.out")" 2
same "one user: and nothing is logged as an error" "$(cat "$T/one.err")" ""
# A server that dies after that SIGHUP starts again with the settings then read, not
# with those `lancre run` started with.
oserver=$(child_pid "$opid" server)
kill -9 "$oserver"
for _ in $(seq 1 $((40 * TF))); do
	nserver=$(child_pid "$opid" server)
	[ -n "$nserver" ] && [ "$nserver" != "$oserver" ] && break
	sleep 0.05
done
wait_http "http://127.0.0.1:$P1/issuer/e1" $((5 * TF))
if [ -n "$nserver" ] && [ "$nserver" != "$oserver" ] && [ "$(about)" != 0 ]; then ok "one user: a server restarted after the SIGHUP ($oserver killed, $nserver) serves the new [about] ca_name"; else not_ok "one user: the restarted server ('$nserver') went back to the settings run started with"; fi
kill -TERM "$opid"
wait_gone "$opid" 15
same "one user: SIGTERM, exit 0" "$st" 0

# Owners when started as root: init sets them, write commands become lancre-signer (what
# they create is its), a directory with other owners is one line naming the fix, a
# missing user one line naming useradd.
if [ "$(id -u)" -eq 0 ]; then
	O=$T/owners
	"$LANCRE" init -d "$O" >/dev/null
	same "init as root: DIR" "$(stat -c '%U:%G %a' "$O")" "lancre-signer:lancre-server 2750"
	if [ -n "$PG_URL" ]; then
		if [ ! -e "$O/lancre.db" ]; then ok "init as root: no lancre.db (the store is in PostgreSQL)"; else not_ok "init as root made a lancre.db beside a PostgreSQL store"; fi
	else
		# 660: with an ACL, the group bits show its mask; lancre-admin is named in it
		# and writes (proc/acl.h), the server's group still only reads (admin_api.sh).
		same "init as root: lancre.db" "$(stat -c '%U:%G %a' "$O/lancre.db")" "lancre-signer:lancre-server 660"
	fi
	same "init as root: lancre.conf" "$(stat -c '%U:%G %a' "$O/lancre.conf")" "lancre-signer:lancre-server 640"
	same "init as root: private/" "$(stat -c '%U:%G %a' "$O/private")" "lancre-signer:lancre-signer 700"
	same "init as root: public/" "$(stat -c '%U:%G %a' "$O/public")" "lancre-signer:lancre-server 2750"
	"$LANCRE" issuer add -d "$O" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
	"$LANCRE" cert add -d "$O" "$T/a.pem" >/dev/null 2>&1
	expect 0 "sign --once as root" "$LANCRE" sign -d "$O" --once
	# (but DIR/admin.token: init's first token stays with whoever ran init, OPERATOR.md)
	same "what it wrote belongs to lancre-signer" "$(find "$O" ! -user lancre-signer ! -path "$O/admin.token" | wc -l)" 0
	same "sign.lock is lancre-signer's, 0600" "$(stat -c '%U %a' "$O/sign.lock")" "lancre-signer 600"
	# lancre sign alone, as root: lancre-signer, no core file, and its [crl] hook (run
	# without a shell: a script that writes who it runs as) runs as lancre-signer too.
	# (in the signer's sandbox, the hook may write under public/ only)
	printf '#!/bin/sh\nid -un >> %s/public/hook.user\n' "$O" >"$T/hook.sh"
	chmod 755 "$T/hook.sh"
	conf_set "$O/lancre.conf" crl hook "$T/hook.sh"
	conf_set "$O/lancre.conf" crl delay 1s # the revocation below is published (and hooked) at once
	"$LANCRE" revoke -d "$O" "$T/a.pem" >/dev/null
	"$LANCRE" sign -d "$O" >"$T/sign.out" 2>&1 &
	spid=$!
	for _ in $(seq 1 $((100 * TF))); do [ -s "$O/public/hook.user" ] && break; sleep 0.05; done
	same "lancre sign as root runs as lancre-signer" "$(status_of "$spid" Uid)" "$su $su $su $su"
	same "with no core file" "$(awk '/^Max core file size/ { print $5 $6 }' "/proc/$spid/limits")" "00"
	same "its [crl] hook runs as lancre-signer" "$(sort -u "$O/public/hook.user")" "lancre-signer"
	kill -TERM "$spid"
	wait_gone "$spid" 10
	same "and it stops with 0" "$st" 0
	# The store's file, or with PostgreSQL the directory (its lancre.conf, private/, public/).
	owned=$O/lancre.db what="a store"
	[ -n "$PG_URL" ] && owned=$O what="a data directory"
	chown root:root "$owned"
	expect 1 "$what owned by root: revoke as root is refused" "$LANCRE" revoke -d "$O" "$T/b.pem"
	one_line_error "in one line"
	has "$ERR" "^lancre revoke: $owned belongs to uid 0, gid 0, not to \[signer\] user lancre-signer .*chown -R lancre-signer:$(id -g lancre-server) $O" "naming the fix"
	expect 1 "and lancre run too" "$LANCRE" run -d "$O" --listen "127.0.0.1:$(free_port)" --admin "127.0.0.1:$(free_port)" --api "127.0.0.1:$(free_port)"
	has "$ERR" "chown -R lancre-signer" "naming the fix"
	chown -R "lancre-signer:lancre-server" "$O"
	"$LANCRE" cert add -d "$O" "$T/b.pem" >/dev/null 2>&1
	expect 0 "after the fix, revoke works" "$LANCRE" revoke -d "$O" "$T/b.pem"
	conf_set "$O/lancre.conf" signer user lancre-nosuchuser
	expect 1 "a missing [signer] user: run refused" "$LANCRE" run -d "$O" --listen "127.0.0.1:$(free_port)" --admin "127.0.0.1:$(free_port)" --api "127.0.0.1:$(free_port)"
	one_line_error "in one line"
	has "$ERR" "useradd --system --user-group --no-create-home --shell /usr/sbin/nologin lancre-nosuchuser" "giving the useradd command"
fi

echo "1..$n"
