//! A small HTTP server on loopback that serves feed files for the feed
//! tests: each path answers with the body, media type and `ETag` it is
//! given (304 to a matching `If-None-Match`, as a newsroom's web server or
//! CDN does), or with an error status; it counts the requests per path,
//! and can be told to answer slowly.

#![allow(dead_code)] // each test crate uses part of it

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};

/// What one path answers.
#[derive(Clone)]
pub struct Served {
    pub status: u16,
    pub media_type: &'static str,
    pub body: String,
    pub etag: Option<String>,
    pub delay: Duration,
}

impl Served {
    /// `200` with `body` as `media_type`, tagged `etag`.
    pub fn feed(media_type: &'static str, body: &str, etag: &str) -> Self {
        Self {
            status: 200,
            media_type,
            body: body.to_owned(),
            etag: Some(format!("\"{etag}\"")),
            delay: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct Files {
    served: HashMap<String, Served>,
    requests: HashMap<String, usize>,
}

/// The running server; stops when dropped.
pub struct FeedServer {
    pub base: String,
    files: Arc<Mutex<Files>>,
    handle: actix_web::dev::ServerHandle,
}

impl FeedServer {
    /// Starts the server on a thread and runtime of its own, so it answers
    /// while the test waits on something blocking (a `tipdesk` command).
    pub fn start() -> Self {
        let files = Arc::new(Mutex::new(Files::default()));
        let shared = web::Data::from(files.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("feed server runtime");
            runtime.block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new()
                        .app_data(shared.clone())
                        .default_service(web::to(answer))
                })
                .workers(1)
                .bind("127.0.0.1:0")
                .expect("bind the feed server");
                let port = server.addrs()[0].port();
                let server = server.run();
                tx.send((port, server.handle())).expect("report the port");
                let _ = server.await;
            });
        });
        let (port, handle) = rx.recv().expect("the feed server started");
        Self {
            base: format!("http://127.0.0.1:{port}"),
            files,
            handle,
        }
    }

    /// Serves `served` at `path` from now on.
    pub fn serve(&self, path: &str, served: Served) {
        self.files
            .lock()
            .unwrap()
            .served
            .insert(path.to_owned(), served);
    }

    /// The address of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Requests `path` has had.
    pub fn requests(&self, path: &str) -> usize {
        self.files
            .lock()
            .unwrap()
            .requests
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn answer(files: web::Data<Mutex<Files>>, req: HttpRequest) -> HttpResponse {
    let path = req.path().to_owned();
    let served = {
        let mut files = files.lock().unwrap();
        *files.requests.entry(path.clone()).or_default() += 1;
        files.served.get(&path).cloned()
    };
    let Some(served) = served else {
        return HttpResponse::NotFound().finish();
    };
    tokio::time::sleep(served.delay).await;
    let matches = served.etag.as_deref().is_some_and(|etag| {
        req.headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == etag)
    });
    let status =
        actix_web::http::StatusCode::from_u16(if matches { 304 } else { served.status }).unwrap();
    let mut res = HttpResponse::build(status);
    if let Some(etag) = &served.etag {
        res.insert_header(("etag", etag.as_str()));
    }
    if matches {
        return res.finish();
    }
    res.content_type(served.media_type).body(served.body)
}
