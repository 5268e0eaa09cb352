#!/bin/bash
# `lancre cert add`, `revoke` and `status` over the admin API (issue 19, "The
# CLI over the API"): with --api URL --token-file F, against a running `lancre
# run`, each prints what it prints with -d DIR, to the byte, and exits the
# same.  The writes are compared on two stores given the same inputs (D behind
# the API, D2 opened directly with -d); `status` on D itself, both ways, once
# the signer has caught up.  A token file others may read is refused, a wrong
# token and a token without the scope give one line naming the token file, the
# API down one line naming the URL, --api with -d a usage error; the token is
# never printed.
. "$(dirname "$0")/lib.sh"

D=$T/data D2=$T/direct
"$LANCRE" init -d "$D" >/dev/null
"$LANCRE" init -d "$D2" >/dev/null
mkca root
mkca e1 root ec
mkca other root ec # not registered: its certificates are refused
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D2" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
for l in a b c d e f g; do mkleaf_old "$l" e1 10; done
mkleaf_old x other 10
mkleaf_old old e1 100 -5 # expired 5 days ago: recorded with a warning
mkdir "$T/in"
cp "$T/b.pem" "$T/c.pem" "$T/in/"
echo "not a certificate" >"$T/in/notes.txt"
cat "$T/d.pem" "$T/x.pem" "$T/e.pem" >"$T/dxe.pem" # the API refuses it whole: x dropped, d and e sent again
# Many certificates, and a small [admin] max_body so that they go in several requests
# (the API's 413 halves a bundle); one certificate too big for it alone.
mkdir "$T/many" "$T/mid"
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do mkleaf_old "m$i" e1 10 && mv "$T/m$i.pem" "$T/many/"; done
conf_set "$D/lancre.conf" admin max_body 3K
mkleaf_old s1 e1 10
mkleaf_old s3 e1 10
printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=%s\n' \
	"$(for i in $(seq 1 200); do printf 'DNS:host%03d.example.test,' "$i"; done | sed 's/,$//')" >"$T/big.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/big.key" -subj "/CN=big.test" -out "$T/big.csr" 2>/dev/null
openssl x509 -req -in "$T/big.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial 0x7b16 -days 30 \
	-extfile "$T/big.ext" -out "$T/mid/02-big.pem" 2>/dev/null
cp "$T/s1.pem" "$T/mid/01-small.pem"
cp "$T/s3.pem" "$T/mid/03-small.pem"
"$LANCRE" token add -d "$D" cli --scope intake,revoke,read >"$T/cli.token" 2>/dev/null
"$LANCRE" token add -d "$D" reader --scope read >"$T/reader.token" 2>/dev/null
chmod 600 "$T/cli.token" "$T/reader.token"
TOK=$(cat "$T/cli.token")

start_run
[ -n "$adminp" ] && ok "lancre run started its admin process" || not_ok "no admin process"
URL=http://127.0.0.1:$API

# both DESC ARGS...: `lancre ARGS -d $D2` and `lancre ARGS --api ...` (on $D) print the
# same (stdout, stderr) and exit the same.
CLI_API=(--api "$URL" --token-file "$T/cli.token")
both() { cli_same "$1" "with --api" "$D2" CLI_API "${@:2}"; }

both "cert add one file" cert add "$T/a.pem"
has "$T/a.out" '^1 added, 0 already present, 0 refused$' "it says 1 added"
both "cert add the same file again" cert add "$T/a.pem"
has "$T/a.out" 'a.pem: 1 certificate already recorded, skipped' "already recorded, said per file"
both "cert add a directory (a file without certificates skipped) and a refused certificate" \
	cert add "$T/in" "$T/x.pem"
same "exit 1: a certificate was refused" "$arc" 1
has "$T/a.out" '^2 added, 0 already present, 1 refused, 1 file without certificates skipped$' "the summary counts each"
: >"$T/empty.pem"
both "cert add an empty file named on the command line (refused)" cert add "$T/empty.pem"
has "$T/a.err" 'empty.pem: no certificate found' "no certificate found"
both "cert add a bundle whose 2nd certificate is refused: the others recorded" cert add "$T/dxe.pem"
has "$T/a.err" 'dxe.pem: certificate 2: unknown issuer' "the refused one named by its place in the file"
has "$T/a.out" '^2 added' "the other two recorded"
both "cert add an expired certificate: recorded, with a warning" cert add "$T/old.pem"
has "$T/a.err" 'warning: expired at' "the warning"
both "cert add -q" cert add -q "$T/a.pem" "$T/b.pem"
both "cert add 12 certificates, in several requests under max_body" cert add "$T/many"
has "$T/a.out" '^12 added, 0 already present, 0 refused$' "all 12 added"

# Failing midway: a certificate over max_body alone.  What went before it is recorded,
# it and what follows are not, and the line says so.
expect 1 "cert add: a certificate too big for the API alone fails the command" \
	"$LANCRE" cert add --api "$URL" --token-file "$T/cli.token" "$T/mid"
has "$OUT" '^1 added, 0 already present, 0 refused$' "the summary counts what was recorded"
has "$ERR" "too big for the admin API at $URL.*; nothing was recorded from $T/mid/02-big.pem certificate 1 on \\(the 1 added before it are\\)" "the error line says from where nothing was recorded"
same "in one line" "$(wc -l <"$ERR")" 1
"$LANCRE" status -d "$D" "$T/s1.pem" >"$T/s1.status" 2>&1
"$LANCRE" status -d "$D" "$T/s3.pem" >"$T/s3.status" 2>&1
has "$T/s1.status" '^status: good$' "the one before it is recorded"
has "$T/s3.status" '^status: unknown$' "the one after it is not"

sa=$(serial_of "$T/a.pem") sb=$(serial_of "$T/b.pem") sc=$(serial_of "$T/c.pem")
DATE=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
both "revoke --serial" revoke --issuer e1 --serial "$sa" --reason keyCompromise --date "$DATE"
has "$T/a.out" "^Revoked e1 serial $sa at $DATE \\(keyCompromise\\)\\.$" "it says what was revoked"
both "revoke the same again (refused)" revoke --issuer e1 --serial "$sa" --reason keyCompromise --date "$DATE"
same "exit 1" "$arc" 1
both "revoke with another reason after keyCompromise (refused)" revoke --issuer e1 --serial "$sa" --reason superseded
both "revoke two serials, one unknown: nothing revoked" revoke --issuer e1 --serial "$sb" --serial 0badbad --date "$DATE"
has "$T/a.err" 'nothing was revoked: e1 has no certificate with serial 0badbad' "the unknown one named"
both "revoke two serials" revoke --issuer e1 --serial "$sb" --serial "0x$sc" --reason superseded --date "$DATE"
both "revoke a certificate file lancre has not recorded: recorded, then revoked" revoke "$T/f.pem" --date "$DATE"
has "$T/a.out" '^Recorded e1 serial .* \(it was not recorded yet\)\.$' "it says it recorded it first"
both "revoke under an unknown issuer" revoke --issuer nosuch --serial 01
# By key (intake/bykey.h): the file is read by the command either way, the key's hash sent.
both "revoke --by-key a certificate: every certificate of its key, keyCompromise" revoke --by-key "$T/d.pem" --date "$DATE"
has "$T/a.out" "^Revoked e1 serial $(serial_of "$T/d.pem") at $DATE \\(keyCompromise\\)\\.$" "it says what was revoked"
both "revoke --by-key again: already revoked, nothing to do" revoke --by-key "$T/d.pem"
has "$T/a.out" "^Already revoked e1 serial $(serial_of "$T/d.pem") at $DATE" "it says so"
same "exit 0" "$arc" 0
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out "$T/lonely.pub"
both "revoke --by-key of a key without certificates" revoke --by-key "$T/lonely.pub"
both "revoke --by-key of a file that holds no key (refused)" revoke --by-key "$T/in/notes.txt"
both "revoke --by-key with a date in the future (refused)" revoke --by-key "$T/d.pem" --date 2099-01-01T00:00:00Z
both "revoke --by-key with another reason (usage)" revoke --by-key "$T/d.pem" --reason superseded

# status, both ways on the store behind the API, once the signer has signed it all.
for i in $(seq 1 $((100 * TF))); do
	"$LANCRE" status -d "$D" --issuer e1 "$sc" 2>/dev/null | grep -q '^ocsp: revoked (signed)' &&
		"$LANCRE" status -d "$D" "$T/g.pem" >/dev/null 2>&1 && break
	sleep 0.1
done
READ_API=(--api "$URL" --token-file "$T/reader.token")
status_both() { cli_same "status $1" "with --api" "$D" READ_API status "${@:2}"; }
status_both "of a revoked serial" "$sa"
has "$T/a.out" '^reason: keyCompromise$' "it shows the reason"
status_both "of a serial under --issuer" --issuer e1 "$sc"
status_both "of a good certificate's file" "$T/e.pem"
has "$T/a.out" '^status: good$' "good"
status_both "of a file lancre has not recorded" "$T/g.pem"
has "$T/a.out" '^status: unknown$' "unknown"
status_both "of an unknown serial" 0abc
status_both "of a certificate of an unregistered issuer" "$T/x.pem"
status_both "of an expired certificate" "$T/old.pem"
status_both "under an unknown issuer" --issuer nosuch "$sa"
same "exit 1" "$arc" 1

# The token file: 0600, the token never shown.
chmod 640 "$T/cli.token"
expect 1 "a token file group may read: refused" "$LANCRE" status --api "$URL" --token-file "$T/cli.token" "$sa"
one_line_error "in one line"
has "$ERR" 'group or others may read it' "saying why"
chmod 604 "$T/cli.token"
expect 1 "a token file others may read: refused (revoke)" "$LANCRE" revoke --api "$URL" --token-file "$T/cli.token" --issuer e1 --serial "$sb"
one_line_error "in one line"
chmod 600 "$T/cli.token"
expect 1 "a missing token file" "$LANCRE" cert add --api "$URL" --token-file "$T/nosuch.token" "$T/a.pem"
one_line_error "in one line"
echo lct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >"$T/wrong.token"
chmod 600 "$T/wrong.token"
for c in "cert add $T/g.pem" "revoke --issuer e1 --serial $sb" "status $sa"; do
	# shellcheck disable=SC2086
	expect 1 "a wrong token: lancre ${c%% *} exits 1" "$LANCRE" $c --api "$URL" --token-file "$T/wrong.token"
	one_line_error "in one line"
	has "$ERR" "refused the token of $T/wrong.token" "naming the token file"
done
expect 1 "a token without the scope (read only adding)" "$LANCRE" cert add --api "$URL" --token-file "$T/reader.token" "$T/g.pem"
one_line_error "in one line"
has "$ERR" "token of $T/reader.token may not do this: .*needs intake" "naming the token file and the scope"
if grep -rqF -- "$TOK" "$T"/*.out "$T"/*.err "$OUT" "$ERR" "$T/run.err" "$T/run.out"; then not_ok "the token appears in an output"; else ok "the token is never printed"; fi

# The API down, -d with --api, no token file.
DOWN=http://127.0.0.1:$(free_port)
for c in "cert add $T/g.pem" "revoke --issuer e1 --serial $sb" "status $sa"; do
	# shellcheck disable=SC2086
	expect 1 "the API down: lancre ${c%% *} exits 1" "$LANCRE" $c --api "$DOWN" --token-file "$T/cli.token"
	one_line_error "in one line"
	has "$ERR" "could not reach the admin API at $DOWN" "naming the URL"
done
expect 2 "--api with -d: a usage error" "$LANCRE" status -d "$D" --api "$URL" --token-file "$T/cli.token" "$sa"
has "$ERR" '--api and -d: give one' "saying so"
expect 2 "--api without --token-file: a usage error" "$LANCRE" revoke --api "$URL" --issuer e1 --serial "$sb"
expect 2 "an ftp:// URL" "$LANCRE" status --api "ftp://127.0.0.1/" --token-file "$T/cli.token" "$sa"
expect 2 "--allow-foreign-urls is not offered over the API" "$LANCRE" cert add --api "$URL" --token-file "$T/cli.token" --allow-foreign-urls "$T/g.pem"
expect 0 "--help names --api" "$LANCRE" cert add --help
has "$OUT" '--token-file F' "and --token-file"

# The audit trail of D: the API's changes by token:cli (the by-key revocation one more).
same "the audit trail of D has the API's rows, by token:cli" \
	"$(sqlite3 "$D/lancre.db" "select action || ' ' || count(*) from audit where actor = 'token:cli' group by action order by action" | tr '\n' ',')" \
	"cert.add 20,cert.revoke 5,"

kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0
echo "1..$n"
