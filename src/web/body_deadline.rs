//! A bound on the time to receive a request's whole body
//! (`server.body_timeout_seconds`). actix bounds the wait for a request's
//! headers (`client_request_timeout`) but not for its body, so a client
//! that trickles a body, sends chunks that never end, or sends less than
//! its `Content-Length` held a worker for as long as it liked (issue 12:
//! still open after 180 s). Here the body reaches the handler through a
//! stream that fails once the deadline passes; the answer is then `408
//! Request Timeout` (RFC 9110 §15.5.9) whatever the handler made of the
//! failed read, and the connection is closed, since the rest of the
//! body may still be on its way and the next request could not be found
//! in it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::ResponseError;
use futures_util::Stream;

use super::{Format, WebError};
use crate::i18n::Msg;

/// The request's body, failing with `TimedOut` once `deadline` passes;
/// then the body's unread rest is handed over to `expired`, to be held
/// until the answer is sent (see [`Holding`]).
struct Deadline {
    inner: Option<Payload>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<RefCell<Expired>>,
}

/// Whether the deadline passed, and the body's unread rest if it did.
#[derive(Default)]
struct Expired {
    yes: bool,
    rest: Option<Payload>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        // The body first: what has arrived before the deadline counts.
        if let Poll::Ready(item) = Pin::new(inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let rest = self.inner.take();
                let mut expired = self.expired.borrow_mut();
                expired.yes = true;
                expired.rest = rest;
                drop(expired);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Gives each request's body `limit` to arrive, counted from when its
/// headers are in.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map_or(Duration::from_secs(30), |s| s.settings.server.body_timeout);
    let expired = Rc::new(RefCell::new(Expired::default()));
    let body = Deadline {
        inner: Some(std::mem::replace(req.parts_mut().1, Payload::None)),
        deadline: Box::pin(tokio::time::sleep(limit)),
        expired: expired.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    let format = if req.path().starts_with("/api/") {
        Format::Json
    } else {
        Format::Html
    };
    let res = next.call(req).await?.map_into_boxed_body();
    let rest = {
        let mut expired = expired.borrow_mut();
        if !expired.yes {
            return Ok(res);
        }
        expired.rest.take()
    };
    let answer = WebError::new(
        format,
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        Msg::new("error-body-timeout").number("seconds", limit.as_secs()),
    )
    .error_response()
    .map_body(|_, body| BoxBody::new(Holding { body, _rest: rest }));
    let mut res = res.into_response(answer);
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(res)
}

/// The 408's body, holding the request body's unread rest until it is
/// sent. actix closes a connection whose request body is unfinished when
/// the answer is done, but drains a chunked body whose reader was dropped
/// (to keep the connection) — for ever, if the chunks never end. Holding
/// the reader closes the connection either way.
struct Holding {
    body: BoxBody,
    _rest: Option<Payload>,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}
