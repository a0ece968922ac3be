//! Per-client token bucket for submissions. In memory, per instance: with N
//! instances behind a balancer a client gets at most N times the rate,
//! which still stops floods and keeps a shared store off the hot path.

use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::web::client::ClientKey;

/// Limits submissions per client.
#[derive(Clone)]
pub struct SubmissionLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl SubmissionLimiter {
    pub fn new(limits: &LimitSettings) -> Self {
        let per_minute = limits.per_client_per_minute;
        let burst = limits.per_client_burst;
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when the client must wait before sending again.
    pub fn check(&self, client: &ClientKey) -> Result<(), Duration> {
        self.limiter
            .check_key(&client.as_str().to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets clients whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
