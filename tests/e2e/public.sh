#!/bin/bash
# DIR/public/ kept equal to the store (issue 15 item 13): temporary files left by
# a writer killed between write and rename are removed when the signer starts
# (a live writer's are not), and a published CRL or JSON list that was damaged,
# truncated or removed is written again from the store, by `sign --once` and
# by the running signer within a pass, without re-signing anything.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" --shards 2 >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a.pem" >/dev/null
expect 0 "lancre sign --once" "$LANCRE" sign -d "$D" --once
C=$D/public/crl
cp -r "$C" "$T/good"

dead=$(sh -c 'echo $$')
echo partial >"$C/e1.crl.tmp.$dead"
echo partial >"$C/e1/1.crl.tmp.$dead"
echo busy >"$C/e1/2.crl.tmp.$$" # this shell's: a writer still running
head -c 100 "$T/good/e1/1.crl" >"$C/e1/1.crl"
printf '\377' | dd of="$C/e1.crl" bs=1 seek=200 conv=notrunc 2>/dev/null
rm "$C/e1/2.crl"
echo '["junk"]' >"$C/e1.json"
expect 0 "lancre sign --once on a damaged public/" "$LANCRE" sign -d "$D" --once
has "$OUT" 'signed 0 CRLs' "nothing is re-signed"
has "$OUT" 'rewrote 4 published files that differed from the store' "4 files written again"
has "$OUT" 'removed 2 stale temporary files' "2 stale temporary files removed"
for f in e1.crl e1/1.crl e1/2.crl e1.json; do
	expect 0 "$f is the store's again" cmp "$C/$f" "$T/good/$f"
done
bad=$(find "$C" -name "*.tmp.$dead" | wc -l)
same "no temporary file of a dead writer is left" "$bad" 0
if [ -f "$C/e1/2.crl.tmp.$$" ]; then ok "a live writer's temporary file stays"; else not_ok "a live writer's temporary file stays"; fi
rm -f "$C/e1/2.crl.tmp.$$"
same "the CRLs were not re-signed" "$(sqlite3 "$D/lancre.db" 'select count(*) from crls')" 3
expect 0 "a second pass" "$LANCRE" sign -d "$D" --once
if grep -q 'rewrote' "$OUT"; then not_ok "nothing more to rewrite"; else ok "nothing more to rewrite"; fi

# A symlink or a FIFO planted in public/ is never followed or read through
# (issue 16): it counts as a changed file and a regular file is written over
# it; the file it points to is left alone, even when its bytes are the store's.
cp "$T/good/e1/1.crl" "$T/outside.crl"
cp "$T/good/e1/1.crl" "$T/outside.orig"
ln -sf "$T/outside.crl" "$C/e1/1.crl"
rm -f "$C/e1/2.crl"
mkfifo "$C/e1/2.crl"
cp "$D/public/issuer/e1.pem" "$T/outside.pem"
ln -sf "$T/outside.pem" "$D/public/issuer/e1.pem"
expect 0 "sign --once with symlinks and a FIFO in public/ (never blocks on the FIFO)" \
	timeout $((20 * TF)) "$LANCRE" sign -d "$D" --once
has "$OUT" 'rewrote 2 published files that differed from the store' "the 2 planted CRLs are written again (and the issuer file)"
for f in "$C/e1/1.crl" "$C/e1/2.crl" "$D/public/issuer/e1.pem"; do
	if [ -f "$f" ] && [ ! -L "$f" ]; then ok "${f#"$D"/} is a regular file again"; else not_ok "${f#"$D"/}: $(ls -l "$f")"; fi
done
expect 0 "the symlink's target was not written" cmp "$T/outside.crl" "$T/outside.orig"
expect 0 "and the CRL is the store's" cmp "$C/e1/1.crl" "$T/good/e1/1.crl"

# The running signer notices within a pass or two.
"$LANCRE" sign -d "$D" >"$T/sign.log" 2>&1 &
spid=$!
sleep 1
head -c 50 "$T/good/e1.crl" >"$C/e1.crl"
for i in $(seq 1 $((40 * TF))); do cmp -s "$C/e1.crl" "$T/good/e1.crl" && break; sleep 0.1; done
expect 0 "the running signer writes a damaged CRL again" cmp "$C/e1.crl" "$T/good/e1.crl"
# A symlink put in place of a published file while it runs: replaced, not followed.
cp "$T/good/e1.crl" "$T/outside2.crl"
ln -sf "$T/outside2.crl" "$C/e1.crl.new" && mv -T "$C/e1.crl.new" "$C/e1.crl"
for i in $(seq 1 $((40 * TF))); do [ ! -L "$C/e1.crl" ] && break; sleep 0.1; done
if [ -f "$C/e1.crl" ] && [ ! -L "$C/e1.crl" ]; then ok "the running signer replaces a symlink planted in public/"; else not_ok "still a symlink: $(ls -l "$C/e1.crl")"; fi
kill -TERM $spid
wait $spid
has "$T/sign.log" 'rewrote 1 published file that differed' "and logs it"
echo "1..$n"
