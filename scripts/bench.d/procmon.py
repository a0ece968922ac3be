#!/usr/bin/env python3
"""Watches processes while a load runs: peak VmRSS, CPU time they used, and
how busy the whole machine was.

Usage: procmon.py PID[,PID...] OUT.json [PGDB]
Runs until SIGTERM (or the processes exit), then writes OUT.json. Several
PIDs (the three-instance load) are summed: CPU seconds added, RSS the
largest one's. With PGDB, also the CPU seconds of the PostgreSQL server
spent for that database: its backends (found by their process title,
"postgres: ... user PGDB host(port) state") and the server's own
processes (WAL writer, checkpointer, autovacuum...), but not backends of
other databases (other users of a shared server). Each process's
utime+stime from /proc/PID/stat is read before, during (the watched
PIDs every 0.05 s, the server's every 0.5 s: listing /proc costs) and
after; a server process that starts meanwhile counts from zero."""
import json
import os
import signal
import sys
import time

pids = [int(p) for p in sys.argv[1].split(",")]
out = sys.argv[2]
pgdb = sys.argv[3] if len(sys.argv) > 3 else None
tick = os.sysconf("SC_CLK_TCK")
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime + stime


def proc_cpu():
    return sum(cpu_of(p) for p in pids)


def pg_processes():
    """pid -> CPU seconds of the server's processes that serve PGDB."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace").split()
            # A client backend's title names its user, database and client
            # ("127.0.0.1(port)" or "[local]"); the server's own do not.
            client = any(w.startswith("[local]") or "(" in w and w.endswith(")") for w in title)
            if client and pgdb not in title:
                continue
            found[int(d)] = cpu_of(d)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def machine():
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals), idle


t0 = time.monotonic()
c0 = proc_cpu()
m0 = machine()
pg0 = pg_processes() if pgdb else {}
pg1 = dict(pg0)
peak = max(rss_kb(p) for p in pids)
c1, m1 = c0, m0
n = 0
while not stop:
    try:
        peak = max(peak, max(rss_kb(p) for p in pids))
        c1 = proc_cpu()
        m1 = machine()
    except (FileNotFoundError, ProcessLookupError):
        break
    n += 1
    if pgdb and n % 10 == 0:
        pg1.update(pg_processes())
    time.sleep(0.05)
if pgdb:
    pg1.update(pg_processes())
wall = time.monotonic() - t0
total, idle = m1[0] - m0[0], m1[1] - m0[1]
result = {
    "peak_rss_kb": peak,
    "cpu_seconds": round(c1 - c0, 2),
    "wall_seconds": round(wall, 2),
    "proc_cores": round((c1 - c0) / wall, 2) if wall else 0,
    "machine_busy": round(1 - idle / total, 3) if total else 0,
}
if pgdb:
    result["pg_cpu_seconds"] = round(sum(v - pg0.get(p, 0) for p, v in pg1.items()), 2)
    result["pg_processes"] = len(pg1)
with open(out, "w") as f:
    json.dump(result, f)
