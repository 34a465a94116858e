//! The loop's side of its clients and of the launcher (lxc-execute): reading, one request
//! line to its method (or to the terminal and checkpoint calls, which need the loop), the
//! answers written before the next read; signals the launcher forwards.
use crate::conn::{Line, ReadOutcome};
use crate::event_loop::Shim;
use crate::lifecycle::Effect;
use crate::methods::{self, Outcome};
use mio::Token;

impl Shim {
    #[inline(never)]
    pub(crate) fn read_launcher(&mut self) {
        let Some((_, l)) = &mut self.launcher else {
            return;
        };
        let incoming = l.read();
        for sig in incoming.signals {
            log::info!("forwarding signal {sig} from lxc-execute");
            self.life.signal_init(sig);
        }
        if incoming.gone {
            self.drop_launcher();
        }
    }

    pub(crate) fn drop_launcher(&mut self) {
        if let Some((token, mut l)) = self.launcher.take() {
            let _ = self.poll.registry().deregister(l.stream());
            self.sources.remove(token);
        }
    }

    /// Not inlined into `dispatch`: its reads' buffers would take stack on every event.
    #[inline(never)]
    pub(crate) fn on_client(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        fx: &mut Vec<Effect>,
    ) {
        // Read, answer, write, and again while the last read stopped at its budget.
        let mut more = readable;
        while more {
            let lines = match self
                .clients
                .read(token, self.poll.registry(), &mut self.sources)
            {
                ReadOutcome::Closed => {
                    self.clients
                        .drop_conn(token, self.poll.registry(), &mut self.sources);
                    return;
                }
                ReadOutcome::Lines(lines) => lines,
            };
            for l in lines {
                if !self.on_line(token, l, fx) {
                    return;
                }
            }
            // Answers go out before the next read: a flood is answered as it comes.
            self.apply(fx);
            let Some(conn) = self.clients.get_mut(token) else {
                return;
            };
            more = conn.more();
            if conn.is_gone() {
                self.clients
                    .drop_conn(token, self.poll.registry(), &mut self.sources);
                return;
            }
        }
        if readable || writable {
            self.clients
                .flush(token, self.poll.registry(), &mut self.sources);
        }
    }

    /// Handles one line of a client; false once the client is gone.
    fn on_line(&mut self, token: Token, l: Line, fx: &mut Vec<Effect>) -> bool {
        let l = match l {
            Line::Request(mut req) => match self.on_checkpoint_call(token, &mut req, fx) {
                Some(alive) => return alive,
                None => Line::Request(req),
            },
            other => other,
        };
        let registry = self.poll.registry();
        let (line, subscribe, parked) = match l {
            Line::Bad(resp) => (Some(resp.to_line()), false, false),
            Line::Request(req) if Shim::is_terminal_call(&req) => {
                return self.on_terminal_line(token, req)
            }
            Line::Request(req) => {
                let has_id = req.id.is_some();
                match methods::handle(
                    req,
                    token,
                    &mut self.life,
                    &self.facts,
                    &mut self.timers,
                    fx,
                ) {
                    Outcome::Reply(line) => (line, false, false),
                    Outcome::Parked => (None, false, has_id),
                    Outcome::Subscribed(line) => (line, true, false),
                }
            }
        };
        let Some(conn) = self.clients.get_mut(token) else {
            return false;
        };
        if subscribe {
            conn.subscribe();
        }
        if parked {
            conn.park();
        }
        match line {
            Some(line) => self.clients.send(token, &line, registry, &mut self.sources),
            None => true,
        }
    }
}
