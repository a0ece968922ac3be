#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! Several tipdesk instances on one PostgreSQL database: thousands of tips
//! sent across three `tipdesk serve` processes while one of them is killed
//! with SIGKILL. Every accepted tip must be stored, every desk notification
//! must reach the SMTP server, and the only duplicates allowed are jobs the
//! killed instance had in flight. Before that: a reader's form and a desk
//! session each cross instances.

#[path = "common/process.rs"]
mod process;
#[path = "common/smtp.rs"]
mod smtp;
#[path = "common/testdb.rs"]
mod testdb;
#[path = "common/web.rs"]
mod web;

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use futures_util::StreamExt;
use process::Running;
use tipdesk::db::schema::{outbox, tips};

const TIPS: usize = 3000;
const KILL_AFTER: usize = 1000;
const SECRET: &str = "scale-out-secret-scale-out-secret-0123456";

struct Instance {
    process: Running,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_instance(db_url: &str, smtp_url: &str, data: &std::path::Path) -> Instance {
    let port = free_port();
    let process = Running::start(
        Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .arg("serve")
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("TIPDESK_SERVER__WORKERS", "2")
            .env("TIPDESK_DATABASE__URL", db_url)
            .env("TIPDESK_DATABASE__POOL_SIZE", "6")
            .env("TIPDESK_STORAGE__DATA_DIR", data)
            .env("TIPDESK_SECURITY__SECRET_KEY", SECRET)
            .env("TIPDESK_LIMITS__PER_CLIENT_PER_MINUTE", "1000000")
            .env("TIPDESK_LIMITS__PER_CLIENT_BURST", "1000000")
            .env("TIPDESK_MAIL__TRANSPORT", "smtp")
            .env("TIPDESK_MAIL__SMTP_URL", smtp_url)
            // Short, so the killed instance's jobs are taken over soon.
            .env("TIPDESK_NOTIFY__LEASE_SECONDS", "5")
            .env("TIPDESK_NOTIFY__POLL_SECONDS", "1")
            .env("TIPDESK_NOTIFY__DIGEST_WINDOW_SECONDS", "0")
            // One email per tip, even for thousands on one article.
            .env("TIPDESK_LIMITS__ARTICLE_SURGE_PER_10MIN", "0")
            .env("TIPDESK_LOG__LEVEL", "warn"),
    );
    Instance {
        process,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_until_up(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client.get(format!("{url}/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tipdesk_pg),
    ignore = "PostgreSQL suite skipped: set TIPDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
)]
async fn three_instances_lose_nothing_when_one_is_killed() {
    let db = testdb::TestDb::create(testdb::Backend::Postgres);
    let db_url = db.url_string();
    let smtp = smtp::SmtpServer::start().await;
    let data = tempfile::tempdir().unwrap();

    // The first instance migrates and seeds; the others join it.
    let mut instances = vec![start_instance(&db_url, &smtp.url(), &data.path().join("a"))];
    let client = reqwest::Client::new();
    wait_until_up(&client, &instances[0].url).await;
    for name in ["b", "c"] {
        instances.push(start_instance(
            &db_url,
            &smtp.url(),
            &data.path().join(name),
        ));
    }
    for i in &instances {
        wait_until_up(&client, &i.url).await;
    }
    let urls: Vec<String> = instances.iter().map(|i| i.url.clone()).collect();

    // A reader's form may be served by one instance and posted to another:
    // the token is signed with the shared secret.
    let form = "/articles/csto-extremist-groups-afghanistan/tip";
    let page = web::text_of(client.get(format!("{}{form}", urls[0]))).await;
    let token = web::input_value(&page, "form_token");
    tokio::time::sleep(Duration::from_millis(3100)).await; // limits.min_fill_seconds
    let res = client
        .post(format!("{}{form}", urls[2]))
        .form(&[
            ("message", "Posted to another instance than served the form"),
            ("form_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        reqwest::StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    let victim_pid = instances[1].process.id();

    // Thousands of tips, spread round-robin, 48 at a time; the second
    // instance is killed once KILL_AFTER tips have been accepted.
    let accepted = Arc::new(AtomicUsize::new(0));
    let killer = {
        let accepted = accepted.clone();
        let mut victim = instances.remove(1).process;
        let db_url = db_url.clone();
        tokio::spawn(async move {
            while accepted.load(Ordering::SeqCst) < KILL_AFTER {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            victim.kill(); // SIGKILL
                           // At once, before any lease can run out: the jobs the victim
                           // held when it died, the only ones allowed to arrive twice.
            let tag = format!("%-{victim_pid}-%");
            let mut conn = tipdesk::db::pg_establish(&db_url).unwrap();
            outbox::table
                .filter(outbox::claimed_by.like(tag))
                .select(outbox::message_id)
                .load::<String>(&mut conn)
                .unwrap()
                .into_iter()
                .collect::<HashSet<String>>()
        })
    };
    let references: Vec<String> = futures_util::stream::iter(0..TIPS)
        .map(|i| {
            let client = client.clone();
            let url = format!(
                "{}/api/v1/articles/csto-extremist-groups-afghanistan/tips",
                urls[i % urls.len()]
            );
            let accepted = accepted.clone();
            async move {
                let res = client
                    .post(url)
                    .json(&serde_json::json!({"message": format!("Scale-out tip number {i} with detail")}))
                    .send()
                    .await
                    .ok()?;
                if res.status() != reqwest::StatusCode::CREATED {
                    return None;
                }
                let body: serde_json::Value = res.json().await.ok()?;
                accepted.fetch_add(1, Ordering::SeqCst);
                Some(body["reference"].as_str()?.to_owned())
            }
        })
        .buffer_unordered(48)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    let in_flight_on_victim = killer.await.unwrap();
    let mut conn = tipdesk::db::pg_establish(&db_url).unwrap();

    assert!(
        references.len() > KILL_AFTER,
        "accepted {}",
        references.len()
    );
    assert!(
        references.len() < TIPS,
        "requests to the killed instance must have failed"
    );

    // Every accepted tip is stored.
    let stored: HashSet<String> = tips::table
        .select(tips::reference)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    let missing: Vec<&String> = references.iter().filter(|r| !stored.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "{} accepted tips are missing",
        missing.len()
    );

    // Every job is delivered by the survivors (the victim's after its lease).
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let undelivered: i64 = outbox::table
            .filter(outbox::state.ne("sent"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        if undelivered == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{undelivered} jobs still undelivered; the survivors said:\n{}",
            instances
                .iter()
                .map(|i| i.process.output_tail())
                .collect::<Vec<_>>()
                .join("\n--\n")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let jobs: Vec<String> = outbox::table
        .select(outbox::message_id)
        .load(&mut conn)
        .unwrap();
    assert!(
        jobs.len() > references.len(),
        "the cross-instance form tip is there too"
    );

    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in smtp.accepted() {
        *seen.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    let undelivered: Vec<&String> = jobs.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        undelivered.is_empty(),
        "{} notifications never reached SMTP",
        undelivered.len()
    );
    let duplicates: Vec<&String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    let unexplained: Vec<&&String> = duplicates
        .iter()
        .filter(|id| !in_flight_on_victim.contains(**id))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{} duplicates were not in flight on the killed instance",
        unexplained.len()
    );
    eprintln!(
        "scale-out: {} tips accepted of {TIPS}, {} emails, {} duplicates (all from the {} jobs in flight on the killed instance)",
        references.len(),
        jobs.len(),
        duplicates.len(),
        in_flight_on_victim.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tipdesk_pg),
    ignore = "PostgreSQL suite skipped: set TIPDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
)]
async fn a_worker_on_another_instance_is_woken_by_notify_not_by_polling() {
    let db = testdb::TestDb::create(testdb::Backend::Postgres);
    let db_url = db.url_string();
    let smtp = smtp::SmtpServer::start().await;
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    // A web instance without a worker...
    let port = free_port();
    let _web = Running::start(
        Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .arg("serve")
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("TIPDESK_DATABASE__URL", &db_url)
            .env("TIPDESK_STORAGE__DATA_DIR", data.path())
            .env("TIPDESK_SECURITY__SECRET_KEY", SECRET)
            .env("TIPDESK_NOTIFY__WORKER", "false")
            .env("TIPDESK_LOG__LEVEL", "warn"),
    );
    let url = format!("http://127.0.0.1:{port}");
    wait_until_up(&client, &url).await;
    // ...and a worker elsewhere that would poll only every ten minutes, so
    // only LISTEN/NOTIFY can bring it the tip.
    let _worker = Running::start(
        Command::new(env!("CARGO_BIN_EXE_tipdesk"))
            .arg("worker")
            .env_remove("TIPDESK_CONFIG")
            .env("TIPDESK_DATABASE__URL", &db_url)
            .env("TIPDESK_MAIL__TRANSPORT", "smtp")
            .env("TIPDESK_MAIL__SMTP_URL", smtp.url())
            .env("TIPDESK_NOTIFY__POLL_SECONDS", "600"),
    );
    // Once it has reported in, its first pass is over and it is waiting.
    let mut conn = tipdesk::db::pg_establish(&db_url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let beats: i64 = tipdesk::db::schema::worker_heartbeats::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        if beats > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never reported in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = client
        .post(format!(
            "{url}/api/v1/articles/csto-extremist-groups-afghanistan/tips"
        ))
        .json(&serde_json::json!({"message": "A tip that must wake the other instance's worker."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    smtp.wait_for(1, Duration::from_secs(20)).await;
}
