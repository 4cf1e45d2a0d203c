//! Server processes for tests: a temporary working directory with a configuration file, and
//! the `decision-gate` binary running in it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::binary;

/// A temporary working directory for one server.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// A fresh directory with an `evidence/` sub-directory.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("evidence")).expect("evidence dir");
        std::fs::create_dir_all(dir.path().join("runpacks")).expect("runpack dir");
        TestDir { dir }
    }

    /// A directory holding a copy of an example: only the files the repository tracks, so
    /// whatever a walkthrough left in the example's directory (a data directory, an edited
    /// report is still the tracked file) never leaks into a test.
    pub fn from_example(name: &str) -> Self {
        let test = TestDir::new();
        for relative in tracked_example_files(name) {
            let target = test.path().join(&relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("example parent dir");
            }
            std::fs::copy(crate::examples_dir().join(name).join(&relative), target).expect("copy example file");
        }
        test
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parents) and returns its path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// The standard test configuration (SQLite stores in this directory, built-in providers
    /// with the json root here, runpack root here) plus `extra` TOML, as a file.
    pub fn config(&self, transport: &str, extra: &str) -> PathBuf {
        let root = self.path().display().to_string();
        let bind = if transport == "stdio" { String::new() } else { "bind = \"127.0.0.1:0\"\n".to_owned() };
        let text = format!(
            r#"[server]
transport = "{transport}"
{bind}
[server.audit]
path = "{root}/audit.jsonl"

[namespace]
allow_default = true
default_tenants = [1]

[run_state_store]
type = "sqlite"
path = "{root}/store/dg.db"

[schema_registry]
type = "sqlite"
path = "{root}/store/dg.db"

[schema_registry.acl]
allow_local_only = true

[runpack]
root_dir = "{root}/runpacks"

[[providers]]
name = "time"
type = "builtin"

[[providers]]
name = "env"
type = "builtin"

[[providers]]
name = "json"
type = "builtin"
config = {{ root = "{root}/evidence", root_id = "evidence-root", max_bytes = 1048576, allow_yaml = true }}

[[providers]]
name = "http"
type = "builtin"

{extra}
"#
        );
        self.write("decision-gate.toml", text)
    }

    /// Lines of the audit log written so far.
    pub fn audit_events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl Default for TestDir {
    fn default() -> Self {
        Self::new()
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The files of `examples/<name>` the repository tracks (relative to that directory), from
/// `git ls-files`; without git, every file whose path has no component starting with `.`.
pub fn tracked_example_files(name: &str) -> Vec<PathBuf> {
    let directory = crate::examples_dir().join(name);
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--", "."])
        .current_dir(&directory)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success() && !output.stdout.is_empty());
    if let Some(output) = listed {
        return output
            .stdout
            .split(|byte| *byte == 0)
            .filter(|entry| !entry.is_empty())
            .map(|entry| PathBuf::from(String::from_utf8_lossy(entry).into_owned()))
            .collect();
    }
    let mut files = Vec::new();
    collect_visible(&directory, Path::new(""), &mut files);
    files
}

fn collect_visible(base: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(base.join(relative)) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = relative.join(&name);
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect_visible(base, &path, out),
            Ok(_) => out.push(path),
            Err(_) => {}
        }
    }
}

/// A `decision-gate serve` process on HTTP.
pub struct HttpServer {
    child: Child,
    /// `http://127.0.0.1:PORT` (or `https://…`).
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl HttpServer {
    /// Starts the server with a configuration file in `dir` and waits until it is ready.
    pub fn start(dir: &Path, config: &Path) -> anyhow::Result<Self> {
        Self::start_with_env(dir, config, &[])
    }

    /// As `start`, with extra environment variables.
    pub fn start_with_env(dir: &Path, config: &Path, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let config = config.display().to_string();
        Self::start_with_args(dir, &["serve", "--config", &config], env)
    }

    /// `decision-gate serve --http 127.0.0.1:0` in `dir` with no configuration option (the
    /// README's command; `./decision-gate.toml` is used when `dir` has one) and `env`.
    pub fn start_as_in_readme(dir: &Path, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with_args(dir, &["serve", "--http", "127.0.0.1:0"], env)
    }

    fn start_with_args(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_program(&binary(), dir, args, env)
    }

    /// Starts `program` (a Decision Gate server binary) with `args` in `dir`, with `env` added
    /// and the open core's configuration variables removed, and waits until it is ready.
    pub fn start_program(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut command = Command::new(program);
        command
            .args(args)
            .env_remove("DECISION_GATE_CONFIG")
            .env_remove("DECISION_GATE_HOME")
            .env_remove("DECISION_GATE_ENTERPRISE_CONFIG")
            .env_remove("DECISION_GATE_ENTERPRISE_HOME")
            .env_remove("DECISION_GATE_API_KEY")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().with_context(|| format!("spawn {}", program.display()))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().context("stderr pipe")?;
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = sender.send(url.trim().to_owned());
                }
                let mut all = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                all.push_str(&line);
                all.push('\n');
            }
        });
        let base = match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                bail!("server did not start: {}", stderr.lock().map(|s| s.clone()).unwrap_or_default());
            }
        };
        let server = HttpServer { child, base, stderr };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        crate::install_crypto();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut attempts = 0;
        while Instant::now() < deadline {
            attempts += 1;
            if probe::get_ok(&format!("{}/readyz", self.base)) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("server not ready after {attempts} attempts");
    }

    /// The `/mcp` URL.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// Everything the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.child.wait().expect("wait for server")
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Minimal blocking readiness probe over a raw TCP connection (no runtime needed).
mod probe {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    /// Whether `GET url` answers 200 (HTTPS URLs are not probed and count as ready).
    pub fn get_ok(url: &str) -> bool {
        let Some(rest) = url.strip_prefix("http://") else { return true };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(mut stream) = TcpStream::connect(host) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.starts_with("HTTP/1.1 200")
    }
}

/// Copies an example's `evidence/` files into a test directory's `evidence/`.
pub fn copy_example_evidence(example: &str, dir: &TestDir) {
    copy_dir(&crate::examples_dir().join(example).join("evidence"), &dir.path().join("evidence"))
        .expect("copy evidence");
}
