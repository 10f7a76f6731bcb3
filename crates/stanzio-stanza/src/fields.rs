//! What message and presence read and write alike around the children
//! their fields hold: an `<error/>` only in a stanza of type `error`
//! (RFC 6120 §8.3.1), and the payloads (§8.4) after the fields.

use stanzio_xml::{ElementRef, XmlWriter};

use crate::parse_error::Malformed;
use crate::payloads::{Payloads, is_typed};
use crate::stanza_error::StanzaError;

/// Reads the children of a message or presence `element` that its fields
/// hold: those named in `typed` and in the stanza's namespace. `read` gets
/// each but `<error/>`, which `typed` names in a stanza of type error only
/// (`is_error`; elsewhere it is someone's payload, RFC 6120 §8.3.1) and
/// which is returned: exactly one there. `lang` is the stanza's effective
/// language, which the error's texts inherit.
pub(crate) fn read_fields(
    element: ElementRef<'_>,
    typed: &[&str],
    is_error: bool,
    lang: Option<&str>,
    mut read: impl FnMut(ElementRef<'_>) -> Result<(), Malformed>,
) -> Result<Option<StanzaError>, Malformed> {
    let ns = element.ns();
    let mut error = None;
    for child in element.children() {
        if !is_typed(ns, child, typed) {
            continue;
        }
        if child.name() != "error" {
            read(child)?;
        } else if error.replace(StanzaError::parse(child, lang)?).is_some() {
            return Err(Malformed::Duplicate { element: "error" });
        }
    }
    if is_error && error.is_none() {
        return Err(Malformed::Missing { element: "error" });
    }
    Ok(error)
}

/// Writes what follows the fields of a message or presence: its payloads,
/// its `<error/>` in the stanza's namespace `ns`, and the stanza's end.
pub(crate) fn write_payloads_and_error(
    w: &mut XmlWriter<'_>,
    payloads: &Payloads,
    error: Option<&StanzaError>,
    ns: &str,
) {
    for payload in payloads.iter() {
        w.element(payload);
    }
    if let Some(error) = error {
        error.write_to(w, ns);
    }
    w.end();
}
