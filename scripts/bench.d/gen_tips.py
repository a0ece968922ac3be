#!/usr/bin/env python3
"""Fills a tipdesk SQLite database (schema already created by `tipdesk
serve`, service stopped) with N tips over 200 articles, in one transaction.
RARE tips (spread through the table) contain the word RAREWORD, for the
text-search page. Prints JSON with counts and the time taken.
Usage: gen_tips.py DB N RAREWORD RARE"""
import datetime
import json
import random
import sqlite3
import sys
import time

db, n, rare_word, rare = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rng = random.Random(20261127)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
WORDS = ("the minister said council report figures village road police election "
         "budget hospital school water company contract court witness photo video "
         "date wrong correct quote name spelled number percent year month local "
         "official statement army border refugees aid price market bank tax fire "
         "flood bridge train airport mayor governor party vote protest union strike "
         "factory mine river forest farm harvest drought storm museum church mosque "
         "archive document leaked email meeting interview source sister brother "
         "neighbour teacher doctor nurse driver soldier journalist translation").split()
STATUSES = ["new", "in_review", "verified", "not_verified", "actioned", "closed", "spam", "duplicate"]
STATUS_W = [10, 5, 8, 5, 7, 45, 15, 5]
KINDS = ["new_information", "correction", "other"]
KIND_W = [60, 30, 10]
FMT = "%Y-%m-%d %H:%M:%S.%f"


def reference(i):
    # A bijection of i onto 60 bits, so references are unique but look random.
    x = (i * 0x9E3779B97F4A7C15 + 0x5DEECE66D) % (1 << 60)
    chars = []
    for _ in range(12):
        chars.append(ALPHABET[x & 31])
        x >>= 5
    s = "".join(chars)
    return f"TD-{s[0:4]}-{s[4:8]}-{s[8:12]}"


messages = []
for _ in range(5000):
    words = rng.choices(WORDS, k=rng.randint(12, 60))
    messages.append(" ".join(words).capitalize() + ".")

conn = sqlite3.connect(db)
conn.execute("PRAGMA synchronous = OFF")
conn.execute("PRAGMA cache_size = -262144")
t0 = time.monotonic()
now = datetime.datetime.utcnow()
start = now - datetime.timedelta(days=365)
step = datetime.timedelta(days=365) / max(n, 1)
sections = ["International", "World", "Politics", "Business", "Local", "Culture"]
articles = [(f"bench-article-{a:03d}", f"Benchmark article number {a}",
             f"https://news.example/bench/{a}", sections[a % len(sections)],
             start.strftime(FMT), start.strftime(FMT)) for a in range(200)]
rare_every = max(n // max(rare, 1), 1)


def rows():
    for i in range(n):
        ts = (start + step * i).strftime(FMT)
        msg = messages[rng.randrange(len(messages))]
        if rare and i % rare_every == rare_every // 2 and i // rare_every < rare:
            msg = msg[:-1] + f" and the {rare_word} detail."
        yield (reference(i), f"bench-article-{rng.randrange(200):03d}", "default",
               rng.choices(KINDS, KIND_W)[0], msg, 0,
               rng.choices(STATUSES, STATUS_W)[0], "%032x" % rng.getrandbits(128), ts, ts)


with conn:
    conn.executemany("INSERT OR IGNORE INTO articles (id, title, url, section, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", articles)
    conn.executemany("INSERT INTO tips (reference, article_id, desk, kind, message, consent, status, "
                     "client_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
total = conn.execute("SELECT count(*) FROM tips").fetchone()[0]
found = conn.execute("SELECT count(*) FROM tips WHERE message LIKE ?", (f"%{rare_word}%",)).fetchone()[0]
in_review = conn.execute("SELECT count(*) FROM tips WHERE status = 'in_review'").fetchone()[0]
conn.close()
print(json.dumps({"tips": total, "rare": found, "in_review": in_review,
                  "seconds": round(time.monotonic() - t0, 1)}))
