//! Outbound proxies of a tenant and of its devices. The URL is kept without its password; the
//! password is sealed with the installation's secrets key (AES-256-GCM), so neither the API nor
//! a reader of the tables sees it as written.

use crate::{Store, StoreError, StoreResult};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use sqlx::Row;
use wuts_core::proxy::ProxyUrl;

/// The setting that keeps a generated key when none is configured.
const KEY_SETTING: &str = "secrets_key";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A stored proxy and when it was last set (unix ms).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProxy {
    pub url: ProxyUrl,
    pub updated_at: i64,
}

/// A device's override.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceProxy {
    pub device_id: String,
    pub proxy: StoredProxy,
}

/// Where a device's proxy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxySource {
    Device,
    Tenant,
    None,
}

impl ProxySource {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxySource::Device => "device",
            ProxySource::Tenant => "tenant",
            ProxySource::None => "none",
        }
    }
}

/// The key that seals proxy passwords: 32 bytes given by the operator (base64), or generated
/// once and kept in the database when none is given.
pub(crate) type SecretsKey = std::sync::Arc<tokio::sync::OnceCell<Aes256Gcm>>;

/// Reads a configured key: 32 bytes, base64 (standard or URL-safe) or 64 hex digits.
pub fn parse_secrets_key(raw: &str) -> Result<[u8; 32], String> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[i * 2..i * 2 + 2], 16).map_err(|e| e.to_string()))
            .collect::<Result<Vec<u8>, _>>()?
    } else {
        B64.decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
            .map_err(|_| "must be 32 bytes in base64 or 64 hex digits".to_string())?
    };
    bytes
        .try_into()
        .map_err(|_| "must be exactly 32 bytes (44 base64 characters or 64 hex digits)".into())
}

impl Store {
    /// Uses `key` to seal secrets (instead of the key kept in the database).
    pub fn use_secrets_key(&self, key: [u8; 32]) {
        let _ = self
            .secrets
            .set(Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)));
    }

    async fn cipher(&self) -> StoreResult<&Aes256Gcm> {
        self.secrets
            .get_or_try_init(|| async {
                let fresh = B64.encode(random_bytes::<32>());
                self.init_setting(KEY_SETTING, &fresh).await?;
                let stored = self
                    .get_setting(KEY_SETTING)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("secrets key vanished".into()))?;
                let key = parse_secrets_key(&stored)
                    .map_err(|e| StoreError::Corrupt(format!("stored secrets key {e}")))?;
                Ok(Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)))
            })
            .await
    }

    async fn seal(&self, password: Option<&str>) -> StoreResult<Option<String>> {
        let Some(p) = password else { return Ok(None) };
        let nonce = random_bytes::<12>();
        let sealed = self
            .cipher()
            .await?
            .encrypt(&Nonce::from(nonce), p.as_bytes())
            .map_err(|_| StoreError::Corrupt("cannot seal a secret".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend(sealed);
        Ok(Some(B64.encode(blob)))
    }

    async fn open(&self, url: &str, secret: Option<String>) -> StoreResult<ProxyUrl> {
        let mut parsed = ProxyUrl::parse(url)
            .map_err(|e| StoreError::Corrupt(format!("stored proxy URL {e}")))?;
        if let Some(s) = secret {
            let blob = B64
                .decode(s)
                .map_err(|_| StoreError::Corrupt("stored proxy secret".into()))?;
            if blob.len() < 12 {
                return Err(StoreError::Corrupt("stored proxy secret".into()));
            }
            let nonce: [u8; 12] = blob[..12].try_into().expect("12 bytes");
            let plain = self
                .cipher()
                .await?
                .decrypt(&Nonce::from(nonce), &blob[12..])
                .map_err(|_| {
                    StoreError::Corrupt(
                        "a proxy password cannot be opened with this secrets key".into(),
                    )
                })?;
            parsed.password = Some(
                String::from_utf8(plain)
                    .map_err(|_| StoreError::Corrupt("stored proxy secret".into()))?,
            );
        }
        Ok(parsed)
    }

    /// The proxy in a row's `proxy_url, secret, updated_at` columns, the first at `at`.
    async fn stored_at(&self, r: &sqlx::any::AnyRow, at: usize) -> StoreResult<StoredProxy> {
        Ok(StoredProxy {
            url: self.open(&r.get::<String, _>(at), r.get(at + 1)).await?,
            updated_at: r.get(at + 2),
        })
    }

    pub async fn tenant_proxy(&self, tenant_id: &str) -> StoreResult<Option<StoredProxy>> {
        let row = sqlx::query(
            "SELECT proxy_url, secret, updated_at FROM tenant_proxies WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.stored_at(&r, 0).await?)),
            None => Ok(None),
        }
    }

    pub async fn set_tenant_proxy(&self, tenant_id: &str, p: &StoredProxy) -> StoreResult<()> {
        let secret = self.seal(p.url.password.as_deref()).await?;
        sqlx::query(
            "INSERT INTO tenant_proxies (tenant_id, proxy_url, secret, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET \
             proxy_url = excluded.proxy_url, secret = excluded.secret, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(p.url.without_password().expose())
        .bind(secret)
        .bind(p.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Answers whether there was one.
    pub async fn delete_tenant_proxy(&self, tenant_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM tenant_proxies WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The device overrides of a tenant, by device id.
    pub async fn device_proxies(&self, tenant_id: &str) -> StoreResult<Vec<DeviceProxy>> {
        let rows = sqlx::query(
            "SELECT device_id, proxy_url, secret, updated_at FROM device_proxies \
             WHERE tenant_id = $1 ORDER BY device_id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(DeviceProxy {
                device_id: r.get(0),
                proxy: self.stored_at(&r, 1).await?,
            });
        }
        Ok(out)
    }

    pub async fn device_proxy(&self, device_id: &str) -> StoreResult<Option<StoredProxy>> {
        let row = sqlx::query(
            "SELECT proxy_url, secret, updated_at FROM device_proxies WHERE device_id = $1",
        )
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.stored_at(&r, 0).await?)),
            None => Ok(None),
        }
    }

    pub async fn set_device_proxy(
        &self,
        tenant_id: &str,
        device_id: &str,
        p: &StoredProxy,
    ) -> StoreResult<()> {
        let secret = self.seal(p.url.password.as_deref()).await?;
        sqlx::query(
            "INSERT INTO device_proxies (device_id, tenant_id, proxy_url, secret, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id) DO UPDATE SET \
             proxy_url = excluded.proxy_url, secret = excluded.secret, \
             updated_at = excluded.updated_at",
        )
        .bind(device_id)
        .bind(tenant_id)
        .bind(p.url.without_password().expose())
        .bind(secret)
        .bind(p.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Answers whether there was one.
    pub async fn delete_device_proxy(&self, device_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM device_proxies WHERE device_id = $1")
            .bind(device_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The proxy a device connects through: its override, else its tenant's, else none.
    pub async fn effective_proxy(
        &self,
        device_id: &str,
    ) -> StoreResult<(Option<StoredProxy>, ProxySource)> {
        if let Some(p) = self.device_proxy(device_id).await? {
            return Ok((Some(p), ProxySource::Device));
        }
        let tenant: Option<String> =
            sqlx::query_scalar("SELECT tenant_id FROM devices WHERE id = $1")
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await?;
        match tenant {
            Some(t) => match self.tenant_proxy(&t).await? {
                Some(p) => Ok((Some(p), ProxySource::Tenant)),
                None => Ok((None, ProxySource::None)),
            },
            None => Ok((None, ProxySource::None)),
        }
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the operating system's random source");
    out
}
