#!/bin/bash
# bench/pgstore.sh BUILD_DIR - the PostgreSQL store next to SQLite on the same
# data (issue 18): import, pre-signing, the server's start-up and its GET rate.
#
#   N=1000000 RUNS=3 bench/pgstore.sh build
#
# Starts a throwaway PostgreSQL 15 (scripts/pg.sh: initdb in a temporary
# directory, a free loopback port, stopped by its PID on exit), makes a P-256
# intermediate and N leaves with lancre-gencerts, then, RUNS times and for
# each store in turn (SQLite, then PostgreSQL, a fresh data directory and a
# fresh database each run):
#   - times `lancre cert add -q` of the N certificates (issue 18's goal for
#     PostgreSQL: 1M in at most 60 s), and counts its CPU as for signing
#     below (the database server's share, per row, is the figure to compare
#     between builds on a loaded machine);
#   - on PostgreSQL, runs `VACUUM (ANALYZE)` on the new database, untimed
#     (VACUUM=no skips it): PostgreSQL's own advice after a bulk load, which
#     docs/OPERATOR.md repeats.  Without it autovacuum's first visit to the
#     new tables lands inside the signing or not, depending on the minute
#     (session 16: ~7 s of the database's CPU per 1M when it does, as much
#     as the whole gap to the goal);
#   - times `lancre sign --once` with `[ocsp] sha256 = no` (N responses; goal:
#     PostgreSQL's rate at least 0.8 of SQLite's), and counts the CPU it took:
#     lancre's (user + system) and, on PostgreSQL, the database server's (its
#     processes' and its reaped children's, /proc/PID/stat, the backend that
#     served lancre included; the part of it that the backends and autovacuum
#     workers took, and how many times autovacuum ran meanwhile, apart).  On a
#     shared machine the CPU ratio is the figure to trust: under load the
#     backend gets a CPU share of its own and the wall-clock ratio says little
#     (docs/BENCHMARKS.md);
#   - on the last run only, starts `lancre serve --threads 2` on each store,
#     times its start-up (until /healthz answers and /metrics counts N
#     responses), and loads it with h2load (GET, 100,000 stored serials drawn
#     at random, 64 connections) after a warm-up; the two stores' req/s and
#     p99 are printed side by side (goal: within 5%).  SERVE=no skips this
#     part: bench/startup.sh measures a node's first answer and its GET rate
#     over all the responses, on both stores (pg:SIZE).
# Each run checks the counts: N certificates and N responses in the store.
#
# The PostgreSQL store is reached through the server's unix socket (no
# password: a benchmark measures the store, not authentication). Results go
# to stdout; progress to stderr; work files in bench/out/ are removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-3}
GET_N=${GET_N:-300000}
SERVE=${SERVE:-yes}
VACUUM=${VACUUM:-yes}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint N "$N"
posint RUNS "$RUNS"

need openssl openssl
need /usr/bin/time time
need h2load nghttp2-client
need psql postgresql-client-15
need sqlite3 sqlite3

bench_setup pgstore "$1" lancre lancre-gencerts lancre-ocspbench
chmod 755 "$work" # started as root, lancre runs as lancre-signer and lancre-server
bench_stop_on_exit
lancre=$work/bin/lancre
gencerts=$work/bin/lancre-gencerts
ocspbench=$work/bin/lancre-ocspbench

# --- PostgreSQL, stopped by its PID whatever happens. ------------------------
bench_pg_start
# pg_ticks: CPU clock ticks the PostgreSQL server has used so far: the postmaster's
# own and its reaped children's, and those of its children still running.
pg_ticks() {
	local pm t c
	pm=$(cat "$pgdir/pid")
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for c in $(ps -o pid= --ppid "$pm"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# pg_reaped: of pg_ticks, those of the server's children that have exited and been
# reaped: the backends (the one that served lancre) and the autovacuum workers; the
# rest is the server's own processes (WAL writer, checkpointer, background writer).
pg_reaped() {
	awk '{ print $16 + $17 }' "/proc/$(cat "$pgdir/pid")/stat"
}
# autovac DB: "vacuums analyzes" autovacuum has run so far on DB's tables.
autovac() {
	psql -X -A -t -F ' ' "$(pg_url "$1")" -c "select coalesce(sum(autovacuum_count), 0),
		coalesce(sum(autoanalyze_count), 0) from pg_stat_user_tables"
}
# pg_idle DB: wait (at most 10 s) until no backend is connected to DB: the one that
# served lancre has exited and been reaped, its CPU counted in the postmaster's.
pg_idle() {
	local i
	for i in $(seq 1 200); do
		[ "$(psql -X -A -t "$(pg_url postgres)" -c \
			"select count(*) from pg_stat_activity where datname = '$1'")" = 0 ] && return 0
		sleep 0.05
	done
}
hz=$(getconf CLK_TCK)

# new_dir DIR STORE: a data directory on STORE (sqlite, or pg:DB) with e1 registered.
new_dir() {
	local d=$1 store=$2
	case $store in
	sqlite) "$lancre" init -d "$d" >/dev/null ;;
	pg:*)
		psql_admin -c "DROP DATABASE IF EXISTS ${store#pg:}" -c "CREATE DATABASE ${store#pg:}"
		"$lancre" init -d "$d" --store "$(pg_url "${store#pg:}")" >/dev/null
		;;
	esac
	"$lancre" issuer add -d "$d" e1 int.pem int.key >/dev/null
	sed -i 's/^sha256 = .*/sha256 = no/' "$d/lancre.conf"
	grep -q '^sha256 = no$' "$d/lancre.conf" || die "cannot set [ocsp] sha256 = no"
}
# counts DIR KIND: "certificates responses" in DIR's store.
counts() {
	local q='select (select count(*) from certificates), (select count(*) from ocsp_responses)'
	case $2 in
	sqlite) sqlite3 -separator ' ' "$1/lancre.db" "$q" ;;
	pg) psql -X -A -t -F ' ' "$(pg_url "lancre_bench_${1##*-}")" -c "$q" ;;
	esac
}

say "making the root, the intermediate and $N certificates"
bench_root
bench_int int p256 "lancre bench E1"
# Started as root, the commands that write a store run as lancre-signer, which reads the key.
if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then chown lancre-signer int.key; fi
"$gencerts" --issuer-cert int.pem --issuer-key int.key --count "$N" --out certs.der \
	2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }

: >runs
[ "$VACUUM" = yes ] && say "PostgreSQL: VACUUM (ANALYZE) after each import, untimed (VACUUM=no: none)"
for r in $(seq 1 "$RUNS"); do
	for store in sqlite pg:lancre_bench_$r; do
		kind=${store%%:*}
		d=d-$kind-$r
		new_dir "$d" "$store"
		sync
		[ "$kind" = pg ] && pg_idle "${store#pg:}" && p0=$(pg_ticks)
		/usr/bin/time -f '%e %M %U %S' -o t.import "$lancre" cert add -q -d "$d" certs.der ||
			die "run $r ($kind): lancre cert add failed"
		pi=0
		[ "$kind" = pg ] && pg_idle "${store#pg:}" && p1=$(pg_ticks) && pi=$((p1 - p0)) && p0=$p1
		if [ "$kind" = pg ] && [ "$VACUUM" = yes ]; then
			psql -X -q "$(pg_url "${store#pg:}")" -c "VACUUM (ANALYZE)" || die "run $r: VACUUM failed"
			pg_idle "${store#pg:}" && p0=$(pg_ticks)
		fi
		[ "$kind" = pg ] && read -r av0 aa0 <<<"$(autovac "${store#pg:}")" && r0=$(pg_reaped)
		/usr/bin/time -f '%e %M %U %S' -o t.sign "$lancre" sign -d "$d" --once >sign.log 2>&1 ||
			{ cat sign.log >&2; die "run $r ($kind): lancre sign failed"; }
		pc=0 rc=0 av=0 aa=0
		[ "$kind" = pg ] && pg_idle "${store#pg:}" && pc=$(($(pg_ticks) - p0)) &&
			rc=$(($(pg_reaped) - r0)) && read -r av aa <<<"$(autovac "${store#pg:}")" &&
			av=$((av - av0)) aa=$((aa - aa0))
		read -r nc nr <<<"$(counts "$d" "$kind")"
		[ "$nc" = "$N" ] && [ "$nr" = "$N" ] ||
			die "run $r ($kind): $nc certificates and $nr responses, expected $N of each"
		read -r ti mi iu isy <<<"$(tail -1 t.import)"
		read -r ts ms us ss <<<"$(tail -1 t.sign)"
		cpu=$(awk -v u="$us" -v s="$ss" -v p="$pc" -v hz="$hz" 'BEGIN { printf "%.2f", u + s + p / hz }')
		icpu=$(awk -v u="$iu" -v s="$isy" -v p="$pi" -v hz="$hz" 'BEGIN { printf "%.2f", u + s + p / hz }')
		dbi=$(awk -v p="$pi" -v hz="$hz" 'BEGIN { printf "%.2f", p / hz }')
		dbs=$(awk -v p="$pc" -v hz="$hz" 'BEGIN { printf "%.2f", p / hz }')
		dbr=$(awk -v p="$rc" -v hz="$hz" 'BEGIN { printf "%.2f", p / hz }')
		say "run $r/$RUNS $kind: import $ti s ($((mi / 1024)) MB, CPU $icpu s of which the" \
			"database's $dbi s), sign $ts s ($((ms / 1024)) MB, CPU $cpu s of which the database's $dbs s:" \
			"its backends and autovacuum workers $dbr s, autovacuum runs $av vacuums and $aa analyzes)"
		echo "$kind $ti $ts $cpu $icpu $dbi $dbs $dbr $av $aa" >>runs
		[ "$r" -eq "$RUNS" ] || { [ "$kind" = sqlite ] && rm -rf "$d"; } || true
	done
done

med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' runs | median; }
si=$(med sqlite 2) pi=$(med pg 2) ss=$(med sqlite 3) ps=$(med pg 3) sc=$(med sqlite 4) pc=$(med pg 4)
awk -v n="$N" -v si="$si" -v pi="$pi" -v ss="$ss" -v ps="$ps" -v r="$RUNS" -v sc="$sc" -v pc="$pc" 'BEGIN {
	printf "pgstore import: %d certs, SQLite %.1f s (%.0f/s), PostgreSQL %.1f s (%.0f/s), median of %d; " \
	    "goal PostgreSQL 1M <= 60 s: %s (%.1f s per 1M)\n", n, si, n / si, pi, n / pi, r,
	    pi * 1000000 / n <= 60 ? "met" : "MISSED", pi * 1000000 / n
	printf "pgstore sign: %d responses, SQLite %.1f s (%.0f/s), PostgreSQL %.1f s (%.0f/s); " \
	    "ratio %.2f (goal >= 0.8: %s)\n", n, ss, n / ss, ps, n / ps, ss / ps,
	    (ss / ps >= 0.8) ? "met" : "MISSED"
	printf "pgstore sign CPU (lancre + the database): SQLite %.2f s, PostgreSQL %.2f s; " \
	    "SQLite / PostgreSQL %.2f (the wall-clock ratio on an idle machine with as many cores " \
	    "as signing threads)\n", sc, pc, sc / pc }'
awk -v n="$N" -v sic="$(med sqlite 5)" -v pic="$(med pg 5)" -v pid="$(med pg 6)" -v psd="$(med pg 7)" 'BEGIN {
	printf "pgstore database CPU per row: import %.1f us (%.2f s), sign %.1f us (%.2f s); " \
	    "import CPU (lancre + the database): SQLite %.2f s, PostgreSQL %.2f s\n",
	    pid * 1e6 / n, pid, psd * 1e6 / n, psd, sic, pic }'
awk -v n="$N" -v r="$(med pg 8)" -v d="$(med pg 7)" -v av="$(med pg 9)" -v aa="$(med pg 10)" 'BEGIN {
	printf "pgstore sign database CPU: backends and autovacuum workers %.1f us a row (%.2f s), " \
	    "the server'"'"'s own processes (WAL writer, checkpointer, ...) %.2f s; autovacuum runs " \
	    "while signing: %d vacuums, %d analyzes (medians)\n", r * 1e6 / n, r, d - r, av, aa }'

# --- The server on each store: start-up and GET. --------------------------------
if [ "$SERVE" = no ]; then
	echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
	exit 0
fi
say "lancre-ocspbench requests: 100000 stored serials"
"$ocspbench" requests -d "d-sqlite-$RUNS" --requests 100000 --out reqs.txt ||
	die "lancre-ocspbench failed"
metric() {
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
# has_all PORT: the node whose /metrics are on PORT holds all N responses.
has_all() { [ "$(metric lancre_ocsp_responses "$1")" = "$N" ]; }
serve_on() {
	local kind=$1 d=$2 port admin t0 pid st
	read -r port admin <<<"$(free_ports 2)"
	t0=$(date +%s.%N)
	"$lancre" serve -d "$d" --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
		--threads 2 >"serve-$kind.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	bench_await 0.05 600 "$pid" "serve-$kind.log" "lancre serve ($kind)" has_all "$admin"
	st=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	awk -v p="$port" '{ print "http://127.0.0.1:" p "/ocsp/" $2 }' reqs.txt >"uris-$kind.txt"
	h2load --h1 -c 64 -t 1 -n 20000 -i "uris-$kind.txt" >/dev/null 2>&1 || true
	for i in 1 2 3; do
		h2load --h1 -c 64 -t 1 -n "$GET_N" -i "uris-$kind.txt" --log-file="h2-$kind-$i.log" \
			>"h2-$kind-$i.out" 2>&1 || die "h2load ($kind) failed"
		grep -q " 0 failed, 0 errored" "h2-$kind-$i.out" ||
			die "h2load ($kind): errors: $(grep 'requests:' "h2-$kind-$i.out")"
		rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "h2-$kind-$i.out")
		p99=$(awk '{ print $3 / 1000 }' "h2-$kind-$i.log" | sort -g |
			awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }')
		echo "$kind $rps $p99" >>get
	done
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$kind startup $st"
}
: >get
s_start=$(serve_on sqlite "d-sqlite-$RUNS" | awk '{ print $3 }')
p_start=$(serve_on pg "d-pg-$RUNS" | awk '{ print $3 }')
gm() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' get | median; }
awk -v n="$N" -v ss="$s_start" -v ps="$p_start" -v sr="$(gm sqlite 2)" -v pr="$(gm pg 2)" \
    -v sp="$(gm sqlite 3)" -v pp="$(gm pg 3)" 'BEGIN {
	printf "pgstore serve: %d responses; start-up SQLite %.2f s, PostgreSQL %.2f s (goal <= 1 s: %s)\n",
	    n, ss, ps, ps <= 1 ? "met" : "MISSED"
	printf "pgstore GET (h2load -c 64, median of 3): SQLite %.0f req/s p99 %.2f ms, PostgreSQL %.0f " \
	    "req/s p99 %.2f ms; ratio %.2f (goal >= 0.95: %s)\n", sr, sp, pr, pp, pr / sr,
	    (pr / sr >= 0.95) ? "met" : "MISSED" }'
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
