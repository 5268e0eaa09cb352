#!/bin/bash
# The command-line contract of PRODUCT.md: help, exit codes, one-line errors.
. "$(dirname "$0")/lib.sh"

expect 0 "lancre --help exits 0" "$LANCRE" --help
has "$OUT" '^  init ' "--help lists init"
expect 2 "no command is a usage error" "$LANCRE"
expect 2 "an unknown command is a usage error" "$LANCRE" frobnicate
has "$ERR" "unknown command 'frobnicate'" "unknown command is named"
for cmd in init issuer cert revoke status urls demo; do
	expect 0 "lancre $cmd --help exits 0" "$LANCRE" "$cmd" --help
	has "$OUT" "^usage: lancre $cmd" "lancre $cmd --help prints its usage"
done
expect 2 "a bad option is a usage error" "$LANCRE" status --bogus
has "$ERR" "^lancre status: unknown option '--bogus'$" "which names the option"
same "in lancre's words only (not getopt's too)" "$(grep -c 'unrecognized' "$ERR")" 0
expect 2 "an option without its value is a usage error" "$LANCRE" sign --threads
has "$ERR" "^lancre sign: option '--threads' needs a value$" "saying which option needs a value"
expect 2 "an unknown short option" "$LANCRE" cert add -x
has "$ERR" "^lancre cert: unknown option '-x'$" "is named too"
expect 2 "a value given to a flag" "$LANCRE" sign --once=yes
has "$ERR" "^lancre sign: option '--once=yes' takes no value$" "is refused by name"
expect 2 "revoke without a target is a usage error" "$LANCRE" revoke -d "$T"
expect 2 "revoke --serial without --issuer is a usage error" "$LANCRE" revoke -d "$T" --serial 01
expect 2 "an unknown reason is a usage error" "$LANCRE" revoke -d "$T" --reason nope x.pem
expect 2 "a bad --date is a usage error" "$LANCRE" revoke -d "$T" --date yesterday x.pem

expect 1 "a directory that is not a data dir fails" "$LANCRE" status -d "$T/nowhere" 01
one_line_error "and says so in one line"
has "$ERR" "not a lancre data directory" "the message says what is wrong"

# -d naming a regular file: said plainly, and init does not pretend it can (issue 15 item 19).
echo "not a directory" >"$T/afile"
expect 1 "-d FILE fails" "$LANCRE" status -d "$T/afile" 01
one_line_error "in one line"
has "$ERR" "afile is not a directory" "saying it is not a directory"
if grep -q "lancre init" "$ERR"; then not_ok "and not suggesting lancre init"; else ok "and not suggesting lancre init"; fi
expect 1 "init -d FILE fails" "$LANCRE" init -d "$T/afile"
one_line_error "in one line"
has "$ERR" "afile exists and is not a directory" "saying it is not a directory"
same "and leaves the file alone" "$(cat "$T/afile")" "not a directory"

# LANCRE_DIR is the default for -d.
expect 0 "init into \$LANCRE_DIR" env LANCRE_DIR="$T/envdir" "$LANCRE" init
if [ -f "$T/envdir/lancre.conf" ]; then ok "LANCRE_DIR is used"; else not_ok "LANCRE_DIR is used"; fi
expect 0 "issuer list finds the dir through LANCRE_DIR" env LANCRE_DIR="$T/envdir" "$LANCRE" issuer list
