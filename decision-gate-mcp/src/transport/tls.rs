//! TLS and mutual TLS with rustls (mcp-surface §4.5): server certificates, optional client
//! certificate verification, and the identity of a verified client certificate.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use sha2::Digest;
use tokio_rustls::TlsAcceptor;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::auth::ClientCertIdentity;
use crate::config::TlsConfig;

/// Installs the process-wide rustls crypto provider (ring). Safe to call repeatedly.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let file = File::open(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    let certificates = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("invalid PEM in {}: {err}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(certificates)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let file = File::open(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|err| format!("invalid PEM in {}: {err}", path.display()))?
        .ok_or_else(|| format!("no private key in {}", path.display()))
}

/// Builds the TLS acceptor: TLS 1.2+, ALPN `h2` and `http/1.1`, and client certificate
/// verification against `client_ca_path` when set (mandatory unless `require_client_cert` is off).
pub fn build_tls_acceptor(config: &TlsConfig) -> Result<TlsAcceptor, String> {
    install_crypto_provider();
    let chain = read_certificates(&config.cert_path)?;
    let key = read_private_key(&config.key_path)?;
    let builder = rustls::ServerConfig::builder();
    let builder = match &config.client_ca_path {
        Some(ca_path) => {
            let mut roots = RootCertStore::empty();
            for certificate in read_certificates(ca_path)? {
                roots.add(certificate).map_err(|err| format!("invalid client CA certificate: {err}"))?;
            }
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots));
            let verifier = if config.require_client_cert { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|err| format!("client verifier: {err}"))?)
        }
        None => builder.with_no_client_auth(),
    };
    let mut server = builder.with_single_cert(chain, key).map_err(|err| format!("server certificate: {err}"))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

/// The ids and subject names of the CA certificates in a PEM bundle (see [`ca_identity`]).
pub fn ca_identities(path: &Path) -> Result<Vec<(String, String)>, String> {
    read_certificates(path)?
        .iter()
        .map(|certificate| {
            ca_identity(certificate).ok_or_else(|| format!("a certificate in {} does not parse", path.display()))
        })
        .collect()
}

/// Identity facts of a (verified) client certificate: subject CN and DNS/URI/e-mail SANs in
/// certificate order.
pub fn certificate_identity(certificate: &CertificateDer<'_>) -> Option<ClientCertIdentity> {
    let (_, parsed) = X509Certificate::from_der(certificate.as_ref()).ok()?;
    let common_name = parsed.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned);
    let mut sans = Vec::new();
    if let Ok(Some(extension)) = parsed.subject_alternative_name() {
        for name in &extension.value.general_names {
            match name {
                GeneralName::DNSName(value) | GeneralName::URI(value) | GeneralName::RFC822Name(value) => {
                    sans.push((*value).to_owned())
                }
                _ => {}
            }
        }
    }
    let fingerprint = hex::encode(sha2::Sha256::digest(certificate.as_ref()));
    let issuer_id = hex::encode(sha2::Sha256::digest(parsed.issuer().as_raw()));
    Some(ClientCertIdentity { common_name, sans, fingerprint, issuer_id, der: Arc::from(certificate.as_ref()) })
}

/// The id of a CA certificate as the issuer of the certificates it signs: SHA-256 hex of its
/// subject name (DER), with the subject name for people. `None` for a certificate that does
/// not parse.
pub fn ca_identity(certificate: &CertificateDer<'_>) -> Option<(String, String)> {
    let (_, parsed) = X509Certificate::from_der(certificate.as_ref()).ok()?;
    Some((hex::encode(sha2::Sha256::digest(parsed.subject().as_raw())), parsed.subject().to_string()))
}
