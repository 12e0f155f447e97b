//! RESP parsing: requests (multibulk and inline, as Redis accepts them) and replies.
//! Bytes only; the sockets live in the harness.
