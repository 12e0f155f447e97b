//! Loading: errors with their lines, spellings YAML would change, expectation forms.

use super::*;

#[test]
fn tokens_skip_quotes_keys_and_comments() {
    assert_eq!(
        plain_tokens(r#"      - send: [HSET, "a,b", 0x10, 'it''s', +5] # 007"#),
        vec!["HSET", "0x10", "+5"]
    );
    assert_eq!(
        plain_tokens("        expect: {map: [[f, 007]]}"),
        vec!["f", "007"]
    );
    assert_eq!(plain_tokens("note: call 007 now"), vec!["call 007 now"]);
}

#[test]
fn respelled_scalars() {
    for t in ["+5", "0x10", "0XfF", "0o17", "-0", "007", "-007"] {
        assert!(respelled(t), "{t}");
    }
    for t in ["5", "-5", "0", "1.5", "HSET", "0xZZ", "x007"] {
        assert!(!respelled(t), "{t}");
    }
}

#[test]
fn replacing_expectations_keeps_everything_else() {
    let text = "# heading\nsource: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [HSET, h, a, \"1\"]   # set up\n        expect: 2\n\n      - send: [HGETALL, h]\n        expect:\n          - a\n          - \"1\"\n        order: exact\n      - send: [HLEN, h]\n        expect: 1\n";
    let changes = vec![
        (7, Expect::Int(1)),
        (
            10,
            Expect::Map(vec![(
                Expect::Bulk(b"a".to_vec()),
                Expect::Bulk(b"1".to_vec()),
            )]),
        ),
    ];
    let out = replace_expectations(text, &changes).unwrap();
    assert_eq!(
        out,
        "# heading\nsource: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [HSET, h, a, \"1\"]   # set up\n        expect: 1\n\n      - send: [HGETALL, h]\n        expect: {map: [[a, \"1\"]]}\n        order: exact\n      - send: [HLEN, h]\n        expect: 1\n"
    );
    assert_eq!(replace_expectations(text, &[(8, Expect::Null)]), None);
    assert!(load_str(Path::new("x.yaml"), &out).is_ok());
}

#[test]
fn a_file_cut_into_cases_loads_as_it_does_whole() {
    let mut text = "# heading\nsource: s\nbehaviour: b\ncases:\n".to_string();
    for n in 0..150 {
        text.push_str(&format!(
            "  # case {n}\n  - name: c{n}\n    note: |\n      [a note] - over: lines\n    steps:\n      - send: [HSET, h, f, \"{n}\"]\n        expect: 1\n      - wait: 5\n      - send: [HGETALL, h]\n        expect: {{map: [[f, \"{n}\"]]}}\n\n"
        ));
    }
    text.push_str("tags: [after]\n");
    let path = Path::new("x.yaml");
    let lines: Vec<&str> = text.lines().collect();
    let parts = Parts::find(&text, &lines, 0).expect("cut");
    assert_eq!(parts.cases.len(), 150);
    let whole = load_cut(path, &text, usize::MAX).unwrap();
    assert_eq!(load_cut(path, &text, 0).unwrap(), whole);
    assert_eq!(whole.tags, vec!["after"]);
    // Errors name the same line either way.
    let bad = text.replace(
        "expect: {map: [[f, \"40\"]]}",
        "expect: {map: [[f, \"40\"]]",
    );
    let (cut, whole) = (load_cut(path, &bad, 0), load_cut(path, &bad, usize::MAX));
    assert_eq!(cut.unwrap_err().loc, whole.unwrap_err().loc);
    let dup = text.replace("name: c41", "name: c40");
    let (cut, whole) = (load_cut(path, &dup, 0), load_cut(path, &dup, usize::MAX));
    assert_eq!(cut.unwrap_err(), whole.unwrap_err());
    // A file of another shape is parsed whole.
    let flow = "source: s\nbehaviour: b\ncases: [{name: c, steps: [{send: [PING]}]}]\n";
    assert!(Parts::find(flow, &flow.lines().collect::<Vec<_>>(), 0).is_none());
}

#[test]
fn hex_decoding() {
    assert_eq!(decode_hex("00ff41"), Some(vec![0, 255, b'A']));
    assert_eq!(decode_hex("0"), None);
    assert_eq!(decode_hex("zz"), None);
}
