#!/bin/bash
# lancre check streams CRLs (issue 17): a 20 MB CRL is checked in a few MB of
# memory (RSS from /usr/bin/time; the whole-buffer path took 10x more);
# CRLs made by openssl ca, Python cryptography (ECDSA, RSA, Ed25519) give the
# answer `openssl verify -crl_check` gives; truncated, trailing bytes, BER
# indefinite length, a wrong signature, a CRL that says it is over 100 MB, a
# Content-Length over 100 MB, an error page: each "could not decide" (exit 4)
# with its reason.
. "$(dirname "$0")/lib.sh"

S=$(free_port)
W=$T/www
mkdir -p "$W"
mkca ca "" ec
mkca rca "" rsa
mkca eca "" ed25519

# leaf NAME ISSUER CRLFILE [SERIAL_HEX]: $T/NAME.pem, the leaf then its issuer, whose
# only revocation source is http://127.0.0.1:$S/CRLFILE.
leaf() {
	local name=$1 issuer=$2 crl=$3 serial=${4:-$(openssl rand -hex 12 | sed 's/^./5/')}
	[ -f "$T/leaf.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\ncrlDistributionPoints=URI:http://127.0.0.1:%s/%s\n' \
		"$S" "$crl" >"$T/$name.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$name.test" -out "$T/$name.csr" 2>/dev/null
	openssl x509 -req -in "$T/$name.csr" -CA "$T/$issuer.pem" -CAkey "$T/$issuer.key" -set_serial "0x$serial" \
		-days 90 -extfile "$T/$name.ext" -out "$T/$name.leaf" 2>/dev/null
	cat "$T/$name.leaf" "$T/$issuer.pem" >"$T/$name.pem"
}

# The big CRL: 20 MB of entries, then the revoked leaf's serial.
leaf bigrev ca big.crl 4badc0ffee
leaf biggood ca big.crl 4badc0ffef
"$PY" "$(dirname "$0")/bigcrl.py" "$T/ca.pem" "$T/ca.key" "$W/big.crl" 20 4badc0ffee || not_ok "bigcrl.py"

# Python cryptography's CRLs (ECDSA with an IDP, RSA, Ed25519) and damaged copies.
leaf pyrev ca py.crl 4001
leaf pygood ca py.crl 4002
leaf rsarev rca pyrsa.crl 4003
leaf edrev eca ed.crl 4004
leaf edgood eca ed.crl 4005
for d in trunc trail ber badsig; do leaf "$d" ca "$d.crl" 4001; done
"$PY" - "$T" "$S" <<'PYEOF' || not_ok "the Python CRLs"
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, port = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
def load(n):
    return (x509.load_pem_x509_certificate(open(f'{t}/{n}.pem', 'rb').read()),
            serialization.load_pem_private_key(open(f'{t}/{n}.key', 'rb').read(), None))
def crl(ca, serials, out, md=hashes.SHA256(), idp=None, key=None):
    cert, k = load(ca)
    b = (x509.CertificateRevocationListBuilder().issuer_name(cert.subject).last_update(now - datetime.timedelta(hours=1))
         .next_update(now + datetime.timedelta(days=3)).add_extension(x509.CRLNumber(3), False))
    if idp:
        b = b.add_extension(x509.IssuingDistributionPoint(full_name=[x509.UniformResourceIdentifier(idp)],
            relative_name=None, only_contains_user_certs=True, only_contains_ca_certs=False,
            only_some_reasons=None, indirect_crl=False, only_contains_attribute_certs=False), True)
    for i, s in enumerate(serials):
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(s)
            .revocation_date(now - datetime.timedelta(hours=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), False).build())
    der = b.sign(key or k, md).public_bytes(serialization.Encoding.DER)
    open(f'{t}/www/{out}', 'wb').write(der)
    return der
many = list(range(0x100000, 0x100000 + 300))
der = crl('ca', many + [0x4001], 'py.crl', idp=f'http://127.0.0.1:{port}/py.crl')
crl('rca', many + [0x4003], 'pyrsa.crl', md=hashes.SHA384())
crl('eca', many + [0x4004], 'ed.crl', md=None)
for name in ('trunc', 'trail', 'ber', 'badsig'):
    d = crl('ca', many + [0x4001], name + '.crl', idp=f'http://127.0.0.1:{port}/{name}.crl',
            key=ec.generate_private_key(ec.SECP256R1()) if name == 'badsig' else None)
    if name == 'trunc':
        d = d[:len(d) - 30]
    elif name == 'trail':
        d = d + b'\x00\x00'
    elif name == 'ber':  # the outer SEQUENCE in BER's indefinite length
        hl = 2 + (d[1] & 0x7f if d[1] & 0x80 else 0)
        d = b'\x30\x80' + d[hl:] + b'\x00\x00'
    open(f'{t}/www/{name}.crl', 'wb').write(d)
PYEOF

# openssl ca: a leaf revoked keyCompromise, one on hold, one good.
cat >"$T/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $T/index.txt
crlnumber = $T/crlnumber
new_certs_dir = $T
serial = $T/serial
default_md = sha256
default_crl_days = 3
policy = p
copy_extensions = copy
[p]
commonName = supplied
EOF
: >"$T/index.txt"
echo 1000 >"$T/crlnumber"
for nm in osslrev osslhold osslgood; do
	leaf "$nm" rca ossl.crl
	openssl x509 -in "$T/$nm.leaf" -noout -serial | cut -d= -f2 >"$T/$nm.serial"
done
# openssl ca -revoke reads the certificate; index.txt lines are enough for -gencrl.
for nm in osslrev osslhold; do
	how="-crl_reason keyCompromise"
	[ $nm = osslhold ] && how="-crl_hold 1.2.840.10040.2.2"
	# shellcheck disable=SC2086
	openssl ca -batch -config "$T/ca.cnf" -keyfile "$T/rca.key" -cert "$T/rca.pem" -revoke "$T/$nm.leaf" $how 2>/dev/null
done
openssl ca -batch -config "$T/ca.cnf" -keyfile "$T/rca.key" -cert "$T/rca.pem" -gencrl -out "$T/ossl.pem" 2>/dev/null
openssl crl -in "$T/ossl.pem" -outform DER -out "$W/ossl.crl"

# The server: files from $W; /huge-declared a CRL whose outer length says 100 MB + 7,
# /huge-length a Content-Length over 100 MB, both streaming entries until the client
# goes; /missing a 404 with an HTML page.
leaf hugedecl ca huge-declared
leaf hugelen ca huge-length
leaf missing ca missing
"$PY" - "$W" "$S" <<'PYEOF' &
import sys, functools, http.server
w, port = sys.argv[1], int(sys.argv[2])
entry = b'\x30\x13\x02\x02\x40\x00\x17\x0d' + b'261201120000Z'
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path not in ('/huge-declared', '/huge-length'):
            return super().do_GET()
        self.send_response(200)
        if self.path == '/huge-length':
            self.send_header('Content-Length', str(100 * 1024 * 1024 + 1))
        self.end_headers()
        head = b'\x30\x84\x06\x40\x00\x01' if self.path == '/huge-declared' else b'\x30\x84\x05\xff\xff\xf0'
        try:
            self.wfile.write(head + b'\x30\x84\x05\xff\xff\x00\x02\x01\x01')
            chunk = entry * 4096
            for _ in range(110 * 1024 * 1024 // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), functools.partial(H, directory=w)).serve_forever()
PYEOF
srv=$!
wait_http "http://127.0.0.1:$S/ossl.crl" || not_ok "the CRL server started"

# The big CRL: the right answer, in bounded memory.
run /usr/bin/time -f '%M' -o "$T/rss" "$LANCRE" check --verbose "$T/bigrev.pem"
same "a 20 MB CRL naming the leaf: revoked (exit 3)" "$rc" 3
has "$OUT" '^reason: keyCompromise$' "with the CRL's reason"
has "$OUT" '^crl: .*big.crl \(HTTP 200, 200[0-9]{5} bytes\) verified and fresh; 4[0-9]{5} entries streamed, at most [0-9]{3,4} bytes held$' \
	"verbose: every entry streamed, a few KB held"
rss=$(tail -n 1 "$T/rss") # after "Command exited with non-zero status 3"
# 12.7 MB plain, 23 MB under ASan (its shadow memory and allocator); held whole it was 208 MB.
limit=$((TF > 1 ? 48 : 24))
if [ "$rss" -lt $((limit * 1024)) ]; then ok "lancre check's peak RSS on the 20 MB CRL: $rss KB (under $limit MB)"; else not_ok "lancre check's peak RSS on the 20 MB CRL: $rss KB (over $limit MB)"; fi
expect 0 "the same CRL for a leaf not on it: good" "$LANCRE" check "$T/biggood.pem"
same "a 20 MB CRL is not kept in the cache (over its 10 MB), nothing half-written left" \
	"$(ls -A "$XDG_CACHE_HOME/lancre" | grep -c '^crl-')" 0

# Other tools' CRLs: the same answer as openssl verify -crl_check.
for nm in pyrev pygood rsarev edrev edgood osslrev osslhold osslgood; do
	iss=$(sed -n 's/.*URI:http:\/\/[^/]*\/\(.*\)/\1/p' "$T/$nm.ext")
	openssl crl -inform DER -in "$W/$iss" -out "$T/$nm.crlpem"
	ca=$(case $nm in rsa* | ossl*) echo rca ;; ed*) echo eca ;; *) echo ca ;; esac)
	if openssl verify -crl_check -CAfile "$T/$ca.pem" -CRLfile "$T/$nm.crlpem" "$T/$nm.leaf" >/dev/null 2>&1; then
		want=0
	else
		want=3
	fi
	expect $want "$nm: lancre check and openssl verify -crl_check agree (exit $want)" "$LANCRE" check --verbose "$T/$nm.pem"
done
expect 3 "openssl ca's CRL: revoked" "$LANCRE" check "$T/osslrev.pem"
has "$OUT" '^reason: keyCompromise$' "with its reason"
expect 3 "openssl ca's hold" "$LANCRE" check "$T/osslhold.pem"
has "$OUT" '^reason: certificateHold$' "is certificateHold"
expect 3 "an Ed25519 CRL: revoked" "$LANCRE" check --verbose "$T/edrev.pem"
has "$OUT" 'at most [0-9]+ bytes held \(the signature algorithm needs the whole CRL\)' "held whole, and says so"

# Damaged CRLs: could not decide, and why.
expect 4 "a truncated CRL: could not decide" "$LANCRE" check "$T/trunc.pem"
has "$OUT" '^why: the CRL is truncated' "it says truncated"
expect 4 "bytes after the CRL: could not decide" "$LANCRE" check "$T/trail.pem"
has "$OUT" '^why: bytes after the end of the CRL$' "it says so"
expect 4 "BER indefinite length: could not decide" "$LANCRE" check "$T/ber.pem"
has "$OUT" '^why: not DER: an indefinite length' "it says so"
expect 4 "signed by another key: could not decide" "$LANCRE" check "$T/badsig.pem"
has "$OUT" "^why: the CRL's signature does not verify with the issuer's key" "it says so"
expect 4 "a 404 page: could not decide" "$LANCRE" check "$T/missing.pem"
has "$OUT" '^why: .*/missing: HTTP status 404$' "the status, not a parse error of the page"

# Over 100 MB: refused at once.
start=$(date +%s)
expect 4 "a CRL that says it is over 100 MB: could not decide" "$LANCRE" check "$T/hugedecl.pem"
has "$OUT" '^why: the CRL says it is 104857607 bytes, more than 104857600$' "refused at its header"
expect 4 "a Content-Length over 100 MB: could not decide" "$LANCRE" check "$T/hugelen.pem"
has "$OUT" '^why: .*huge-length: the answer is larger than 104857600 bytes' "refused at the headers"
end=$(date +%s)
if [ $((end - start)) -le $((5 * TF)) ]; then ok "both within seconds ($((end - start)) s)"; else not_ok "both took $((end - start)) s"; fi

kill $srv
wait $srv 2>/dev/null
echo "1..$n"
