#!/bin/bash
# Opening the store: only `lancre init` creates one.  Every other command refuses
# a store file that is missing, empty or not lancre's (not SQLite, or SQLite
# without lancre's schema) with one line, and leaves the file's bytes as they
# were: a zero-length lancre.db once became a new, empty store that serve
# answered `unauthorized` from and `sign --once` rewrote (issue 15 item 8).
. "$(dirname "$0")/lib.sh"

mkca root
mkca e1 root ec
mkleaf a e1
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
P=$(free_port)

# digest FILE: its bytes' SHA-256, or "missing".
digest() { if [ -e "$1" ]; then sha256sum <"$1" | cut -d' ' -f1; else echo missing; fi; }

# refused CASE: every command but init fails with one line naming the store
# and leaves lancre.db (and any -wal/-shm) as it found them.
refused() {
	local what=$1 before after args
	before="$(digest "$D/lancre.db") $(digest "$D/lancre.db-wal") $(digest "$D/lancre.db-shm")"
	while IFS= read -r args; do
		# shellcheck disable=SC2086 # args is a word list on purpose
		expect 1 "$what: $args fails" timeout 10 "$LANCRE" $args
		one_line_error "$what: $args says so in one line"
		has "$ERR" "lancre.db" "$what: $args names the store file"
		after="$(digest "$D/lancre.db") $(digest "$D/lancre.db-wal") $(digest "$D/lancre.db-shm")"
		same "$what: $args changes nothing" "$after" "$before"
	done <<EOF
sign -d $D --once
serve -d $D --listen 127.0.0.1:$P
status -d $D $T/a.pem
issuer list -d $D
cert add -d $D $T/a.pem
revoke -d $D $T/a.pem
answer -d $D --post $T/req.der
urls -d $D --issuer e1
EOF
}

cp "$D/lancre.db" "$T/good.db"
rm -f "$D/lancre.db"
refused "a missing store"
has "$ERR" "only .lancre init. creates" "a missing store: the message says how one is made"

: >"$D/lancre.db"
refused "a zero-length store"
has "$ERR" "empty" "a zero-length store: the message says it is empty"

head -c 8192 /dev/urandom >"$D/lancre.db"
refused "a file of random bytes"
has "$ERR" "not an SQLite database" "random bytes: the message says what it is not"

rm -f "$D/lancre.db"
sqlite3 "$D/lancre.db" 'CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ("mine");'
refused "another program's SQLite database"
has "$ERR" "not a lancre store" "another SQLite database: the message says whose it is not"
same "another program's database keeps its rows" "$(sqlite3 "$D/lancre.db" 'SELECT t FROM notes')" mine

# lancre's own store still opens.
cp "$T/good.db" "$D/lancre.db"
expect 0 "the real store opens" "$LANCRE" issuer list -d "$D"
has "$OUT" "^e1[[:space:]]" "and lists its issuer"

echo "1..$n"
