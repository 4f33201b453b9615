//! One lane per device: a device's work runs one task at a time (so its events stay in order),
//! at most `concurrency` devices at once (so one slow destination cannot starve the others).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Cheap to clone; clones share the lanes.
#[derive(Clone)]
pub struct Lanes {
    busy: Arc<Mutex<HashSet<String>>>,
    slots: Arc<Semaphore>,
}

impl Lanes {
    pub fn new(concurrency: usize) -> Self {
        Self {
            busy: Arc::default(),
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs `work(device_id)` in a task of its own once a slot is free, unless the device's
    /// lane is already busy (then the running task will find the new work itself).
    pub fn start<F, Fut>(&self, device_id: String, work: F)
    where
        F: FnOnce(String) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if !self
            .busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(device_id.clone())
        {
            return;
        }
        let lanes = self.clone();
        tokio::spawn(async move {
            if let Ok(_slot) = lanes.slots.clone().acquire_owned().await {
                work(device_id.clone()).await;
            }
            lanes
                .busy
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&device_id);
        });
    }
}
