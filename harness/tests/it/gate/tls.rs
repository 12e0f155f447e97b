//! TLS: a `rediss://` target is checked with a CA file, or with an explicit insecure flag,
//! and refused naming the TLS step otherwise.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{self, hashcheck, servers, text};

/// A CA and a server certificate for 127.0.0.1, made with the openssl command.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed for the TLS test");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=hashcheck test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[test]
fn tls_with_a_ca_file_or_an_explicit_insecure_flag() {
    let _turn = support::light();
    // Debian's Redis 7.0.15 is built with TLS (the 8.2.3 and Valkey wheels are not).
    let dir = support::temp_dir("tls");
    make_certificates(&dir);
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let tls_port = hashcheck::process::free_port().unwrap().to_string();
    let server = servers::redis_7_0_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &file("server.crt"),
        "--tls-key-file",
        &file("server.key"),
        "--tls-ca-cert-file",
        &file("ca.crt"),
        "--tls-auth-clients",
        "no",
    ]);
    let url = format!("rediss://127.0.0.1:{tls_port}");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--tls-ca",
        &file("ca.crt"),
    ]);
    support::assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("= redis 7.0.15"));
    // The system's CAs do not know ours: refused, naming the TLS step.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--connect-timeout",
        "3s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("TLS handshake") && stderr.to_lowercase().contains("certificate"),
        "{stderr}"
    );
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--tls-insecure",
    ]);
    support::assert_exit(&out, 0);
    // TLS flags on a plain URL are a mistake, said so.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &server.addr(),
        "--tls-insecure",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("need a rediss:// URL"));
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
