#!/bin/bash
# bench/pgnodes.sh BUILD_DIR - a revocation made through node A, served revoked
# by node B (issue 18: median and p99 over 100 revocations, goal p99 <= 1 s).
#
#   N=10000 REVOKES=100 bench/pgnodes.sh build
#
# Starts a throwaway PostgreSQL 15 (scripts/pg.sh, stopped by its PID on exit),
# makes a P-256 intermediate and N leaves with lancre-gencerts, records them in
# one PostgreSQL store and signs them (`lancre sign --once`), then runs what a
# two-node deployment runs on one database: the signer (`lancre sign`, its
# passes every 200 ms), node A's `lancre serve` and node B's `lancre serve`
# (its own data directory, the same lancre.conf, as tests/e2e/pg_nodes.sh sets
# them up), both started and loaded before the first revocation.  Then, one at
# a time, REVOKES stored serials drawn at random are revoked on A (`lancre
# revoke --issuer --serial`), each after a random pause of 0-400 ms (without
# it, each revocation would fall at the same point of the signer's cycle as
# the one before), and B is asked for each (OCSP GET over one keep-alive
# connection, every millisecond) until it answers revoked.  The time
# of one is from the moment `lancre revoke` returns (its transaction committed)
# until B's first revoked answer: the signer's wait for its next pass, the
# pass, the commit's NOTIFY, B's reload.  Median, p90, p99 and the most are
# printed; `lancre revoke`'s own time is printed beside them.
#
# The database is reached through the server's unix socket (no password).
# Results go to stdout; progress to stderr; work files in bench/out/ are removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-10000}
REVOKES=${REVOKES:-100}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint N "$N"
posint REVOKES "$REVOKES"
[ "$REVOKES" -le "$N" ] || die "REVOKES must be at most N"

need openssl openssl
need psql postgresql-client-15
need curl curl
if ! python3 -c 'import cryptography' 2>/dev/null; then
	[ "$(id -u)" -eq 0 ] || die "python3's cryptography is missing: apt-get install -y python3-cryptography"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-cryptography >&2 ||
		die "cannot install python3-cryptography"
fi

bench_setup pgnodes "$1" lancre lancre-gencerts lancre-ocspbench
chmod 755 "$work" # started as root, lancre runs as lancre-signer and lancre-server
bench_stop_on_exit
lancre=$work/bin/lancre

bench_pg_start
url=$(pg_url nodes)
psql_admin -c "CREATE DATABASE nodes" || die "cannot create the database"

say "making the root, the intermediate and $N certificates"
bench_root
bench_int int p256 "lancre bench E1"
if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then chown lancre-signer int.key; fi
"$work/bin/lancre-gencerts" --issuer-cert int.pem --issuer-key int.key --count "$N" \
	--out certs.der 2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }

da=$work/a db=$work/b
"$lancre" init -d "$da" --store "$url" >/dev/null
"$lancre" issuer add -d "$da" e1 int.pem int.key >/dev/null
sed -i 's/^sha256 = .*/sha256 = no/' "$da/lancre.conf" # one response per certificate, as clients ask
grep -q '^sha256 = no$' "$da/lancre.conf" || die "cannot set [ocsp] sha256 = no"
"$lancre" cert add -q -d "$da" certs.der || die "lancre cert add failed"
"$lancre" sign -d "$da" --once >sign.log 2>&1 || { cat sign.log >&2; die "lancre sign --once failed"; }
# Node B: its own directory, A's lancre.conf (the same store), owned as lancre init makes one.
mkdir -p "$db"
cp "$da/lancre.conf" "$db/lancre.conf"
chown -R "$(stat -c %u:%g "$da")" "$db"
"$work/bin/lancre-ocspbench" requests -d "$da" --requests "$REVOKES" --seed 7 --out reqs.txt ||
	die "lancre-ocspbench failed"

metric() {
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
# has_all PORT: the node whose /metrics are on PORT holds all N responses.
has_all() { [ "$(metric lancre_ocsp_responses "$1")" = "$N" ]; }
# serve_node NAME DIR: start `lancre serve` on DIR; sets port_NAME once it serves all N.
serve_node() {
	local name=$1 d=$2 port admin pid
	read -r port admin <<<"$(free_ports 2)"
	"$lancre" serve -d "$d" --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
		--threads 1 >"serve-$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	bench_await 0.05 600 "$pid" "serve-$name.log" "lancre serve ($name)" has_all "$admin"
	printf -v "port_$name" '%s' "$port"
}
"$lancre" sign -d "$da" >signer.log 2>&1 &
pids+=("$!")
serve_node a "$da"
serve_node b "$db"
say "signer and nodes A (port $port_a) and B (port $port_b) running on $N certificates"

# One revocation at a time: revoke on A, then ask B until it answers revoked.
python3 - "$lancre" "$da" "$port_b" reqs.txt >times.txt <<'EOF'
import http.client, random, subprocess, sys, time
from cryptography.x509 import ocsp

lancre, d, port, reqs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

def status(path):
    global conn
    try:
        conn.request("GET", "/ocsp/" + path)
        body = conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        return None
    return ocsp.load_der_ocsp_response(body).certificate_status

random.seed(7)
for line in open(reqs):
    serial, path = line.split()
    if status(path) != ocsp.OCSPCertStatus.GOOD:
        sys.exit(f"B does not answer {serial} good before its revocation")
    time.sleep(random.uniform(0, 0.4))  # at any point of the signer's 200 ms cycle
    t0 = time.monotonic()
    subprocess.run([lancre, "revoke", "-d", d, "--issuer", "e1", "--serial", serial],
                   check=True, stdout=subprocess.DEVNULL)
    t1 = time.monotonic()
    while status(path) != ocsp.OCSPCertStatus.REVOKED:
        if time.monotonic() - t1 > 30:
            sys.exit(f"B did not answer {serial} revoked within 30 s")
        time.sleep(0.001)
    print(f"{(time.monotonic() - t1) * 1000:.1f} {(t1 - t0) * 1000:.1f}")
EOF
[ "$(wc -l <times.txt)" -eq "$REVOKES" ] || die "only $(wc -l <times.txt) of $REVOKES revocations timed"

pct() { # pct COLUMN P: the P-th percentile (nearest rank) of column COLUMN of times.txt
	awk -v c="$1" '{ print $c }' times.txt | sort -g |
		awk -v p="$2" '{ v[NR] = $1 } END { r = int(NR * p / 100 + 0.999999); print v[r < 1 ? 1 : r] }'
}
awk -v n="$REVOKES" -v m="$(pct 1 50)" -v p90="$(pct 1 90)" -v p99="$(pct 1 99)" \
    -v max="$(pct 1 100)" -v rm="$(pct 2 50)" -v c="$N" 'BEGIN {
	printf "pgnodes A->B: %d revocations on A, served revoked by B (%d certificates): median %.0f ms, " \
	    "p90 %.0f ms, p99 %.0f ms, max %.0f ms (goal p99 <= 1 s: %s); lancre revoke itself: median %.0f ms\n",
	    n, c, m, p90, p99, max, p99 <= 1000 ? "met" : "MISSED", rm }'
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
