# tests/e2e/lib_pkcs11.sh - a SoftHSM2 token for end-to-end tests, sourced
# after lib.sh by the scripts that use one (pkcs11.sh, pkcs11_token.sh).
#
# Keys are generated inside the token by pkcs11-tool (OpenSC), never
# imported; certificates for them are requested with CSRs the token signs
# (openssl's pkcs11 engine) and issued by a root whose key is a file (mkca).
# The test tools get the PIN on their command line; lancre never does.

MODULE=/usr/lib/softhsm/libsofthsm2.so
PIN=731945 # distinctive, so that finding it in an output means it leaked
export SOFTHSM2_CONF=$T/softhsm2.conf
TOKENS=$T/tokens

# p11_token_init: an empty token labelled "lancre" with user PIN $PIN.
p11_token_init() {
	mkdir -p "$TOKENS"
	echo "directories.tokendir = $TOKENS" >"$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label lancre --pin "$PIN" --so-pin 5678 >/dev/null
}

# p11_keygen LABEL ID TYPE: a key pair made in the token (TYPE: EC:prime256v1, rsa:2048...).
p11_keygen() {
	pkcs11-tool --module "$MODULE" --token-label lancre --login --pin "$PIN" \
		--keypairgen --key-type "$3" --label "$1" --id "$2" >/dev/null 2>&1 ||
		echo "# pkcs11-tool --keypairgen $1 failed" >&2
}

# p11_uri LABEL: the URI openssl's engine uses for the token key LABEL (a test tool: PIN inline).
p11_uri() { echo "pkcs11:token=lancre;object=$1;type=private?pin-value=$PIN"; }

# p11_ca NAME ISSUER: $T/NAME.pem, a CA certificate for the token key NAME, issued by ISSUER (a file key).
p11_ca() {
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n' >"$T/$1.ext"
	PKCS11_MODULE_PATH=$MODULE openssl req -new -engine pkcs11 -keyform engine -key "$(p11_uri "$1")" \
		-subj "/O=lancre test/CN=$1" -out "$T/$1.csr" >/dev/null 2>&1
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 1825 -extfile "$T/$1.ext" \
		-out "$T/$1.pem" >/dev/null 2>&1
}

# p11_leaf NAME ISSUER: a leaf $T/NAME.pem signed by the token key ISSUER.
p11_leaf() {
	[ -f "$T/leaf.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:%s.test\n' "$1" >"$T/leaf.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$1.test" -out "$T/leaf.csr" 2>/dev/null
	PKCS11_MODULE_PATH=$MODULE openssl x509 -req -in "$T/leaf.csr" -CA "$T/$2.pem" -engine pkcs11 \
		-CAkeyform engine -CAkey "$(p11_uri "$2")" -set_serial "0x$(openssl rand -hex 12)" \
		-days 90 -extfile "$T/leaf.ext" -out "$T/$1.pem" >/dev/null 2>&1
}

# p11_pin_files: $T/pin.nl (the PIN and a newline), $T/pin.bare (no newline), mode 0600.
p11_pin_files() {
	printf '%s\n' "$PIN" >"$T/pin.nl"
	printf '%s' "$PIN" >"$T/pin.bare"
	chmod 600 "$T/pin.nl" "$T/pin.bare"
}

# p11_chown: run as root, lancre's signer runs as lancre-signer: the token
# (SoftHSM writes lock files in it) and the PIN files must be its own.
p11_chown() {
	[ "$(id -u)" -eq 0 ] && id lancre-signer >/dev/null 2>&1 || return 0
	chown -R lancre-signer "$TOKENS" "$T"/pin.* 2>/dev/null
	chmod 644 "$SOFTHSM2_CONF"
}

# no_pin FILE DESC: FILE does not hold the PIN.
no_pin() {
	if grep -q "$PIN" "$1"; then not_ok "$2 (the PIN is in it)"; else ok "$2"; fi
}
