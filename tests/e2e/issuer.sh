#!/bin/bash
# lancre issuer add/list: the key must match, the certificate must be a CA that
# may sign certificates and CRLs, names are DNS labels, nothing is added twice.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca r1 root rsa
mkca ed root ed25519
mkca other root ec

expect 0 "an ECDSA P-256 issuer is added" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
has "$OUT" 'Added issuer e1: .*ECDSA prime256v1' "the key type is reported"
expect 0 "an RSA-2048 issuer is added" "$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1.key"
has "$OUT" 'RSA-2048' "RSA is reported"
expect 0 "an Ed25519 issuer is added" "$LANCRE" issuer add -d "$D" --shards 4 ed "$T/ed.pem" "$T/ed.key"
has "$OUT" '4 CRL shards' "--shards is used"
openssl x509 -in "$T/root.pem" -outform DER -out "$T/root.der"
expect 0 "a DER certificate is accepted" "$LANCRE" issuer add -d "$D" root "$T/root.der" "$T/root.key"

expect 1 "a key that does not match is refused" "$LANCRE" issuer add -d "$D" x1 "$T/other.pem" "$T/e1.key"
has "$ERR" 'does not match' "and the message says so"
one_line_error "in one line"
expect 1 "an existing name is refused" "$LANCRE" issuer add -d "$D" e1 "$T/other.pem" "$T/other.key"
has "$ERR" "already exists" "the message names the clash"
expect 1 "the same certificate twice is refused" "$LANCRE" issuer add -d "$D" e1-again "$T/e1.pem" "$T/e1.key"
has "$ERR" "already registered as issuer 'e1'" "the message names the first registration"
expect 1 "an issuer name with capitals is refused" "$LANCRE" issuer add -d "$D" E2 "$T/other.pem" "$T/other.key"
has "$ERR" 'a-z, 0-9' "the name rule is given"
expect 1 "a missing key file is refused" "$LANCRE" issuer add -d "$D" x2 "$T/other.pem" "$T/none.key"
one_line_error "in one line"
expect 1 "garbage as the certificate is refused" "$LANCRE" issuer add -d "$D" x3 "$T/other.key" "$T/other.key"
one_line_error "in one line"

# A leaf certificate is not a CA.
mkleaf leaf e1
expect 1 "a leaf certificate is refused as an issuer" "$LANCRE" issuer add -d "$D" x4 "$T/leaf.pem" "$T/leaf.key"
has "$ERR" 'not a CA certificate' "the message says it is not a CA"

# A CA whose keyUsage lacks cRLSign cannot publish CRLs.
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$T/nocrl.ext"
openssl req -new -key "$T/other.key" -subj "/CN=nocrl" -out "$T/nocrl.csr" 2>/dev/null
openssl x509 -req -in "$T/nocrl.csr" -CA "$T/root.pem" -CAkey "$T/root.key" -set_serial 7 \
	-days 30 -extfile "$T/nocrl.ext" -out "$T/nocrl.pem" 2>/dev/null
expect 1 "a CA without cRLSign is refused" "$LANCRE" issuer add -d "$D" x5 "$T/nocrl.pem" "$T/other.key"
has "$ERR" 'cRLSign' "the message names cRLSign"

# An expired CA certificate (made with Python cryptography, which can backdate).
"$PY" - "$T" <<'PYEOF'
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
t = sys.argv[1]
key = serialization.load_pem_private_key(open(t + '/other.key', 'rb').read(), None)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'expired')])
now = datetime.datetime.utcnow()
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(5)
        .not_valid_before(now - datetime.timedelta(days=20))
        .not_valid_after(now - datetime.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(t + '/expired.pem', 'wb').write(cert.public_bytes(serialization.Encoding.PEM))
PYEOF
expect 1 "an expired CA is refused" "$LANCRE" issuer add -d "$D" x6 "$T/expired.pem" "$T/other.key"
has "$ERR" 'expired on' "the message gives the expiry"

expect 0 "issuer list works" "$LANCRE" issuer list -d "$D"
same "issuer list shows the four issuers" "$(cut -f1 "$OUT" | tr '\n' ' ')" "e1 ed r1 root "
same "nothing refused was recorded" "$(sqlite3 "$D/lancre.db" 'select count(*) from issuers')" 4

# The key path is recorded relative to the data dir when inside it, so the dir can move.
mkdir -p "$D/keys" && cp "$T/other.key" "$D/keys/other.key"
signer_owns "$D/keys" "$D/keys/other.key"
expect 0 "an issuer with its key inside the data dir" "$LANCRE" issuer add -d "$D" o1 "$T/other.pem" "$D/keys/other.key"
same "its key path is stored relative" "$(sqlite3 "$D/private/keys.db" "select key_ref from issuer_keys k where issuer_id = $(sqlite3 "$D/lancre.db" "select id from issuers where name='o1'")")" "keys/other.key"
