#!/usr/bin/env python3
"""Chunk timing of one SSE stream: when each event arrives and whether it arrived alone.

Used by `./spillway bench chunks` to check that a gateway relays events as they come (not coalesced, not delayed):
run it against the mock upstream directly and through the gateway with the mock pacing its chunks, and compare.

  stream_timing.py URL [--header 'k: v']... [--streams N]
Prints one line: events, reads that carried more than one event (coalesced), first-event time, median and max gap.
"""
import argparse
import socket
import statistics
import time
from urllib.parse import urlparse


def one_stream(url, headers):
    u = urlparse(url)
    body = b'{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
    head = [f"POST {u.path} HTTP/1.1", f"Host: {u.hostname}:{u.port}", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: close"] + headers
    sock = socket.create_connection((u.hostname, u.port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    arrivals, coalesced, buf = [], 0, b""
    reads = 0
    while True:
        data = sock.recv(65536)
        now = time.perf_counter()
        if not data:
            break
        reads += 1
        if VERBOSE and reads <= 4:
            print(f"  read {reads} at {(now - start) * 1000:.3f} ms: {len(data)} bytes {data[:60]!r}")
        buf += data
        n = 0
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            if b"data:" in event:
                arrivals.append(now - start)
                n += 1
        if n > 1:
            coalesced += n - 1
        if b"[DONE]" in data:
            break
    sock.close()
    return arrivals, coalesced


VERBOSE = False


def main():
    global VERBOSE
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--streams", type=int, default=5)
    p.add_argument("--verbose", action="store_true", help="print the first reads of the first stream")
    a = p.parse_args()
    VERBOSE = a.verbose
    firsts, gaps, coalesced, events = [], [], 0, 0
    for _ in range(a.streams):
        arrivals, c = one_stream(a.url, a.header)
        VERBOSE = False
        events += len(arrivals)
        coalesced += c
        firsts.append(arrivals[0] * 1000)
        gaps += [(b - x) * 1000 for x, b in zip(arrivals, arrivals[1:])]
    print(f"STREAM events={events} coalesced={coalesced} first_event_ms_median={statistics.median(firsts):.3f} "
          f"gap_ms_median={statistics.median(gaps):.3f} gap_ms_max={max(gaps):.3f} streams={a.streams}")


if __name__ == "__main__":
    main()
