#!/bin/bash
# Delegated OCSP responders: `lancre issuer ocsp-signer` checks the certificate
# RFC 6960 asks for, the signer then signs with it and includes it, and
# OpenSSL, GnuTLS and Python cryptography accept the result.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca other root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null

# mkresp NAME ISSUER EXTENSIONS: a responder certificate.
mkresp() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$1.key" 2>/dev/null
	signer_owns "$T/$1.key"
	openssl req -new -key "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null
	printf '%b' "$3" >"$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 30 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
mkresp resp e1 'extendedKeyUsage=OCSPSigning\nnoCheck=ignored\nkeyUsage=critical,digitalSignature\n'
mkresp nocheck e1 'extendedKeyUsage=OCSPSigning\n'
mkresp noeku e1 'noCheck=ignored\n'
mkresp foreign other 'extendedKeyUsage=OCSPSigning\nnoCheck=ignored\n'

expect 1 "a responder without ocsp-nocheck is refused" "$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/nocheck.pem" "$T/nocheck.key"
has "$ERR" 'id-pkix-ocsp-nocheck' "the message names the extension"
expect 1 "a responder without id-kp-OCSPSigning is refused" "$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/noeku.pem" "$T/noeku.key"
has "$ERR" 'OCSPSigning' "the message names the EKU"
expect 1 "a responder issued by another CA is refused" "$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/foreign.pem" "$T/foreign.key"
has "$ERR" 'not issued by this issuer' "the message says so"
expect 1 "a responder with the wrong key is refused" "$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/resp.pem" "$T/e1.key"
has "$ERR" 'does not match' "the message says so"
expect 0 "a proper responder is accepted" "$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/resp.pem" "$T/resp.key"
same "all of e1's responses are due again" "$(sqlite3 "$D/lancre.db" 'select count(*) from ocsp_responses where due_at = 0')" 2

expect 0 "the signer re-signs them" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 2 responses for 1 certificates' "both responses"
openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -cert "$T/a.pem" -CAfile "$T/root.pem" -no_nonce -resp_text
has "$ERR" '^Response verify OK' "openssl verifies the delegated response"
has "$OUT" ': good$' "and reads good"
has "$OUT" 'Subject: CN ?= ?resp' "the responder certificate is included"
resp_keyid=$(openssl x509 -in "$T/resp.pem" -noout -pubkey | openssl pkey -pubin -outform DER | "$PY" -c '
import sys, hashlib
from cryptography.hazmat.primitives.serialization import load_der_public_key, Encoding, PublicFormat
k = load_der_public_key(sys.stdin.buffer.read())
print(hashlib.sha1(k.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)).hexdigest().upper())')
has "$OUT" "Responder Id: $resp_keyid" "the ResponderID is the responder's key hash"
expect 0 "GnuTLS verifies it with the responder as signer" ocsptool -e --load-signer="$T/resp.pem" --load-response="$T/resp.der"
expect 0 "Python cryptography verifies it with the included certificate" "$PY" - "$T" <<'PYEOF'
import sys
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.hazmat.primitives.asymmetric import ec
t = sys.argv[1]
r = ocsp.load_der_ocsp_response(open(f'{t}/resp.der', 'rb').read())
assert r.certificate_status == ocsp.OCSPCertStatus.GOOD
assert len(r.certificates) == 1
signer = r.certificates[0]
assert ExtendedKeyUsageOID.OCSP_SIGNING in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
signer.public_key().verify(r.signature, r.tbs_response_bytes, ec.ECDSA(r.signature_hash_algorithm))
e1 = x509.load_pem_x509_certificate(open(f'{t}/e1.pem', 'rb').read())
e1.public_key().verify(signer.signature, signer.tbs_certificate_bytes, ec.ECDSA(signer.signature_hash_algorithm))
PYEOF

expect 0 "--remove goes back to the issuer's key" "$LANCRE" issuer ocsp-signer -d "$D" --remove e1
"$LANCRE" sign -d "$D" --once >/dev/null
"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -cert "$T/a.pem" -CAfile "$T/root.pem" -no_nonce -resp_text
has "$ERR" '^Response verify OK' "the issuer-signed response verifies"
if grep -q 'Subject: CN ?= ?resp' "$OUT"; then not_ok "no certificate is included any more"; else ok "no certificate is included any more"; fi

# A running signer picks up a new responder without a restart.
"$LANCRE" sign -d "$D" >/dev/null 2>&1 &
signer=$!
sleep 0.5
"$LANCRE" issuer ocsp-signer -d "$D" e1 "$T/resp.pem" "$T/resp.key" >/dev/null
sleep $((2 * TF))
"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
run openssl ocsp -respin "$T/resp.der" -noverify -resp_text
has "$OUT" 'Subject: CN ?= ?resp' "the running signer switched to the responder"
kill -TERM $signer
wait $signer
