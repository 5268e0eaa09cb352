#!/bin/bash
# OCSP end to end: `lancre sign` pre-signs, `lancre answer` answers exactly as
# the server will, and OpenSSL, GnuTLS and Python cryptography check every
# status, every key type, SHA-1 and SHA-256 CertIDs, and every GET quirk.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
mkca e3 root p384
mkca r1 root rsa
mkca ed root ed25519
mkca stranger
for ca in e1 e3 r1 ed; do "$LANCRE" issuer add -d "$D" $ca "$T/$ca.pem" "$T/$ca.key" >/dev/null; done
for ca in e1 e3 r1 ed; do mkleaf "good-$ca" $ca; done
# The GET forms below must meet a '+' in some request's base64: not left to eleven
# random serials (none had one about once in a hundred runs), good-e1 is made again
# until its request has one.
for _ in $(seq 1 64); do
	openssl ocsp -issuer "$T/e1.pem" -cert "$T/good-e1.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	case "$(base64 -w0 "$T/req.der")" in *+*) break ;; esac
	mkleaf good-e1 e1
done
reasons="unspecified keyCompromise superseded cessationOfOperation affiliationChanged privilegeWithdrawn"
for r in $reasons; do mkleaf "rev-$r" e1; done
mkleaf_old oldrev e1 3
"$LANCRE" cert add -d "$D" "$T"/good-*.pem "$T"/rev-*.pem "$T/oldrev.pem" >/dev/null
for r in $reasons; do "$LANCRE" revoke -d "$D" --reason "$r" "$T/rev-$r.pem" >/dev/null; done
mkleaf never e1     # signed by e1, never recorded
mkleaf alien stranger

expect 0 "lancre sign --once signs every certificate" "$LANCRE" sign -d "$D" --once
same "every key type lays its responses out from a template (no slow-way warning)" "$(cat "$ERR")" ""
has "$OUT" '^Signed 22 responses for 11 certificates' "SHA-1 and SHA-256 responses for 11 certificates"
same "the store holds 22 responses" "$(sqlite3 "$D/lancre.db" 'select count(*) from ocsp_responses')" 22
expect 0 "a second --once has nothing to do" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 0 responses' "nothing is re-signed"

BOTH=$T/.both
both() { cat "$OUT" "$ERR" >"$BOTH"; }

# ask CERT ISSUER [extra openssl args]: request with openssl, answer with lancre -> $T/resp.der
ask() {
	local cert=$1 issuer=$2
	shift 2
	rm -f "$T/req.der"
	# Options such as -sha256 apply to the -cert after them.
	openssl ocsp -issuer "$T/$issuer.pem" "$@" -cert "$T/$cert.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1 ||
		echo "# openssl could not make the request for $cert"
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>"$T/outcome"
}
# check CERT ISSUER [args]: openssl verifies the response against the root and prints its status.
check() {
	local cert=$1 issuer=$2
	shift 2
	run openssl ocsp -respin "$T/resp.der" -issuer "$T/$issuer.pem" "$@" -cert "$T/$cert.pem" -CAfile "$T/root.pem" -no_nonce
}

for ca in e1 e3 r1 ed; do
	ask "good-$ca" $ca
	same "$ca: lancre answers with a response" "$(cat "$T/outcome")" response
	check "good-$ca" $ca
	has "$ERR" '^Response verify OK' "$ca: openssl verifies the signature"
	has "$OUT" ": good$" "$ca: openssl says good"
	expect 0 "$ca: GnuTLS ocsptool verifies it" ocsptool -e --load-signer="$T/$ca.pem" --load-response="$T/resp.der"
	has "$OUT" 'Certificate Status: good' "$ca: GnuTLS reads good"
done
ask good-e1 e1
run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -cert "$T/good-e1.pem" -CAfile "$T/root.pem" -no_nonce -resp_text
has "$OUT" 'Responder Id: [0-9A-F]{40}$' "the ResponderID is byKey"
has "$OUT" 'Produced At: .* [0-9]{2}:[0-9]{2}:00 ' "producedAt is truncated to the minute"
has "$OUT" 'This Update: .* [0-9]{2}:[0-9]{2}:00 ' "thisUpdate is truncated to the minute"
has "$OUT" 'Next Update:' "nextUpdate is set"
if grep -q 'Certificate:' "$OUT"; then not_ok "no certificates are included"; else ok "no certificates are included"; fi
if grep -qi 'nonce' "$OUT"; then not_ok "no nonce is included"; else ok "no nonce is included"; fi
has "$OUT" 'Signature Algorithm: ecdsa-with-SHA256' "P-256 signs with ecdsa-with-SHA256"
ask good-r1 r1
run openssl ocsp -respin "$T/resp.der" -resp_text -noverify
has "$OUT" 'Signature Algorithm: sha256WithRSAEncryption' "RSA signs PKCS#1 v1.5 with SHA-256"

for r in $reasons; do
	ask "rev-$r" e1
	check "rev-$r" e1
	has "$OUT" ": revoked$" "revoked ($r): openssl says revoked"
	has "$ERR" '^Response verify OK' "revoked ($r): the signature verifies"
	if [ "$r" = unspecified ]; then
		if grep -q 'Reason:' "$OUT"; then not_ok "unspecified: no reason code"; else ok "unspecified: no reason code"; fi
	else
		run openssl ocsp -respin "$T/resp.der" -resp_text -noverify
		case $r in keyCompromise) c=1 ;; affiliationChanged) c=3 ;; superseded) c=4 ;; cessationOfOperation) c=5 ;; privilegeWithdrawn) c=9 ;; esac
		has "$OUT" "Revocation Reason: .*\(0x$c\)\$" "revoked ($r): with reason code $c"
	fi
done

# SHA-256 CertIDs get a response that echoes SHA-256.
ask good-e1 e1 -sha256
same "a SHA-256 CertID is answered" "$(cat "$T/outcome")" response
check good-e1 e1 -sha256
has "$OUT" ": good$" "openssl matches the SHA-256 response to its request"
run openssl ocsp -respin "$T/resp.der" -resp_text -noverify
has "$OUT" 'Hash Algorithm: sha256' "the response's CertID uses SHA-256"

# Unknown and malformed.
ask never e1
same "a serial lancre never saw: unauthorized" "$(cat "$T/outcome")" unauthorized
run openssl ocsp -respin "$T/resp.der" -noverify
both
has "$BOTH" 'unauthorized \(6\)' "openssl reads unauthorized"
ask alien stranger
same "an unknown issuer: unauthorized" "$(cat "$T/outcome")" unauthorized
head -c 100 /dev/urandom >"$T/junk.der"
expect 0 "garbage is answered" "$LANCRE" answer -d "$D" --post "$T/junk.der" -o "$T/resp.der"
has "$ERR" '^malformedRequest$' "with malformedRequest"
run openssl ocsp -respin "$T/resp.der" -noverify
both
has "$BOTH" 'malformedrequest \(1\)' "openssl reads malformedRequest"
openssl ocsp -issuer "$T/e1.pem" -cert "$T/good-e1.pem" -no_nonce -reqout "$T/req.der" -sha384 >/dev/null 2>&1
expect 0 "a SHA-384 CertID is answered" "$LANCRE" answer -d "$D" --post "$T/req.der" -o /dev/null
has "$ERR" '^unauthorized$' "with unauthorized, never good"
# -o names what exists: a device is written in place (as root, replacing /dev/null by a
# regular file would break every later program on the machine), a FIFO too, and a
# symlink is followed (the link stays, the file it names gets the response).
if [ -c /dev/null ]; then ok "/dev/null is still a character device"; else
	not_ok "answer -o /dev/null replaced the device"
	rm -f /dev/null && mknod -m 666 /dev/null c 1 3
fi
mkfifo "$T/fifo"
timeout 20 cat "$T/fifo" >"$T/from-fifo" &
expect 0 "answer -o FIFO" "$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/fifo"
wait
if [ -p "$T/fifo" ] && [ -s "$T/from-fifo" ]; then ok "the FIFO stays a FIFO and its reader gets the response"; else not_ok "answer -o FIFO"; fi
: >"$T/target.der"
ln -s target.der "$T/link.der"
expect 0 "answer -o SYMLINK" "$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/link.der"
if [ -L "$T/link.der" ] && cmp -s "$T/target.der" "$T/from-fifo"; then ok "the link stays and its target gets the response"; else not_ok "answer -o SYMLINK"; fi

# Nonces are ignored: the pre-signed response is the answer.
openssl ocsp -issuer "$T/e1.pem" -cert "$T/good-e1.pem" -reqout "$T/req-nonce.der" >/dev/null 2>&1
"$LANCRE" answer -d "$D" --post "$T/req-nonce.der" -o "$T/resp-nonce.der" 2>/dev/null
ask good-e1 e1
expect 0 "a request with a nonce gets the same bytes" cmp "$T/resp.der" "$T/resp-nonce.der"

# GET: every way clients and proxies spell a request, for every certificate's
# request (so that '+' and '/' occur in some), must get the POST's bytes.
forms="raw urlencoded lowercase space base64url nopad slash doubleslash"
declare -A bad_forms=()
plus=0
for cert in good-e1 good-e3 good-r1 good-ed rev-keyCompromise rev-superseded rev-unspecified \
	rev-cessationOfOperation rev-affiliationChanged rev-privilegeWithdrawn oldrev; do
	issuer=$(case $cert in good-e3) echo e3 ;; good-r1) echo r1 ;; good-ed) echo ed ;; *) echo e1 ;; esac)
	ask "$cert" "$issuer"
	cp "$T/resp.der" "$T/post.der"
	b64=$(base64 -w0 "$T/req.der")
	case "$b64" in *+*) plus=$((plus + 1)) ;; esac
	for form in $forms; do
		case $form in
		raw) g=$b64 ;;
		urlencoded) g=$(printf %s "$b64" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g') ;;
		lowercase) g=$(printf %s "$b64" | sed 's/+/%2b/g; s|/|%2f|g; s/=/%3d/g') ;;
		space) g=$(printf %s "$b64" | tr '+' ' ') ;;
		base64url) g=$(printf %s "$b64" | tr '+/' '-_' | tr -d '=') ;;
		nopad) g=$(printf %s "$b64" | tr -d '=') ;;
		slash) g=/$b64 ;;
		doubleslash) g=//$(printf %s "$b64" | sed 's|/|%2F|g') ;;
		esac
		"$LANCRE" answer -d "$D" --get "$g" -o "$T/get.der" 2>/dev/null
		cmp -s "$T/get.der" "$T/post.der" || bad_forms[$form]+=" $cert"
	done
done
if [ $plus -gt 0 ]; then ok "$plus of the requests have a '+' in their base64"; else not_ok "some request has a '+'"; fi
for form in $forms; do
	if [ -z "${bad_forms[$form]:-}" ]; then ok "GET $form: every certificate gets the POST's response"; else not_ok "GET $form fails for:${bad_forms[$form]}"; fi
done
for bad in '!!!!' 'MEIw%ZZ' "${b64}AAAA" '' 'M' 'MEI=w'; do
	"$LANCRE" answer -d "$D" --get "$bad" -o /dev/null 2>"$T/outcome"
	same "GET '$bad' is malformedRequest" "$(cat "$T/outcome")" malformedRequest
done

# Python cryptography reads and verifies the responses.
for cert in good-e1 rev-keyCompromise good-r1 good-ed; do
	issuer=$(case $cert in good-r1) echo r1 ;; good-ed) echo ed ;; *) echo e1 ;; esac)
	ask "$cert" "$issuer"
	cp "$T/resp.der" "$T/py-$cert.der"
done
expect 0 "Python cryptography parses and verifies every response" "$PY" - "$T" <<'PYEOF'
import sys, datetime
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives.asymmetric import ec, padding, ed25519
t = sys.argv[1]
def load(n): return x509.load_pem_x509_certificate(open(f'{t}/{n}.pem', 'rb').read())
for cert, issuer, status in [('good-e1', 'e1', ocsp.OCSPCertStatus.GOOD),
                             ('rev-keyCompromise', 'e1', ocsp.OCSPCertStatus.REVOKED),
                             ('good-r1', 'r1', ocsp.OCSPCertStatus.GOOD),
                             ('good-ed', 'ed', ocsp.OCSPCertStatus.GOOD)]:
    r = ocsp.load_der_ocsp_response(open(f'{t}/py-{cert}.der', 'rb').read())
    c, i = load(cert), load(issuer)
    assert r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert r.certificate_status == status, (cert, r.certificate_status)
    assert r.serial_number == c.serial_number
    assert r.responder_key_hash is not None and r.responder_name is None
    assert r.next_update is not None and r.this_update.second == 0
    assert datetime.timedelta(hours=8) <= r.next_update - r.this_update <= datetime.timedelta(days=10)
    assert r.this_update <= datetime.datetime.utcnow() < r.next_update
    assert len(r.certificates) == 0
    if status == ocsp.OCSPCertStatus.REVOKED:
        assert r.revocation_reason == x509.ReasonFlags.key_compromise
    pub = i.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(r.signature, r.tbs_response_bytes, ec.ECDSA(r.signature_hash_algorithm))
    elif isinstance(pub, ed25519.Ed25519PublicKey):
        pub.verify(r.signature, r.tbs_response_bytes)
    else:
        pub.verify(r.signature, r.tbs_response_bytes, padding.PKCS1v15(), r.signature_hash_algorithm)
PYEOF

# A response past its nextUpdate is never served as fresh.
next=$(sqlite3 "$D/lancre.db" "select max(next_update) from ocsp_responses")
ask good-e1 e1
expect 0 "answering after nextUpdate" "$LANCRE" answer -d "$D" --post "$T/req.der" --at "$(date -u -d @$((next + 1)) +%Y-%m-%dT%H:%M:%SZ)" -o "$T/late.der"
has "$ERR" '^tryLater$' "is tryLater"
run openssl ocsp -respin "$T/late.der" -noverify
both
has "$BOTH" 'trylater \(3\)' "openssl reads tryLater"

# Validity policy: between 8 hours and 10 days, refresh due by half of it, jitter spreads expiry.
same "every response lasts 8h..10d" "$(sqlite3 "$D/lancre.db" 'select count(*) from ocsp_responses where next_update - this_update between 28800 and 864000')" 22
same "every refresh is due by half the validity" "$(sqlite3 "$D/lancre.db" 'select count(*) from ocsp_responses where due_at - this_update <= (next_update - this_update) / 2 + 60 and due_at > this_update')" 22
# Jitter is per batch: one batch shares its times (its rows sit together in the
# due index), and batches spread over the jitter window.
same "the responses of one batch share their nextUpdate" "$(sqlite3 "$D/lancre.db" 'select count(distinct next_update) from ocsp_responses')" 1
D2=$T/batches
"$LANCRE" init -d "$D2" >/dev/null
"$LANCRE" issuer add -d "$D2" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
for i in 1 2 3 4 5 6 7; do
	mkleaf "batch$i" e1
	"$LANCRE" cert add -d "$D2" "$T/batch$i.pem" >/dev/null
	"$LANCRE" sign -d "$D2" --once >/dev/null
done
spread=$(sqlite3 "$D2/lancre.db" 'select count(distinct next_update) from ocsp_responses')
if [ "$spread" -ge 4 ]; then ok "7 batches expire in $spread different minutes"; else not_ok "7 batches expire in only $spread different minutes"; fi

# An expired certificate is not signed: unauthorized.
mkleaf_old expired e1 30 -2
"$LANCRE" cert add -d "$D" "$T/expired.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
ask expired e1
same "an expired certificate is unauthorized" "$(cat "$T/outcome")" unauthorized

# A day after a certificate expires (the grace period), a purge deletes its
# responses: then it is unauthorized too.  The purge looks only at what
# expired since its last cutoff (a day before its last run), so the
# certificate expires in that window, as time would make it.
D3=$T/purge
"$LANCRE" init -d "$D3" >/dev/null
"$LANCRE" issuer add -d "$D3" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf shortlived e1
"$LANCRE" cert add -d "$D3" "$T/shortlived.pem" >/dev/null
"$LANCRE" sign -d "$D3" --once >/dev/null
sleep 2
sqlite3 "$D3/lancre.db" "update certificates set not_after = strftime('%s', 'now') - 86401"
expect 0 "a purge after the grace period" "$LANCRE" sign -d "$D3" --once
has "$OUT" 'removed 2 responses of expired certificates' "deletes both responses of the expired certificate"
same "none is left" "$(sqlite3 "$D3/lancre.db" 'select count(*) from ocsp_responses')" 0
openssl ocsp -issuer "$T/e1.pem" -cert "$T/shortlived.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
"$LANCRE" answer -d "$D3" --post "$T/req.der" -o "$T/resp.der" 2>"$T/outcome"
same "then it is unauthorized" "$(cat "$T/outcome")" unauthorized

# The running signer re-signs a revocation within a second.
"$LANCRE" sign -d "$D" >"$T/signer.log" 2>&1 &
signer=$!
sleep 0.5
"$LANCRE" revoke -d "$D" --reason superseded "$T/good-e3.pem" >/dev/null
start=$(date +%s%N)
id=$(sqlite3 "$D/lancre.db" "select id from certificates where serial = x'$(serial_of "$T/good-e3.pem")'")
while :; do
	fresh=$(sqlite3 "$D/lancre.db" "select count(*) from ocsp_responses r join certificates c on c.id = r.cert_id where c.id = $id and r.cert_seq = c.change_seq")
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$fresh" = 2 ] || [ $elapsed -gt $((3000 * TF)) ] && break
	sleep 0.05
done
if [ "$fresh" = 2 ] && [ $elapsed -le $((1000 * TF)) ]; then ok "the revocation is re-signed in ${elapsed} ms"; else not_ok "the revocation is re-signed within 1 s (${elapsed} ms, fresh=$fresh)"; fi
ask good-e3 e3
check good-e3 e3
has "$OUT" ": revoked$" "and answered as revoked"
mkleaf late e1
"$LANCRE" cert add -d "$D" "$T/late.pem" >/dev/null
sleep $TF
ask late e1
same "a certificate added while the signer runs is answered within a second" "$(cat "$T/outcome")" response
kill -TERM $signer
wait $signer
same "the signer exits cleanly on SIGTERM" "$?" 0

# A restarted signer resumes at the mark it left in the store (unit-tested in
# test_signer.c) and still finds a revocation made while it was stopped.
mark=$(sqlite3 "$D/lancre.db" "select value from meta where key = 'signed_change_seq'")
if [ "${mark:-0}" -gt 0 ]; then
	ok "the signer left its mark in the store ($mark)"
else
	not_ok "the signer left its mark in the store (${mark:-none})"
fi
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/late.pem" >/dev/null
expect 0 "the restarted signer re-signs it" "$LANCRE" sign -d "$D" --once
has "$OUT" "^Signed 2 responses for 1 certificates" "only the revoked certificate"
ask late e1
check late e1
has "$OUT" ": revoked$" "and openssl reads it as revoked"
has "$ERR" '^Response verify OK' "with a signature that verifies"
