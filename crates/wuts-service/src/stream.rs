//! Reading the events outbox as a stream: one device's events, or all of a user's devices'
//! merged, resumable from where a client stopped.

use crate::Services;
use std::collections::{BTreeMap, VecDeque};
use wuts_core::error::DomainResult;
use wuts_core::{DomainError, Principal};
use wuts_store::events::PendingEvent;

/// A position in the events of several devices: the last sequence number seen per device.
/// Written `v1:<device id>=<seq>,<device id>=<seq>…` (the SSE id of the all-devices stream).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor(BTreeMap<String, i64>);

impl Cursor {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let bad = || DomainError::field("last_event_id", "not a cursor of this stream");
        let body = raw.trim().strip_prefix("v1:").ok_or_else(bad)?;
        let mut seen = BTreeMap::new();
        for part in body.split(',').filter(|p| !p.is_empty()) {
            let (device, seq) = part.split_once('=').ok_or_else(bad)?;
            let seq: i64 = seq.parse().map_err(|_| bad())?;
            if device.is_empty() || seq < 0 {
                return Err(bad());
            }
            seen.insert(device.to_string(), seq);
        }
        Ok(Self(seen))
    }

    pub fn seq(&self, device_id: &str) -> i64 {
        self.0.get(device_id).copied().unwrap_or(0)
    }

    /// Moves past `event`.
    pub fn advance(&mut self, event: &PendingEvent) {
        self.0.insert(event.device_id.clone(), event.seq);
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1:")?;
        for (i, (device, seq)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{device}={seq}")?;
        }
        Ok(())
    }
}

impl Services {
    /// The next events of all the caller's devices after `cursor`, at most `limit`: each
    /// device's in its own order, devices interleaved by time. Devices the caller no longer owns
    /// are left out; new ones start from their first event.
    pub async fn user_events_after(
        &self,
        caller: &Principal,
        cursor: &Cursor,
        limit: usize,
    ) -> DomainResult<Vec<PendingEvent>> {
        let devices = self
            .store
            .list_user_devices(&caller.tenant_id, &caller.user_id)
            .await?;
        let mut queues = Vec::with_capacity(devices.len());
        for (device, _) in &devices {
            let events = self
                .store
                .events_after(
                    &caller.tenant_id,
                    &device.id,
                    cursor.seq(&device.id),
                    limit as i64,
                )
                .await?;
            if !events.is_empty() {
                queues.push(VecDeque::from(events));
            }
        }
        Ok(merge(queues, limit))
    }
}

/// Merges per-device queues (each in sequence order) by time, keeping each queue's order.
fn merge(mut queues: Vec<VecDeque<PendingEvent>>, limit: usize) -> Vec<PendingEvent> {
    let mut out = Vec::new();
    while out.len() < limit {
        let next = queues
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.front().map(|e| (e.created_at, &e.device_id, i)))
            .min();
        let Some((_, _, i)) = next else { break };
        out.extend(queues[i].pop_front());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(device: &str, seq: i64, at: i64) -> PendingEvent {
        PendingEvent {
            id: format!("{device}-{seq}"),
            seq,
            tenant_id: "t".into(),
            device_id: device.into(),
            user_id: "u".into(),
            event: "e".into(),
            data: "{}".into(),
            created_at: at,
            attempts: 0,
            next_attempt_at: 0,
        }
    }

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let mut c = Cursor::parse("v1:").unwrap();
        c.advance(&ev("b", 7, 0));
        c.advance(&ev("a", 3, 0));
        assert_eq!(c.to_string(), "v1:a=3,b=7");
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        for junk in ["", "a=1", "v1:a", "v1:a=x", "v1:=1", "v1:a=-1"] {
            assert!(Cursor::parse(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn merge_keeps_each_device_in_order() {
        // Device a's second event has an earlier time than its first: it still comes second.
        let a = VecDeque::from(vec![ev("a", 1, 50), ev("a", 2, 10), ev("a", 3, 60)]);
        let b = VecDeque::from(vec![ev("b", 1, 20), ev("b", 2, 55)]);
        let ids: Vec<String> = merge(vec![a, b], 10).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["b-1", "a-1", "a-2", "b-2", "a-3"]);
        let a = VecDeque::from(vec![ev("a", 1, 1), ev("a", 2, 2)]);
        assert_eq!(merge(vec![a], 1).len(), 1);
    }
}
