//! Send pacing per number: each device sends at most one message per interval, so a burst
//! through the API reaches WhatsApp spread out, as a person's phone would send it. Waiters are
//! served in the order they asked.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct Pacer {
    interval: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the device's next send slot and takes it.
    pub async fn turn(&self, device_id: &str) {
        if self.interval.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next
                .get(device_id)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(device_id.to_string(), slot + self.interval);
            // Forget devices idle for a while (their slot is in the past).
            if next.len() > 10_000 {
                next.retain(|_, t| *t > now);
            }
            slot
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spreads_a_burst_per_device() {
        let p = std::sync::Arc::new(Pacer::new(Duration::from_millis(100)));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let p = p.clone();
            tasks.push(tokio::spawn(async move {
                p.turn("a").await;
                Instant::now()
            }));
        }
        let mut done: Vec<Duration> = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap() - start);
        }
        done.sort();
        assert_eq!(done.last().copied(), Some(Duration::from_millis(400)));
        // Another device is not held back.
        let before = Instant::now();
        p.turn("b").await;
        assert_eq!(Instant::now(), before);
    }
}
