#!/usr/bin/env python3
"""A small fake S3 server (path style, in memory) that can misbehave on purpose.

    python3 fake_s3.py PORT STATEFILE_DIR

Used by tests/system/remote_s3_faults.sh to produce what a real S3 server (s3rver) cannot:
5xx and throttling answers, on every request or only on the first ones, while recording each
request with the client's address so that a test can count attempts and TCP connections.

S3 side (any bucket, any key; stdlib only, HTTP/1.1 with keep-alive):
    GET/HEAD /bucket/key...   200 with the object, or 404 <Code>NoSuchKey</Code>
    PUT /bucket/key...        200 (the body is stored)
    DELETE /bucket/key...     204
Every response carries a correct Content-Length, so clients can keep the connection open.
Signatures are not verified, but each S3 request must look signed (Authorization starting
with AWS4-HMAC-SHA256, x-amz-date, and x-amz-content-sha256 equal to the SHA-256 of the body);
a request that does not is still served and gets a "violation" in its log record.

Control side (not logged, not subject to faults):
    POST /__control?mode=normal                     serve normally
    POST /__control?fail_first_n=N[&status=503]     the first N requests of each method on each
                                                    object path (counted from this call on)
                                                    get STATUS with an S3 error body, then normal
    POST /__control?always=500                      every S3 request gets that status
    GET  /__log                                     the request log, JSON lines (as the file)
    GET  /__objects                                 {"path": size, ...} of the stored objects
Every control call answers 200 with the new mode as JSON and resets the per-path counters.

The request log is also appended to STATEFILE_DIR/requests.jsonl, one JSON object a line,
written before the response is sent:
    {"seq", "t" (time.time() at arrival), "method", "path", "status", "fault" (bool),
     "ip", "port" (the client's), "bytes" (request body), "violation" (only if any)}

Prints "fake_s3 ready on 127.0.0.1:PORT" once listening; exits 0 on SIGTERM or SIGINT.
"""

import hashlib
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

FAULT_CODES = {
    429: ("SlowDown", "Please reduce your request rate."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    502: ("BadGateway", "Bad gateway."),
    503: ("SlowDown", "Please reduce your request rate."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


class State:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.objects = {}  # path -> bytes
        self.mode = {"mode": "normal"}
        self.counts = {}  # (method, path) -> requests seen since the last control call
        self.seq = 0
        self.log_path = log_path
        self.log_file = open(log_path, "a", encoding="utf-8")

    def set_mode(self, query):
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        if "fail_first_n" in q:
            mode = {"mode": "fail_first_n", "n": int(q["fail_first_n"]), "status": int(q.get("status", "503"))}
        elif "always" in q:
            mode = {"mode": "always", "status": int(q["always"])}
        elif q.get("mode") == "normal":
            mode = {"mode": "normal"}
        elif q.get("mode") == "fail_first_n":  # also accept mode=fail_first_n&n=N&status=S
            mode = {"mode": "fail_first_n", "n": int(q.get("n", "1")), "status": int(q.get("status", "503"))}
        elif q.get("mode") == "always":
            mode = {"mode": "always", "status": int(q.get("status", "500"))}
        else:
            raise ValueError("unknown control query: " + query)
        with self.lock:
            self.mode = mode
            self.counts = {}
        return mode

    def fault_for(self, method, path):
        """The status to fail this request with, or None; counts the request."""
        with self.lock:
            key = (method, path)
            seen = self.counts.get(key, 0)
            self.counts[key] = seen + 1
            m = self.mode
            if m["mode"] == "always":
                return m["status"]
            if m["mode"] == "fail_first_n" and seen < m["n"]:
                return m["status"]
            return None

    def record(self, rec):
        with self.lock:
            self.seq += 1
            rec = {"seq": self.seq, **rec}
            self.log_file.write(json.dumps(rec, sort_keys=True) + "\n")
            self.log_file.flush()


STATE = None


def s3_error(code, message, resource):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{resource}</Resource><RequestId>fake-s3</RequestId></Error>"
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_s3/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def reply(self, status, body=b"", content_type="application/xml", head=False, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def check_signed(self, body):
        problems = []
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            problems.append("Authorization not AWS4-HMAC-SHA256: %r" % auth[:40])
        if not self.headers.get("x-amz-date"):
            problems.append("no x-amz-date")
        sha = self.headers.get("x-amz-content-sha256")
        if not sha:
            problems.append("no x-amz-content-sha256")
        elif sha != "UNSIGNED-PAYLOAD" and sha != hashlib.sha256(body).hexdigest():
            problems.append("x-amz-content-sha256 does not match the body")
        return "; ".join(problems)

    def control(self, method, url, body):
        if method == "POST" and url.path == "/__control":
            try:
                mode = STATE.set_mode(url.query)
            except ValueError as e:
                self.reply(400, (str(e) + "\n").encode(), "text/plain")
                return
            self.reply(200, (json.dumps(mode) + "\n").encode(), "application/json")
        elif method == "GET" and url.path == "/__log":
            with STATE.lock:
                STATE.log_file.flush()
            with open(STATE.log_path, "rb") as f:
                data = f.read()
            self.reply(200, data, "application/x-ndjson")
        elif method == "GET" and url.path == "/__objects":
            with STATE.lock:
                objs = {p: len(b) for p, b in STATE.objects.items()}
            self.reply(200, (json.dumps(objs, sort_keys=True) + "\n").encode(), "application/json")
        else:
            self.reply(404, b"unknown control request\n", "text/plain")

    def handle_any(self):
        method = self.command
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if url.path.startswith("/__"):
            self.control(method, url, body)
            return
        arrived = time.time()
        path = urllib.parse.unquote(url.path)
        violation = self.check_signed(body)
        fault = STATE.fault_for(method, path)
        head = method == "HEAD"
        out_body, ctype, extra = b"", "application/xml", None
        if fault is not None:
            status = fault
            code, msg = FAULT_CODES.get(fault, ("InternalError", "Injected failure."))
            out_body = s3_error(code, msg, path)
        elif method in ("GET", "HEAD"):
            with STATE.lock:
                obj = STATE.objects.get(path)
            if obj is None:
                status, out_body = 404, s3_error("NoSuchKey", "The specified key does not exist.", path)
            else:
                status, out_body, ctype = 200, obj, "application/octet-stream"
                extra = {"ETag": '"%s"' % hashlib.md5(obj).hexdigest()}
        elif method == "PUT":
            with STATE.lock:
                STATE.objects[path] = body
            status, extra = 200, {"ETag": '"%s"' % hashlib.md5(body).hexdigest()}
        elif method == "DELETE":
            with STATE.lock:
                STATE.objects.pop(path, None)
            status = 204
        else:
            status, out_body = 405, s3_error("MethodNotAllowed", "Method not allowed.", path)
        rec = {
            "t": arrived,
            "method": method,
            "path": path,
            "status": status,
            "fault": fault is not None,
            "ip": self.client_address[0],
            "port": self.client_address[1],
            "bytes": len(body),
        }
        if violation:
            rec["violation"] = violation
        STATE.record(rec)  # before replying: once the client has its answer, the log has it
        self.reply(status, out_body, ctype, head=head, extra=extra)

    do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    global STATE
    if len(sys.argv) != 3:
        sys.stderr.write("usage: fake_s3.py PORT STATEFILE_DIR\n")
        return 2
    port, state_dir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(state_dir, exist_ok=True)
    STATE = State(os.path.join(state_dir, "requests.jsonl"))
    server = Server(("127.0.0.1", port), Handler)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"fake_s3 ready on 127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
