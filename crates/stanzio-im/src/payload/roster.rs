//! `<query xmlns='jabber:iq:roster'/>` (RFC 6121 §2.1).

use std::str::FromStr;

use stanzio_jid::{BareJid, JidError};
use stanzio_xml::{Element, ElementRef};

use super::{PayloadError, boolean, expect, jid_attr};
use crate::NS_ROSTER;

/// The `subscription` attribute of a roster item (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Subscription {
    /// Neither side is subscribed to the other's presence.
    #[default]
    None,
    /// The user is subscribed to the contact's presence.
    To,
    /// The contact is subscribed to the user's presence.
    From,
    /// Both.
    Both,
    /// In a roster set: delete the item; in a push: it was deleted
    /// (RFC 6121 §2.5).
    Remove,
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
            Subscription::Remove => "remove",
        }
    }

    /// Whether the user receives the contact's presence (`to`, `both`).
    pub fn has_to(self) -> bool {
        matches!(self, Subscription::To | Subscription::Both)
    }

    /// Whether the contact receives the user's presence (`from`, `both`).
    pub fn has_from(self) -> bool {
        matches!(self, Subscription::From | Subscription::Both)
    }
}

/// A `subscription` value RFC 6121 §2.1.2.5 does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown subscription value {0:?}")]
pub struct UnknownSubscription(pub String);

impl FromStr for Subscription {
    type Err = UnknownSubscription;

    fn from_str(value: &str) -> Result<Self, UnknownSubscription> {
        Ok(match value {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            "remove" => Subscription::Remove,
            _ => return Err(UnknownSubscription(value.to_owned())),
        })
    }
}

/// One `<item/>` of a roster (RFC 6121 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RosterItem {
    /// `jid`: the contact. Roster items are bare JIDs here; an item with a
    /// resourcepart is refused as invalid.
    pub jid: BareJid,
    /// `name`: the user's handle for the contact.
    pub name: Option<String>,
    /// `subscription`.
    pub subscription: Subscription,
    /// `ask='subscribe'`: the user's request to the contact is pending
    /// (RFC 6121 §2.1.2.2).
    pub ask: bool,
    /// `approved='true'`: the user pre-approved the contact's request
    /// (RFC 6121 §2.1.2.1, §3.4).
    pub approved: bool,
    /// `<group/>`s, in document order, each at most once (§2.1.2.4).
    pub groups: Vec<String>,
}

impl RosterItem {
    /// An item for `jid` with subscription `none` and nothing else.
    pub fn new(jid: BareJid) -> Self {
        RosterItem {
            jid,
            name: None,
            subscription: Subscription::None,
            ask: false,
            approved: false,
            groups: Vec::new(),
        }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a group.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// A removal (`subscription='remove'`) of `jid` (RFC 6121 §2.5).
    pub fn remove(jid: BareJid) -> Self {
        RosterItem {
            subscription: Subscription::Remove,
            ..RosterItem::new(jid)
        }
    }

    /// Reads an `<item/>` in `jabber:iq:roster`.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for a missing or full JID, an unknown
    /// `subscription` or `ask`, an empty or repeated group (§2.1.2.4,
    /// §2.3.3), or an unexpected child.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        expect(element, "item", NS_ROSTER)?;
        let jid = jid_attr(element, "item")?;
        let jid = BareJid::try_from(jid.clone()).map_err(|source: JidError| {
            PayloadError::InvalidJid {
                element: "item",
                value: jid.as_str().to_owned(),
                source,
            }
        })?;
        let subscription = match element.attr("subscription") {
            None => Subscription::None,
            Some(value) => value.parse().map_err(|_| PayloadError::InvalidValue {
                element: "item",
                what: "subscription",
                value: value.to_owned(),
            })?,
        };
        // RFC 6121 §2.1.2.2: `subscribe` is the only value.
        let ask = match element.attr("ask") {
            None => false,
            Some("subscribe") => true,
            Some(value) => {
                return Err(PayloadError::InvalidValue {
                    element: "item",
                    what: "ask",
                    value: value.to_owned(),
                });
            }
        };
        let approved = element
            .attr("approved")
            .map(|value| boolean("item", "approved", value))
            .transpose()?
            .unwrap_or(false);
        let mut groups: Vec<String> = Vec::new();
        for child in element.children() {
            if !child.is("group", NS_ROSTER) {
                return Err(PayloadError::UnexpectedChild {
                    element: "item",
                    child: child.name().to_owned(),
                });
            }
            let group = child.text();
            if group.is_empty() {
                return Err(PayloadError::InvalidValue {
                    element: "group",
                    what: "text",
                    value: String::new(),
                });
            }
            if groups.iter().any(|g| *g == group) {
                return Err(PayloadError::Duplicate {
                    element: "item",
                    what: "group",
                    value: group.into_owned(),
                });
            }
            groups.push(group.into_owned());
        }
        Ok(RosterItem {
            jid,
            name: element.attr("name").map(str::to_owned),
            subscription,
            ask,
            approved,
            groups,
        })
    }

    /// Writes the `<item/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Build`] for a name or group XML cannot carry.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let mut item = Element::builder("item", NS_ROSTER).attr("jid", self.jid.as_str());
        if let Some(name) = &self.name {
            item = item.attr("name", name);
        }
        // `none` is the default (§2.1.2.5); a roster set leaves it out.
        if self.subscription != Subscription::None {
            item = item.attr("subscription", self.subscription.as_str());
        }
        if self.ask {
            item = item.attr("ask", "subscribe");
        }
        if self.approved {
            item = item.attr("approved", "true");
        }
        for group in &self.groups {
            item = item.child(Element::builder("group", NS_ROSTER).text(group).build()?);
        }
        Ok(item.build()?)
    }
}

/// `<query xmlns='jabber:iq:roster'/>`: a roster get, result, set or push
/// (RFC 6121 §2.1), with the XEP-0237 `ver`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterQuery {
    /// `ver` (XEP-0237 §3): the version a client has (in a get; empty for
    /// "none yet") or the server's version (in a result or push).
    pub ver: Option<String>,
    /// The items.
    pub items: Vec<RosterItem>,
}

impl RosterQuery {
    /// A roster get: `ver` is the cached version to ask for changes since
    /// (`Some("")` when versioning without a cache, XEP-0237 §3.1), or
    /// `None` without versioning.
    pub fn get(ver: Option<String>) -> Self {
        RosterQuery {
            ver,
            items: Vec::new(),
        }
    }

    /// A roster set or push of one item.
    pub fn single(item: RosterItem) -> Self {
        RosterQuery {
            ver: None,
            items: vec![item],
        }
    }

    /// Reads a `<query xmlns='jabber:iq:roster'/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for another element, a child other than `<item/>`,
    /// an invalid item, or the same JID twice.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        expect(element, "query", NS_ROSTER)?;
        let mut items: Vec<RosterItem> = Vec::new();
        for child in element.children() {
            let item = RosterItem::from_element(child)?;
            if items.iter().any(|i| i.jid == item.jid) {
                return Err(PayloadError::Duplicate {
                    element: "query",
                    what: "item",
                    value: item.jid.as_str().to_owned(),
                });
            }
            items.push(item);
        }
        Ok(RosterQuery {
            ver: element.attr("ver").map(str::to_owned),
            items,
        })
    }

    /// Writes the `<query/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Build`] for a value XML cannot carry.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let mut query = Element::builder("query", NS_ROSTER);
        if let Some(ver) = &self.ver {
            query = query.attr("ver", ver);
        }
        for item in &self.items {
            query = query.child(item.to_element()?);
        }
        Ok(query.build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml_items: Element) -> Result<RosterQuery, PayloadError> {
        RosterQuery::from_element(xml_items.root())
    }

    fn item(attrs: &[(&str, &str)], groups: &[&str]) -> Element {
        let mut b = Element::builder("item", NS_ROSTER);
        for (k, v) in attrs {
            b = b.attr(k, v);
        }
        for g in groups {
            b = b.child(
                Element::builder("group", NS_ROSTER)
                    .text(g)
                    .build()
                    .unwrap(),
            );
        }
        b.build().unwrap()
    }

    fn query(items: Vec<Element>) -> Element {
        let mut b = Element::builder("query", NS_ROSTER).attr("ver", "3");
        for i in items {
            b = b.child(i);
        }
        b.build().unwrap()
    }

    #[test]
    fn the_rfc_6121_example_item_is_read() {
        // RFC 6121 §2.1.4 example (the first item).
        let q = parse(query(vec![item(
            &[
                ("jid", "romeo@example.net"),
                ("name", "Romeo"),
                ("subscription", "both"),
            ],
            &["Friends"],
        )]))
        .unwrap();
        assert_eq!(q.ver.as_deref(), Some("3"));
        let romeo = &q.items[0];
        assert_eq!(romeo.jid.as_str(), "romeo@example.net");
        assert_eq!(romeo.name.as_deref(), Some("Romeo"));
        assert_eq!(romeo.subscription, Subscription::Both);
        assert_eq!(romeo.groups, ["Friends"]);
        assert!(!romeo.ask && !romeo.approved);
    }

    #[test]
    fn ask_and_approved_are_read_as_specified() {
        let q = parse(query(vec![item(
            &[("jid", "a@b"), ("ask", "subscribe"), ("approved", "1")],
            &[],
        )]))
        .unwrap();
        assert!(q.items[0].ask && q.items[0].approved);
        assert_eq!(q.items[0].subscription, Subscription::None);
        for (attr, value) in [
            ("ask", "unsubscribe"),
            ("approved", "yes"),
            ("subscription", "all"),
        ] {
            let err = parse(query(vec![item(&[("jid", "a@b"), (attr, value)], &[])])).unwrap_err();
            assert!(
                matches!(err, PayloadError::InvalidValue { what, .. } if what == attr),
                "{attr}={value}: {err:?}"
            );
        }
    }

    #[test]
    fn bad_items_are_refused() {
        let cases = [
            (item(&[("name", "x")], &[]), "missing jid"),
            (item(&[("jid", "a@b/c")], &[]), "full jid"),
            (item(&[("jid", "@b")], &[]), "no jid"),
            (item(&[("jid", "a@b")], &["g", "g"]), "duplicate group"),
            (item(&[("jid", "a@b")], &[""]), "empty group"),
        ];
        for (element, why) in cases {
            assert!(parse(query(vec![element])).is_err(), "{why}");
        }
        let twice = query(vec![
            item(&[("jid", "a@b")], &[]),
            item(&[("jid", "A@b")], &[]),
        ]);
        assert!(matches!(
            parse(twice),
            Err(PayloadError::Duplicate { what: "item", .. })
        ));
        let stranger = Element::builder("query", "jabber:iq:private")
            .build()
            .unwrap();
        assert!(matches!(
            parse(stranger),
            Err(PayloadError::UnexpectedElement { .. })
        ));
        let child = query(vec![Element::builder("x", "urn:x").build().unwrap()]);
        assert!(parse(child).is_err());
    }

    #[test]
    fn none_is_left_out_when_written() {
        let written = RosterItem::new("a@b".parse().unwrap())
            .to_element()
            .unwrap();
        assert_eq!(written.attr("subscription"), None);
        let removal = RosterItem::remove("a@b".parse().unwrap())
            .to_element()
            .unwrap();
        assert_eq!(removal.attr("subscription"), Some("remove"));
    }

    #[test]
    fn subscription_names_round_trip() {
        for s in [
            Subscription::None,
            Subscription::To,
            Subscription::From,
            Subscription::Both,
            Subscription::Remove,
        ] {
            assert_eq!(s.as_str().parse::<Subscription>().unwrap(), s);
        }
        assert!(Subscription::Both.has_to() && Subscription::Both.has_from());
        assert!(Subscription::To.has_to() && !Subscription::To.has_from());
        assert!(!Subscription::From.has_to() && Subscription::From.has_from());
        assert!(!Subscription::None.has_to() && !Subscription::Remove.has_from());
    }
}
