//! A loopback proxy to a real server that refuses the admin commands a proxy such as
//! twemproxy does not offer (INFO, HELLO, DBSIZE, CLIENT, COMMAND, DEBUG) with an error
//! reply, and forwards everything else, one command at a time, so replies keep their order.
//!
//! The error text is deliberately not Redis's `ERR unknown command`: hashcheck must treat
//! any refusal of these commands as "not offered", whatever the wording.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use reference_engine::resp::{decode_reply, encode_request, RequestParser};

/// The commands the proxy refuses.
pub const REFUSED: &[&str] = &["INFO", "HELLO", "DBSIZE", "CLIENT", "COMMAND", "DEBUG"];

/// A running proxy; its threads end with the test process.
pub struct AdminLessProxy {
    port: u16,
}

impl AdminLessProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                thread::spawn(move || {
                    let _ = serve(client, upstream);
                });
            }
        });
        Self { port }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn serve(mut client: TcpStream, upstream: u16) -> std::io::Result<()> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut parser = RequestParser::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        parser.feed(&chunk[..n]);
        while let Ok(Some(argv)) = parser.next_request() {
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
            if REFUSED.contains(&name.as_str()) {
                client.write_all(format!("-ERR unsupported command '{name}'\r\n").as_bytes())?;
                continue;
            }
            server.write_all(&encode_request(&argv))?;
            client.write_all(&read_reply(&mut server)?)?;
        }
    }
}

fn read_reply(server: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        if let Ok(Some((_, used))) = decode_reply(&buf) {
            buf.truncate(used);
            return Ok(buf);
        }
        let n = server.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
