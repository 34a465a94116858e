//! The shim's side of the launch channel to the lxc-execute that started it: forwarded signals
//! come in, `ready` and the final status go out. The command may be gone at any time (killed,
//! or `-d`): the container does not care.
use lxc_proto::launch::{LaunchEvent, LaunchRequest};
use mio::net::UnixStream;
use std::io::{self, Read, Write};

/// The most bytes of unfinished requests kept (a request is a few dozen bytes).
const MAX_INPUT: usize = 4096;

/// The open channel.
pub struct Launcher {
    stream: UnixStream,
    input: Vec<u8>,
}

/// What reading the channel gave.
pub struct Incoming {
    /// Signals to forward to COMMAND.
    pub signals: Vec<i32>,
    /// The command is gone (or sent nonsense): forget the channel.
    pub gone: bool,
}

impl Launcher {
    pub fn new(stream: UnixStream) -> Launcher {
        Launcher {
            stream,
            input: Vec::new(),
        }
    }

    pub fn stream(&mut self) -> &mut UnixStream {
        &mut self.stream
    }

    /// Reads what the command sent.
    pub fn read(&mut self) -> Incoming {
        let mut chunk = [0u8; 1024];
        let mut gone = false;
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    gone = true;
                    break;
                }
                Ok(n) => self.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    gone = true;
                    break;
                }
            }
            if self.input.len() > MAX_INPUT {
                break;
            }
        }
        let mut signals = Vec::new();
        while let Some(pos) = self.input.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.input.drain(..=pos).collect();
            match serde_json::from_slice::<LaunchRequest>(&line[..pos]) {
                Ok(LaunchRequest::Signal { signal }) if (1..=64).contains(&signal) => {
                    signals.push(signal)
                }
                _ => log::warn!("bad request on the launch channel"),
            }
        }
        Incoming {
            signals,
            gone: gone || self.input.len() > MAX_INPUT,
        }
    }

    /// Sends an event; false when the command is gone.
    pub fn send(&mut self, ev: &LaunchEvent) -> bool {
        self.stream.write_all(&lxc_proto::framing::line(ev)).is_ok()
    }
}
