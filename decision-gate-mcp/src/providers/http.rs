//! Built-in `http` provider (mcp-surface §10.2).
//!
//! Checks `status` and `body_hash` with params `{url}` send one GET request. Only `https` URLs
//! are allowed unless `allow_http` is set; with `allowed_hosts` the URL host must be listed
//! exactly. Loopback, private, link-local, CGNAT and metadata addresses are refused after DNS
//! resolution (and as IP literals) unless `allow_private_networks` or `allowed_cidrs` admit
//! them, and the client connects only to the addresses that were checked
//! ([`super::network_policy`]). Redirects are never followed (a 3xx status is simply the value), proxies from the
//! environment are ignored, and the whole exchange is bounded by `timeout_ms`. Bodies are
//! capped by their declared `Content-Length` and by the bytes actually read, and a body shorter
//! than its declared length is an error.
//!
//! # Threading
//!
//! [`ProviderBackend::query`] is synchronous. The request runs as a task on the Tokio runtime
//! whose [`Handle`] was given at construction, and the calling thread waits for its answer on a
//! standard channel. The engine calls providers from blocking worker threads
//! (`spawn_blocking`); the wait never calls `Handle::block_on`, so even a call from a runtime
//! thread cannot panic (it would only occupy that thread until the timeout).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use decision_gate_core::evidence::{EvidenceContext, EvidenceRef, EvidenceResult};
use decision_gate_core::hashing::{HashAlgorithm, hash_bytes};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use tokio::runtime::Handle;

use super::builtin::{anchor, params_error, string_param, value_result};
use super::federation::ProviderBackend;
use super::network_policy::{AddressPolicy, ForbiddenAddress, GuardedResolver, HostLookup, SystemLookup};

/// Extra time the caller waits beyond `timeout_ms` before giving up on the runtime task.
const WAIT_MARGIN: Duration = Duration::from_secs(2);

/// `config` of the `http` provider (every field but `allowed_hosts` required when present).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpProviderConfig {
    /// Whether cleartext `http://` URLs may be requested.
    pub allow_http: bool,
    /// Time allowed for a whole request, body included, in milliseconds (>= 1).
    pub timeout_ms: u64,
    /// Largest body read, in bytes.
    pub max_response_bytes: usize,
    /// Exact host names that may be contacted (absent: any host).
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    /// User-Agent header of outgoing requests.
    pub user_agent: String,
    /// Digest algorithm of `body_hash`.
    pub hash_algorithm: HashAlgorithm,
    /// Whether loopback, private, link-local, CGNAT and metadata addresses may be contacted
    /// (optional, default false).
    #[serde(default)]
    pub allow_private_networks: bool,
    /// Addresses or CIDR blocks admitted even though they are private (optional).
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
}

impl Default for HttpProviderConfig {
    fn default() -> Self {
        HttpProviderConfig {
            allow_http: false,
            timeout_ms: 5000,
            max_response_bytes: 1_048_576,
            allowed_hosts: None,
            user_agent: "decision-gate/0.1".to_owned(),
            hash_algorithm: HashAlgorithm::Sha256,
            allow_private_networks: false,
            allowed_cidrs: Vec::new(),
        }
    }
}

/// The `http` provider.
#[derive(Clone, Debug)]
pub struct HttpProvider {
    client: reqwest::Client,
    handle: Handle,
    allow_http: bool,
    timeout: Duration,
    max_response_bytes: usize,
    allowed_hosts: Option<BTreeSet<String>>,
    hash_algorithm: HashAlgorithm,
    addresses: AddressPolicy,
}

impl HttpProvider {
    /// Builds the provider and its HTTP client.
    ///
    /// Installs the `ring` rustls provider as the process default if none is installed yet
    /// (the server does the same at startup); building a client without one would panic.
    pub fn new(config: HttpProviderConfig, handle: Handle) -> Result<Self, String> {
        Self::with_lookup(config, handle, Arc::new(SystemLookup))
    }

    /// Builds the provider with its own name resolution (tests answer names without DNS).
    pub fn with_lookup(
        config: HttpProviderConfig,
        handle: Handle,
        lookup: Arc<dyn HostLookup>,
    ) -> Result<Self, String> {
        if config.timeout_ms == 0 {
            return Err("timeout_ms must be at least 1".to_owned());
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let timeout = Duration::from_millis(config.timeout_ms);
        let addresses = AddressPolicy::new(config.allow_private_networks, &config.allowed_cidrs)?;
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(addresses.clone(), lookup)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .user_agent(config.user_agent.as_str())
            .build()
            .map_err(|err| format!("http client cannot be built: {err}"))?;
        let allowed_hosts =
            config.allowed_hosts.map(|hosts| hosts.into_iter().map(|host| host.trim().to_ascii_lowercase()).collect());
        Ok(HttpProvider {
            client,
            handle,
            allow_http: config.allow_http,
            timeout,
            max_response_bytes: config.max_response_bytes,
            allowed_hosts,
            hash_algorithm: config.hash_algorithm,
            addresses,
        })
    }

    /// Parses the URL and applies the scheme, credential and host rules.
    fn checked_url(&self, text: &str) -> Result<Url, EvidenceError> {
        let url = Url::parse(text).map_err(|_| EvidenceError("http url is invalid".to_owned()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err(EvidenceError("cleartext http urls are not allowed".to_owned())),
            _ => return Err(EvidenceError("http url scheme is not allowed".to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EvidenceError("http url must not carry credentials".to_owned()));
        }
        let host = url.host_str().ok_or_else(|| EvidenceError("http url has no host".to_owned()))?;
        let host = host.to_ascii_lowercase();
        // IPv6 hosts are written in brackets in URLs; either spelling may be listed.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Some(allowed) = &self.allowed_hosts
            && !allowed.contains(&host)
            && !allowed.contains(bare)
        {
            return Err(EvidenceError("http url host is not allowed".to_owned()));
        }
        // Names are checked after resolution; literal addresses never reach the resolver.
        if let Ok(ip) = bare.parse::<IpAddr>()
            && !self.addresses.permits(ip)
        {
            return Err(EvidenceError("http url address is not allowed".to_owned()));
        }
        Ok(url)
    }

    /// Runs the request on the runtime and waits for its answer.
    fn fetch(&self, url: Url, want_body: bool) -> Result<Fetched, EvidenceError> {
        let (sender, receiver) = mpsc::sync_channel(1);
        let client = self.client.clone();
        let max_bytes = self.max_response_bytes;
        self.handle.spawn(async move {
            let outcome = request(client, url, want_body, max_bytes).await;
            let _ = sender.send(outcome);
        });
        match receiver.recv_timeout(self.timeout + WAIT_MARGIN) {
            Ok(outcome) => outcome,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(EvidenceError("http request timed out".to_owned())),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(EvidenceError("http request was abandoned".to_owned())),
        }
    }
}

/// What a request produced.
struct Fetched {
    status: u16,
    body: Option<Vec<u8>>,
}

fn transport_error(err: &reqwest::Error) -> EvidenceError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if current.is::<ForbiddenAddress>() {
            return EvidenceError(ForbiddenAddress.to_string());
        }
        source = current.source();
    }
    if err.is_timeout() {
        EvidenceError("http request timed out".to_owned())
    } else if err.is_connect() {
        EvidenceError("http connection failed".to_owned())
    } else {
        EvidenceError("http request failed".to_owned())
    }
}

async fn request(
    client: reqwest::Client,
    url: Url,
    want_body: bool,
    max_bytes: usize,
) -> Result<Fetched, EvidenceError> {
    let mut response = client.get(url).send().await.map_err(|err| transport_error(&err))?;
    let status = response.status().as_u16();
    if !want_body {
        return Ok(Fetched { status, body: None });
    }
    let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit) {
        return Err(EvidenceError("http response exceeds size limit".to_owned()));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len().saturating_add(chunk.len()) > max_bytes {
                    return Err(EvidenceError("http response exceeds size limit".to_owned()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(err) if err.is_timeout() => return Err(transport_error(&err)),
            Err(_) if declared.is_some_and(|length| (body.len() as u64) < length) => {
                return Err(EvidenceError("http response truncated".to_owned()));
            }
            Err(_) => return Err(EvidenceError("http response body could not be read".to_owned())),
        }
    }
    if declared.is_some_and(|length| (body.len() as u64) < length) {
        return Err(EvidenceError("http response truncated".to_owned()));
    }
    Ok(Fetched { status, body: Some(body) })
}

impl ProviderBackend for HttpProvider {
    fn query(&self, query: &EvidenceQuery, _ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let want_body = match query.check_id.as_str() {
            "status" => false,
            "body_hash" => true,
            other => return Err(EvidenceError(format!("unsupported http check: {other}"))),
        };
        let text = string_param(query, "url").map_err(|problem| params_error("http", "url", problem))?;
        let url = self.checked_url(text)?;
        let shown = url.to_string();
        let fetched = self.fetch(url, want_body)?;
        let value = match fetched.body {
            None => Value::from(fetched.status),
            Some(body) => serde_json::to_value(hash_bytes(self.hash_algorithm, &body))
                .map_err(|_| EvidenceError("body digest cannot be encoded".to_owned()))?,
        };
        let mut result = value_result(value, "application/json", anchor("url", shown.clone()));
        result.evidence_ref = Some(EvidenceRef { uri: shown });
        Ok(result)
    }
}
