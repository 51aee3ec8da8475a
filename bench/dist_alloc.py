#!/usr/bin/env python3
"""alloc_job throughput of a running sccache-dist scheduler, on loopback.

Each iteration is what the scheduler does for one distributed compile, minus the compile:
  POST /api/v1/scheduler/alloc_job  (client token; the scheduler picks a server and calls its
                                     assign_job over HTTPS synchronously)
  POST /api/v1/scheduler/job_state  ready, started, complete (as the build server would, with
                                     the server's token, so that the slot is freed)
Only alloc_job is timed. Usage:
  bench/dist_alloc.py HOST:PORT CLIENT_TOKEN SERVER_TOKEN [N] [THREADS]
(bench/dist_alloc.sh starts a scheduler and a build server and calls this.)
"""
import http.client
import json
import sys
import threading
import time

def main():
    host, port = sys.argv[1].rsplit(":", 1)
    client_token, server_token = sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    timings = []
    errors = []
    lock = threading.Lock()

    def worker(count):
        conn = http.client.HTTPConnection(host, int(port))
        for _ in range(count):
            body = json.dumps({"archive_id": "0" * 64})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/scheduler/alloc_job", body,
                         {"Authorization": "Bearer " + client_token, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            dt = time.perf_counter() - t0
            reply = json.loads(data) if r.status == 200 else None
            if not reply or "Success" not in reply:
                with lock:
                    errors.append((r.status, data[:200]))
                continue
            job_id = reply["Success"]["job_alloc"]["job_id"]
            for state in ("ready", "started", "complete"):
                conn.request("POST", "/api/v1/scheduler/job_state/%d" % job_id, json.dumps(state),
                             {"Authorization": "Bearer " + server_token, "Content-Type": "application/json"})
                conn.getresponse().read()
            with lock:
                timings.append(dt)

    per = n // threads
    start = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(per,)) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - start
    timings.sort()
    if errors:
        print("errors:", len(errors), errors[:3])
    if timings:
        print(json.dumps({
            "allocations": len(timings),
            "threads": threads,
            "alloc_job_mean_ms": round(1000 * sum(timings) / len(timings), 3),
            "alloc_job_p50_ms": round(1000 * timings[len(timings) // 2], 3),
            "alloc_job_p99_ms": round(1000 * timings[int(len(timings) * 0.99)], 3),
            "alloc_job_per_s_one_connection": round(1 / (sum(timings) / len(timings)), 1),
            "cycles_per_s_wall": round(len(timings) / wall, 1),
        }))
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main())
