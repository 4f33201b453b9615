//! Outbound proxies: the URL a tenant or a device is given, checked once, and the masked form
//! in which it is shown or logged (the password never leaves as written).

use std::fmt;

/// How the gateway talks to the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyScheme {
    /// SOCKS5; WhatsApp's host name is resolved here.
    Socks5,
    /// SOCKS5; the proxy resolves the host name.
    Socks5h,
    /// An HTTP proxy, used through `CONNECT` tunnels.
    Http,
}

impl ProxyScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
            ProxyScheme::Http => "http",
        }
    }
}

/// A checked proxy URL: `scheme://[user[:password]@]host:port`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl {
    pub scheme: ProxyScheme,
    /// A name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Decoded.
    pub username: Option<String>,
    /// Decoded.
    pub password: Option<String>,
}

/// The longest proxy URL accepted.
pub const PROXY_URL_MAX: usize = 2048;

impl ProxyUrl {
    /// Parses and checks a proxy URL; the error says what is wrong with it (never echoing the
    /// password).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is required".into());
        }
        if raw.len() > PROXY_URL_MAX {
            return Err(format!("must be at most {PROXY_URL_MAX} characters"));
        }
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(
                "must be a URL like socks5://user:pass@host:1080 or http://host:3128".into(),
            );
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "socks5" => ProxyScheme::Socks5,
            "socks5h" => ProxyScheme::Socks5h,
            "http" => ProxyScheme::Http,
            other => {
                return Err(format!(
                    "scheme {other:?} is not supported: use socks5://, socks5h:// or http://"
                ))
            }
        };
        // The authority as written: `url` drops a default port (http's 80), which must still
        // count as given.
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let port_written = match host_port.rsplit_once(':') {
            Some((h, p)) => (!h.starts_with('[') || h.ends_with(']')) && !p.is_empty(),
            None => false,
        };
        if !port_written {
            return Err("must name the port (host:port)".into());
        }
        let url = url::Url::parse(&format!("http://{rest}"))
            .map_err(|e| format!("is not a valid URL: {}", describe(e)))?;
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err("must be scheme://[user:password@]host:port, with no path or query".into());
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err("must name the proxy's host".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "must name the port (host:port)".to_string())?;
        if port == 0 {
            return Err("port must be between 1 and 65535".into());
        }
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "user and password must be valid UTF-8".to_string())
        };
        let username = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && username.is_none() {
            return Err("a password needs a user name (user:password@host)".into());
        }
        if username.as_deref().is_some_and(|u| u.len() > 255)
            || password.as_deref().is_some_and(|p| p.len() > 255)
        {
            return Err("user and password must be at most 255 bytes each".into());
        }
        Ok(ProxyUrl {
            scheme,
            host,
            port,
            username,
            password,
        })
    }

    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    fn render(&self, password: Option<&str>) -> String {
        let auth = match (&self.username, password) {
            (Some(u), Some(p)) => format!("{}:{}@", encode(u), p),
            (Some(u), None) => format!("{}@", encode(u)),
            _ => String::new(),
        };
        format!(
            "{}://{auth}{}:{}",
            self.scheme.as_str(),
            self.host_for_url(),
            self.port
        )
    }

    /// The URL with the password shown as `***`: what answers and logs carry.
    pub fn masked(&self) -> String {
        self.render(self.password.as_ref().map(|_| "***"))
    }

    /// The full URL, password included (percent-encoded): only for the clients that dial it.
    pub fn expose(&self) -> String {
        let password = self.password.as_deref().map(encode);
        self.render(password.as_deref())
    }

    /// The URL without its password (what the database keeps in the clear).
    pub fn without_password(&self) -> ProxyUrl {
        ProxyUrl {
            password: None,
            ..self.clone()
        }
    }

    /// `host:port` of the proxy itself.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host_for_url(), self.port)
    }
}

/// Never the password, whatever formats it.
impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn describe(e: url::ParseError) -> String {
    match e {
        url::ParseError::InvalidPort => "the port must be a number from 1 to 65535".into(),
        url::ParseError::EmptyHost => "the host is missing".into(),
        other => other.to_string(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes what may not stand in a URL's user information.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_schemes_with_and_without_auth() {
        let p = ProxyUrl::parse("socks5://alice:s3cr%40t@proxy.example:1080").unwrap();
        assert_eq!(p.scheme, ProxyScheme::Socks5);
        assert_eq!(p.host, "proxy.example");
        assert_eq!(p.port, 1080);
        assert_eq!(p.username.as_deref(), Some("alice"));
        assert_eq!(p.password.as_deref(), Some("s3cr@t"));
        assert_eq!(p.masked(), "socks5://alice:***@proxy.example:1080");
        assert_eq!(p.expose(), "socks5://alice:s3cr%40t@proxy.example:1080");
        assert_eq!(format!("{p:?}"), p.masked());
        let h = ProxyUrl::parse("http://10.0.0.1:80").unwrap();
        assert_eq!(
            (h.scheme, h.port, h.username.clone()),
            (ProxyScheme::Http, 80, None)
        );
        assert_eq!(h.masked(), "http://10.0.0.1:80");
        let s = ProxyUrl::parse("SOCKS5H://bob@[::1]:9050/").unwrap();
        assert_eq!((s.scheme, s.host.as_str()), (ProxyScheme::Socks5h, "::1"));
        assert_eq!(s.masked(), "socks5h://bob@[::1]:9050");
    }

    #[test]
    fn refuses_what_is_not_a_proxy_url() {
        for bad in [
            "",
            "proxy:1080",
            "https://h:443",
            "socks4://h:1080",
            "ftp://h:21",
            "socks5://h",
            "http://h",
            "http://h:",
            "socks5://user:pw@h",
            "socks5://h:99999",
            "socks5://h:0",
            "socks5://h:1080/path",
            "http://h:8080?x=1",
            "socks5://:pw@h:1080",
            "socks5://:1080",
        ] {
            let e = ProxyUrl::parse(bad).expect_err(bad);
            assert!(!e.contains("pw"), "{bad}: {e}");
        }
    }
}
