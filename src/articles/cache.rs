//! Articles read recently, kept in memory for a few seconds, for the form
//! page: it is what every reader of an article loads, and asking the
//! database each time was most of what serving it cost. Submissions still
//! read the article from the database (its section picks the desk), so a
//! re-imported article shows its new title within `TTL` and routes tips by
//! its new section at once.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::Article;

const TTL: Duration = Duration::from_secs(5);
/// Past this many entries the cache starts afresh: a bound on memory
/// however many article ids are asked for.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct ArticleCache {
    entries: RwLock<HashMap<String, (Article, Instant)>>,
}

impl ArticleCache {
    /// The article, if it was read less than `TTL` ago.
    pub fn get(&self, id: &str) -> Option<Article> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(a, _)| a.clone())
    }

    /// Drops the article, after this process changed it (the others
    /// catch up within `TTL`).
    pub fn forget(&self, id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(id);
    }

    pub fn put(&self, article: &Article) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(article.id.clone(), (article.clone(), Instant::now()));
    }
}
