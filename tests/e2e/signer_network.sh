#!/bin/bash
# The signer has no network unless [signer] network = yes (issue 16: "the signer
# has no listening socket and, unless a configured HSM needs the network, no
# network").  Seen from the running system: a running `lancre sign`, its
# sandbox in /proc, and its [crl] hook (which runs inside the signer's sandbox,
# under the same filter and Landlock rules) trying to reach a listener on this
# machine with bash's /dev/tcp.  With network = no (the default) the socket is
# refused with "Permission denied" and nothing reaches the listener; with yes
# the hook connects and the listener gets the file's path.
. "$(dirname "$0")/lib.sh"

if [ "$(uname -s)" != Linux ] || ! grep -q '^Seccomp:' /proc/self/status; then
	echo "1..0 # SKIP needs Linux with seccomp"
	exit 0
fi

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
NP=$(free_port)

# A listener outside any sandbox that writes down every line it receives (60 s at most).
cat >"$T/listen.py" <<'PYEOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    data = c.recv(4096)
    with open(sys.argv[2], "ab") as f:
        f.write(data)
    c.close()
PYEOF
"$PY" "$T/listen.py" "$NP" "$T/got" &
lpid=$!
trap 'kill $lpid 2>/dev/null; lib_exit' EXIT
: >"$T/got"

# The hook may write only under public/ (the signer's sandbox): it notes what happened there.
cat >"$T/hook" <<EOF
#!/bin/bash
if exec 3<>/dev/tcp/127.0.0.1/$NP; then
	echo "\$1" >&3
	echo connected >>"$D/public/net.log"
else
	echo refused >>"$D/public/net.log"
fi 2>>"$D/public/net.err"
EOF
chmod 755 "$T/hook"
conf_set "$D/lancre.conf" crl hook "$T/hook"

# run_signer: `lancre sign` until the hook has run for the first file; sets $gpid.
run_signer() {
	rm -rf "$D/public/crl" "$D/public/net.log" "$D/public/net.err"
	"$LANCRE" sign -d "$D" >"$T/sign.out" 2>"$T/sign.err" &
	gpid=$!
	wait_file "$D/public/net.log" 20
}

run_signer
same "network = no (default): the signer runs sandboxed" \
	"$(awk '$1 == "Seccomp:" { print $2 }' /proc/"$gpid"/status)" 2
same "the hook's connection is refused" "$(sort -u "$D/public/net.log")" refused
has "$D/public/net.err" "Permission denied" "with Permission denied (EACCES, not a kill)"
if grep -q 'status 159' "$T/sign.err"; then not_ok "a hook was killed: $(cat "$T/sign.err")"; else ok "no hook killed by SIGSYS"; fi
same "nothing reached the listener" "$(wc -c <"$T/got")" 0
kill -TERM "$gpid"
wait_gone "$gpid" 20
same "lancre sign exits 0" "$st" 0

conf_set "$D/lancre.conf" signer network yes
run_signer
same "network = yes: the hook connects" "$(sort -u "$D/public/net.log")" connected
for _ in $(seq 1 $((40 * TF))); do grep -q '\.crl$' "$T/got" && break; sleep 0.05; done
has "$T/got" "^$D/public/crl/" "and the listener gets the published file's path"
kill -TERM "$gpid"
wait_gone "$gpid" 20
same "lancre sign exits 0" "$st" 0
echo "1..$n"
