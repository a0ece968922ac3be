#!/usr/bin/env python3
"""Waits until tipdesk's search index (SQLite) covers every tip: the
service fills it in the background. Prints JSON with the time waited.
Usage: wait_indexed.py DB MAX_SECONDS"""
import json
import sqlite3
import sys
import time

db, limit = sys.argv[1], float(sys.argv[2])
start = time.time()
done = False
while time.time() - start < limit:
    conn = sqlite3.connect(db, timeout=30)
    try:
        (upto,) = conn.execute("SELECT indexed_up_to FROM tips_search_progress").fetchone()
        (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM tips").fetchone()
    finally:
        conn.close()
    if upto >= top:
        done = True
        break
    time.sleep(0.5)
print(json.dumps({"seconds": round(time.time() - start, 1), "done": done}))
