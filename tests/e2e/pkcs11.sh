#!/bin/bash
# Issuer keys in a PKCS#11 token (SoftHSM2 through the libp11 engine).
. "$(dirname "$0")/lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
# Under ASan: the libp11 engine leaks at exit (see tests/lsan.supp).
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0"
export SOFTHSM2_CONF=$T/softhsm2.conf
mkdir -p "$T/tokens"
echo "directories.tokendir = $T/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label lancre --pin 1234 --so-pin 5678 >/dev/null

mkca root
mkca e1 root ec
mkca r1 root rsa
for k in e1 r1; do
	openssl pkcs8 -topk8 -nocrypt -in "$T/$k.key" -out "$T/$k.p8"
	softhsm2-util --import "$T/$k.p8" --token lancre --label "$k" --id "0$([ $k = e1 ] && echo 1 || echo 2)" --pin 1234 >/dev/null
done
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
printf '\n[pkcs11]\nmodule = %s\n' "$MODULE" >>"$D/lancre.conf"

expect 0 "an ECDSA issuer with its key in a token" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "pkcs11:token=lancre;object=e1;type=private?pin-value=1234"
has "$OUT" 'ECDSA prime256v1' "the token key is recognised"
printf 1234 >"$T/pin" # libp11 reads the whole file: no newline
expect 0 "an RSA issuer with the PIN in a file" "$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "pkcs11:token=lancre;object=r1;type=private?pin-source=file:$T/pin"
has "$OUT" 'RSA-2048' "the RSA token key is recognised"
expect 1 "a token key that does not match the certificate is refused" "$LANCRE" issuer add -d "$D" x1 "$T/root.pem" "pkcs11:token=lancre;object=e1;type=private?pin-value=1234"
has "$ERR" 'does not match' "the message says so"
expect 1 "a wrong PIN is refused" "$LANCRE" issuer add -d "$D" x2 "$T/root.pem" "pkcs11:token=lancre;object=e1;type=private?pin-value=0000"
one_line_error "in one line"
expect 1 "a missing object is refused" "$LANCRE" issuer add -d "$D" x3 "$T/root.pem" "pkcs11:token=lancre;object=nope;type=private?pin-value=1234"
one_line_error "in one line"
same "only the two good issuers are recorded" "$(sqlite3 "$D/lancre.db" 'select name from issuers order by name' | tr '\n' ' ')" "e1 r1 "
same "the URI is recorded as the key reference" "$(sqlite3 "$D/lancre.db" "select key_ref from issuers where name='e1'")" "pkcs11:token=lancre;object=e1;type=private?pin-value=1234"
mkleaf a e1
expect 0 "certificates of a token-backed issuer are added" "$LANCRE" cert add -d "$D" "$T/a.pem"

# OCSP signed by keys in the token: the per-thread signing contexts
# (pki/sigctx.c) go through the PKCS#11 engine, and the template's self-check
# passes, so no response is built the slow way.
mkleaf b e1
mkleaf c r1
"$LANCRE" cert add -d "$D" "$T/b.pem" "$T/c.pem" >/dev/null
expect 0 "lancre sign --once signs with the token's keys" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 6 responses for 3 certificates' "SHA-1 and SHA-256 responses for 3 certificates"
same "no issuer falls back to the slow way" "$(cat "$ERR")" ""
for leaf in a:e1 b:e1 c:r1; do
	cert=${leaf%%:*} ca=${leaf##*:}
	openssl ocsp -issuer "$T/$ca.pem" -cert "$T/$cert.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
	run openssl ocsp -respin "$T/resp.der" -issuer "$T/$ca.pem" -cert "$T/$cert.pem" -CAfile "$T/root.pem" -no_nonce
	has "$ERR" '^Response verify OK' "$cert ($ca, key in the token): openssl verifies the response"
	has "$OUT" ": good$" "$cert: openssl says good"
done

# A P-384 key in the token signs with SHA-384 (issue 15 item 3), OCSP and CRLs alike.
mkca e3 root p384
openssl pkcs8 -topk8 -nocrypt -in "$T/e3.key" -out "$T/e3.p8"
softhsm2-util --import "$T/e3.p8" --token lancre --label e3 --id 03 --pin 1234 >/dev/null
D3=$T/data3
"$LANCRE" init -d "$D3" >/dev/null
printf '\n[pkcs11]\nmodule = %s\n' "$MODULE" >>"$D3/lancre.conf"
expect 0 "a P-384 issuer with its key in a token" "$LANCRE" issuer add -d "$D3" e3 "$T/e3.pem" "pkcs11:token=lancre;object=e3;type=private?pin-value=1234"
mkleaf d e3
"$LANCRE" cert add -d "$D3" "$T/d.pem" >/dev/null
expect 0 "lancre sign --once with the P-384 token key" "$LANCRE" sign -d "$D3" --once
openssl ocsp -issuer "$T/e3.pem" -cert "$T/d.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
"$LANCRE" answer -d "$D3" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e3.pem" -cert "$T/d.pem" -CAfile "$T/root.pem" -no_nonce -resp_text
has "$ERR" '^Response verify OK' "openssl verifies the P-384 token's response"
has "$OUT" 'Signature Algorithm: ecdsa-with-SHA384' "signed ecdsa-with-SHA384"
run openssl crl -inform DER -in "$D3/public/crl/e3.crl" -CAfile "$T/e3.pem" -noout -verify -text
has "$OUT" "Signature Algorithm: ecdsa-with-SHA384" "its CRL too"
has "$ERR" "verify OK" "and openssl verifies it"
