//! The dashboard benchmark's data (scripts/bench, step "dashboard"): fills
//! a tipdesk database with N tips over 200 articles, in one transaction,
//! through tipdesk's own schema, types and database layer, so a schema
//! change breaks this at compile time rather than at bench time. RARE tips,
//! spread through the table, contain RAREWORD (for the text-search page).
//! Prints JSON with counts and the seconds taken.
//!
//! Usage: `bench_tips DATABASE_URL N RAREWORD RARE [--outbox]`
//! (e.g. `sqlite://var/tipdesk.db 1000000 xylophonist 25`), with the
//! service stopped.
//!
//! With `--outbox` (the drain benchmark, scripts/bench `--only drain`),
//! every tip also gets its desk's notification, due now, written by
//! `notifications::outbox::enqueue_tip` as a submission writes it: a
//! backlog of N jobs without posting N tips.
//!
//! The tips are written without their folded search copy, as rows from
//! before the folding existed: the next start folds them, and the bench
//! records how long that takes (`db::search_text`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a tool: fails loudly

use std::collections::HashMap;
use std::time::Instant;

use diesel::prelude::*;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use tipdesk::articles::ArticleRecord;
use tipdesk::config::Settings;
use tipdesk::db::{schema::tips, DbError, Pool};
use tipdesk::domain::{TipKind, TipStatus};

#[derive(Insertable)]
#[diesel(table_name = tips)]
struct BenchTip {
    reference: String,
    article_id: String,
    desk: &'static str,
    kind: TipKind,
    message: String,
    consent: bool,
    status: TipStatus,
    client_hash: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    language: Option<&'static str>,
    first_read_at: Option<chrono::NaiveDateTime>,
}

const ARTICLES: usize = 200;
/// Tips made and stored at a time.
const BLOCK: usize = 10_000;
const SECTIONS: [&str; 6] = [
    "International",
    "World",
    "Politics",
    "Business",
    "Local",
    "Culture",
];
const WORDS: &str = "the minister said council report figures village road police election \
    budget hospital school water company contract court witness photo video \
    date wrong correct quote name spelled number percent year month local \
    official statement army border refugees aid price market bank tax fire \
    flood bridge train airport mayor governor party vote protest union strike \
    factory mine river forest farm harvest drought storm museum church mosque \
    archive document leaked email meeting interview source sister brother \
    neighbour teacher doctor nurse driver soldier journalist translation";
/// How the statuses of a year-old desk's tips are spread, mostly closed.
const STATUSES: [(TipStatus, u32); 8] = [
    (TipStatus::New, 10),
    (TipStatus::InReview, 5),
    (TipStatus::Verified, 8),
    (TipStatus::NotVerified, 5),
    (TipStatus::Actioned, 7),
    (TipStatus::Closed, 45),
    (TipStatus::Spam, 15),
    (TipStatus::Duplicate, 5),
];
const KINDS: [(TipKind, u32); 3] = [
    (TipKind::NewInformation, 60),
    (TipKind::Correction, 30),
    (TipKind::Other, 10),
];

/// A reference for tip `i`: a bijection onto 60 bits, so references are
/// unique but look random, in tipdesk's `TD-XXXX-XXXX-XXXX` shape.
fn reference(i: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut x = i
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x5_DEEC_E66D)
        & ((1 << 60) - 1);
    let mut chars = String::with_capacity(12);
    for _ in 0..12 {
        chars.push(ALPHABET[(x & 31) as usize] as char);
        x >>= 5;
    }
    format!("TD-{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, outbox) = match args.as_slice() {
        [rest @ .., last] if last == "--outbox" => (rest, true),
        all => (all, false),
    };
    let [url, n, rare_word, rare] = args else {
        eprintln!("usage: bench_tips DATABASE_URL N RAREWORD RARE [--outbox]");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N is a number");
    let rare: u64 = rare.parse().expect("RARE is a number");
    let env = HashMap::from([("TIPDESK_DATABASE__URL".to_owned(), url.clone())]);
    let settings = Settings::load_from(None, env).expect("settings");
    let pool = Pool::connect(&settings.database).expect("open the database");

    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_127);
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let messages: Vec<String> = (0..5000)
        .map(|_| {
            let count = rng.gen_range(12..=60);
            let text: Vec<&str> = (0..count)
                .map(|_| words[rng.gen_range(0..words.len())])
                .collect();
            let text = text.join(" ");
            format!("{}{}.", text[..1].to_uppercase(), &text[1..])
        })
        .collect();
    let statuses = WeightedIndex::new(STATUSES.map(|(_, w)| w)).unwrap();
    let kinds = WeightedIndex::new(KINDS.map(|(_, w)| w)).unwrap();

    let started = Instant::now();
    let now = tipdesk::db::now();
    let start = now - chrono::Duration::days(365);
    let step_ms = 365 * 24 * 3600 * 1000 / n.max(1) as i64;
    let articles: Vec<_> = (0..ARTICLES)
        .map(|a| {
            ArticleRecord {
                id: format!("bench-article-{a:03}"),
                title: format!("Benchmark article number {a}"),
                url: format!("https://news.example/bench/{a}"),
                section: SECTIONS[a % SECTIONS.len()].to_owned(),
                language: None,
            }
            .parse()
            .expect("a valid article")
        })
        .collect();
    let rare_every = (n / rare.max(1)).max(1);
    let mut tip = |i: u64| {
        let at = start + chrono::Duration::milliseconds(step_ms * i as i64);
        let mut message = messages[rng.gen_range(0..messages.len())].clone();
        if rare > 0 && i % rare_every == rare_every / 2 && i / rare_every < rare {
            message.pop();
            message.push_str(&format!(" and the {rare_word} detail."));
        }
        let status = STATUSES[statuses.sample(&mut rng)].0;
        // Someone looked at every tip that moved on, within two days; of
        // the new ones, a few in ten are still unread (and most of those
        // overdue), as on a desk that keeps up.
        let looked = status != TipStatus::New || rng.gen_bool(0.7);
        BenchTip {
            reference: reference(i),
            article_id: format!("bench-article-{:03}", rng.gen_range(0..ARTICLES)),
            desk: "default",
            kind: KINDS[kinds.sample(&mut rng)].0,
            message,
            consent: false,
            status,
            client_hash: format!("{:032x}", rng.gen::<u128>()),
            created_at: at,
            updated_at: at,
            language: Some("en"),
            first_read_at: looked
                .then(|| at + chrono::Duration::minutes(rng.gen_range(5..2 * 24 * 60))),
        }
    };

    pool.with(|conn| {
        conn.write(|conn| {
            tipdesk::articles::upsert_all(conn, &articles)?;
            // Made a block at a time: a million rows held at once would
            // take a few hundred MB for nothing.
            for block in (0..n).step_by(BLOCK) {
                let rows: Vec<BenchTip> =
                    (block..n.min(block + BLOCK as u64)).map(&mut tip).collect();
                for chunk in tipdesk::db::chunks(&rows, 10) {
                    tipdesk::db_run!(conn, |c| diesel::insert_into(tips::table)
                        .values(chunk)
                        .execute(c))?;
                }
            }
            if outbox {
                let desk = &settings.desks["default"];
                let ids: Vec<tipdesk::domain::TipId> =
                    tipdesk::db_run!(conn, |c| tips::table.select(tips::id).load(c))?;
                for id in ids {
                    tipdesk::notifications::outbox::enqueue_tip(
                        conn,
                        id,
                        "default",
                        &desk.emails,
                        "bench.invalid",
                        None,
                    )?;
                }
            }
            Ok::<_, DbError>(())
        })
    })
    .expect("store the tips");

    let count = |filter: Option<TipStatus>, like: Option<String>| -> i64 {
        pool.with(|conn| {
            Ok::<_, DbError>(tipdesk::db_run!(conn, |c| {
                let mut query = tips::table.count().into_boxed();
                if let Some(status) = filter {
                    query = query.filter(tips::status.eq(status));
                }
                if let Some(pattern) = &like {
                    query = query.filter(tips::message.like(pattern));
                }
                query.get_result::<i64>(c)
            })?)
        })
        .expect("count the tips")
    };
    let jobs: i64 = pool
        .with(|conn| {
            Ok::<_, DbError>(tipdesk::db_run!(conn, |c| {
                tipdesk::db::schema::outbox::table.count().get_result(c)
            })?)
        })
        .expect("count the jobs");
    let summary = serde_json::json!({
        "tips": count(None, None),
        "jobs": jobs,
        "rare": count(None, Some(format!("%{rare_word}%"))),
        "in_review": count(Some(TipStatus::InReview), None),
        "unread": pool
            .with(|conn| {
                Ok::<_, DbError>(tipdesk::db_run!(conn, |c| tips::table
                    .filter(tips::first_read_at.is_null())
                    .count()
                    .get_result::<i64>(c))?)
            })
            .expect("count the unread tips"),
        "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    });
    println!("{summary}");
}
