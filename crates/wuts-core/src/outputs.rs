//! What the broker outputs report about themselves, for `GET /ready` and `GET /events/outputs`:
//! the relays write it, the use cases read it.

use std::sync::{Arc, RwLock};

/// One output's state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputReport {
    /// `nats` or `rabbitmq`.
    pub name: &'static str,
    /// Where it publishes, without credentials (`nats://127.0.0.1:4222`, stream `WUTS`).
    pub target: String,
    /// The stream (NATS) or exchange (RabbitMQ).
    pub destination: String,
    /// Whether the last attempt to reach the broker worked.
    pub up: bool,
    pub last_error: Option<String>,
    /// Events the broker confirmed since start.
    pub published: u64,
    /// Failed attempts since start.
    pub retries: u64,
    /// Age of the oldest event not yet published (ms; 0 when caught up).
    pub lag_ms: i64,
}

/// The reports of every configured output. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OutputBoard(Arc<RwLock<Vec<OutputReport>>>);

impl OutputBoard {
    /// Adds an output's first report.
    pub fn register(&self, report: OutputReport) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(report);
    }

    /// Changes the report of `name`.
    pub fn update(&self, name: &str, f: impl FnOnce(&mut OutputReport)) {
        let mut all = self.0.write().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = all.iter_mut().find(|r| r.name == name) {
            f(r);
        }
    }

    /// Every output's report, in the order they were configured.
    pub fn snapshot(&self) -> Vec<OutputReport> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
