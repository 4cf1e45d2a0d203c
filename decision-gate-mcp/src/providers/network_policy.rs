//! Which addresses the `http` provider may connect to, and a DNS resolver that applies it.
//!
//! A tenant's scenario names URLs; without a guard it could make the server fetch from its own
//! loopback services, the private network it runs in, or the cloud metadata endpoint. After DNS
//! resolution every address is checked; only the addresses that pass are handed to the HTTP
//! client, which connects to exactly those (no second resolution between check and connect).
//! IP-literal URLs are checked directly.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Networks refused unless `allow_private_networks` or an allowed CIDR admits them: loopback,
/// "this network", RFC 1918 private, CGNAT shared space (RFC 6598, which also holds some cloud
/// metadata endpoints), link-local (RFC 3927, holding 169.254.169.254), IETF protocol
/// assignments, benchmarking, documentation, multicast and reserved space; for IPv6 loopback,
/// unspecified, unique-local (RFC 4193, holding fd00:ec2::254), link-local, site-local,
/// documentation and multicast. IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4
/// address they embed.
static FORBIDDEN_NETWORKS: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "2001:db8::/32",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|net| net.parse().ok())
    .collect()
});

/// The IPv4 address an IPv6 address stands for (IPv4-mapped `::ffff:a.b.c.d` or the NAT64
/// well-known prefix `64:ff9b::/96`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = ip.segments();
    (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then(|| {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    })
}

/// The address policy of one `http` provider.
#[derive(Clone, Debug, Default)]
pub struct AddressPolicy {
    allow_private: bool,
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// A policy; `allowed_cidrs` admit addresses that would otherwise be refused.
    pub fn new(allow_private_networks: bool, allowed_cidrs: &[String]) -> Result<Self, String> {
        let allowed = allowed_cidrs
            .iter()
            .map(|cidr| {
                crate::auth::parse_network(cidr)
                    .ok_or_else(|| format!("allowed_cidrs entry {cidr:?} is not an address or CIDR block"))
            })
            .collect::<Result<_, _>>()?;
        Ok(AddressPolicy { allow_private: allow_private_networks, allowed })
    }

    /// Whether the provider may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        self.allow_private
            || self.allowed.iter().any(|net| net.contains(&ip))
            || !FORBIDDEN_NETWORKS.iter().any(|net| net.contains(&ip))
    }
}

/// The error a guarded resolution fails with when no address of a name may be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("http host resolves only to addresses the provider may not contact")]
pub struct ForbiddenAddress;

/// A future of resolved socket addresses.
pub type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

/// Name resolution (the system resolver by default; tests inject fixed answers).
pub trait HostLookup: Send + Sync {
    /// Resolves a host name (the port of the answers is ignored).
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The system resolver (`getaddrinfo` through Tokio).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemLookup;

impl HostLookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    }
}

/// A reqwest resolver that returns only the addresses the policy permits.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: AddressPolicy,
    lookup: Arc<dyn HostLookup>,
}

impl GuardedResolver {
    /// A resolver applying `policy` to `lookup`'s answers.
    pub fn new(policy: AddressPolicy, lookup: Arc<dyn HostLookup>) -> Self {
        GuardedResolver { policy, lookup }
    }
}

/// The answers of a resolution the policy permits, in their order; none permitted is
/// [`ForbiddenAddress`]. Refused answers are dropped, never tried.
pub fn permitted_addresses(
    policy: &AddressPolicy,
    answers: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, ForbiddenAddress> {
    let permitted: Vec<SocketAddr> = answers.into_iter().filter(|address| policy.permits(address.ip())).collect();
    if permitted.is_empty() { Err(ForbiddenAddress) } else { Ok(permitted) }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (policy, lookup) = (self.policy.clone(), self.lookup.clone());
        Box::pin(async move {
            let answers = lookup.lookup(name.as_str()).await?;
            let permitted = permitted_addresses(&policy, answers)
                .map_err(|error| Box::new(error) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: &AddressPolicy, ip: &str) -> bool {
        !policy.permits(ip.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_cgnat_and_metadata_addresses_are_refused() {
        let policy = AddressPolicy::default();
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(refused(&policy, ip), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"] {
            assert!(!refused(&policy, ip), "{ip}");
        }
    }

    #[test]
    fn explicit_opt_ins_admit_private_addresses() {
        let open = AddressPolicy::new(true, &[]).unwrap();
        assert!(!refused(&open, "127.0.0.1"));
        let listed = AddressPolicy::new(false, &["10.1.0.0/16".into(), "::1".into()]).unwrap();
        assert!(!refused(&listed, "10.1.2.3"));
        assert!(!refused(&listed, "::1"));
        assert!(refused(&listed, "10.2.0.1"));
        assert!(refused(&listed, "127.0.0.1"));
        assert!(AddressPolicy::new(false, &["not a net".into()]).is_err());
    }

    #[test]
    fn a_mixed_resolution_keeps_only_the_permitted_answers_and_none_is_refused() {
        let policy = AddressPolicy::default();
        let at = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 443);
        let mixed = vec![at("127.0.0.1"), at("93.184.216.34"), at("169.254.169.254"), at("2606:4700:4700::1111")];
        assert_eq!(permitted_addresses(&policy, mixed), Ok(vec![at("93.184.216.34"), at("2606:4700:4700::1111")]));
        let internal = vec![at("10.0.0.1"), at("::ffff:127.0.0.1"), at("fd00:ec2::254")];
        assert_eq!(permitted_addresses(&policy, internal), Err(ForbiddenAddress));
        assert_eq!(permitted_addresses(&policy, vec![]), Err(ForbiddenAddress));
    }
}
