//! stanzio-xml (in progress)
