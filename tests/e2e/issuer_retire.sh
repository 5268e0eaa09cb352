#!/bin/bash
# lancre issuer retire: the retired issuer takes no new certificate, still
# signs OCSP for (and revokes) the ones it has, and keeps its CRLs fresh
# until its last certificate expires; after that (faketime) each CRL is
# signed once more, then never again, even after the CRL period, while an
# active issuer's CRLs go on; its key is then no longer loaded.  `issuer
# list` shows it retired.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca r1 root ec
mkca c1 root ec
cp "$T/r1.key" "$T/r1-signer.key"
signer_owns "$T/r1-signer.key"
"$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1-signer.key" >/dev/null
"$LANCRE" issuer add -d "$D" c1 "$T/c1.pem" "$T/c1.key" >/dev/null
mkleaf l1 r1 "" 2
mkleaf l2 r1 "" 2
mkleaf k1 c1 "" 2
"$LANCRE" cert add -d "$D" "$T/l1.pem" "$T/l2.pem" "$T/k1.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/l1.pem" >/dev/null
expect 0 "lancre sign --once signs both issuers" "$LANCRE" sign -d "$D" --once

status() {
	openssl ocsp -issuer "$T/$1.pem" -cert "$T/$2.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
	openssl ocsp -respin "$T/resp.der" -issuer "$T/$1.pem" -cert "$T/$2.pem" \
		-CAfile "$T/root.pem" 2>&1 | grep -Eo ': (good|revoked|unknown)$' | tr -d ': '
}
crlnum() { openssl crl -in "$D/public/crl/$1.crl" -inform DER -noout -crlnumber 2>/dev/null; }

expect 0 "issuer retire r1 works" "$LANCRE" issuer retire -d "$D" r1
has "$OUT" 'kept until its last certificate expires on' "and says until when it is signed for"
expect 1 "retiring it again is refused" "$LANCRE" issuer retire -d "$D" r1
has "$ERR" 'already retired on' "saying when"
one_line_error "in one line"
expect 2 "retire takes one NAME" "$LANCRE" issuer retire -d "$D"
expect 1 "retiring an unknown issuer is refused" "$LANCRE" issuer retire -d "$D" zz
expect 0 "issuer list works" "$LANCRE" issuer list -d "$D"
has "$OUT" '^r1	.*retired on .*, signing until its last certificate expires on' "and shows r1 retired"
if grep '^c1' "$OUT" | grep -q retired; then not_ok "c1 is shown retired"; else ok "c1 is not"; fi

mkleaf l3 r1
run "$LANCRE" cert add -d "$D" "$T/l3.pem"
has "$ERR" 'issuer r1 is retired' "cert add refuses a new certificate of the retired issuer"
same "and records nothing" "$(sqlite3 "$D/lancre.db" 'select count(*) from certificates')" 3
expect 0 "its certificates can still be revoked" "$LANCRE" revoke -d "$D" --reason superseded "$T/l2.pem"
expect 0 "lancre sign --once" "$LANCRE" sign -d "$D" --once
same "the retired issuer still signs OCSP: l2 is revoked" "$(status r1 l2)" revoked
before=$(crlnum r1)

# Past the last certificate's notAfter (2 days): each CRL is signed once more.
expect 0 "3 days later the signer runs" faked +3d "$LANCRE" sign -d "$D" --once
after=$(crlnum r1)
if [ -n "$after" ] && [ "$after" != "$before" ]; then ok "r1's CRL is signed once more after its last certificate expired"; else not_ok "r1's CRL was not re-signed ($before -> $after)"; fi
c_before=$(crlnum c1)
expect 0 "10 days later (past the CRL period) the signer runs" faked +10d "$LANCRE" sign -d "$D" --once
same "r1's CRL is not signed again" "$(crlnum r1)" "$after"
if [ "$(crlnum c1)" != "$c_before" ]; then ok "the active issuer c1's CRL is"; else not_ok "c1's CRL was not re-signed"; fi
has "$OUT" 'signed [1-9][0-9]* CRLs' "the signer reports the active issuer's CRLs"
expect 0 "r1's last CRL is still published and verifies" openssl crl -in "$D/public/crl/r1.crl" -inform DER -CAfile "$T/r1.pem" -noout
mv "$T/r1-signer.key" "$T/r1-gone.key"
expect 0 "with r1's key destroyed the signer still runs" faked +11d "$LANCRE" sign -d "$D" --once
if grep -q 'cannot sign for issuer r1' "$ERR"; then not_ok "the signer still loads r1's key"; else ok "without loading r1's key"; fi
expect 0 "issuer list still works" faked +11d "$LANCRE" issuer list -d "$D"
has "$OUT" '^r1	.*retired on .*, its last certificate expired on' "and shows r1's last certificate expired"
expect 0 "issuer --help documents retire" "$LANCRE" issuer --help
has "$OUT" 'retire \[-d DIR\] NAME' "retire"
echo "1..$n"
