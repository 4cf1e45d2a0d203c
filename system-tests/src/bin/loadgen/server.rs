//! The server under load: a release `decision-gate` started in a temporary directory with the
//! measured configuration, and its resident memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

/// A `decision-gate serve` process in a temporary directory, killed on drop.
pub struct Server {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: tempfile::TempDir,
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
    let config_path = dir.path().join("decision-gate.toml");
    std::fs::write(&config_path, config)?;
    let binary = std::fs::canonicalize(binary).with_context(|| format!("no server binary at {}", binary.display()))?;
    let mut child = Command::new(&binary)
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = sender.send(url.trim().to_owned());
            }
        }
    });
    let base = receiver.recv_timeout(Duration::from_secs(30)).context("server did not start")?;
    Ok(Server { child, base, _dir: dir })
}

/// The release `decision-gate` beside this executable (the same target directory), brought up
/// to date with `cargo build --release` first so a stale server is never measured.
///
/// The build selects `system-tests` as well, so cargo resolves dependency features exactly as
/// for `cargo run -p system-tests --bin loadgen` and both builds share their artifacts.
pub fn release_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locate the load generator")?;
    let binary = exe.parent().context("target directory")?.join("decision-gate");
    let status = system_tests::cargo()
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "system-tests",
            "-p",
            "decision-gate-mcp",
            "--bin",
            "decision-gate",
        ])
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
