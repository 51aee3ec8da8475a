#!/usr/bin/env python3
"""Hostile sccache-dist clients for tests/system/dist_hardening.sh (python3 stdlib only).

Each subcommand prints one JSON document. The build servers' certificates come from the
scheduler (as dist_driver.py does); SID is a build server's ip:port.

    dist_attack.py --scheduler IP:PORT SUBCOMMAND ...

  raw (--server SID | --sched) --path P [--token T] [--length N | --no-length] [--send N] [--wait S]
        one POST: headers declaring Content-Length N (or none), then N' = --send bytes of the body
        (default 0), then waits up to S seconds (default 5) for the status line.
        -> {"status": int or null, "seconds": time to the status line, "body": first 300 bytes}
  drip (--server SID | --sched) [--count N] [--hold S] [--probe-after S]
        opens N connections (default 10) that drip one byte every 0.5 s (TLS handshake bytes to a
        build server, request headers to the scheduler) for up to S seconds (default 12); after
        --probe-after seconds (default 1) makes one ordinary request (a build server: assign_job
        with a bad token, expecting 401; the scheduler: GET status) with a 5 s timeout.
        -> {"probe_status", "probe_seconds", "closed_after": [seconds until the server closed
            each dripping connection, null when it stayed open]}
  long-header (--server SID | --sched) [--bytes N]
        a request whose header line never ends: up to N bytes (default 32 MiB) sent as fast as
        the server takes them. -> {"sent": bytes the server took before it stopped reading}
  bad-run --server SID --job N --auth T --meta JSON
        run_job whose header is the given JSON (e.g. wrongly typed fields), no inputs.
        -> {"status", "body"}
  hs256 --key B64URL_KEY --claims JSON   prints an HS256 JWT (for expired-token tests)
"""
import argparse
import base64
import hashlib
import hmac
import io
import json
import os
import re
import socket
import ssl
import struct
import sys
import tarfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dist_driver  # noqa: E402


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def connect(cl, server, timeout):
    if server:
        host, port = server.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=timeout)
        return cl.context_for(server).wrap_socket(raw, server_hostname=host)
    return socket.create_connection(cl.sched, timeout=timeout)


def read_status(sock, wait):
    """The status code of the reply and the start of its body, or (None, b'') after `wait`."""
    deadline = time.monotonic() + wait
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length:\s*(\d+)", head)
        if sep and m and len(body) >= min(int(m.group(1)), 300):
            break
    if not data.startswith(b"HTTP/1."):
        return None, b""
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body[:300]


def cmd_raw(cl, a):
    start = time.monotonic()
    sock = connect(cl, a.server, 10)
    lines = ["POST %s HTTP/1.1" % a.path, "Host: x", "Content-Type: application/octet-stream"]
    if a.token:
        lines.append("Authorization: Bearer " + a.token)
    if not a.no_length:
        lines.append("Content-Length: %d" % a.length)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    chunk = b"\0" * 65536
    left = a.send
    try:
        sock.settimeout(10)
        while left > 0:
            n = sock.send(chunk[:min(left, len(chunk))])
            left -= n
    except (OSError, ssl.SSLError):
        pass  # the server may refuse and close before the body is sent
    status, body = read_status(sock, a.wait)
    sock.close()
    return {"status": status, "seconds": round(time.monotonic() - start, 2), "body": body.decode("utf-8", "replace")}


def drip(cl, a, out, index, start):
    try:
        host, port = (a.server.rsplit(":", 1) if a.server else (cl.sched[0], str(cl.sched[1])))
        s = socket.create_connection((host, int(port)), timeout=5)
        if a.server:  # the first bytes of a TLS ClientHello, one at a time
            payload = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 4096
        else:
            payload = b"POST /api/v1/scheduler/alloc_job HTTP/1.1\r\nX-Slow: " + b"a" * 4096
        s.settimeout(0.5)
        for b in payload:
            if time.monotonic() - start > a.hold:
                break
            s.send(bytes([b]))
            try:
                if s.recv(4096) == b"":
                    out[index] = round(time.monotonic() - start, 2)
                    break
            except socket.timeout:
                pass
        s.close()
    except OSError:
        out[index] = round(time.monotonic() - start, 2)


def cmd_drip(cl, a):
    if a.server:
        cl.context_for(a.server)  # fetch the certificate before the scheduler could be busy
    start = time.monotonic()
    closed = [None] * a.count
    threads = [threading.Thread(target=drip, args=(cl, a, closed, i, start)) for i in range(a.count)]
    for t in threads:
        t.start()
    time.sleep(a.probe_after)
    t0 = time.monotonic()
    status = None
    try:
        if a.server:
            s = connect(cl, a.server, 5)
            s.sendall(b"POST /api/v1/distserver/assign_job/1 HTTP/1.1\r\nHost: x\r\n"
                      b"Authorization: Bearer bad\r\nContent-Length: 2\r\n\r\n{}")
        else:
            s = connect(cl, None, 5)
            s.sendall(b"GET /api/v1/scheduler/status HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _ = read_status(s, 5)
        s.close()
    except (OSError, ssl.SSLError):
        pass
    probe = round(time.monotonic() - t0, 2)
    for t in threads:
        t.join()
    return {"probe_status": status, "probe_seconds": probe, "closed_after": closed}


def cmd_long_header(cl, a):
    sock = connect(cl, a.server, 10)
    sock.sendall(b"GET /api/v1/scheduler/status HTTP/1.1\r\nHost: x\r\nX-Long: ")
    chunk = b"a" * 65536
    sent = 0
    try:
        sock.settimeout(5)
        while sent < a.bytes:
            sent += sock.send(chunk)
    except (OSError, ssl.SSLError):
        pass  # reset or stalled: the server stopped reading
    sock.close()
    return {"sent": sent}


def cmd_bad_run(cl, a):
    tb = io.BytesIO()
    with tarfile.open(fileobj=tb, mode="w:gz"):
        pass
    meta = a.meta.encode()
    body = struct.pack(">I", len(meta)) + meta + tb.getvalue()
    r = cl.server_req(a.server, "/api/v1/distserver/run_job/%d" % a.job, body, a.auth)
    return {"status": r["status"], "body": r["body"]}


def cmd_hs256(_cl, a):
    key = base64.urlsafe_b64decode(a.key + "=" * (-len(a.key) % 4))
    signing = b64e(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64e(a.claims.encode())
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64e(sig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scheduler", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("raw")
    s.add_argument("--server")
    s.add_argument("--sched", action="store_true")
    s.add_argument("--path", required=True)
    s.add_argument("--token")
    s.add_argument("--length", type=int, default=0)
    s.add_argument("--no-length", action="store_true")
    s.add_argument("--send", type=int, default=0)
    s.add_argument("--wait", type=float, default=5)
    s = sub.add_parser("drip")
    s.add_argument("--server")
    s.add_argument("--sched", action="store_true")
    s.add_argument("--count", type=int, default=10)
    s.add_argument("--hold", type=float, default=12)
    s.add_argument("--probe-after", type=float, default=1)
    s = sub.add_parser("long-header")
    s.add_argument("--server")
    s.add_argument("--sched", action="store_true")
    s.add_argument("--bytes", type=int, default=32 << 20)
    s = sub.add_parser("bad-run")
    s.add_argument("--server", required=True)
    s.add_argument("--job", type=int, required=True)
    s.add_argument("--auth", required=True)
    s.add_argument("--meta", required=True)
    s = sub.add_parser("hs256")
    s.add_argument("--key", required=True)
    s.add_argument("--claims", required=True)
    a = p.parse_args()
    cl = dist_driver.Client(a.scheduler, None)
    handler = {"raw": cmd_raw, "drip": cmd_drip, "long-header": cmd_long_header, "bad-run": cmd_bad_run, "hs256": cmd_hs256}[a.cmd]
    try:
        result = handler(cl, a)
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        print("dist_attack %s: %s: %s" % (a.cmd, type(e).__name__, e), file=sys.stderr)
        return 2
    print(result if isinstance(result, str) else json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
