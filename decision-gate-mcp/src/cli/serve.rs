//! `decision-gate serve`: startup order, exposure policy, posture lines, transports (mcp-surface §12).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::config::{
    AuthMode, ConfigSource, DecisionGateConfig, LoadedConfig, TlsTermination, TransportKind, apply_http_override,
    load_config_in, resolve_data_dir, validate_config,
};
use crate::state::{ServerOverrides, ServerState};
use crate::transport::http::{HttpContext, serve as serve_http};
use crate::transport::stdio::serve_stdio;
use crate::transport::tls::{build_tls_acceptor, install_crypto_provider};

/// Options of `serve`.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Explicit configuration file.
    pub config: Option<PathBuf>,
    /// HTTP bind override.
    pub http: Option<String>,
    /// `--allow-non-loopback`.
    pub allow_non_loopback: bool,
    /// `--data-dir` (default: `DECISION_GATE_HOME`, else `./.decision-gate`).
    pub data_dir: Option<PathBuf>,
    /// How callers authenticate when the composing binary supplies the authenticator (for
    /// the banner); `[server.auth]`'s mode then neither describes nor limits the server.
    pub composed_auth: Option<String>,
    /// The name printed before every start-up line (default `decision-gate-mcp`).
    pub banner: Option<&'static str>,
}

fn boolish(value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "no" | "n" | "off" => Ok(false),
        other => bail!("DECISION_GATE_ALLOW_NON_LOOPBACK must be a boolean, got {other:?}"),
    }
}

/// The exposure policy for HTTP binds (mcp-surface §12.2).
pub fn exposure_check(
    config: &DecisionGateConfig,
    allow_flag: bool,
    env_value: Option<&str>,
) -> anyhow::Result<Option<SocketAddr>> {
    exposure_check_with(config, allow_flag, env_value, false)
}

/// [`exposure_check`], where `composed_auth` says the composing binary authenticates every
/// caller itself (so `local_only` in `[server.auth]` does not describe the server).
pub fn exposure_check_with(
    config: &DecisionGateConfig,
    allow_flag: bool,
    env_value: Option<&str>,
    composed_auth: bool,
) -> anyhow::Result<Option<SocketAddr>> {
    if config.server.transport == TransportKind::Stdio {
        return Ok(None);
    }
    let bind = config.server.bind.as_deref().context("server.bind is required for HTTP transports")?;
    let address: SocketAddr = bind.parse().with_context(|| format!("server.bind is not a literal ip:port: {bind}"))?;
    if address.ip().is_loopback() {
        return Ok(Some(address));
    }
    let opted_in = allow_flag || env_value.map(boolish).transpose()?.unwrap_or(false);
    if !opted_in {
        bail!(
            "refusing to bind non-loopback address {address}: pass --allow-non-loopback or set DECISION_GATE_ALLOW_NON_LOOPBACK=1"
        );
    }
    if config.server.auth.mode == AuthMode::LocalOnly && !composed_auth {
        bail!("refusing to bind non-loopback address {address} with auth mode local_only");
    }
    if config.server.tls.is_none() && config.server.tls_termination != TlsTermination::Upstream {
        bail!("refusing to bind non-loopback address {address} without [server.tls] or tls_termination = \"upstream\"");
    }
    if config.server.auth.mode == AuthMode::Mtls
        && let Some(tls) = &config.server.tls
        && (tls.client_ca_path.is_none() || !tls.require_client_cert)
    {
        bail!(
            "refusing to bind non-loopback address {address}: mtls requires client_ca_path and require_client_cert = true"
        );
    }
    Ok(Some(address))
}

fn posture(config: &DecisionGateConfig, source: &ConfigSource, banner: &str, composed_auth: Option<&str>) {
    let transport = match config.server.transport {
        TransportKind::Stdio => "stdio",
        TransportKind::Http => "http",
        TransportKind::Sse => "sse",
    };
    let auth = match (composed_auth, config.server.auth.mode) {
        (Some(_), _) => "composed",
        (None, AuthMode::LocalOnly) => "local_only",
        (None, AuthMode::BearerToken) => "bearer_token",
        (None, AuthMode::Mtls) => "mtls",
    };
    let origin = match source {
        ConfigSource::File(path) => format!("config {}", path.display()),
        ConfigSource::ZeroConfig => "zero-config profile".to_owned(),
    };
    eprintln!(
        "{banner}: INFO security posture ({origin}): transport={transport} auth={auth} allow_default_namespace={} dev_permissive={} registry.allow_local_only={} registry.require_signing={} validation.strict={}",
        config.namespace.allow_default,
        config.dev_permissive(),
        config.schema_registry.acl.allow_local_only,
        config.schema_registry.acl.require_signing,
        config.validation.strict,
    );
    if config.server.auth.mode == AuthMode::LocalOnly && composed_auth.is_none() {
        eprintln!("{banner}: INFO local-only mode: only stdio and loopback callers are accepted");
    }
    if !config.validation.strict {
        eprintln!("{banner}: WARNING validation.strict = false: comparator/type checks are skipped");
    }
    if config.dev_permissive() && config.dev.permissive_warn {
        eprintln!("{banner}: WARNING dev-permissive mode enabled: asserted evidence satisfies gates");
    }
}

/// Creates the data directory and the `json` provider's evidence root when it lies inside it
/// (nothing is created outside the data directory).
fn prepare_data_dir(config: &DecisionGateConfig, data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    for provider in &config.providers {
        if let Some(root) =
            provider.config.as_ref().and_then(|config| config.get("root")).and_then(|root| root.as_str())
            && Path::new(root).starts_with(data_dir)
        {
            std::fs::create_dir_all(root).with_context(|| format!("cannot create evidence root {root}"))?;
        }
    }
    Ok(())
}

/// The HTTP endpoints every HTTP transport serves.
pub const HTTP_ENDPOINTS: [&str; 5] = ["/mcp", "/rpc", "/healthz", "/readyz", "/metrics"];

fn auth_label(config: &DecisionGateConfig) -> &'static str {
    match config.server.auth.mode {
        AuthMode::LocalOnly => "local_only (stdio and loopback callers only)",
        AuthMode::BearerToken => "bearer_token",
        AuthMode::Mtls => "mtls",
    }
}

fn store_label(store: &crate::config::StoreConfig) -> String {
    match (store.store_type, &store.path) {
        (crate::config::StoreType::Sqlite, Some(path)) => format!("sqlite at {}", path.display()),
        (crate::config::StoreType::Sqlite, None) => "sqlite".to_owned(),
        (crate::config::StoreType::Memory, _) => "memory (nothing survives a restart)".to_owned(),
    }
}

/// The effective set-up in a few lines (`config validate`, and the serve banner's basis).
pub fn effective_setup(loaded: &LoadedConfig) -> Vec<String> {
    let config = &loaded.config;
    let origin = match &loaded.source {
        ConfigSource::File(path) => format!("{} layered on the zero-configuration profile", path.display()),
        ConfigSource::ZeroConfig => "zero-configuration profile".to_owned(),
    };
    let transport = match (config.server.transport, &config.server.bind) {
        (TransportKind::Stdio, _) => "stdio (MCP, one JSON-RPC message per line)".to_owned(),
        (kind, bind) => format!(
            "{} on {} ({})",
            if kind == TransportKind::Sse { "http with SSE-framed /rpc" } else { "http" },
            bind.as_deref().unwrap_or("?"),
            HTTP_ENDPOINTS.join(", ")
        ),
    };
    let providers: Vec<String> = config
        .providers
        .iter()
        .map(|provider| {
            match provider.config.as_ref().and_then(|config| config.get("root")).and_then(|root| root.as_str()) {
                Some(root) => format!("{} (root {root})", provider.name),
                None => provider.name.clone(),
            }
        })
        .collect();
    let audit = match (config.server.audit.enabled, &config.server.audit.path) {
        (false, _) => "off".to_owned(),
        (true, Some(path)) => path.display().to_string(),
        (true, None) => "stderr".to_owned(),
    };
    vec![
        format!("configuration: {origin}"),
        format!("data directory: {}", loaded.data_dir.display()),
        format!("transport: {transport}"),
        format!("auth: {}", auth_label(config)),
        format!("run state and scenarios: {}", store_label(&config.run_state_store)),
        format!("schema registry: {}", store_label(&config.schema_registry.store)),
        format!(
            "runpacks: {}",
            config
                .runpack
                .root_dir
                .as_ref()
                .map_or("not stored (no runpack.root_dir)".to_owned(), |root| root.display().to_string())
        ),
        format!("providers: {}", if providers.is_empty() { "none".to_owned() } else { providers.join(", ") }),
        format!("audit log: {audit}"),
    ]
}

/// Runs the server until end of input (stdio) or a shutdown signal (HTTP).
pub fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let loaded = load_config_in(options.config.as_deref(), &resolve_data_dir(options.data_dir.as_deref())?)?;
    refuse_enterprise_settings(&loaded)?;
    serve_with(options, Some(loaded), |_, _| Ok(ServerOverrides::default()))
}

/// The open-core binary does not run `[enterprise]` settings; ignoring them would run a server
/// its operator believes is configured otherwise.
pub fn refuse_enterprise_settings(loaded: &LoadedConfig) -> anyhow::Result<()> {
    if loaded.config.enterprise.is_some() {
        bail!(
            "[enterprise] settings are read by decision-gate-enterprise; this binary (decision-gate) does not run them"
        );
    }
    Ok(())
}

/// Runs the server composed by another binary: `loaded` replaces the configuration `serve`
/// would load (`None`: the same loading as `serve`), and `compose` supplies the seams, stores
/// and storage that replace the defaults. It runs on the server's runtime after validation,
/// with the final configuration. Transport set-up, the exposure policy, TLS, posture lines and
/// graceful shutdown are the same as `serve`'s.
pub fn serve_with<F>(options: ServeOptions, loaded: Option<LoadedConfig>, compose: F) -> anyhow::Result<()>
where
    F: FnOnce(&DecisionGateConfig, &tokio::runtime::Handle) -> anyhow::Result<ServerOverrides>,
{
    let mut loaded = match loaded {
        Some(loaded) => loaded,
        None => load_config_in(options.config.as_deref(), &resolve_data_dir(options.data_dir.as_deref())?)?,
    };
    if let Some(bind) = &options.http {
        apply_http_override(&mut loaded.config, bind);
        validate_config(&loaded.config)?;
    }
    prepare_data_dir(&loaded.config, &loaded.data_dir)?;
    let banner = options.banner.unwrap_or("decision-gate-mcp");
    let mut setup = effective_setup(&loaded);
    if let Some(auth) = &options.composed_auth
        && let Some(line) = setup.iter_mut().find(|line| line.starts_with("auth: "))
    {
        *line = format!("auth: {auth}");
    }
    let config = loaded.config;
    let env = std::env::var("DECISION_GATE_ALLOW_NON_LOOPBACK").ok();
    let address =
        exposure_check_with(&config, options.allow_non_loopback, env.as_deref(), options.composed_auth.is_some())?;
    install_crypto_provider();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let tls = config.server.tls.as_ref().map(build_tls_acceptor).transpose().map_err(anyhow::Error::msg)?;
        posture(&config, &loaded.source, banner, options.composed_auth.as_deref());
        for line in &setup {
            eprintln!("{banner}: INFO {line}");
        }
        let handle = tokio::runtime::Handle::current();
        let overrides = compose(&config, &handle)?;
        let state = ServerState::build(config, overrides, handle)?;
        crate::telemetry::prometheus();
        match address {
            None => serve_stdio(state, tokio::io::stdin(), tokio::io::stdout()).await.context("stdio transport failed"),
            Some(address) => {
                let listener =
                    tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot bind {address}"))?;
                let scheme = if tls.is_some() { "https" } else { "http" };
                let local = listener.local_addr()?;
                eprintln!("{banner}: INFO listening on {scheme}://{local}");
                eprintln!(
                    "{banner}: INFO MCP clients connect to {scheme}://{local}/mcp; Decision Gate OSS JSON-RPC clients to {scheme}://{local}/rpc"
                );
                let context = Arc::new(HttpContext::for_listener(state, scheme, local).map_err(anyhow::Error::msg)?);
                serve_http(context, listener, tls, shutdown_signal()).await.context("http transport failed")
            }
        }
    })
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
