//! Where to connect for a domain: the order of DNS SRV records (RFC 6120
//! §3.2.1, RFC 2782, XEP-0368 §3) and the fallback without them (RFC 6120
//! §3.2.2). The lookup itself is the runtime's (stanzio-tokio uses
//! hickory-resolver); the ordering is here, without I/O, so both adapters
//! and their tests share it.

use rand_core::RngCore;

// Kept at its old path for the adapters and their users; the machine
// parses `see-other-host` with the same function.
pub use stanzio_stream::split_host_port;

/// The port RFC 6120 §3.2.2 falls back to when a domain has no
/// `_xmpp-client._tcp` records.
pub const CLIENT_PORT: u16 = 5222;

/// One endpoint to try: a host (name or IP literal), a port and whether
/// TLS starts on the first byte (XEP-0368 direct TLS) or after STARTTLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// A host name or an IP address literal (without brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// TLS from the first byte (an `_xmpps-client._tcp` record) instead of
    /// STARTTLS.
    pub direct_tls: bool,
}

impl Endpoint {
    /// An endpoint speaking STARTTLS (RFC 6120 §5).
    pub fn starttls(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            host: host.into(),
            port,
            direct_tls: false,
        }
    }

    /// An endpoint speaking TLS from the first byte (XEP-0368).
    pub fn direct_tls(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            host: host.into(),
            port,
            direct_tls: true,
        }
    }

    /// RFC 6120 §3.2.2: without SRV records, the domain itself on 5222.
    pub fn fallback(domain: &str) -> Self {
        Endpoint::starttls(domain, CLIENT_PORT)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tls = if self.direct_tls {
            "direct TLS"
        } else {
            "STARTTLS"
        };
        if self.host.contains(':') {
            write!(f, "[{}]:{} ({tls})", self.host, self.port)
        } else {
            write!(f, "{}:{} ({tls})", self.host, self.port)
        }
    }
}

/// One SRV answer (RFC 2782), from either service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among records of the same priority.
    pub weight: u16,
    /// The port.
    pub port: u16,
    /// The target host, without the trailing dot; `"."` or empty means
    /// "no service here" (RFC 2782).
    pub target: String,
    /// Whether it came from `_xmpps-client._tcp` (XEP-0368).
    pub direct_tls: bool,
}

/// The domain publishes SRV records, all with the target `.`: the service
/// is "decidedly not available" (RFC 2782), and RFC 6120 §3.2.1 forbids
/// falling back to the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the domain says it offers no XMPP client service (SRV target \".\")")]
pub struct ServiceUnavailable;

/// Orders the records of `_xmpp-client._tcp` and `_xmpps-client._tcp`
/// together, as XEP-0368 §3 rule 1 asks ("all priorities and weights are
/// mixed"): ascending priority, and within one priority the weighted
/// random order of RFC 2782. Records with the target `.` are dropped.
///
/// # Errors
///
/// [`ServiceUnavailable`] when records exist and every one has the target
/// `.`. An empty `records` gives an empty list: the caller then falls back
/// to [`Endpoint::fallback`].
pub fn order_srv(
    records: Vec<SrvRecord>,
    rng: &mut impl RngCore,
) -> Result<Vec<Endpoint>, ServiceUnavailable> {
    let had_records = !records.is_empty();
    let mut records: Vec<SrvRecord> = records
        .into_iter()
        .filter(|record| !record.target.is_empty() && record.target != ".")
        .collect();
    if had_records && records.is_empty() {
        return Err(ServiceUnavailable);
    }
    records.sort_by_key(|record| record.priority);
    let mut ordered = Vec::with_capacity(records.len());
    let mut rest = records.as_slice();
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|record| record.priority == first.priority)
            .count();
        let (group, after) = rest.split_at(same);
        weighted_order(group.to_vec(), rng, &mut ordered);
        rest = after;
    }
    Ok(ordered)
}

/// RFC 2782 "Usage rules": zero-weight records first in the list, then
/// repeatedly a random number in `0..=sum` of the remaining weights picks
/// the first record whose running sum reaches it.
fn weighted_order(mut group: Vec<SrvRecord>, rng: &mut impl RngCore, out: &mut Vec<Endpoint>) {
    group.sort_by_key(|record| record.weight != 0);
    while !group.is_empty() {
        let total: u64 = group.iter().map(|record| u64::from(record.weight)).sum();
        let pick = rng.next_u64() % (total + 1);
        let mut running = 0u64;
        let index = group
            .iter()
            .position(|record| {
                running += u64::from(record.weight);
                running >= pick
            })
            .unwrap_or(0);
        let record = group.remove(index);
        out.push(Endpoint {
            host: record.target,
            port: record.port,
            direct_tls: record.direct_tls,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic source for the weighted choice.
    struct Sequence(Vec<u64>);

    impl RngCore for Sequence {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            if self.0.is_empty() {
                0
            } else {
                self.0.remove(0)
            }
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(0);
        }
    }

    fn record(priority: u16, weight: u16, target: &str, direct_tls: bool) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port: if direct_tls { 5223 } else { 5222 },
            target: target.to_owned(),
            direct_tls,
        }
    }

    fn hosts(endpoints: &[Endpoint]) -> Vec<(&str, bool)> {
        endpoints
            .iter()
            .map(|e| (e.host.as_str(), e.direct_tls))
            .collect()
    }

    #[test]
    fn both_services_mix_by_priority() {
        let records = vec![
            record(20, 0, "late.example", false),
            record(5, 0, "tls.example", true),
            record(10, 0, "starttls.example", false),
        ];
        let ordered = order_srv(records, &mut Sequence(vec![])).unwrap();
        assert_eq!(
            hosts(&ordered),
            [
                ("tls.example", true),
                ("starttls.example", false),
                ("late.example", false)
            ]
        );
        assert_eq!(ordered[0].port, 5223);
    }

    #[test]
    fn weights_pick_by_running_sum() {
        // Weights 10 and 30 after sorting; a draw of 11 passes the first
        // (running sum 10) and lands on the second (40).
        let records = vec![record(0, 10, "a", false), record(0, 30, "b", true)];
        let ordered = order_srv(records.clone(), &mut Sequence(vec![11, 0])).unwrap();
        assert_eq!(hosts(&ordered), [("b", true), ("a", false)]);
        // A draw of 10 stays on the first.
        let ordered = order_srv(records, &mut Sequence(vec![10, 0])).unwrap();
        assert_eq!(hosts(&ordered), [("a", false), ("b", true)]);
    }

    #[test]
    fn zero_weight_records_come_first_in_the_draw_list() {
        // A draw of 0 selects the zero-weight record, listed first.
        let records = vec![record(0, 50, "heavy", false), record(0, 0, "zero", false)];
        let ordered = order_srv(records.clone(), &mut Sequence(vec![0, 0])).unwrap();
        assert_eq!(hosts(&ordered), [("zero", false), ("heavy", false)]);
        // Any draw above 0 selects the weighted one.
        let ordered = order_srv(records, &mut Sequence(vec![1, 0])).unwrap();
        assert_eq!(hosts(&ordered), [("heavy", false), ("zero", false)]);
    }

    #[test]
    fn weights_share_the_draws_in_proportion() {
        let mut rng = crate::OsRng::new();
        let mut heavy_first = 0;
        for _ in 0..2000 {
            let records = vec![record(0, 1, "light", false), record(0, 9, "heavy", false)];
            if order_srv(records, &mut rng).unwrap()[0].host == "heavy" {
                heavy_first += 1;
            }
        }
        // Expected 9/11 of the draws (weights 1 and 9 over 0..=10).
        assert!((1500..1800).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn a_dot_target_means_no_service() {
        let records = vec![record(0, 0, ".", false)];
        assert_eq!(
            order_srv(records, &mut Sequence(vec![])),
            Err(ServiceUnavailable)
        );
        let records = vec![record(0, 0, ".", false), record(1, 0, "ok", true)];
        let ordered = order_srv(records, &mut Sequence(vec![])).unwrap();
        assert_eq!(hosts(&ordered), [("ok", true)]);
        assert_eq!(order_srv(vec![], &mut Sequence(vec![])), Ok(vec![]));
    }

    #[test]
    fn fallback_is_the_domain_on_5222_with_starttls() {
        assert_eq!(
            Endpoint::fallback("example.org"),
            Endpoint::starttls("example.org", 5222)
        );
    }

    #[test]
    fn endpoints_display_with_brackets_for_ipv6() {
        assert_eq!(
            Endpoint::direct_tls("::1", 5223).to_string(),
            "[::1]:5223 (direct TLS)"
        );
        assert_eq!(
            Endpoint::starttls("a.example", 5222).to_string(),
            "a.example:5222 (STARTTLS)"
        );
    }
}
