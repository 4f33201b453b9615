//! A live stream of events as Server-Sent Events, for clients that cannot expose a webhook URL
//! (not in the WUTS catalogue): one device's, or all the caller's devices'. Same envelope as
//! webhooks; a client resumes with `Last-Event-ID` (or `?last_event_id=`).

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_service::stream::Cursor;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events_stream))
}

/// One event as webhooks receive it, and as each SSE frame's `data:` carries it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EventEnvelope {
    /// The event id (a UUID): deliveries of one event share it.
    id: String,
    /// The event name, e.g. `message.received` (`GET /webhook/events` lists them).
    event: String,
    /// Unix seconds.
    timestamp: i64,
    device_id: String,
    user_id: String,
    /// The event's own fields.
    #[schema(value_type = Object)]
    data: serde_json::Value,
    /// Webhooks with a secret only: HMAC-SHA256 of the envelope without this field.
    signature: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The device whose events to stream (the caller's only device when omitted).
    device_id: Option<String>,
    /// `true`: the events of all the caller's devices, merged; the SSE ids are then cursors.
    #[serde(default)]
    all_devices: bool,
    /// Resume after this SSE id (the `Last-Event-ID` header wins).
    last_event_id: Option<String>,
}

/// Where the stream is: one device after a sequence number, or all devices after a cursor.
enum Position {
    Device(wuts_core::Device, i64),
    All(wuts_core::Principal, Cursor),
}

/// Events, live: one device's (each SSE id is the event id), or with `all_devices=true` all the
/// caller's devices' (each SSE id is a cursor); from the beginning or after a given SSE id.
#[utoipa::path(get, path = "/events/stream", tag = "webhooks", security(("bearerAuth" = [])), params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "Server-sent events. Each frame: `id:` (the SSE id to resume after), `event:` (the event name) and `data:` (one `EventEnvelope` as JSON); a `:` comment line every 15 s keeps the stream alive."),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn events_stream(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.last_event_id);
    let (position, first) = if q.all_devices {
        let cursor = match last.as_deref() {
            Some(raw) => Cursor::parse(raw)?,
            None => Cursor::default(),
        };
        let first = s.services.user_events_after(&p, &cursor, BATCH).await?;
        (Position::All(p, cursor), first)
    } else {
        let at = wuts_service::Target::new(p, q.device_id);
        let device = s.services.device(&at).await?;
        let (seq, first) = s
            .services
            .events_after(&device, last.as_deref(), BATCH as i64)
            .await?;
        (Position::Device(device, seq), first)
    };
    let changed = s.services.events_changed();
    let closing = s.services.closing();
    let state = (s, position, VecDeque::from(first), changed, closing);
    let events = stream::unfold(
        state,
        |(s, mut position, mut buf, mut changed, mut closing)| async move {
            loop {
                if let Some(e) = buf.pop_front() {
                    let id = match &mut position {
                        Position::Device(_, seq) => {
                            *seq = e.seq;
                            e.id.clone()
                        }
                        Position::All(_, cursor) => {
                            cursor.advance(&e);
                            cursor.to_string()
                        }
                    };
                    let item = Event::default()
                        .id(id)
                        .event(e.event.clone())
                        .data(wuts_webhooks::envelope(&e, None));
                    return Some((Ok(item), (s, position, buf, changed, closing)));
                }
                let more = match &position {
                    Position::Device(device, seq) => {
                        s.services
                            .events_after_seq(device, *seq, BATCH as i64)
                            .await
                    }
                    Position::All(p, cursor) => {
                        s.services.user_events_after(p, cursor, BATCH).await
                    }
                };
                match more {
                    Ok(more) if !more.is_empty() => buf.extend(more),
                    Ok(_) => {
                        if *closing.borrow() {
                            return None;
                        }
                        // Nothing new: wait for a recorded event (or look again after a while);
                        // the stream ends when the server shuts down.
                        tokio::select! {
                            _ = tokio::time::timeout(Duration::from_secs(15), changed.changed()) => {}
                            _ = closing.changed() => return None,
                        }
                    }
                    Err(_) => return None,
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Events read per query.
const BATCH: usize = 256;
