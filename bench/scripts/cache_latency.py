#!/usr/bin/env python3
"""Latency of cache hits through a node, one request at a time on one keep-alive connection.

Used by `./spillway bench cache`. Sends the same chat request COUNT times (after WARMUP untimed ones) and reports
the client-side latency over loopback, which is the gateway's own time for a hit (no provider is called), and how
the node labelled each answer (x-spillway-cache).

  cache_latency.py URL --label exact --prompt "..." [--count 2000] [--warmup 500] [--header 'k: v']...
Prints a machine-readable line:
  CACHE label=… count=… p50_ms=… p90_ms=… p99_ms=… max_ms=… cache=hit-exact:1999,miss:1 non2xx=…
"""
import argparse
import collections
import http.client
import json
import time
from urllib.parse import urlparse


def body(model, prompt):
    return json.dumps({"model": model, "messages": [
        {"role": "system", "content": "You are a helpful assistant. Answer concisely."},
        {"role": "user", "content": prompt}], "temperature": 0, "max_tokens": 256}).encode()


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--label", required=True)
    p.add_argument("--model", default="gpt-4o-mini")
    p.add_argument("--prompt", required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--vary", action="store_true",
                   help="make every request's text unique with trailing punctuation, which normalisation removes: "
                        "no request is an exact hit, each one embeds and searches (for semantic hits)")
    args = p.parse_args()
    u = urlparse(args.url)
    headers = {"Content-Type": "application/json"}
    for h in args.header:
        k, v = h.split(":", 1)
        headers[k.strip()] = v.strip()
    payload = body(args.model, args.prompt)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    times, labels, non2xx = [], collections.Counter(), 0
    for i in range(args.warmup + args.count):
        if args.vary:
            payload = body(args.model, args.prompt + "?" * (1 + i % 40) + "!" * (i // 40))
        start = time.perf_counter()
        conn.request("POST", u.path, body=payload, headers=headers)
        res = conn.getresponse()
        res.read()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= args.warmup:
            times.append(elapsed)
            labels[res.getheader("x-spillway-cache") or "none"] += 1
            non2xx += res.status >= 300
    conn.close()
    times.sort()
    print(f"CACHE label={args.label} count={len(times)} p50_ms={percentile(times, 0.50):.3f} "
          f"p90_ms={percentile(times, 0.90):.3f} p99_ms={percentile(times, 0.99):.3f} max_ms={times[-1]:.3f} "
          f"cache={','.join(f'{k}:{v}' for k, v in sorted(labels.items()))} non2xx={non2xx}")


if __name__ == "__main__":
    main()
