#!/usr/bin/env python3
"""Turns one run's results (RUN/meta.json, RUN/results.jsonl,
RUN/commands.txt) into the markdown table of BENCHMARKS.md.
Usage: report.py RUN [BENCHMARKS.md]  -- with a file, the section between
<!-- bench:start --> and <!-- bench:end --> is replaced; the table is
always written to RUN/table.md."""
import json
import os
import statistics
import sys

run = sys.argv[1]
target_file = sys.argv[2] if len(sys.argv) > 2 else None
meta = json.load(open(os.path.join(run, "meta.json")))
records = [json.loads(l) for l in open(os.path.join(run, "results.jsonl")) if l.strip()]
commands = open(os.path.join(run, "commands.txt")).read().rstrip("\n")


def reps(test):
    return [r["data"] for r in records if r["test"] == test]


def one(test):
    r = reps(test)
    return r[-1] if r else None


def med(test, key):
    vals = [d[key] for d in reps(test) if d.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, unit="", nd=None):
    if v is None:
        return "n/a"
    if nd is None:
        nd = 0 if abs(v) >= 100 else (1 if abs(v) >= 10 else 2)
    return f"{v:,.{nd}f}{unit}"


def verdict(*conds):
    if any(c is None for c in conds):
        return "n/a"
    return "**met**" if all(conds) else "**missed**"


def mon(test):
    m = one("mon:" + test)
    if not m:
        return "", ""
    return f"{m['proc_cores']:.2f} / {m['machine_busy'] * 100:.0f}%", f"{m['peak_rss_kb'] / 1024:.1f} MB"


rows = []
peaks = []


def row(num, what, result, p50, p99, target, verd, test):
    cpu, rss = mon(test) if test else ("", "")
    m = one("mon:" + test) if test else None
    if m:
        peaks.append(m["peak_rss_kb"] / 1024)
    rows.append(f"| {num} | {what} | {result} | {p50} | {p99} | {target} | {verd} | {cpu} | {rss} |")


def wrk_row(num, what, test, unit, target, check, key="rps"):
    v, p50, p99 = med(test, key), med(test, "p50_ms"), med(test, "p99_ms")
    verd = ("n/a" if v is None else check(v, p99)) if check else "—"
    extra = ""
    single = [d["seconds"] for d in reps("single:" + test)]
    if single:
        extra += f"; one request at a time: {fmt(statistics.median(single) * 1000, ' ms')}"
    if v is not None and not med(test, "requests"):
        # No request finished within the run: wrk has no latency to report.
        row(num, what, f"0 requests finished in {meta['duration']} s" + extra, f"> {meta['duration']} s",
            f"> {meta['duration']} s", target, "**missed**" if check else "—", test)
        return
    errs = sum((med(test, k) or 0) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    if errs:
        extra += f" ({fmt(errs)} socket errors)"
    row(num, what, fmt(v, unit) + extra, fmt(p50, " ms"), fmt(p99, " ms"), target, verd, test)


R = meta["reps"]
wrk_row("1a", "Form page `GET /embed/…/tip`, keep-alive", "form_ka", " req/s",
        "≥ 30,000 req/s, p99 < 10 ms",
        lambda v, p99: verdict(v is not None and v >= 30000, p99 is not None and p99 < 10))
wrk_row("1b", "Form page, `Connection: close`", "form_close", " req/s", "—", None)
wrk_row("2a", "JSON tips `POST /api/v1/…/tips`, SQLite (201s)", "json_sqlite", " tips/s",
        "≥ 2,000 tips/s, p99 < 50 ms",
        lambda v, p99: verdict(v is not None and v >= 2000, p99 is not None and p99 < 50), key="ok_per_s")
wrk_row("2b", "JSON tips, PostgreSQL (201s)", "json_pg", " tips/s", "≥ 2,400 tips/s, p99 < 50 ms",
        lambda v, p99: verdict(v is not None and v >= 2400, p99 is not None and p99 < 50), key="ok_per_s")
wrk_row("2c", "HTML form `POST /embed/…/tip`, SQLite (200 thank-you pages)", "form_post", " tips/s",
        "≥ 2,000 tips/s, p99 < 50 ms",
        lambda v, p99: verdict(v is not None and v >= 2000, p99 is not None and p99 < 50), key="ok_per_s")
wrk_row("2d", "HTML form, PostgreSQL (200 thank-you pages)", "form_post_pg", " tips/s", "recorded alongside", None,
        key="ok_per_s")
wrk_row("2e", "JSON tips, PostgreSQL, three tipdesk instances on one database, one wrk (a thread each); "
        "on 2 cores: overhead, not scaling", "json_pg3", " tips/s", "recorded", None, key="ok_per_s")
# The flood: rejections from the flooder, latency of the legitimate reader.
fl = "flood"
legit = reps("legit")
lp50 = statistics.median([d["p50_ms"] for d in legit]) if legit else None
lp99 = statistics.median([d["p99_ms"] for d in legit]) if legit else None
l201 = sum(d["statuses"].get("201", 0) for d in legit)
lsent = sum(d["sent"] for d in legit)
wrk_row("3a", "Flood: one client, default limits (429s)", fl, " rejections/s", "≥ 30,000 rejections/s",
        lambda v, p99: verdict(v is not None and v >= 30000), key="ok_per_s")
row("3b", f"…meanwhile a legitimate reader at 5 tips/s ({l201} of {lsent} got 201)", "", fmt(lp50, " ms"),
    fmt(lp99, " ms"), "p99 < 50 ms", verdict(lp99 < 50, l201 == lsent) if legit else "n/a", None)
for num, test, what in (("4a", "dash_first", "first page `/desk/tips`"),
                        ("4b", "dash_status", "filtered `/desk/tips?status=in_review`"),
                        ("4c", "dash_search", f"text search `/desk/tips?q={meta.get('rare_word', '')}`"),
                        ("4d", "dash_overdue", "overdue tips `/desk/tips?overdue=1`"),
                        ("4e", "dash_language", "by language `/desk/tips?language=en`")):
    wrk_row(num, f"Dashboard, {meta['dash_tips']:,} tips: {what}", test, " req/s", "p99 < 20 ms",
            lambda v, p99: verdict(p99 is not None and p99 < 20))
q = one("queue_nodigest")
if q:
    rate = q["sent"] / q["seconds"] if q["seconds"] else None
    if q["sent"] >= q["jobs"]:
        txt = f"{fmt(q['seconds'], ' s', 1)} to sent = {q['sent']:,} ({fmt(rate, ' emails/s')}; {q['emails']:,} emails reached SMTP)"
    else:
        txt = (f"stopped after {fmt(q['seconds'], ' s', 0)} with {q['sent']:,} sent ({fmt(rate, ' emails/s')}); "
               f"≈ {fmt(q.get('projected_seconds'), ' s', 0)} to drain at that rate (projected)")
    row("5a", f"Queue: {q['jobs']:,} notifications to loopback SMTP, digest window 0", txt,
        "", "", "< 30 s", verdict(q["sent"] >= q["jobs"] and q["seconds"] < 30), "queue_nodigest")
qd = one("queue_digest")
if qd:
    left = qd["jobs"] - qd["sent"]
    proj = qd.get("projected_seconds")
    txt = (f"after {fmt(qd['observed_seconds'], ' s', 0)}: {qd['emails']:,} email(s) covering {qd['sent']:,} jobs; "
           f"{left:,} wait for the next window")
    if left:
        txt += f"; nothing pending after ≈ {fmt(proj / 60 if proj else None, ' min', 0)} (projected)"
    else:
        txt += f"; nothing pending after {fmt(qd['drained_seconds'], ' s', 1)}"
    row("5b", f"Queue: same {qd['jobs']:,} jobs, default digest window ({qd['window']} s)", txt, "", "", "—", "—",
        "queue_digest")
db = one("drain_backlog")
if db:
    rate = db["sent"] / db["seconds"] if db["seconds"] else None
    if db["sent"] >= db["jobs"]:
        txt = f"{fmt(db['seconds'], ' s', 1)} to sent = {db['sent']:,} ({fmt(rate, ' emails/s')})"
    else:
        txt = (f"stopped after {fmt(db['seconds'], ' s', 0)} with {db['sent']:,} sent ({fmt(rate, ' emails/s')}); "
               f"≈ {fmt(db.get('projected_seconds'), ' s', 0)} to drain at that rate (projected)")
    row("5c", f"Drain: a backlog of {db['jobs']:,} notifications generated in the database, digest window 0",
        txt, "", "", "drains", verdict(db["sent"] >= db["jobs"]), "drain_backlog")
for num, fmt_, what in (("8a", "csv", "CSV `GET /desk/tips/export.csv`"),
                        ("8b", "json", "JSON `GET /desk/tips/export.json`")):
    test = "export_" + fmt_
    if not reps(test):
        continue
    secs, rows_, size = med(test, "seconds"), med(test, "rows"), med(test, "bytes")
    m = one("mon:" + test)
    peak = m["peak_rss_kb"] / 1024 if m else None
    row(num, f"Export, {meta['dash_tips']:,} tips: {what}, one download",
        f"{fmt(secs, ' s', 1)} for {fmt(rows_)} rows ({fmt(size / 1e6 if size else None, ' MB')})", "", "",
        "< 30 s, RSS < 100 MB", verdict(secs is not None and secs < 30, peak is not None and peak < 100,
                                        rows_ == meta["dash_tips"]), test)
for num, name, engine in (("9a", "attach_sqlite", "SQLite"), ("9b", "attach_pg", "PostgreSQL"),
                          ("9c", "attach_photo_sqlite", "SQLite")):
    up, down = one("attach_up:" + name), one("attach_down:" + name)
    if not up:
        continue
    files = up["rounds"] * up["concurrent"]
    txt = (f"upload {fmt(up['mb_per_s'], ' MB/s')} ({up['ok']} of {files} got 201 in {fmt(up['seconds'], ' s', 1)}); "
           f"peak RSS {fmt(up['hwm_kb'] / 1024, ' MB', 1)} after the uploads")
    hwm = up["hwm_kb"]
    if down:
        txt += (f"; download {fmt(down['mb_per_s'], ' MB/s')} ({down['ok']} of {down['files']} files at once, "
                f"SHA-256 checked)")
        hwm = max(hwm, down["hwm_kb"])
    cpu, _ = mon(name)
    what = ("JPEG photos with EXIF (GPS), metadata removed" if up.get("kind") == "jpeg"
            else "uploads")
    then = ", then their downloads" if down else ""
    rows.append(f"| {num} | Attachments, {engine}: {up['concurrent']} {what} of {up['file_mib']} MiB at once "
                f"(multipart API, {up['rounds']} round(s)){then} | {txt} | | | "
                f"peak RSS < 150 MB | "
                f"{verdict(hwm / 1024 < 150, up['ok'] == files, down is None or down['ok'] == down['files'])} | "
                f"{cpu} | {fmt(hwm / 1024, ' MB', 1)} (VmHWM) |")
idle = reps("rss_idle")
if idle:
    worst = max(d["rss_kb"] for d in idle) / 1024
    row("6a", "RSS idle after start (largest of the fresh instances)", fmt(worst, " MB", 1), "", "", "< 30 MB",
        verdict(worst < 30), None)
if peaks:
    row("6b", "RSS peak under load (largest over every load above)", fmt(max(peaks), " MB", 1), "", "", "< 100 MB",
        verdict(max(peaks) < 100), None)
fs, fe = one("fsync"), one("fsync_end")
if fs:
    def both(key, unit, end_key=None):
        v = fmt(fs[key], unit)
        return v if not fe else f"{v} at the start, {fmt(fe[key], unit)} at the end"
    row("7a", "Reference: disk, append 1 KiB + `fsync`, one writer, 3 s", both("fsyncs_per_s", " fsyncs/s"),
        both("p50_ms", " ms"), both("p99_ms", " ms"), "—", "—", None)
    if "overwrite_per_s" in fs:
        row("7a′", "Reference: disk, overwrite 1 KiB in place + `fdatasync` (like SQLite's WAL), 3 s",
            both("overwrite_per_s", " fsyncs/s"), both("overwrite_p50_ms", " ms"),
            both("overwrite_p99_ms", " ms"), "—", "—", None)
wrk_row("7b", "Reference: nginx, the same bytes as a static file, keep-alive", "nginx_ka", " req/s", "—", None)
wrk_row("7c", "Reference: nginx, `Connection: close`", "nginx_close", " req/s", "—", None)

stored = []
for test in ("json_sqlite", "form_post", "json_pg", "form_post_pg", "json_pg3"):
    r = one("rows:" + test)
    if r:
        ok = sum(d["ok"] for d in reps(test))
        stored.append(f"{test} {r['tips']:,} rows for {ok:,} successes")
g = one("gen")
out = []
out.append(f"Run: **{meta['date']}** (whole run {meta['seconds']} s), commit **`{meta['commit']}`**{' (built from a clean export of HEAD)' if meta.get('head') else ''}, "
           f"mode **{meta['mode']}** ({R} run(s) of {meta['duration']} s per load, median reported).")
out.append("")
out.append(f"Machine: {meta['nproc']} cores ({meta['cpu']}), {meta['mem']} memory, disk `{meta['disk']}`; "
           f"load average {meta['load_before']} before the run, {meta.get('load_after', 'n/a')} after. "
           f"{meta.get('note', '')}")
out.append("")
out.append("| # | Measurement | Result | p50 | p99 | Target | Verdict | tipdesk CPU cores / machine busy | tipdesk peak RSS |")
out.append("|---|---|---|---|---|---|---|---|---|")
out.extend(rows)
out.append("")
out.append("Latencies are wrk's (`--latency`), from a closed loop of 64 connections (the dashboard: 1), so under saturation "
           "they include queueing. *tipdesk CPU cores* is CPU time of the tipdesk process divided by wall "
           "time over the load's runs (2.00 = both cores); *machine busy* is the whole machine's non-idle "
           "share over the same span (load generator and other users included).")
cpu_rows = []
for test, what in (("json_sqlite", "2a JSON, SQLite"), ("form_post", "2c HTML form, SQLite"),
                   ("json_pg", "2b JSON, PostgreSQL"), ("form_post_pg", "2d HTML form, PostgreSQL"),
                   ("json_pg3", "2e JSON, PostgreSQL, three instances")):
    m, ok = one("mon:" + test), sum(d["ok"] for d in reps(test))
    if not m or not ok:
        continue
    td = m["cpu_seconds"] * 1000 / ok
    pg = m["pg_cpu_seconds"] * 1000 / ok if "pg_cpu_seconds" in m else None
    cpu_rows.append(f"| {what} | {ok:,} | {td:.2f} s | {'—' if pg is None else f'{pg:.2f} s'} | "
                    f"{td + (pg or 0):.2f} s |")
if cpu_rows:
    out.append("")
    out.append("CPU per 1,000 accepted tips (utime + stime from /proc over the load's runs, divided by the "
               "successes; a figure that holds when the machine is shared, where tips/s does not). "
               "*PostgreSQL server*: the backends of the benchmark's database and the server's own processes "
               "(WAL writer, checkpointer, autovacuum), not other databases' backends; SQLite runs inside tipdesk.")
    out.append("")
    out.append("| Load | accepted tips | tipdesk | PostgreSQL server | together |")
    out.append("|---|---|---|---|---|")
    out.extend(cpu_rows)
if g:
    out.append("")
    out.append(f"Dashboard data: {g['tips']:,} tips generated in {g['seconds']} s; {g['in_review']:,} in_review; "
               f"{g['rare']} contain the search word.")
    fo = one("fold")
    if fo:
        out[-1] += (f" Opening the database then folded their text for search (`search_text`, as after an upgrade)"
                    f" in {fo['seconds']} s, account creation included.")
    ix = one("index")
    if ix:
        out[-1] += (f" The service then indexed them for text search in the background in {ix['seconds']} s"
                    f"{'' if ix['done'] else ' (not finished: measured anyway)'}, before the pages were measured.")
if stored:
    out.append("")
    out.append("Tips stored after the submission loads (every request sent a different message; rows exceed "
               "successes by the requests still in flight when wrk stopped): " + "; ".join(stored) + ".")
mp = reps("queue_fill")
if mp:
    out.append("")
    out.append("Queue fill (tips posted through the JSON API before the worker starts): " +
               "; ".join(f"{d['accepted']:,} tips in {d['seconds']} s ({d['per_s']} tips/s)" for d in mp) + ".")
out.append("")
out.append("<details><summary>Exact commands of this run</summary>")
out.append("")
out.append("```")
out.append(commands)
out.append("```")
out.append("</details>")
table = "\n".join(out) + "\n"
open(os.path.join(run, "table.md"), "w").write(table)
print(table)
if target_file:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = open(target_file).read() if os.path.exists(target_file) else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    open(target_file, "w").write(head + start + "\n" + table + end + tail)
