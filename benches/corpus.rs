//! The realistic stream every parse benchmark reads: generated, deterministic,
//! and shared so that stanzio and the xmpp-rs stack see the same bytes.
//!
//! The mix follows a busy client session: chat messages with bodies of mixed
//! length (some escaped, some non-ASCII) and the payloads clients attach
//! (chat states, receipts, origin-id), presences with caps, status and
//! vCard avatars, and IQs from a 4-byte ping to a 40-item roster.

#![allow(dead_code)] // each bench uses the part of this module it needs

/// The stream header every corpus starts with (client to server direction).
pub const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' from='example.com' \
    to='juliet@example.com' id='a1b2c3' version='1.0' xml:lang='en'>";

/// A generated corpus.
pub struct Corpus {
    /// Each top-level stanza as its own serialized document fragment.
    pub stanzas: Vec<String>,
}

impl Corpus {
    /// The whole stream: header, the stanzas, separated by nothing.
    pub fn stream(&self) -> Vec<u8> {
        let mut out = HEADER.as_bytes().to_vec();
        for stanza in &self.stanzas {
            out.extend_from_slice(stanza.as_bytes());
        }
        out
    }

    /// Bytes of stanzas (without the header).
    pub fn stanza_bytes(&self) -> usize {
        self.stanzas.iter().map(String::len).sum()
    }
}

/// A small deterministic generator (64-bit LCG, Knuth's constants), so the
/// corpus is the same on every run without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "hello",
    "where",
    "art",
    "thou",
    "Romeo",
    "balcony",
    "tonight",
    "see",
    "you",
    "at",
    "the",
    "garden",
    "bring",
    "a",
    "ladder",
    "<3",
    "&",
    "fish",
    "chips",
    "café",
    "naïve",
    "日本語",
    "ok",
    "👍",
    "what's",
    "\"quoted\"",
    "tomorrow",
    "maybe",
    "never",
];

fn sentence(rng: &mut Lcg, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

const CONTACTS: &[&str] = &[
    "romeo@montague.example/orchard",
    "nurse@capulet.example/kitchen",
    "mercutio@montague.example/street",
    "benvolio@montague.example/home",
    "tybalt@capulet.example/ballroom",
];

fn message(rng: &mut Lcg, n: usize) -> String {
    let from = CONTACTS[rng.below(CONTACTS.len() as u64) as usize];
    let words = [3, 8, 20, 60][rng.below(4) as usize];
    let body = escape(&sentence(rng, words));
    let mut s = format!(
        "<message from='{from}' to='juliet@capulet.example/balcony' type='chat' id='m{n}'>\
         <body>{body}</body>"
    );
    if rng.below(3) == 0 {
        s.push_str(&format!("<thread>t{}</thread>", rng.below(50)));
    }
    s.push_str("<active xmlns='http://jabber.org/protocol/chatstates'/>");
    if rng.below(2) == 0 {
        s.push_str("<request xmlns='urn:xmpp:receipts'/>");
    }
    if rng.below(2) == 0 {
        s.push_str(&format!(
            "<origin-id xmlns='urn:xmpp:sid:0' id='o{n}-{}'/>",
            rng.next()
        ));
    }
    s.push_str("</message>");
    s
}

fn presence(rng: &mut Lcg, n: usize) -> String {
    let from = CONTACTS[rng.below(CONTACTS.len() as u64) as usize];
    let mut s = format!("<presence from='{from}' to='juliet@capulet.example' id='p{n}'>");
    match rng.below(4) {
        0 => s.push_str("<show>away</show>"),
        1 => s.push_str("<show>dnd</show>"),
        _ => {}
    }
    if rng.below(2) == 0 {
        s.push_str(&format!("<status>{}</status>", escape(&sentence(rng, 4))));
    }
    s.push_str(&format!("<priority>{}</priority>", rng.below(20)));
    s.push_str(
        "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' \
         node='https://stanzio.example/caps' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>",
    );
    if rng.below(2) == 0 {
        s.push_str(
            "<x xmlns='vcard-temp:x:update'><photo>01b87fcd030b72895ff8e88db57ec525450f000d</photo></x>",
        );
    }
    s.push_str("</presence>");
    s
}

fn iq(rng: &mut Lcg, n: usize) -> String {
    match rng.below(4) {
        0 => format!(
            "<iq from='capulet.example' to='juliet@capulet.example/balcony' type='get' id='i{n}'>\
             <ping xmlns='urn:xmpp:ping'/></iq>"
        ),
        1 => {
            let mut s = format!(
                "<iq to='juliet@capulet.example/balcony' type='result' id='i{n}'>\
                 <query xmlns='jabber:iq:roster' ver='ver{n}'>"
            );
            for i in 0..(5 + rng.below(36)) {
                s.push_str(&format!(
                    "<item jid='contact{i}@example.net' name='Contact {i}' subscription='both'>\
                     <group>Friends</group></item>"
                ));
            }
            s.push_str("</query></iq>");
            s
        }
        2 => {
            let mut s = format!(
                "<iq from='romeo@montague.example/orchard' to='juliet@capulet.example/balcony' \
                 type='result' id='i{n}'><query xmlns='http://jabber.org/protocol/disco#info'>\
                 <identity category='client' type='pc' name='stanzio'/>"
            );
            for feature in [
                "http://jabber.org/protocol/caps",
                "http://jabber.org/protocol/disco#info",
                "http://jabber.org/protocol/chatstates",
                "urn:xmpp:receipts",
                "urn:xmpp:ping",
                "jabber:iq:version",
            ] {
                s.push_str(&format!("<feature var='{feature}'/>"));
            }
            s.push_str("</query></iq>");
            s
        }
        _ => format!(
            "<iq from='romeo@montague.example/orchard' to='juliet@capulet.example/balcony' \
             type='set' id='i{n}'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>\
             <conference jid='room@conference.example' autojoin='true' name='{}'/></storage></query></iq>",
            escape(&sentence(rng, 3))
        ),
    }
}

/// `count` stanzas: about 55 % messages, 30 % presences, 15 % IQs.
pub fn generate(count: usize) -> Corpus {
    let mut rng = Lcg(0x5eed_cafe);
    let stanzas = (0..count)
        .map(|n| match rng.below(20) {
            0..=10 => message(&mut rng, n),
            11..=16 => presence(&mut rng, n),
            _ => iq(&mut rng, n),
        })
        .collect();
    Corpus { stanzas }
}
