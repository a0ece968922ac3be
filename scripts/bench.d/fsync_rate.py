#!/usr/bin/env python3
"""The disk's synchronous-write rate, one writer, in DIR, for SECONDS each:
  append: write 1 KiB at the end of a file, then fsync (the file grows, so
          the file system journals its size too);
  overwrite: write 1 KiB over the same block of a file, then fdatasync (the
          steady state of SQLite's WAL, which is reused in place).
Prints JSON: fsyncs/s and p50/p99 per mode. The append rate is the ceiling
for one-commit-per-tip durability when every commit grows a file."""
import json
import os
import sys
import time

d, seconds = sys.argv[1], float(sys.argv[2])


def probe(mode):
    path = os.path.join(d, f"fsync-probe-{mode}.bin")
    buf = os.urandom(1024)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if mode == "overwrite":
        os.write(fd, buf)
        os.fsync(fd)
    lat = []
    t0 = time.monotonic()
    end = t0 + seconds
    while True:
        s = time.monotonic()
        if s >= end:
            break
        if mode == "append":
            os.write(fd, buf)
            os.fsync(fd)
        else:
            os.pwrite(fd, buf, 0)
            os.fdatasync(fd)
        lat.append(time.monotonic() - s)
    wall = time.monotonic() - t0
    os.close(fd)
    os.unlink(path)
    lat.sort()
    return len(lat) / wall, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000


a = probe("append")
o = probe("overwrite")
print(json.dumps({
    "fsyncs_per_s": round(a[0], 1), "p50_ms": round(a[1], 3), "p99_ms": round(a[2], 3),
    "overwrite_per_s": round(o[0], 1), "overwrite_p50_ms": round(o[1], 3), "overwrite_p99_ms": round(o[2], 3),
}))
