//! Arbitrary UTF-8 as a JID: never a panic; whatever parses prints as text
//! that parses back to the same JID, with the same parts; and what
//! `Jid::new` accepts, `Jid::from_received` accepts with the same result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_jid::Jid;

fuzz_target!(|input: &str| {
    let received = Jid::from_received(input);
    if let Ok(jid) = &received {
        let again = Jid::from_received(&jid.to_string());
        assert_eq!(again.as_ref(), Ok(jid), "{input:?}");
    }
    let Ok(jid) = Jid::new(input) else {
        return;
    };
    assert_eq!(received.as_ref(), Ok(&jid), "{input:?}");
    let again = Jid::new(&jid.to_string());
    assert_eq!(again.as_ref(), Ok(&jid), "{input:?}");
    let rebuilt = Jid::from_parts(jid.node(), jid.domain(), jid.resource());
    assert_eq!(rebuilt.as_ref(), Ok(&jid), "{input:?}");
});
