#!/usr/bin/env python3
"""The first requests through a route, one at a time, against a baseline route on the same node.

Used by `./spillway bench failover`: with a primary that refuses connections, the first requests through the route
pay for the failed attempt until the primary's breaker opens. Each of the N requests through --model is preceded by
one through --baseline (same connection, same body), so both see the same node, JIT state and machine; a request's
added latency is its time minus the median of the baseline requests.

  first_requests.py URL --model failover --baseline direct [--count 20] [--header 'k: v']...
Prints one row per request (ms), then a machine-readable line:
  FIRST count=… baseline_p50_ms=… added_max_ms=… added_p50_ms=… over_5ms=… non2xx=…
"""
import argparse
import http.client
import statistics
import time
from urllib.parse import urlparse

BODY = ('{"model":"%s","messages":[{"role":"system","content":"You are a helpful assistant. Answer concisely."},'
        '{"role":"user","content":"Explain in one paragraph what an AI gateway does and why its latency overhead '
        'matters."}],"temperature":0.2,"max_tokens":256}')


def timed(conn, path, model, headers):
    body = (BODY % model).encode()
    start = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    res = conn.getresponse()
    res.read()
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, res.status, res.getheader("x-spillway-attempts") or "-"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--model", required=True, help="the route whose first requests are measured")
    p.add_argument("--baseline", required=True, help="the route they are compared with")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--header", action="append", default=[])
    args = p.parse_args()
    u = urlparse(args.url)
    headers = {"Content-Type": "application/json"}
    for h in args.header:
        k, v = h.split(":", 1)
        headers[k.strip()] = v.strip()
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    baseline, measured, non2xx = [], [], 0
    for _ in range(args.count):
        b, b_status, _ = timed(conn, u.path, args.baseline, headers)
        m, m_status, attempts = timed(conn, u.path, args.model, headers)
        non2xx += (b_status >= 300) + (m_status >= 300)
        baseline.append(b)
        measured.append((m, m_status, attempts))
    conn.close()
    base = statistics.median(baseline)
    print(f"{'request':>7} {args.baseline + '_ms':>12} {args.model + '_ms':>16} {'added_ms':>9} status attempts")
    added = []
    for i, ((m, status, attempts), b) in enumerate(zip(measured, baseline), 1):
        added.append(m - base)
        print(f"{i:>7} {b:>12.3f} {m:>16.3f} {m - base:>9.3f} {status:>6} {attempts:>8}")
    print(f"FIRST count={args.count} baseline_p50_ms={base:.3f} added_max_ms={max(added):.3f} "
          f"added_p50_ms={statistics.median(added):.3f} over_5ms={sum(a >= 5 for a in added)} non2xx={non2xx}")


if __name__ == "__main__":
    main()
