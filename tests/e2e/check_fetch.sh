#!/bin/bash
# lancre check's fetches (issue 17): a POST when the encoded OCSP request is
# over 255 bytes (seen in the responder's log), a GET otherwise; 3 redirects
# followed and 4 refused; size caps (an OCSP response or a certificate over
# 64 KB, with and without Content-Length; an endless error page not read);
# http and https only (file://, ftp://, a redirect to file://); delegated
# responders refused when their certificate lacks id-kp-OCSPSigning, was
# signed by another CA or has expired (a valid one accepted). Each refusal:
# could not decide (exit 4) with its reason.
. "$(dirname "$0")/lib.sh"

F=$(free_port)
mkca e1 "" ec
mkca o1 "" ec
U="http://127.0.0.1:$F"

# leaf NAME EXT [SERIAL_HEX]: $T/NAME.pem, a leaf of e1 then e1.
leaf() {
	local name=$1 ext=$2 serial=${3:-$(openssl rand -hex 12 | sed 's/^./5/')}
	[ -f "$T/leaf.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\n%b\n' "$ext" >"$T/$name.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$name.test" -out "$T/$name.csr" 2>/dev/null
	openssl x509 -req -in "$T/$name.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial "0x$serial" -days 30 \
		-extfile "$T/$name.ext" -out "$T/$name.leaf" 2>/dev/null || not_ok "leaf $name"
	cat "$T/$name.leaf" "$T/e1.pem" >"$T/$name.pem"
}
leaf small "authorityInfoAccess=OCSP;URI:$U/ocsp"
leaf large "authorityInfoAccess=OCSP;URI:$U/ocsp" "4$(openssl rand -hex 150)" # a 151-byte serial
for d in noeku othca expired ok; do leaf "deleg$d" "authorityInfoAccess=OCSP;URI:$U/deleg-$d"; done
leaf redir3 "crlDistributionPoints=URI:$U/r/3/e1.crl"
leaf redir4 "crlDistributionPoints=URI:$U/r/4/e1.crl"
leaf bigocsp "authorityInfoAccess=OCSP;URI:$U/big"
leaf endless "authorityInfoAccess=OCSP;URI:$U/endless-404"
leaf bigocspnolen "authorityInfoAccess=OCSP;URI:$U/big-nolen"
leaf fileocsp "authorityInfoAccess=OCSP;URI:file:///etc/hostname"
leaf ftpocsp "authorityInfoAccess=OCSP;URI:ftp://127.0.0.1:$F/ocsp"
leaf redirfile "authorityInfoAccess=OCSP;URI:$U/to-file"
# caIssuers fetches: the leaf alone, so the issuer must come from its URL.
for c in bigcert fileiss; do
	url=$U/big
	[ $c = fileiss ] && url=file://$T/e1.pem
	leaf "$c" "authorityInfoAccess=OCSP;URI:$U/ocsp,caIssuers;URI:$url"
	cp "$T/$c.leaf" "$T/$c.pem"
done

"$PY" - "$T" "$F" <<'PYEOF' &
import sys, base64, datetime, glob, http.server, urllib.parse
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, port = sys.argv[1], int(sys.argv[2])
def load(n):
    return (x509.load_pem_x509_certificate(open(f'{t}/{n}.pem', 'rb').read()),
            serialization.load_pem_private_key(open(f'{t}/{n}.key', 'rb').read(), None))
e1, e1key = load('e1')
o1, o1key = load('o1')
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
day = datetime.timedelta(days=1)
def responder(name, issuer, ikey, eku=True, expired=False):
    k = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
         .issuer_name(issuer.subject).public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - 10 * day).not_valid_after(now - day if expired else now + 10 * day))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)
    return b.sign(ikey, hashes.SHA256()), k
signers = {'/ocsp': (e1, e1key, []),
           '/deleg-noeku': responder('no eku', e1, e1key, eku=False),
           '/deleg-othca': responder('other ca', o1, o1key),
           '/deleg-expired': responder('expired', e1, e1key, expired=True),
           '/deleg-ok': responder('good responder', e1, e1key)}
crl = (x509.CertificateRevocationListBuilder().issuer_name(e1.subject).last_update(now - datetime.timedelta(hours=1))
       .next_update(now + 3 * day).sign(e1key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
leaves = {c.serial_number: c for c in (x509.load_pem_x509_certificate(open(p, 'rb').read())
                                      for p in glob.glob(f'{t}/*.leaf'))}
log = open(f'{t}/requests.log', 'a', buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def body(self, data, length=True):
        self.send_response(200)
        if length:
            self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def answer(self, method):
        path = urllib.parse.urlsplit(self.path).path
        log.write(f'{method} {path[:40]}\n')
        parts = path.split('/')
        if parts[1] == 'r':  # /r/N/NAME: N more redirects, then NAME
            n = int(parts[2])
            self.send_response(302)
            self.send_header('Location', f'/r/{n - 1}/{parts[3]}' if n > 1 else f'/{parts[3]}')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if parts[1] == 'to-file':
            self.send_response(302)
            self.send_header('Location', 'file:///etc/hostname')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if parts[1] == 'endless-404':  # an error page that never ends
            self.send_response(404)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b'<p>not here</p>' * 4096)
            except (BrokenPipeError, ConnectionResetError):
                return
        if parts[1] in ('big', 'big-nolen'):
            return self.body(b'\x30' * (64 * 1024 + 1), parts[1] == 'big')
        if path == '/e1.crl':
            return self.body(crl)
        key = '/' + parts[1]
        if key not in signers:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        der = (self.rfile.read(int(self.headers['Content-Length'])) if method == 'POST'
               else base64.b64decode(urllib.parse.unquote(parts[2])))
        req = ocsp.load_der_ocsp_request(der)
        cert, key, = signers[key][:2]
        b = ocsp.OCSPResponseBuilder().add_response(
            leaves[req.serial_number], e1, hashes.SHA1(), ocsp.OCSPCertStatus.GOOD,
            now - datetime.timedelta(hours=1), now + 3 * day, None, None)
        b = b.responder_id(ocsp.OCSPResponderEncoding.NAME, cert)
        if cert is not e1:
            b = b.certificates([cert])
        self.body(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    def do_GET(self):
        self.answer('GET')
    def do_POST(self):
        self.answer('POST')
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
PYEOF
srv=$!
wait_http "$U/e1.crl" || not_ok "the fake responder started"

# GET or POST by the size of the request.
: >"$T/requests.log"
expect 0 "a small request: good" "$LANCRE" check --no-cache --verbose "$T/small.pem"
has "$OUT" "^ocsp: $U/ocsp/M[A-Za-z0-9%]+ \(HTTP 200.*GET: the OCSP responder says good" "verbose: a GET URL"
has "$T/requests.log" "^GET /ocsp/M" "the responder saw a GET"
: >"$T/requests.log"
expect 0 "a request over 255 bytes encoded (a 151-byte serial): good" "$LANCRE" check --no-cache --verbose "$T/large.pem"
has "$OUT" "^ocsp: $U/ocsp \(HTTP 200, [0-9]+ bytes\) POST: the OCSP responder says good" "verbose: a POST"
has "$T/requests.log" '^POST /ocsp$' "the responder saw a POST"
if grep -q '^GET' "$T/requests.log"; then not_ok "and no GET"; else ok "and no GET"; fi

# Redirects: 3 followed, the 4th refused.
expect 0 "a CRL behind 3 redirects: followed (good)" "$LANCRE" check --no-cache "$T/redir3.pem"
expect 4 "a CRL behind 4 redirects: could not decide" "$LANCRE" check --no-cache "$T/redir4.pem"
has "$OUT" "^why: $U/r/4/e1.crl: more than 3 redirects$" "it says so"

# Size caps.
expect 4 "an OCSP response over 64 KB (Content-Length): could not decide" "$LANCRE" check --no-cache "$T/bigocsp.pem"
has "$OUT" "^why: OCSP: $U/big/[^ ]*: the answer is larger than 65536 bytes" "it says so"
expect 4 "an OCSP response over 64 KB (no length, read until closed): could not decide" "$LANCRE" check --no-cache "$T/bigocspnolen.pem"
has "$OUT" "^why: OCSP: $U/big-nolen/[^ ]*: the answer is larger than 65536 bytes" "it says so"
expect 4 "an issuer certificate over 64 KB: could not decide" "$LANCRE" check --no-cache "$T/bigcert.pem"
has "$OUT" "^why: cannot fetch the issuer: $U/big: the answer is larger than 65536 bytes" "it says so"

start=$(date +%s)
expect 4 "a 404 whose page never ends: could not decide" "$LANCRE" check --no-cache "$T/endless.pem"
has "$OUT" "^why: OCSP: $U/endless-404/[^ ]*: HTTP status 404" "the status"
end=$(date +%s)
if [ $((end - start)) -le $((3 * TF)) ]; then ok "at once, the page not read ($((end - start)) s)"; else not_ok "the page was read for $((end - start)) s"; fi

# http and https only.
expect 4 "a file:// OCSP URL: could not decide" "$LANCRE" check --no-cache "$T/fileocsp.pem"
has "$OUT" '^why: OCSP: file:///etc/hostname/[^ ]*: .*(not supported|disabled)' "refused by protocol"
expect 4 "an ftp:// OCSP URL: could not decide" "$LANCRE" check --no-cache "$T/ftpocsp.pem"
has "$OUT" '^why: OCSP: ftp://.*(not supported|disabled)' "refused by protocol"
expect 4 "a redirect to file://: could not decide" "$LANCRE" check --no-cache "$T/redirfile.pem"
has "$OUT" "^why: OCSP: $U/to-file/.*(not supported|disabled)" "the redirect refused by protocol"
expect 4 "a file:// caIssuers URL: could not decide" "$LANCRE" check --no-cache "$T/fileiss.pem"
has "$OUT" '^why: cannot fetch the issuer: file://.*(not supported|disabled)' "refused by protocol"
if grep -q hostname "$T/requests.log"; then not_ok "nothing fetched file://"; else ok "nothing fetched file://"; fi

# Delegated responders.
expect 0 "a delegated responder with id-kp-OCSPSigning, signed by the issuer, valid: good" "$LANCRE" check --no-cache "$T/delegok.pem"
expect 4 "a delegated responder without id-kp-OCSPSigning: could not decide" "$LANCRE" check --no-cache "$T/delegnoeku.pem"
has "$OUT" "^why: OCSP: the delegated responder's certificate lacks id-kp-OCSPSigning" "it says why"
expect 4 "a delegated responder signed by another CA: could not decide" "$LANCRE" check --no-cache "$T/delegothca.pem"
has "$OUT" "^why: OCSP: the response is signed by a certificate the issuer did not sign" "it says why"
expect 4 "an expired delegated responder: could not decide" "$LANCRE" check --no-cache "$T/delegexpired.pem"
has "$OUT" "^why: OCSP: the delegated responder's certificate is not valid now" "it says why"

kill $srv
wait $srv 2>/dev/null
echo "1..$n"
