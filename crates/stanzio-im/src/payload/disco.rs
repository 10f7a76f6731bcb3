//! XEP-0030 Service Discovery: `<query xmlns='http://jabber.org/protocol/disco#info'/>`.

use stanzio_xml::{Element, ElementRef, NS_XML};

use super::{PayloadError, expect};
use crate::NS_DISCO_INFO;

/// An `<identity/>` (XEP-0030 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// `category`, such as `server` or `account`.
    pub category: String,
    /// `type`, such as `im` or `registered`.
    pub type_: String,
    /// `name`.
    pub name: Option<String>,
    /// `xml:lang` of the name.
    pub lang: Option<String>,
}

impl Identity {
    /// An identity without name.
    pub fn new(category: impl Into<String>, type_: impl Into<String>) -> Self {
        Identity {
            category: category.into(),
            type_: type_.into(),
            name: None,
            lang: None,
        }
    }

    /// Sets the name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A disco#info query (empty, with an optional `node`) or its result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoInfo {
    /// `node` (XEP-0030 §3.2).
    pub node: Option<String>,
    /// The identities.
    pub identities: Vec<Identity>,
    /// The `var` of each `<feature/>`, each once.
    pub features: Vec<String>,
    /// Extended information (XEP-0128 data forms), kept as elements.
    pub extensions: Vec<Element>,
}

impl DiscoInfo {
    /// An empty query (what a request carries), for `node` if given.
    pub fn query(node: Option<String>) -> Self {
        DiscoInfo {
            node,
            ..DiscoInfo::default()
        }
    }

    /// Whether `feature` is advertised.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// Reads the `<query/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for another element, an identity without
    /// `category` or `type`, a feature without `var` or twice (XEP-0030
    /// §3.1 forbids both).
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        expect(element, "query", NS_DISCO_INFO)?;
        let mut info = DiscoInfo {
            node: element.attr("node").map(str::to_owned),
            ..DiscoInfo::default()
        };
        for child in element.children() {
            match (child.ns(), child.name()) {
                (NS_DISCO_INFO, "identity") => {
                    let attr = |attribute| {
                        child.attr(attribute).map(str::to_owned).ok_or(
                            PayloadError::MissingAttribute {
                                element: "identity",
                                attribute,
                            },
                        )
                    };
                    info.identities.push(Identity {
                        category: attr("category")?,
                        type_: attr("type")?,
                        name: child.attr("name").map(str::to_owned),
                        lang: child.lang().map(str::to_owned),
                    });
                }
                (NS_DISCO_INFO, "feature") => {
                    let var = child.attr("var").ok_or(PayloadError::MissingAttribute {
                        element: "feature",
                        attribute: "var",
                    })?;
                    if info.has_feature(var) {
                        return Err(PayloadError::Duplicate {
                            element: "query",
                            what: "feature",
                            value: var.to_owned(),
                        });
                    }
                    info.features.push(var.to_owned());
                }
                _ => info.extensions.push(child.to_owned()),
            }
        }
        Ok(info)
    }

    /// Writes the `<query/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Build`] for a value XML cannot carry.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let mut query = Element::builder("query", NS_DISCO_INFO);
        if let Some(node) = &self.node {
            query = query.attr("node", node);
        }
        for identity in &self.identities {
            let mut e = Element::builder("identity", NS_DISCO_INFO)
                .attr("category", &identity.category)
                .attr("type", &identity.type_);
            if let Some(name) = &identity.name {
                e = e.attr("name", name);
            }
            if let Some(lang) = &identity.lang {
                e = e.attr_ns(NS_XML, "lang", lang);
            }
            query = query.child(e.build()?);
        }
        for feature in &self.features {
            query = query.child(
                Element::builder("feature", NS_DISCO_INFO)
                    .attr("var", feature)
                    .build()?,
            );
        }
        for extension in &self.extensions {
            query = query.child(extension.clone());
        }
        Ok(query.build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_answer_as_recorded_is_read() {
        let query = Element::builder("query", NS_DISCO_INFO)
            .child(
                Element::builder("identity", NS_DISCO_INFO)
                    .attr("type", "im")
                    .attr("category", "server")
                    .attr("name", "Prosody")
                    .build()
                    .unwrap(),
            )
            .child(
                Element::builder("feature", NS_DISCO_INFO)
                    .attr("var", "urn:xmpp:blocking")
                    .build()
                    .unwrap(),
            )
            .child(
                Element::builder("x", "jabber:x:data")
                    .attr("type", "result")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let info = DiscoInfo::from_element(query.root()).unwrap();
        assert_eq!(
            info.identities,
            [Identity::new("server", "im").with_name("Prosody")]
        );
        assert!(info.has_feature("urn:xmpp:blocking"));
        assert!(!info.has_feature("urn:xmpp:carbons:2"));
        assert_eq!(info.extensions.len(), 1);
        assert_eq!(
            DiscoInfo::from_element(info.to_element().unwrap().root()),
            Ok(info)
        );
    }

    #[test]
    fn identities_and_features_need_their_attributes() {
        for (child, attrs) in [
            ("identity", vec![("category", "server")]),
            ("identity", vec![("type", "im")]),
            ("feature", vec![]),
        ] {
            let mut b = Element::builder(child, NS_DISCO_INFO);
            for (k, v) in attrs {
                b = b.attr(k, v);
            }
            let query = Element::builder("query", NS_DISCO_INFO)
                .child(b.build().unwrap())
                .build()
                .unwrap();
            assert!(matches!(
                DiscoInfo::from_element(query.root()),
                Err(PayloadError::MissingAttribute { .. })
            ));
        }
        let feature = || {
            Element::builder("feature", NS_DISCO_INFO)
                .attr("var", "urn:xmpp:ping")
                .build()
                .unwrap()
        };
        let twice = Element::builder("query", NS_DISCO_INFO)
            .child(feature())
            .child(feature())
            .build()
            .unwrap();
        assert!(matches!(
            DiscoInfo::from_element(twice.root()),
            Err(PayloadError::Duplicate { .. })
        ));
    }
}
