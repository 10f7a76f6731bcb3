//! stanzio-sasl (in progress)
