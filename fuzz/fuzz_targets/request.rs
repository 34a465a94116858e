//! The control protocol's request decoder, as the shim reads a line: the envelope, then the
//! typed call. An answer is always one line of JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lxc_proto::framing::Envelope;
use lxc_proto::request::Call;

fuzz_target!(|data: &[u8]| {
    match Envelope::parse(data) {
        Ok(env) => {
            if let Ok(call) = Call::decode(&env.method, env.params) {
                let _ = call.line(1);
            }
        }
        Err(answer) => {
            let line = answer.to_line();
            assert!(serde_json::from_slice::<serde_json::Value>(&line).is_ok());
        }
    }
});
