//! The README's demo, run as a test: every step passes and the transcript
//! says what happened.

#[allow(dead_code)] // its `main` is the example's
#[path = "../examples/demo.rs"]
mod demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_every_step() {
    let mut transcript = Vec::new();
    let result = demo::run(&mut transcript).await;
    let transcript = String::from_utf8(transcript).unwrap();
    assert_eq!(result, Ok(()), "{transcript}");
    for expected in [
        "alice: logged in as alice@localhost/demo over Tls13 with SCRAM-SHA-256-PLUS (channel binding: tls-exporter)",
        "alice, bob: subscribed to each other",
        "bob: sees alice online",
        "alice -> bob: \"Good morning, Bob!\" delivered",
        "alice -> bob: \"Are you there?\" refused",
        "alice -> bob: \"Now?\" delivered",
        "bob: receives \"Call me when you are back.\" at his next presence",
        "alice: reconnected and resumed the session (XEP-0198)",
        "delivered after resumption, nothing lost",
        "demo: every step passed",
    ] {
        assert!(
            transcript.contains(expected),
            "missing {expected:?} in:\n{transcript}"
        );
    }
}
