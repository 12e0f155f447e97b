//! How a plant changes the engine: a chain of mutations in front of it.
//!
//! A mutation sees each command before the engine does and each reply after, and may send
//! the engine other commands first (to read a TTL, say). It never reaches inside the engine,
//! so the production engine and `hashcheck serve` carry no trace of the plants.

use reference_engine::{Engine, Protocol, Reply, Session};

/// One change: given the command, produce the reply, calling `inner.call` for the layers
/// below (the next mutation, and finally the engine).
pub type Mutation = fn(&mut Inner<'_>, &[Vec<u8>]) -> Reply;

/// What a mutation may use: the layers below it, the client's protocol, a counter.
pub struct Inner<'a> {
    pub engine: &'a mut Engine,
    pub session: &'a mut Session,
    rest: &'a [Mutation],
    /// Advances on every call of `turn()`: the variants' own "random" choices, reproducible.
    turns: &'a mut u64,
}

impl Inner<'_> {
    /// Runs `argv` through the layers below this one.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> Reply {
        match self.rest.split_first() {
            Some((first, rest)) => {
                let mut below = Inner {
                    engine: self.engine,
                    session: self.session,
                    rest,
                    turns: self.turns,
                };
                first(&mut below, argv)
            }
            None => self.engine.execute(self.session, argv),
        }
    }

    /// `call` with words (for the side commands mutations send).
    pub fn call_words(&mut self, words: &[&[u8]]) -> Reply {
        let argv: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
        self.call(&argv)
    }

    pub fn resp3(&self) -> bool {
        self.session.protocol == Protocol::Resp3
    }

    /// A number that changes on every call.
    pub fn turn(&mut self) -> u64 {
        *self.turns = self
            .turns
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *self.turns >> 33
    }
}

/// The engine behind a plant's mutations, as `hashcheck serve`'s executor.
pub struct Planted {
    engine: Engine,
    mutations: Vec<Mutation>,
    turns: u64,
}

impl Planted {
    pub fn new(engine: Engine, mutations: Vec<Mutation>) -> Self {
        Self {
            engine,
            mutations,
            turns: 1,
        }
    }
}

impl hashcheck::serve::Executor for Planted {
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply {
        let mut inner = Inner {
            engine: &mut self.engine,
            session,
            rest: &self.mutations,
            turns: &mut self.turns,
        };
        let reply = inner.call(argv);
        if is(argv, "info") {
            return as_proxy_info(reply);
        }
        reply
    }
}

/// INFO as a proxy in front of Redis 8.2.3 forwards it: `redis_version` and no
/// `hashcheck_version` (which would tell hashcheck it is talking to its own engine).
fn as_proxy_info(reply: Reply) -> Reply {
    let strip = |text: &[u8]| -> Vec<u8> {
        String::from_utf8_lossy(text)
            .split_inclusive('\n')
            .filter(|line| !line.starts_with("hashcheck_version:"))
            .collect::<String>()
            .into_bytes()
    };
    match reply {
        Reply::Bulk(text) => Reply::Bulk(strip(&text)),
        Reply::Verbatim { format, text } => Reply::Verbatim {
            format,
            text: strip(&text),
        },
        other => other,
    }
}

// ----- helpers the mutations share -----

/// Whether `argv` is the command `name` (any case).
pub fn is(argv: &[Vec<u8>], name: &str) -> bool {
    argv.first()
        .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
}

/// Where the options of a FIELDS command end: at FIELDS (field names after it may spell
/// anything), or at the end.
fn options_end(argv: &[Vec<u8>]) -> usize {
    argv.iter()
        .skip(2)
        .position(|a| a.eq_ignore_ascii_case(b"FIELDS"))
        .map_or(argv.len(), |p| p + 2)
}

/// The index of option `word` among argv[from..options_end].
pub fn option_at(argv: &[Vec<u8>], from: usize, word: &str) -> Option<usize> {
    let end = options_end(argv);
    (from..end).find(|&i| argv[i].eq_ignore_ascii_case(word.as_bytes()))
}

/// `argv` without option `word` (and `extra` words after it).
pub fn without(argv: &[Vec<u8>], from: usize, word: &str, extra: usize) -> Vec<Vec<u8>> {
    let mut out = argv.to_vec();
    if let Some(i) = option_at(argv, from, word) {
        out.drain(i..(i + 1 + extra).min(out.len()));
    }
    out
}

/// `argv` with option `from_word` spelled `to_word`.
pub fn renamed(argv: &[Vec<u8>], from: usize, from_word: &str, to_word: &str) -> Vec<Vec<u8>> {
    let mut out = argv.to_vec();
    if let Some(i) = option_at(argv, from, from_word) {
        out[i] = to_word.as_bytes().to_vec();
    }
    out
}

/// `argv` with options `a` and `b` swapped.
pub fn swapped(argv: &[Vec<u8>], from: usize, a: &str, b: &str) -> Vec<Vec<u8>> {
    match (option_at(argv, from, a), option_at(argv, from, b)) {
        (Some(_), _) => renamed(argv, from, a, b),
        (None, Some(_)) => renamed(argv, from, b, a),
        _ => argv.to_vec(),
    }
}

/// An argument as an integer.
pub fn int(arg: Option<&Vec<u8>>) -> Option<i64> {
    std::str::from_utf8(arg?).ok()?.parse().ok()
}

/// The field names after FIELDS n.
pub fn fields(argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let at = options_end(argv);
    argv.get(at + 2..).map(|f| f.to_vec()).unwrap_or_default()
}

/// Each integer of an array reply changed by `f` (for per-field code arrays).
pub fn map_ints(reply: Reply, f: impl Fn(usize, i64) -> i64) -> Reply {
    match reply {
        Reply::Array(items) => Reply::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Reply::Integer(n) => Reply::Integer(f(i, n)),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Bulk strings inside `reply` (at any depth) changed by `f`.
pub fn map_bulks(reply: Reply, f: &dyn Fn(Vec<u8>) -> Vec<u8>) -> Reply {
    match reply {
        Reply::Bulk(b) => Reply::Bulk(f(b)),
        Reply::Array(items) => Reply::Array(items.into_iter().map(|r| map_bulks(r, f)).collect()),
        Reply::Map(kv) => Reply::Map(
            kv.into_iter()
                .map(|(k, v)| (map_bulks(k, f), map_bulks(v, f)))
                .collect(),
        ),
        other => other,
    }
}
