//! RESP, the wire format, as bytes only (the sockets live in the harness):
//! - [`request`]: the server side, reading requests with Redis's rules ([`RequestParser`]);
//! - [`inline`]: how an inline request line is split into arguments;
//! - [`encode`]: the client side, writing a request;
//! - [`decode`]: the client side, reading a reply ([`decode_reply`]).

pub mod decode;
pub mod encode;
pub mod inline;
pub mod request;

pub use crate::error::ProtocolError;
pub use decode::{
    canonical, decode_replies, decode_reply, into_canonical, ReplyError, MAX_REPLY_DEPTH,
};
pub use encode::{encode_request, encode_request_into};
pub use inline::split_args;
pub use request::{
    parse_requests, Argv, RequestParser, INLINE_MAX_SIZE, MAX_BULK_LEN, MAX_MULTIBULK_LEN,
};
