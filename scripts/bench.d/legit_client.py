#!/usr/bin/env python3
"""The legitimate reader during the flood test: sends one JSON tip every
1/RATE seconds for SECONDS over one keep-alive connection, each from a
different reader (a new X-Forwarded-For address per request, so the default
per-client limit never applies to them). Latency is measured from the
moment a request was due, so a stalled server is not hidden (no
coordinated omission). Prints JSON.
Usage: legit_client.py HOST PORT PATH RATE SECONDS"""
import http.client
import json
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rate, seconds = float(sys.argv[4]), float(sys.argv[5])
conn = http.client.HTTPConnection(host, port, timeout=30)
lat, statuses = [], {}
n = int(rate * seconds)
t0 = time.monotonic()
for i in range(n):
    due = t0 + i / rate
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    xff = f"198.51.{100 + (i // 250) % 50}.{1 + i % 250}"
    body = json.dumps({"message": f"A legitimate reader's tip number {i}, sent during a flood ({t0})."}).encode()
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json", "X-Forwarded-For": xff})
        res = conn.getresponse()
        res.read()
        status = res.status
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(host, port, timeout=30)
        status = "error"
    lat.append(time.monotonic() - due)
    statuses[str(status)] = statuses.get(str(status), 0) + 1
lat.sort()
pct = lambda p: round(lat[min(len(lat) - 1, int(len(lat) * p))] * 1000, 3)
print(json.dumps({"sent": n, "statuses": statuses, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                  "max_ms": round(lat[-1] * 1000, 3)}))
