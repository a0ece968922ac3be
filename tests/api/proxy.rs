//! Client addresses behind a reverse proxy: `server.client_ip_header` is
//! believed only from `server.trusted_proxies`, every line of it is one
//! list, and the client is the right-most entry that is not a trusted proxy.
//! The client address decides the submission rate limit and who may read
//! `/metrics` without a token, so both are used to observe it.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const MESSAGE: &str = "The convoy left on Tuesday, not Monday as reported.";

/// An app behind "a proxy" on 127.0.0.1 that sends X-Forwarded-For, with a
/// burst of one tip per client.
async fn behind_proxy(backend: Backend, trusted: &[&str]) -> TestApp {
    let trusted: Vec<_> = trusted
        .iter()
        .map(|t| tipdesk::web::client::parse_trusted(t).unwrap())
        .collect();
    TestApp::spawn_with(backend, move |s| {
        s.server.proxies.header = Some("x-forwarded-for".parse().unwrap());
        s.server.proxies.trusted = trusted;
        s.limits.per_client_burst = std::num::NonZeroU32::new(1).unwrap();
        s.limits.per_client_per_minute = std::num::NonZeroU32::new(1).unwrap();
    })
    .await
}

/// A client whose connections come from `local` (any 127.x address is this
/// machine's loopback, so "another address" needs no network).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(local.parse().unwrap()))
        .build()
        .unwrap()
}

/// Posts a tip with the given X-Forwarded-For lines (each its own header
/// line, in order).
async fn tip(app: &TestApp, from: &reqwest::Client, lines: &[&str]) -> StatusCode {
    let mut req = from
        .post(app.url(&format!("/api/v1/articles/{DEMO_ARTICLE}/tips")))
        .json(&json!({ "message": MESSAGE }));
    for line in lines {
        req = req.header("x-forwarded-for", *line);
    }
    req.send().await.unwrap().status()
}

async fn metrics(app: &TestApp, from: &reqwest::Client, lines: &[&str]) -> StatusCode {
    let mut req = from.get(app.url("/metrics"));
    for line in lines {
        req = req.header("x-forwarded-for", *line);
    }
    req.send().await.unwrap().status()
}

async fn via_the_proxy_each_reader_is_counted_apart(backend: Backend) {
    let app = behind_proxy(backend, &["127.0.0.1"]).await;
    app.leave_jobs_unsent();
    let proxy = client_from("127.0.0.1");
    assert_eq!(
        tip(&app, &proxy, &["203.0.113.1"]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        tip(&app, &proxy, &["203.0.113.2"]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        tip(&app, &proxy, &["203.0.113.1"]).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the same reader again is over their burst"
    );
    // A remote reader through the proxy is not loopback.
    assert_eq!(
        metrics(&app, &proxy, &["203.0.113.1"]).await,
        StatusCode::FORBIDDEN
    );
}

async fn direct_from_loopback_the_peer_is_the_client(backend: Backend) {
    let app = behind_proxy(backend, &["127.0.0.0/8", "::1"]).await;
    // A local Prometheus scraping tipdesk directly sends no header.
    assert_eq!(
        metrics(&app, &client_from("127.0.0.1"), &[]).await,
        StatusCode::OK
    );
}

async fn direct_from_elsewhere_a_forged_header_is_ignored(backend: Backend) {
    // Only 127.0.0.1 is our proxy; 127.0.0.2 stands for any other host.
    let app = behind_proxy(backend, &["127.0.0.1"]).await;
    app.leave_jobs_unsent();
    let stranger = client_from("127.0.0.2");
    // 127.0.0.2 is on loopback itself, so /metrics shows whose address
    // counted: its own (200), not the remote one it claims (403).
    assert_eq!(
        metrics(&app, &stranger, &["203.0.113.9"]).await,
        StatusCode::OK,
        "the header of a peer that is not a trusted proxy is not read"
    );
    assert_eq!(
        tip(&app, &stranger, &["203.0.113.1"]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        tip(&app, &stranger, &["203.0.113.2"]).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a new forged address each time is still the same client"
    );
}

async fn every_line_of_the_header_is_one_list(backend: Backend) {
    let app = behind_proxy(backend, &["127.0.0.1", "10.0.0.0/8"]).await;
    app.leave_jobs_unsent();
    let proxy = client_from("127.0.0.1");
    // One line: the client's forged entry, then what our proxy appended.
    assert_eq!(
        tip(&app, &proxy, &["192.0.2.1, 198.51.100.7"]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        tip(&app, &proxy, &["192.0.2.2, 198.51.100.7"]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Several lines: the client sent its own line first, our proxy added
    // one; a different forged first line is still the same reader.
    assert_eq!(
        tip(&app, &proxy, &["192.0.2.1", "198.51.100.8"]).await,
        StatusCode::CREATED
    );
    for forged in ["192.0.2.3", "192.0.2.4", "127.0.0.1"] {
        assert_eq!(
            tip(&app, &proxy, &[forged, "198.51.100.8"]).await,
            StatusCode::TOO_MANY_REQUESTS,
            "forged first line {forged}"
        );
    }
    // A mix of lists and lines, with two of our own proxies at the end.
    assert_eq!(
        tip(
            &app,
            &proxy,
            &["192.0.2.1, 192.0.2.9", "198.51.100.9, 10.0.0.5", "10.0.0.6"]
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(
        tip(&app, &proxy, &["192.0.2.5", "198.51.100.9, 10.0.0.7"]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // And /metrics: a forged loopback line in front of a remote client.
    assert_eq!(
        metrics(&app, &proxy, &["127.0.0.1", "198.51.100.9"]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        metrics(&app, &proxy, &["127.0.0.1, 198.51.100.9"]).await,
        StatusCode::FORBIDDEN
    );
}

crate::both_backends!(
    via_the_proxy_each_reader_is_counted_apart,
    direct_from_loopback_the_peer_is_the_client,
    direct_from_elsewhere_a_forged_header_is_ignored,
    every_line_of_the_header_is_one_list,
);
