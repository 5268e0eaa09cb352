#!/bin/bash
# What the running signer may read (issue 16: Landlock rules, "the signer writes
# only the store and public/", and now reads only what it needs): the data
# directory, the system's files, and the directories of the key and PIN files
# its issuers name when it starts ([signer] read_dirs for more).  Seen from the
# running system:
# - its [crl] hook (inside the signer's sandbox) cannot read a secret file in
#   a directory no key lives in: Permission denied;
# - an issuer added while it runs with its key elsewhere is left out with one
#   line naming [signer] read_dirs, and the others are still signed for;
# - a key reference put into private/keys.db by hand pointing at a secret file
#   is refused without the file being read (the line does not say "not a PEM
#   private key", as it would had the signer opened it);
# - restarted, the signer reads where the keys it finds are, and signs for the
#   issuer it left out; [signer] read_dirs allows a directory ahead of time.
. "$(dirname "$0")/lib.sh"

if [ "$(uname -s)" != Linux ] || [ "$("$PY" -c 'import ctypes; print(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1))')" -lt 1 ]; then
	echo "1..0 # SKIP needs Landlock"
	exit 0
fi

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
conf_set "$D/lancre.conf" crl delay 1s
mkca root
for i in e1 e2 e3; do mkca $i root ec; done
mkdir -p "$T/keys" "$T/other" "$T/later" "$T/secret" "$T/hook"
cp "$T/e1.key" "$T/e3.key" "$T/keys/"
cp "$T/e2.key" "$T/other/"
signer_owns "$T/keys/e1.key" "$T/keys/e3.key" "$T/other/e2.key"
echo 'root:$6$not-a-real-hash:19000:0:99999:7:::' >"$T/secret/shadow"
chmod 644 "$T/secret/shadow" # any user may read it: only the sandbox stands in the way
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/keys/e1.key" >/dev/null

cat >"$T/hook/leak" <<EOF
#!/bin/sh
cat "$T/secret/shadow" >"$D/public/leak.out" 2>"$D/public/leak.err"
EOF
chmod 755 "$T/hook/leak"
conf_set "$D/lancre.conf" crl hook "$T/hook/leak"

"$LANCRE" sign -d "$D" >"$T/sign.out" 2>"$T/sign.err" &
gpid=$!
wait_file "$D/public/leak.err" 20
sleep 0.2 # the hook's cat has finished
same "the signer's hook cannot read a file outside what the signer may read" "$(cat "$D/public/leak.out")" ""
has "$D/public/leak.err" "Permission denied" "Permission denied (Landlock)"

# wait_log PATTERN: until the signer's stderr has it (10 s).
wait_log() {
	for _ in $(seq 1 $((200 * TF))); do grep -q "$1" "$T/sign.err" && return 0; sleep 0.05; done
	return 1
}
"$LANCRE" issuer add -d "$D" e2 "$T/e2.pem" "$T/other/e2.key" >/dev/null
if wait_log "cannot sign for issuer e2"; then ok "an issuer added with its key elsewhere is left out"; else not_ok "no line for e2: $(cat "$T/sign.err")"; fi
if grep -q "cannot sign for issuer e2, signing for the others: $T/other/e2.key is outside what the signer's sandbox may read: add its directory to \[signer\] read_dirs" "$T/sign.err"; then
	ok "in one line naming the file and [signer] read_dirs"
else
	not_ok "the line: $(grep 'issuer e2' "$T/sign.err")"
fi
same "one line" "$(grep -c 'issuer e2' "$T/sign.err")" 1

# A key reference changed by hand to point at the secret: refused, not read.
"$LANCRE" issuer add -d "$D" e3 "$T/e3.pem" "$T/keys/e3.key" >/dev/null
e3=$(sqlite3 "$D/lancre.db" "SELECT id FROM issuers WHERE name = 'e3'")
sqlite3 "$D/private/keys.db" "UPDATE issuer_keys SET key_ref = '$T/secret/shadow' WHERE issuer_id = $e3"
sqlite3 "$D/lancre.db" "UPDATE meta SET value = value + 1 WHERE key = 'issuer_seq'"
if wait_log "cannot sign for issuer e3"; then ok "a key_ref put in keys.db by hand, outside: the issuer is left out"; else not_ok "no line for e3: $(cat "$T/sign.err")"; fi
has "$T/sign.err" "issuer e3, signing for the others: $T/secret/shadow is outside what the signer's sandbox may read" \
	"naming the file"
if grep -q "not a PEM private key" "$T/sign.err"; then not_ok "the secret file was opened: $(grep e3 "$T/sign.err")"; else ok "without reading it"; fi

# The others are still signed for.
mkleaf a e1
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null 2>&1
for _ in $(seq 1 $((100 * TF))); do grep -q "signed [0-9]* responses for 1 certificates" "$T/sign.out" && break; sleep 0.05; done
has "$T/sign.out" "signed [0-9]* responses for 1 certificates" "e1 is still signed for"
kill -TERM "$gpid"
wait_gone "$gpid" 20
same "lancre sign exits 0" "$st" 0

# Restarted: the directories of the keys it finds are readable; e2 is signed for.
sqlite3 "$D/private/keys.db" "UPDATE issuer_keys SET key_ref = '$T/keys/e3.key' WHERE issuer_id = $e3"
expect 0 "restarted, sign --once signs for every issuer" "$LANCRE" sign -d "$D" --once
if grep -q "cannot sign" "$ERR"; then not_ok "an issuer is still left out: $(cat "$ERR")"; else ok "e2's key directory, found at start, is read"; fi

# [signer] read_dirs: a directory allowed ahead of time.
cp "$T/e2.key" "$T/later/e2.key"
signer_owns "$T/later/e2.key"
conf_set "$D/lancre.conf" signer read_dirs "$T/later"
"$LANCRE" sign -d "$D" >"$T/sign.out" 2>"$T/sign.err" &
gpid=$!
sleep 1
e2=$(sqlite3 "$D/lancre.db" "SELECT id FROM issuers WHERE name = 'e2'")
sqlite3 "$D/private/keys.db" "UPDATE issuer_keys SET key_ref = '$T/later/e2.key' WHERE issuer_id = $e2"
sqlite3 "$D/lancre.db" "UPDATE meta SET value = value + 1 WHERE key = 'issuer_seq'"
mkleaf b e2
"$LANCRE" cert add -d "$D" "$T/b.pem" >/dev/null 2>&1
for _ in $(seq 1 $((100 * TF))); do grep -q "signed [0-9]* responses for 1 certificates" "$T/sign.out" && break; sleep 0.05; done
has "$T/sign.out" "signed [0-9]* responses for 1 certificates" "a key moved while running into a [signer] read_dirs directory is read: e2 signs"
if grep -q "cannot sign for issuer e2" "$T/sign.err"; then not_ok "e2 refused from read_dirs: $(cat "$T/sign.err")"; else ok "and is never left out"; fi
kill -TERM "$gpid"
wait_gone "$gpid" 20
same "lancre sign exits 0" "$st" 0
conf_set "$D/lancre.conf" signer read_dirs "relative/dir"
expect 1 "[signer] read_dirs must be absolute" "$LANCRE" sign -d "$D" --once
has "$ERR" "read_dirs: 'relative/dir' is not an absolute path" "saying so"
echo "1..$n"
