//! Every payload reads back what it wrote: parse(write(x)) == x, also
//! after the element went through the wire form (written on a stream and
//! read back by the stream reader), and any split of those bytes gives
//! the same payload.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

use proptest::prelude::*;
use stanzio_im::payload::{
    BlockingCommand, Carbon, CarbonDirection, CarbonsCommand, DiscoInfo, Identity, Ping,
    PrivacyListPush, RosterItem, RosterQuery, Subscription,
};
use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Message, MessageType, Thread};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";

/// `element` written on a client stream, as bytes after the header.
fn wire(element: &Element) -> Vec<u8> {
    let mut out = Vec::new();
    StreamWriter::new(ContentNamespace::Client)
        .write(&mut out, element.root())
        .unwrap();
    out
}

/// The element read back from `OPEN` + `bytes`, fed in pieces of `chunk`.
fn read_back(bytes: &[u8], chunk: usize) -> Element {
    let mut reader = StreamReader::new(Limits::default());
    let mut all = OPEN.to_vec();
    all.extend_from_slice(bytes);
    let mut buffered: Vec<u8> = Vec::new();
    for piece in all.chunks(chunk.max(1)) {
        buffered.extend_from_slice(piece);
        let mut input = buffered.as_slice();
        while let Some(event) = reader.read(&mut input).unwrap() {
            if let StreamEvent::Element(element) = event {
                return element;
            }
        }
        buffered = input.to_vec();
    }
    panic!("no element read");
}

fn text() -> impl Strategy<Value = String> {
    // Printable text with the characters XML escapes.
    "[a-zA-Z0-9 <>&'\"é😀]{1,12}"
}

fn bare_jid() -> impl Strategy<Value = BareJid> {
    ("[a-z]{1,8}", "[a-z]{1,8}\\.(lit|example)")
        .prop_map(|(node, domain)| BareJid::from_parts(Some(&node), &domain).unwrap())
}

fn jid() -> impl Strategy<Value = Jid> {
    (
        proptest::option::of("[a-z]{1,8}"),
        "[a-z]{1,8}\\.lit",
        proptest::option::of("[a-zA-Z0-9]{1,8}"),
    )
        .prop_map(|(node, domain, resource)| {
            Jid::from_parts(node.as_deref(), &domain, resource.as_deref()).unwrap()
        })
}

fn subscription() -> impl Strategy<Value = Subscription> {
    prop_oneof![
        Just(Subscription::None),
        Just(Subscription::To),
        Just(Subscription::From),
        Just(Subscription::Both),
        Just(Subscription::Remove),
    ]
}

fn roster_item() -> impl Strategy<Value = RosterItem> {
    (
        bare_jid(),
        proptest::option::of(text()),
        subscription(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::btree_set(text(), 0..4),
    )
        .prop_map(
            |(jid, name, subscription, ask, approved, groups)| RosterItem {
                jid,
                name,
                subscription,
                ask,
                approved,
                groups: groups.into_iter().collect(),
            },
        )
}

fn roster_query() -> impl Strategy<Value = RosterQuery> {
    (
        proptest::option::of("[0-9a-f]{0,40}"),
        proptest::collection::vec(roster_item(), 0..5),
    )
        .prop_map(|(ver, mut items)| {
            // A query names each contact once.
            items.sort_by(|a, b| a.jid.cmp(&b.jid));
            items.dedup_by(|a, b| a.jid == b.jid);
            RosterQuery { ver, items }
        })
}

fn blocking() -> impl Strategy<Value = BlockingCommand> {
    (0..3u8, proptest::collection::vec(jid(), 0..5)).prop_map(|(which, jids)| match which {
        0 => BlockingCommand::Blocklist(jids),
        1 => BlockingCommand::Block(jids),
        _ => BlockingCommand::Unblock(jids),
    })
}

fn disco_info() -> impl Strategy<Value = DiscoInfo> {
    (
        proptest::option::of(text()),
        proptest::collection::vec(
            (
                text(),
                text(),
                proptest::option::of(text()),
                proptest::option::of("[a-z]{2}"),
            ),
            0..3,
        ),
        proptest::collection::btree_set("[a-z:#/.]{1,20}", 0..5),
    )
        .prop_map(|(node, identities, features)| DiscoInfo {
            node,
            identities: identities
                .into_iter()
                .map(|(category, type_, name, lang)| Identity {
                    category,
                    type_,
                    name,
                    lang,
                })
                .collect(),
            features: features.into_iter().collect(),
            extensions: Vec::new(),
        })
}

fn carbon() -> impl Strategy<Value = Carbon> {
    (
        any::<bool>(),
        jid(),
        jid(),
        proptest::option::of(text()),
        proptest::option::of("[a-f0-9]{1,16}"),
    )
        .prop_map(|(sent, from, to, body, thread)| {
            let mut message = Message::new(MessageType::Chat).with_from(from).with_to(to);
            if let Some(body) = body {
                message = message.with_body(None, body);
            }
            message.thread = thread.map(Thread::new);
            Carbon {
                direction: if sent {
                    CarbonDirection::Sent
                } else {
                    CarbonDirection::Received
                },
                message,
            }
        })
}

/// Checks parse(write(x)) == x directly and through the wire.
fn round_trip<T: PartialEq + std::fmt::Debug>(
    value: &T,
    element: Element,
    parse: impl Fn(&Element) -> T,
    chunk: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(&parse(&element), value);
    let bytes = wire(&element);
    let whole = read_back(&bytes, usize::MAX);
    prop_assert_eq!(&parse(&whole), value);
    let split = read_back(&bytes, chunk);
    prop_assert_eq!(&parse(&split), value);
    Ok(())
}

proptest! {
    #[test]
    fn roster_queries(query in roster_query(), chunk in 1usize..64) {
        let element = query.to_element().unwrap();
        round_trip(&query, element, |e| RosterQuery::from_element(e.root()).unwrap(), chunk)?;
    }

    #[test]
    fn blocking_commands(command in blocking(), chunk in 1usize..64) {
        let element = command.to_element().unwrap();
        round_trip(&command, element, |e| BlockingCommand::from_element(e.root()).unwrap(), chunk)?;
    }

    #[test]
    fn disco_infos(info in disco_info(), chunk in 1usize..64) {
        let element = info.to_element().unwrap();
        round_trip(&info, element, |e| DiscoInfo::from_element(e.root()).unwrap(), chunk)?;
    }

    #[test]
    fn carbons(carbon in carbon(), chunk in 1usize..64) {
        let element = carbon.to_element().unwrap();
        round_trip(&carbon, element, |e| Carbon::from_element(e.root()).unwrap(), chunk)?;
    }

    #[test]
    fn privacy_list_pushes(name in text(), chunk in 1usize..64) {
        let push = PrivacyListPush { name };
        let element = push.to_element().unwrap();
        round_trip(&push, element, |e| PrivacyListPush::from_element(e.root()).unwrap(), chunk)?;
    }
}

#[test]
fn fixed_payloads_round_trip() {
    for command in [CarbonsCommand::Enable, CarbonsCommand::Disable] {
        let bytes = wire(&command.to_element());
        assert_eq!(
            CarbonsCommand::from_element(read_back(&bytes, 3).root()),
            Ok(command)
        );
    }
    let bytes = wire(&Ping.to_element());
    assert_eq!(Ping::from_element(read_back(&bytes, 1).root()), Ok(Ping));
}
