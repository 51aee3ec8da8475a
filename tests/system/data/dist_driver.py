#!/usr/bin/env python3
"""A minimal sccache-dist client for tests/system/dist_overlay.sh (python3 stdlib only).

It speaks the JSON wire format of docs/distributed.md: alloc_job on the scheduler, the build
server's certificate fetched from the scheduler and pinned, submit_toolchain, run_job with a
u32-BE length + JSON header + tar.gz body, outputs decoded from base64url. Every subcommand
prints one JSON document on stdout; HTTP refusals are results (status, WWW-Authenticate, body),
not errors. Exit status: 0 when the requests could be made at all, 2 on usage or connection
errors.

    dist_driver.py --scheduler IP:PORT [--token CLIENT_TOKEN] SUBCOMMAND ...

  pack DIR OUT.tgz             tar.gz (gzip level 1) of DIR's tree -> {"archive_id","bytes"}
  status                       GET /status -> its JSON body
  alloc --archive-id ID [--no-token]
                               POST alloc_job -> {"status","www_authenticate","body"}
  compile --toolchain TGZ --exe PATH --cwd DIR --out-dir DIR [--env K=V]... TU... -- ARGS...
                               allocates one job per TU (all held at once, in TU order), submits
                               the toolchain to each job that needs it, then runs the jobs
                               concurrently: `EXE ARGS... -c TU -o STEM.o` in CWD with TU (at its
                               absolute path) as the only input. Writes STEM.o to --out-dir and
                               STEM.stderr/.stdout next to it. -> list of per-job results
  run --server SID --job N --auth TOKEN --exe PATH --cwd DIR [--input ABS]...
      [--entry NAME=FILE]... [--output REL]... [--out-dir DIR] [--env K=V]... -- ARGS...
                               one run_job request; --entry puts FILE's bytes in the inputs tar
                               under the raw entry NAME (for hostile archives)
  submit --server SID --job N --auth TOKEN FILE
                               one submit_toolchain request with FILE's bytes
  heartbeat --bearer TOKEN     POST heartbeat_server with a well-formed body
  forge-none CLAIMS_JSON       prints an unsigned JWT (alg none) with these claims
"""
import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import http.client
import io
import json
import os
import ssl
import struct
import sys
import tarfile

TIMEOUT = 300


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def decode_body(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class Client:
    def __init__(self, scheduler, token):
        host, port = scheduler.rsplit(":", 1)
        self.sched = (host, int(port))
        self.token = token
        self.certs = {}

    def sched_req(self, method, path, body=None, bearer=None):
        c = http.client.HTTPConnection(*self.sched, timeout=TIMEOUT)
        headers = {"Content-Type": "application/json"}
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        return {"status": r.status, "www_authenticate": r.getheader("WWW-Authenticate"), "body": decode_body(raw)}

    def context_for(self, server_id):
        if server_id not in self.certs:
            r = self.sched_req("GET", "/api/v1/scheduler/server_certificate/" + server_id)
            if r["status"] != 200:
                raise RuntimeError("no certificate for %s: %s" % (server_id, r))
            ctx = ssl.create_default_context(cadata=r["body"]["cert_pem"])
            self.certs[server_id] = ctx
        return self.certs[server_id]

    def server_req(self, server_id, path, body, auth, ctype="application/octet-stream"):
        host, port = server_id.rsplit(":", 1)
        c = http.client.HTTPSConnection(host, int(port), context=self.context_for(server_id), timeout=TIMEOUT)
        headers = {"Content-Type": ctype, "Accept-Encoding": "gzip"}
        if auth is not None:
            headers["Authorization"] = "Bearer " + auth
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        raw = r.read()
        if r.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        c.close()
        return {"status": r.status, "www_authenticate": r.getheader("WWW-Authenticate"), "body": decode_body(raw)}

    def alloc(self, archive_id, send_token=True):
        return self.sched_req("POST", "/api/v1/scheduler/alloc_job", json.dumps({"archive_id": archive_id}),
                              self.token if send_token else None)

    def submit(self, server_id, job_id, auth, data):
        return self.server_req(server_id, "/api/v1/distserver/submit_toolchain/%d" % job_id, data, auth)

    def run_job(self, server_id, job_id, auth, command, outputs, entries):
        """entries: list of (raw tar entry name, bytes, mode)."""
        tb = io.BytesIO()
        with tarfile.open(fileobj=tb, mode="w:gz", compresslevel=1) as t:
            for name, data, mode in entries:
                ti = tarfile.TarInfo(name)  # kept verbatim: tarfile only normalizes names in add()
                ti.size = len(data)
                ti.mode = mode
                t.addfile(ti, io.BytesIO(data))
        meta = json.dumps({"command": command, "outputs": outputs}).encode()
        body = struct.pack(">I", len(meta)) + meta + tb.getvalue()
        return self.server_req(server_id, "/api/v1/distserver/run_job/%d" % job_id, body, auth)


def decode_complete(result, out_dir=None, stem=None):
    """Turns a run_job reply into a flat result; writes outputs to out_dir when given."""
    out = {"http_status": result["status"], "www_authenticate": result["www_authenticate"]}
    body = result["body"]
    if result["status"] != 200 or not isinstance(body, dict) or "Complete" not in body:
        out["error"] = body
        return out
    c = body["Complete"]
    o = c["output"]
    out["code"] = o["code"]
    out["signal"] = o["signal"]
    out["stdout"] = b64d(o["stdout"]).decode("utf-8", "replace")
    out["stderr"] = b64d(o["stderr"]).decode("utf-8", "replace")
    out["outputs"] = []
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
    for path, data in c["outputs"]:
        out["outputs"].append(path)
        if out_dir is not None:
            with open(os.path.join(out_dir, os.path.basename(path)), "wb") as f:
                f.write(b64d(data))
    if out_dir is not None and stem is not None:
        with open(os.path.join(out_dir, stem + ".stderr"), "w") as f:
            f.write(out["stderr"])
        with open(os.path.join(out_dir, stem + ".stdout"), "w") as f:
            f.write(out["stdout"])
    return out


def parse_env(pairs):
    env = [["PATH", "/usr/bin:/bin"], ["LC_ALL", "C"]]
    for p in pairs or []:
        k, v = p.split("=", 1)
        env = [e for e in env if e[0] != k] + [[k, v]]
    return env


def cmd_pack(cl, a):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as t:
        t.add(a.dir, arcname=".", recursive=True)
    data = buf.getvalue()
    with open(a.out, "wb") as f:
        f.write(data)
    return {"archive_id": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def cmd_status(cl, a):
    r = cl.sched_req("GET", "/api/v1/scheduler/status")
    if r["status"] != 200:
        raise RuntimeError("status: %s" % r)
    return r["body"]


def cmd_alloc(cl, a):
    return cl.alloc(a.archive_id, send_token=not a.no_token)


def cmd_compile(cl, a):
    with open(a.toolchain, "rb") as f:
        archive = f.read()
    archive_id = hashlib.sha256(archive).hexdigest()
    jobs = []
    for tu in a.tus:  # all allocations first: every job holds its slot while the next is chosen
        r = cl.alloc(archive_id)
        if r["status"] != 200 or "Success" not in r["body"]:
            raise RuntimeError("alloc_job for %s: %s" % (tu, r))
        s = r["body"]["Success"]
        jobs.append({"tu": tu, "job_id": s["job_alloc"]["job_id"], "server_id": s["job_alloc"]["server_id"],
                     "auth": s["job_alloc"]["auth"], "need_toolchain": s["need_toolchain"], "submit": None})
    for j in jobs:  # as a client would: submit whenever the assignment says so
        if j["need_toolchain"]:
            r = cl.submit(j["server_id"], j["job_id"], j["auth"], archive)
            j["submit"] = r["body"] if r["status"] == 200 else r

    def run(j):
        tu = j["tu"]
        stem = os.path.splitext(os.path.basename(tu))[0]
        path = tu if os.path.isabs(tu) else os.path.join(a.cwd, tu)
        with open(path, "rb") as f:
            data = f.read()
        command = {"executable": a.exe, "arguments": a.args + ["-c", tu, "-o", stem + ".o"],
                   "env_vars": parse_env(a.env), "cwd": a.cwd}
        r = cl.run_job(j["server_id"], j["job_id"], j["auth"], command, [stem + ".o"],
                       [(os.path.abspath(path).lstrip("/"), data, 0o644)])
        return decode_complete(r, a.out_dir, stem)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(jobs))) as ex:
        results = list(ex.map(run, jobs))
    out = []
    for j, r in zip(jobs, results):
        j = dict(j)
        del j["auth"]
        j.update(r)
        out.append(j)
    return out


def cmd_run(cl, a):
    entries = []
    for p in a.input or []:
        with open(p, "rb") as f:
            entries.append((os.path.abspath(p).lstrip("/"), f.read(), 0o644))
    for e in a.entry or []:
        name, path = e.split("=", 1)
        with open(path, "rb") as f:
            entries.append((name, f.read(), 0o644))
    command = {"executable": a.exe, "arguments": a.args, "env_vars": parse_env(a.env), "cwd": a.cwd}
    r = cl.run_job(a.server, a.job, a.auth, command, a.output or [], entries)
    return decode_complete(r, a.out_dir)


def cmd_submit(cl, a):
    with open(a.file, "rb") as f:
        data = f.read()
    return cl.submit(a.server, a.job, a.auth, data)


def cmd_heartbeat(cl, a):
    body = {"jwt_key": b64e(os.urandom(32)), "num_cpus": 1, "server_nonce": 12345,
            "cert_digest": "00" * 32, "cert_pem": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"}
    return cl.sched_req("POST", "/api/v1/scheduler/heartbeat_server", json.dumps(body), a.bearer)


def cmd_forge_none(cl, a):
    header = b64e(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64e(json.dumps(json.loads(a.claims)).encode())
    return header + "." + payload + "."


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scheduler", required=True)
    p.add_argument("--token", default=None)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("pack")
    s.add_argument("dir")
    s.add_argument("out")
    sub.add_parser("status")
    s = sub.add_parser("alloc")
    s.add_argument("--archive-id", required=True)
    s.add_argument("--no-token", action="store_true")
    s = sub.add_parser("compile")
    s.add_argument("--toolchain", required=True)
    s.add_argument("--exe", required=True)
    s.add_argument("--cwd", required=True)
    s.add_argument("--out-dir", required=True)
    s.add_argument("--env", action="append")
    s.add_argument("tus", nargs="+")
    s = sub.add_parser("run")
    s.add_argument("--server", required=True)
    s.add_argument("--job", type=int, required=True)
    s.add_argument("--auth", required=True)
    s.add_argument("--exe", required=True)
    s.add_argument("--cwd", required=True)
    s.add_argument("--input", action="append")
    s.add_argument("--entry", action="append")
    s.add_argument("--output", action="append")
    s.add_argument("--out-dir")
    s.add_argument("--env", action="append")
    s = sub.add_parser("submit")
    s.add_argument("--server", required=True)
    s.add_argument("--job", type=int, required=True)
    s.add_argument("--auth", required=True)
    s.add_argument("file")
    s = sub.add_parser("heartbeat")
    s.add_argument("--bearer", required=True)
    s = sub.add_parser("forge-none")
    s.add_argument("claims")

    argv = sys.argv[1:]
    rest = []
    if "--" in argv:  # compiler arguments after `--` (they may start with '-')
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1:]
    a = p.parse_args(argv)
    a.args = rest
    cl = Client(a.scheduler, a.token)
    handler = {"pack": cmd_pack, "status": cmd_status, "alloc": cmd_alloc, "compile": cmd_compile, "run": cmd_run,
               "submit": cmd_submit, "heartbeat": cmd_heartbeat, "forge-none": cmd_forge_none}[a.cmd]
    try:
        result = handler(cl, a)
    except (OSError, RuntimeError, ValueError, KeyError, http.client.HTTPException) as e:
        print("dist_driver %s: %s: %s" % (a.cmd, type(e).__name__, e), file=sys.stderr)
        return 2
    if isinstance(result, str):
        print(result)
    else:
        json.dump(result, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
