//! The browser a login attempt comes from, as the login steps (password,
//! then [`super::totp`]) need it: its client key, its known-client cookie
//! and the session it already holds. Its own module because both steps
//! use it; in `login` it made `login` and `totp` import each other.

use super::{known_client, session, throttle};
use crate::db::Conn;
use crate::secrets::HmacKeys;
use crate::state::AppState;

/// What a login request brings besides its form: the client it comes
/// from, the browser's known-client cookie and the session its cookie
/// holds (which a new login ends).
pub struct Browser {
    client: String,
    known: Option<String>,
    session: Option<String>,
}

impl Browser {
    pub fn of(state: &AppState, req: &actix_web::HttpRequest) -> Self {
        let settings = &state.settings;
        Self {
            client: state.client_key(req).as_str().to_owned(),
            known: known_client::from_request(req, settings),
            session: req
                .cookie(session::cookie_name(settings))
                .map(|c| c.value().to_owned())
                .filter(|t| !t.is_empty()),
        }
    }

    /// The throttle keys of an attempt at `email` from this browser.
    pub fn keys(&self, hmac_keys: &HmacKeys, email: &str) -> throttle::Keys {
        let known = known_client::vouches_for(hmac_keys, self.known.as_deref(), email);
        throttle::Keys::new(email, &self.client, known)
    }

    /// Ends the session this browser's cookie held, if any: logging in
    /// again in the same browser leaves one live session, not two.
    pub fn end_old_session(&self, conn: &mut Conn<'_>) -> diesel::QueryResult<()> {
        match &self.session {
            Some(token) => session::end(conn, token),
            None => Ok(()),
        }
    }
}
