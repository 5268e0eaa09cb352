#!/bin/bash
# cert add refuses a certificate whose CRL Distribution Point, OCSP or caIssuers
# URL lancre never serves for its issuer (a shard past the issuer's count,
# another issuer's CRL, another host), or records it with a warning under
# --allow-foreign-urls; a certificate naming what lancre serves, in either URL
# form, or naming nothing, goes in (issue 15 item 7).  Certificates made by the
# openssl CLI.
. "$(dirname "$0")/lib.sh"

P=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --listen "127.0.0.1:$P" --domain pki.test >/dev/null
mkca root
mkca e1 root ec
mkca e2 root ec
"$LANCRE" issuer add -d "$D" --shards 4 e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" e2 "$T/e2.pem" "$T/e2.key" >/dev/null
B=http://127.0.0.1:$P
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
openssl req -new -key "$T/leaf.key" -subj "/CN=leaf.test" -out "$T/leaf.csr" 2>/dev/null

# leaf NAME EXTENSION-LINES: $T/NAME.pem, issued by e1 with those extensions.
leaf() {
	printf 'basicConstraints=critical,CA:FALSE\n%s\n' "$2" >"$T/$1.ext"
	openssl x509 -req -in "$T/leaf.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" \
		-set_serial "0x$(openssl rand -hex 10)" -days 30 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}

while IFS='|' read -r name ext; do
	leaf "$name" "$ext"
	expect 0 "accepted: $name" "$LANCRE" cert add -d "$D" "$T/$name.pem"
	has "$OUT" "^1 added" "$name: recorded"
done <<EOF
none|keyUsage=critical,digitalSignature
path-shard|crlDistributionPoints=URI:$B/crl/e1/4.crl
host-shard|crlDistributionPoints=URI:http://e1.c.pki.test/3.crl
path-full|crlDistributionPoints=URI:$B/crl/e1.crl
host-full|crlDistributionPoints=URI:http://e1.c.pki.test/
path-aia|authorityInfoAccess=OCSP;URI:$B/ocsp,caIssuers;URI:$B/issuer/e1
host-aia|authorityInfoAccess=OCSP;URI:http://e1.o.pki.test,caIssuers;URI:http://e1.i.pki.test/
pem-issuer|authorityInfoAccess=caIssuers;URI:$B/issuer/e1.pem
EOF
same "a certificate's CRLDP decides its shard" "$(sqlite3 "$D/lancre.db" "SELECT shard FROM certificates WHERE fingerprint = x'$(openssl x509 -in "$T/host-shard.pem" -outform DER | sha256sum | cut -d' ' -f1)'")" 3

while IFS='|' read -r name ext why; do
	leaf "$name" "$ext"
	before=$(sha256sum <"$D/lancre.db")
	expect 1 "refused: $name" "$LANCRE" cert add -d "$D" "$T/$name.pem"
	has "$ERR" "^lancre cert: .*$name.pem: certificate 1: $why" "$name: the line says why"
	has "$OUT" "^0 added, 0 already present, 1 refused" "$name: nothing recorded"
	expect 0 "$name: with --allow-foreign-urls it is recorded" "$LANCRE" cert add -d "$D" --allow-foreign-urls "$T/$name.pem"
	has "$ERR" "^lancre cert: .*$name.pem: certificate 1: warning: $why.*recorded \(--allow-foreign-urls\)$" "$name: with a warning"
	has "$OUT" "^1 added" "$name: counted as added"
done <<EOF
shard-past-count|crlDistributionPoints=URI:$B/crl/e1/9.crl|its CRL Distribution Point $B/crl/e1/9.crl is not a CRL lancre publishes for e1 \(4 shards
other-issuer-crl|crlDistributionPoints=URI:$B/crl/e2/1.crl|its CRL Distribution Point $B/crl/e2/1.crl is not
other-host|crlDistributionPoints=URI:http://crl.elsewhere.test/e1/1.crl|its CRL Distribution Point http://crl.elsewhere.test/e1/1.crl is not
host-shard-past|crlDistributionPoints=URI:http://e1.c.pki.test/5.crl|its CRL Distribution Point http://e1.c.pki.test/5.crl is not
delta-as-crldp|crlDistributionPoints=URI:$B/crl/e1/1-delta.crl|its CRL Distribution Point .*1-delta.crl is not
second-uri-foreign|crlDistributionPoints=URI:$B/crl/e1/1.crl,URI:ldap://ldap.test/cn=e1|its CRL Distribution Point ldap://ldap.test/cn=e1 is not
other-ocsp|authorityInfoAccess=OCSP;URI:http://e2.o.pki.test|its OCSP URL http://e2.o.pki.test is not one lancre answers for e1
other-ca|authorityInfoAccess=caIssuers;URI:$B/issuer/e2|its caIssuers URL $B/issuer/e2 is not one lancre serves for e1
EOF

# In a bundle, the foreign one is refused alone: the others go in.
leaf fresh "crlDistributionPoints=URI:$B/crl/e1/2.crl"
leaf foreign "crlDistributionPoints=URI:$B/crl/e1/7.crl"
cat "$T/fresh.pem" "$T/foreign.pem" >"$T/bundle.pem"
expect 1 "a bundle with a foreign certificate" "$LANCRE" cert add -d "$D" "$T/bundle.pem"
has "$OUT" "^1 added, 0 already present, 1 refused" "the good one goes in, the foreign one is reported"
has "$ERR" "bundle.pem: certificate 2: its CRL Distribution Point $B/crl/e1/7.crl is not" "naming its place in the bundle"

echo "1..$n"
