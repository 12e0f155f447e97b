//! What a case cannot do on a Redis Cluster. Every key a case names is rewritten under one
//! hash-tagged prefix (`hc:<run-id>:{<n>}:`, see [`super::prefix`]), so all of a case's keys,
//! however many a command takes, are in one slot on one node: DEL, EXISTS and the rest work
//! as on a single server. What cannot work is a step that reaches past that slot: a command
//! that reads or counts the keys of every slot (each node answers for its own), and one
//! that names a database other than 0 (a cluster has only database 0). Such a case is
//! unsupported on a cluster, with the step and the reason in the report; on a single server
//! it runs as always.

use crate::cases::format::{Case, Step};

/// Commands whose answer covers every key of the database, not one slot's.
const WHOLE_KEYSPACE: &[&str] = &["dbsize", "keys", "scan", "randomkey", "flushdb", "flushall"];

/// Commands that use another database.
const OTHER_DATABASES: &[&str] = &["select", "move", "swapdb"];

/// Why `case` cannot run on a cluster, if it cannot: `unsupported in cluster mode: ...`.
pub fn reason(case: &Case) -> Option<String> {
    for step in &case.steps {
        let Step::Send(send) = step else { continue };
        let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
        let Some(name) = argv.first() else { continue };
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let why = if WHOLE_KEYSPACE.contains(&name.as_str()) {
            "reads or counts the keys of every slot, and each node of a cluster answers for its \
             own (a case's keys share one slot)"
        } else if OTHER_DATABASES.contains(&name.as_str())
            || (name == "copy" && copies_to_another_database(&argv))
        {
            "uses a database other than 0, and a cluster has only database 0"
        } else {
            continue;
        };
        return Some(format!(
            "unsupported in cluster mode: {} {why}",
            send.display()
        ));
    }
    None
}

/// Whether a COPY names another database than 0 with DB. `DB 0` is the cluster's own, and
/// a DB without a number is an error before any database is reached: Redis runs both on a
/// cluster as on one server.
fn copies_to_another_database(argv: &[Vec<u8>]) -> bool {
    let options = argv.get(3..).unwrap_or_default();
    options.windows(2).any(|pair| {
        let number = std::str::from_utf8(&pair[1])
            .ok()
            .and_then(|n| n.parse::<i64>().ok());
        pair[0].eq_ignore_ascii_case(b"db") && number.is_some_and(|n| n != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(text: &str) -> bool {
        let argv: Vec<Vec<u8>> = text.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        copies_to_another_database(&argv)
    }

    #[test]
    fn copy_into_database_0_stays_in_the_cluster() {
        assert!(!copy("COPY h h DB 0"));
        assert!(!copy("COPY h x REPLACE"));
        assert!(!copy("COPY h db"));
        assert!(copy("COPY h h DB 9"));
        assert!(copy("COPY h x db 16 REPLACE"));
        assert!(!copy("COPY h x REPLACE DB"));
        assert!(!copy("COPY h x DB abc"));
        assert!(copy("COPY h x DB -1"));
    }
}
