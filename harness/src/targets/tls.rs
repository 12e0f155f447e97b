//! TLS for `rediss://` targets, with rustls driven one socket read or write at a time, so
//! the handshake and every reply stay inside the deadline of [`super::wire`] (rustls's own
//! `Stream` loops over the socket until it has what it wants, which a dripping server can
//! stretch forever).
//!
//! Trust is what the `redis` crate did: the system's CAs (`rustls-native-certs`), or the CA
//! file of `--tls-ca`, or with `--tls-insecure` any certificate (and no SNI).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore};

/// Whom to trust.
pub enum Trust<'a> {
    System,
    CaFile(&'a Path),
    Anyone,
}

/// A TLS client connection over a socket.
pub struct TlsStream {
    socket: TcpStream,
    tls: ClientConnection,
}

impl TlsStream {
    /// Starts TLS on `socket` for `host`; [`TlsStream::handshake`] completes it.
    pub fn new(socket: TcpStream, host: &str, trust: Trust<'_>) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let config = match trust {
            Trust::Anyone => {
                let mut config = builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                    .with_no_client_auth();
                config.enable_sni = false;
                config
            }
            Trust::System => builder
                .with_root_certificates(system_roots()?)
                .with_no_client_auth(),
            Trust::CaFile(path) => builder
                .with_root_certificates(file_roots(path)?)
                .with_no_client_auth(),
        };
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
            .map_err(|e| format!("{host}: {e}"))?;
        let tls = ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
        Ok(Self { socket, tls })
    }

    /// Runs the handshake until done or `deadline`, one socket operation at a time.
    pub fn handshake(&mut self, deadline: Instant) -> io::Result<()> {
        while self.tls.is_handshaking() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
            }
            self.socket.set_read_timeout(Some(left))?;
            self.socket.set_write_timeout(Some(left))?;
            if self.tls.wants_write() {
                self.tls.write_tls(&mut self.socket)?;
            } else {
                self.read_record()?;
            }
        }
        Ok(())
    }

    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    /// Plaintext if some is ready, else one socket read (then `Interrupted` if it did not
    /// complete a record).
    pub fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tls.reader().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if self.tls.wants_write() {
            self.tls.write_tls(&mut self.socket)?;
        }
        if self.read_record()? == 0 {
            return Ok(0);
        }
        match self.tls.reader().read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(io::ErrorKind::Interrupted.into())
            }
            Err(e) => Err(e),
        }
    }

    /// Takes what plaintext rustls will buffer, then one socket write of records.
    pub fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        let taken = self.tls.writer().write(buf)?;
        if self.tls.wants_write() {
            self.tls.write_tls(&mut self.socket)?;
        }
        if taken == 0 && !buf.is_empty() && !self.tls.wants_write() {
            return Err(io::Error::other("TLS connection closed for writing"));
        }
        Ok(taken)
    }

    pub fn pending_write(&self) -> bool {
        self.tls.wants_write()
    }

    /// One socket read of TLS records, processed.
    fn read_record(&mut self) -> io::Result<usize> {
        let n = self.tls.read_tls(&mut self.socket)?;
        self.tls
            .process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(n)
    }
}

fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    if let Some(e) = found.errors.first() {
        return Err(format!("system CA certificates: {e}"));
    }
    let mut roots = RootCertStore::empty();
    let (_, _) = roots.add_parsable_certificates(found.certs);
    Ok(roots)
}

fn file_roots(path: &Path) -> Result<RootCertStore, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot read --tls-ca {}: {e}", path.display());
    let pem = std::fs::read(path).map_err(|e| fail(&e))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(cert.map_err(|e| fail(&e))?)
            .map_err(|e| fail(&e))?;
    }
    if roots.is_empty() {
        return Err(fail(&"no certificate in it"));
    }
    Ok(roots)
}

/// `--tls-insecure`: any certificate is accepted; signatures are still checked, so the
/// session is at least with the holder of the certificate's key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
