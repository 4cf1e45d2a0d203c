//! The server under load: a release `decision-gate` started in a temporary directory with the
//! measured configuration, and its resident memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

/// A server process in a temporary directory, killed on drop.
pub struct Server {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `Bearer …` for servers that need a credential (the enterprise owner key).
    pub authorization: Option<String>,
    _dir: tempfile::TempDir,
}

/// Which server binary is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `decision-gate` (local-only authentication, the configured tenant resolver).
    OpenCore,
    /// `decision-gate-enterprise` (API-key authentication, the control-store tenant resolver).
    Enterprise,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on an ephemeral port with SQLite (WAL, `synchronous = sync_mode`) and the built-in
/// `time` provider, and waits for its listening line.
pub fn start_server(binary: &Path, sync_mode: &str) -> anyhow::Result<Server> {
    start(binary, sync_mode, Kind::OpenCore, "")
}

/// [`start_server`] for either binary, with `extra` TOML appended to the configuration; the
/// enterprise server runs on a fresh data directory and is called with the owner key its first
/// start prints.
pub fn start(binary: &Path, sync_mode: &str, kind: Kind, extra: &str) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().display().to_string();
    let config = format!(
        r#"[server]
transport = "http"
bind = "127.0.0.1:0"
[server.limits]
max_inflight = 1024
[server.audit]
path = "{root}/audit.jsonl"
[namespace]
allow_default = true
default_tenants = [1]
[run_state_store]
type = "sqlite"
path = "{root}/dg.db"
sync_mode = "{sync_mode}"
journal_mode = "wal"
[schema_registry]
type = "sqlite"
path = "{root}/dg.db"
[[providers]]
name = "time"
type = "builtin"
"#
    );
    let config = format!("{config}{extra}");
    let config_path = dir.path().join("decision-gate.toml");
    std::fs::write(&config_path, config)?;
    let binary = std::fs::canonicalize(binary).with_context(|| format!("no server binary at {}", binary.display()))?;
    let mut command = Command::new(&binary);
    command.arg("serve").arg("--config").arg(&config_path);
    if kind == Kind::Enterprise {
        command.arg("--data-dir").arg(dir.path().join("data"));
    }
    let mut child = command
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let (key_sender, key_receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(key) = line.split("store it now): ").nth(1) {
                let _ = key_sender.send(key.trim().to_owned());
            }
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = sender.send(url.trim().to_owned());
            }
        }
    });
    let base = receiver.recv_timeout(Duration::from_secs(30)).context("server did not start")?;
    let authorization = match kind {
        Kind::OpenCore => None,
        Kind::Enterprise => Some(format!(
            "Bearer {}",
            key_receiver.recv_timeout(Duration::from_secs(5)).context("the enterprise server printed no owner key")?
        )),
    };
    Ok(Server { child, base, authorization, _dir: dir })
}

/// The release `decision-gate` beside this executable (the same target directory), brought up
/// to date with `cargo build --release` first so a stale server is never measured.
///
/// The build selects `system-tests` as well, so cargo resolves dependency features exactly as
/// for `cargo run -p system-tests --bin loadgen` and both builds share their artifacts.
pub fn release_binary() -> anyhow::Result<PathBuf> {
    release_build("decision-gate-mcp", "decision-gate")
}

/// The release `decision-gate-enterprise`, built like [`release_binary`].
pub fn release_enterprise_binary() -> anyhow::Result<PathBuf> {
    release_build("decision-gate-enterprise", "decision-gate-enterprise")
}

fn release_build(package: &str, name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locate the load generator")?;
    let binary = exe.parent().context("target directory")?.join(name);
    let status = system_tests::cargo()
        .args(["build", "--release", "--locked", "-p", "system-tests", "-p", package, "--bin", name])
        .stdout(Stdio::null())
        .status()
        .context("run cargo build for the server")?;
    anyhow::ensure!(status.success(), "building the release server failed");
    Ok(binary)
}

/// Resident memory of a process in KiB (Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches(" kB").trim().parse().ok())
}
