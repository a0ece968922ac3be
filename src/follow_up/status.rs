//! The tip's status as the reader reads it. The desk's workflow has eight
//! statuses, some of which a reader must never see (spam, duplicate) and
//! most of which mean nothing to them; a reader is told one of five, in
//! words they understand: received → being checked → answered / published
//! / closed.
//!
//! Import cycle with `crate::follow_up::conversation`: the status depends
//! on who wrote last (its `Author`), and the conversation's view shows the
//! status; two halves of one capability.

use crate::domain::TipStatus;
use crate::i18n::Msg;

use super::conversation::Author;

/// What the reader is told about their tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderStatus {
    /// The desk has it and has not started on it.
    Received,
    /// The desk is working on it.
    BeingChecked,
    /// The desk wrote to the reader and waits for them.
    Answered,
    /// The desk acted on it (a correction published, the article updated).
    Published,
    /// The desk finished with it.
    Closed,
}

impl ReaderStatus {
    pub const ALL: [ReaderStatus; 5] = [
        Self::Received,
        Self::BeingChecked,
        Self::Answered,
        Self::Published,
        Self::Closed,
    ];

    /// The reader's status of a tip with the desk's `status`, whose
    /// conversation's last message came from `last` (if any), and which
    /// has a published correction's address (`published`).
    ///
    /// Every desk status is mapped here by name, so a new one cannot slip
    /// through unmapped. Spam and duplicates read as received: telling a
    /// sender their tip was judged spam helps only those who send spam,
    /// and "duplicate" would tell a reader that someone else wrote in. A
    /// desk message waiting for an answer turns an open tip into
    /// "answered", so the reader sees there is something to read.
    pub fn of(status: TipStatus, last: Option<Author>, published: bool) -> Self {
        let waiting_for_reader = last == Some(Author::Desk);
        match status {
            TipStatus::Spam | TipStatus::Duplicate => Self::Received,
            TipStatus::New if waiting_for_reader => Self::Answered,
            TipStatus::New => Self::Received,
            TipStatus::InReview | TipStatus::Verified | TipStatus::NotVerified
                if waiting_for_reader =>
            {
                Self::Answered
            }
            TipStatus::InReview | TipStatus::Verified | TipStatus::NotVerified => {
                Self::BeingChecked
            }
            TipStatus::Actioned => Self::Published,
            TipStatus::Closed if published => Self::Published,
            TipStatus::Closed => Self::Closed,
        }
    }

    /// The JSON API's name: the same in every language.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::BeingChecked => "being_checked",
            Self::Answered => "answered",
            Self::Published => "published",
            Self::Closed => "closed",
        }
    }

    /// Its name, in the reader's language.
    pub fn name(self) -> Msg {
        Msg::new("follow-up-status").key("status", self.as_str())
    }

    /// A sentence on what it means for the reader.
    pub fn explanation(self) -> Msg {
        Msg::new("follow-up-status-about").key("status", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_desk_status_reads_as_a_reader_status() {
        use ReaderStatus as R;
        let cases = [
            (TipStatus::New, R::Received),
            (TipStatus::InReview, R::BeingChecked),
            (TipStatus::Verified, R::BeingChecked),
            (TipStatus::NotVerified, R::BeingChecked),
            (TipStatus::Actioned, R::Published),
            (TipStatus::Closed, R::Closed),
            (TipStatus::Spam, R::Received),
            (TipStatus::Duplicate, R::Received),
        ];
        assert_eq!(cases.len(), TipStatus::ALL.len());
        for (desk, reader) in cases {
            assert_eq!(ReaderStatus::of(desk, None, false), reader, "{desk:?}");
            assert_eq!(
                ReaderStatus::of(desk, Some(Author::Reader), false),
                reader,
                "{desk:?} after the reader wrote"
            );
        }
    }

    #[test]
    fn a_desk_question_is_an_answer_until_the_reader_replies() {
        for open in [TipStatus::New, TipStatus::InReview, TipStatus::Verified] {
            assert_eq!(
                ReaderStatus::of(open, Some(Author::Desk), false),
                ReaderStatus::Answered
            );
        }
        // Spam stays "received" whatever the desk did.
        assert_eq!(
            ReaderStatus::of(TipStatus::Spam, Some(Author::Desk), false),
            ReaderStatus::Received
        );
        assert_eq!(
            ReaderStatus::of(TipStatus::Closed, Some(Author::Desk), false),
            ReaderStatus::Closed
        );
        assert_eq!(
            ReaderStatus::of(TipStatus::Closed, None, true),
            ReaderStatus::Published
        );
    }
}
