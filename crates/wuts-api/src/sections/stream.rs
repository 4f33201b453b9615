//! A live stream of a device's events as Server-Sent Events, for clients that cannot expose a
//! webhook URL (not in the WUTS catalogue). Same envelope as webhooks; each SSE `id` is the event
//! id, so a client resumes with `Last-Event-ID` (or `?last_event_id=`).

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceCtx, Query};
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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events_stream))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Read by the device extractor; declared here for the API docs.
    #[allow(dead_code)]
    device_id: Option<String>,
    /// Resume after this event id (the `Last-Event-ID` header wins).
    last_event_id: Option<String>,
}

/// The device's events, live, from the beginning or after a given event id.
#[utoipa::path(get, path = "/events/stream", tag = "webhooks", security(("bearerAuth" = [])), params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn events_stream(
    State(s): State<AppState>,
    ctx: DeviceCtx,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.last_event_id);
    let (seq, first) = s
        .services
        .events_after(&ctx.device, last.as_deref(), 256)
        .await?;
    let changed = s.services.events_changed();
    let closing = s.services.closing();
    let state = (s, ctx.device, seq, VecDeque::from(first), changed, closing);
    let events = stream::unfold(
        state,
        |(s, device, mut seq, mut buf, mut changed, mut closing)| async move {
            loop {
                if let Some(e) = buf.pop_front() {
                    seq = e.seq;
                    let item = Event::default()
                        .id(e.id.clone())
                        .event(e.event.clone())
                        .data(wuts_webhooks::envelope(&e, None));
                    return Some((Ok(item), (s, device, seq, buf, changed, closing)));
                }
                match s.services.events_after_seq(&device, seq, 256).await {
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
