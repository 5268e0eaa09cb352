#!/bin/bash
# Issuer keys in a PKCS#11 token (SoftHSM2), as an HSM operator sets them up:
# key pairs generated INSIDE the token by pkcs11-tool (P-256, RSA-2048,
# P-384; never imported), the issuers' certificates made for the token's
# public keys (CSRs signed by the token through the pkcs11 engine), leaves
# signed by the token too.  RFC 7512 URIs as written (issue 16, keys in HSMs
# item 1): module-path= in the URI, else [pkcs11] module, else
# PKCS11_MODULE_PATH; pin-source=file: with or without a trailing newline, a
# PIN file others can read refused; LANCRE_PKCS11_PIN as the last fallback;
# pin-value= refused pointing to pin-source; the PIN never in any output.
# OCSP responses and CRLs signed through the token pass `openssl ocsp` and
# `openssl crl -verify`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pkcs11.sh"

p11_token_init
p11_keygen e1 01 EC:prime256v1
p11_keygen r1 02 rsa:2048
mkca root
p11_ca e1 root
p11_ca r1 root
p11_pin_files
p11_chown

# As laid out for a root start (the signer's user owns the PIN files and the
# token), the server's user can read neither (issue 16: tried as that user).
if [ "$(id -u)" -eq 0 ] && id lancre-server >/dev/null 2>&1; then
	run as_user lancre-server cat "$T/pin.nl"
	if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then ok "as lancre-server, the PIN file cannot be read"; else not_ok "as lancre-server, the PIN file is readable (exit $rc)"; fi
	run as_user lancre-server find "$TOKENS" -type f -exec cat {} +
	if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR" && ! grep -q . "$OUT"; then ok "nor the token's files ($TOKENS)"; else not_ok "as lancre-server, the token's files are readable (exit $rc)"; fi
fi

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
KEY_E1="pkcs11:token=lancre;object=e1;type=private?module-path=$MODULE&pin-source=file:$T/pin.nl"
KEY_R1="pkcs11:token=lancre;object=r1;type=private?pin-source=file://$T/pin.bare&module-path=$MODULE"

# The module: in the URI only (no [pkcs11] module in lancre.conf, no PKCS11_MODULE_PATH).
expect 0 "an ECDSA issuer whose key was made in the token, module-path= in the URI, PIN file with a newline" \
	env -u PKCS11_MODULE_PATH "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$KEY_E1"
has "$OUT" 'ECDSA prime256v1' "the token key is recognised"
expect 0 "an RSA-2048 issuer, PIN file without a newline (file:// form)" \
	env -u PKCS11_MODULE_PATH "$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$KEY_R1"
has "$OUT" 'RSA-2048' "the RSA token key is recognised"

# Refused, each in one line, and the PIN is never repeated.
expect 1 "a PIN in the URI (pin-value=) is refused" "$LANCRE" issuer add -d "$D" x1 "$T/e1.pem" \
	"pkcs11:token=lancre;object=e1;type=private?module-path=$MODULE&pin-value=$PIN"
one_line_error "in one line"
has "$ERR" 'pin-source=file:' "pointing to pin-source"
no_pin "$ERR" "without repeating the PIN"
chmod 644 "$T/pin.nl"
expect 1 "a PIN file others can read is refused" "$LANCRE" issuer add -d "$D" x2 "$T/e1.pem" "$KEY_E1"
has "$ERR" 'group or others may read it \(mode 0644\)' "saying why"
chmod 600 "$T/pin.nl"
expect 1 "no module anywhere is refused" env -u PKCS11_MODULE_PATH "$LANCRE" issuer add -d "$D" x3 \
	"$T/e1.pem" "pkcs11:token=lancre;object=e1;type=private?pin-source=file:$T/pin.nl"
has "$ERR" 'no PKCS#11 module: give module-path= in the URI, \[pkcs11\] module' "saying where to set one"
expect 1 "a token key that does not match the certificate is refused" "$LANCRE" issuer add -d "$D" x4 \
	"$T/r1.pem" "$KEY_E1"
has "$ERR" 'does not match' "the message says so"
printf '000000\n' >"$T/pin.wrong"
chmod 600 "$T/pin.wrong"
p11_chown
expect 1 "a wrong PIN is refused" "$LANCRE" issuer add -d "$D" x5 "$T/e1.pem" \
	"pkcs11:token=lancre;object=e1;type=private?module-path=$MODULE&pin-source=file:$T/pin.wrong"
one_line_error "in one line"
expect 1 "a missing object is refused" "$LANCRE" issuer add -d "$D" x6 "$T/e1.pem" \
	"pkcs11:token=lancre;object=nope;type=private?module-path=$MODULE&pin-source=file:$T/pin.nl"
one_line_error "in one line"
expect 2 "a PIN on the command line is not an option" "$LANCRE" issuer add -d "$D" --pin "$PIN" x7 \
	"$T/e1.pem" "$KEY_E1"
same "only the two good issuers are recorded" "$("$LANCRE" issuer list -d "$D" | awk '{print $1}' | sort | tr '\n' ' ')" "e1 r1 "
no_pin "$OUT" "issuer list shows no PIN"

p11_leaf a e1
p11_leaf b e1
p11_leaf c r1
expect 0 "certificates of token-backed issuers are added" "$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/c.pem"

# OCSP signed by keys in the token: the per-thread signing contexts
# (pki/sigctx.c) go through the token, and the template's self-check passes,
# so no response is built the slow way.
expect 0 "lancre sign --once signs with the token's keys" env -u PKCS11_MODULE_PATH "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 6 responses for 3 certificates' "SHA-1 and SHA-256 responses for 3 certificates"
same "no issuer falls back to the slow way" "$(cat "$ERR")" ""
for leaf in a:e1 b:e1 c:r1; do
	cert=${leaf%%:*} ca=${leaf##*:}
	openssl ocsp -issuer "$T/$ca.pem" -cert "$T/$cert.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
	run openssl ocsp -respin "$T/resp.der" -issuer "$T/$ca.pem" -cert "$T/$cert.pem" -CAfile "$T/root.pem" -no_nonce
	has "$ERR" '^Response verify OK' "$cert ($ca, key made in the token): openssl verifies the response"
	has "$OUT" ": good$" "$cert: openssl says good"
done
for ca in e1 r1; do
	run openssl crl -inform DER -in "$D/public/crl/$ca.crl" -CAfile "$T/$ca.pem" -noout -verify
	has "$ERR" "verify OK" "openssl verifies $ca's CRL, signed in the token"
done

# The fallbacks: [pkcs11] module, then PKCS11_MODULE_PATH; LANCRE_PKCS11_PIN.
D2=$T/data2
"$LANCRE" init -d "$D2" >/dev/null
printf '\n[pkcs11]\nmodule = %s\n' "$MODULE" >>"$D2/lancre.conf"
expect 0 "the module from [pkcs11] module" env -u PKCS11_MODULE_PATH "$LANCRE" issuer add -d "$D2" e1 \
	"$T/e1.pem" "pkcs11:token=lancre;object=e1;type=private?pin-source=file:$T/pin.nl"
D3=$T/data3
"$LANCRE" init -d "$D3" >/dev/null
expect 0 "the module from PKCS11_MODULE_PATH, the PIN from LANCRE_PKCS11_PIN" \
	env PKCS11_MODULE_PATH="$MODULE" LANCRE_PKCS11_PIN="$PIN" "$LANCRE" issuer add -d "$D3" r1 \
	"$T/r1.pem" "pkcs11:token=lancre;object=r1;type=private"
expect 1 "without LANCRE_PKCS11_PIN the same key is refused" env PKCS11_MODULE_PATH="$MODULE" \
	"$LANCRE" issuer set-key -d "$D3" r1 "pkcs11:token=lancre;object=r1;type=private"
one_line_error "in one line"
has "$ERR" 'needs a PIN and none was given' "saying no PIN was given"

# A P-384 key made in the token signs with SHA-384 (issue 15 item 3), OCSP and CRLs alike.
p11_keygen e3 03 EC:secp384r1
p11_ca e3 root
p11_chown
D4=$T/data4
"$LANCRE" init -d "$D4" >/dev/null
expect 0 "a P-384 issuer with its key made in the token" "$LANCRE" issuer add -d "$D4" e3 "$T/e3.pem" \
	"pkcs11:token=lancre;object=e3;type=private?module-path=$MODULE&pin-source=file:$T/pin.bare"
p11_leaf d e3
"$LANCRE" cert add -d "$D4" "$T/d.pem" >/dev/null
expect 0 "lancre sign --once with the P-384 token key" "$LANCRE" sign -d "$D4" --once
openssl ocsp -issuer "$T/e3.pem" -cert "$T/d.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
"$LANCRE" answer -d "$D4" --post "$T/req.der" -o "$T/resp.der" 2>/dev/null
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e3.pem" -cert "$T/d.pem" -CAfile "$T/root.pem" -no_nonce -resp_text
has "$ERR" '^Response verify OK' "openssl verifies the P-384 token's response"
has "$OUT" 'Signature Algorithm: ecdsa-with-SHA384' "signed ecdsa-with-SHA384"
run openssl crl -inform DER -in "$D4/public/crl/e3.crl" -CAfile "$T/e3.pem" -noout -verify -text
has "$OUT" "Signature Algorithm: ecdsa-with-SHA384" "its CRL too"
has "$ERR" "verify OK" "and openssl verifies it"
