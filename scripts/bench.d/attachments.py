#!/usr/bin/env python3
"""Attachments streamed through tipdesk (issue 17): concurrent uploads of
large files through the JSON API's multipart body, then concurrent
downloads of them by the desk, with tipdesk's peak memory (VmHWM of its
/proc status: the most it ever held, since it started).

  attachments.py upload URL API_PATH PID CONCURRENT MIB ROUNDS [KIND]
      ROUNDS times: CONCURRENT tips at once, each with one file of MIB MiB:
      KIND pdf (the default: a PDF tipdesk takes as sent, no metadata to
      strip) or jpeg (a photo with EXIF and GPS, whose metadata tipdesk
      removes, holding it in memory meanwhile). Prints JSON.
  attachments.py download URL PID SESSION SHA256 TIP_ID...
      every tip's file 1 at once, checked against SHA256. Prints JSON.

MB/s is 10^6 bytes of file content per second of wall time, from the
first request sent to the last answer read, all requests together."""
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

BOUNDARY = "tipdesk-bench-boundary-7c1f"


def hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def pdf(mib):
    # Random bytes (nothing compresses them) with no "P", so that no ZIP
    # signature appears by chance (tipdesk refuses a PDF carrying a ZIP).
    body = os.urandom(mib * 1024 * 1024 - 32).replace(b"P", b"Q")
    return b"%PDF-1.4\n%bench\n" + body + b"\n%%EOF\n" + b" " * 9


def jpeg(mib):
    # A phone's photo as far as its structure goes: JFIF, EXIF with an
    # orientation and a GPS latitude, a frame header, a scan, then random
    # entropy-coded data without 0xFF (no marker by chance) up to MIB MiB.
    def segment(marker, body):
        return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
    exif = (b"Exif\0\0MM\0\x2A\0\0\0\x08\0\x02"
            + bytes([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0])
            + bytes([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38, 0, 0, 0, 0])
            + bytes([0, 1, 0x00, 0x01, 0, 2, 0, 0, 0, 2, ord("N"), 0, 0, 0, 0, 0, 0, 0]))
    head = (b"\xFF\xD8" + segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0") + segment(0xE1, exif)
            + segment(0xC0, b"\x08\x0F\xA0\x0B\xB8\x01\x01\x11\0") + segment(0xDA, b"\x01\x01\0\0\x3F\0"))
    body = os.urandom(mib * 1024 * 1024 - len(head) - 2).replace(b"\xFF", b"\xFE")
    return head + body + b"\xFF\xD9"


def part(name, value, filename=None):
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"'
    if filename:
        head += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
    return head.encode() + b"\r\n\r\n" + value + b"\r\n"


def run_all(jobs):
    """Runs every job (a function) on its own thread; returns the results
    and the wall time from the first start to the last end."""
    results = [None] * len(jobs)
    gate = threading.Barrier(len(jobs) + 1)

    def go(i):
        gate.wait()
        results[i] = jobs[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    gate.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def connection(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=300)


def upload(url, path, pid, concurrent, mib, rounds, kind="pdf"):
    content, filename = (jpeg(mib), "photo.jpg") if kind == "jpeg" else (pdf(mib), "scan.pdf")
    digest = hashlib.sha256(content).hexdigest()
    statuses, seconds, n = {}, [], 0
    for r in range(rounds):
        bodies = []
        for i in range(concurrent):
            n += 1
            message = f"A benchmark tip with a file ({r}-{i}-{n}): the scan of the document.".encode()
            bodies.append(part("kind", b"correction") + part("message", message)
                          + part("attachments", content, filename) + f"--{BOUNDARY}--\r\n".encode())

        def post(body):
            def send():
                c = connection(url)
                c.request("POST", path, body=body, headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(len(body))})
                res = c.getresponse()
                res.read()
                c.close()
                return res.status
            return send

        results, elapsed = run_all([post(b) for b in bodies])
        for s in results:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        seconds.append(elapsed)
    total = sum(seconds)
    return {
        "kind": kind, "concurrent": concurrent, "file_mib": mib, "rounds": rounds, "statuses": statuses,
        "ok": statuses.get("201", 0), "seconds": round(total, 3),
        "mb_per_s": round(rounds * concurrent * len(content) / total / 1e6, 1),
        "hwm_kb": hwm_kb(pid), "sha256": digest,
    }


def download(url, pid, session, sha256, ids):
    def get(tip):
        def fetch():
            c = connection(url)
            c.request("GET", f"/desk/tips/{tip}/attachments/1",
                      headers={"Cookie": f"tipdesk_session={session}"})
            res = c.getresponse()
            h = hashlib.sha256()
            size = 0
            while True:
                block = res.read(1 << 16)
                if not block:
                    break
                h.update(block)
                size += len(block)
            c.close()
            return res.status, size, h.hexdigest() == sha256
        return fetch

    results, elapsed = run_all([get(t) for t in ids])
    ok = [r for r in results if r[0] == 200 and r[2]]
    return {
        "files": len(ids), "ok": len(ok), "statuses": sorted({r[0] for r in results}),
        "seconds": round(elapsed, 3),
        "mb_per_s": round(sum(r[1] for r in ok) / elapsed / 1e6, 1) if elapsed else None,
        "hwm_kb": hwm_kb(pid),
    }


if __name__ == "__main__":
    if sys.argv[1] == "upload":
        url, path, pid, concurrent, mib, rounds = sys.argv[2:8]
        kind = sys.argv[8] if len(sys.argv) > 8 else "pdf"
        out = upload(url, path, int(pid), int(concurrent), int(mib), int(rounds), kind)
    else:
        url, pid, session, sha256 = sys.argv[2:6]
        out = download(url, int(pid), session, sha256, sys.argv[6:])
    print(json.dumps(out))
