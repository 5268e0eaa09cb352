#!/bin/bash
# lancre demo: the universe of PRODUCT.md, checked with OpenSSL and Python
# cryptography, reused on a second run, and never left half-made.
. "$(dirname "$0")/lib.sh"

D=$T/demo
expect 0 "the demo builds" "$LANCRE" demo -d "$D" --listen 127.0.0.1:18080 --no-serve
has "$OUT" 'http://127.0.0.1:18080/ocsp' "it prints the OCSP URL"
C=$D/certs
for f in root.pem e1.pem r1.pem localhost.pem localhost.key localhost-chain.pem; do
	if [ -s "$C/$f" ]; then ok "certs/$f exists"; else not_ok "certs/$f exists"; fi
done
same "1,000 leaf files" "$(ls "$C" | grep -c '^leaf-[0-9a-f]*\.pem$')" 1000
same "the store holds 1,001 leaves (with localhost)" "$(sqlite3 "$D/lancre.db" 'select count(*) from certificates')" 1001
same "both intermediates have leaves" "$(sqlite3 "$D/lancre.db" 'select count(distinct issuer_id) from certificates')" 2
same "both intermediates have revoked leaves" "$(sqlite3 "$D/lancre.db" 'select count(distinct issuer_id) from certificates where status = 1')" 2
revoked=$(sqlite3 "$D/lancre.db" 'select count(*) from certificates where status = 1')
if [ "$revoked" -ge 50 ] && [ "$revoked" -le 200 ]; then ok "a share is revoked ($revoked)"; else not_ok "a share is revoked ($revoked)"; fi
same "with six different reasons" "$(sqlite3 "$D/lancre.db" 'select count(distinct reason) from certificates where status = 1')" 6
if [ "$(stat -c %a "$D/keys")" = 700 ] && [ "$(stat -c %a "$D/keys/e1.key")" = 600 ]; then ok "keys are private"; else not_ok "keys are private"; fi
# The admin API's first token stays 0600 (its ACL's mask empty), not the server's group's
# to read as the rest of DIR is: with it, the public server's user could write through the
# admin API.  Tried as each of lancre's users, where they exist (as root).
same "admin.token is 0600" "$(stat -c %a "$D/admin.token")" 600
if [ "$(id -u)" -eq 0 ]; then
	for u in lancre-server lancre-admin lancre-signer; do
		id "$u" >/dev/null 2>&1 || continue
		if as_user "$u" cat "$D/admin.token" >/dev/null 2>&1; then not_ok "as $u, admin.token is readable"; else ok "as $u, admin.token cannot be read"; fi
	done
	# A directory an operator makes in DIR later (about/) can be entered by the writers.
	mkdir "$D/opdir" && echo hello >"$D/opdir/f"
	same "as lancre-signer, a directory made later in DIR by root can be read" "$(as_user lancre-signer cat "$D/opdir/f" 2>&1)" hello
	rm -rf "$D/opdir"
fi

expect 0 "e1 is ECDSA P-256" sh -c "openssl x509 -in '$C/e1.pem' -noout -text | grep -q 'ASN1 OID: prime256v1'"
expect 0 "r1 is RSA-2048" sh -c "openssl x509 -in '$C/r1.pem' -noout -text | grep -q 'Public-Key: (2048 bit)'"
expect 0 "openssl verifies localhost's chain" openssl verify -CAfile "$C/root.pem" -untrusted "$C/e1.pem" "$C/localhost.pem"
expect 0 "openssl verifies the chain file" openssl verify -CAfile "$C/root.pem" -untrusted "$C/localhost-chain.pem" "$C/localhost.pem"
expect 0 "localhost.key matches localhost.pem" sh -c "[ \"\$(openssl pkey -in '$C/localhost.key' -pubout)\" = \"\$(openssl x509 -in '$C/localhost.pem' -noout -pubkey)\" ]"
expect 0 "localhost's SAN names localhost and 127.0.0.1" sh -c "openssl x509 -in '$C/localhost.pem' -noout -ext subjectAltName | grep -q 'DNS:localhost, IP Address:127.0.0.1'"

# Every leaf verifies under its intermediate, and carries the three URLs.
cat "$C/e1.pem" "$C/r1.pem" >"$T/inter.pem"
same "openssl verifies every leaf" "$(openssl verify -CAfile "$C/root.pem" -untrusted "$T/inter.pem" "$C"/leaf-*.pem 2>/dev/null | grep -c ': OK$')" 1000
leaf=$(ls "$C"/leaf-*.pem | head -1)
run openssl x509 -in "$leaf" -noout -text
has "$OUT" 'OCSP - URI:http://127.0.0.1:18080/ocsp' "a leaf has the OCSP URL"
has "$OUT" 'CA Issuers - URI:http://127.0.0.1:18080/issuer/(e1|r1)' "a leaf has the caIssuers URL"
has "$OUT" 'URI:http://127.0.0.1:18080/crl/(e1|r1)/1.crl' "a leaf has the CRL URL"
expect 0 "Python cryptography reads every certificate and verifies each leaf's signature" "$PY" - "$C" <<'PYEOF'
import sys, glob
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, AuthorityInformationAccessOID
from cryptography.hazmat.primitives.asymmetric import ec, padding
c = sys.argv[1]
issuers = {n: x509.load_pem_x509_certificate(open(f'{c}/{n}.pem', 'rb').read()) for n in ('e1', 'r1')}
by_subject = {i.subject: i for i in issuers.values()}
leaves = glob.glob(f'{c}/leaf-*.pem')
assert len(leaves) == 1000, len(leaves)
for path in leaves:
    cert = x509.load_pem_x509_certificate(open(path, 'rb').read())
    iss = by_subject[cert.issuer]
    pub = iss.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    else:
        pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert any(a.access_method == AuthorityInformationAccessOID.OCSP for a in aia)
    assert format(cert.serial_number, 'x') in path, path
PYEOF

# lancre status agrees with the store for a revoked demo leaf.
serial=$(sqlite3 "$D/lancre.db" 'select hex(serial) from certificates where status = 1 and reason = 1 limit 1' | tr A-F a-f)
expect 0 "status of a revoked demo leaf" "$LANCRE" status -d "$D" "$C/leaf-$serial.pem"
has "$OUT" '^status: revoked$' "is revoked"
has "$OUT" '^reason: keyCompromise$' "for keyCompromise"

# A second run reuses the directory: the same tables and rows, except the signers'
# leases (written by every signer's pass: docs/DESIGN.md, "Many signers").
content() {
	local t
	for t in $(sqlite3 "$D/lancre.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'lease%' ORDER BY name"); do
		sqlite3 "$D/lancre.db" ".dump $t"
	done | cat - "$C/root.pem" | sha256sum
}
before=$(content)
expect 0 "a second run succeeds" "$LANCRE" demo -d "$D" --listen 127.0.0.1:18080 --no-serve
has "$OUT" 'Reusing the demo' "and says it reuses the directory"
same "and changes nothing" "$(content)" "$before"

# --store: a PostgreSQL URL only, and not for a directory that is a demo already.
if url=$(store_pg_url "$D"); then
	if [ ! -e "$D/lancre.db" ] && "$LANCRE" cert list -d "$D" | grep -qc .; then ok "the store is in PostgreSQL ($url), no lancre.db"; else not_ok "demo --store: lancre.db exists, or the store is empty"; fi
fi
expect 2 "--store takes a postgresql:// URL" "$LANCRE" demo -d "$T/x" --store "$T/x.db" --no-serve
has "$ERR" "^lancre demo: --store takes a postgresql:// URL" "saying so"
expect 2 "a demo reused with --store is refused" "$LANCRE" demo -d "$D" --store postgresql://lancre@/lancre --no-serve
has "$ERR" "is a demo already, with the store its lancre.conf names" "saying it has its store"
if [ ! -e "$T/x" ] && [ ! -e "$T/x.partial" ]; then ok "and nothing is made"; else not_ok "a refused --store made $T/x"; fi

# A directory that is something else is not touched.
mkdir -p "$T/other" && echo keep >"$T/other/file"
expect 1 "a non-demo directory is refused" "$LANCRE" demo -d "$T/other" --no-serve
same "and left alone" "$(cat "$T/other/file")" keep
# An existing empty directory (mktemp -d) is taken, as lancre init takes one.
E=$(mktemp -d "$T/empty.XXXXXX")
expect 0 "an existing empty directory is accepted" "$LANCRE" demo -d "$E" --leaves 10 --no-serve
same "and becomes the demo (+ localhost)" "$(sqlite3 "$E/lancre.db" 'select count(*) from certificates')" 11
if [ ! -e "$E.partial" ]; then ok "leaving no partial directory"; else not_ok "leaving no partial directory"; fi
expect 1 "a non-empty one is still refused" "$LANCRE" demo -d "$T/other" --no-serve
one_line_error "with one line"
has "$ERR" 'exists but is not a lancre data directory' "saying it is not a data directory"
# An interrupted run leaves no DIR, only DIR.partial, which the next run replaces.
"$LANCRE" demo -d "$T/killed" --leaves 200000 --no-serve >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ ! -e "$T/killed" ]; then ok "a killed demo leaves no half-made directory"; else not_ok "a killed demo leaves no half-made directory"; fi
expect 0 "the next run completes" "$LANCRE" demo -d "$T/killed" --leaves 20 --no-serve
same "with the requested leaves (+ localhost)" "$(sqlite3 "$T/killed/lancre.db" 'select count(*) from certificates')" 21
if [ ! -e "$T/killed.partial" ]; then ok "and the partial directory is gone"; else not_ok "and the partial directory is gone"; fi
