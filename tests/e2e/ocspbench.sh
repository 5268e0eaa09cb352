#!/bin/bash
# lancre-ocspbench, the benchmark tool bench/ocsp.sh and bench/serve.sh rely
# on, at a small size: each mode runs its own checks (answers equal the
# stored bytes, the first signed response verifies) and prints its result
# line; put writes what lancre sign would; bad usage is refused with exit 2.
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${LANCRE_BUILD:-$(dirname "$LANCRE")}
GEN=$BUILD_DIR/lancre-gencerts
OB=$BUILD_DIR/lancre-ocspbench
N=300
mkca root
mkca e1 root ec
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count "$N" --out "$T/certs.der" 2>/dev/null
# Two stores of the same certificates, one to sign and one left unsigned for put (made
# twice, not copied: a PostgreSQL store is not in its directory).
for D in "$T/unsigned" "$T/data"; do
	"$LANCRE" init -d "$D" >/dev/null
	"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
	"$LANCRE" cert add -q -d "$D" "$T/certs.der" >/dev/null
done
expect 0 "lancre sign --once signs the $N certificates" "$LANCRE" sign -d "$D" --once

# put: the store alone, on an unsigned copy, both CertIDs (the default).
expect 0 "put writes a response per certificate and CertID" "$OB" put -d "$T/unsigned" --bytes 100
has "$OUT" "^put: $((2 * N)) responses of 100 bytes \(2 per certificate\) .* read [0-9.]+ us, write [0-9.]+ us, together [0-9.]+ us$" "put prints its result line"
same "put stored them" "$(sqlite3 "$T/unsigned/lancre.db" 'select count(*), min(length(der)), max(length(der)) from ocsp_responses')" "$((2 * N))|100|100"
expect 1 "put again finds nothing left to write and fails" "$OB" put -d "$T/unsigned"
has "$ERR" 'has no certificate to sign' "and says why"

# sign: the engine alone.
expect 0 "sign signs and checks its first response" "$OB" sign -d "$D" --count 200 --threads 2 --runs 1
has "$OUT" '^sign: 200 responses \(SHA-1 CertIDs, 2 threads\) .*/s; CPU [0-9.]+ s' "sign prints its result line"

# bench and requests: the index as the server loads it.
expect 0 "bench checks every drawn request against the stored bytes" "$OB" bench -d "$D" --requests 50 --lookups 1000 --runs 1
has "$OUT" "^load: $((2 * N)) responses" "bench loads every response"
has "$OUT" '^get: 1000 lookups over 50 requests' "bench times the GET path"
mkdir "$T/files"
expect 0 "requests writes requests, responses, a POST body and an index.txt" "$OB" requests -d "$D" --out "$T/reqs.txt" --requests 40 --responses "$T/files" --post "$T/post.der" --index "$T/index.txt"
same "40 requests" "$(wc -l <"$T/reqs.txt")" 40
same "40 response files" "$(find "$T/files" -name '*.der' | wc -l)" 40
expect 0 "openssl reads the POST body as an OCSP request" openssl ocsp -reqin "$T/post.der" -req_text

# Usage errors: exit 2, nothing written.
expect 2 "put refuses --runs (one run per copy)" "$OB" put -d "$T/unsigned" --runs 2
expect 2 "put refuses --bytes 0" "$OB" put -d "$T/unsigned" --bytes 0
expect 2 "sign refuses --bytes" "$OB" sign -d "$D" --bytes 10
expect 2 "an unknown mode is refused" "$OB" frobnicate -d "$D"
