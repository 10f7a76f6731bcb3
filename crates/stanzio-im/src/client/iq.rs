//! IQ requests in flight: ids from the caller's randomness, responses
//! matched on id and sender (RFC 6120 §8.1.2.1, §10.3.3), deadlines.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use rand_core::CryptoRng;
use stanzio_jid::{FullJid, Jid};

/// The id of an IQ request this crate sent, as the events name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    pub(crate) fn new(id: &str) -> Self {
        RequestId(id.to_owned())
    }

    /// The `id` attribute.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a request was for, so that its response can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A roster get; `versioned` if it carried `ver` (XEP-0237).
    RosterGet {
        versioned: bool,
    },
    RosterSet,
    BlocklistGet,
    Block,
    Unblock,
    Carbons {
        enable: bool,
    },
    DiscoInfo,
    Ping,
    /// The application's own request.
    Custom,
}

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// Where the request went (`None`: to the account, RFC 6120 §10.3.3).
    pub(crate) to: Option<Jid>,
    pub(crate) purpose: Purpose,
    deadline: Instant,
}

/// What became of a response.
#[derive(Debug)]
pub(crate) enum Matched {
    /// No request has this id (or it timed out).
    Unknown,
    /// A request has this id, but went to someone else: the request stays
    /// pending (CVE-2014-0364 class).
    WrongSender { expected: Option<Jid> },
    /// The response to this request.
    Request(Pending),
}

/// The requests in flight.
#[derive(Debug)]
pub(crate) struct IqTracker {
    pending: HashMap<String, Pending>,
    limit: usize,
    timeout: Duration,
}

/// The request would exceed the limit of requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

impl IqTracker {
    pub(crate) fn new(limit: usize, timeout: Duration) -> Self {
        IqTracker {
            pending: HashMap::new(),
            limit,
            timeout,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Records a request to `to` and returns its fresh id.
    pub(crate) fn start(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Instant,
        to: Option<Jid>,
        purpose: Purpose,
    ) -> Result<RequestId, Full> {
        if self.pending.len() >= self.limit {
            return Err(Full);
        }
        let id = loop {
            // 96 bits: unguessable by another entity, so that an answer
            // cannot be forged before the request is seen.
            let mut bytes = [0u8; 12];
            rng.fill_bytes(&mut bytes);
            let id = hex(&bytes);
            if !self.pending.contains_key(&id) {
                break id;
            }
        };
        self.pending.insert(
            id.clone(),
            Pending {
                to,
                purpose,
                deadline: now + self.timeout,
            },
        );
        Ok(RequestId(id))
    }

    /// Matches a response with `id` from `from`, received by `own`.
    pub(crate) fn take(&mut self, id: &str, from: Option<&Jid>, own: &FullJid) -> Matched {
        let Some(pending) = self.pending.get(id) else {
            return Matched::Unknown;
        };
        if !response_sender_ok(pending.to.as_ref(), from, own) {
            return Matched::WrongSender {
                expected: pending.to.clone(),
            };
        }
        match self.pending.remove(id) {
            Some(pending) => Matched::Request(pending),
            None => Matched::Unknown,
        }
    }

    /// The requests whose deadline passed at `now`, removed.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<(RequestId, Pending)> {
        let expired: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        let mut out: Vec<(RequestId, Pending)> = expired
            .into_iter()
            .filter_map(|id| self.pending.remove(&id).map(|p| (RequestId(id), p)))
            .collect();
        out.sort_by(|a, b| a.1.deadline.cmp(&b.1.deadline).then(a.0.cmp(&b.0)));
        out
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.deadline).min()
    }
}

/// Whether a response `from` may answer a request sent to `to` by the
/// client bound to `own` (RFC 6120 §8.1.2.1, §10.3.3):
///
/// | request `to` | accepted `from` |
/// |---|---|
/// | none | none, the own bare JID, the own full JID, the own domain |
/// | the own bare JID | none, the own bare JID |
/// | anything else | exactly that |
///
/// A request without `to` is handled by the server for the account
/// (§10.3.3); servers answer it without `from` (Prosody), from the bare
/// JID (ejabberd), and some from the domain or the full JID. A missing
/// `from` means the account (§8.1.2.1), so it answers only what went to
/// the account.
pub(crate) fn response_sender_ok(to: Option<&Jid>, from: Option<&Jid>, own: &FullJid) -> bool {
    let own_bare = own.to_bare();
    match (to, from) {
        (None, None) => true,
        (None, Some(from)) => {
            *from == own_bare
                || *from == **own
                || (from.node().is_none()
                    && from.resource().is_none()
                    && from.domain() == own.domain())
        }
        (Some(to), from) if *to == own_bare => from.is_none_or(|from| *from == own_bare),
        (Some(to), from) => from == Some(to),
    }
}

/// `bytes` as lowercase hex digits.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    /// The table of RFC 6120 §8.1.2.1 / §10.3.3, one row per case.
    #[test]
    fn who_may_answer_whom() {
        let own: FullJid = "juliet@capulet.lit/balcony".parse().unwrap();
        let none: Option<&str> = None;
        let rows: [(Option<&str>, Option<&str>, bool); 17] = [
            (None, None, true),
            (None, Some("juliet@capulet.lit"), true),
            (None, Some("juliet@capulet.lit/balcony"), true),
            (None, Some("capulet.lit"), true),
            (None, Some("juliet@capulet.lit/chamber"), false),
            (None, Some("romeo@montague.lit"), false),
            (None, Some("montague.lit"), false),
            (Some("juliet@capulet.lit"), None, true),
            (Some("juliet@capulet.lit"), Some("juliet@capulet.lit"), true),
            (Some("juliet@capulet.lit"), Some("capulet.lit"), false),
            (
                Some("juliet@capulet.lit"),
                Some("juliet@capulet.lit/balcony"),
                false,
            ),
            (Some("capulet.lit"), Some("capulet.lit"), true),
            (Some("capulet.lit"), None, false),
            (Some("capulet.lit"), Some("juliet@capulet.lit"), false),
            (
                Some("romeo@montague.lit/orchard"),
                Some("romeo@montague.lit/orchard"),
                true,
            ),
            (
                Some("romeo@montague.lit/orchard"),
                Some("romeo@montague.lit"),
                false,
            ),
            (Some("romeo@montague.lit/orchard"), none, false),
        ];
        for (to, from, ok) in rows {
            let (to, from) = (to.map(jid), from.map(jid));
            assert_eq!(
                response_sender_ok(to.as_ref(), from.as_ref(), &own),
                ok,
                "to {to:?} from {from:?}"
            );
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the starting point of virtual time
    fn ids_are_hex_of_the_injected_randomness() {
        use rand_core::RngCore;
        struct Counting(u8);
        impl RngCore for Counting {
            fn next_u32(&mut self) -> u32 {
                0
            }
            fn next_u64(&mut self) -> u64 {
                0
            }
            fn fill_bytes(&mut self, dst: &mut [u8]) {
                for b in dst {
                    *b = self.0;
                    self.0 = self.0.wrapping_add(0x11);
                }
            }
        }
        impl CryptoRng for Counting {}
        let now = Instant::now();
        let mut tracker = IqTracker::new(2, Duration::from_secs(5));
        let id = tracker
            .start(&mut Counting(0), now, None, Purpose::Ping)
            .unwrap();
        assert_eq!(id.as_str(), "00112233445566778899aabb");
        // The same bytes again collide with the pending id: drawn anew.
        let again = tracker
            .start(&mut Counting(0), now, None, Purpose::Ping)
            .unwrap();
        assert_ne!(again, id);
        assert_eq!(
            tracker.start(&mut Counting(0x40), now, None, Purpose::Ping),
            Err(Full)
        );
        assert_eq!(tracker.len(), 2);
        assert_eq!(tracker.next_deadline(), Some(now + Duration::from_secs(5)));
        assert!(tracker.expire(now + Duration::from_secs(4)).is_empty());
        assert_eq!(tracker.expire(now + Duration::from_secs(5)).len(), 2);
        assert_eq!(tracker.len(), 0);
    }
}
