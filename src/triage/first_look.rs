//! Time to first look: how long a tip may wait before someone at its desk
//! opens it (`[desks.<key>] first_look_hours`), and so which tips are
//! overdue. The one place this rule lives: the queue's badge, its
//! `overdue=1` filter, the desk's figures and its reminder all ask here.
//!
//! A tip is overdue when nobody has opened it (`tips.first_read_at` is
//! NULL) and it arrived more than its desk's `first_look_hours` ago. A
//! tip of a desk no longer configured has no time to first look, so is
//! never overdue (nobody could be reminded of it).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use crate::config::DeskSettings;

/// Each desk's time to first look, as of one moment.
#[derive(Debug, Clone)]
pub struct FirstLook {
    now: NaiveDateTime,
    hours: BTreeMap<String, u32>,
}

impl FirstLook {
    /// The desks' settings as of `now`.
    pub fn new(desks: &BTreeMap<String, DeskSettings>, now: NaiveDateTime) -> Self {
        Self {
            now,
            hours: desks
                .iter()
                .map(|(k, d)| (k.clone(), d.first_look_hours.get()))
                .collect(),
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        self.now
    }

    /// Tips of `desk` that arrived before this and are still unread are
    /// overdue; `None` for a desk not configured.
    pub fn cutoff(&self, desk: &str) -> Option<NaiveDateTime> {
        let hours = self.hours.get(desk)?;
        Some(self.now - Duration::hours(i64::from(*hours)))
    }

    /// Whether a tip of `desk` that arrived at `created_at`, first opened
    /// at `first_read_at`, is overdue now.
    pub fn is_overdue(
        &self,
        desk: &str,
        created_at: NaiveDateTime,
        first_read_at: Option<NaiveDateTime>,
    ) -> bool {
        first_read_at.is_none() && self.cutoff(desk).is_some_and(|c| created_at < c)
    }

    /// The desks among `desks` grouped by their cutoff, for one SQL
    /// condition per distinct `first_look_hours` (usually one in all).
    pub fn cutoffs<'a>(
        &self,
        desks: impl IntoIterator<Item = &'a str>,
    ) -> Vec<(Vec<String>, NaiveDateTime)> {
        let mut groups: BTreeMap<NaiveDateTime, Vec<String>> = BTreeMap::new();
        for desk in desks {
            if let Some(c) = self.cutoff(desk) {
                groups.entry(c).or_default().push(desk.to_owned());
            }
        }
        groups.into_iter().map(|(c, d)| (d, c)).collect()
    }

    /// Every configured desk's key.
    pub fn desks(&self) -> impl Iterator<Item = &str> {
        self.hours.keys().map(String::as_str)
    }
}

/// How long ago something happened, in the largest whole unit that fits,
/// as the queue shows a tip's age: "45 min", "5 h", "3 d".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

impl Age {
    /// From `then` to `now` (0 minutes when `then` is later, as a clock
    /// between instances may make it).
    pub fn between(then: NaiveDateTime, now: NaiveDateTime) -> Self {
        let d = (now - then).max(Duration::zero());
        match (d.num_days(), d.num_hours()) {
            (days, _) if days >= 1 => Self::Days(days),
            (_, hours) if hours >= 1 => Self::Hours(hours),
            _ => Self::Minutes(d.num_minutes()),
        }
    }

    /// The message that says it (`queue-age`).
    pub fn msg(self) -> crate::i18n::Msg {
        let (unit, n) = match self {
            Self::Minutes(n) => ("minutes", n),
            Self::Hours(n) => ("hours", n),
            Self::Days(n) => ("days", n),
        };
        crate::i18n::Msg::new("queue-age")
            .key("unit", unit)
            .number("n", n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn desks(hours: &[(&str, u32)]) -> BTreeMap<String, DeskSettings> {
        hours
            .iter()
            .map(|(k, h)| {
                (
                    (*k).to_owned(),
                    DeskSettings {
                        name: (*k).to_owned(),
                        emails: vec!["desk@example.org".into()],
                        sections: vec![],
                        excerpt_chars: 0,
                        locale: None,
                        first_look_hours: NonZeroU32::new(*h).unwrap(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_unread_tip_is_overdue_past_its_own_desks_hours() {
        let look = FirstLook::new(
            &desks(&[("default", 24), ("night", 2)]),
            at("2026-11-30 12:00"),
        );
        let three_hours_ago = at("2026-11-30 09:00");
        assert!(look.is_overdue("night", three_hours_ago, None));
        assert!(!look.is_overdue("default", three_hours_ago, None));
        assert!(look.is_overdue("default", at("2026-11-29 11:59"), None));
        assert!(!look.is_overdue("default", at("2026-11-29 12:00"), None));
        assert!(
            !look.is_overdue("night", three_hours_ago, Some(three_hours_ago)),
            "opened is never overdue"
        );
        assert!(!look.is_overdue("gone", at("2020-01-01 00:00"), None));
    }

    #[test]
    fn desks_with_the_same_hours_share_one_cutoff() {
        let look = FirstLook::new(
            &desks(&[("a", 24), ("b", 2), ("c", 24)]),
            at("2026-11-30 12:00"),
        );
        assert_eq!(
            look.cutoffs(["a", "b", "c", "gone"]),
            vec![
                (vec!["a".to_owned(), "c".to_owned()], at("2026-11-29 12:00")),
                (vec!["b".to_owned()], at("2026-11-30 10:00")),
            ]
        );
    }

    #[test]
    fn ages_are_told_in_the_largest_whole_unit() {
        let now = at("2026-11-30 12:00");
        assert_eq!(Age::between(at("2026-11-30 11:15"), now), Age::Minutes(45));
        assert_eq!(Age::between(at("2026-11-30 06:59"), now), Age::Hours(5));
        assert_eq!(Age::between(at("2026-11-27 11:00"), now), Age::Days(3));
        assert_eq!(Age::between(at("2026-11-30 12:05"), now), Age::Minutes(0));
    }
}
