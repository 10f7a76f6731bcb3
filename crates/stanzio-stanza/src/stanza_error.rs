//! Stanza errors (RFC 6120 §8.3): the `<error/>` child of a stanza of type
//! `error`.

use std::fmt;

use compact_str::CompactString;
use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef, NS_XML, XmlWriter};

use crate::NS_STANZAS;
use crate::attributes::parse_jid;
use crate::error_body::{ErrorKind, condition_name, error_body, named_condition};
use crate::parse_error::Malformed;
use crate::text::LangMap;
use crate::value_names::value_names;

/// The `type` attribute of `<error/>` (RFC 6120 §8.3.2): what the sender
/// should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry: the error cannot be remedied.
    Cancel,
    /// Proceed: the condition was only a warning.
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting: the error is temporary.
    Wait,
}

value_names! {
    ErrorType,
    /// The attribute value.
    as_str,
    /// The type named `value`, if it is one of the five.
    from_str,
    {
        Auth => "auth",
        Cancel => "cancel",
        Continue => "continue",
        Modify => "modify",
        Wait => "wait",
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stanza error condition: every one RFC 6120 §8.3.3 defines, plus
/// [`Other`](Self::Other) for conditions a server invents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// §8.3.3.1 `bad-request`: the request is malformed.
    BadRequest,
    /// §8.3.3.2 `conflict`: a resource or session with that name exists.
    Conflict,
    /// §8.3.3.3 `feature-not-implemented`.
    FeatureNotImplemented,
    /// §8.3.3.4 `forbidden`: the requester lacks the permissions.
    Forbidden,
    /// §8.3.3.5 `gone`: the recipient is no longer at this address; the
    /// element may carry the new address (an XMPP URI).
    Gone(Option<String>),
    /// §8.3.3.6 `internal-server-error`.
    InternalServerError,
    /// §8.3.3.7 `item-not-found`.
    ItemNotFound,
    /// §8.3.3.8 `jid-malformed`: a JID in the stanza violates RFC 7622.
    JidMalformed,
    /// §8.3.3.9 `not-acceptable`: the request violates a local policy on
    /// its content.
    NotAcceptable,
    /// §8.3.3.10 `not-allowed`: no entity may perform this action.
    NotAllowed,
    /// §8.3.3.11 `not-authorized`: authentication is needed first.
    NotAuthorized,
    /// §8.3.3.12 `policy-violation`.
    PolicyViolation,
    /// §8.3.3.13 `recipient-unavailable`: temporarily unavailable.
    RecipientUnavailable,
    /// §8.3.3.14 `redirect`: send the request to the alternate address the
    /// element may carry (an XMPP URI).
    Redirect(Option<String>),
    /// §8.3.3.15 `registration-required`.
    RegistrationRequired,
    /// §8.3.3.16 `remote-server-not-found`.
    RemoteServerNotFound,
    /// §8.3.3.17 `remote-server-timeout`.
    RemoteServerTimeout,
    /// §8.3.3.18 `resource-constraint`: the server is too busy.
    ResourceConstraint,
    /// §8.3.3.19 `service-unavailable`.
    ServiceUnavailable,
    /// §8.3.3.20 `subscription-required`.
    SubscriptionRequired,
    /// §8.3.3.21 `undefined-condition`: see the application-specific
    /// element.
    UndefinedCondition,
    /// §8.3.3.22 `unexpected-request`: out of order.
    UnexpectedRequest,
    /// A condition element in the stanzas namespace that RFC 6120 does not
    /// define (such as RFC 3920's `payment-required`); the local name.
    Other(String),
}

/// The conditions without data, by name, for parsing and writing.
const SIMPLE_CONDITIONS: [(&str, Condition); 20] = [
    ("bad-request", Condition::BadRequest),
    ("conflict", Condition::Conflict),
    ("feature-not-implemented", Condition::FeatureNotImplemented),
    ("forbidden", Condition::Forbidden),
    ("internal-server-error", Condition::InternalServerError),
    ("item-not-found", Condition::ItemNotFound),
    ("jid-malformed", Condition::JidMalformed),
    ("not-acceptable", Condition::NotAcceptable),
    ("not-allowed", Condition::NotAllowed),
    ("not-authorized", Condition::NotAuthorized),
    ("policy-violation", Condition::PolicyViolation),
    ("recipient-unavailable", Condition::RecipientUnavailable),
    ("registration-required", Condition::RegistrationRequired),
    ("remote-server-not-found", Condition::RemoteServerNotFound),
    ("remote-server-timeout", Condition::RemoteServerTimeout),
    ("resource-constraint", Condition::ResourceConstraint),
    ("service-unavailable", Condition::ServiceUnavailable),
    ("subscription-required", Condition::SubscriptionRequired),
    ("undefined-condition", Condition::UndefinedCondition),
    ("unexpected-request", Condition::UnexpectedRequest),
];

impl Condition {
    /// The element name in `urn:ietf:params:xml:ns:xmpp-stanzas`.
    pub fn as_str(&self) -> &str {
        match self {
            Condition::Gone(_) => "gone",
            Condition::Redirect(_) => "redirect",
            Condition::Other(name) => name,
            simple => condition_name(&SIMPLE_CONDITIONS, simple).unwrap_or("undefined-condition"),
        }
    }

    /// The error type RFC 6120 §8.3.3 gives (or shows) for this condition,
    /// to use when answering with it.
    pub fn default_type(&self) -> ErrorType {
        match self {
            Condition::BadRequest
            | Condition::JidMalformed
            | Condition::NotAcceptable
            | Condition::PolicyViolation
            | Condition::Redirect(_) => ErrorType::Modify,
            Condition::Forbidden
            | Condition::NotAuthorized
            | Condition::RegistrationRequired
            | Condition::SubscriptionRequired => ErrorType::Auth,
            Condition::RecipientUnavailable
            | Condition::RemoteServerTimeout
            | Condition::ResourceConstraint
            | Condition::UnexpectedRequest => ErrorType::Wait,
            Condition::Conflict
            | Condition::FeatureNotImplemented
            | Condition::Gone(_)
            | Condition::InternalServerError
            | Condition::ItemNotFound
            | Condition::NotAllowed
            | Condition::RemoteServerNotFound
            | Condition::ServiceUnavailable
            | Condition::UndefinedCondition
            | Condition::Other(_) => ErrorType::Cancel,
        }
    }

    fn parse(element: ElementRef<'_>) -> Self {
        let data = || {
            let text = element.text();
            (!text.is_empty()).then(|| text.into_owned())
        };
        match element.name() {
            "gone" => Condition::Gone(data()),
            "redirect" => Condition::Redirect(data()),
            name => named_condition(&SIMPLE_CONDITIONS, name)
                .unwrap_or_else(|| Condition::Other(name.to_owned())),
        }
    }

    fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start(self.as_str(), NS_STANZAS);
        if let Condition::Gone(Some(uri)) | Condition::Redirect(Some(uri)) = self {
            w.text(uri);
        }
        w.end();
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if let Condition::Gone(Some(uri)) | Condition::Redirect(Some(uri)) = self {
            write!(f, " ({uri})")?;
        }
        Ok(())
    }
}

/// The `<error/>` of a stanza of type `error` (RFC 6120 §8.3.2).
///
/// ```
/// use stanzio_stanza::{Condition, ErrorType, StanzaError};
///
/// let error = StanzaError::new(Condition::ItemNotFound).with_text(Some("en"), "no such node");
/// assert_eq!(error.type_, ErrorType::Cancel);
/// assert_eq!(error.texts.get(Some("en")), Some("no such node"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaError {
    /// What the sender should do about it.
    pub type_: ErrorType,
    /// The defined (or invented) condition.
    pub condition: Condition,
    /// Descriptive `<text/>`, by `xml:lang` (§8.3.2: for debugging, not for
    /// display to end users).
    pub texts: LangMap,
    /// The application-specific condition element, in its own namespace
    /// (§8.3.4).
    pub app: Option<Element>,
    /// `by`: the entity that generated the error.
    pub by: Option<Jid>,
    /// `xml:lang` as written on `<error/>`: the language of every text
    /// without its own (RFC 6120 §4.7.4), so kept to be written back.
    pub lang: Option<String>,
}

impl StanzaError {
    /// An error with `condition` and the type RFC 6120 gives for it.
    pub fn new(condition: Condition) -> Self {
        StanzaError {
            type_: condition.default_type(),
            condition,
            texts: LangMap::new(),
            app: None,
            by: None,
            lang: None,
        }
    }

    /// Sets the descriptive text for `lang`.
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<CompactString>) -> Self {
        self.texts.insert(lang, text);
        self
    }

    /// Sets the application-specific condition element.
    pub fn with_app(mut self, app: Element) -> Self {
        self.app = Some(app);
        self
    }

    /// Parses an `<error/>` element of a stanza whose effective language
    /// is `inherited`.
    pub(crate) fn parse(
        element: ElementRef<'_>,
        inherited: Option<&str>,
    ) -> Result<Self, Malformed> {
        let type_value = element.attr("type").ok_or(Malformed::MissingAttribute {
            element: "error",
            attribute: "type",
        })?;
        let type_ = type_value.parse().map_err(|_| Malformed::UnknownType {
            element: "error",
            value: type_value.to_owned(),
        })?;
        let by = parse_jid("by", element.attr("by"))?;
        let kind = ErrorKind {
            text: "error text",
            condition: "error condition",
        };
        let (condition, texts, app) = error_body(
            element,
            NS_STANZAS,
            element.lang().or(inherited),
            kind,
            Condition::parse,
        )?;
        Ok(StanzaError {
            type_,
            condition,
            texts,
            app,
            by,
            lang: element.lang().map(str::to_owned),
        })
    }

    /// Writes `<error/>` in the stanza's namespace `ns`.
    pub(crate) fn write_to(&self, w: &mut XmlWriter<'_>, ns: &str) {
        w.start("error", ns);
        w.attr("type", self.type_.as_str());
        if let Some(by) = &self.by {
            w.attr("by", by.as_str());
        }
        if let Some(lang) = &self.lang {
            w.attr_ns(NS_XML, "lang", lang);
        }
        self.condition.write_to(w);
        self.texts.write_to(w, "text", NS_STANZAS);
        if let Some(app) = &self.app {
            w.element(app.root());
        }
        w.end();
    }
}

impl From<Condition> for StanzaError {
    fn from(condition: Condition) -> Self {
        StanzaError::new(condition)
    }
}

impl fmt::Display for StanzaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.condition, self.type_)?;
        if let Some(text) = self.texts.preferred(None) {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_error::UnknownValue;

    /// Every condition of RFC 6120 §8.3.3.1 to §8.3.3.22, spelled as the
    /// RFC spells it, not taken from the table the code uses.
    const RFC_6120_8_3_3: [(&str, Condition); 22] = [
        ("bad-request", Condition::BadRequest),
        ("conflict", Condition::Conflict),
        ("feature-not-implemented", Condition::FeatureNotImplemented),
        ("forbidden", Condition::Forbidden),
        ("gone", Condition::Gone(None)),
        ("internal-server-error", Condition::InternalServerError),
        ("item-not-found", Condition::ItemNotFound),
        ("jid-malformed", Condition::JidMalformed),
        ("not-acceptable", Condition::NotAcceptable),
        ("not-allowed", Condition::NotAllowed),
        ("not-authorized", Condition::NotAuthorized),
        ("policy-violation", Condition::PolicyViolation),
        ("recipient-unavailable", Condition::RecipientUnavailable),
        ("redirect", Condition::Redirect(None)),
        ("registration-required", Condition::RegistrationRequired),
        ("remote-server-not-found", Condition::RemoteServerNotFound),
        ("remote-server-timeout", Condition::RemoteServerTimeout),
        ("resource-constraint", Condition::ResourceConstraint),
        ("service-unavailable", Condition::ServiceUnavailable),
        ("subscription-required", Condition::SubscriptionRequired),
        ("undefined-condition", Condition::UndefinedCondition),
        ("unexpected-request", Condition::UnexpectedRequest),
    ];

    #[test]
    fn conditions_are_named_as_rfc_6120_8_3_3_names_them() {
        for (name, condition) in &RFC_6120_8_3_3 {
            assert_eq!(condition.as_str(), *name);
            let element = Element::builder(name, NS_STANZAS).build().unwrap();
            assert_eq!(&Condition::parse(element.root()), condition);
        }
        assert_eq!(
            Condition::Other("payment-required".into()).as_str(),
            "payment-required"
        );
    }

    #[test]
    fn default_types_follow_rfc_6120() {
        assert_eq!(Condition::BadRequest.default_type(), ErrorType::Modify);
        assert_eq!(Condition::Forbidden.default_type(), ErrorType::Auth);
        assert_eq!(
            Condition::ServiceUnavailable.default_type(),
            ErrorType::Cancel
        );
        assert_eq!(
            Condition::ResourceConstraint.default_type(),
            ErrorType::Wait
        );
    }

    #[test]
    fn error_types_are_named_as_rfc_6120_8_3_2_names_them() {
        for (name, t) in [
            ("auth", ErrorType::Auth),
            ("cancel", ErrorType::Cancel),
            ("continue", ErrorType::Continue),
            ("modify", ErrorType::Modify),
            ("wait", ErrorType::Wait),
        ] {
            assert_eq!(t.as_str(), name);
            assert_eq!(name.parse(), Ok(t));
        }
        assert_eq!("Cancel".parse::<ErrorType>(), Err(UnknownValue));
    }
}
