//! The messages recently sent, so that an error message can be tied back
//! to the one it answers (RFC 6120 §8.3: an error keeps the `id`).

use std::collections::VecDeque;

use stanzio_jid::Jid;

/// The last `limit` messages sent: id and recipient.
#[derive(Debug, Clone)]
pub(crate) struct SentMessages {
    sent: VecDeque<(String, Jid)>,
    limit: usize,
}

impl SentMessages {
    pub(crate) fn new(limit: usize) -> Self {
        SentMessages {
            sent: VecDeque::new(),
            limit,
        }
    }

    /// Remembers a message `id` sent to `to`, forgetting the oldest one
    /// beyond the limit.
    pub(crate) fn record(&mut self, id: String, to: Jid) {
        if self.limit == 0 {
            return;
        }
        if self.sent.len() >= self.limit {
            self.sent.pop_front();
        }
        self.sent.push_back((id, to));
    }

    /// The recipient of the message `id` that an error `from` answers, if
    /// that error may answer it: from the recipient's account, its domain
    /// (a server on its behalf), or without `from` (the user's own server,
    /// RFC 6120 §8.1.2.1).
    pub(crate) fn take_error(
        &mut self,
        id: &str,
        from: Option<&Jid>,
        own_domain: &str,
    ) -> Option<Jid> {
        let index = self.sent.iter().position(|(sent, to)| {
            sent == id
                && from.is_none_or(|from| {
                    from.to_bare() == to.to_bare()
                        || (from.node().is_none()
                            && from.resource().is_none()
                            && (from.domain() == to.domain() || from.domain() == own_domain))
                })
        })?;
        self.sent.remove(index).map(|(_, to)| to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn an_error_is_tied_back_only_by_someone_who_may_send_it() {
        let mut sent = SentMessages::new(2);
        sent.record("m1".into(), jid("romeo@montague.lit"));
        // Neither a stranger, nor another domain, nor a resource of the
        // recipient's domain (a server speaks from the bare domain).
        for stranger in [
            "mallory@evil.example",
            "evil.example",
            "montague.lit/component",
        ] {
            assert_eq!(
                sent.take_error("m1", Some(&jid(stranger)), "capulet.lit"),
                None,
                "{stranger}"
            );
        }
        assert_eq!(sent.take_error("m2", None, "capulet.lit"), None);
        assert_eq!(
            sent.take_error(
                "m1",
                Some(&jid("romeo@montague.lit/orchard")),
                "capulet.lit"
            ),
            Some(jid("romeo@montague.lit"))
        );
        // Taken once.
        assert_eq!(sent.take_error("m1", None, "capulet.lit"), None);
        sent.record("m2".into(), jid("romeo@montague.lit"));
        assert_eq!(
            sent.take_error("m2", Some(&jid("montague.lit")), "capulet.lit"),
            Some(jid("romeo@montague.lit"))
        );
        sent.record("m3".into(), jid("romeo@montague.lit"));
        assert_eq!(
            sent.take_error("m3", Some(&jid("capulet.lit")), "capulet.lit"),
            Some(jid("romeo@montague.lit"))
        );
    }

    #[test]
    fn only_the_last_messages_are_kept() {
        let mut sent = SentMessages::new(2);
        for id in ["a", "b", "c"] {
            sent.record(id.into(), jid("romeo@montague.lit"));
        }
        assert_eq!(sent.take_error("a", None, "x"), None);
        assert!(sent.take_error("b", None, "x").is_some());
        assert!(sent.take_error("c", None, "x").is_some());
    }
}
