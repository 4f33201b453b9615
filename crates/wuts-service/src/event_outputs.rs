//! Events to message brokers (ours; WUTS has only webhooks): which of a tenant's events the
//! operator's NATS and RabbitMQ outputs carry, and how those outputs are doing.

use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::outputs::OutputReport;
use wuts_core::{validate, DomainError, Principal, Role};
pub use wuts_store::event_outputs::OutputFilter;

/// The tenant's filter and every configured output's state.
pub struct EventOutputs {
    pub filter: OutputFilter,
    pub outputs: Vec<OutputReport>,
}

impl Services {
    /// What the broker outputs do; any role of the tenant may read it.
    pub async fn event_outputs(&self, caller: &Principal) -> DomainResult<EventOutputs> {
        Ok(EventOutputs {
            filter: self.store.output_filter(&caller.tenant_id).await?,
            outputs: self.config.outputs.snapshot(),
        })
    }

    /// Sets which of the tenant's events go to the brokers: `enabled` (default true) and
    /// `enabled_events` (absent or null: every event). Admins and managers only.
    pub async fn set_event_outputs(
        &self,
        caller: &Principal,
        enabled: Option<bool>,
        enabled_events: Option<Vec<String>>,
    ) -> DomainResult<EventOutputs> {
        let events = enabled_events
            .map(|e| validate::event_names("enabled_events", &e))
            .transpose()?;
        if caller.role < Role::Manager {
            return Err(DomainError::Forbidden(
                "only admins and managers change the event outputs".into(),
            ));
        }
        let filter = self
            .store
            .set_output_filter(
                &caller.tenant_id,
                enabled.unwrap_or(true),
                events.as_deref(),
            )
            .await?;
        tracing::info!(tenant_id = %caller.tenant_id, enabled = filter.enabled, "event output filter set");
        Ok(EventOutputs {
            filter,
            outputs: self.config.outputs.snapshot(),
        })
    }

    /// Where the relays report (handed to them at start).
    pub fn output_board(&self) -> wuts_core::outputs::OutputBoard {
        self.config.outputs.clone()
    }

    /// The outputs' states (for `GET /ready`).
    pub fn output_reports(&self) -> Vec<OutputReport> {
        self.config.outputs.snapshot()
    }
}
