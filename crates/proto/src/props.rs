//! Property tests of the decoders of hostile input (what `scripts/fuzz.sh` fuzzes, on stable
//! Rust in the normal suite): random and mutated requests, launch lines and monitor datagrams
//! never panic a decoder; whatever decodes encodes back to what decodes the same; an error
//! answer is always one line of JSON.
use crate::framing::Envelope;
use crate::launch::{LaunchEvent, LaunchRequest};
use crate::monitor::StateEvent;
use crate::request::Call;
use lxc_config::fuzzgen::{Gen, CASES};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    "1.5",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"id\"",
    "\"method\"",
    "\"params\"",
    "\"jsonrpc\"",
    "\"2.0\"",
    "\"stop\"",
    "\"kill\"",
    "\"info\"",
    "\"state\"",
    "\"wait\"",
    "\"freeze\"",
    "\"subscribe\"",
    "\"timeout\"",
    "\"signal\"",
    "\"states\"",
    "\"event\"",
    "\"request\"",
    "\"status\"",
    "\"code\"",
    "\"exited\"",
    "\"ready\"",
    "\"name\"",
    "\"seq\"",
    "\"time\"",
    "\"exit\"",
    "\"RUNNING\"",
    "\"STOPPED\"",
];

#[test]
fn request_decoder_never_panics_and_answers_in_json() {
    let seeds: &[&[u8]] = &[
        br#"{"jsonrpc":"2.0","id":1,"method":"stop","params":{"timeout":5}}"#,
        br#"{"id":"x","method":"info"}"#,
        br#"{"id":2,"method":"kill","params":{"signal":15}}"#,
        br#"{"id":3,"method":"wait","params":{"states":["RUNNING"],"timeout":1}}"#,
        br#"{"id":4,"method":"subscribe"}"#,
        br#"{"id":5,"method":"freeze","params":{"timeout":10}}"#,
    ];
    let mut g = Gen::new(0x5eed_0001);
    for i in 0..CASES {
        let input = if i % 10 == 0 {
            g.bytes(200)
        } else {
            {
                let s = seeds[g.below(seeds.len())];
                g.mutate(s, JSON_TOKENS)
            }
        };
        match Envelope::parse(&input) {
            Ok(env) => {
                if let Ok(call) = Call::decode(&env.method, env.params) {
                    let line = call.line(7);
                    let again = Envelope::parse(&line).expect("our own line parses");
                    let back = Call::decode(&again.method, again.params).expect("and decodes");
                    assert_eq!(back, call, "{}", String::from_utf8_lossy(&input));
                }
            }
            Err(answer) => {
                let line = answer.to_line();
                assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
                serde_json::from_slice::<serde_json::Value>(&line).expect("an answer is JSON");
            }
        }
    }
}

/// Decoding `T` from mutations of `seeds` never panics, and what it gives round-trips
/// (`same`: equality, or near it for floats).
fn round_trips<T: Serialize + DeserializeOwned + Debug>(
    seed: u64,
    seeds: &[&[u8]],
    same: impl Fn(&T, &T) -> bool,
) {
    let mut g = Gen::new(seed);
    for i in 0..CASES {
        let input = if i % 10 == 0 {
            g.bytes(100)
        } else {
            {
                let s = seeds[g.below(seeds.len())];
                g.mutate(s, JSON_TOKENS)
            }
        };
        if let Ok(value) = serde_json::from_slice::<T>(&input) {
            let text = serde_json::to_string(&value).expect("encodes");
            let back: T = serde_json::from_str(&text).expect("decodes what it encoded");
            assert!(same(&back, &value), "{}", String::from_utf8_lossy(&input));
        }
    }
}

#[test]
fn launch_channel_decoders_round_trip() {
    round_trips::<LaunchEvent>(
        0x5eed_0002,
        &[
            br#"{"event":"exited","status":{"code":3}}"#,
            br#"{"event":"exited","status":{"signal":9}}"#,
            br#"{"event":"ready","pid":4}"#,
            br#"{"event":"failed","code":125,"message":"x"}"#,
        ],
        PartialEq::eq,
    );
    round_trips::<LaunchRequest>(
        0x5eed_0003,
        &[br#"{"request":"signal","signal":15}"#],
        PartialEq::eq,
    );
}

#[test]
fn monitor_datagrams_round_trip() {
    round_trips::<StateEvent>(
        0x5eed_0004,
        &[
            br#"{"name":"web","state":"STOPPED","seq":4,"time":1.5,"exit":{"code":0},"shim_pid":9}"#,
            br#"{"name":"a","state":"RUNNING","seq":1,"time":0.25}"#,
        ],
        crate::monitor::same_event,
    );
}
