#!/bin/bash
# lancre revoke: both forms, RFC 5280 reasons, and the BR rules: no hold, no
# un-revoke, only keyCompromise changes a revocation (and may move it earlier).
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
for l in a c d e f g; do mkleaf "$l" e1; done
mkleaf_old b e1 3
"$LANCRE" cert add -d "$D" "$T"/[a-g].pem >/dev/null
row() { sqlite3 "$D/lancre.db" "select status, reason, revoked_at from certificates where serial = x'$(serial_of "$T/$1.pem")'"; }

expect 0 "revoke by file, default reason" "$LANCRE" revoke -d "$D" "$T/a.pem"
has "$OUT" "^Revoked e1 serial $(serial_of "$T/a.pem") at .* \(unspecified\)" "the revocation is reported"
expect 0 "status says revoked" "$LANCRE" status -d "$D" "$T/a.pem"
has "$OUT" '^status: revoked$' "status: revoked"
has "$OUT" '^reason: unspecified$' "reason: unspecified"
expect 1 "revoking again with another reason is refused" "$LANCRE" revoke -d "$D" --reason superseded "$T/a.pem"
has "$ERR" 'already revoked at .* \(unspecified\); only keyCompromise' "the message says what is recorded"
expect 0 "keyCompromise replaces the reason" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a.pem"
same "the reason is now keyCompromise (1)" "$(row a | cut -d'|' -f1,2)" "1|1"

nb=$(date -u -d "$(openssl x509 -in "$T/b.pem" -noout -startdate | cut -d= -f2)" +%s)
expect 0 "revoke by issuer and serial with a date and reason" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/b.pem")" --reason keyCompromise --date "$(date -u -d @$((nb + 7200)) +%Y-%m-%dT%H:%M:%SZ)"
same "the date is recorded" "$(row b | cut -d'|' -f3)" "$((nb + 7200))"
expect 1 "a later keyCompromise date is refused" "$LANCRE" revoke -d "$D" --reason keyCompromise --date "$(date -u -d @$((nb + 9000)) +%Y-%m-%dT%H:%M:%S+00:00)" "$T/b.pem"
has "$ERR" 'can only be earlier' "the message says why"
expect 0 "an earlier keyCompromise date is accepted" "$LANCRE" revoke -d "$D" --reason keyCompromise --date "$(date -u -d @$((nb + 3600)) +%Y-%m-%dT%H:%M:%SZ)" "$T/b.pem"
same "the date moved earlier" "$(row b | cut -d'|' -f3)" "$((nb + 3600))"
expect 0 "an RFC 3339 offset is understood" "$LANCRE" revoke -d "$D" --reason keyCompromise --date "$(date -u -d @$((nb + 5400)) +%Y-%m-%dT%H:%M:%S)+01:00" "$T/b.pem"
same "the offset is applied" "$(row b | cut -d'|' -f3)" "$((nb + 1800))"

expect 2 "certificateHold is refused" "$LANCRE" revoke -d "$D" --reason certificateHold "$T/c.pem"
has "$ERR" 'BR 7.2.2' "the message cites the rule"
expect 2 "removeFromCRL is refused" "$LANCRE" revoke -d "$D" --reason removeFromCRL "$T/c.pem"
expect 1 "cACompromise is refused for a subscriber certificate" "$LANCRE" revoke -d "$D" --reason cACompromise "$T/c.pem"
has "$ERR" 'cACompromise applies to CA certificates' "the message says why"
same "c is still good" "$(row c | cut -d'|' -f1)" 0
expect 1 "a future date is refused" "$LANCRE" revoke -d "$D" --date "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" "$T/c.pem"
has "$ERR" 'in the future' "the message says so"
expect 1 "a date before notBefore is refused" "$LANCRE" revoke -d "$D" --date 2001-01-01T00:00:00Z "$T/c.pem"
has "$ERR" "before the certificate's notBefore" "the message says so"
same "c is still good after the refusals" "$(row c | cut -d'|' -f1)" 0

expect 0 "reasons are case-insensitive" "$LANCRE" revoke -d "$D" --reason SUPERSEDED "$T/c.pem"
same "superseded is code 4" "$(row c | cut -d'|' -f2)" 4
expect 0 "reasons by number" "$LANCRE" revoke -d "$D" --reason 5 "$T/d.pem"
same "cessationOfOperation is code 5" "$(row d | cut -d'|' -f2)" 5

# Several serials are one transaction: one bad serial and nothing changes.
expect 1 "a batch with an unknown serial is refused" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/e.pem")" --serial 0badbad0 --serial "$(serial_of "$T/f.pem")"
has "$ERR" 'nothing was revoked' "the message says nothing changed"
same "e is still good" "$(row e | cut -d'|' -f1)" 0
expect 0 "the same batch without the bad serial" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/e.pem")" --serial "$(serial_of "$T/f.pem")" --reason privilegeWithdrawn
same "e and f are revoked" "$(row e | cut -d'|' -f1)$(row f | cut -d'|' -f1)" 11

expect 1 "an unknown issuer name is refused" "$LANCRE" revoke -d "$D" --issuer nope --serial 01
has "$ERR" "no issuer named 'nope'" "the message names it"
# A certificate file lancre never saw is recorded and revoked in one step.
mkleaf never e1
expect 0 "a certificate lancre never saw is recorded and revoked" "$LANCRE" revoke -d "$D" --reason superseded "$T/never.pem"
has "$OUT" "^Recorded e1 serial $(serial_of "$T/never.pem") \(it was not recorded yet\)\.$" "it says it recorded it"
has "$OUT" "^Revoked e1 serial $(serial_of "$T/never.pem") at .* \(superseded\)" "and revoked it"
same "it is recorded, revoked" "$(row never | cut -d'|' -f1,2)" "1|4"
same "nothing else was revoked" "$(sqlite3 "$D/lancre.db" 'select count(*) from certificates where status = 1')" 7
mkca nobody
mkleaf orphan nobody
expect 1 "a certificate of an unregistered issuer is refused" "$LANCRE" revoke -d "$D" "$T/orphan.pem"
has "$ERR" 'unknown issuer' "the message says why"
one_line_error "in one line"
mkca sub e1
# A CA certificate issued by a registered issuer is tracked by it (an intermediate of a root).
expect 0 "a CA certificate issued by e1 is recorded and revoked" "$LANCRE" revoke -d "$D" --reason cACompromise "$T/sub.pem"
same "it is recorded as a CA, revoked cACompromise" "$(sqlite3 "$D/lancre.db" "select is_ca, status, reason from certificates where id = (select max(id) from certificates)")" "1|1|2"
expect 1 "a CA certificate of no registered issuer is refused" "$LANCRE" revoke -d "$D" "$T/nobody.pem"
has "$ERR" 'unknown issuer' "the message says why"
same "nothing else was recorded" "$(sqlite3 "$D/lancre.db" 'select count(*) from certificates')" 9

# Item 16 of issue 15: a mis-issued certificate dated a month ahead is revocable now.
mkleaf_old future e1 -30 60
"$LANCRE" cert add -d "$D" "$T/future.pem" >/dev/null
expect 0 "a certificate not yet valid is revoked now" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/future.pem"
same "it is revoked, dated now (before its notBefore)" "$(row future | cut -d'|' -f1,2)" "1|1"
expect 1 "a date past the clock-skew allowance is still refused" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/g.pem")" --date "$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ)"
has "$ERR" 'in the future \(more than 300 s ahead' "the message names the allowance"

# Item 6 of issue 15: a batch that rolls back prints no "Revoked" line; the
# lines come after the commit.  The same serial twice is one revocation.
mkleaf m1 e1 && mkleaf m2 e1 && "$LANCRE" cert add -d "$D" "$T/m1.pem" "$T/m2.pem" >/dev/null
expect 1 "a batch ending in an unknown serial fails" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/m1.pem")" --serial "$(serial_of "$T/m2.pem")" --serial deadbeef
same "and prints no Revoked line for what it rolled back" "$(cat "$OUT")" ""
has "$ERR" 'nothing was revoked' "it says nothing was revoked"
same "m1 and m2 are still good" "$(row m1 | cut -d'|' -f1)$(row m2 | cut -d'|' -f1)" 00
expect 0 "the same serial twice is one revocation" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/m1.pem")" --serial "$(serial_of "$T/m1.pem")" --serial "0x$(serial_of "$T/m2.pem")"
same "one Revoked line per certificate" "$(grep -c '^Revoked' "$OUT")" 2
same "both are revoked" "$(row m1 | cut -d'|' -f1)$(row m2 | cut -d'|' -f1)" 11

# Item 16: a date inside the clock-skew allowance (4 minutes ahead) is recorded
# as given, but neither the OCSP response nor the CRL says the certificate was
# revoked after its own thisUpdate.
mkleaf skew e1 && "$LANCRE" cert add -d "$D" "$T/skew.pem" >/dev/null
ahead=$(($(date +%s) + 240))
expect 0 "a date 4 minutes ahead is accepted" "$LANCRE" revoke -d "$D" --date "$(date -u -d @$ahead +%Y-%m-%dT%H:%M:%SZ)" "$T/skew.pem"
same "and recorded as given" "$(row skew | cut -d'|' -f3)" "$ahead"
expect 0 "the signer signs it" "$LANCRE" sign -d "$D" --once
openssl ocsp -issuer "$T/e1.pem" -cert "$T/skew.pem" -reqout "$T/skew.req" -no_nonce 2>/dev/null
"$LANCRE" answer -d "$D" --post "$T/skew.req" -o "$T/skew.resp" 2>/dev/null
same "OCSP and CRL: revoked, at most at their thisUpdate" "$("$PY" - "$T/skew.resp" "$D/public/crl/e1.crl" "$(serial_of "$T/skew.pem")" <<'PYEOF'
import sys
from cryptography import x509
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(open(sys.argv[1], 'rb').read())
crl = x509.load_der_x509_crl(open(sys.argv[2], 'rb').read())
e = crl.get_revoked_certificate_by_serial_number(int(sys.argv[3], 16))
print(r.certificate_status.name, r.revocation_time <= r.this_update,
      e is not None and e.revocation_date <= crl.last_update)
PYEOF
)" "REVOKED True True"
