#!/usr/bin/env python3
"""Time GET /healthz at a steady pace while something else loads the node.

Used by `./spillway bench failover` during its "every target down" phase: the node must stay responsive while
hundreds of clients hammer a route whose providers all refuse connections. One keep-alive connection, one probe every
1/--rate seconds (not back to back: an open loop, so a stall shows as latency, not as fewer samples).

  healthz_probe.py URL --duration 15 [--rate 200]
Prints a machine-readable line:
  HEALTHZ count=… p50_ms=… p99_ms=… max_ms=… non200=…
"""
import argparse
import http.client
import time
from urllib.parse import urlparse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    target = urlparse(args.url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    interval = 1.0 / args.rate
    samples, non200 = [], 0
    start = time.perf_counter()
    next_at = start
    while time.perf_counter() - start < args.duration:
        now = time.perf_counter()
        if now < next_at:
            time.sleep(next_at - now)
        sent = next_at  # latency from when the probe was due: a stalled node delays the next ones too
        conn.request("GET", target.path or "/healthz")
        res = conn.getresponse()
        res.read()
        samples.append((time.perf_counter() - sent) * 1000)
        if res.status != 200:
            non200 += 1
        next_at += interval
    samples.sort()

    def pct(p):
        return samples[min(len(samples) - 1, max(0, int(round(p * len(samples))) - 1))]

    print("HEALTHZ count=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non200=%d"
          % (len(samples), pct(0.50), pct(0.99), samples[-1], non200))


if __name__ == "__main__":
    main()
