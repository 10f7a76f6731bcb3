//! `serde` support: a JID is its prepared text.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

use crate::{BareJid, FullJid, Jid, JidError};

/// Parses a borrowed or owned string into one of the JID types with its
/// `from_received`: serialized addresses were received once, and may hold
/// code points that only that constructor accepts (see the crate docs).
struct JidVisitor<T>(fn(&str) -> Result<T, JidError>);

impl<T> Visitor<'_> for JidVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JID string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        (self.0)(value).map_err(E::custom)
    }
}

macro_rules! serde_as_text {
    ($($kind:ident),+) => {$(
        impl Serialize for $kind {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $kind {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(JidVisitor($kind::from_received))
            }
        }
    )+};
}

serde_as_text!(Jid, BareJid, FullJid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jid_is_its_prepared_text() {
        let jid: Jid = "Juliet@Example.COM/Balcony".parse().unwrap();
        let json = serde_json::to_string(&jid).unwrap();
        assert_eq!(json, r#""juliet@example.com/Balcony""#);
        assert_eq!(serde_json::from_str::<Jid>(&json).unwrap(), jid);
        // Unprepared input is prepared on the way in.
        let bare: BareJid = serde_json::from_str(r#""Juliet@Example.COM""#).unwrap();
        assert_eq!(bare.as_str(), "juliet@example.com");
    }

    #[test]
    fn the_kind_is_checked_on_the_way_in() {
        let err = serde_json::from_str::<FullJid>(r#""juliet@example.com""#).unwrap_err();
        assert!(err.to_string().contains("no resourcepart"), "{err}");
        assert!(serde_json::from_str::<Jid>(r#""juliet@""#).is_err());
    }

    #[test]
    fn a_received_jid_deserializes_from_its_text() {
        // U+1F97A (Unicode 11) is accepted by `Jid::from_received` only;
        // a stored copy of such an address must load again.
        let jid = Jid::from_received("room@muc.example/\u{1f97a}").unwrap();
        let json = serde_json::to_string(&jid).unwrap();
        assert_eq!(serde_json::from_str::<Jid>(&json).unwrap(), jid);
        let full: FullJid = serde_json::from_str(&json).unwrap();
        assert_eq!(full.resource(), "\u{1f97a}");
        let err = serde_json::from_str::<BareJid>(&json).unwrap_err();
        assert!(err.to_string().contains("resourcepart"), "{err}");
    }
}
