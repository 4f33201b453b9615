//! WUTS "instances": pairing (QR, pair code), connection state, connect/disconnect/logout of a
//! device, through the device runtime.

use crate::devices::Target;
use crate::Services;
use std::time::Duration;
use wuts_core::error::DomainResult;
use wuts_core::{time, Device, DomainError, FieldError};
use wuts_device::RuntimeError;
use wuts_store::events::NewEvent;

pub const QR_TTL_SECS: i64 = 60;
pub const PAIR_CODE_TTL_SECS: i64 = 300;
const WAIT: Duration = Duration::from_secs(20);

/// A QR code to show: the raw string, when it was generated, and whether it was already cached.
pub struct Qr {
    pub code: String,
    pub generated_at: i64,
    pub cached: bool,
}

pub struct PairCode {
    pub code: String,
    pub phone: String,
    pub cached: bool,
}

/// The live state of a device as `GET /status` shows it.
pub struct Status {
    pub device: Device,
    pub connected: bool,
    pub logged_in: bool,
    pub jid: Option<String>,
    pub phone_number: Option<String>,
    /// The proxy in use (or next to be used), password masked; `None` for direct.
    pub proxy_url: Option<String>,
    /// `device`, `tenant` or `none`.
    pub proxy_source: &'static str,
    /// Why the last connection attempt failed, until one succeeds.
    pub last_error: Option<String>,
}

/// Digits only, 10 to 15 of them, after dropping spaces, dashes, parentheses and a leading +.
pub fn normalize_phone(field: &str, raw: &str) -> DomainResult<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
        .collect();
    if (10..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(DomainError::fields(vec![FieldError::new(
            field,
            "invalid phone number format",
        )
        .with_value(raw)]))
    }
}

impl Services {
    /// The device's runtime, started to pair it; refused when it is paired already.
    async fn start_pairing(
        &self,
        device: &Device,
    ) -> DomainResult<std::sync::Arc<wuts_device::LiveDevice>> {
        if self.connected_now(device).await
            || self
                .devices
                .has_session(&device.id)
                .await
                .map_err(DomainError::from)?
        {
            return Err(DomainError::from(RuntimeError::AlreadyConnected));
        }
        self.devices
            .ensure_started(device)
            .await
            .map_err(DomainError::from)
    }

    /// No QR within the wait: the socket to WhatsApp did not come up (or the version look-up
    /// failed); said so that the operator knows where to look.
    fn unreachable(&self) -> DomainError {
        DomainError::Unavailable(format!(
            "no QR code within {} s: cannot reach WhatsApp at {} (check the network, a proxy or \
             WUTS_WHATSAPP_URL)",
            WAIT.as_secs(),
            self.devices.whatsapp_url()
        ))
    }

    pub(crate) async fn connected_now(&self, device: &Device) -> bool {
        self.connected_device(device).await.is_ok()
    }

    /// A pairing QR for the device, starting its connection when needed.
    pub async fn qr(&self, at: &Target, refresh: bool) -> DomainResult<(Device, Qr)> {
        let device = self.device(at).await?;
        let live = self.start_pairing(&device).await?;
        let now = time::now_millis();
        let fresh = |s: &wuts_device::LiveState| {
            s.qr.as_ref()
                .is_some_and(|(_, at)| now - at < QR_TTL_SECS * 1000)
        };
        let cached = !refresh && fresh(&live.state());
        if !cached {
            let since = if refresh { now } else { 0 };
            if !live
                .wait(WAIT, |s| s.qr.as_ref().is_some_and(|(_, at)| *at >= since))
                .await
            {
                return Err(self.unreachable());
            }
        }
        let (code, generated_at) = live.state().qr.ok_or_else(|| self.unreachable())?;
        Ok((
            device,
            Qr {
                code,
                generated_at,
                cached,
            },
        ))
    }

    /// Whether a QR is cached for the device (for polling).
    pub async fn qr_status(&self, at: &Target) -> DomainResult<Option<i64>> {
        if at.requested().is_none() {
            return Err(DomainError::field("device_id", "device_id is required"));
        }
        let device = self.device(at).await?;
        let now = time::now_millis();
        Ok(match self.devices.get(&device.id).await {
            Some(live) => live
                .state()
                .qr
                .map(|(_, at)| at)
                .filter(|at| now - at < QR_TTL_SECS * 1000),
            None => None,
        })
    }

    /// An 8-character pair code for `phone`, to be entered on that phone.
    pub async fn pair_code(
        &self,
        at: &Target,
        phone: &str,
        refresh: bool,
    ) -> DomainResult<(Device, PairCode)> {
        let phone = normalize_phone("phone", phone)?;
        let device = self.device(at).await?;
        let live = self.start_pairing(&device).await?;
        let now = time::now_millis();
        if !refresh {
            if let Some((code, p, at)) = live.state().pair_code {
                if p == phone && now - at < PAIR_CODE_TTL_SECS * 1000 {
                    return Ok((
                        device,
                        PairCode {
                            code,
                            phone,
                            cached: true,
                        },
                    ));
                }
            }
        }
        // The socket is up and unregistered once the first QR shows.
        if !live.wait(WAIT, |s| s.qr.is_some()).await {
            return Err(self.unreachable());
        }
        let code = live.pair_code(&phone).await.map_err(DomainError::from)?;
        Ok((
            device,
            PairCode {
                code,
                phone,
                cached: false,
            },
        ))
    }

    pub async fn status(&self, at: &Target) -> DomainResult<Status> {
        let device = self.device(at).await?;
        let logged_in = self
            .devices
            .has_session(&device.id)
            .await
            .map_err(DomainError::from)?;
        let live = self.devices.get(&device.id).await.map(|l| l.state());
        let connected = live.as_ref().is_some_and(|s| s.connected);
        let jid = live
            .as_ref()
            .and_then(|s| s.jid.clone())
            .or(device.jid.clone());
        let phone_number = live
            .as_ref()
            .and_then(|s| s.phone_number.clone())
            .or(device.phone_number.clone());
        // The proxy of the live connection, else the one the next connection would use.
        let (proxy_url, proxy_source) = match live.as_ref().filter(|s| !s.proxy_source.is_empty()) {
            Some(s) => (s.proxy.clone(), s.proxy_source),
            None => {
                let (p, source) = self.store.effective_proxy(&device.id).await?;
                (p.map(|p| p.url.masked()), source.as_str())
            }
        };
        let last_error = live.as_ref().and_then(|s| s.last_error.clone());
        Ok(Status {
            device,
            connected,
            logged_in,
            jid,
            phone_number,
            proxy_url,
            proxy_source,
            last_error,
        })
    }

    /// Reconnects from stored credentials; answers whether a QR is needed instead.
    pub async fn connect(&self, at: &Target) -> DomainResult<(Device, bool, bool)> {
        let device = self.device(at).await?;
        if !self
            .devices
            .has_session(&device.id)
            .await
            .map_err(DomainError::from)?
        {
            return Ok((device, false, true));
        }
        let live = self
            .devices
            .ensure_started(&device)
            .await
            .map_err(DomainError::from)?;
        if !live.wait_connected(Duration::from_secs(30)).await {
            return Err(DomainError::Unavailable("reconnect failed".into()));
        }
        Ok((device, true, false))
    }

    /// Drops the connection, keeping the credentials.
    pub async fn disconnect(&self, at: &Target) -> DomainResult<Device> {
        let device = self.device(at).await?;
        if self.devices.get(&device.id).await.is_none() {
            return Err(DomainError::DeviceNotReady(
                "device not found or not connected".into(),
            ));
        }
        self.devices.stop(&device.id).await;
        let event = NewEvent::new(&wuts_core::events::Event::DeviceDisconnected(
            wuts_core::events::DisconnectedData {
                reason: Some("manual".into()),
            },
        ));
        self.store
            .set_device_connection(
                &device.id,
                false,
                None,
                None,
                time::now_millis(),
                Some(&event),
            )
            .await?;
        Ok(device)
    }

    /// Logs the device out: WhatsApp removes the companion, its credentials are wiped.
    pub async fn logout(&self, at: &Target) -> DomainResult<Device> {
        let (device, live) = self.live(at).await?;
        live.logout().await;
        live.wait(WAIT, |s| s.logged_out).await;
        self.devices
            .retire(&device.id)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        self.store
            .clear_device_identity(&device.id, time::now_millis(), None)
            .await?;
        Ok(device)
    }

    /// Stops a device's runtime before its record goes (unlinking it when connected).
    pub(crate) async fn retire_device(&self, device: &Device) {
        if let Ok(live) = self.connected_device(device).await {
            live.logout().await;
        }
        self.devices.stop(&device.id).await;
    }
}

/// WUTS shows privacy settings under whatsmeow's field names.
fn privacy_key(wire: &str) -> Option<&'static str> {
    Some(match wire {
        "groupadd" => "GroupAdd",
        "last" => "LastSeen",
        "status" => "Status",
        "profile" => "Profile",
        "readreceipts" => "ReadReceipts",
        "calladd" => "CallAdd",
        "online" => "Online",
        "messages" => "Messages",
        "defense" => "Defense",
        "stickers" => "Stickers",
        _ => return None,
    })
}

/// Largest profile photo accepted, decoded.
pub const PICTURE_MAX: usize = 2 * 1024 * 1024;

impl Services {
    /// The connected account's own privacy settings.
    pub async fn privacy(
        &self,
        at: &Target,
    ) -> DomainResult<std::collections::BTreeMap<&'static str, String>> {
        let (_, live) = self.live(at).await?;
        let settings = live.privacy_settings().await.map_err(DomainError::from)?;
        Ok(settings
            .into_iter()
            .filter_map(|(category, value)| Some((privacy_key(&category)?, value)))
            .collect())
    }

    /// Sets the connected account's own profile photo (a base64 JPEG); answers the picture id.
    pub async fn set_profile_picture(
        &self,
        at: &Target,
        image_base64: &str,
    ) -> DomainResult<String> {
        let bytes = jpeg_base64("image_base64", image_base64)?;
        let (_, live) = self.live(at).await?;
        live.set_profile_picture(bytes)
            .await
            .map_err(DomainError::from)
    }
}

/// A profile photo given as base64 (a `data:` URI's too): a JPEG of at most 2 MiB.
pub(crate) fn jpeg_base64(field: &str, image_base64: &str) -> DomainResult<Vec<u8>> {
    use base64::Engine as _;
    let raw = image_base64.trim();
    let raw = raw.split_once("base64,").map_or(raw, |(_, b)| b);
    if raw.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| DomainError::field(field, "is not valid base64"))?;
    if bytes.len() > PICTURE_MAX {
        return Err(DomainError::field(field, "must be at most 2 MiB"));
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(DomainError::field(field, "must be a JPEG image"));
    }
    Ok(bytes)
}
