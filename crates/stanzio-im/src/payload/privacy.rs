//! The one XEP-0016 (Privacy Lists) element a client must understand even
//! without supporting privacy lists: the push announcing a changed list.
//! ejabberd builds XEP-0191 on privacy lists and pushes one whenever the
//! blocklist changes.

use stanzio_xml::{Element, ElementRef};

use super::{PayloadError, expect};
use crate::NS_PRIVACY;

/// `<query xmlns='jabber:iq:privacy'><list name='…'/></query>` in an IQ set
/// from the user's server: the list `name` changed (XEP-0016 §2.6). Every
/// resource MUST answer it with an empty result; an error answer makes the
/// server treat the resource as broken.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivacyListPush {
    /// The name of the list that changed.
    pub name: String,
}

impl PrivacyListPush {
    /// Reads the push: exactly one `<list/>` with a `name`.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for another element, no or several lists, or a
    /// list without `name`.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        expect(element, "query", NS_PRIVACY)?;
        let mut children = element.children();
        let list = match (children.next(), children.next()) {
            (Some(list), None) => list,
            (None, _) => {
                return Err(PayloadError::MissingChild {
                    element: "query",
                    child: "list",
                });
            }
            (Some(_), Some(extra)) => {
                return Err(PayloadError::UnexpectedChild {
                    element: "query",
                    child: extra.name().to_owned(),
                });
            }
        };
        expect(list, "list", NS_PRIVACY)?;
        let name = list.attr("name").ok_or(PayloadError::MissingAttribute {
            element: "list",
            attribute: "name",
        })?;
        Ok(PrivacyListPush {
            name: name.to_owned(),
        })
    }

    /// Writes the push.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Build`] for a name XML cannot carry.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let list = Element::builder("list", NS_PRIVACY)
            .attr("name", &self.name)
            .build()?;
        Ok(Element::builder("query", NS_PRIVACY).child(list).build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ejabberd_push_is_read() {
        let push = PrivacyListPush {
            name: "Blocked contacts".into(),
        };
        let element = push.to_element().unwrap();
        assert_eq!(PrivacyListPush::from_element(element.root()), Ok(push));
        let empty = Element::builder("query", NS_PRIVACY).build().unwrap();
        assert!(matches!(
            PrivacyListPush::from_element(empty.root()),
            Err(PayloadError::MissingChild { .. })
        ));
        let unnamed = Element::builder("query", NS_PRIVACY)
            .child(Element::builder("list", NS_PRIVACY).build().unwrap())
            .build()
            .unwrap();
        assert!(matches!(
            PrivacyListPush::from_element(unnamed.root()),
            Err(PayloadError::MissingAttribute { .. })
        ));
    }
}
