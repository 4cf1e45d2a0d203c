//! An ephemeral certificate authority for TLS and mutual-TLS tests: server and client
//! certificates made with `rcgen` at test time (nothing is committed), clients that trust only
//! it, and the `[server.tls]` table pointing a server at its files.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::raw::{IO_TIMEOUT, RawHttp};
use crate::server::TestDir;

/// A certificate and its private key, PEM.
pub struct Pem {
    /// The certificate.
    pub cert: String,
    /// Its private key.
    pub key: String,
}

impl Pem {
    /// The certificate and key as a reqwest client identity.
    pub fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}{}", self.cert, self.key).as_bytes()).expect("identity PEM")
    }
}

/// An ephemeral CA issuing server and client certificates (nothing is committed).
pub struct TestCa {
    /// The CA certificate.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A CA named `decision-gate test CA`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        TestCa::named("decision-gate test CA")
    }

    /// A CA with this common name.
    pub fn named(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa { pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A certificate for `common_name` and `sans` with one extended key usage.
    pub fn issue(&self, common_name: &str, sans: Vec<SanType>, usage: ExtendedKeyUsagePurpose) -> Pem {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.subject_alt_names = sans;
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem { cert: cert.pem(), key: key.serialize_pem() }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server(&self) -> Pem {
        let sans =
            vec![SanType::IpAddress("127.0.0.1".parse().unwrap()), SanType::DnsName("localhost".try_into().unwrap())];
        self.issue("localhost", sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub fn client(&self, common_name: &str, sans: Vec<SanType>) -> Pem {
        self.issue(common_name, sans, ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// A raw HTTP client trusting only this CA, optionally presenting a client certificate.
    pub fn http(&self, base: &str, identity: Option<&Pem>) -> RawHttp {
        crate::install_crypto();
        let mut builder = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap()])
            .timeout(IO_TIMEOUT);
        if let Some(pem) = identity {
            builder = builder.identity(pem.identity());
        }
        RawHttp::with_client(base, builder.build().expect("TLS client"))
    }
}

/// Writes the CA bundle and the server certificate into `dir`; returns the `[server.tls]` table.
pub fn tls_table(dir: &TestDir, ca: &TestCa) -> String {
    let server = ca.server();
    let cert = dir.write("tls/server.pem", &server.cert);
    let key = dir.write("tls/server.key", &server.key);
    let bundle = dir.write("tls/ca.pem", &ca.pem);
    format!(
        "[server.tls]\ncert_path = \"{}\"\nkey_path = \"{}\"\nclient_ca_path = \"{}\"\n",
        cert.display(),
        key.display(),
        bundle.display()
    )
}
