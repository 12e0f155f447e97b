//! Servers of the tests' own on free loopback ports: a listener that hands each client to a
//! thread, a reader of the requests a client sends, and a proxy to a real server that
//! decides, request by request, what the client gets (the real reply, an error of its own,
//! or an attack). Their threads end with the test process.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use reference_engine::resp::{decode_reply, encode_request, RequestParser};

/// Listens on a free loopback port and runs `handle` for each client, on a thread of its
/// own; returns the port.
pub fn listen(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let handle = Arc::clone(&handle);
            thread::spawn(move || handle(client));
        }
    });
    port
}

/// The requests a client sends (RESP arrays or inline commands), one at a time.
pub struct Requests {
    stream: TcpStream,
    parser: RequestParser,
}

impl Requests {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            parser: RequestParser::new(),
        }
    }

    /// The next request; None when the client closed the connection or sent something
    /// that is not a request.
    pub fn next(&mut self) -> io::Result<Option<Vec<Vec<u8>>>> {
        let mut chunk = vec![0; 1 << 16];
        loop {
            match self.parser.next_request() {
                Ok(Some(argv)) => return Ok(Some(argv)),
                Ok(None) => {}
                Err(_) => return Ok(None),
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(None);
            }
            self.parser.feed(&chunk[..n]);
        }
    }
}

/// Reads one whole reply from `server`, as the bytes it sent.
pub fn read_reply(server: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        if let Ok(Some((_, used))) = decode_reply(&buf) {
            buf.truncate(used);
            return Ok(buf);
        }
        let n = server.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The proxy's connection to the real server, one per client.
pub struct Upstream(TcpStream);

impl Upstream {
    /// Sends `argv` to the real server and returns its reply's bytes.
    pub fn forward(&mut self, argv: &[Vec<u8>]) -> io::Result<Vec<u8>> {
        self.0.write_all(&encode_request(argv))?;
        read_reply(&mut self.0)
    }
}

/// A proxy to a real server on `127.0.0.1:upstream`. Requests are relayed one at a time,
/// so replies keep their order.
pub struct Proxy {
    port: u16,
}

impl Proxy {
    /// `relay` answers each request to the client, with the real server at hand; an error
    /// ends that client's connection (closed on both sides).
    pub fn start(
        upstream: u16,
        relay: impl Fn(&[Vec<u8>], &mut Upstream, &mut TcpStream) -> io::Result<()>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        let port = listen(move |client| {
            let _ = (|| -> io::Result<()> {
                let mut server = Upstream(TcpStream::connect(("127.0.0.1", upstream))?);
                let mut writer = client.try_clone()?;
                let mut requests = Requests::new(client);
                while let Some(argv) = requests.next()? {
                    relay(&argv, &mut server, &mut writer)?;
                }
                Ok(())
            })();
        });
        Self { port }
    }

    /// A proxy that refuses, with an error reply, the admin commands a proxy such as
    /// twemproxy does not offer ([`ADMIN`]), and forwards everything else.
    ///
    /// The error text is deliberately not Redis's `ERR unknown command`: hashcheck must
    /// treat any refusal of these commands as "not offered", whatever the wording.
    pub fn admin_less(upstream: u16) -> Self {
        Self::start(upstream, |argv, server, client| {
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
            if ADMIN.contains(&name.as_str()) {
                client.write_all(format!("-ERR unsupported command '{name}'\r\n").as_bytes())
            } else {
                client.write_all(&server.forward(argv)?)
            }
        })
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// The commands [`Proxy::admin_less`] refuses.
pub const ADMIN: &[&str] = &["INFO", "HELLO", "DBSIZE", "CLIENT", "COMMAND", "DEBUG"];
