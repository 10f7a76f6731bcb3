//! The names of the closed sets of values a stanza writes as text: the
//! `type` attributes (RFC 6120 §8.2.3, §8.3.2; RFC 6121 §4.7.1, §5.2.2)
//! and `<show/>` (RFC 6121 §4.7.2.1).

/// Writes `as_str` and [`FromStr`](std::str::FromStr) of a fieldless enum
/// from one list of `Variant => "name"`, so that writing and reading a
/// value cannot disagree; a variant missing from the list fails to
/// compile. A first entry `Variant => None` is a value without a name (the
/// absence of the attribute): `as_str` returns an `Option` and no name
/// reads as it.
macro_rules! value_names {
    (
        $type:ident,
        $(#[$as_str:meta])* as_str,
        $(#[$from_str:meta])* from_str,
        { $unnamed:ident => None, $($variant:ident => $name:literal,)+ }
    ) => {
        impl $type {
            $(#[$as_str])*
            pub fn as_str(self) -> Option<&'static str> {
                match self {
                    $type::$unnamed => None,
                    $($type::$variant => Some($name),)+
                }
            }
        }
        value_names!(@from_str $type, $(#[$from_str])* { $($variant => $name,)+ });
    };
    (
        $type:ident,
        $(#[$as_str:meta])* as_str,
        $(#[$from_str:meta])* from_str,
        { $($variant:ident => $name:literal,)+ }
    ) => {
        impl $type {
            $(#[$as_str])*
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name,)+
                }
            }
        }
        value_names!(@from_str $type, $(#[$from_str])* { $($variant => $name,)+ });
    };
    (@from_str $type:ident, $(#[$from_str:meta])* { $($variant:ident => $name:literal,)+ }) => {
        impl std::str::FromStr for $type {
            type Err = $crate::parse_error::UnknownValue;

            $(#[$from_str])*
            fn from_str(value: &str) -> Result<Self, $crate::parse_error::UnknownValue> {
                match value {
                    $($name => Ok($type::$variant),)+
                    _ => Err($crate::parse_error::UnknownValue),
                }
            }
        }
    };
}

pub(crate) use value_names;

#[cfg(test)]
mod tests {
    use crate::{IqType, MessageType, PresenceType, Show, UnknownValue};

    /// Spelled as RFC 6120 §8.2.3 and RFC 6121 §4.7.1, §4.7.2.1 and §5.2.2
    /// spell them, not taken from the lists the code is written from.
    #[test]
    fn values_are_named_as_the_rfcs_name_them() {
        for (name, value) in [
            ("get", IqType::Get),
            ("set", IqType::Set),
            ("result", IqType::Result),
            ("error", IqType::Error),
        ] {
            assert_eq!(value.as_str(), name);
            assert_eq!(name.parse(), Ok(value));
        }
        for (name, value) in [
            ("chat", MessageType::Chat),
            ("error", MessageType::Error),
            ("groupchat", MessageType::Groupchat),
            ("headline", MessageType::Headline),
            ("normal", MessageType::Normal),
        ] {
            assert_eq!(value.as_str(), name);
            assert_eq!(name.parse(), Ok(value));
        }
        for (name, value) in [
            ("error", PresenceType::Error),
            ("probe", PresenceType::Probe),
            ("subscribe", PresenceType::Subscribe),
            ("subscribed", PresenceType::Subscribed),
            ("unavailable", PresenceType::Unavailable),
            ("unsubscribe", PresenceType::Unsubscribe),
            ("unsubscribed", PresenceType::Unsubscribed),
        ] {
            assert_eq!(value.as_str(), Some(name));
            assert_eq!(name.parse(), Ok(value));
        }
        // RFC 6121 §4.7.1: available is the absence of `type`.
        assert_eq!(PresenceType::Available.as_str(), None);
        assert_eq!("available".parse::<PresenceType>(), Err(UnknownValue));
        for (name, value) in [
            ("away", Show::Away),
            ("chat", Show::Chat),
            ("dnd", Show::Dnd),
            ("xa", Show::Xa),
        ] {
            assert_eq!(value.as_str(), name);
            assert_eq!(name.parse(), Ok(value));
        }
        assert_eq!("Away".parse::<Show>(), Err(UnknownValue));
    }
}
