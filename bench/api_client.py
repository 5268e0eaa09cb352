#!/usr/bin/env python3
"""bench/api_client.py - the admin API's client for bench/api.sh (issue 19).

Keep-alive HTTP/1.1 connections (http.client; one, or several for bundles),
so that what is timed is lancre's side and not a client's start-up per
request (curl per request would measure curl).  Each command prints one line of figures on stdout;
CPU times are read from /proc/PID/stat of the processes given (user +
system, in seconds), before and after the timed part.

  bundles PORT TOKEN CERTS.der SIZE PIDS [CONNS]  POST the certificates, SIZE a request (PEM),
                                               over CONNS connections (default 1) at once
  single  PORT TOKEN CERTS.der PIDS [CONNS]    POST them one per request (DER), over CONNS
                                               keep-alive connections at once (default 1),
                                               each sending its share in turn
  waits   PORT TOKEN CERTS.der PUBPORT ISSUER.pem  one per request with ?wait=served, a random
                                               pause of 0-200 ms before each; the ms of each
  mass    PORT TOKEN LIST.json CERTS.der ISSUER.pem PUBPORT SHARDS SAMPLE PIDS
                                               revoke every certificate of LIST.json (lancre
                                               cert list --json) in one request, ?wait=served;
                                               then check at once, over the public port, that a
                                               SAMPLE of CERTS.der answers revoked (OCSP) and
                                               that every shard's CRL moved and lists them all

PIDS is a comma-separated list of process ids whose CPU is counted.
"""
import http.client
import json
import os
import random
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pids):
    """CPU seconds (user + system) of each process in pids, as a list."""
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / TICK)
        except OSError:
            out.append(0.0)
    return out


def pids_of(arg):
    return [int(p) for p in arg.split(",") if p]


def split_der(data):
    """The DER certificates concatenated in data."""
    out, i = [], 0
    while i < len(data):
        if data[i] != 0x30:
            sys.exit(f"api_client: no DER SEQUENCE at byte {i}")
        n = data[i + 1]
        if n < 0x80:
            hl, ln = 2, n
        else:
            k = n & 0x7F
            hl, ln = 2 + k, int.from_bytes(data[i + 2:i + 2 + k], "big")
        out.append(data[i:i + hl + ln])
        i += hl + ln
    return out


def pem(der):
    import base64
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


class Api:
    def __init__(self, port, token):
        self.port = port
        self.auth = "Bearer " + token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, path, body, ctype):
        self.conn.request("POST", path, body=body,
                          headers={"Authorization": self.auth, "Content-Type": ctype})
        r = self.conn.getresponse()
        return r.status, r.read()


def need(status, body, what):
    if status != 200:
        sys.exit(f"api_client: {what}: HTTP {status}: {body[:300]!r}")


def cmd_bundles(port, token, certs, size, pids, conns=1):
    ders = split_der(open(certs, "rb").read())
    bodies = ["".join(pem(d) for d in ders[i:i + size]).encode()
              for i in range(0, len(ders), size)]
    added = [0] * conns
    failed = []

    def send(k):
        # Connection k sends bundles k, k + conns, ...: as an issuing host's workers would.
        try:
            api = Api(int(port), token)
            for b in bodies[k::conns]:
                st, body = api.post("/api/v1/certificates", b, "application/x-pem-file")
                need(st, body, "a bundle")
                added[k] += json.loads(body)["added"]
        except BaseException as ex:  # need() exits: the reason, for the main thread
            failed.append(str(ex))

    workers = [threading.Thread(target=send, args=(k,)) for k in range(conns)]
    c0, t0 = cpu(pids), time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    t, c1 = time.monotonic() - t0, cpu(pids)
    if failed:
        sys.exit(failed[0])
    if sum(added) != len(ders):
        sys.exit(f"api_client: {sum(added)} of {len(ders)} certificates added")
    print(f"{len(ders)} {t:.3f} " + " ".join(f"{b - a:.2f}" for a, b in zip(c0, c1)))


def cmd_single(port, token, certs, pids, conns=1):
    import threading
    ders = split_der(open(certs, "rb").read())
    apis = [Api(int(port), token) for _ in range(conns)]
    failed = []

    def run(api, part):
        try:
            for d in part:
                st, body = api.post("/api/v1/certificates", d, "application/pkix-cert")
                if st != 200:
                    failed.append(f"HTTP {st}: {body[:300]!r}")
                    return
        except Exception as x:  # noqa: BLE001 - reported below, the run fails
            failed.append(repr(x))

    # Connected before the clock starts, as one connection was.
    for a in apis:
        a.conn.connect()
    threads = [threading.Thread(target=run, args=(apis[i], ders[i::conns])) for i in range(conns)]
    c0, t0 = cpu(pids), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t, c1 = time.monotonic() - t0, cpu(pids)
    if failed:
        sys.exit(f"api_client: one certificate: {failed[0]}")
    print(f"{len(ders)} {t:.3f} " + " ".join(f"{b - a:.2f}" for a, b in zip(c0, c1)))


def ocsp_status(conn, cert, issuer):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    conn.request("POST", "/ocsp", body=req.public_bytes(serialization.Encoding.DER),
                 headers={"Content-Type": "application/ocsp-request"})
    r = conn.getresponse()
    resp = ocsp.load_der_ocsp_response(r.read())
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None
    return resp.certificate_status


def cmd_waits(port, token, certs, pubport, issuer_pem):
    from cryptography import x509
    from cryptography.x509 import ocsp
    ders = split_der(open(certs, "rb").read())
    api = Api(int(port), token)
    pub = http.client.HTTPConnection("127.0.0.1", int(pubport), timeout=30)
    issuer = x509.load_pem_x509_certificate(open(issuer_pem, "rb").read())
    random.seed(7)
    for d in ders:
        time.sleep(random.uniform(0, 0.2))  # at any point of the signer's cycle
        t0 = time.monotonic()
        st, body = api.post("/api/v1/certificates?wait=served", d, "application/pkix-cert")
        t = (time.monotonic() - t0) * 1000
        need(st, body, "a certificate with ?wait=served")
        # Served means served: the next OCSP request already answers good.
        if ocsp_status(pub, x509.load_der_x509_certificate(d), issuer) != ocsp.OCSPCertStatus.GOOD:
            sys.exit("api_client: ?wait=served answered before the server answered good")
        print(f"{t:.1f}", flush=True)


def crl_state(pub, shards):
    """Each shard's (CRL number, entries) as the public server serves them."""
    from cryptography import x509
    out = []
    for s in range(1, shards + 1):
        pub.request("GET", f"/crl/e1/{s}.crl")
        r = pub.getresponse()
        body = r.read()
        if r.status != 200:
            out.append((-1, 0))
            continue
        crl = x509.load_der_x509_crl(body)
        num = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        out.append((num, len(crl)))
    return out


def cmd_mass(port, token, listfile, certs, issuer_pem, pubport, shards, sample, pids):
    from cryptography import x509
    from cryptography.x509 import ocsp
    rows = json.load(open(listfile))
    body = json.dumps([{"issuer": r["issuer"], "serial": r["serial"], "reason": "keyCompromise"}
                       for r in rows]).encode()
    ders = split_der(open(certs, "rb").read())
    issuer = x509.load_pem_x509_certificate(open(issuer_pem, "rb").read())
    random.seed(11)
    picks = [x509.load_der_x509_certificate(d) for d in random.sample(ders, min(sample, len(ders)))]
    pub = http.client.HTTPConnection("127.0.0.1", int(pubport), timeout=60)
    before = crl_state(pub, shards)
    api = Api(int(port), token)
    c0, t0 = cpu(pids), time.monotonic()
    st, answer = api.post("/api/v1/revocations?wait=served&timeout=120", body, "application/json")
    t, c1 = time.monotonic() - t0, cpu(pids)
    need(st, answer, f"{len(rows)} revocations with ?wait=served")
    a = json.loads(answer)
    revoked = sum(r["result"] == "revoked" for r in a["revocations"])
    if revoked != len(rows):
        sys.exit(f"api_client: {revoked} of {len(rows)} revoked")
    waited = a["served"]["waited_ms"] / 1000
    print(f"api_client: {len(rows)} revoked, answered in {t:.2f} s (waited {waited:.2f} s), "
          f"{len(answer)} bytes", file=sys.stderr)
    # A new connection: the one above sat idle through the wait, the server may have cut it.
    pub.close()
    pub = http.client.HTTPConnection("127.0.0.1", int(pubport), timeout=60)
    # Right after the answer: the sample answers revoked, every shard's CRL moved and lists all.
    bad = [c for c in picks if ocsp_status(pub, c, issuer) != ocsp.OCSPCertStatus.REVOKED]
    if bad:
        sys.exit(f"api_client: {len(bad)} of {len(picks)} sampled not revoked over OCSP after the answer")
    after = crl_state(pub, shards)
    listed = sum(n for _, n in after)
    moved = sum(1 for b, x in zip(before, after) if x[0] > b[0])
    if listed < len(rows) or moved != shards:
        sys.exit(f"api_client: after the answer, the CRLs list {listed} of {len(rows)}; "
                 f"{moved} of {shards} shards re-published")
    print(f"{len(rows)} {t:.3f} {waited:.3f} {len(answer)} {len(picks)} {moved} {listed} "
          + " ".join(f"{b - a:.2f}" for a, b in zip(c0, c1)))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "bundles":
        cmd_bundles(args[0], args[1], args[2], int(args[3]), pids_of(args[4]),
                    int(args[5]) if len(args) > 5 else 1)
    elif cmd == "single":
        cmd_single(args[0], args[1], args[2], pids_of(args[3]), int(args[4]) if len(args) > 4 else 1)
    elif cmd == "waits":
        cmd_waits(args[0], args[1], args[2], args[3], args[4])
    elif cmd == "mass":
        cmd_mass(args[0], args[1], args[2], args[3], args[4], args[5], int(args[6]),
                 int(args[7]), pids_of(args[8]))
    else:
        sys.exit(f"api_client: unknown command {cmd}")
