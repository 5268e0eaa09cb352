#!/bin/bash
# The audit trail (issue 19, "An audit trail you can check"): a scripted day of
# changes from the CLI (init's first token, an issuer added, certificates added
# once and again, revocations and a reason changed, a token added and revoked, the
# issuer retired), each one row from "cli:USER"; nothing for a refused change.
# `lancre audit` lists them with its filters and as JSON; `--verify` holds, then
# catches one row altered with sqlite3 (and restored), the last row deleted, a row
# deleted in the middle (exit 3 naming the first bad row), and a head kept from
# before (--head) that a chain rewritten after it no longer passes through.
. "$(dirname "$0")/lib.sh"

D=$T/data
ME="cli:$(id -un)"
q() { sqlite3 "$D/lancre.db" "$1"; }
rows() { "$LANCRE" audit -d "$D" "$@" | tail -n +2; }
actions() { rows "$@" | awk '{ print $5 }' | tr '\n' ' ' | sed 's/ $//'; }

expect 0 "lancre init" "$LANCRE" init -d "$D"
has "$OUT" 'admin\.token' "init says where the first token is"
same "DIR/admin.token is 0600, owned by who ran init" "$(stat -c '%a %U' "$D/admin.token")" "600 $(id -un)"
grep -Eqx 'lct_[A-Za-z0-9_-]{43}' "$D/admin.token" && ok "it holds one token, lct_ and 43 base64url characters" ||
	not_ok "admin.token holds a token: $(head -c 60 "$D/admin.token")"
expect 0 "token list" "$LANCRE" token list -d "$D"
has "$OUT" '^admin +intake,revoke,read +[0-9T:-]+Z active$' "the first token is 'admin', every scope, active"
grep -qF "$(cat "$D/admin.token")" "$D/lancre.db" "$D/lancre.db-wal" 2>/dev/null &&
	not_ok "the token's text is not in the store" || ok "the token's text is not in the store (only its hash)"
same "the store holds its SHA-256" "$(q "select lower(hex(hash)) from tokens where name = 'admin'")" \
	"$(tr -d '\n' <"$D/admin.token" | sha256sum | cut -d' ' -f1)"

mkca root
mkca e1 root ec
expect 0 "issuer add" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
for l in a b c; do mkleaf "$l" e1; done
expect 0 "cert add a b c" "$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/c.pem"
expect 0 "cert add a again (already present)" "$LANCRE" cert add -d "$D" "$T/a.pem"
expect 0 "revoke a, keyCompromise" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a.pem"
expect 0 "revoke b by serial, superseded" "$LANCRE" revoke -d "$D" --issuer e1 --serial "$(serial_of "$T/b.pem")" --reason superseded
expect 0 "b's reason changed to keyCompromise" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b.pem"
expect 0 "token add ci" "$LANCRE" token add -d "$D" ci --scope intake,read
grep -Eqx 'lct_[A-Za-z0-9_-]{43}' "$OUT" && ok "token add prints the token alone on stdout" || not_ok "token add's stdout: $(cat "$OUT")"
has "$ERR" "shown only this once" "and says it is shown once"
expect 0 "token revoke ci" "$LANCRE" token revoke -d "$D" ci

# Refused changes leave no row.
before=$(q "select count(*) from audit")
expect 1 "a second active token named admin is refused" "$LANCRE" token add -d "$D" admin --scope read
expect 1 "revoking a again with another reason is refused" "$LANCRE" revoke -d "$D" --reason superseded "$T/a.pem"
expect 1 "revoking a token that is not active is refused" "$LANCRE" token revoke -d "$D" ci
one_line_error "token revoke ci: one line"
expect 1 "adding the issuer again is refused" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
same "refused changes wrote no audit row" "$(q "select count(*) from audit")" "$before"
expect 0 "issuer retire" "$LANCRE" issuer retire -d "$D" e1

same "one row per change, in order" "$(actions)" \
	"token.add issuer.add cert.add cert.add cert.add cert.revoke cert.revoke cert.revoke token.add token.revoke issuer.retire"
same "numbered 1 to 11" "$(rows | awk '{ print $1 }' | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 11 "
same "every row from $ME, origin cli" "$(rows | awk '{ print $3, $4 }' | sort -u)" "$ME cli"
sa=$(serial_of "$T/a.pem")
sb=$(serial_of "$T/b.pem")
same "--serial (a's): added, then revoked" "$(actions --serial "$sa")" "cert.add cert.revoke"
same "--serial in another spelling (0x, colons) finds the same" "$(actions --serial "0x$sa")" "cert.add cert.revoke"
same "--issuer e1: the issuer's rows only" "$(actions --issuer e1)" \
	"issuer.add cert.add cert.add cert.add cert.revoke cert.revoke cert.revoke issuer.retire"
same "--since tomorrow: none" "$(rows --since "$(date -u -d tomorrow +%Y-%m-%dT%H:%M:%SZ)" | wc -l)" 0
same "--since an hour ago: all" "$(rows --since "$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)" | wc -l)" 11
rows --serial "$sa" >"$T/a.rows"
rows --serial "$sb" | tail -n 1 >"$T/b.rows"
has "$T/a.rows" "cert.revoke e1 $sa \\{\"reason\":\"keyCompromise\",\"date\":\"[0-9T:-]+Z\"\\}$" \
	"a's revocation row: issuer, serial, reason and date"
has "$T/b.rows" '"reason":"keyCompromise".*"was":\{"reason":"superseded"' \
	"b's changed reason: the new one and what it was"
has "$T/a.rows" '^3 .* cert\.add e1 [0-9a-f]+ \{"sha256":"[0-9a-f]{64}"' "a cert.add row names the certificate by its SHA-256"
expect 0 "--json" "$LANCRE" audit -d "$D" --json --issuer e1
"$PY" - "$OUT" "$sb" <<'PYEOF' && ok "--json: an array of objects, detail as JSON" || not_ok "--json"
import json, sys
v = json.load(open(sys.argv[1]))
assert len(v) == 8, len(v)
assert [r["id"] for r in v] == [2, 3, 4, 5, 6, 7, 8, 11]
r = [r for r in v if r["serial"] == sys.argv[2] and r["action"] == "cert.revoke"][-1]
assert r["issuer"] == "e1" and r["origin"] == "cli" and r["actor"].startswith("cli:")
assert r["detail"]["reason"] == "keyCompromise" and r["detail"]["was"]["reason"] == "superseded"
assert len(r["hash"]) == 64
PYEOF
expect 2 "--verify with a filter is a usage error" "$LANCRE" audit -d "$D" --verify --issuer e1
expect 2 "a bad --serial is a usage error" "$LANCRE" audit -d "$D" --serial zz
expect 2 "a bad --since is a usage error" "$LANCRE" audit -d "$D" --since yesterday
expect 1 "an unknown --issuer fails" "$LANCRE" audit -d "$D" --issuer nope
one_line_error "unknown issuer: one line"

expect 0 "--verify: the chain holds" "$LANCRE" audit -d "$D" --verify
has "$OUT" '^The audit trail holds: 11 rows' "it says so, with the count"
head=$(sed -n 's/^Head: row 11, sha256 \([0-9a-f]\{64\}\)$/\1/p' "$OUT")
[ -n "$head" ] && ok "and prints the head to keep elsewhere" || not_ok "the head line"
expect 0 "--verify --head (the head just printed)" "$LANCRE" audit -d "$D" --verify --head "$head"

# One row altered, as someone with write access to the store would: caught.
orig=$(q "select detail from audit where id = 6")
q "update audit set detail = '{\"reason\":\"unspecified\"}' where id = 6"
expect 3 "--verify: a row altered with sqlite3 is caught (exit 3)" "$LANCRE" audit -d "$D" --verify
has "$ERR" 'broken: row 6 does not match its hash' "naming the first bad row"
one_line_error "--verify broken: one line"
q "update audit set detail = '$orig' where id = 6"
expect 0 "restored: the chain holds again" "$LANCRE" audit -d "$D" --verify
q "update audit set actor = 'cli:someone-else' where id = 3"
expect 3 "the actor of a row changed: caught" "$LANCRE" audit -d "$D" --verify
has "$ERR" 'row 3 does not match' "row 3 named"
q "update audit set actor = '$ME' where id = 3"

# More changes, a new head kept; then rows deleted.
expect 0 "token add ops" "$LANCRE" token add -d "$D" ops --scope read
expect 0 "--verify --head: an older head is still in the chain" "$LANCRE" audit -d "$D" --verify --head "$head"
q "delete from audit where id = (select max(id) from audit)"
expect 3 "the last row deleted: caught" "$LANCRE" audit -d "$D" --verify
has "$ERR" 'ends at row 11 but its head is row 12' "it says rows went from the end"
q "delete from audit where id = 4"
expect 3 "a row deleted in the middle: caught" "$LANCRE" audit -d "$D" --verify
has "$ERR" 'row 4 is missing' "naming the missing row"
# A writer who rewrites every hash after its change (and the head) passes the chain
# check; a head kept outside the store from before the change does not.
expect 3 "--head of a value not in the chain: exit 3" "$LANCRE" audit -d "$D" --verify --head "$(printf '%064d' 0)"
expect 2 "--head without --verify is a usage error" "$LANCRE" audit -d "$D" --head "$head"
