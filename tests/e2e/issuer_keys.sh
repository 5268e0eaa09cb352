#!/bin/bash
# Issuer keys that move, and encrypted ones.  Two issuers; one's key file is
# moved away while `lancre sign` runs: the signer goes on signing the other's
# revocations and says, once, which issuer it cannot sign for and why; `lancre
# issuer set-key` refuses a key that is not the issuer's and takes the moved
# one, and the signer signs for that issuer again.  An encrypted PEM key
# (openssl genpkey -aes256) is taken with --passphrase-file: refused without
# it or with a wrong passphrase, the passphrase never stored, and the signer
# signs with the key.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca e2 root rsa
mkca e3 root ec
mkdir -p "$T/keys" "$T/moved"
cp "$T/e2.key" "$T/keys/e2.key"
signer_owns "$T/keys/e2.key"
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" e2 "$T/e2.pem" "$T/keys/e2.key" >/dev/null
for l in a1 a2; do mkleaf "$l" e1; done
for l in b1 b2; do mkleaf "$l" e2; done
"$LANCRE" cert add -d "$D" "$T/a1.pem" "$T/a2.pem" "$T/b1.pem" "$T/b2.pem" >/dev/null
expect 0 "lancre sign --once signs both issuers' certificates" "$LANCRE" sign -d "$D" --once

# status ISSUER LEAF: the status in the stored response (lancre answer), as openssl reads it.
status() {
	openssl ocsp -issuer "$T/$1.pem" -cert "$T/$2.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
	openssl ocsp -respin "$T/resp.der" -issuer "$T/$1.pem" -cert "$T/$2.pem" \
		-CAfile "$T/root.pem" 2>&1 | grep -Eo ': (good|revoked|unknown)$' | tr -d ': '
}
# wait_status ISSUER LEAF WANT: until the stored response says WANT (5 s at most).
wait_status() {
	local i
	for i in $(seq 1 $((50 * TF))); do
		[ "$(status "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

sign_pid=
trap 'kill $sign_pid 2>/dev/null; lib_exit' EXIT
"$LANCRE" sign -d "$D" >"$T/sign.out" 2>"$T/sign.err" &
sign_pid=$!
mv "$T/keys/e2.key" "$T/moved/e2.key"
# A change to the issuers makes the running signer load every key again.
"$LANCRE" issuer add -d "$D" e3 "$T/e3.pem" "$T/e3.key" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a1.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b1.pem" >/dev/null
if wait_status e1 a1 revoked; then ok "the signer goes on signing the other issuer's revocation"; else not_ok "e1's revocation was not signed: $(cat "$T/sign.err")"; fi
sleep 0.5
same "the issuer whose key moved is not signed for" "$(status e2 b1)" good
has "$T/sign.err" 'lancre sign: cannot sign for issuer e2, signing for the others: .*keys/e2.key' \
	"the signer names the issuer and the key that failed"
same "and says so once" "$(grep -c 'cannot sign for issuer' "$T/sign.err")" 1
if kill -0 "$sign_pid" 2>/dev/null; then ok "the signer keeps running"; else not_ok "the signer exited"; fi

ref() { sqlite3 "$D/private/keys.db" "select key_ref || '|' || key_pass_ref from issuer_keys where issuer_id = $(sqlite3 "$D/lancre.db" "select id from issuers where name = '$1'")"; }
expect 1 "set-key with another issuer's key is refused" "$LANCRE" issuer set-key -d "$D" e2 "$T/e1.key"
has "$ERR" 'does not match' "because it does not match the certificate"
one_line_error "in one line"
same "and nothing changed" "$(ref e2)" "$T/keys/e2.key|"
expect 1 "set-key of an unknown issuer is refused" "$LANCRE" issuer set-key -d "$D" zz "$T/e1.key"
has "$ERR" "no issuer named 'zz'" "naming it"
expect 2 "set-key without a key is a usage error" "$LANCRE" issuer set-key -d "$D" e2
expect 0 "set-key with the moved key works" "$LANCRE" issuer set-key -d "$D" e2 "$T/moved/e2.key"
same "the new path is recorded" "$(ref e2)" "$T/moved/e2.key|"
if wait_status e2 b1 revoked; then ok "the running signer signs for it again: the waiting revocation"; else not_ok "e2's revocation was not signed after set-key"; fi
has "$T/sign.err" 'lancre sign: signing for issuer e2 again' "and says so"
same "e1 and e2's other certificates stay good" "$(status e1 a2) $(status e2 b2)" "good good"
kill -TERM "$sign_pid"
wait "$sign_pid" 2>/dev/null
sign_pid=

# An encrypted PEM key.
printf 'correct horse battery staple\n' >"$T/pass"
printf 'wrong\n' >"$T/wrong"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass "file:$T/pass" \
	-out "$T/p1.key" 2>/dev/null
signer_owns "$T/p1.key" "$T/pass" "$T/wrong"
openssl req -new -key "$T/p1.key" -passin "file:$T/pass" -subj "/O=lancre test/CN=p1" \
	-out "$T/p1.csr" 2>/dev/null
openssl x509 -req -in "$T/p1.csr" -CA "$T/root.pem" -CAkey "$T/root.key" -set_serial 77 \
	-days 365 -extfile "$T/e1.ext" -out "$T/p1.pem" 2>/dev/null
has_enc=$(grep -c 'BEGIN ENCRYPTED PRIVATE KEY' "$T/p1.key")
same "openssl wrote an encrypted key" "$has_enc" 1
expect 1 "an encrypted key without --passphrase-file is refused" "$LANCRE" issuer add -d "$D" p1 "$T/p1.pem" "$T/p1.key"
has "$ERR" 'encrypted PEM key: give the file holding its passphrase \(--passphrase-file\)' "saying what to give"
one_line_error "in one line"
expect 1 "a wrong passphrase is refused" "$LANCRE" issuer add -d "$D" --passphrase-file "$T/wrong" p1 "$T/p1.pem" "$T/p1.key"
has "$ERR" 'wrong passphrase' "saying so"
expect 1 "a missing passphrase file is refused" "$LANCRE" issuer add -d "$D" --passphrase-file "$T/none" p1 "$T/p1.pem" "$T/p1.key"
one_line_error "in one line"
same "nothing was added" "$(sqlite3 "$D/lancre.db" "select count(*) from issuers where name = 'p1'")" 0
expect 2 "--passphrase-file goes with add or set-key only" "$LANCRE" issuer list -d "$D" --passphrase-file "$T/pass"
expect 0 "the right passphrase file is taken" "$LANCRE" issuer add -d "$D" --passphrase-file "$T/pass" p1 "$T/p1.pem" "$T/p1.key"
same "its path is recorded" "$(ref p1)" "$T/p1.key|$T/pass"
if cat "$D"/lancre.db* | grep -aq 'horse battery'; then not_ok "the passphrase is in the store"; else ok "the passphrase itself is stored nowhere"; fi
mkleaf c1 p1 2>/dev/null || openssl x509 -req -in "$T/leaf.csr" -CA "$T/p1.pem" -CAkey "$T/p1.key" \
	-passin "file:$T/pass" -set_serial 0x1234 -days 90 -extfile "$T/leaf.ext" -out "$T/c1.pem" 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/c1.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason superseded "$T/c1.pem" >/dev/null
expect 0 "the signer signs with the encrypted key" "$LANCRE" sign -d "$D" --once
same "its response says revoked and verifies" "$(status p1 c1)" revoked
expect 0 "its CRL verifies with the issuer" openssl crl -in "$D/public/crl/p1.crl" -inform DER -CAfile "$T/p1.pem" -noout
cp "$T/p1.key" "$T/p1-moved.key"
signer_owns "$T/p1-moved.key"
expect 1 "set-key of the encrypted key without its passphrase is refused" "$LANCRE" issuer set-key -d "$D" p1 "$T/p1-moved.key"
expect 0 "set-key with --passphrase-file works" "$LANCRE" issuer set-key -d "$D" --passphrase-file "$T/pass" p1 "$T/p1-moved.key"
same "both paths are recorded" "$(ref p1)" "$T/p1-moved.key|$T/pass"
expect 0 "issuer --help documents set-key and --passphrase-file" "$LANCRE" issuer --help
has "$OUT" 'set-key .*NAME KEY' "set-key"
has "$OUT" '--passphrase-file FILE' "--passphrase-file"
echo "1..$n"
