//! stanzio-jid (in progress)
