//! Writing a request, the client side: the multibulk form every client sends.

/// The multibulk encoding of a command, as clients send it.
pub fn encode_request(argv: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request_into(&mut out, argv);
    out
}

/// [`encode_request`], appended to `out` (a pipeline's buffer, reused batch after batch).
pub fn encode_request_into(out: &mut Vec<u8>, argv: &[impl AsRef<[u8]>]) {
    push_header(out, b'*', argv.len());
    for arg in argv {
        let arg = arg.as_ref();
        push_header(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// `*<n>\r\n` or `$<n>\r\n`, without going through `fmt`: the fuzzer encodes every
/// argument of millions of commands.
fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(kind);
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::parse_requests;

    #[test]
    fn requests_encode_as_multibulk_with_lengths_of_any_size() {
        assert_eq!(
            encode_request(&[&b"HSET"[..], b"k", b"\x00", b""]),
            b"*4\r\n$4\r\nHSET\r\n$1\r\nk\r\n$1\r\n\x00\r\n$0\r\n\r\n".to_vec()
        );
        let long = vec![b'x'; 1_234_567];
        let argv = vec![long.clone(); 10];
        let mut out = b"kept".to_vec();
        encode_request_into(&mut out, &argv);
        assert!(out.starts_with(b"kept*10\r\n$1234567\r\nxxx"));
        let (parsed, error) = parse_requests(&out[4..]);
        assert_eq!((parsed, error), (vec![argv], None));
    }
}
