//! whatsapp-rust's storage traits over our database: every kind of session state is a namespace
//! of the `wa_state` table, rows keyed by (device, namespace, key), with a value and two integers
//! (`n`: a flag or number, `t`: a time). One schema for SQLite and PostgreSQL; a device's rows go
//! with the device. Semantics follow wacore's `InMemoryBackend`.

use crate::Store;
use async_trait::async_trait;
use bytes::Bytes;
use sqlx::Row;
use std::sync::Arc;
use wacore::appstate::hash::HashState;
use wacore::appstate::processor::AppStateMutationMAC;
use wacore::store::error::{Result, StoreError};
use wacore::store::traits::*;
use wacore::store::Device;

/// The session state of one of our devices, as whatsapp-rust's `Backend`.
#[derive(Clone)]
pub struct WaStore {
    store: Store,
    device_id: String,
    /// Set by `seal` (and `wipe`): this client is done, and nothing it still flushes may land.
    /// Writes hold the read side for their whole duration, so sealing waits for those in flight.
    sealed: Arc<tokio::sync::RwLock<bool>>,
}

/// Separates the parts of composite keys; never part of a JID or message id.
const SEP: char = '\u{1f}';
const MAX_SENT_MESSAGES: i64 = 4096;
const UPSERT: &str =
    "INSERT INTO wa_state (device_id, ns, k, v, n, t) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (device_id, ns, k) DO UPDATE SET v = excluded.v, n = excluded.n, t = excluded.t";

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

fn ser<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| StoreError::Serialization(Box::new(e)))
}

fn de<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| StoreError::Serialization(Box::new(e)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn key2(a: &str, b: &str) -> String {
    format!("{a}{SEP}{b}")
}

fn key3(a: &str, b: &str, c: &str) -> String {
    format!("{a}{SEP}{b}{SEP}{c}")
}

/// Pre-key ids sort as text: zero-padded.
fn prekey_key(id: u32) -> String {
    format!("{id:010}")
}

fn now() -> i64 {
    wacore::time::now_secs()
}

struct Row3 {
    k: String,
    v: Vec<u8>,
    n: i64,
    t: i64,
}

impl WaStore {
    pub fn new(store: Store, device_id: impl Into<String>) -> Self {
        Self {
            store,
            device_id: device_id.into(),
            sealed: Arc::default(),
        }
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Held for the duration of a write; `None` once the store is sealed.
    async fn writable(&self) -> Option<tokio::sync::RwLockReadGuard<'_, bool>> {
        let gate = self.sealed.read().await;
        (!*gate).then_some(gate)
    }

    /// Stops every write through this store (and its clones, the client's own), waiting for
    /// those in flight. A stopped client's late flushes then cannot overwrite what the next
    /// client of the same device wrote, nor bring back a session that was wiped.
    pub async fn seal(&self) {
        *self.sealed.write().await = true;
    }

    async fn put(&self, ns: &str, k: &str, v: &[u8], n: i64, t: i64) -> Result<()> {
        let Some(_writing) = self.writable().await else {
            return Ok(());
        };
        sqlx::query(UPSERT)
            .bind(&self.device_id)
            .bind(ns)
            .bind(k)
            .bind(v)
            .bind(n)
            .bind(t)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn put_many(&self, ns: &str, rows: Vec<(String, Vec<u8>, i64, i64)>) -> Result<()> {
        let Some(_writing) = self.writable().await else {
            return Ok(());
        };
        let mut tx = self.store.pool.begin().await.map_err(db)?;
        for (k, v, n, t) in rows {
            sqlx::query(UPSERT)
                .bind(&self.device_id)
                .bind(ns)
                .bind(k)
                .bind(v)
                .bind(n)
                .bind(t)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Stores address-keyed blobs in one transaction.
    async fn put_blobs(&self, ns: &str, items: &[(Arc<str>, Bytes)]) -> Result<()> {
        let rows = items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec(), 0, 0))
            .collect();
        self.put_many(ns, rows).await
    }

    async fn get(&self, ns: &str, k: &str) -> Result<Option<Row3>> {
        let row = sqlx::query(
            "SELECT k, v, n, t FROM wa_state WHERE device_id = $1 AND ns = $2 AND k = $3",
        )
        .bind(&self.device_id)
        .bind(ns)
        .bind(k)
        .fetch_optional(&self.store.pool)
        .await
        .map_err(db)?;
        Ok(row.map(|r| Row3 {
            k: r.get(0),
            v: r.get(1),
            n: r.get(2),
            t: r.get(3),
        }))
    }

    async fn value(&self, ns: &str, k: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(ns, k).await?.map(|r| r.v))
    }

    async fn all(&self, ns: &str) -> Result<Vec<Row3>> {
        let rows = sqlx::query(
            "SELECT k, v, n, t FROM wa_state WHERE device_id = $1 AND ns = $2 ORDER BY k",
        )
        .bind(&self.device_id)
        .bind(ns)
        .fetch_all(&self.store.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| Row3 {
                k: r.get(0),
                v: r.get(1),
                n: r.get(2),
                t: r.get(3),
            })
            .collect())
    }

    /// Rows of `ns` whose key starts with `prefix` (composite keys: `group` + SEP + ...).
    async fn with_prefix(&self, ns: &str, prefix: &str) -> Result<Vec<Row3>> {
        Ok(self
            .all(ns)
            .await?
            .into_iter()
            .filter(|r| r.k.starts_with(prefix))
            .collect())
    }

    async fn del(&self, ns: &str, k: &str) -> Result<()> {
        let Some(_writing) = self.writable().await else {
            return Ok(());
        };
        sqlx::query("DELETE FROM wa_state WHERE device_id = $1 AND ns = $2 AND k = $3")
            .bind(&self.device_id)
            .bind(ns)
            .bind(k)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn del_keys(&self, ns: &str, keys: Vec<String>) -> Result<u32> {
        let Some(_writing) = self.writable().await else {
            return Ok(0);
        };
        let mut tx = self.store.pool.begin().await.map_err(db)?;
        let mut n = 0u32;
        for k in keys {
            let done =
                sqlx::query("DELETE FROM wa_state WHERE device_id = $1 AND ns = $2 AND k = $3")
                    .bind(&self.device_id)
                    .bind(ns)
                    .bind(k)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            n += done.rows_affected() as u32;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    async fn del_ns(&self, ns: &str) -> Result<()> {
        let Some(_writing) = self.writable().await else {
            return Ok(());
        };
        sqlx::query("DELETE FROM wa_state WHERE device_id = $1 AND ns = $2")
            .bind(&self.device_id)
            .bind(ns)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Deletes rows of `ns` with `t` before `cutoff`; answers how many.
    async fn del_older(&self, ns: &str, cutoff: i64) -> Result<u32> {
        let Some(_writing) = self.writable().await else {
            return Ok(0);
        };
        let done = sqlx::query("DELETE FROM wa_state WHERE device_id = $1 AND ns = $2 AND t < $3")
            .bind(&self.device_id)
            .bind(ns)
            .bind(cutoff)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() as u32)
    }

    /// Seals the store, then deletes every row of this device (logout wipes credentials).
    pub async fn wipe(&self) -> Result<()> {
        self.seal().await;
        sqlx::query("DELETE FROM wa_state WHERE device_id = $1")
            .bind(&self.device_id)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl SignalStore for WaStore {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        self.put("identity", address, &key, 0, 0).await
    }
    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        Ok(self
            .value("identity", address)
            .await?
            .and_then(|v| v.try_into().ok()))
    }
    async fn delete_identity(&self, address: &str) -> Result<()> {
        self.del("identity", address).await
    }
    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        Ok(self.value("session", address).await?.map(Bytes::from))
    }
    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        self.put("session", address, session, 0, 0).await
    }
    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        self.put_blobs("session", sessions).await
    }
    async fn delete_session(&self, address: &str) -> Result<()> {
        self.del("session", address).await
    }
    async fn has_session(&self, address: &str) -> Result<bool> {
        Ok(self.get("session", address).await?.is_some())
    }
    async fn has_signal_state_for_user(&self, user: &str) -> Result<bool> {
        let matches = |k: &str| {
            k.strip_prefix(user)
                .is_some_and(|rest| rest.starts_with('@') || rest.starts_with(':'))
        };
        Ok(self
            .with_prefix("session", user)
            .await?
            .iter()
            .any(|r| matches(&r.k))
            || self
                .with_prefix("identity", user)
                .await?
                .iter()
                .any(|r| matches(&r.k)))
    }
    async fn store_prekey(&self, id: u32, record: &[u8], uploaded: bool) -> Result<()> {
        self.put("prekey", &prekey_key(id), record, uploaded as i64, 0)
            .await
    }
    async fn store_prekeys_batch(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        self.put_many(
            "prekey",
            keys.iter()
                .map(|(id, r)| (prekey_key(*id), r.to_vec(), uploaded as i64, 0))
                .collect(),
        )
        .await
    }
    async fn load_prekey(&self, id: u32) -> Result<Option<Bytes>> {
        Ok(self
            .value("prekey", &prekey_key(id))
            .await?
            .map(Bytes::from))
    }
    async fn mark_prekeys_uploaded(&self, ids: &[u32]) -> Result<()> {
        let Some(_writing) = self.writable().await else {
            return Ok(());
        };
        let mut tx = self.store.pool.begin().await.map_err(db)?;
        for id in ids {
            sqlx::query(
                "UPDATE wa_state SET n = 1 WHERE device_id = $1 AND ns = 'prekey' AND k = $2",
            )
            .bind(&self.device_id)
            .bind(prekey_key(*id))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
    async fn remove_prekey(&self, id: u32) -> Result<()> {
        self.del("prekey", &prekey_key(id)).await
    }
    async fn get_max_prekey_id(&self) -> Result<u32> {
        let row = sqlx::query("SELECT MAX(k) FROM wa_state WHERE device_id = $1 AND ns = 'prekey'")
            .bind(&self.device_id)
            .fetch_one(&self.store.pool)
            .await
            .map_err(db)?;
        let max: Option<String> = row.get(0);
        Ok(max.and_then(|m| m.parse().ok()).unwrap_or(0))
    }
    async fn store_signed_prekey(&self, id: u32, record: &[u8]) -> Result<()> {
        self.put("spk", &prekey_key(id), record, 0, 0).await
    }
    async fn load_signed_prekey(&self, id: u32) -> Result<Option<Vec<u8>>> {
        self.value("spk", &prekey_key(id)).await
    }
    async fn load_all_signed_prekeys(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        Ok(self
            .all("spk")
            .await?
            .into_iter()
            .filter_map(|r| Some((r.k.parse().ok()?, r.v)))
            .collect())
    }
    async fn remove_signed_prekey(&self, id: u32) -> Result<()> {
        self.del("spk", &prekey_key(id)).await
    }
    async fn put_sender_key(&self, address: &str, record: &[u8]) -> Result<()> {
        self.put("sender_key", address, record, 0, 0).await
    }
    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        self.put_blobs("sender_key", sender_keys).await
    }
    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        self.value("sender_key", address).await
    }
    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        self.del("sender_key", address).await
    }
}

#[async_trait]
impl AppSyncStore for WaStore {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        self.value("sync_key", &hex(key_id))
            .await?
            .map(|v| de(&v))
            .transpose()
    }
    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        self.put("sync_key", &hex(key_id), &ser(&key)?, 0, now())
            .await?;
        self.put("sync_key_latest", "", key_id, 0, 0).await
    }
    async fn get_version(&self, name: &str) -> Result<HashState> {
        Ok(self
            .value("version", name)
            .await?
            .map(|v| de(&v))
            .transpose()?
            .unwrap_or_default())
    }
    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        self.put("version", name, &ser(&state)?, 0, 0).await
    }
    async fn put_mutation_macs(
        &self,
        name: &str,
        version: u64,
        mutations: &[AppStateMutationMAC],
    ) -> Result<()> {
        self.put_many(
            "mac",
            mutations
                .iter()
                .map(|m| {
                    (
                        key2(name, &hex(&m.index_mac)),
                        m.value_mac.clone(),
                        version as i64,
                        0,
                    )
                })
                .collect(),
        )
        .await
    }
    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        self.value("mac", &key2(name, &hex(index_mac))).await
    }
    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        self.del_keys(
            "mac",
            index_macs.iter().map(|m| key2(name, &hex(m))).collect(),
        )
        .await?;
        Ok(())
    }
    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        let keys: Vec<String> = self
            .with_prefix("mac", &format!("{name}{SEP}"))
            .await?
            .into_iter()
            .map(|r| r.k)
            .collect();
        self.del_keys("mac", keys).await?;
        Ok(())
    }
    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        self.value("sync_key_latest", "").await
    }
}

#[async_trait]
impl ProtocolStore for WaStore {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        let prefix = format!("{group_jid}{SEP}");
        Ok(self
            .with_prefix("skdev", &prefix)
            .await?
            .into_iter()
            .map(|r| (r.k[prefix.len()..].to_string(), r.n != 0))
            .collect())
    }
    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        self.put_many(
            "skdev",
            entries
                .iter()
                .map(|(d, has)| (key2(group_jid, d), Vec::new(), *has as i64, 0))
                .collect(),
        )
        .await
    }
    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        let keys: Vec<String> = self
            .with_prefix("skdev", &format!("{group_jid}{SEP}"))
            .await?
            .into_iter()
            .map(|r| r.k)
            .collect();
        self.del_keys("skdev", keys).await?;
        Ok(())
    }
    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        if device_jids.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = self
            .all("skdev")
            .await?
            .into_iter()
            .filter(|r| {
                r.k.split_once(SEP)
                    .is_some_and(|(_, d)| device_jids.contains(&d))
            })
            .map(|r| r.k)
            .collect();
        self.del_keys("skdev", keys).await?;
        Ok(())
    }
    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.del_ns("skdev").await
    }
    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.value("lid", lid).await?.map(|v| de(&v)).transpose()
    }
    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        match self.value("pn", phone).await? {
            Some(lid) => self.get_lid_mapping(&String::from_utf8_lossy(&lid)).await,
            None => Ok(None),
        }
    }
    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        if let Some(old) = self.get_lid_mapping(&entry.lid).await? {
            if old.phone_number != entry.phone_number {
                self.del("pn", &old.phone_number).await?;
            }
        }
        self.put("pn", &entry.phone_number, entry.lid.as_bytes(), 0, 0)
            .await?;
        self.put("lid", &entry.lid, &ser(entry)?, 0, entry.updated_at)
            .await
    }
    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.all("lid").await?.iter().map(|r| de(&r.v)).collect()
    }
    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        self.put("base_key", &key2(address, message_id), base_key, 0, now())
            .await
    }
    async fn has_same_base_key(
        &self,
        address: &str,
        message_id: &str,
        current_base_key: &[u8],
    ) -> Result<bool> {
        Ok(self
            .value("base_key", &key2(address, message_id))
            .await?
            .is_some_and(|v| v == current_base_key))
    }
    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        self.del("base_key", &key2(address, message_id)).await
    }
    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.put(
            "devlist",
            &record.user.clone(),
            &ser(&record)?,
            0,
            record.timestamp,
        )
        .await
    }
    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        self.value("devlist", user)
            .await?
            .map(|v| de(&v))
            .transpose()
    }
    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.del("devlist", user).await
    }
    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        self.value("group_meta", group_jid).await
    }
    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.put("group_meta", group_jid, blob, 0, now()).await
    }
    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.del("group_meta", group_jid).await
    }
    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.value("tc", jid).await?.map(|v| de(&v)).transpose()
    }
    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.put("tc", jid, &ser(entry)?, 0, entry.token_timestamp)
            .await
    }
    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.del("tc", jid).await
    }
    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        Ok(self.all("tc").await?.into_iter().map(|r| r.k).collect())
    }
    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        let mut expired = Vec::new();
        for r in self.all("tc").await? {
            let e: TcTokenEntry = de(&r.v)?;
            let token_live = !e.token.is_empty() && e.token_timestamp >= token_cutoff;
            let sender_live = e.sender_timestamp.is_some_and(|ts| ts >= sender_cutoff);
            if !token_live && !sender_live {
                expired.push(r.k);
            }
        }
        self.del_keys("tc", expired).await
    }
    async fn touch_tc_token_sender_timestamp(
        &self,
        jid: &str,
        sender_timestamp: i64,
    ) -> Result<()> {
        let entry = match self.get_tc_token(jid).await? {
            Some(mut e) => {
                e.sender_timestamp = Some(
                    e.sender_timestamp
                        .map_or(sender_timestamp, |s| s.max(sender_timestamp)),
                );
                e
            }
            None => TcTokenEntry {
                token: Vec::new(),
                token_timestamp: sender_timestamp,
                sender_timestamp: Some(sender_timestamp),
            },
        };
        self.put_tc_token(jid, &entry).await
    }
    async fn store_received_tc_token(
        &self,
        jid: &str,
        token: &[u8],
        token_timestamp: i64,
    ) -> Result<()> {
        let entry = match self.get_tc_token(jid).await? {
            Some(mut e) => {
                if e.token.is_empty() || token_timestamp >= e.token_timestamp {
                    e.token = token.to_vec();
                    e.token_timestamp = token_timestamp;
                }
                e
            }
            None => TcTokenEntry {
                token: token.to_vec(),
                token_timestamp,
                sender_timestamp: None,
            },
        };
        self.put_tc_token(jid, &entry).await
    }
    async fn store_sent_message(
        &self,
        chat_jid: &str,
        message_id: &str,
        payload: &[u8],
    ) -> Result<()> {
        self.put("sent", &key2(chat_jid, message_id), payload, 0, now())
            .await?;
        // Bounded like WA Web's table: past the cap, the oldest quarter goes.
        let row = sqlx::query("SELECT COUNT(*) FROM wa_state WHERE device_id = $1 AND ns = 'sent'")
            .bind(&self.device_id)
            .fetch_one(&self.store.pool)
            .await
            .map_err(db)?;
        let count: i64 = row.get(0);
        if count > MAX_SENT_MESSAGES {
            let mut rows = self.all("sent").await?;
            rows.sort_by_key(|r| r.t);
            let drop = (count - MAX_SENT_MESSAGES * 3 / 4) as usize;
            self.del_keys("sent", rows.into_iter().take(drop).map(|r| r.k).collect())
                .await?;
        }
        Ok(())
    }
    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        let k = key2(chat_jid, message_id);
        let v = self.value("sent", &k).await?;
        if v.is_some() {
            self.del("sent", &k).await?;
        }
        Ok(v)
    }
    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.del_older("sent", cutoff_timestamp).await
    }
    async fn store_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
        message: &[u8],
    ) -> Result<()> {
        self.put("pending", &key3(chat, sender, id), message, 0, now())
            .await
    }
    async fn get_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.value("pending", &key3(chat, sender, id)).await
    }
    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.del("pending", &key3(chat, sender, id)).await
    }
    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.del_older("pending", cutoff_timestamp).await
    }
    async fn store_pending_inbound_batch(&self, rows: &[PendingInboundRow<'_>]) -> Result<()> {
        let t = now();
        self.put_many(
            "pending",
            rows.iter()
                .map(|r| (key3(r.chat, r.sender, r.id), r.message.to_vec(), 0, t))
                .collect(),
        )
        .await
    }
    async fn delete_pending_inbound_batch(&self, keys: &[PendingInboundKey<'_>]) -> Result<()> {
        self.del_keys(
            "pending",
            keys.iter().map(|k| key3(k.chat, k.sender, k.id)).collect(),
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl MsgSecretStore for WaStore {
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        let mut rows = Vec::with_capacity(stored);
        for e in entries {
            let k = key3(&e.chat, &e.sender, &e.msg_id);
            // `t` holds the expiry, `n` the message time, merged as the in-memory store does.
            let (expires_at, message_ts) = match self.get("msg_secret", &k).await? {
                Some(old) => (
                    merge_msg_secret_expiry(old.t, e.expires_at),
                    merge_msg_secret_message_ts(old.n, e.message_ts),
                ),
                None => (e.expires_at, e.message_ts),
            };
            rows.push((k, e.secret.to_vec(), message_ts, expires_at));
        }
        self.put_many("msg_secret", rows).await?;
        Ok(stored)
    }
    async fn get_msg_secret(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.value("msg_secret", &key3(chat, sender, msg_id)).await
    }
    async fn get_msg_secret_with_ts(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<(Vec<u8>, i64)>> {
        Ok(self
            .get("msg_secret", &key3(chat, sender, msg_id))
            .await?
            .map(|r| (r.v, r.n)))
    }
    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        let Some(_writing) = self.writable().await else {
            return Ok(0);
        };
        let done = sqlx::query("DELETE FROM wa_state WHERE device_id = $1 AND ns = 'msg_secret' AND t <> 0 AND t <= $2")
            .bind(&self.device_id)
            .bind(cutoff_timestamp)
            .execute(&self.store.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() as u32)
    }
}

#[async_trait]
impl DeviceStore for WaStore {
    async fn save(&self, device: &Device) -> Result<()> {
        self.put("device", "", &ser(device)?, 0, now()).await
    }
    async fn load(&self) -> Result<Option<Device>> {
        self.value("device", "").await?.map(|v| de(&v)).transpose()
    }
    async fn exists(&self) -> Result<bool> {
        Ok(self.get("device", "").await?.is_some())
    }
    async fn create(&self) -> Result<i32> {
        if !self.exists().await? {
            self.save(&Device::new()).await?;
        }
        Ok(1)
    }
}
