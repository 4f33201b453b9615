//! Where outgoing media comes from: base64 (with or without a data-URI prefix) or a URL fetched
//! with a deadline and a size bound, never from a loopback, private or link-local address unless
//! the operator allows it. Large URL downloads go to a temporary file, not memory.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use wuts_core::error::DomainResult;
use wuts_core::DomainError;

/// Fetched or decoded media bytes.
pub enum MediaBytes {
    Memory(Vec<u8>),
    /// A temporary file (deleted on drop) and its length.
    File(tempfile::NamedTempFile, u64),
}

impl MediaBytes {
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(b) => b.len() as u64,
            Self::File(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first bytes, for content sniffing.
    pub fn head(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Memory(b) => Ok(b[..b.len().min(8192)].to_vec()),
            Self::File(f, _) => {
                use std::io::Read as _;
                let mut head = vec![0u8; 8192];
                let mut file = f.reopen()?;
                let n = file.read(&mut head)?;
                head.truncate(n);
                Ok(head)
            }
        }
    }

    /// The whole content in memory.
    pub fn into_vec(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Memory(b) => Ok(b),
            Self::File(f, _) => std::fs::read(f.path()),
        }
    }
}

/// What a source gave: the bytes, the MIME type the source declared (data-URI prefix or
/// `Content-Type`) and how long the download took.
pub struct Fetched {
    pub bytes: MediaBytes,
    pub declared_mime: Option<String>,
    pub download_ms: i64,
}

/// Limits of one fetch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: Duration,
    /// Let URLs reach loopback and private networks (an operator's choice, and tests').
    pub allow_private: bool,
}

/// Decodes base64 media (`field` names it in errors).
pub fn from_base64(field: &str, value: &str, max_bytes: u64) -> DomainResult<Fetched> {
    use base64::Engine as _;
    let (declared, payload) = match value.strip_prefix("data:") {
        Some(rest) => {
            let (meta, data) = rest
                .split_once(',')
                .ok_or_else(|| DomainError::field(field, "malformed data URI"))?;
            let Some(mime) = meta.strip_suffix(";base64") else {
                return Err(DomainError::field(field, "data URI must be base64-encoded"));
            };
            (
                Some(mime.to_ascii_lowercase()).filter(|m| !m.is_empty()),
                data,
            )
        }
        None => (None, value),
    };
    let payload = payload.trim();
    // Cheap bound before decoding: 4 base64 characters carry 3 bytes.
    if (payload.len() as u64 / 4) * 3 > max_bytes + 3 {
        return Err(DomainError::field(field, too_large(max_bytes)));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload))
        .map_err(|_| DomainError::field(field, "is not valid base64"))?;
    if bytes.is_empty() {
        return Err(DomainError::field(field, "is empty"));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(DomainError::field(field, too_large(max_bytes)));
    }
    Ok(Fetched {
        bytes: MediaBytes::Memory(bytes),
        declared_mime: declared,
        download_ms: 0,
    })
}

fn too_large(max: u64) -> String {
    format!("is larger than the limit of {} bytes", max)
}

/// Whether an address is one a client's URL may not reach by default.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
        }
    }
}

/// Resolves only to public addresses (so a host name cannot lead to an internal one).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| !is_internal(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err("the host resolves to a private or loopback address".into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A URL a client may ask us to fetch: http(s), and not an internal address literal.
fn check_url(field: &str, url: &reqwest::Url, allow_private: bool) -> DomainResult<()> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DomainError::field(field, "must be an http or https URL"));
    }
    let internal = match url.host() {
        Some(url::Host::Ipv4(ip)) => is_internal(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_internal(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(DomainError::field(field, "has no host")),
    };
    if internal && !allow_private {
        return Err(DomainError::field(
            field,
            "points to a loopback or private address, which is not allowed",
        ));
    }
    Ok(())
}

/// Builds the HTTP client for media URLs.
pub fn http_client(allow_private: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("wuts/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if check_url("url", attempt.url(), allow_private).is_err() {
                attempt.error("redirect to a private address")
            } else {
                attempt.follow()
            }
        }));
    if !allow_private {
        b = b.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    b.build().expect("a client with these settings builds")
}

/// Above this size a download goes to a temporary file.
const IN_MEMORY_MAX: u64 = 4 * 1024 * 1024;

/// Fetches a media URL within `limits`: the whole download, headers to last byte, must finish
/// before the deadline, and stops as soon as it passes the size bound.
pub async fn from_url(
    client: &reqwest::Client,
    field: &str,
    url: &str,
    limits: Limits,
) -> DomainResult<Fetched> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| DomainError::field(field, "is not a valid URL"))?;
    check_url(field, &parsed, limits.allow_private)?;
    let started = Instant::now();
    let work = async {
        let mut resp = client.get(parsed).send().await.map_err(|e| {
            let why = if e.is_connect() || e.is_request() {
                "could not be reached"
            } else {
                "could not be downloaded"
            };
            DomainError::field(field, format!("{why}: {}", root_cause(&e)))
        })?;
        if !resp.status().is_success() {
            return Err(DomainError::field(
                field,
                format!("answered HTTP {}", resp.status().as_u16()),
            ));
        }
        if resp.content_length().is_some_and(|n| n > limits.max_bytes) {
            return Err(DomainError::field(field, too_large(limits.max_bytes)));
        }
        let declared = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|v| !v.is_empty() && v != "application/octet-stream");
        let mut memory = Vec::new();
        let mut file: Option<tempfile::NamedTempFile> = None;
        let mut total = 0u64;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| DomainError::field(field, format!("download failed: {e}")))?
        {
            total += chunk.len() as u64;
            if total > limits.max_bytes {
                return Err(DomainError::field(field, too_large(limits.max_bytes)));
            }
            if file.is_none() && total > IN_MEMORY_MAX {
                let mut f = tempfile::NamedTempFile::new()
                    .map_err(|e| DomainError::Internal(format!("temporary file: {e}")))?;
                f.write_all(&memory)
                    .map_err(|e| DomainError::Internal(format!("temporary file: {e}")))?;
                memory = Vec::new();
                file = Some(f);
            }
            match &mut file {
                Some(f) => f
                    .write_all(&chunk)
                    .map_err(|e| DomainError::Internal(format!("temporary file: {e}")))?,
                None => memory.extend_from_slice(&chunk),
            }
        }
        if total == 0 {
            return Err(DomainError::field(field, "the download was empty"));
        }
        let bytes = match file {
            Some(f) => MediaBytes::File(f, total),
            None => MediaBytes::Memory(memory),
        };
        Ok((bytes, declared))
    };
    let (bytes, declared_mime) =
        tokio::time::timeout(limits.timeout, work)
            .await
            .map_err(|_| {
                DomainError::field(
                    field,
                    format!(
                        "download did not finish within {} s",
                        limits.timeout.as_secs()
                    ),
                )
            })??;
    Ok(Fetched {
        bytes,
        declared_mime,
        download_ms: started.elapsed().as_millis() as i64,
    })
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn base64_and_data_uris() {
        let f = from_base64("image", "data:image/png;base64,aGVsbG8=", 100).unwrap();
        assert_eq!(f.declared_mime.as_deref(), Some("image/png"));
        assert_eq!(f.bytes.into_vec().unwrap(), b"hello");
        assert!(from_base64("image", "not base64!!", 100).is_err());
        assert!(from_base64("image", "aGVsbG8=", 3).is_err());
        assert!(from_base64("image", "data:image/png,hello", 100).is_err());
    }
}
