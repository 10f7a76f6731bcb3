//! What a reader lets one peer make it hold and do.

/// Limits a reader enforces, fixed at construction. Exceeding one is a
/// [`ReadError::LimitExceeded`](crate::ReadError::LimitExceeded)
/// (`policy-violation`).
///
/// Every limit has a documented maximum (the associated constants); the
/// `with_*` setters clamp to it, and a reader clamps fields set directly,
/// so even `usize::MAX` everywhere gives a working reader with bounded
/// memory ([`StreamReader::limits`](crate::StreamReader::limits) tells the
/// values in force).
///
/// # Memory
///
/// An idle reader (one whose [`read`](crate::StreamReader::read) returned
/// `Ok(None)` between two top-level elements) holds at most 2 KiB besides
/// the namespaces its stream header declared, whatever elements came
/// before: its parser's buffers are given back and the room it keeps for
/// the next element is capped (`tests/memory.rs` counts it).
///
/// While an element is being read, a reader holds at most about
///
/// `2 × max_buffered_bytes + 4 × max_element_bytes + 2 × max_token_bytes`
/// `+ 256 × (max_depth + max_attributes + max_namespace_declarations)`
///
/// bytes (3 MiB with the defaults; `tests/memory.rs` checks hostile
/// elements against it):
///
/// * the element being assembled: its content is held to
///   `max_buffered_bytes` (plus the last element head or piece of text,
///   itself within `max_element_bytes`), and its buffers grow by doubling,
///   so their capacity is at most twice that;
/// * the element head whose attributes are still arriving, as the parser
///   handed them over (within `max_element_bytes`), and the namespaces the
///   stream header declared (within `max_element_bytes` too);
/// * rxml's token buffer and the one it swaps in while reading an entity
///   or character reference, `max_token_bytes` each;
/// * bookkeeping for each open element, each attribute of the head being
///   read and each declaration in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of input one top-level element (or the stream header, or one
    /// WebSocket message) may take. RFC 6120 §13.12 puts a server's floor at
    /// 10 000; XEP-0478 advertises this value as `max-bytes`. At most
    /// [`MAX_BYTES`](Self::MAX_BYTES).
    pub max_element_bytes: usize,
    /// Bytes of one name or one attribute value, after entity expansion.
    /// Text is not bound by it: it is delivered in pieces of at most this
    /// size and joined. rxml reserves a buffer this large whenever it reads
    /// a token, so this, not the element limit, sizes the parser's memory.
    /// Between [`MIN_TOKEN_BYTES`](Self::MIN_TOKEN_BYTES) and
    /// [`MAX_TOKEN_BYTES`](Self::MAX_TOKEN_BYTES); a value above
    /// `max_element_bytes` never fires, as the element limit comes first.
    pub max_token_bytes: usize,
    /// Element nesting depth inside one top-level element (the top-level
    /// element is depth 1). At most [`MAX_DEPTH`](Self::MAX_DEPTH), which
    /// also bounds the recursion of [`ElementRef`](crate::ElementRef)'s
    /// walks (copies, comparisons, writing).
    pub max_depth: usize,
    /// Attributes per element, not counting namespace declarations. At most
    /// [`MAX_ATTRIBUTES`](Self::MAX_ATTRIBUTES).
    pub max_attributes: usize,
    /// Namespace declarations per element. Prefixed declarations in scope
    /// at once (those of an element and of its ancestors inside one
    /// top-level element) are held to the same number, which bounds the
    /// work of resolving a prefix. At most
    /// [`MAX_NAMESPACE_DECLARATIONS`](Self::MAX_NAMESPACE_DECLARATIONS).
    pub max_namespace_declarations: usize,
    /// Bytes the element being assembled may take once parsed (names, text,
    /// structure: [`Element::used_bytes`](crate::Element::used_bytes)).
    /// Parsed structure costs more than the raw bytes it came from, so this
    /// bounds that overhead too. At most [`MAX_BYTES`](Self::MAX_BYTES).
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    /// 256 KiB per element, 8 KiB per name or attribute value, depth 32,
    /// 64 attributes, 16 namespace declarations, 1 MiB of assembled element.
    fn default() -> Self {
        Limits {
            max_element_bytes: 256 * 1024,
            max_token_bytes: 8 * 1024,
            max_depth: 32,
            max_attributes: 64,
            max_namespace_declarations: 16,
            max_buffered_bytes: 1024 * 1024,
        }
    }
}

impl Limits {
    /// The largest [`max_element_bytes`](Self::max_element_bytes) and
    /// [`max_buffered_bytes`](Self::max_buffered_bytes): 1 GiB. An
    /// [`Element`](crate::Element) addresses its strings with 32-bit
    /// offsets, and this keeps the largest one the reader can assemble
    /// well inside them.
    pub const MAX_BYTES: usize = 1 << 30;

    /// The smallest [`max_token_bytes`](Self::max_token_bytes): 64, room for
    /// the stream namespace and for any UTF-8 character, so that splitting
    /// text never has to cut one.
    pub const MIN_TOKEN_BYTES: usize = 64;

    /// The largest [`max_token_bytes`](Self::max_token_bytes): 16 MiB.
    pub const MAX_TOKEN_BYTES: usize = 16 << 20;

    /// The largest [`max_depth`](Self::max_depth): 256.
    pub const MAX_DEPTH: usize = 256;

    /// The largest [`max_attributes`](Self::max_attributes): 1024.
    pub const MAX_ATTRIBUTES: usize = 1024;

    /// The largest [`max_namespace_declarations`](Self::max_namespace_declarations):
    /// 1024.
    pub const MAX_NAMESPACE_DECLARATIONS: usize = 1024;

    /// Sets [`Limits::max_element_bytes`], at most [`Limits::MAX_BYTES`].
    pub fn with_max_element_bytes(mut self, bytes: usize) -> Self {
        self.max_element_bytes = bytes;
        self.clamped()
    }

    /// Sets [`Limits::max_token_bytes`], between
    /// [`Limits::MIN_TOKEN_BYTES`] and [`Limits::MAX_TOKEN_BYTES`].
    pub fn with_max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self.clamped()
    }

    /// Sets [`Limits::max_depth`], at most [`Limits::MAX_DEPTH`].
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self.clamped()
    }

    /// Sets [`Limits::max_attributes`], at most [`Limits::MAX_ATTRIBUTES`].
    pub fn with_max_attributes(mut self, attributes: usize) -> Self {
        self.max_attributes = attributes;
        self.clamped()
    }

    /// Sets [`Limits::max_namespace_declarations`], at most
    /// [`Limits::MAX_NAMESPACE_DECLARATIONS`].
    pub fn with_max_namespace_declarations(mut self, declarations: usize) -> Self {
        self.max_namespace_declarations = declarations;
        self.clamped()
    }

    /// Sets [`Limits::max_buffered_bytes`], at most [`Limits::MAX_BYTES`].
    pub fn with_max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = bytes;
        self.clamped()
    }

    /// Every field brought within its documented range.
    pub(crate) fn clamped(self) -> Self {
        Limits {
            max_element_bytes: self.max_element_bytes.min(Self::MAX_BYTES),
            max_token_bytes: self
                .max_token_bytes
                .clamp(Self::MIN_TOKEN_BYTES, Self::MAX_TOKEN_BYTES),
            max_depth: self.max_depth.min(Self::MAX_DEPTH),
            max_attributes: self.max_attributes.min(Self::MAX_ATTRIBUTES),
            max_namespace_declarations: self
                .max_namespace_declarations
                .min(Self::MAX_NAMESPACE_DECLARATIONS),
            max_buffered_bytes: self.max_buffered_bytes.min(Self::MAX_BYTES),
        }
    }

    /// The size of rxml's token buffer: no larger than an element may be,
    /// as a longer token would break the element limit first.
    pub(crate) fn token_buffer_bytes(&self) -> usize {
        self.max_token_bytes
            .min(self.max_element_bytes)
            .max(Self::MIN_TOKEN_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_set_and_clamp() {
        let limits = Limits::default()
            .with_max_element_bytes(1000)
            .with_max_token_bytes(100)
            .with_max_depth(3)
            .with_max_attributes(4)
            .with_max_namespace_declarations(5)
            .with_max_buffered_bytes(6000);
        assert_eq!(
            (
                limits.max_element_bytes,
                limits.max_token_bytes,
                limits.max_depth,
                limits.max_attributes,
                limits.max_namespace_declarations,
                limits.max_buffered_bytes
            ),
            (1000, 100, 3, 4, 5, 6000)
        );
        let huge = Limits::default()
            .with_max_element_bytes(usize::MAX)
            .with_max_token_bytes(usize::MAX)
            .with_max_depth(usize::MAX)
            .with_max_attributes(usize::MAX)
            .with_max_namespace_declarations(usize::MAX)
            .with_max_buffered_bytes(usize::MAX);
        assert_eq!(
            (
                huge.max_element_bytes,
                huge.max_token_bytes,
                huge.max_depth,
                huge.max_attributes,
                huge.max_namespace_declarations,
                huge.max_buffered_bytes
            ),
            (
                Limits::MAX_BYTES,
                Limits::MAX_TOKEN_BYTES,
                Limits::MAX_DEPTH,
                Limits::MAX_ATTRIBUTES,
                Limits::MAX_NAMESPACE_DECLARATIONS,
                Limits::MAX_BYTES
            )
        );
        assert_eq!(
            Limits::default().with_max_token_bytes(0).max_token_bytes,
            Limits::MIN_TOKEN_BYTES
        );
    }

    #[test]
    fn token_buffer_is_no_larger_than_an_element() {
        let limits = Limits::default().with_max_element_bytes(1000);
        assert_eq!(limits.token_buffer_bytes(), 1000);
        let tiny = Limits::default().with_max_element_bytes(10);
        assert_eq!(tiny.token_buffer_bytes(), Limits::MIN_TOKEN_BYTES);
        assert_eq!(Limits::default().token_buffer_bytes(), 8 * 1024);
    }
}
