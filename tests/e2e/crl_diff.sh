#!/bin/bash
# crl_diff.sh - `lancre explain OLD.crl NEW.crl` on pairs of CRLs made with Python
# cryptography (tests/e2e/crl_diff_objects.py), one per kind of change: exit 0 when the
# change is sound, 3 when it is not, with the reason in words and in --json; then two
# successive CRLs published by lancre itself around a revocation.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
O=$T/o
mkdir -p "$O"
"$PY" "$HERE/crl_diff_objects.py" "$O" || { not_ok "crl_diff_objects.py made the CRLs"; exit 1; }

# diff WANT CASE DESC [ARGS...]: explain CASE-old CASE-new, expecting exit WANT.
diff_case() {
	local want=$1 case=$2 desc=$3
	shift 3
	expect "$want" "$case: $desc (exit $want)" "$LANCRE" explain "$@" "$O/$case-old.der" "$O/$case-new.der"
}
diff_case 0 sound "one serial added, number and thisUpdate up"
has "$OUT" '^The newer CRL of diff CA adds 1 serial, removes 0 and changes 0 entries. The change is sound' "the change in words"
has "$OUT" '^  \+ 12 revoked .*, reason keyCompromise' "the added serial, date and reason"
diff_case 3 number-back "a CRL number that went backwards"
has "$OUT" '^CRL number: DID NOT INCREASE' "says the number did not increase"
has "$OUT" '^The newer CRL .* The change is NOT SOUND; the CRL number did not increase\.' "and why, in the words"
diff_case 3 number-same "the same CRL number"
diff_case 3 time-back "a thisUpdate that went backwards"
has "$OUT" '^thisUpdate: .*NOT LATER' "says thisUpdate is not later"
diff_case 0 removed-expired "a removal, certificate unknown"
has "$OUT" '^  - 20 \(cannot tell: its expiry is unknown' "cannot tell without the certificate"
diff_case 0 removed-expired "a removal of a certificate expired before the older CRL" --issuer "$O/leaf-expired.pem"
has "$OUT" '^  - 20 \(ok: expired ' "the removal is allowed"
diff_case 3 removed-valid "a removal of a certificate still valid" --issuer "$O/leaf-valid.pem"
has "$OUT" '^  - 21 \(problem: still valid' "the removal is not allowed"
has "$OUT" 'NOT SOUND; 1 serial removed while still valid\.' "and why, in the words"
diff_case 0 to-key-compromise "superseded became keyCompromise, dated earlier"
has "$OUT" '^  ~ 11 reason superseded -> keyCompromise, .* \(ok\)' "the reason change is allowed"
diff_case 3 from-key-compromise "keyCompromise became superseded"
has "$OUT" '^  ~ 10 reason keyCompromise -> superseded, .* \(problem\)' "the reason change is a problem"
diff_case 3 date-changed "a revocation date moved, same reason"
diff_case 3 scope "the IssuingDistributionPoint changed"
has "$OUT" '^scope changed: yes' "says the scope changed"

# The same removals judged from -d DIR's store instead of --issuer: the certificates
# are recorded there (the diff CA an issuer), not given on the command line.
DD=$T/diffdir
"$LANCRE" init -d "$DD" >/dev/null
"$LANCRE" issuer add -d "$DD" diff "$O/ca.pem" "$O/ca.key" >/dev/null || not_ok "issuer add of the diff CA"
"$LANCRE" cert add -d "$DD" "$O/leaf-expired.pem" "$O/leaf-valid.pem" >/dev/null 2>&1 || not_ok "cert add of the two leaves"
diff_case 0 removed-expired "-d: a removal of a certificate the store says expired before the older CRL" -d "$DD"
has "$OUT" '^  - 20 \(ok: expired ' "the removal is allowed, from the store"
diff_case 3 removed-valid "-d: a removal of a certificate the store says is still valid" -d "$DD"
has "$OUT" '^  - 21 \(problem: still valid' "the removal is not allowed, from the store"

run "$LANCRE" explain --json --issuer "$O/leaf-valid.pem" "$O/removed-valid-old.der" "$O/removed-valid-new.der"
if [ "$rc" -eq 3 ] && "$PY" -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
o = d
assert d["new_input"].endswith("removed-valid-new.der") and o["kind"] == "crl_diff" and o["details"]["sound"] is False and o["details"]["problems"] == 1
r = o["details"]["removed"]
assert len(r) == 1 and r[0]["serial"] == "21" and r[0]["verdict"] == "problem" and "not_after" in r[0]
assert o["details"]["added"] == [] and o["details"]["changed"] == []
' "$OUT"; then ok "--json: kind crl_diff, sound, problems, removed[] with verdict"; else not_ok "--json of a diff"; fi

# A serial with a redundant leading 00 (not DER; OpenSSL refuses it) in the newer CRL:
# named as malformed, not "out of memory". Serial 12's INTEGER is rewritten 02 02 00 12 (lancre and openssl show serials in hex).
"$PY" - "$O/sound-new.der" "$O/pad-new.der" 0,5,2,0 <<'PYEOF'
import sys
def tlv(d, i):
    t = d[i]; l = d[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(d[i + 2:i + 2 + n], "big"); h += n
    return t, h, l
def enc(t, c):
    n = len(c)
    if n < 0x80: return bytes([t, n]) + c
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([t, 0x80 | len(b)]) + b + c
def walk(d, path):
    # rewrite: CertificateList > tbs > revokedCertificates (the SEQUENCE after the times) > entry > serial
    t, h, l = tlv(d, 0); c = d[h:h + l]
    if not path: return enc(t, b"\x00" + c)  # the serial: a redundant leading 00
    out, i, k = b"", 0, 0
    while i < len(c):
        ct, ch, cl = tlv(c, i); el = c[i:i + ch + cl]
        out += walk(el, path[1:]) if k == path[0] else el
        i += ch + cl; k += 1
    return enc(t, out)
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(walk(d, [int(x) for x in sys.argv[3].split(",")]))
PYEOF
expect 1 "a padded serial in the newer CRL" "$LANCRE" explain "$O/sound-old.der" "$O/pad-new.der"
has "$ERR" '^lancre explain: the newer CRL lists a serial that is not a DER INTEGER \(content 0012\)' "names the malformed serial"
one_line_error "with one line"

# Two CRLs of different issuers are explained one by one, not compared.
run "$LANCRE" explain "$O/sound-old.der" "$HERE/../fuzz/corpus/explain/crl.der"
if [ "$rc" -eq 0 ] && [ "$(grep -c '^A certificate revocation list' "$OUT")" -eq 2 ]; then
	ok "CRLs of two issuers: each explained"
else not_ok "CRLs of two issuers: each explained"; fi

# lancre's own CRLs, before and after a revocation: sound, one serial added.
D=$T/demo
"$LANCRE" demo -d "$D" --leaves 20 --listen 127.0.0.1:18080 --no-serve >/dev/null 2>&1 || not_ok "demo"
cp "$D/public/crl/e1.crl" "$T/before.crl"
for leaf in "$D"/certs/leaf-*.pem; do
	openssl x509 -in "$leaf" -noout -issuer | grep -q E1 || continue
	"$LANCRE" status -d "$D" "$leaf" 2>/dev/null | grep -q '^status: good' && break
done
sleep 1 # thisUpdate has a resolution of one second
"$LANCRE" revoke -d "$D" --reason superseded "$leaf" >/dev/null 2>&1
# The demo publishes a revocation within its [crl] delay (5 s): sign until the CRL changes.
for _ in $(seq 1 $((40 * TF))); do
	"$LANCRE" sign -d "$D" --once >/dev/null 2>&1
	cmp -s "$T/before.crl" "$D/public/crl/e1.crl" || break
	sleep 0.5
done
serial=$(openssl x509 -in "$leaf" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
expect 0 "lancre's CRLs before and after a revocation: sound" "$LANCRE" explain -d "$D" "$T/before.crl" "$D/public/crl/e1.crl"
has "$OUT" "^  \\+ $serial revoked .*, reason superseded" "the revoked serial is the one added"
echo "1..$n"
