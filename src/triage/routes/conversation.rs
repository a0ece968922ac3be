//! `POST /desk/tips/{id}/messages`: an editor writes to the reader of a tip
//! (who reads it with their receipt, see `crate::follow_up`). Apart from
//! internal notes on purpose: a note never leaves the desk, a message is
//! for the reader's eyes. Editors and admins only — a viewer is refused
//! (403) like any change — and CSRF-checked like every desk form.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::tip::{apply, may_change};
use crate::audit::Actor;
use crate::auth::Protected;
use crate::db::Conn;
use crate::domain::TipId;
use crate::follow_up::{conversation, receipts};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::triage::ChangeError;
use crate::web::WebError;

#[derive(Deserialize)]
pub struct MessageForm {
    message: Option<String>,
}

/// `POST /desk/tips/{id}/messages`
pub async fn write_to_reader(
    state: web::Data<AppState>,
    path: web::Path<TipId>,
    p: Protected<MessageForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    may_change(&state, &p.staff, id).await?;
    let text = p.form.message.unwrap_or_default();
    let ring = state.sealing_keys.clone();
    let change = conversation::check_desk_text(&text).map(|()| {
        move |c: &mut Conn<'_>, a: &Actor| {
            // A tip from before receipts: its reader could never read it.
            if !receipts::exists_for(c, id)? {
                return Err(ChangeError::Invalid(Msg::new("desk-no-receipt")));
            }
            conversation::desk_writes(c, &ring, a, id, &text).map_err(ChangeError::from)
        }
    });
    apply(&state, &p.staff, id, change).await
}
