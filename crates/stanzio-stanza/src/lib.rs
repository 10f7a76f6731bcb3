//! stanzio-stanza (in progress)
