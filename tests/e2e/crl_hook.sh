#!/bin/bash
# [crl] hook (issue 15 item 19): it runs for every published file, the CRLs and
# the issuer's JSON list, with absolute paths even when `lancre sign -d` was
# given a relative directory.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
"$LANCRE" init -d data --shards 2 >/dev/null
printf '\n[crl]\nhook = cd / && echo "$1" >> %s/hook.log\n' "$T" >>data/lancre.conf
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d data e1 "$T/e1.pem" "$T/e1.key" >/dev/null
expect 0 "lancre sign -d data (a relative directory)" "$LANCRE" sign -d data --once
for i in $(seq 1 40); do [ "$(wc -l <"$T/hook.log" 2>/dev/null)" -ge 4 ] && break; sleep 0.05; done
sort -u "$T/hook.log" >"$T/hooked"
for f in e1.crl e1/1.crl e1/2.crl e1.json; do
	has "$T/hooked" "^$T/data/public/crl/$f\$" "the hook ran for $f with its absolute path"
done
same "nothing but absolute paths" "$(grep -vc '^/' "$T/hooked")" 0
echo "1..$n"
