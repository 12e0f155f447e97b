//! `hashcheck serve`: the reference engine on the wall clock behind a TCP port (the server
//! itself is [`crate::serve`]).

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::Context as _;
use reference_engine::Engine;

use crate::serve::{memory, Server};

/// Options of `hashcheck serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: String,
    pub port: u16,
    /// Seeds HRANDFIELD's choices; None keeps the engine's default.
    pub seed: Option<u64>,
}

/// Runs `hashcheck serve`: the engine on the wall clock, behind `bind:port`, until killed.
pub fn execute(options: &ServeOptions) -> anyhow::Result<()> {
    let clock = Arc::new(reference_engine::SystemClock);
    let engine = match options.seed {
        Some(seed) => Engine::with_seed(clock, seed),
        None => Engine::new(clock),
    };
    let address = format!("{}:{}", options.bind, options.port);
    memory::no_transparent_huge_pages();
    let server = Server::bind(address.as_str(), engine)
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = server.local_addr()?;
    // Scripts and tests wait for this line and read the port from it (useful with --port 0).
    println!("hashcheck serve listening on {local}");
    io::stdout().flush()?;
    server.run()?;
    Ok(())
}
