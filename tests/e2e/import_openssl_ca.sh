#!/bin/bash
# `lancre import openssl-ca` against a CA directory made here by the real `openssl ca`:
# certificates issued (a leaf, intermediates, one already expired), revoked with every
# reason openssl writes (no reason, each -crl_reason, -crl_compromise and
# -crl_CA_compromise: the keyTime forms), imported, imported again (nothing changes),
# extended and imported again; then the CRL lancre signs lists the serials, reasons and
# dates of `openssl ca -gencrl`'s, and lancre's OCSP answers agree with `openssl ocsp
# -index` answering from the same index.txt.  --follow takes a change as it appears and
# exits 0 on SIGTERM.  Refused, each with one `FILE:LINE:` line, exit 1, nothing changed:
# a malformed line, an un-revocation, certificateHold (-crl_hold, -crl_reason
# certificateHold) and removeFromCRL.
. "$(dirname "$0")/lib.sh"

D=$T/data
CA=$T/ca
"$LANCRE" init -d "$D" --shards 2 >/dev/null
mkca root
"$LANCRE" issuer add -d "$D" myca "$T/root.pem" "$T/root.key" >/dev/null
mkdir -p "$CA/newcerts"
: >"$CA/index.txt"
echo 1000 >"$CA/serial"
echo 01 >"$CA/crlnumber"
cat >"$CA/openssl.cnf" <<EOF
[ca]
default_ca = CA_default
[CA_default]
dir = $CA
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = $T/root.pem
private_key = $T/root.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 7
policy = pol
unique_subject = no
x509_extensions = leaf_ext
[pol]
commonName = supplied
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf.key" \
	-subj /CN=csr -out "$T/leaf.csr" 2>/dev/null
osslca() { openssl ca -batch -config "$CA/openssl.cnf" "$@" >>"$T/openssl.log" 2>&1; }
# issue NAME [openssl ca options]: the certificate $CA/NAME.pem, subject CN=NAME.
issue() {
	local name=$1
	shift
	osslca -in "$T/leaf.csr" -subj "/CN=$name" -notext -out "$CA/$name.pem" "$@" ||
		{ echo "# openssl ca failed for $name" && tail -n 5 "$T/openssl.log" | sed 's/^/#   /'; }
}
gt() { date -u -d "$1" +%Y%m%d%H%M%SZ; } # a GeneralizedTime, as -crl_compromise takes it
dump() { sqlite3 "$D/lancre.db" "select lower(hex(serial)), status, revoked_at, reason, change_seq from certificates order by serial"; }
import() { run "$LANCRE" import openssl-ca -d "$D" --issuer myca "$@" "$CA"; }

for c in good1 good2 none unspec kc aff sup cess late; do issue "$c"; done
issue kctime -startdate "$(gt '-2 days')" # its key compromised after its notBefore
issue ica1 -extensions ca_ext
issue ica2 -extensions ca_ext
issue old -startdate "$(gt '-20 days')" -enddate "$(gt '-10 days')"
osslca -updatedb # old: E
osslca -revoke "$CA/none.pem"
for r in unspecified:unspec keyCompromise:kc affiliationChanged:aff superseded:sup cessationOfOperation:cess; do
	osslca -revoke "$CA/${r#*:}.pem" -crl_reason "${r%:*}"
done
osslca -revoke "$CA/kctime.pem" -crl_compromise "$(gt '-1 day')"
osslca -revoke "$CA/ica1.pem" -crl_CA_compromise "$(gt '-3 days')" # before its notBefore
osslca -revoke "$CA/ica2.pem" -crl_reason CACompromise
same "openssl ca wrote every form (E, no reason, 6 reasons, keyTime, CAkeyTime)" \
	"$(cut -f1,3 "$CA/index.txt" | sed 's/^\(.\)\t[0-9]*Z/\1/; s/,\([A-Za-z]*\),.*/,\1/' | LC_ALL=C sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" \
	"1E 1R 1R,CACompromise 1R,CAkeyTime 1R,affiliationChanged 1R,cessationOfOperation 1R,keyCompromise 1R,keyTime 1R,superseded 1R,unspecified 3V "
has "$CA/index.txt" ',keyTime,[0-9]{14}Z	' "index.txt has a keyTime,GeneralizedTime revocation"
has "$CA/index.txt" ',CAkeyTime,[0-9]{14}Z' "index.txt has a CAkeyTime,GeneralizedTime revocation"

import
if [ "$rc" -eq 0 ]; then ok "the first import succeeds"; else not_ok "the first import succeeds (exit $rc)"; fi
has "$OUT" ': 13 lines: 13 certificates recorded \(1 expired\), 9 revoked, 0 unchanged\.$' "it records 13 certificates, 1 expired, and 9 revocations"
has "$OUT" "^Revoked myca serial $(openssl x509 -in "$CA/kc.pem" -noout -serial | cut -d= -f2) at .* \\(keyCompromise\\)\\.$" "it prints each revocation with its reason"
dump >"$T/dump1"
import
has "$OUT" ': 13 lines: 0 certificates recorded \(0 expired\), 0 revoked, 13 unchanged\.$' "the same import again changes nothing"
dump >"$T/dump2"
if cmp -s "$T/dump1" "$T/dump2"; then ok "the store is unchanged (status, dates, reasons, change_seq)"; else not_ok "the store is unchanged"; fi
# Without newcerts/ the unchanged lines need no certificate file.
mv "$CA/newcerts" "$CA/newcerts.away"
import
mv "$CA/newcerts.away" "$CA/newcerts"
same "a run that changes nothing reads no certificate file" "$rc" 0

# Extend: two more certificates, one revoked; and an old valid one revoked now.
issue new1
issue new2
osslca -revoke "$CA/new2.pem" -crl_reason superseded
osslca -revoke "$CA/good2.pem" -crl_compromise "$(gt '-1 hour')"
import --newcerts "$CA/newcerts"
has "$OUT" ': 15 lines: 2 certificates recorded \(0 expired\), 2 revoked, 12 unchanged\.$' "the extended CA: only what changed is taken"

osslca -gencrl -out "$T/openssl.crl"
expect 0 "lancre sign --once signs the CRLs and responses" "$LANCRE" sign -d "$D" --once
expect 0 "lancre's full CRL lists the serials, reasons and dates of openssl ca -gencrl's" "$PY" - "$T" "$D" <<'PYEOF'
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID as E
t, d = sys.argv[1:]
def entries(crl):
    out = {}
    for r in crl:
        try:
            reason = r.extensions.get_extension_for_oid(E.CRL_REASON).value.reason.name
        except x509.ExtensionNotFound:
            reason = 'unspecified'  # RFC 5280: unspecified is better left out
        try:
            inv = r.extensions.get_extension_for_oid(E.INVALIDITY_DATE).value.invalidity_date
        except x509.ExtensionNotFound:
            inv = None
        out[r.serial_number] = (reason, r.revocation_date, inv)
    return out
ca = x509.load_pem_x509_certificate(open(f'{t}/root.pem', 'rb').read())
ours = x509.load_der_x509_crl(open(f'{d}/public/crl/myca.crl', 'rb').read())
assert ours.is_signature_valid(ca.public_key())
theirs = x509.load_pem_x509_crl(open(f'{t}/openssl.crl', 'rb').read())
o, t2 = entries(ours), entries(theirs)
assert len(t2) == 11, len(t2)
assert sorted(o) == sorted(t2), (sorted(o), sorted(t2))
for s, (reason, date, inv) in t2.items():
    assert o[s][0] == reason, (hex(s), o[s][0], reason)
    want = date
    if inv is not None and inv < date:  # keyTime/CAkeyTime: dated when the key was compromised
        nb = x509.load_pem_x509_certificate(open(f'{t}/ca/newcerts/{s:X}.pem', 'rb').read()).not_valid_before
        want = max(inv, nb)
    assert o[s][1] == want, (hex(s), o[s][1], want)
assert any(v[2] is not None and v[2] < v[1] for v in t2.values())
print(len(o), 'entries agree')
PYEOF

# OCSP: lancre's answer for each V and R line against openssl's own responder on index.txt.
bad=0
checked=0
while read -r st serial; do
	[ "$st" = E ] && continue
	openssl ocsp -issuer "$T/root.pem" -serial "0x$serial" -no_nonce -reqout "$T/req.der" 2>/dev/null
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/ours.der" 2>/dev/null
	openssl ocsp -index "$CA/index.txt" -CA "$T/root.pem" -rsigner "$T/root.pem" -rkey "$T/root.key" \
		-reqin "$T/req.der" -respout "$T/theirs.der" -ndays 1 >/dev/null 2>&1
	for w in ours theirs; do
		openssl ocsp -respin "$T/$w.der" -issuer "$T/root.pem" -serial "0x$serial" -CAfile "$T/root.pem" \
			2>/dev/null | sed -n 's/^0x[0-9A-Fa-f]*: //p; s/^\tReason: //p' | tr '\n' ' ' >"$T/$w.txt"
	done
	# RFC 5280: an unspecified reason may be left out; lancre leaves it out.
	[ "$(cat "$T/theirs.txt")" = "revoked unspecified " ] && echo -n "revoked " >"$T/theirs.txt"
	if ! cmp -s "$T/ours.txt" "$T/theirs.txt" || ! [ -s "$T/ours.txt" ]; then
		bad=$((bad + 1))
		echo "# serial $serial: lancre '$(cat "$T/ours.txt")', openssl '$(cat "$T/theirs.txt")'"
	fi
	checked=$((checked + 1))
done < <(awk -F'\t' '{print $1, $4}' "$CA/index.txt")
same "openssl ocsp agrees with lancre's answer for all 14 valid and revoked serials" "$bad/$checked" 0/14

# --follow: a revocation made while it runs is taken within seconds; SIGTERM ends it with 0.
"$LANCRE" import openssl-ca -d "$D" --issuer myca --follow "$CA" >"$T/follow.out" 2>"$T/follow.err" &
fpid=$!
for _ in $(seq 1 50); do grep -q '15 lines' "$T/follow.out" && break; sleep 0.1; done
osslca -revoke "$CA/good1.pem" -crl_reason cessationOfOperation
for _ in $(seq 1 50); do grep -q ' 1 revoked' "$T/follow.out" && break; sleep 0.1; done
if grep -q ': 15 lines: 0 certificates recorded (0 expired), 1 revoked, 14 unchanged.' "$T/follow.out"; then
	ok "--follow imports a revocation as it appears"
else
	not_ok "--follow imports a revocation as it appears: $(tr '\n' '|' <"$T/follow.out") $(tr '\n' '|' <"$T/follow.err")"
fi
kill -TERM "$fpid"
wait "$fpid"
same "--follow exits 0 on SIGTERM" "$?" 0

# Refusals: one FILE:LINE: line on stderr, exit 1, the store unchanged, even though a
# line before the refused one (late, revoked now) would change it: one transaction.
dump >"$T/before"
osslca -revoke "$CA/late.pem" -crl_reason superseded
cp "$CA/index.txt" "$T/index.good"
refused() { # DESC REGEX: the import exits 1 with one line matching REGEX and changes nothing
	import
	if [ "$rc" -eq 1 ] && grep -Eq -- "$2" "$ERR"; then ok "$1"; else not_ok "$1 (exit $rc)"; fi
	one_line_error "$1: one line on stderr"
	dump >"$T/after"
	if cmp -s "$T/before" "$T/after"; then ok "$1: nothing changed"; else not_ok "$1: nothing changed"; fi
	cp "$T/index.good" "$CA/index.txt"
}
issue new3 # a good line before the bad one: not imported either
line=$(($(wc -l <"$CA/index.txt") + 1))
printf 'R\t301231235959Z\t\t2A\tunknown\t/CN=x\n' >>"$CA/index.txt"
refused "a malformed line is refused" "^lancre import: $CA/index.txt:$line: status R without a revocation date \\(nothing imported\\)$"
line=$(grep -n $'\t/CN=new2$' "$CA/index.txt" | cut -d: -f1)
sed -i "${line}s/^R\t\([0-9Z]*\)\t[^\t]*\t/V\t\1\t\t/" "$CA/index.txt"
refused "an un-revocation is refused" "^lancre import: $CA/index.txt:$line: serial [0-9A-F]+ is revoked in lancre \\(at .*, superseded\\) but valid here: .*un-revoke"
osslca -revoke "$CA/new1.pem" -crl_hold holdInstructionReject
line=$(grep -n $'\t/CN=new1$' "$CA/index.txt" | cut -d: -f1)
has "$CA/index.txt" ',holdInstruction,' "openssl ca -crl_hold writes holdInstruction,OID"
refused "-crl_hold (holdInstruction) is refused" "^lancre import: $CA/index.txt:$line: serial [0-9A-F]+ is on hold \\(holdInstruction\\): .*BR 7\\.2\\.2"
osslca -revoke "$CA/new1.pem" -crl_reason certificateHold
refused "-crl_reason certificateHold is refused" "index.txt:$line: serial [0-9A-F]+ is on hold \\(certificateHold\\)"
osslca -revoke "$CA/new1.pem" -crl_reason removeFromCRL
refused "-crl_reason removeFromCRL is refused" "index.txt:$line: serial [0-9A-F]+: removeFromCRL"
import
has "$OUT" ': 15 lines: 0 certificates recorded \(0 expired\), 1 revoked, 14 unchanged\.$' "the CA directory as it was imports again: only late's revocation"
expect 0 "import --help exits 0" "$LANCRE" import openssl-ca --help
has "$OUT" '^usage: lancre import openssl-ca ' "and prints its usage"
expect 2 "--issuer is required" "$LANCRE" import openssl-ca -d "$D" "$CA"
expect 2 "an unknown source is a usage error" "$LANCRE" import pkcs12 -d "$D" --issuer myca "$CA"
expect 1 "an unknown issuer is refused" "$LANCRE" import openssl-ca -d "$D" --issuer nosuch "$CA"
one_line_error "an unknown issuer: one line"
echo "1..$n"
