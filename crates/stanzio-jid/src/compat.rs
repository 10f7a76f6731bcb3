//! Conversions to and from the `jid` crate, for users of `xmpp-parsers`.
//!
//! Both directions re-parse the text: the `jid` crate prepares with the
//! stringprep profiles of RFC 6122, this crate with PRECIS (RFC 7622), and a
//! few strings are valid under one and not the other.

use crate::{BareJid, FullJid, Jid, JidError};

macro_rules! convert {
    ($($ours:ident <-> $theirs:ident),+) => {$(
        impl TryFrom<&$ours> for jid::$theirs {
            type Error = jid::Error;

            fn try_from(ours: &$ours) -> Result<Self, jid::Error> {
                jid::$theirs::new(ours.as_str())
            }
        }

        impl TryFrom<&jid::$theirs> for $ours {
            type Error = JidError;

            fn try_from(theirs: &jid::$theirs) -> Result<Self, JidError> {
                $ours::new(theirs.as_str())
            }
        }
    )+};
}

convert!(Jid <-> Jid, BareJid <-> BareJid, FullJid <-> FullJid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_jid_crate() {
        let ours = Jid::new("Juliet@Example.COM/Balcony").unwrap();
        let theirs = jid::Jid::try_from(&ours).unwrap();
        assert_eq!(theirs.as_str(), "juliet@example.com/Balcony");
        assert_eq!(Jid::try_from(&theirs).unwrap(), ours);

        let bare = BareJid::new("σ@example.com").unwrap();
        let theirs = jid::BareJid::try_from(&bare).unwrap();
        assert_eq!(BareJid::try_from(&theirs).unwrap(), bare);

        let full = FullJid::new("king@example.com/\u{265a}").unwrap();
        let theirs = jid::FullJid::try_from(&full).unwrap();
        assert_eq!(FullJid::try_from(&theirs).unwrap(), full);
    }

    #[test]
    fn what_one_side_refuses_is_an_error() {
        // RFC 6122 nodeprep allows symbols in a localpart; PRECIS does not.
        let theirs = jid::Jid::new("\u{265a}@example.com").unwrap();
        assert!(Jid::try_from(&theirs).is_err());
        // U+0237 (Unicode 4.1) is PVALID for PRECIS but unassigned in the
        // Unicode 3.2 tables of stringprep.
        let ours = Jid::new("\u{237}@example.com").unwrap();
        assert!(jid::Jid::try_from(&ours).is_err());
    }
}
