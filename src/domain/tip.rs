use std::fmt;

use rand::Rng;

use crate::i18n::Msg;

/// What a reader says their tip is. Stored as its [`TipKind::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TipKind {
    NewInformation,
    Correction,
    Other,
}

impl TipKind {
    pub const ALL: [TipKind; 3] = [Self::NewInformation, Self::Correction, Self::Other];

    pub fn parse(raw: &str) -> Result<Self, Msg> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Msg::new("kind-unknown"))
    }

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewInformation => "new_information",
            Self::Correction => "correction",
            Self::Other => "other",
        }
    }

    /// How the form and emails say it, in the reader's language.
    pub fn name(self) -> Msg {
        match self {
            Self::NewInformation => Msg::new("kind-new_information"),
            Self::Correction => Msg::new("kind-correction"),
            Self::Other => Msg::new("kind-other"),
        }
    }
}

/// Where a tip is in the desk's workflow. Stored as its
/// [`TipStatus::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TipStatus {
    New,
    InReview,
    Verified,
    NotVerified,
    Actioned,
    Closed,
    Spam,
    Duplicate,
}

impl TipStatus {
    pub const ALL: [TipStatus; 8] = [
        Self::New,
        Self::InReview,
        Self::Verified,
        Self::NotVerified,
        Self::Actioned,
        Self::Closed,
        Self::Spam,
        Self::Duplicate,
    ];

    pub fn parse(raw: &str) -> Result<Self, Msg> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| Msg::new("desk-status-unknown").text("status", raw))
    }

    /// Where a tip may go from here: the workflow new → in review →
    /// verified / not verified → actioned → closed; spam and duplicate from
    /// anywhere open; anything finished can be reopened for review.
    pub fn next_steps(self) -> &'static [TipStatus] {
        use TipStatus::*;
        match self {
            New => &[InReview, Spam, Duplicate],
            InReview => &[Verified, NotVerified, Spam, Duplicate],
            Verified | NotVerified => &[Actioned, Closed, InReview],
            Actioned => &[Closed, InReview],
            Closed | Spam | Duplicate => &[InReview],
        }
    }

    /// Whether the desk may still be working on it: anything but closed,
    /// spam or duplicate (the statuses whose only way on is to be
    /// reopened). A new tip joins only an open tip's case.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Spam | Self::Duplicate)
    }

    /// How the desk says it, in the staff member's language.
    pub fn name(self) -> Msg {
        match self {
            Self::New => Msg::new("status-new"),
            Self::InReview => Msg::new("status-in_review"),
            Self::Verified => Msg::new("status-verified"),
            Self::NotVerified => Msg::new("status-not_verified"),
            Self::Actioned => Msg::new("status-actioned"),
            Self::Closed => Msg::new("status-closed"),
            Self::Spam => Msg::new("status-spam"),
            Self::Duplicate => Msg::new("status-duplicate"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InReview => "in_review",
            Self::Verified => "verified",
            Self::NotVerified => "not_verified",
            Self::Actioned => "actioned",
            Self::Closed => "closed",
            Self::Spam => "spam",
            Self::Duplicate => "duplicate",
        }
    }
}

crate::text_enum_sql!(TipKind);
crate::text_enum_sql!(TipStatus);

/// The reference a reader is given for their tip, e.g. `TD-7K3M-Q9XH-2B4N`.
/// Random, so it reveals neither how many tips exist nor when.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TipReference(String);

// Crockford's base32: no I, L, O or U to misread over the phone.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl TipReference {
    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        let mut pick = || ALPHABET[rng.gen_range(0..32)] as char;
        // 60 random bits: collisions stay negligible at millions of tips, and
        // the unique index catches the rest.
        let mut group = || (0..4).map(|_| pick()).collect::<String>();
        let (a, b, c) = (group(), group(), group());
        Self(format!("TD-{a}-{b}-{c}"))
    }

    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TipReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TipReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
