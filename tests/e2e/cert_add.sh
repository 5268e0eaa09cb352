#!/bin/bash
# lancre cert add and status: every input format, issuer found by signature,
# clear per-certificate refusals that change nothing, exact serial bytes.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca r1 root rsa
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1.key" >/dev/null
count() { sqlite3 "$D/lancre.db" "select count(*) from certificates $*"; }

mkleaf a e1
expect 0 "one PEM certificate is added" "$LANCRE" cert add -d "$D" "$T/a.pem"
has "$OUT" '^1 added, 0 already present, 0 refused' "the summary counts it"
expect 0 "adding it again is fine" "$LANCRE" cert add -d "$D" "$T/a.pem"
has "$OUT" '^0 added, 1 already present, 0 refused' "and it is already present"
has "$OUT" "a.pem: 1 certificate already recorded, skipped" "the file is named"

mkleaf b r1 && openssl x509 -in "$T/b.pem" -outform DER -out "$T/b.der"
expect 0 "a DER certificate is added" "$LANCRE" cert add -d "$D" "$T/b.der"
for i in 1 2 3; do mkleaf "p$i" e1; done
{ echo "Bag Attributes: junk before the first block"; cat "$T/p1.pem" "$T/e1.key" "$T/p2.pem" "$T/p3.pem"; } >"$T/bundle.pem"
expect 0 "a PEM bundle with a key block among the certificates" "$LANCRE" cert add -d "$D" "$T/bundle.pem"
has "$OUT" '^3 added' "all three certificates are added, the key is skipped"
for i in 1 2; do mkleaf "q$i" r1; openssl x509 -in "$T/q$i.pem" -outform DER; done >"$T/two.der"
expect 0 "back-to-back DER certificates" "$LANCRE" cert add -d "$D" "$T/two.der"
has "$OUT" '^2 added' "both are added"
mkdir -p "$T/dir/sub" && mkleaf d1 e1 && mkleaf d2 r1 && cp "$T/d1.pem" "$T/dir/" && cp "$T/d2.pem" "$T/dir/sub/"
expect 0 "a directory, recursively" "$LANCRE" cert add -d "$D" "$T/dir"
has "$OUT" '^2 added' "both files are added"
mkleaf s e1
expect 0 "standard input" sh -c "cat '$T/s.pem' | '$LANCRE' cert add -d '$D' -"
has "$OUT" '^1 added' "the certificate from stdin is added"
same "ten certificates are recorded" "$(count)" 10

# Refusals: each names the file and changes nothing.
mkca stranger
mkleaf u stranger
expect 1 "an unknown issuer is refused" "$LANCRE" cert add -d "$D" "$T/u.pem"
has "$ERR" "u.pem: certificate 1: unknown issuer \(.*CN=stranger" "the message names the file and the issuer"
# Same issuer name as e1, different key: the name matches, the signature does not.
mkdir -p "$T/fake" && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/fake/e1.key" 2>/dev/null
signer_owns "$T/fake/e1.key"
openssl req -new -key "$T/fake/e1.key" -subj "/O=lancre test/CN=e1" -out "$T/fake/e1.csr" 2>/dev/null
openssl x509 -req -in "$T/fake/e1.csr" -signkey "$T/fake/e1.key" -days 30 -extfile "$T/e1.ext" -out "$T/fake/e1.pem" 2>/dev/null
cp "$T/fake/e1.pem" "$T/fakee1.pem" && cp "$T/fake/e1.key" "$T/fakee1.key"
mkleaf forged fakee1
expect 1 "a certificate with the right issuer name but a bad signature is refused" "$LANCRE" cert add -d "$D" "$T/forged.pem"
has "$ERR" "signature does not verify with the key of issuer e1" "the message says the signature is wrong"
expect 1 "a CA certificate is refused" "$LANCRE" cert add -d "$D" "$T/e1.pem"
has "$ERR" "is a CA certificate" "the message says why"
head -c 300 /dev/urandom >"$T/garbage.bin"
expect 1 "garbage is refused" "$LANCRE" cert add -d "$D" "$T/garbage.bin"
has "$ERR" "garbage.bin: .*not DER or PEM" "the message says it is not a certificate"
head -c 200 "$T/b.der" >"$T/truncated.der"
expect 1 "truncated DER is refused" "$LANCRE" cert add -d "$D" "$T/truncated.der"
has "$ERR" "truncated" "the message says truncated"
: >"$T/empty.pem"
expect 1 "an empty file is refused" "$LANCRE" cert add -d "$D" "$T/empty.pem"
has "$ERR" "no certificate found" "the message says no certificate"
expect 1 "a missing file is refused" "$LANCRE" cert add -d "$D" "$T/missing.pem"
# A different certificate reusing a recorded serial (a CA bug) is refused.
mkleaf again e1 "$(serial_of "$T/a.pem")" 30
expect 1 "a reused serial with different content is refused" "$LANCRE" cert add -d "$D" "$T/again.pem"
has "$ERR" "already recorded for a different certificate" "the message says so"
# A bad certificate inside a batch does not stop the good ones.
mkleaf g1 e1
cat "$T/g1.pem" "$T/u.pem" >"$T/mixed.pem"
expect 1 "a bundle with one bad certificate exits 1" "$LANCRE" cert add -d "$D" "$T/mixed.pem"
has "$ERR" "mixed.pem: certificate 2: unknown issuer" "the bad one is named by position"
has "$OUT" "^1 added, 0 already present, 1 refused" "the good one is added"
same "exactly the good certificates are recorded" "$(count)" 11

# Item 2 of issue 15: a 400-certificate bundle with one line of certificate 201
# replaced by '!!!!notbase64!!!!' and certificate 300's END line gone: the other
# 398 go in, both damaged ones are named, and the count line adds up to 400.
"$PY" - "$T" <<'PYEOF'
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t = sys.argv[1]
ikey = serialization.load_pem_private_key(open(f'{t}/e1.key', 'rb').read(), None)
icert = x509.load_pem_x509_certificate(open(f'{t}/e1.pem', 'rb').read())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.utcnow().replace(microsecond=0)
out = []
for i in range(1, 401):
    c = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f'b{i}.test')]))
         .issuer_name(icert.subject).public_key(key.public_key())
         .serial_number(0x4000000 + i)
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=90))
         .sign(ikey, hashes.SHA256()))
    pem = c.public_bytes(serialization.Encoding.PEM).decode()
    if i == 201:
        lines = pem.split('\n')
        lines[3] = '!!!!notbase64!!!!'
        pem = '\n'.join(lines)
    if i == 300:
        pem = pem.replace('-----END CERTIFICATE-----\n', '')
    out.append(pem)
open(f'{t}/400.pem', 'w').write(''.join(out))
PYEOF
expect 1 "a bundle with two damaged blocks exits 1" "$LANCRE" cert add -d "$D" "$T/400.pem"
has "$ERR" "400.pem: certificate 201: bad base64" "certificate 201 is named"
has "$ERR" "400.pem: certificate 300: PEM block without an END line" "certificate 300 is named"
same "nothing else is refused" "$(wc -l <"$ERR")" 2
has "$OUT" "^398 added, 0 already present, 2 refused" "the count line accounts for all 400"
same "the 398 are recorded, those after the damage too" "$(count "where hex(serial) like '04000%'")" 398

# Serials are stored as their exact DER bytes: leading 00, 20 bytes, negative.
mkleaf hi e1 80aabbcc
mkleaf long e1 7f0102030405060708090a0b0c0d0e0f10111213
openssl req -new -key "$T/leaf.key" -subj "/CN=neg.test" -out "$T/neg.csr" 2>/dev/null
openssl x509 -req -in "$T/neg.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial -5 -days 30 -out "$T/neg.pem" 2>/dev/null
expect 0 "odd serials are accepted" "$LANCRE" cert add -d "$D" "$T/hi.pem" "$T/long.pem" "$T/neg.pem"
same "a serial with the top bit set keeps its 00 byte" "$(sqlite3 "$D/lancre.db" "select hex(serial) from certificates where serial = x'0080aabbcc'")" 0080AABBCC
same "a 20-byte serial round-trips" "$(sqlite3 "$D/lancre.db" "select length(serial) from certificates where serial = x'7f0102030405060708090a0b0c0d0e0f10111213'")" 20
same "a negative serial keeps its sign" "$(sqlite3 "$D/lancre.db" "select hex(serial) from certificates where serial = x'fb'")" FB
same "Python cryptography agrees on the 00-prefixed serial" "$(serial_of "$T/hi.pem")" 0080aabbcc

# status: by file, by serial (exact, canonical, with separators), and unknown.
expect 0 "status of a recorded certificate by file" "$LANCRE" status -d "$D" "$T/a.pem"
has "$OUT" '^status: good$' "it is good"
has "$OUT" '^issuer: e1 ' "its issuer is e1"
has "$OUT" '^crl shard: 1$' "its shard is shown"
has "$OUT" "^not after: $(date -u -d "$(openssl x509 -in "$T/a.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)\$" "notAfter matches openssl's"
expect 0 "status by serial" "$LANCRE" status -d "$D" "$(serial_of "$T/a.pem")"
has "$OUT" "^serial: $(serial_of "$T/a.pem")\$" "the serial is printed as stored"
expect 0 "status by serial without the 00 byte" "$LANCRE" status -d "$D" 80aabbcc
has "$OUT" '^serial: 0080aabbcc$' "finds the 00-prefixed serial"
expect 0 "status by serial with colons and 0x" "$LANCRE" status -d "$D" --issuer e1 0x80:AA:BB:CC
has "$OUT" '^status: good$' "finds it too"
expect 0 "status of a serial lancre never saw" "$LANCRE" status -d "$D" 0123456789
has "$OUT" '^status: unknown$' "is unknown"
mkleaf never e1
expect 0 "status of a never-added certificate file" "$LANCRE" status -d "$D" "$T/never.pem"
has "$OUT" '^status: unknown$' "is unknown"
expect 2 "status with a bad serial is a usage error" "$LANCRE" status -d "$D" "xyz!"
has "$ERR" "^lancre status: no such file, and 'xyz!' is not a hex serial" "the message says why"

# urls: the shard in the CRL URL follows the serial.
"$LANCRE" init -d "$T/sharded" --shards 16 >/dev/null
"$LANCRE" issuer add -d "$T/sharded" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
expect 0 "urls for a serial" "$LANCRE" urls -d "$T/sharded" --issuer e1 --serial 21
has "$OUT" '^crl: http://127.0.0.1:8080/crl/e1/2.crl$' "serial 0x21 = 33 falls in shard 33 mod 16 + 1 = 2"
has "$OUT" '^ocsp: http://127.0.0.1:8080/ocsp$' "the OCSP URL"
expect 0 "urls as openssl.cnf lines" "$LANCRE" urls -d "$T/sharded" --issuer e1 --serial 21 --format openssl
has "$OUT" '^crlDistributionPoints = URI:http://127.0.0.1:8080/crl/e1/2.crl$' "the CRLDP line"
expect 0 "urls as JSON" "$LANCRE" urls -d "$T/sharded" --issuer e1 --serial 21 --format json
same "the JSON parses and names the shard" "$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["crl_shard"])' <"$OUT")" 2
# A certificate whose CRLDP names a shard lands in that shard.
printf 'basicConstraints=critical,CA:FALSE\ncrlDistributionPoints=URI:http://127.0.0.1:8080/crl/e1/7.crl\n' >"$T/dp.ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial 0x21 -days 30 -extfile "$T/dp.ext" -out "$T/dp.pem" 2>/dev/null
"$LANCRE" cert add -d "$T/sharded" "$T/dp.pem" >/dev/null
expect 0 "status of a certificate with a CRLDP" "$LANCRE" status -d "$T/sharded" "$T/dp.pem"
has "$OUT" '^crl shard: 7$' "its shard is the one its CRLDP names"

# Item 17 of issue 15: an expired certificate is recorded with a warning, and
# status says what OCSP answers for it (unauthorized), not just "good".
mkleaf_old old e1 100 -3
expect 0 "an expired certificate is recorded" "$LANCRE" cert add -d "$D" "$T/old.pem"
has "$ERR" "old.pem: certificate 1: warning: expired at .*OCSP answers unauthorized" "with a warning"
has "$OUT" "^1 added" "it is counted as added"
expect 0 "status of the expired certificate" "$LANCRE" status -d "$D" "$T/old.pem"
has "$OUT" '^status: good$' "the record says good"
has "$OUT" '^ocsp: unauthorized \(expired at ' "and the answer is unauthorized, saying why"
mkleaf fresh e1 && "$LANCRE" cert add -d "$D" "$T/fresh.pem" >/dev/null
expect 0 "status of a certificate not signed yet" "$LANCRE" status -d "$D" "$T/fresh.pem"
has "$OUT" '^ocsp: unauthorized \(not signed yet' "says the signer has not run"
"$LANCRE" sign -d "$D" --once >/dev/null 2>&1
expect 0 "status once signed" "$LANCRE" status -d "$D" "$T/fresh.pem"
has "$OUT" '^ocsp: good \(signed\)$' "says good"
expect 0 "status of a serial never recorded" "$LANCRE" status -d "$D" --issuer e1 0a0b0c
has "$OUT" '^ocsp: unauthorized \(lancre has no record' "says unauthorized"
# What the server would answer, asked for real: unauthorized for the expired one.
openssl ocsp -issuer "$T/e1.pem" -cert "$T/old.pem" -reqout "$T/old.req" -no_nonce 2>/dev/null
expect 0 "lancre answer for the expired certificate" "$LANCRE" answer -d "$D" --post "$T/old.req" -o "$T/old.resp"
same "the server answers unauthorized, as status said" "$(cat "$ERR")" unauthorized

# Item 19 of issue 15, a directory import: files that hold no certificate (a
# key, a README) are skipped and counted, not refused.
mkdir -p "$T/issued" && mkleaf k1 e1 && mkleaf k2 e1
cp "$T/k1.pem" "$T/k2.pem" "$T/issued/" && cp "$T/leaf.key" "$T/issued/k1.key" && echo "issued by e1" >"$T/issued/README"
signer_owns "$T/issued/k1.key" # as root, cert add reads as lancre-signer
expect 0 "a directory with keys and a README among the certificates" "$LANCRE" cert add -d "$D" "$T/issued"
has "$OUT" "^2 added, 0 already present, 0 refused, 2 files without certificates skipped$" "the two files are skipped and counted"
same "nothing on stderr" "$(cat "$ERR")" ""
expect 1 "a key file named on the command line is still refused" "$LANCRE" cert add -d "$D" "$T/leaf.key"
has "$ERR" "leaf.key: no certificate found" "saying so"

# Item 19: a bad serial is a usage error (2) in status and revoke, as in urls.
expect 2 "status with a bad serial is a usage error" "$LANCRE" status -d "$D" --issuer e1 xyz
has "$ERR" "^lancre status: no such file, and 'xyz' is not a hex serial" "saying why"
expect 2 "revoke with a bad serial is a usage error" "$LANCRE" revoke -d "$D" --issuer e1 --serial 12zz
has "$ERR" "^lancre revoke: --serial: '12zz' is not a hex serial" "saying why"
expect 2 "urls with a bad serial is a usage error" "$LANCRE" urls -d "$D" --issuer e1 --serial 12zz

# Item 19: UTF-8 names are printed as UTF-8 when the locale's codeset is UTF-8.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/u8.key" 2>/dev/null
signer_owns "$T/u8.key"
openssl req -new -x509 -utf8 -key "$T/u8.key" -subj "/O=lancre test/CN=認証局" -days 30 -extensions v3_ca \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$T/u8.pem" 2>/dev/null
"$LANCRE" issuer add -d "$D" u8 "$T/u8.pem" "$T/u8.key" >/dev/null
mkleaf u8leaf u8 && "$LANCRE" cert add -d "$D" "$T/u8leaf.pem" >/dev/null
expect 0 "status under a UTF-8 locale" env LC_ALL=C.UTF-8 "$LANCRE" status -d "$D" "$T/u8leaf.pem"
has "$OUT" "^issuer: u8 \(CN=認証局,O=lancre test\)$" "prints the name as UTF-8"
expect 0 "status under the C locale" env LC_ALL=C "$LANCRE" status -d "$D" "$T/u8leaf.pem"
has "$OUT" '^issuer: u8 \(CN=\\E8\\AA\\8D' "escapes it"

# PKCS#7 bundles (.p7b), as openssl crl2pkcs7 writes them: DER and PEM.
for i in 1 2 3; do mkleaf "p7_$i" e1; done
mkleaf p7_r r1
openssl crl2pkcs7 -nocrl -certfile "$T/p7_1.pem" -certfile "$T/p7_2.pem" -certfile "$T/p7_r.pem" -outform DER -out "$T/b.p7b"
expect 0 "a DER PKCS#7 bundle" "$LANCRE" cert add -d "$D" "$T/b.p7b"
has "$OUT" "^3 added, 0 already present, 0 refused" "its three certificates are added"
openssl crl2pkcs7 -nocrl -certfile "$T/p7_2.pem" -certfile "$T/p7_3.pem" -certfile "$T/u.pem" -out "$T/b.p7c"
expect 1 "a PEM PKCS#7 bundle with a certificate of an unknown issuer" "$LANCRE" cert add -d "$D" "$T/b.p7c"
has "$OUT" "^1 added, 1 already present, 1 refused" "one added, one present, one refused"
has "$ERR" "b.p7c: certificate 3: unknown issuer" "the refused one is named by its place in the bundle"
expect 0 "status of a certificate that came in a bundle" "$LANCRE" status -d "$D" "$T/p7_3.pem"
has "$OUT" '^status: good$' "is recorded"
printf '\x30\x0f\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x02\x30\x00' >"$T/bad.p7b"
expect 1 "a broken PKCS#7 bundle is refused" "$LANCRE" cert add -d "$D" "$T/bad.p7b"
has "$ERR" "bad.p7b: certificate 1: not a valid PKCS#7 certificate bundle" "saying so"
