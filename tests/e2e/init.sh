#!/bin/bash
# lancre init: a data directory with a commented lancre.conf and a WAL SQLite store.
. "$(dirname "$0")/lib.sh"

D=$T/data
expect 0 "init creates a data dir" "$LANCRE" init -d "$D"
if [ -f "$D/lancre.conf" ] && [ -f "$D/lancre.db" ]; then ok "lancre.conf and lancre.db exist"; else not_ok "lancre.conf and lancre.db exist"; fi
same "the store is in WAL mode" "$(sqlite3 "$D/lancre.db" 'PRAGMA journal_mode')" wal
same "the schema is versioned" "$(sqlite3 "$D/lancre.db" 'PRAGMA user_version')" 10
same "a new store has 8 KiB pages" "$(sqlite3 "$D/lancre.db" 'PRAGMA page_size')" 8192
same "the store passes integrity_check" "$(sqlite3 "$D/lancre.db" 'PRAGMA integrity_check')" ok
has "$D/lancre.conf" '^; ' "lancre.conf is commented"
has "$D/lancre.conf" '^validity = 4d' "lancre.conf shows the OCSP validity default"
has "$D/lancre.conf" '^shards = 1' "lancre.conf shows the CRL shard count"
has "$D/lancre.conf" '^base = http://127.0.0.1:8080' "lancre.conf has the base URL"

expect 1 "init refuses an existing data dir" "$LANCRE" init -d "$D"
one_line_error "with one line"
same "and leaves the store alone" "$(sqlite3 "$D/lancre.db" 'PRAGMA user_version')" 10

expect 0 "init takes --listen, --shards and --domain" "$LANCRE" init -d "$T/d2" --listen 127.0.0.1:9090 --shards 128 --domain pki.example
has "$T/d2/lancre.conf" '^shards = 128' "--shards is written"
for bad in 0 -4 +4 " 4" 4x 4294967297 99999999999999999999; do
	expect 2 "--shards '$bad' is a usage error" "$LANCRE" init -d "$T/d3" --shards "$bad"
done
if [ -e "$T/d3" ]; then not_ok "a refused --shards created nothing"; else ok "a refused --shards created nothing"; fi
has "$T/d2/lancre.conf" '^style = host' "--domain selects host-style URLs"
has "$T/d2/lancre.conf" '^domain = pki.example' "--domain is written"

# A bad lancre.conf is refused with the file and line.
"$LANCRE" init -d "$T/d3" >/dev/null
conf_set "$T/d3/lancre.conf" ocsp validity 30d
expect 1 "an OCSP validity over 10 days is refused" "$LANCRE" issuer list -d "$T/d3"
has "$ERR" 'validity must be between 8h and 10d' "the message gives the allowed range"
"$LANCRE" init -d "$T/d4" >/dev/null
printf '\n[ocsp]\nvaldity = 4d\n' >>"$T/d4/lancre.conf"
expect 1 "an unknown setting is refused" "$LANCRE" issuer list -d "$T/d4"
has "$ERR" 'unknown setting \[ocsp\] valdity' "the typo is named"
has "$ERR" 'lancre.conf:[0-9]+' "with its line number"

# Out-of-range values and duplicate keys name their line (issue 15 item 19).
line=$(grep -n '^validity = 30d' "$T/d3/lancre.conf" | cut -d: -f1)
expect 1 "an out-of-range value is refused" "$LANCRE" issuer list -d "$T/d3"
has "$ERR" "lancre.conf:$line: \[ocsp\] validity must be between" "naming lancre.conf:$line, where it is"
"$LANCRE" init -d "$T/d7" >/dev/null
printf '\n[crl]\nshards = 4\n' >>"$T/d7/lancre.conf"
expect 1 "a key set twice is refused" "$LANCRE" issuer list -d "$T/d7"
one_line_error "in one line"
has "$ERR" "lancre.conf:$(wc -l <"$T/d7/lancre.conf"): \[crl\] shards is set twice \(first on line $(grep -n '^shards = 1' "$T/d7/lancre.conf" | cut -d: -f1)\)" "naming both lines"

# A file that is not a database.
"$LANCRE" init -d "$T/d5" >/dev/null
echo "not a database" >"$T/d5/lancre.db"
rm -f "$T/d5/lancre.db-wal" "$T/d5/lancre.db-shm"
expect 1 "a corrupt store is refused" "$LANCRE" issuer list -d "$T/d5"
one_line_error "with one line"

# A newer schema than the binary knows is refused, not guessed at.
"$LANCRE" init -d "$T/d6" >/dev/null
sqlite3 "$T/d6/lancre.db" 'PRAGMA user_version = 999'
expect 1 "a store from a newer lancre is refused" "$LANCRE" issuer list -d "$T/d6"
has "$ERR" 'newer than this lancre' "the message says why"
