//! DNS-rebinding defence (mcp-surface §4.2): the `Host` and `Origin` headers a server accepts.
//!
//! A browser tricked into sending requests to a local server (a hostile page whose name
//! resolves to 127.0.0.1) sends that page's name as `Host` and its origin as `Origin`. A
//! loopback-bound server therefore accepts only loopback names (`localhost`, `127.0.0.1`,
//! `[::1]`, any port) and the configured `allowed_hosts` as `Host`, and only loopback origins
//! and the configured `allowed_origins` as `Origin`. A server bound elsewhere checks `Host`
//! against `allowed_hosts` when that list is set and accepts only configured origins.

use http::HeaderMap;

use crate::config::HttpConfig;

/// Which `Host` and `Origin` values a server accepts.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    loopback_bind: bool,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
}

/// Whether a host name (no port; IPv6 without brackets) names the loopback interface.
fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Splits `host[:port]` (`[v6]:port` for IPv6) into the lowercase host and the optional port.
fn split_host_port(authority: &str) -> Option<(String, Option<&str>)> {
    let authority = authority.trim();
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            other => Some(other.strip_prefix(':')?),
        };
        return Some((host.to_ascii_lowercase(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host.to_ascii_lowercase(), Some(port))),
        Some(_) => None,
        None => Some((authority.to_ascii_lowercase(), None)),
    }
}

fn valid_port(port: Option<&str>) -> bool {
    port.is_none_or(|port| !port.is_empty() && port.len() <= 5 && port.bytes().all(|byte| byte.is_ascii_digit()))
}

impl HostPolicy {
    /// The policy of a server bound to a loopback address or elsewhere.
    pub fn new(config: &HttpConfig, loopback_bind: bool) -> Self {
        HostPolicy {
            loopback_bind,
            allowed_hosts: config.allowed_hosts.iter().map(|host| host.to_ascii_lowercase()).collect(),
            allowed_origins: config.allowed_origins.clone(),
        }
    }

    /// Whether a `Host` value (or the request's authority) is accepted.
    pub fn host_allowed(&self, authority: &str) -> bool {
        let Some((host, port)) = split_host_port(authority) else {
            return false;
        };
        if !valid_port(port) {
            return false;
        }
        let listed = self.allowed_hosts.iter().any(|allowed| {
            allowed == &host || port.is_some_and(|port| allowed == &format!("{}:{port}", bracketed(&host)))
        });
        if self.loopback_bind { listed || is_loopback_name(&host) } else { listed || self.allowed_hosts.is_empty() }
    }

    /// Whether an `Origin` value is accepted.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        if self.allowed_origins.iter().any(|allowed| allowed == origin) {
            return true;
        }
        if !self.loopback_bind {
            return false;
        }
        let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
            return false;
        };
        !authority.contains('/')
            && split_host_port(authority).is_some_and(|(host, port)| valid_port(port) && is_loopback_name(&host))
    }

    /// The rejection of a request's headers, if any: the security-audit kind and the message.
    /// `authority` is the request URI's authority (HTTP/2), used when there is no `Host`.
    pub fn check(&self, headers: &HeaderMap, authority: Option<&str>) -> Option<(&'static str, &'static str)> {
        let host = headers.get(http::header::HOST).map(|value| value.to_str().ok()).unwrap_or(authority);
        match (headers.get(http::header::HOST), host) {
            (Some(_), None) => return Some(("host_rejected", "host not allowed")),
            (_, Some(host)) if !self.host_allowed(host) => return Some(("host_rejected", "host not allowed")),
            _ => {}
        }
        if let Some(origin) = headers.get(http::header::ORIGIN)
            && !origin.to_str().is_ok_and(|origin| self.origin_allowed(origin))
        {
            return Some(("origin_rejected", "origin not allowed"));
        }
        None
    }
}

/// A host as written in an authority (IPv6 in brackets).
fn bracketed(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(loopback: bool, hosts: &[&str], origins: &[&str]) -> HostPolicy {
        let config = HttpConfig {
            allowed_hosts: hosts.iter().map(|host| (*host).to_owned()).collect(),
            allowed_origins: origins.iter().map(|origin| (*origin).to_owned()).collect(),
            ..HttpConfig::default()
        };
        HostPolicy::new(&config, loopback)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_loopback_server_accepts_loopback_hosts_and_origins_on_any_port() {
        let local = policy(false, &[], &[]);
        let local = HostPolicy { loopback_bind: true, ..local };
        for host in ["localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:65535"] {
            assert!(local.host_allowed(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.nip.io",
            "localhost.evil",
            "[::1]x",
            "a:b:c",
            "localhost:x",
        ] {
            assert!(!local.host_allowed(host), "{host}");
        }
        for origin in ["http://localhost:3000", "https://127.0.0.1", "http://[::1]:8080"] {
            assert!(local.origin_allowed(origin), "{origin}");
        }
        for origin in ["http://evil.example", "null", "file://", "http://localhost:3000/path", "ftp://localhost"] {
            assert!(!local.origin_allowed(origin), "{origin}");
        }
        assert_eq!(local.check(&headers(&[("host", "localhost:9"), ("origin", "http://localhost:9")]), None), None);
        assert_eq!(
            local.check(&headers(&[("host", "evil.example.com")]), None),
            Some(("host_rejected", "host not allowed"))
        );
        assert_eq!(
            local.check(&headers(&[("host", "127.0.0.1:9"), ("origin", "http://evil.example")]), None),
            Some(("origin_rejected", "origin not allowed"))
        );
        // HTTP/2: the authority stands in for Host.
        assert_eq!(local.check(&headers(&[]), Some("evil.example")), Some(("host_rejected", "host not allowed")));
    }

    #[test]
    fn configured_names_extend_and_on_public_binds_define_the_accepted_set() {
        let local = HostPolicy {
            loopback_bind: true,
            ..policy(false, &["mcp.internal", "box:8443"], &["https://app.example"])
        };
        assert!(local.host_allowed("mcp.internal:1234"));
        assert!(local.host_allowed("box:8443"));
        assert!(!local.host_allowed("box:8444"));
        assert!(local.origin_allowed("https://app.example"));
        let public = policy(false, &[], &[]);
        assert!(public.host_allowed("anything.example"), "no list on a public bind: any host");
        assert!(!public.origin_allowed("http://localhost:3000"), "loopback origins only for loopback binds");
        let listed = policy(false, &["gate.example"], &[]);
        assert!(listed.host_allowed("gate.example:443"));
        assert!(!listed.host_allowed("other.example"));
    }
}
