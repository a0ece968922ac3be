//! Staff accounts, sessions and who may do what. Every desk route asks for
//! a [`Staff`] (a live session) and checks its rights on the server.

pub mod browser;
pub mod known_client;
pub mod login;
pub mod password;
pub mod routes;
pub mod session;
pub mod throttle;
pub mod totp;
pub mod users;

pub use session::{Protected, ProtectedBody, Staff};

/// What a staff account may do. Stored as its [`Role::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    /// Every desk, users, the audit trail, ops.
    Admin,
    /// Triage the tips of their desks.
    Editor,
    /// Read their desks' tips.
    Viewer,
    /// The notification queue and health; no tips.
    Ops,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Admin, Self::Editor, Self::Viewer, Self::Ops];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not a role: admin, editor, viewer or ops"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
            Self::Ops => "ops",
        }
    }

    /// Roles that work on tips belong to desks.
    pub fn needs_desks(self) -> bool {
        matches!(self, Self::Editor | Self::Viewer)
    }
}

crate::text_enum_sql!(Role);
