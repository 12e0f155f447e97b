//! Writing case files back (for blessing): every file round-trips, and any bytes survive.

use std::path::Path;

use hashcheck::cases::format::{self, Arg, Expect, Step};
use proptest::prelude::*;

use super::HEAD;
use crate::support;

#[test]
fn every_case_file_round_trips_through_the_writer() {
    let yaml_files = |dir: &std::path::Path| hashcheck::cmd::run::case_files(dir).unwrap();
    let mut files = yaml_files(&support::workspace().join("cases"));
    for dir in ["good", "planted"] {
        files.extend(yaml_files(&support::fixtures().join(dir)));
    }
    assert!(files.len() > 10);
    for path in files {
        let first = format::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = format::write(&first);
        let second = format::load_str(&path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            second.without_lines(),
            first.without_lines(),
            "{}",
            path.display()
        );
        assert_eq!(format::write(&second), text, "{}", path.display());
    }
}

fn file_with(args: Vec<Arg>, expect: Expect) -> format::CaseFile {
    let text = format!("{HEAD}      - send: [PING]\n");
    let mut file = format::load_str(Path::new("p.yaml"), &text).unwrap();
    let Step::Send(send) = &mut file.cases[0].steps[0] else {
        panic!()
    };
    send.args = args;
    send.expect = Some(expect);
    file
}

proptest! {
    /// Whatever bytes an argument or a bulk reply holds, the writer spells them so that
    /// the loader reads the same bytes back.
    #[test]
    fn any_bytes_survive_write_and_load(
        arg in proptest::collection::vec(any::<u8>(), 0..12),
        text in "\\PC{0,12}",
        ascii in "[ -~]{0,12}",
    ) {
        let file = file_with(
            vec![
                Arg::Bytes(b"HSET".to_vec()),
                Arg::Bytes(arg.clone()),
                Arg::Bytes(text.clone().into_bytes()),
                Arg::Bytes(ascii.clone().into_bytes()),
            ],
            Expect::Array(vec![
                Expect::Bulk(arg),
                Expect::Bulk(text.into_bytes()),
                Expect::Bulk(ascii.clone().into_bytes()),
                Expect::Status(ascii.clone()),
                Expect::Error(ascii),
            ]),
        );
        let written = format::write(&file);
        let back = format::load_str(Path::new("p.yaml"), &written)
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        prop_assert_eq!(back.without_lines(), file.without_lines(), "{}", written);
    }
}
