#!/bin/bash
# What `lancre urls` prints is exactly what the server answers, in both URL
# forms; URLs and listen addresses are checked at init, in lancre.conf and on
# the serve/run/demo flags (issue 15 item 5: a base URL with a trailing slash
# gave //ocsp URLs answered 404, --domain http://x went into URLs, and
# --listen :99999 bound port 34463).
. "$(dirname "$0")/lib.sh"

# Bad values: a usage error naming the flag, and nothing created.
while IFS='|' read -r flag value why; do
	expect 2 "init $flag '$value' is refused" "$LANCRE" init -d "$T/bad" "$flag" "$value"
	has "$ERR" "^lancre init: $flag: .*$why" "init $flag '$value': says $why"
done <<'EOF'
--domain|http://example.test|not a domain name
--domain|ex ample|not a domain name
--domain|example.test:8080|not a domain name
--listen|127.0.0.1:99999|port from 1 to 65535
--listen|127.0.0.1:0|port from 1 to 65535
--listen|127.0.0.1|not HOST:PORT
--base-url|https://pki.example|must start with http://
--base-url|http://pki.example/pki|has a path
--base-url|http://ex ample|not http://HOST
--base-url|http://pki.example:70000|not http://HOST
EOF
if [ -e "$T/bad" ]; then not_ok "refused values create nothing"; else ok "refused values create nothing"; fi

P=$(free_port)
D=$T/data
expect 0 "init takes a base URL with a trailing slash" "$LANCRE" init -d "$D" --listen "127.0.0.1:$P" --base-url "http://127.0.0.1:$P/" --domain pki.test
has "$D/lancre.conf" "^base = http://127.0.0.1:$P\$" "the trailing slash is removed"

for key in "listen = 127.0.0.1:99999" "admin = localhost:0" "base = ftp://x" "domain = http://x.test"; do
	cp "$D/lancre.conf" "$T/good.conf"
	sed -i "s|^;*${key%% =*} = .*|$key|" "$D/lancre.conf"
	expect 1 "lancre.conf '$key' is refused" "$LANCRE" issuer list -d "$D"
	has "$ERR" "lancre.conf.*\\[(server|urls)\\] ${key%% =*}: " "lancre.conf '$key': the key is named"
	cp "$T/good.conf" "$D/lancre.conf"
done
sed -i "s|^base = .*|base = http://127.0.0.1:$P///|" "$D/lancre.conf"
expect 0 "lancre.conf takes a base with trailing slashes" "$LANCRE" issuer list -d "$D"
for cmd in serve run; do
	expect 2 "$cmd --listen 127.0.0.1:99999 is refused" timeout 10 "$LANCRE" "$cmd" -d "$D" --listen 127.0.0.1:99999
	has "$ERR" "^lancre $cmd: --listen: '127.0.0.1:99999' is not HOST:PORT" "$cmd names the flag and the value"
	expect 2 "$cmd --admin '[::1:80' is refused" timeout 10 "$LANCRE" "$cmd" -d "$D" --admin '[::1:80'
done
expect 2 "demo --listen 127.0.0.1:65536 is refused" timeout 60 "$LANCRE" demo -d "$T/demo" --listen 127.0.0.1:65536 --no-serve
if [ -e "$T/demo" ]; then not_ok "and creates nothing"; else ok "and creates nothing"; fi

mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" --shards 4 e1 "$T/e1.pem" "$T/e1.key" >/dev/null
SERIAL=1a2b3c4d5e6f
mkleaf a e1 "$SERIAL"
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
B64=$(base64 -w0 <"$T/req.der" | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
# The server listens on a port taken now (P, in the URLs, may have been taken by
# another test since); curl --connect-to sends every URL's host there.
P2=$(free_port)
"$LANCRE" serve -d "$D" --listen "127.0.0.1:$P2" --admin "127.0.0.1:$(free_port)" --threads 1 >"$T/serve.log" 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null; wait $SP 2>/dev/null; lib_exit' EXIT
wait_http "http://127.0.0.1:$P2/" $((30 * TF)) || { cp "$T/serve.log" "$ERR"; not_ok "the server starts"; }

# fetch DESC URL [curl args]: 200, into $T/body.
fetch() {
	local desc=$1 url=$2 code
	shift 2
	code=$(curl -s -o "$T/body" -w '%{http_code}' --connect-to "::127.0.0.1:$P2" "$@" "$url")
	same "$desc: $url answers 200" "$code" 200
}

# check_urls STYLE: every URL `lancre urls` prints answers 200 with the right content.
check_urls() {
	local style=$1 ocsp ca crl
	expect 0 "$style: lancre urls" "$LANCRE" urls -d "$D" --issuer e1 --serial "$SERIAL"
	ocsp=$(sed -n 's/^ocsp: //p' "$OUT")
	ca=$(sed -n 's/^ca issuers: //p' "$OUT")
	crl=$(sed -n 's/^crl: //p' "$OUT")
	same "$style: three URLs, none with '//' after the scheme" \
		"$(printf '%s\n%s\n%s\n' "$ocsp" "$ca" "$crl" | grep -c '^http://[^/]*\(/[^/][^/]*\)*/\?$')" 3
	fetch "$style OCSP POST" "$ocsp" -H 'Content-Type: application/ocsp-request' --data-binary "@$T/req.der"
	same "$style OCSP POST: the response says good" "$(openssl ocsp -respin "$T/body" -resp_text -noverify 2>/dev/null | grep -c 'Cert Status: good')" 1
	fetch "$style OCSP GET" "${ocsp%/}/$B64"
	same "$style OCSP GET: the response says good" "$(openssl ocsp -respin "$T/body" -resp_text -noverify 2>/dev/null | grep -c 'Cert Status: good')" 1
	fetch "$style caIssuers" "$ca"
	same "$style caIssuers: the issuer certificate" "$(openssl x509 -inform DER -in "$T/body" -noout -subject 2>/dev/null)" "$(openssl x509 -in "$T/e1.pem" -noout -subject)"
	fetch "$style CRL" "$crl"
	if openssl crl -inform DER -in "$T/body" -CAfile "$T/e1.pem" -noout 2>/dev/null; then ok "$style CRL: verifies"; else not_ok "$style CRL: verifies"; fi
}
check_urls host
sed -i 's/^style = host/style = path/' "$D/lancre.conf"
check_urls path

echo "1..$n"
