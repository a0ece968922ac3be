#!/usr/bin/env python3
"""Watches one process while a load runs: peak VmRSS, CPU time it used, and
how busy the whole machine was. Usage: procmon.py PID OUT.json
Runs until SIGTERM (or the process exits), then writes OUT.json."""
import json
import os
import signal
import sys
import time

pid, out = int(sys.argv[1]), sys.argv[2]
tick = os.sysconf("SC_CLK_TCK")
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_cpu():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime + stime


def machine():
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals), idle


t0 = time.monotonic()
c0 = proc_cpu()
m0 = machine()
peak = rss_kb()
c1, m1 = c0, m0
while not stop:
    try:
        peak = max(peak, rss_kb())
        c1 = proc_cpu()
        m1 = machine()
    except (FileNotFoundError, ProcessLookupError):
        break
    time.sleep(0.05)
wall = time.monotonic() - t0
total, idle = m1[0] - m0[0], m1[1] - m0[1]
with open(out, "w") as f:
    json.dump({
        "peak_rss_kb": peak,
        "cpu_seconds": round(c1 - c0, 2),
        "wall_seconds": round(wall, 2),
        "proc_cores": round((c1 - c0) / wall, 2) if wall else 0,
        "machine_busy": round(1 - idle / total, 3) if total else 0,
    }, f)
