//! The SSRF guard: which addresses outgoing notifications may reach.
//!
//! Checked where the connection is made, on the resolved addresses: [`GuardedResolver`] is the
//! HTTP client's DNS resolver and drops refused addresses (a name that resolves only to
//! refused ones fails), and [`check_url`] refuses IP-literal hosts, which never reach a
//! resolver. The client follows no redirects and uses no proxy, so every connection goes
//! through these checks.
//!
//! Always refused: link-local (`169.254.0.0/16`, `fe80::/10`: cloud metadata services live
//! there), unspecified, broadcast, multicast and reserved addresses. Refused unless
//! `allow_private_targets`: loopback, private networks (RFC 1918, `fc00::/7`), shared address
//! space (`100.64.0.0/10`) and benchmarking (`198.18.0.0/15`). IPv4 addresses embedded in
//! IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`) are judged
//! as the IPv4 address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A target address the guard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused target address {addr} ({why})")]
pub struct RefusedTarget {
    pub addr: IpAddr,
    pub why: &'static str,
}

/// Why `ip` may not be reached, or `None` when it may.
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    let (always, private) = match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    };
    always.or(if allow_private { None } else { private })
}

/// (refused always, refused unless private targets are allowed)
fn classify_v4(ip: Ipv4Addr) -> (Option<&'static str>, Option<&'static str>) {
    let [a, b, ..] = ip.octets();
    let always = if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if a >= 240 {
        Some("reserved")
    } else {
        None
    };
    let private = if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking")
    } else {
        None
    };
    (always, private)
}

fn classify_v6(ip: Ipv6Addr) -> (Option<&'static str>, Option<&'static str>) {
    let first = ip.segments()[0];
    let always = if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    };
    let private = if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique local")
    } else if first & 0xffc0 == 0xfec0 {
        Some("site-local")
    } else {
        None
    };
    (always, private)
}

/// The IPv4 address inside a mapped (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`) or NAT64
/// (`64:ff9b::a.b.c.d`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let compatible = s[..6].iter().all(|&x| x == 0) && !ip.is_loopback() && !ip.is_unspecified();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (compatible || nat64).then_some(low)
}

/// Refuses a URL whose host is a refused IP literal (names are checked when resolved).
///
/// # Errors
/// [`RefusedTarget`] for a refused literal.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), RefusedTarget> {
    let addr = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match refusal(addr, allow_private) {
        Some(why) => Err(RefusedTarget { addr, why }),
        None => Ok(()),
    }
}

/// The HTTP client's resolver: the system's, minus refused addresses.
#[derive(Clone, Copy)]
pub struct GuardedResolver {
    allow_private: bool,
}

impl GuardedResolver {
    pub fn new(allow_private: bool) -> Self {
        Self { allow_private }
    }
}

impl fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedResolver")
            .field("allow_private", &self.allow_private)
            .finish()
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match refusal(addr.ip(), allow_private) {
                    Some(why) => {
                        refused.get_or_insert(RefusedTarget {
                            addr: addr.ip(),
                            why,
                        });
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                if let Some(refused) = refused {
                    return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The refusal somewhere in `error`'s source chain.
pub(crate) fn find_refusal(error: &(dyn std::error::Error + 'static)) -> Option<RefusedTarget> {
    let mut current = Some(error);
    while let Some(err) = current {
        if let Some(refused) = err.downcast_ref::<RefusedTarget>() {
            return Some(refused.clone());
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(text: &str, allow_private: bool) -> Option<&'static str> {
        refusal(text.parse().unwrap(), allow_private)
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111", "100.128.0.1"] {
            assert_eq!(judge(ip, false), None, "{ip}");
        }
    }

    #[test]
    fn private_ones_pass_only_when_allowed() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "198.18.0.1",
            "::1",
            "fd00::1",
            "fc12::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
        ] {
            assert!(judge(ip, false).is_some(), "{ip} refused by default");
            assert_eq!(
                judge(ip, true),
                None,
                "{ip} allowed when private targets are"
            );
        }
    }

    #[test]
    fn link_local_and_friends_are_always_refused() {
        for ip in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "febf::1",
            "::ffff:169.254.169.254",
            "::a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "255.255.255.255",
            "224.0.0.1",
            "ff02::1",
            "240.0.0.1",
        ] {
            assert!(judge(ip, true).is_some(), "{ip} always refused");
        }
        assert_eq!(judge("169.254.169.254", true), Some("link-local"));
        assert_eq!(judge("::ffff:169.254.169.254", true), Some("link-local"));
    }

    #[test]
    fn literal_hosts_in_urls_are_checked() {
        let check = |url: &str, allow| check_url(&url::Url::parse(url).unwrap(), allow);
        assert!(check("http://127.0.0.1:8080/hook", false).is_err());
        assert!(check("http://127.0.0.1:8080/hook", true).is_ok());
        // WHATWG host parsing: a decimal number is an IPv4 address.
        assert!(check("http://2130706433/", false).is_err());
        assert!(check("http://[::ffff:a9fe:a9fe]/", true).is_err());
        assert!(check("http://169.254.169.254/latest/meta-data", true).is_err());
        assert!(check("https://example.com/hook", false).is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_fail() {
        let name: Name = "localhost".parse().unwrap();
        let err = match GuardedResolver::new(false).resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(err) => err,
        };
        assert!(find_refusal(err.as_ref()).is_some(), "{err}");
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = GuardedResolver::new(true)
            .resolve(name)
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
