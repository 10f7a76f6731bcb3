//! Arbitrary bytes after a stream header: every element the reader yields,
//! and each of its children, is read as every stanzio-im payload without
//! panicking; a payload that reads is written and must read back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_im::payload::{
    BlockingCommand, Carbon, CarbonsCommand, DiscoInfo, Ping, PrivacyListPush, RosterQuery,
};
use stanzio_xml::{ElementRef, Limits, StreamEvent, StreamReader};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";

fn check(element: ElementRef<'_>) {
    if let Ok(query) = RosterQuery::from_element(element) {
        let written = query.to_element().expect("a read roster query is writable");
        assert_eq!(RosterQuery::from_element(written.root()), Ok(query));
    }
    if let Ok(command) = BlockingCommand::from_element(element) {
        let written = command
            .to_element()
            .expect("a read blocking command is writable");
        assert_eq!(BlockingCommand::from_element(written.root()), Ok(command));
    }
    if let Ok(carbon) = Carbon::from_element(element) {
        let written = carbon.to_element().expect("a read carbon is writable");
        assert_eq!(Carbon::from_element(written.root()), Ok(carbon));
    }
    if let Ok(info) = DiscoInfo::from_element(element) {
        let written = info.to_element().expect("a read disco#info is writable");
        assert_eq!(DiscoInfo::from_element(written.root()), Ok(info));
    }
    if let Ok(push) = PrivacyListPush::from_element(element) {
        let written = push.to_element().expect("a read privacy push is writable");
        assert_eq!(PrivacyListPush::from_element(written.root()), Ok(push));
    }
    if let Ok(command) = CarbonsCommand::from_element(element) {
        assert_eq!(
            CarbonsCommand::from_element(command.to_element().root()),
            Ok(command)
        );
    }
    let _ = Ping::from_element(element);
}

fuzz_target!(|data: &[u8]| {
    let mut stream = OPEN.to_vec();
    stream.extend_from_slice(data);
    let mut reader = StreamReader::new(Limits::default().with_max_element_bytes(8192));
    let mut input = stream.as_slice();
    while let Ok(Some(event)) = reader.read(&mut input) {
        if let StreamEvent::Element(element) = event {
            let root = element.root();
            check(root);
            for child in root.children() {
                check(child);
            }
        }
    }
});
