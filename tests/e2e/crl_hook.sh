#!/bin/bash
# Published files (issue 15 item 19): the issuer certificates are published in
# public/issuer/ as the server serves them (DER and .pem), and [crl] hook runs
# for every published file (CRLs, the JSON list, the issuer certificates) with
# absolute paths, even when `lancre sign -d` was given a relative directory.
# A CRL's hook has its number and thisUpdate in LANCRE_CRL_NUMBER and
# LANCRE_CRL_THIS_UPDATE (issue 18: an uploader compares numbers), through
# the sandbox; the other files' hooks have neither.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
"$LANCRE" init -d data --shards 2 >/dev/null
# The hook runs in the signer's sandbox: it may write under public/ (and private/), not $T.
H=$T/data/public/hook.log
N=$T/data/public/hook-numbers.log
printf '\n[crl]\nhook = cd / && echo "$1 ${LANCRE_CRL_NUMBER:-none} ${LANCRE_CRL_THIS_UPDATE:-none}" >> %s && echo "$1" >> %s\n' \
	"$N" "$H" >>data/lancre.conf
conf_set data/lancre.conf crl hook_shell yes
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d data e1 "$T/e1.pem" "$T/e1.key" >/dev/null
expect 0 "lancre sign -d data (a relative directory)" "$LANCRE" sign -d data --once
for i in $(seq 1 40); do [ "$(wc -l <"$H" 2>/dev/null)" -ge 6 ] && break; sleep 0.05; done
sort -u "$H" >"$T/hooked"
for f in crl/e1.crl crl/e1/1.crl crl/e1/2.crl crl/e1.json issuer/e1 issuer/e1.pem; do
	has "$T/hooked" "^$T/data/public/$f\$" "the hook ran for $f with its absolute path"
done
num=$(openssl crl -inform DER -noout -crlnumber -in data/public/crl/e1/1.crl | sed 's/^crlNumber=//')
tu=$(date -d "$(openssl crl -inform DER -noout -lastupdate -in data/public/crl/e1/1.crl |
	sed 's/^lastUpdate=//')" +%s)
has "$N" "^$T/data/public/crl/e1/1.crl $((num)) $tu\$" \
	"the CRL's hook has its number and thisUpdate (LANCRE_CRL_NUMBER, LANCRE_CRL_THIS_UPDATE)"
has "$N" "^$T/data/public/crl/e1.json none none\$" "the JSON list's hook has neither"
openssl x509 -in "$T/e1.pem" -outform DER -out "$T/e1.der"
expect 0 "public/issuer/e1 is the issuer certificate in DER" cmp data/public/issuer/e1 "$T/e1.der"
openssl x509 -in "$T/e1.pem" -out "$T/e1.norm.pem"
expect 0 "public/issuer/e1.pem is it in PEM" cmp data/public/issuer/e1.pem "$T/e1.norm.pem"
echo junk >data/public/issuer/e1.pem
expect 0 "another pass" "$LANCRE" sign -d data --once
expect 0 "a damaged issuer file is written again" cmp data/public/issuer/e1.pem "$T/e1.norm.pem"
same "nothing but absolute paths" "$(grep -vc '^/' "$T/hooked")" 0
echo "1..$n"
