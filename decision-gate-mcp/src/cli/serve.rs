//! `decision-gate serve`: startup order, exposure policy, posture lines, transports (mcp-surface §12).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::config::{
    AuthMode, ConfigSource, DecisionGateConfig, LoadedConfig, TlsTermination, TransportKind, apply_http_override,
    load_config, validate_config,
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
    if config.server.auth.mode == AuthMode::LocalOnly {
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

fn posture(config: &DecisionGateConfig, source: &ConfigSource) {
    let transport = match config.server.transport {
        TransportKind::Stdio => "stdio",
        TransportKind::Http => "http",
        TransportKind::Sse => "sse",
    };
    let auth = match config.server.auth.mode {
        AuthMode::LocalOnly => "local_only",
        AuthMode::BearerToken => "bearer_token",
        AuthMode::Mtls => "mtls",
    };
    let origin = match source {
        ConfigSource::File(path) => format!("config {}", path.display()),
        ConfigSource::ZeroConfig => "zero-config profile".to_owned(),
    };
    eprintln!(
        "decision-gate-mcp: INFO security posture ({origin}): transport={transport} auth={auth} allow_default_namespace={} dev_permissive={} registry.allow_local_only={} registry.require_signing={} validation.strict={}",
        config.namespace.allow_default,
        config.dev_permissive(),
        config.schema_registry.acl.allow_local_only,
        config.schema_registry.acl.require_signing,
        config.validation.strict,
    );
    if config.server.auth.mode == AuthMode::LocalOnly {
        eprintln!("decision-gate-mcp: INFO local-only mode: only stdio and loopback callers are accepted");
    }
    if !config.validation.strict {
        eprintln!("decision-gate-mcp: WARNING validation.strict = false: comparator/type checks are skipped");
    }
    if config.dev_permissive() && config.dev.permissive_warn {
        eprintln!("decision-gate-mcp: WARNING dev-permissive mode enabled: asserted evidence satisfies gates");
    }
}

/// Prepares directories the zero-config profile relies on (evidence root, runpack root).
fn prepare_zero_config(config: &DecisionGateConfig) -> anyhow::Result<()> {
    for provider in &config.providers {
        if let Some(root) =
            provider.config.as_ref().and_then(|config| config.get("root")).and_then(|root| root.as_str())
        {
            std::fs::create_dir_all(root).with_context(|| format!("cannot create evidence root {root}"))?;
        }
    }
    if let Some(root) = &config.runpack.root_dir {
        std::fs::create_dir_all(root).with_context(|| format!("cannot create runpack root {}", root.display()))?;
    }
    Ok(())
}

/// Runs the server until end of input (stdio) or a shutdown signal (HTTP).
pub fn serve(options: ServeOptions) -> anyhow::Result<()> {
    serve_with(options, None, |_, _| Ok(ServerOverrides::default()))
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
    let loaded = match loaded {
        Some(loaded) => loaded,
        None => load_config(options.config.as_deref())?,
    };
    let mut config = loaded.config;
    if let Some(bind) = &options.http {
        apply_http_override(&mut config, bind);
        validate_config(&config)?;
    }
    if loaded.source == ConfigSource::ZeroConfig {
        prepare_zero_config(&config)?;
    }
    let env = std::env::var("DECISION_GATE_ALLOW_NON_LOOPBACK").ok();
    let address = exposure_check(&config, options.allow_non_loopback, env.as_deref())?;
    install_crypto_provider();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let tls = config.server.tls.as_ref().map(build_tls_acceptor).transpose().map_err(anyhow::Error::msg)?;
        posture(&config, &loaded.source);
        let handle = tokio::runtime::Handle::current();
        let overrides = compose(&config, &handle)?;
        let state = ServerState::build(config, overrides, handle)?;
        crate::telemetry::prometheus();
        match address {
            None => serve_stdio(state, tokio::io::stdin(), tokio::io::stdout()).await.context("stdio transport failed"),
            Some(address) => {
                let listener =
                    tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot bind {address}"))?;
                eprintln!(
                    "decision-gate-mcp: INFO listening on {}://{}",
                    if tls.is_some() { "https" } else { "http" },
                    listener.local_addr()?
                );
                let context = Arc::new(HttpContext::new(state).map_err(anyhow::Error::msg)?);
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
