#!/bin/bash
# Large imports.  Nothing is lost when `lancre cert add` is killed with SIGKILL:
# the store opens, is consistent, holds whole batches only, and a re-run
# completes the import.  On a terminal, a progress bar.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
N=${CRASH_CERTS:-60000}
mkca root
mkca e1 root ec
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
expect 0 "lancre-gencerts makes $N certificates" "$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count "$N" --out "$T/certs.pem" --format pem
expect 0 "openssl reads the first one" openssl x509 -in "$T/certs.pem" -noout

# Kill the import at several points; each time the store must be consistent.
for delay in 0.5 1.5 3; do
	"$LANCRE" cert add -q -d "$D" "$T/certs.pem" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	same "after SIGKILL at ${delay}s the store passes integrity_check" "$(store_integrity "$D")" ok
	got=$(sqlite3 "$D/lancre.db" 'select count(*) from certificates')
	# Batches are 20,000 certificates, each one transaction: only whole batches survive.
	if [ "$got" -le "$N" ] && [ $((got % 20000)) -eq 0 ]; then ok "after SIGKILL at ${delay}s: $got certificates, whole batches only"; else not_ok "after SIGKILL at ${delay}s: $got certificates"; fi
done
expect 0 "the store opens and a re-run completes the import" "$LANCRE" cert add -d "$D" "$T/certs.pem"
has "$OUT" "added, [0-9]+ already present, 0 refused" "the re-run refuses nothing"
same "every certificate is recorded exactly once" "$(sqlite3 "$D/lancre.db" 'select count(*), count(distinct serial) from certificates')" "$N|$N"
expect 0 "a third run adds nothing" "$LANCRE" cert add -d "$D" "$T/certs.pem"
has "$OUT" "^0 added, $N already present, 0 refused" "everything is already present"
# That run had no terminal, and its input is past the bar's size (PROGRESS_MIN_BYTES).
if grep -q '%' "$OUT" "$ERR"; then not_ok "no progress bar without a terminal"; else ok "no progress bar without a terminal"; fi

# On a terminal, a large import shows a progress bar (script(1) provides the TTY).
"$LANCRE" init -d "$T/tty" >/dev/null
"$LANCRE" issuer add -d "$T/tty" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
expect 0 "an import on a terminal" script -qec "'$LANCRE' cert add -d '$T/tty' '$T/certs.pem'" /dev/null
has "$OUT" '\[#+ *\] +[0-9]+%' "shows a progress bar"
has "$OUT" "\[##############################\] 100%" "that reaches 100%"
