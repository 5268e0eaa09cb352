#!/bin/bash
# lancre cert list: every recorded certificate or the revocations, as a table
# or a JSON array, by issuer; streamed (a million rows in little memory).
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca r1 root rsa
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1.key" >/dev/null
mkleaf a e1 0a01 && mkleaf b e1 0b02 && mkleaf c r1 0c03 && mkleaf_old x e1 100 -5 0d04
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/c.pem" "$T/x.pem" >/dev/null 2>&1
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b.pem" >/dev/null

expect 0 "cert list" "$LANCRE" cert list -d "$D"
same "a header and one line per certificate" "$(wc -l <"$OUT")" 5
has "$OUT" "^SERIAL ISSUER NOT_AFTER STATUS$" "the header names the columns"
has "$OUT" "^0a01 e1 [0-9T:-]+Z good$" "a good one: serial, issuer, notAfter, status"
has "$OUT" "^0b02 e1 [0-9T:-]+Z revoked [0-9T:-]+Z keyCompromise$" "a revoked one with its date and reason"
has "$OUT" "^0c03 r1 " "the other issuer's"
has "$OUT" "^0d04 e1 [0-9T:-]+Z expired$" "an expired one says so"
expect 0 "cert list --issuer r1" "$LANCRE" cert list -d "$D" --issuer r1
same "only r1's" "$(tail -n +2 "$OUT" | cut -d' ' -f1)" "0c03"
expect 0 "cert list --revoked" "$LANCRE" cert list -d "$D" --revoked
same "only the revocation" "$(tail -n +2 "$OUT" | cut -d' ' -f1,6)" "0b02 keyCompromise"
expect 0 "cert list --json" "$LANCRE" cert list -d "$D" --json
same "a JSON array of four objects, as Python reads it" "$("$PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))
print(len(v), sorted(o["serial"] for o in v), [o["reason"] for o in v if o["status"] == "revoked"],
      sorted(set(k for o in v for k in o)))' "$OUT")" \
	"4 ['0a01', '0b02', '0c03', '0d04'] ['keyCompromise'] ['issuer', 'not_after', 'not_before', 'reason', 'revoked_at', 'serial', 'status']"
expect 0 "cert list --json --revoked --issuer r1: none" "$LANCRE" cert list -d "$D" --json --revoked --issuer r1
same "an empty array" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$OUT")" "[]"
expect 1 "an unknown issuer" "$LANCRE" cert list -d "$D" --issuer nope
has "$ERR" "no issuer named 'nope'" "is named"
expect 2 "an extra argument is a usage error" "$LANCRE" cert list -d "$D" extra
expect 0 "--help" "$LANCRE" cert list --help
has "$OUT" "usage: lancre cert list" "says how"

# A million rows, streamed: written straight into the store, then listed as JSON.
sqlite3 "$D/lancre.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
 INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason, shard,
  fingerprint, added_at, changed_at, change_seq)
 SELECT (SELECT id FROM issuers WHERE name = 'e1'), randomblob(12), 0, 4102444800, i % 100 = 0, 0, 0, 1,
  zeroblob(32), 0, 0, 0 FROM n" 2>"$ERR" || not_ok "a million rows inserted"
# Peak memory (KB) and seconds of the listing, measured by Python around the child.
read -r rss secs < <("$PY" -c '
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "%.1f" % (time.monotonic() - t))' \
	"$T/big.json" "$LANCRE" cert list -d "$D" --json 2>"$ERR"; echo)
same "a million and four objects" "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/big.json")" 1000004
# Under ASan (LANCRE_TIME_FACTOR > 1) shadow memory adds its own share.
if [ "${rss:-999999}" -lt $((30000 * TF)) ]; then ok "listing a million rows takes ${rss} KB, ${secs} s"; else not_ok "listing a million rows took ${rss} KB (not streamed?)"; fi
expect 0 "--revoked over a million rows" "$LANCRE" cert list -d "$D" --revoked
same "the 10,000 revoked and one" "$(tail -n +2 "$OUT" | wc -l)" 10001
echo "1..$n"
