//! Absolute web URLs given by callers (custom action targets, webhook
//! endpoints), and which network addresses the server may send requests to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An `http(s)://` URL, checked to name one plain host unambiguously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    pub secure: bool,
    /// Lower-cased; IPv6 hosts keep their brackets.
    pub host: String,
}

impl WebUrl {
    pub fn parse(s: &str, max_chars: usize) -> Result<Self, String> {
        if s.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        // Browsers read `\` as `/`: refuse it rather than guess which host is
        // meant. Format characters (bidi overrides, zero-width spaces) would
        // show one host and mean another.
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\' || super::text::is_format(c)) {
            return Err("must not contain spaces, backslashes, control or invisible formatting characters".into());
        }
        let lower = s.to_lowercase();
        let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => return Err("must be an absolute https:// URL".into()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // `user:pw@host` would both leak a secret and disguise the real host.
        if authority.contains('@') {
            return Err("must not carry credentials (user:password@)".into());
        }
        let host = host_of(authority);
        if host.is_empty() {
            return Err("must name a host".into());
        }
        let plain_host = host.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let ipv6 = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<Ipv6Addr>().is_ok());
        if !plain_host && !ipv6 {
            return Err("must have a valid host".into());
        }
        if let Some(port) = authority[host.len()..].strip_prefix(':') {
            if !port.bytes().all(|b| b.is_ascii_digit()) || !port.parse::<u16>().is_ok_and(|p| p > 0) {
                return Err("must have a port from 1 to 65535, if it names one".into());
            }
        } else if authority.len() > host.len() {
            return Err("must have a valid host".into());
        }
        Ok(WebUrl { secure, host: host.to_string() })
    }

    /// The host as an address, when the URL names one literally.
    pub fn ip(&self) -> Option<IpAddr> {
        let bare = self.host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(&self.host);
        bare.parse().ok()
    }
}

/// The host of a URL authority (`host`, `host:port`, `[v6]:port`).
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local (which holds the cloud metadata address 169.254.169.254),
/// shared (CGNAT), multicast, reserved or unspecified. The server sends
/// requests chosen by callers only to such addresses (OWASP API7, SSRF),
/// unless an operator allowed the host.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is AWS's metadata)
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64, which reaches IPv4 behind it
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
            "224.0.0.1", "255.255.255.255", "240.0.0.1", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1",
            "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_name_one_host() {
        let url = WebUrl::parse("https://Hooks.Example.com:8443/x?y", 100).unwrap();
        assert_eq!((url.secure, url.host.as_str()), (true, "hooks.example.com"));
        assert_eq!(WebUrl::parse("http://[::1]:9/", 100).unwrap().ip(), Some("::1".parse().unwrap()));
        assert_eq!(WebUrl::parse("http://127.0.0.1:9/", 100).unwrap().ip(), Some("127.0.0.1".parse().unwrap()));
        for bad in ["https://u:p@example.com/", "https://[::1/", "https://[zz]/", "ftp://x/", "https://a b/", "https://x:0/"] {
            assert!(WebUrl::parse(bad, 100).is_err(), "{bad}");
        }
    }
}
