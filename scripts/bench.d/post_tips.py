#!/usr/bin/env python3
"""Sends exactly N JSON tips over CONC keep-alive connections and counts the
201s. Used to fill the notification queue. Prints JSON.
Usage: post_tips.py HOST PORT PATH N CONC"""
import http.client
import json
import sys
import threading
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n, conc = int(sys.argv[4]), int(sys.argv[5])
salt = "%x" % int(time.time() * 1000)
lock = threading.Lock()
counts = {}
next_i = [0]


def worker():
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while True:
        with lock:
            if next_i[0] >= n:
                break
            next_i[0] += 1
            i = next_i[0]
        # A different message each time: tipdesk stores an identical
        # resubmission from the same client only once.
        body = json.dumps({"message": f"A benchmark tip for the notification queue ({salt}-{i})."}).encode()
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            s = str(res.status)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
            s = "error"
        with lock:
            counts[s] = counts.get(s, 0) + 1
    conn.close()


t0 = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(conc)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t0
print(json.dumps({"statuses": counts, "seconds": round(wall, 2),
                  "accepted": counts.get("201", 0),
                  "per_s": round(counts.get("201", 0) / wall, 1)}))
