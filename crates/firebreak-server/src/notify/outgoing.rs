//! The one policy for where the notifier may send HTTP requests.
//!
//! A contact method a user added for themselves must not turn the server
//! against its own network: loopback, link-local (cloud metadata at
//! 169.254.169.254), private (RFC 1918, ULA, CGNAT), unspecified,
//! multicast, documentation and other special-purpose ranges, and IPv6
//! forms that embed such an IPv4 address, are refused for them. The check
//! runs on the addresses DNS returned, inside the HTTP client's resolver,
//! so the connection goes only to an address that was checked (a DNS
//! rebinding between a check and the connect cannot slip through);
//! literal IP addresses, which the client does not resolve, are checked
//! before the request; redirects are never followed.
//!
//! Targets an admin set (for any user) are trusted: on-premises SMS
//! gateways and test receivers live on such addresses. The configuration's
//! allow-list (`[outgoing] allow`) opens CIDR ranges or host names for
//! everyone.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::notify::NotifyError;

/// Who set a delivery's target, which decides the policy it runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetBy {
    /// An admin (or the server's operator): any target.
    Admin,
    /// A user for themselves: public addresses and the allow-list only.
    User,
}

impl SetBy {
    /// `Admin` when `admin_set`, else `User`.
    pub fn from_admin_set(admin_set: bool) -> SetBy {
        if admin_set { SetBy::Admin } else { SetBy::User }
    }
}

/// One allow-list entry: a CIDR range (`10.0.0.0/8`), one address, or a
/// host name (matched exactly, case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Allowed {
    Net(IpAddr, u8),
    Host(String),
}

/// The outgoing request policy: which private targets are opened for
/// everyone. The default opens none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingPolicy {
    allow: Vec<Allowed>,
}

/// Why a target was refused; the text is fixed (no answer of the target
/// is ever part of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub host: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the target {} is a loopback, link-local or private address, which only an admin \
             can set (or the [outgoing] allow list can open)",
            self.host
        )
    }
}

impl StdError for Refused {}

impl OutgoingPolicy {
    /// Parses the allow-list: `"127.0.0.1/8"`, `"fd00::/8"`, `"10.1.2.3"`,
    /// `"sms-gw.internal"`. The error names the entry.
    pub fn new<S: AsRef<str>>(allow: &[S]) -> Result<OutgoingPolicy, NotifyError> {
        let allow = allow
            .iter()
            .map(|entry| parse_entry(entry.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OutgoingPolicy { allow })
    }

    /// Whether a user-set target may use `ip`: a public address, or one
    /// the allow-list opens.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        is_public(ip)
            || self.allow.iter().any(|a| match a {
                Allowed::Net(net, len) => in_net(ip, *net, *len),
                Allowed::Host(_) => false,
            })
    }

    /// Whether the allow-list names `host` (then any address it resolves
    /// to is allowed).
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allow.iter().any(|a| match a {
            Allowed::Host(h) => h.eq_ignore_ascii_case(host),
            Allowed::Net(..) => false,
        })
    }

    /// The check that can run without DNS: a URL whose host is a literal
    /// address, or a name that is loopback by definition (`localhost`),
    /// outside the allow-list is refused. `field` names the setting.
    pub fn check_url(&self, field: &str, url: &reqwest::Url) -> Result<(), NotifyError> {
        match self.check_literal(url) {
            Ok(()) => Ok(()),
            Err(refused) => Err(NotifyError::Invalid {
                field: field.to_owned(),
                detail: refused.to_string(),
            }),
        }
    }

    pub(crate) fn check_literal(&self, url: &reqwest::Url) -> Result<(), Refused> {
        let refused = |host: &str| Refused {
            host: host.to_owned(),
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !self.ip_allowed(IpAddr::V4(ip)) => {
                Err(refused(&ip.to_string()))
            }
            Some(url::Host::Ipv6(ip)) if !self.ip_allowed(IpAddr::V6(ip)) => {
                Err(refused(&format!("[{ip}]")))
            }
            Some(url::Host::Domain(name)) => {
                let lower = name.trim_end_matches('.').to_ascii_lowercase();
                let loopback_name = lower == "localhost" || lower.ends_with(".localhost");
                if loopback_name
                    && !self.host_allowed(&lower)
                    && !self.ip_allowed(IpAddr::V4(Ipv4Addr::LOCALHOST))
                {
                    Err(refused(name))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// A resolver for the HTTP client of user-set targets: it resolves
    /// with the system resolver and keeps only allowed addresses, failing
    /// with [`Refused`] when none is left.
    pub(crate) fn resolver(&self) -> Arc<FilteringResolver> {
        Arc::new(FilteringResolver {
            policy: self.clone(),
        })
    }
}

/// A DNS resolver that drops the addresses the policy refuses.
#[derive(Debug)]
pub(crate) struct FilteringResolver {
    policy: OutgoingPolicy,
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let open_host = policy.host_allowed(&host);
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| open_host || policy.ip_allowed(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused { host }) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether `e` (or one of its sources) is the policy's refusal.
pub(crate) fn refusal<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a Refused> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(r) = err.downcast_ref::<Refused>() {
            return Some(r);
        }
        current = err.source();
    }
    None
}

fn parse_entry(entry: &str) -> Result<Allowed, NotifyError> {
    let invalid = |detail: String| NotifyError::Invalid {
        field: "outgoing.allow".to_owned(),
        detail,
    };
    let entry = entry.trim();
    if entry.is_empty() {
        return Err(invalid("an entry is empty".to_owned()));
    }
    if let Some((addr, len)) = entry.split_once('/') {
        let ip: IpAddr = addr
            .trim_matches(['[', ']'])
            .parse()
            .map_err(|_| invalid(format!("`{entry}` is not a CIDR range")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| invalid(format!("`{entry}` has a bad prefix length")))?;
        return Ok(Allowed::Net(ip, len));
    }
    if let Ok(ip) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
        let len = if ip.is_ipv4() { 32 } else { 128 };
        return Ok(Allowed::Net(ip, len));
    }
    let valid_host = entry.len() <= 253
        && entry
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid_host {
        return Err(invalid(format!(
            "`{entry}` is neither a CIDR range, an IP address nor a host name"
        )));
    }
    Ok(Allowed::Host(entry.to_ascii_lowercase()))
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (canonical(ip), canonical(net)) {
        (IpAddr::V4(a), IpAddr::V4(n)) => prefix_eq(&a.octets(), &n.octets(), len.min(32)),
        (IpAddr::V6(a), IpAddr::V6(n)) => prefix_eq(&a.octets(), &n.octets(), len.min(128)),
        _ => false,
    }
}

/// IPv4-mapped IPv6 addresses as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], len: u8) -> bool {
    let full = usize::from(len / 8);
    let rest = len % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

const V4_SPECIAL: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network", unspecified
    ([10, 0, 0, 0], 8),      // RFC 1918
    ([100, 64, 0, 0], 10),   // CGNAT
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, cloud metadata
    ([172, 16, 0, 0], 12),   // RFC 1918
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // TEST-NET-1
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // RFC 1918
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // TEST-NET-2
    ([203, 0, 113, 0], 24),  // TEST-NET-3
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, broadcast
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let octets = ip.octets();
    !V4_SPECIAL
        .iter()
        .any(|(net, len)| prefix_eq(&octets, net, *len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // IPv6 forms that carry an IPv4 address: judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96).
    if s[..6] == [0, 0, 0, 0, 0, 0] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return ip != Ipv6Addr::UNSPECIFIED
            && ip != Ipv6Addr::LOCALHOST
            && is_public_v4(embedded(s[6], s[7]));
    }
    // 6to4 (2002::/16) carries the IPv4 address in segments 1 and 2.
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    let octets = ip.octets();
    const V6_SPECIAL: &[([u8; 16], u8)] = &[
        ([0; 16], 128),                                               // unspecified
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128),      // loopback
        ([0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 64),    // discard
        ([0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments
        (
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            32,
        ), // documentation
        ([0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 7),     // unique local (ULA)
        ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
        ([0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10), // site-local (deprecated)
        ([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8),     // multicast
    ];
    !V6_SPECIAL
        .iter()
        .any(|(net, len)| prefix_eq(&octets, net, *len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(s)), "{s} counted as public");
        }
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(s)), "{s} counted as private");
        }
    }

    #[test]
    fn the_allow_list_opens_ranges_and_hosts() {
        let p = OutgoingPolicy::new(&["127.0.0.1/8", "fd00::/8", "10.9.8.7", "SMS-gw.internal"])
            .unwrap();
        assert!(p.ip_allowed(ip("127.0.0.2")));
        assert!(p.ip_allowed(ip("::ffff:127.0.0.2")));
        assert!(p.ip_allowed(ip("fd00::5")));
        assert!(p.ip_allowed(ip("10.9.8.7")));
        assert!(!p.ip_allowed(ip("10.9.8.6")));
        assert!(!p.ip_allowed(ip("169.254.169.254")));
        assert!(!p.ip_allowed(ip("::1")));
        assert!(p.host_allowed("sms-gw.internal"));
        assert!(p.host_allowed("sms-gw.internal."));
        assert!(!p.host_allowed("other.internal"));
        for bad in ["", "10.0.0.0/33", "not a host", "1.2.3.4/x", "[::1]/200"] {
            assert!(OutgoingPolicy::new(&[bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn literal_targets_are_checked_without_dns() {
        let p = OutgoingPolicy::default();
        let check = |u: &str| p.check_url("url", &reqwest::Url::parse(u).unwrap());
        for bad in [
            "http://127.0.0.1:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://localhost/",
            "http://a.localhost./",
        ] {
            let err = check(bad).unwrap_err().to_string();
            assert!(err.starts_with("url: the target"), "{bad}: {err}");
        }
        for good in ["https://hooks.example.com/x", "http://8.8.8.8/"] {
            assert!(check(good).is_ok(), "{good}");
        }
    }
}
