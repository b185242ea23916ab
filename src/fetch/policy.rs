//! What tocsin may fetch: the rules that keep a page it reads from making it fetch a
//! local file or an internal address (SSRF).
//!
//! - The operator's configured URLs (a source's `url`, WebSub hubs) are *trusted*:
//!   fetched as written, whatever they point at.
//! - Everything else is *derived*, from content or from a server: links followed from a
//!   listing (`follow`), `next` pages, every redirect hop, a URL adopted after permanent
//!   redirects. A derived URL
//!   - is never a `file:` URL (or anything but http and https);
//!   - may not reach a local or internal address ([`forbidden`]): loopback, private,
//!     link-local, unique-local, multicast, unspecified, broadcast, shared (CGNAT) or
//!     reserved, in any spelling, IPv4-mapped forms included, unless it is on the same
//!     host and port as the configured URL it came from ([`same_origin`]) or the source
//!     sets `allow_private`. IP literals are checked before sending ([`check_literal`]);
//!     names are checked on the addresses they resolve to, at connect time, by the
//!     [`GuardedResolver`] the HTTP client resolves with, so DNS rebinding cannot slip
//!     between a check and the connection;
//!   - taken from a listing (`follow`, `next`) stays on the listing's own site
//!     ([`on_site`]) unless `follow_hosts` names the other host.
//!
//! Every refusal is a [`Refusal`] that names the address and the rule.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why an address is off limits to a derived URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16 (RFC 1918).
    Private,
    /// 100.64/10 (RFC 6598): carrier-grade NAT, and the addresses of VPN overlays such
    /// as Tailscale's, so internal in practice.
    Shared,
    /// 169.254/16 (cloud metadata services live here), fe80::/10.
    LinkLocal,
    /// fc00::/7, the IPv6 private ranges.
    UniqueLocal,
    /// fec0::/10, deprecated but still routed inside some sites.
    SiteLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 0.0.0.0/8 ("this network": 0.0.0.0 reaches the local host on Linux), ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 240/4, reserved for future use.
    Reserved,
}

impl Rule {
    /// "a loopback address", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Loopback => "a loopback address",
            Rule::Private => "a private address",
            Rule::Shared => "a shared (carrier-grade NAT) address",
            Rule::LinkLocal => "a link-local address",
            Rule::UniqueLocal => "a unique-local (private IPv6) address",
            Rule::SiteLocal => "a site-local address",
            Rule::Multicast => "a multicast address",
            Rule::Unspecified => "an unspecified address",
            Rule::Broadcast => "the broadcast address",
            Rule::Reserved => "a reserved address",
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<Rule> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        Rule::Loopback
    } else if ip.is_private() {
        Rule::Private
    } else if a == 100 && (b & 0xc0) == 64 {
        Rule::Shared
    } else if ip.is_link_local() {
        Rule::LinkLocal
    } else if ip.is_multicast() {
        Rule::Multicast
    } else if a == 0 {
        Rule::Unspecified
    } else if ip.is_broadcast() {
        Rule::Broadcast
    } else if a >= 240 {
        Rule::Reserved
    } else {
        return None;
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<Rule> {
    let s = ip.segments();
    if ip.is_loopback() {
        return Some(Rule::Loopback);
    }
    if ip.is_unspecified() {
        return Some(Rule::Unspecified);
    }
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address
    // is what the kernel connects to.
    if let Some(v4) = ip.to_ipv4_mapped().or_else(|| ip.to_ipv4()) {
        return forbidden_v4(v4);
    }
    // NAT64's well-known prefix (64:ff9b::/96) translates to the embedded IPv4 address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = s;
        return forbidden_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    Some(if ip.is_multicast() {
        Rule::Multicast
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Rule::LinkLocal
    } else if (s[0] & 0xffc0) == 0xfec0 {
        Rule::SiteLocal
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Rule::UniqueLocal
    } else {
        return None;
    })
}

/// The rule that keeps a derived URL away from `ip`, if any.
pub fn forbidden(ip: IpAddr) -> Option<Rule> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// Why a derived URL was not fetched. Its text follows "refused: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{}", address_message(.host, .addr, *.rule, *.literal))]
    Address {
        host: String,
        addr: IpAddr,
        rule: Rule,
        /// The URL spelled the address itself (no name was resolved).
        literal: bool,
    },
    #[error(
        "`{host}` does not resolve ({reason}); a link, next page or redirect is fetched only once its address is checked"
    )]
    Unresolved { host: String, reason: String },
    #[error(
        "a file: URL; only a source's configured `url` may be a local file, never a link, a next page or a redirect"
    )]
    LocalFile,
    #[error(
        "a {scheme}: URL; links, next pages and redirects are fetched over http and https only"
    )]
    Scheme { scheme: String },
    #[error(
        "`{host}` is not the listing's own site (`{site}`); [sources.html] follow_hosts names the other hosts whose pages may be fetched"
    )]
    OffSite { host: String, site: String },
}

fn address_message(host: &str, addr: &IpAddr, rule: Rule, literal: bool) -> String {
    let what = if literal {
        format!("{addr} is")
    } else {
        format!("{host} resolves to {addr},")
    };
    format!(
        "{what} {}; links, next pages and redirects may not reach local or private addresses \
         (allow_private = true allows it)",
        rule.describe()
    )
}

/// Refuses a derived URL that is not http(s) (a `file:` URL above all).
pub fn check_scheme(url: &Url) -> Result<(), Refusal> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        "file" => Err(Refusal::LocalFile),
        other => Err(Refusal::Scheme {
            scheme: other.to_string(),
        }),
    }
}

/// Checks a URL whose host is an IP address. `url` has already normalised every
/// spelling (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` are all `127.0.0.1`); such
/// a URL never reaches the resolver, so this is its only check. Names pass here: they
/// are checked on what they resolve to.
pub fn check_literal(url: &Url) -> Result<(), Refusal> {
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match forbidden(ip) {
        Some(rule) => Err(Refusal::Address {
            host: url.host_str().unwrap_or_default().to_string(),
            addr: ip,
            rule,
            literal: true,
        }),
        None => Ok(()),
    }
}

/// Checks every address a name resolved to: one forbidden address refuses the name (a
/// server could pick any of them), and so does none at all.
pub fn check_resolved(host: &str, addrs: &[IpAddr]) -> Result<(), Refusal> {
    if addrs.is_empty() {
        return Err(Refusal::Unresolved {
            host: host.to_string(),
            reason: "no address".into(),
        });
    }
    for &addr in addrs {
        if let Some(rule) = forbidden(addr) {
            return Err(Refusal::Address {
                host: host.to_string(),
                addr,
                rule,
                literal: false,
            });
        }
    }
    Ok(())
}

/// Whether `url` is on the same host and port as the configured URL it came from (an
/// item page on the listing's own server): such a URL is as trusted as the configured
/// one. The upgrade from http on port 80 to https on port 443 of the same host counts.
pub fn same_origin(configured: &Url, url: &Url) -> bool {
    let (Some(a), Some(b)) = (configured.host(), url.host()) else {
        return false;
    };
    if a != b {
        return false;
    }
    let (pa, pb) = (
        configured.port_or_known_default(),
        url.port_or_known_default(),
    );
    pa == pb
        || (configured.scheme() == "http"
            && pa == Some(80)
            && url.scheme() == "https"
            && pb == Some(443))
}

/// A host name compared for "same site": lower case, without a trailing dot or a
/// leading `www.`.
fn site_of(host: &str) -> &str {
    let h = host.strip_suffix('.').unwrap_or(host);
    h.strip_prefix("www.").unwrap_or(h)
}

/// Normalises a `follow_hosts` entry: a host name (`partner.org`), an IP address
/// (`192.0.2.1`, `[2001:db8::1]`), or `*.domain` for the domain and all its subdomains.
pub fn parse_follow_host(entry: &str) -> Result<String, String> {
    let e = entry.trim().to_ascii_lowercase();
    let bad = || {
        format!(
            "`{entry}` is not a host name: write the host alone, e.g. \"partner.org\" (or \"*.partner.org\" for it and its subdomains)"
        )
    };
    if e.contains(['/', '@', '?', '#']) || e.is_empty() {
        return Err(bad());
    }
    let (wild, rest) = match e.strip_prefix("*.") {
        Some(r) => (true, r),
        None => (false, e.as_str()),
    };
    let host = Host::parse(rest).map_err(|_| bad())?;
    match (&host, wild) {
        (Host::Domain(d), _) if d.contains(':') || d.is_empty() => Err(bad()),
        (Host::Domain(_), true) => Ok(format!("*.{host}")),
        (_, true) => Err(bad()),
        (_, false) => Ok(host.to_string()),
    }
}

/// Whether a link taken from a listing (`follow`, `next`) stays on the listing's own
/// site: the host of its configured `url`, `www.` ignored, or a host `follow_hosts`
/// names (entries from [`parse_follow_host`]). The port does not matter here; the
/// address rules still apply to another port.
pub fn on_site(url: &Url, listing: &Url, follow_hosts: &[String]) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = site_of(host);
    if listing.host_str().map(site_of) == Some(host) {
        return true;
    }
    follow_hosts.iter().any(|f| match f.strip_prefix("*.") {
        Some(domain) => {
            host == domain
                || host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.'))
        }
        None => site_of(f) == host,
    })
}

/// The resolver of the HTTP clients that fetch derived URLs: resolves with `inner`,
/// then refuses a name any of whose addresses is forbidden, so the check is made on the
/// very addresses the connection will use (DNS rebinding cannot pass a check and then
/// connect elsewhere). `exempt` names are resolved without a check: the configured
/// proxies, which the operator chose.
pub struct GuardedResolver {
    inner: Arc<dyn Resolve>,
    exempt: Vec<String>,
}

impl GuardedResolver {
    pub fn new(inner: Arc<dyn Resolve>, exempt: Vec<String>) -> GuardedResolver {
        GuardedResolver { inner, exempt }
    }

    /// Over the system resolver (getaddrinfo, as reqwest's own default).
    pub fn system(exempt: Vec<String>) -> GuardedResolver {
        GuardedResolver::new(Arc::new(SystemResolver), exempt)
    }

    /// Resolves and checks `host` before a request that the resolver will not see
    /// (through a proxy, which resolves the name itself). Fails closed: a name that
    /// does not resolve is refused.
    pub async fn check_host(&self, host: &str) -> Result<(), Refusal> {
        let name: Name = host.parse().map_err(|_| Refusal::Unresolved {
            host: host.to_string(),
            reason: "not a host name".into(),
        })?;
        let addrs = self
            .inner
            .resolve(name)
            .await
            .map_err(|e| Refusal::Unresolved {
                host: host.to_string(),
                reason: e.to_string(),
            })?;
        check_resolved(host, &addrs.map(|a| a.ip()).collect::<Vec<_>>())
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        if self.exempt.iter().any(|e| e.eq_ignore_ascii_case(&host)) {
            return self.inner.resolve(name);
        }
        // An address that reaches the resolver as a name is checked as itself.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Box::pin(async move {
                check_resolved(&host, &[ip])?;
                Ok(Box::new(std::iter::once(SocketAddr::new(ip, 0))) as Addrs)
            });
        }
        let resolving = self.inner.resolve(name);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = resolving.await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            check_resolved(&host, &ips)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// getaddrinfo on a blocking thread, as hyper's own resolver does.
struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok::<Addrs, BoxError>(Box::new(addrs.collect::<Vec<_>>().into_iter()))
        })
    }
}

/// The environment variables that name a proxy for a client with `proxy = "env"`.
pub const PROXY_ENV_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The host names of the proxies the environment configures ([`PROXY_ENV_VARS`]), which
/// a client with `proxy = "env"` may connect to.
pub fn env_proxy_hosts() -> Vec<String> {
    PROXY_ENV_VARS
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .filter(|v| !v.trim().is_empty())
        .filter_map(|v| {
            // `proxy.example:3128` without a scheme is read as http by reqwest.
            Url::parse(&v)
                .ok()
                .filter(|u| u.has_host())
                .or_else(|| Url::parse(&format!("http://{v}")).ok())
        })
        .filter_map(|u| u.host_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn rule_of(u: &str) -> Option<Rule> {
        match check_literal(&url(u)) {
            Ok(()) => None,
            Err(Refusal::Address { rule, literal, .. }) => {
                assert!(literal);
                Some(rule)
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn every_spelling_of_loopback_is_refused() {
        for u in [
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://127.0.1/",
            "http://127.255.255.254/",
            "http://[::1]/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
        ] {
            assert_eq!(rule_of(u), Some(Rule::Loopback), "{u}");
        }
        assert_eq!(rule_of("http://0.0.0.0/"), Some(Rule::Unspecified));
        assert_eq!(rule_of("http://0/"), Some(Rule::Unspecified));
        assert_eq!(rule_of("http://0.1.2.3/"), Some(Rule::Unspecified));
        assert_eq!(rule_of("http://[::]/"), Some(Rule::Unspecified));
        // A name is not an address: it is checked on what it resolves to.
        assert_eq!(rule_of("http://localhost/"), None);
    }

    #[test]
    fn every_internal_range_is_refused_and_public_addresses_pass() {
        let cases = [
            ("10.0.0.1", Some(Rule::Private)),
            ("10.255.255.255", Some(Rule::Private)),
            ("172.16.0.1", Some(Rule::Private)),
            ("172.31.255.255", Some(Rule::Private)),
            ("172.15.255.255", None),
            ("172.32.0.0", None),
            ("192.168.1.1", Some(Rule::Private)),
            ("192.169.0.1", None),
            ("100.64.0.1", Some(Rule::Shared)),
            ("100.127.255.255", Some(Rule::Shared)),
            ("100.63.255.255", None),
            ("100.128.0.0", None),
            ("169.254.169.254", Some(Rule::LinkLocal)),
            ("224.0.0.1", Some(Rule::Multicast)),
            ("239.255.255.250", Some(Rule::Multicast)),
            ("255.255.255.255", Some(Rule::Broadcast)),
            ("240.0.0.1", Some(Rule::Reserved)),
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("93.184.216.34", None),
            ("::ffff:10.0.0.1", Some(Rule::Private)),
            ("::ffff:169.254.169.254", Some(Rule::LinkLocal)),
            ("::ffff:8.8.8.8", None),
            ("64:ff9b::10.0.0.1", Some(Rule::Private)),
            ("64:ff9b::8.8.8.8", None),
            ("fe80::1", Some(Rule::LinkLocal)),
            ("febf::1", Some(Rule::LinkLocal)),
            ("fec0::1", Some(Rule::SiteLocal)),
            ("fc00::1", Some(Rule::UniqueLocal)),
            ("fd00:ec2::254", Some(Rule::UniqueLocal)),
            ("ff02::1", Some(Rule::Multicast)),
            ("2001:4860:4860::8888", None),
            ("2a00:1450:4001:80b::200e", None),
        ];
        for (ip, want) in cases {
            assert_eq!(forbidden(ip.parse().unwrap()), want, "{ip}");
        }
        assert_eq!(rule_of("http://10.1.2.3/"), Some(Rule::Private));
        assert_eq!(rule_of("http://192.168.0.1:8080/"), Some(Rule::Private));
        assert_eq!(
            rule_of("http://169.254.169.254/latest/meta-data/"),
            Some(Rule::LinkLocal)
        );
        assert_eq!(rule_of("http://[fd00::1]/"), Some(Rule::UniqueLocal));
        assert_eq!(rule_of("https://93.184.216.34/"), None);
    }

    #[test]
    fn a_refusal_names_the_address_and_the_rule() {
        let e = check_literal(&url("http://0x7f.1:8080/x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "127.0.0.1 is a loopback address; links, next pages and redirects may not reach \
             local or private addresses (allow_private = true allows it)"
        );
        let e = check_resolved("localhost", &["127.0.0.1".parse().unwrap()]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("localhost resolves to 127.0.0.1, a loopback address;"),
            "{e}"
        );
        assert!(check_resolved("x.invalid", &[]).is_err(), "fails closed");
    }

    #[test]
    fn only_http_and_https_may_be_derived() {
        assert_eq!(
            check_scheme(&url("file:///etc/passwd")),
            Err(Refusal::LocalFile)
        );
        assert!(matches!(
            check_scheme(&url("ftp://example.org/")),
            Err(Refusal::Scheme { .. })
        ));
        assert!(check_scheme(&url("https://example.org/")).is_ok());
    }

    #[test]
    fn same_origin_is_the_same_host_and_port() {
        let c = url("http://127.0.0.1:8080/list");
        assert!(same_origin(&c, &url("http://127.0.0.1:8080/item/1")));
        assert!(!same_origin(&c, &url("http://127.0.0.1:8081/item/1")));
        assert!(!same_origin(&c, &url("http://localhost:8080/item/1")));
        assert!(!same_origin(&c, &url("http://2130706433:8081/")));
        let c = url("http://intranet.example/feed");
        assert!(same_origin(&c, &url("https://intranet.example/feed")));
        assert!(same_origin(&c, &url("http://intranet.example:80/x")));
        assert!(!same_origin(&c, &url("https://intranet.example:8443/feed")));
        assert!(!same_origin(
            &url("https://a.example/"),
            &url("http://a.example/")
        ));
        assert!(!same_origin(
            &url("file:///srv/list.html"),
            &url("file:///etc/passwd")
        ));
    }

    #[test]
    fn the_own_site_ignores_www_and_follow_hosts_adds_others() {
        let list = url("https://www.omct.org/en/resources/urgent-interventions");
        assert!(on_site(&url("https://www.omct.org/en/x"), &list, &[]));
        assert!(on_site(&url("https://omct.org/en/x"), &list, &[]));
        assert!(on_site(&url("http://WWW.OMCT.ORG:8080/x"), &list, &[]));
        assert!(!on_site(&url("https://cdn.omct.org/x"), &list, &[]));
        assert!(!on_site(&url("https://evil.example/x"), &list, &[]));
        assert!(!on_site(
            &url("https://omct.org.evil.example/x"),
            &list,
            &[]
        ));
        let hosts: Vec<String> = [
            "partner.org",
            "*.omct.org",
            "127.0.0.2",
            "[::ffff:127.0.0.1]",
        ]
        .iter()
        .map(|h| parse_follow_host(h).unwrap())
        .collect();
        assert!(on_site(&url("https://cdn.omct.org/x"), &list, &hosts));
        assert!(on_site(&url("https://a.b.omct.org/x"), &list, &hosts));
        assert!(on_site(&url("https://www.partner.org/x"), &list, &hosts));
        assert!(!on_site(&url("https://notomct.org/x"), &list, &hosts));
        assert!(!on_site(&url("https://sub.partner.org/x"), &list, &hosts));
        assert!(on_site(&url("http://127.0.0.2:9/x"), &list, &hosts));
        assert!(on_site(&url("http://[::ffff:7f00:1]/x"), &list, &hosts));
        assert!(!on_site(&url("file:///etc/passwd"), &list, &hosts));
    }

    #[test]
    fn follow_hosts_entries_are_hosts_alone() {
        assert_eq!(parse_follow_host("Partner.ORG").unwrap(), "partner.org");
        assert_eq!(parse_follow_host("*.omct.org").unwrap(), "*.omct.org");
        assert_eq!(parse_follow_host("2130706433").unwrap(), "127.0.0.1");
        assert_eq!(parse_follow_host("[::1]").unwrap(), "[::1]");
        for bad in [
            "",
            "https://partner.org/",
            "partner.org/x",
            "partner.org:8080",
            "*.127.0.0.1",
            "user@host",
        ] {
            assert!(parse_follow_host(bad).is_err(), "{bad}");
        }
    }

    /// A resolver that answers from a table, for tests without real DNS.
    struct Fake(HashMap<&'static str, Vec<IpAddr>>);

    impl Resolve for Fake {
        fn resolve(&self, name: Name) -> Resolving {
            let found = self.0.get(name.as_str()).cloned();
            Box::pin(async move {
                let ips = found.ok_or("no such host")?;
                Ok(Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0))) as Addrs)
            })
        }
    }

    fn guarded(exempt: &[&str]) -> GuardedResolver {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        GuardedResolver::new(
            Arc::new(Fake(HashMap::from([
                ("rebind.example", vec![ip("127.0.0.1")]),
                ("mixed.example", vec![ip("93.184.216.34"), ip("10.0.0.7")]),
                ("metadata.example", vec![ip("::ffff:169.254.169.254")]),
                (
                    "public.example",
                    vec![ip("93.184.216.34"), ip("2606:2800::1")],
                ),
                ("proxy.internal", vec![ip("10.0.0.3")]),
            ]))),
            exempt.iter().map(|s| s.to_string()).collect(),
        )
    }

    async fn resolve(r: &GuardedResolver, host: &str) -> Result<Vec<IpAddr>, String> {
        match r.resolve(host.parse().unwrap()).await {
            Ok(a) => Ok(a.map(|a| a.ip()).collect()),
            Err(e) => Err(match e.downcast_ref::<Refusal>() {
                Some(r) => format!("refused: {r}"),
                None => e.to_string(),
            }),
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_inside() {
        let r = guarded(&[]);
        let e = resolve(&r, "rebind.example").await.unwrap_err();
        assert!(
            e.starts_with("refused: rebind.example resolves to 127.0.0.1, a loopback address"),
            "{e}"
        );
        let e = resolve(&r, "mixed.example").await.unwrap_err();
        assert!(e.contains("resolves to 10.0.0.7, a private address"), "{e}");
        let e = resolve(&r, "metadata.example").await.unwrap_err();
        assert!(e.contains("a link-local address"), "{e}");
        assert_eq!(
            resolve(&r, "public.example").await.unwrap(),
            vec![
                "93.184.216.34".parse::<IpAddr>().unwrap(),
                "2606:2800::1".parse().unwrap()
            ]
        );
        let e = resolve(&r, "nowhere.example").await.unwrap_err();
        assert!(!e.starts_with("refused"), "an ordinary DNS failure: {e}");
        let e = resolve(&r, "proxy.internal").await.unwrap_err();
        assert!(e.contains("10.0.0.3"), "{e}");
        // The configured proxy resolves unchecked.
        let r = guarded(&["proxy.internal"]);
        assert!(resolve(&r, "proxy.internal").await.is_ok());
    }

    #[tokio::test]
    async fn a_host_checked_before_a_proxy_fails_closed() {
        let r = guarded(&[]);
        assert!(r.check_host("public.example").await.is_ok());
        assert!(matches!(
            r.check_host("rebind.example").await,
            Err(Refusal::Address {
                rule: Rule::Loopback,
                ..
            })
        ));
        assert!(matches!(
            r.check_host("nowhere.example").await,
            Err(Refusal::Unresolved { .. })
        ));
    }
}
