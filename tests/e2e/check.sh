#!/bin/bash
# lancre check (issue 17): a certificate's revocation status decided as a
# careful client does, against a running `lancre run` of a demo-like data
# directory and a fake responder: good and revoked leaves (each reason), an OCSP
# URL that is down (the CRL decides), stale answers (cannot decide), a response
# signed by the wrong key or for another certificate (cannot decide, and why),
# short-lived and noRevAvail certificates, --json, --help, bad input.
. "$(dirname "$0")/lib.sh"


P=$(free_port)
A=$(free_port)
DEAD=$(free_port) # nothing listens there
F=$(free_port)    # the fake responder
D=$T/demo
"$LANCRE" demo -d "$D" --leaves 40 --listen "127.0.0.1:$P" --no-serve >/dev/null || not_ok "the demo builds"
C=$D/certs
cp "$C/e1.pem" "$T/e1.pem"
cat "$D/keys/e1.key" >"$T/e1.key"
q() { sqlite3 "$D/lancre.db" "$1"; }
leaf_of() { echo "$C/leaf-$(echo "$1" | tr A-F a-f).pem"; }

# Each reason on one good demo leaf.
REASONS="keyCompromise affiliationChanged superseded cessationOfOperation privilegeWithdrawn"
# (e1's leaves, localhost, the last row, left out: its file has another name)
q "select hex(serial) from certificates where status = 0 and issuer_id = (select id from issuers where name = 'e1') and id != (select max(id) from certificates)" >"$T/good"
i=1
for r in $REASONS; do
	i=$((i + 1))
	s=$(sed -n "${i}p" "$T/good")
	"$LANCRE" revoke -d "$D" --reason "$r" "$(leaf_of "$s")" >/dev/null || not_ok "revoke $r"
	echo "$r $s" >>"$T/revoked"
done
good=$(leaf_of "$(sed -n 1p "$T/good")")

# mkleaf_ext NAME EXTLINES [DAYS]: a leaf of e1 with the given extensions (openssl.cnf lines).
mkleaf_ext() {
	local name=$1 ext=$2 days=${3:-90} serial
	serial=$(openssl rand -hex 12 | sed 's/^./4/')
	[ -f "$T/leaf.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n%b\n' "$ext" >"$T/$name.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$name.test" -out "$T/$name.csr" 2>/dev/null
	openssl x509 -req -in "$T/$name.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial "0x$serial" \
		-days "$days" -extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null
	echo "$serial"
}
ISS="caIssuers;URI:http://127.0.0.1:$P/issuer/e1"
crl_url() { "$LANCRE" urls -d "$D" --issuer e1 --serial "$1" | sed -n 's/^crl: //p'; }

# A leaf whose OCSP URL is down, with lancre's CRL (good, and one revoked).
for nm in down downrev; do
	s=$(mkleaf_ext $nm "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$DEAD/ocsp,$ISS\ncrlDistributionPoints=URI:PLACEHOLDER")
	rm "$T/$nm.pem"
	sed -i "s|PLACEHOLDER|$(crl_url "$s")|" "$T/$nm.ext"
	openssl x509 -req -in "$T/$nm.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial "0x$s" \
		-days 90 -extfile "$T/$nm.ext" -out "$T/$nm.pem" 2>/dev/null
done
# Leaves whose only source is the fake responder (no CRL to fall back on).
mkleaf_ext badsig "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$F/badsig,$ISS" >/dev/null
mkleaf_ext badid "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$F/badid,$ISS" >/dev/null
mkleaf_ext short "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$DEAD/ocsp,$ISS" 5 >/dev/null
mkleaf_ext norev "2.5.29.56=ASN1:NULL" >/dev/null
mkleaf_ext nothing "subjectAltName=DNS:nothing.test" >/dev/null
# caIssuers names the other intermediate: it did not sign the leaf.
mkleaf_ext wrongiss "authorityInfoAccess=caIssuers;URI:http://127.0.0.1:$P/issuer/r1\ncrlDistributionPoints=URI:http://127.0.0.1:$P/crl/e1/1.crl" >/dev/null
# The CRL URL redirects to e1's real CRL, whose IssuingDistributionPoint names another URL.
mkleaf_ext otherscope "authorityInfoAccess=$ISS\ncrlDistributionPoints=URI:http://127.0.0.1:$F/crlother" >/dev/null
mkleaf_ext crlbadsig "authorityInfoAccess=$ISS\ncrlDistributionPoints=URI:http://127.0.0.1:$F/crlbadsig" >/dev/null
"$LANCRE" cert add -q --allow-foreign-urls -d "$D" "$T/down.pem" "$T/downrev.pem" >/dev/null 2>&1 || not_ok "cert add"
"$LANCRE" revoke -d "$D" --reason cessationOfOperation "$T/downrev.pem" >/dev/null || not_ok "revoke downrev"


# The fake responder: for /badsig a response naming e1 as responder but signed by
# another key; for /badid one signed by e1's key but for another certificate.
"$PY" - "$T" "$F" "$P" <<'PYEOF' &
import sys, datetime, http.server
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, port, lancre = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load = lambda n: x509.load_pem_x509_certificate(open(f'{t}/{n}.pem', 'rb').read())
issuer, ikey = load('e1'), serialization.load_pem_private_key(open(f'{t}/e1.key', 'rb').read(), None)
now = datetime.datetime.utcnow().replace(microsecond=0)
# A certificate with e1's name and another key: a responder ID that names e1.
other = ec.generate_private_key(ec.SECP256R1())
impostor = (x509.CertificateBuilder().subject_name(issuer.subject).issuer_name(issuer.subject)
            .public_key(other.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=9)).sign(other, hashes.SHA256()))
def resp(leaf, key, rid=issuer):
    b = ocsp.OCSPResponseBuilder()
    b = b.add_response(cert=leaf, issuer=issuer, algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
                       this_update=now, next_update=now + datetime.timedelta(days=3), revocation_time=None, revocation_reason=None)
    b = b.responder_id(ocsp.OCSPResponderEncoding.NAME, rid)
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
badcrl = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(now)
          .next_update(now + datetime.timedelta(days=3)).sign(other, hashes.SHA256()))
bodies = {'/crlbadsig': badcrl.public_bytes(serialization.Encoding.DER),
          '/badsig': resp(load('badsig'), other, rid=impostor),
          '/badid': resp(load('down'), ikey)}  # another certificate's CertID
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        if self.path == '/crlother':
            self.send_response(302)
            self.send_header('Location', f'http://127.0.0.1:{lancre}/crl/e1/1.crl')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        body = bodies.get('/' + self.path.split('/')[1])
        self.send_response(200 if body else 404)
        self.send_header('Content-Type', 'application/ocsp-response')
        self.send_header('Content-Length', str(len(body or b'')))
        self.end_headers()
        self.wfile.write(body or b'')
    do_GET = do_POST = answer
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PYEOF
fake_pid=$!

# Everything signed before the server starts, so no answer predates a revocation above.
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "lancre sign --once"
"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --api "127.0.0.1:$(free_port)" >"$T/run.log" 2>&1 &
run_pid=$!
for i in $(seq 1 $((100 * TF))); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/healthz")" = 200 ] && break
	sleep 0.1
done
wait_http "http://127.0.0.1:$F/badsig/x" || not_ok "the fake responder started"
# Revocations reach the CRL within [crl] delay (5 s in the demo).
s=$(openssl x509 -in "$T/downrev.pem" -noout -serial | cut -d= -f2)
for i in $(seq 1 $((200 * TF))); do
	curl -s "http://127.0.0.1:$P/crl/e1/1.crl" | openssl crl -inform DER -noout -text 2>/dev/null | grep -q "Serial Number: $s" && break
	sleep 0.1
done

# A good leaf: OCSP decides; the issuer is fetched from caIssuers.
expect 0 "a good leaf: exit 0" "$LANCRE" check --verbose "$good"
has "$OUT" '^status: good$' "it says good"
has "$OUT" '^from: ocsp$' "from OCSP"
has "$OUT" "^issuer: http://127.0.0.1:$P/issuer/(e1|r1) .*signed the certificate" "verbose: the issuer fetched by caIssuers and checked"
has "$OUT" "^ocsp: http://127.0.0.1:$P/ocsp/MF[^ ]* \(HTTP 200" "verbose: the OCSP GET"
# The chain bundle: the issuer comes from the file, nothing fetched for it.
expect 0 "localhost with its chain: exit 0" "$LANCRE" check --verbose "$C/localhost-chain.pem"
has "$OUT" '^issuer: the issuer is in the chain given' "the issuer comes from the chain"
has "$OUT" '^status: good$' "and it is good"
expect 0 "a DER certificate is read" sh -c "openssl x509 -in '$good' -outform DER -out '$T/good.der' && '$LANCRE' check '$T/good.der'"

# Revoked leaves, each reason.
while read -r r s; do
	expect 3 "revoked for $r: exit 3" "$LANCRE" check "$(leaf_of "$s")"
	has "$OUT" '^status: revoked$' "$r: it says revoked"
	has "$OUT" "^reason: $r\$" "$r: with the reason"
	has "$OUT" '^revoked at: 20[0-9-]+T' "$r: and the time"
done <"$T/revoked"

# The OCSP URL is down: the CRL decides.
expect 0 "OCSP down, good on the CRL: exit 0" "$LANCRE" check --verbose "$T/down.pem"
has "$OUT" "^ocsp: http://127.0.0.1:$DEAD/ocsp/.*(refused|connect)" "verbose: the OCSP fetch failed"
has "$OUT" "^crl: http://127.0.0.1:$P/crl/e1/[0-9]+.crl \(HTTP 200" "verbose: the CRL fetched"
has "$OUT" '^from: crl$' "the CRL decided"
expect 3 "OCSP down, revoked on the CRL: exit 3" "$LANCRE" check "$T/downrev.pem"
has "$OUT" '^reason: cessationOfOperation$' "with the CRL's reason"

# Stale answers.  5 days on, OCSP responses (4d) are stale, the CRL (7d) is not.
expect 0 "5 days on: the stale OCSP response is refused, the CRL decides" faked 5d "$LANCRE" check --verbose "$good"
has "$OUT" '^ocsp: .*stale: past its nextUpdate' "verbose: OCSP stale"
has "$OUT" '^from: crl$' "the CRL decided"
expect 4 "8 days on: the CRL is past its nextUpdate: cannot decide (exit 4)" faked 8d "$LANCRE" check "$T/down.pem"
has "$OUT" '^status: could not decide$' "it says it could not decide"
has "$OUT" '^why: .*CRL.*stale: past its nextUpdate' "because the CRL is stale"
expect 4 "8 days on, a leaf with both: cannot decide" faked 8d "$LANCRE" check "$good"
has "$OUT" '^why: OCSP: .*stale.*; CRL: .*stale' "naming both reasons"

# Responses the client must refuse.
expect 4 "a response signed by the wrong key: cannot decide (exit 4)" "$LANCRE" check "$T/badsig.pem"
has "$OUT" "^why: OCSP: the response's signature does not verify with the issuer's key" "it says why"
expect 4 "a response for another certificate: cannot decide" "$LANCRE" check "$T/badid.pem"
has "$OUT" '^why: OCSP: the response does not answer for this certificate' "it says why"

expect 4 "caIssuers gives a certificate that did not sign the leaf: cannot decide" "$LANCRE" check "$T/wrongiss.pem"
has "$OUT" '^why: .*/issuer/r1: this certificate did not sign the one checked' "it says why"
expect 4 "a CRL whose IssuingDistributionPoint is not the URL fetched: cannot decide" "$LANCRE" check --verbose "$T/otherscope.pem"
has "$OUT" "^why: .*IssuingDistributionPoint does not name http://127.0.0.1:$F/crlother" "it says why"

expect 4 "a CRL signed by another key: cannot decide" "$LANCRE" check "$T/crlbadsig.pem"
has "$OUT" "^why: .*the CRL's signature does not verify with the issuer's key" "it says why"

# By design, or nothing at all.
expect 0 "a 5-day certificate: exit 0" "$LANCRE" check "$T/short.pem"
has "$OUT" '^status: no revocation information by design$' "no revocation information by design"
has "$OUT" 'short-lived' "because it is short-lived"
expect 0 "noRevAvail: exit 0" "$LANCRE" check "$T/norev.pem"
has "$OUT" 'noRevAvail' "because of noRevAvail"
expect 4 "no OCSP URL and no CRL: cannot decide" "$LANCRE" check "$T/nothing.pem"
has "$OUT" 'neither an OCSP responder nor a CRL' "it says why"

# --json: the same as data.
expect 3 "--json of a revoked leaf: exit 3" "$LANCRE" check --json --no-cache "$T/downrev.pem"
cp "$OUT" "$T/check.json"
expect 0 "is one JSON object with status, reason, source and steps" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["status"] == "revoked" and j["revocation_reason"] == "cessationOfOperation", j
assert j["source"] == "crl", j
kinds = [s["kind"] for s in j["steps"]]
assert kinds == ["issuer", "ocsp", "crl", "decision"], kinds
assert j["steps"][1]["ok"] is False and j["steps"][2]["http_status"] == 200, j
' "$T/check.json"

# --staple: the verified, fresh OCSP response, written atomically; else FILE untouched.
expect 0 "--staple of a good leaf: exit 0" "$LANCRE" check --staple "$T/staple.der" "$good"
run sh -c "openssl ocsp -respin '$T/staple.der' -issuer '$C/e1.pem' -cert '$good' -noverify 2>&1"
has "$OUT" "$(basename "$good"): good" "openssl reads the staple: good for this certificate"
echo keep >"$T/kept.der"
expect 1 "--staple when only the CRL decided: exit 1" "$LANCRE" check --staple "$T/kept.der" "$T/down.pem"
one_line_error "in one line"
has "$ERR" 'no verified, fresh OCSP response' "saying why"
same "the file is left as it was" "$(cat "$T/kept.der")" keep
expect 1 "--staple of a badly signed response: exit 1" "$LANCRE" check --staple "$T/kept.der" "$T/badsig.pem"
same "the file is left as it was" "$(cat "$T/kept.der")" keep
# A FIFO (as /dev/null or /dev/stdout would be) is written in place, never
# replaced by a regular file: run as root, the atomic rename would have
# turned /dev/null into a file (issue 16).
mkfifo "$T/staple.fifo"
cat "$T/staple.fifo" >"$T/fifo.der" &
reader=$!
expect 0 "--staple to a FIFO: exit 0" "$LANCRE" check --staple "$T/staple.fifo" "$good"
if [ -p "$T/staple.fifo" ]; then ok "the FIFO is still a FIFO"; else not_ok "the FIFO was replaced"; kill "$reader"; fi
wait "$reader"
run sh -c "openssl ocsp -respin '$T/fifo.der' -issuer '$C/e1.pem' -cert '$good' -noverify 2>&1"
has "$OUT" "$(basename "$good"): good" "and its reader got the staple: good"

# Usage and bad input.
expect 0 "--help" "$LANCRE" check --help
has "$OUT" 'Exit status: 0 good' "documents the exit codes"
expect 2 "no CERTFILE: usage error" "$LANCRE" check
expect 2 "an unknown option: usage error" "$LANCRE" check --bogus "$good"
expect 1 "a missing file: exit 1" "$LANCRE" check "$T/none.pem"
one_line_error "in one line"
echo "not a certificate" >"$T/junk"
expect 1 "a file without a certificate: exit 1" "$LANCRE" check "$T/junk"
one_line_error "in one line"

kill $fake_pid $run_pid
wait $run_pid 2>/dev/null
echo "1..$n"
