//! The `Authenticator` seam and its configuration-driven default (mcp-surface §5).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use futures::future::BoxFuture;
use http::HeaderMap;
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AuthMethod, Principal, PrincipalDirectory, TransportLabel};
use crate::config::{AuthConfig, AuthMode, MtlsIdentity};

/// Largest accepted `Authorization` header.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;
/// Largest accepted `x-decision-gate-client-subject` header.
pub const MAX_CLIENT_SUBJECT_BYTES: usize = 512;

/// A client certificate verified by the TLS layer: its identity facts and its DER bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCertIdentity {
    /// Subject common name.
    pub common_name: Option<String>,
    /// DNS, URI and e-mail SAN entries in certificate order.
    pub sans: Vec<String>,
    /// SHA-256 hex of the DER certificate (a stable credential id).
    pub fingerprint: String,
    /// SHA-256 hex of the certificate's issuer name (DER): the id of the CA that signed it,
    /// equal to the SHA-256 of that CA certificate's subject name.
    pub issuer_id: String,
    /// The DER certificate, for authenticators that read more than the names.
    pub der: Arc<[u8]>,
}

/// What the authenticator sees of a request.
#[derive(Clone, Debug)]
pub struct AuthRequest<'a> {
    /// Transport.
    pub transport: TransportLabel,
    /// TCP peer (HTTP only).
    pub peer: Option<SocketAddr>,
    /// The client IP: the TCP peer, or behind a trusted proxy the right-most `X-Forwarded-For`
    /// address that is not itself a trusted proxy (HTTP only).
    pub client_ip: Option<IpAddr>,
    /// Every request header (empty over stdio).
    pub headers: &'a HeaderMap,
    /// The verified client certificate of a mutual-TLS connection.
    pub client_cert: Option<&'a ClientCertIdentity>,
}

impl<'a> AuthRequest<'a> {
    /// The raw `Authorization` header value.
    pub fn authorization(&self) -> Option<&'a [u8]> {
        self.headers.get(http::header::AUTHORIZATION).map(|value| value.as_bytes())
    }

    /// The raw `x-decision-gate-client-subject` header value.
    pub fn client_subject_header(&self) -> Option<&'a [u8]> {
        self.headers.get("x-decision-gate-client-subject").map(|value| value.as_bytes())
    }

    /// A stdio request (no peer, no headers).
    pub fn stdio(headers: &'a HeaderMap) -> Self {
        AuthRequest { transport: TransportLabel::Stdio, peer: None, client_ip: None, headers, client_cert: None }
    }
}

/// Whether a failure is a 401, a 403 or a retryable outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailureStatus {
    /// -32001, HTTP 401.
    Unauthenticated,
    /// -32003, HTTP 403 (identity not allowed).
    Forbidden,
    /// A dependency the credential is checked against (a key store, an identity provider) is
    /// unreachable: -32072, HTTP 503 with `Retry-After`. Never answered as "invalid
    /// credentials": nothing is known about the credential.
    Unavailable,
}

/// An authentication failure; `reason` goes only to the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFailure {
    /// 401 or 403.
    pub status: AuthFailureStatus,
    /// Audit reason (`missing authorization`, `invalid bearer token`, …).
    pub reason: String,
    /// Whether a presented token was rejected (`error="invalid_token"` in the challenge).
    pub token_rejected: bool,
}

impl AuthFailure {
    fn unauthenticated(reason: &str) -> Self {
        AuthFailure { status: AuthFailureStatus::Unauthenticated, reason: reason.to_owned(), token_rejected: false }
    }
}

/// Outcome of an authentication attempt, with audit facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthOutcome {
    /// The principal, or why there is none.
    pub result: Result<Principal, AuthFailure>,
    /// A client-subject header from a peer that is not a trusted proxy was ignored.
    pub ignored_untrusted_subject_header: bool,
}

/// Authenticates requests (seam: enterprise builds implement API keys and OIDC).
pub trait Authenticator: Send + Sync {
    /// Authenticates one request.
    fn authenticate<'a>(&'a self, request: &'a AuthRequest<'a>) -> BoxFuture<'a, AuthOutcome>;
}

/// A CIDR block or a single address (as a /32 or /128), surrounding white space ignored.
pub fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Parsed `trusted_proxies`.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses IP addresses and CIDR blocks; invalid entries are an error naming them.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| parse_network(entry).ok_or_else(|| format!("invalid trusted proxy: {entry}")))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether an address is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The default authenticator: `local_only`, `bearer_token` or `mtls` from `[server.auth]`;
/// roles, tenant bindings and policy class come from `[[server.auth.principals]]`.
#[derive(Clone, Debug)]
pub struct ConfigAuthenticator {
    mode: AuthMode,
    token_hashes: Vec<[u8; 32]>,
    mtls_subjects: Vec<String>,
    mtls_identity: MtlsIdentity,
    trusted_proxies: TrustedProxies,
    directory: PrincipalDirectory,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl ConfigAuthenticator {
    /// Builds the authenticator from configuration.
    pub fn new(config: &AuthConfig) -> Result<Self, String> {
        Ok(ConfigAuthenticator {
            mode: config.mode,
            token_hashes: config.bearer_tokens.iter().map(|token| sha256(token.as_bytes())).collect(),
            mtls_subjects: config.mtls_subjects.clone(),
            mtls_identity: config.mtls_identity,
            trusted_proxies: TrustedProxies::parse(&config.trusted_proxies)?,
            directory: PrincipalDirectory::new(&config.principals),
        })
    }

    /// The trusted proxies.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    fn is_from_trusted_proxy(&self, request: &AuthRequest<'_>) -> bool {
        request.peer.is_some_and(|peer| self.trusted_proxies.contains(peer.ip()))
    }

    fn local(&self, request: &AuthRequest<'_>) -> Result<Principal, AuthFailure> {
        if request.transport == TransportLabel::Stdio {
            return Ok(Principal::stdio());
        }
        match request.peer {
            Some(peer) if peer.ip().is_loopback() && !self.is_from_trusted_proxy(request) => Ok(Principal::loopback()),
            _ => Err(AuthFailure::unauthenticated("local-only mode requires loopback access")),
        }
    }

    fn bearer(&self, request: &AuthRequest<'_>) -> Result<Principal, AuthFailure> {
        let header = request.authorization().ok_or_else(|| AuthFailure::unauthenticated("missing authorization"))?;
        if header.len() > MAX_AUTHORIZATION_BYTES {
            return Err(AuthFailure::unauthenticated("authorization header too large"));
        }
        let text = std::str::from_utf8(header)
            .map_err(|_| AuthFailure::unauthenticated("invalid authorization header"))?
            .trim();
        let (scheme, token) =
            text.split_once(' ').ok_or_else(|| AuthFailure::unauthenticated("invalid authorization header"))?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(AuthFailure::unauthenticated("invalid authorization header"));
        }
        let presented = sha256(token.as_bytes());
        // Compare digests in constant time and visit every configured token.
        let matched = self.token_hashes.iter().fold(false, |found, known| found | bool::from(known.ct_eq(&presented)));
        if !matched {
            return Err(AuthFailure { token_rejected: true, ..AuthFailure::unauthenticated("invalid bearer token") });
        }
        Ok(Principal { token_fingerprint: Some(hex::encode(presented)), ..Principal::new(AuthMethod::BearerToken) })
    }

    fn mtls(&self, request: &AuthRequest<'_>) -> (Result<Principal, AuthFailure>, bool) {
        let trusted = self.is_from_trusted_proxy(request);
        let header_subject = request
            .client_subject_header()
            .and_then(|raw| std::str::from_utf8(raw).ok())
            .map(str::trim)
            .filter(|subject| !subject.is_empty() && subject.len() <= MAX_CLIENT_SUBJECT_BYTES);
        let ignored_header = request.client_subject_header().is_some() && !trusted;
        let identity = if trusted {
            header_subject.map(str::to_owned)
        } else {
            request.client_cert.and_then(|cert| self.certificate_identity(cert))
        };
        let Some(identity) = identity else {
            return (Err(AuthFailure::unauthenticated("missing mTLS client identity")), ignored_header);
        };
        if !self.mtls_subjects.is_empty() && !self.mtls_subjects.contains(&identity) {
            let failure = AuthFailure {
                status: AuthFailureStatus::Forbidden,
                reason: "client subject not authorized".to_owned(),
                token_rejected: false,
            };
            return (Err(failure), ignored_header);
        }
        let principal = Principal {
            subject: Some(identity),
            credential_id: request.client_cert.filter(|_| !trusted).map(|cert| cert.fingerprint.clone()),
            ..Principal::new(AuthMethod::MtlsSubject)
        };
        (Ok(principal), ignored_header)
    }

    fn certificate_identity(&self, cert: &ClientCertIdentity) -> Option<String> {
        match self.mtls_identity {
            MtlsIdentity::SubjectCn => cert.common_name.clone(),
            MtlsIdentity::San => {
                if self.mtls_subjects.is_empty() {
                    cert.sans.first().cloned()
                } else {
                    cert.sans.iter().find(|san| self.mtls_subjects.contains(san)).cloned()
                }
            }
        }
    }
}

impl Authenticator for ConfigAuthenticator {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest<'a>) -> BoxFuture<'a, AuthOutcome> {
        let mut outcome = match self.mode {
            AuthMode::LocalOnly => AuthOutcome { result: self.local(request), ignored_untrusted_subject_header: false },
            AuthMode::BearerToken => {
                AuthOutcome { result: self.bearer(request), ignored_untrusted_subject_header: false }
            }
            AuthMode::Mtls => {
                let (result, ignored) = self.mtls(request);
                AuthOutcome { result, ignored_untrusted_subject_header: ignored }
            }
        };
        if let Ok(principal) = &mut outcome.result {
            self.directory.attach(principal);
        }
        Box::pin(std::future::ready(outcome))
    }
}
