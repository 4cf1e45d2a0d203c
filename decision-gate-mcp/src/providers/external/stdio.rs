//! stdio providers: one child process per provider, supervised.
//!
//! A supervisor task on the runtime owns the process and serves queries one at a time (calls
//! are serialised). Its states:
//! - **starting**: spawn (stdin/stdout piped, stderr discarded) and handshake, bounded together
//!   by `connect_timeout_ms`; queries wait in the queue;
//! - **running**: each query is one `tools/call` bounded by `request_timeout_ms`; a timed-out
//!   call fails with `timed out` and the process is killed;
//! - **backing off** after the process exits, is killed, closes its output, falls out of step
//!   or fails to start: queries fail at once with `provider unavailable (restarting)` until the
//!   delay has passed (250 ms, doubling to at most 30 s; back to 250 ms once a process ran 60 s).
//!
//! Every restart re-runs the handshake, is logged and counted in
//! `decision_gate_provider_restarts_total{provider_id}`. Dropping the backend ends the
//! supervisor and kills the process. Only the direct child is killed: a provider command that
//! forks workers of its own must make them exit with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use decision_gate_core::evidence::{EvidenceContext, EvidenceResult};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::framing::Pipes;
use super::mcp_client::{self, CallError, McpSession};
use super::pipe_transport::PipeTransport;
use super::{RESTARTS_METRIC, Timeouts, UNAVAILABLE, call_inputs, timed_out};
use crate::config::StdioFraming;
use crate::providers::federation::ProviderBackend;

/// First restart delay.
pub const BACKOFF_INITIAL: Duration = Duration::from_millis(250);
/// Longest restart delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Run time after which a process counts as healthy and the delay starts over.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// Time a killed process gets to be reaped.
const REAP_TIMEOUT: Duration = Duration::from_secs(2);

/// Exponential restart back-off.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: BACKOFF_INITIAL }
    }
}

impl Backoff {
    /// The delay before the next start, given how long the last process ran (`None` when it
    /// never started).
    pub fn next_delay(&mut self, ran_for: Option<Duration>) -> Duration {
        if ran_for.is_some_and(|ran| ran >= HEALTHY_AFTER) {
            self.next = BACKOFF_INITIAL;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        delay
    }
}

/// How to start the provider.
#[derive(Clone, Debug)]
struct Launch {
    program: String,
    args: Vec<String>,
    framing: StdioFraming,
}

impl Launch {
    /// Spawns the process (inside the runtime's context).
    fn spawn(&self) -> std::io::Result<Process> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("child pipes are missing"));
        };
        Ok(Process { child, pipes: Pipes::start(stdout, stdin, self.framing) })
    }
}

/// A spawned process and its pipes.
struct Process {
    child: Child,
    pipes: Pipes,
}

impl Process {
    /// Kills the process and reaps it.
    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(REAP_TIMEOUT, self.child.wait()).await;
    }
}

/// The protocol spoken with a running process.
enum Protocol {
    /// MCP over newline-delimited JSON (rmcp client).
    Mcp(McpSession),
    /// Decision Gate OSS-era `Content-Length` exchange.
    Oss,
}

/// A started provider.
struct Live {
    process: Process,
    protocol: Protocol,
    broken: Arc<AtomicBool>,
    started: Instant,
}

/// One query waiting for the supervisor.
struct Job {
    query: Value,
    context: Value,
    correlation_id: Option<String>,
    /// When the caller stops waiting.
    abandon_at: Instant,
    reply: std::sync::mpsc::SyncSender<Result<EvidenceResult, EvidenceError>>,
}

impl Job {
    fn answer(self, outcome: Result<EvidenceResult, EvidenceError>) {
        let _ = self.reply.send(outcome);
    }
}

/// The backend of a stdio provider.
pub(super) struct StdioBackend {
    jobs: mpsc::UnboundedSender<Job>,
    wait: Duration,
}

/// Spawns the process now (a command that cannot be started fails startup) and starts the
/// supervisor, which runs the handshake in the background.
pub(super) fn start(
    provider: &str,
    command: &[String],
    framing: StdioFraming,
    timeouts: Timeouts,
    handle: &Handle,
) -> Result<StdioBackend, String> {
    let (program, args) = command.split_first().ok_or_else(|| "command is empty".to_owned())?;
    let launch = Launch { program: program.clone(), args: args.to_vec(), framing };
    let first = {
        let _runtime = handle.enter();
        launch.spawn().map_err(|err| format!("cannot start {program}: {err}"))?
    };
    let (jobs, queue) = mpsc::unbounded_channel();
    let supervisor = Supervisor { provider: provider.to_owned(), launch, timeouts, queue, next_id: 1 };
    handle.spawn(supervisor.run(first));
    // A query may wait for a start, for the call ahead of it and for its own call.
    let wait = timeouts.connect + timeouts.request * 2 + Duration::from_secs(1);
    Ok(StdioBackend { jobs, wait })
}

impl ProviderBackend for StdioBackend {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let (query, context, correlation_id) = call_inputs(query, ctx)?;
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let job = Job { query, context, correlation_id, abandon_at: Instant::now() + self.wait, reply };
        self.jobs.send(job).map_err(|_| EvidenceError(UNAVAILABLE.to_owned()))?;
        match answer.recv_timeout(self.wait) {
            Ok(outcome) => outcome,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(timed_out(self.wait)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(EvidenceError(UNAVAILABLE.to_owned())),
        }
    }
}

/// Why a running process was given up.
enum Stop {
    /// The backend was dropped.
    Shutdown,
    /// The process must be replaced.
    Failed(String),
}

struct Supervisor {
    provider: String,
    launch: Launch,
    timeouts: Timeouts,
    queue: mpsc::UnboundedReceiver<Job>,
    /// Next request id of the `Content-Length` exchange.
    next_id: u64,
}

impl Supervisor {
    async fn run(mut self, first: Process) {
        let mut backoff = Backoff::default();
        let mut pending = Some(first);
        loop {
            let restart = pending.is_none();
            if restart {
                metrics::counter!(RESTARTS_METRIC, "provider_id" => self.provider.clone()).increment(1);
            }
            let ran_for = match self.start(pending.take()).await {
                Ok(mut live) => {
                    if restart {
                        tracing::info!(provider = %self.provider, "external provider restarted");
                    }
                    let stop = self.serve(&mut live).await;
                    let ran_for = live.started.elapsed();
                    // Cleanup runs aside so that queries fail fast from now on.
                    tokio::spawn(live.close());
                    match stop {
                        Stop::Shutdown => return,
                        Stop::Failed(reason) => {
                            tracing::warn!(provider = %self.provider, %reason, "external provider stopped");
                        }
                    }
                    Some(ran_for)
                }
                Err(reason) => {
                    tracing::warn!(provider = %self.provider, %reason, "external provider failed to start");
                    None
                }
            };
            let delay = backoff.next_delay(ran_for);
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            tracing::info!(provider = %self.provider, delay_ms, "restarting external provider after back-off");
            if !self.back_off(delay).await {
                return;
            }
        }
    }

    /// Spawns (unless given a process) and handshakes, within the connect timeout.
    async fn start(&self, process: Option<Process>) -> Result<Live, String> {
        let process = match process {
            Some(process) => process,
            None => self.launch.spawn().map_err(|err| format!("cannot start {}: {err}", self.launch.program))?,
        };
        let broken = Arc::new(AtomicBool::new(false));
        if self.launch.framing == StdioFraming::ContentLength {
            return Ok(Live { process, protocol: Protocol::Oss, broken, started: Instant::now() });
        }
        let handshake = mcp_client::connect(|| Ok(PipeTransport::new(&process.pipes, broken.clone())));
        match tokio::time::timeout(self.timeouts.connect, handshake).await {
            Ok(Ok(session)) => {
                tracing::debug!(provider = %self.provider, era = ?session.era(), "external provider connected");
                broken.store(false, Ordering::SeqCst);
                Ok(Live { process, protocol: Protocol::Mcp(session), broken, started: Instant::now() })
            }
            Ok(Err(reason)) => {
                process.kill().await;
                Err(reason)
            }
            Err(_) => {
                process.kill().await;
                Err(format!("handshake timed out after {} ms", self.timeouts.connect.as_millis()))
            }
        }
    }

    /// Serves queries until the process has to go.
    async fn serve(&mut self, live: &mut Live) -> Stop {
        loop {
            let event = tokio::select! {
                job = self.queue.recv() => Ok(job),
                status = live.process.child.wait() => Err(status),
            };
            let job = match event {
                Ok(Some(job)) => job,
                Ok(None) => return Stop::Shutdown,
                Err(status) => {
                    return Stop::Failed(match status {
                        Ok(status) => format!("process exited ({status})"),
                        Err(err) => format!("process wait failed: {err}"),
                    });
                }
            };
            if Instant::now() >= job.abandon_at {
                continue;
            }
            let id = self.next_request_id(job.correlation_id.as_deref());
            let call = live.call(id, &job);
            match tokio::time::timeout(self.timeouts.request, call).await {
                Err(_) => {
                    job.answer(Err(timed_out(self.timeouts.request)));
                    return Stop::Failed("call timed out; process killed".to_owned());
                }
                Ok(Err(CallError::Connection(err))) => {
                    let reason = err.0.clone();
                    job.answer(Err(err));
                    return Stop::Failed(reason);
                }
                Ok(Err(CallError::Provider(err))) => job.answer(Err(err)),
                Ok(Ok(result)) => job.answer(Ok(result)),
            }
            if live.broken.load(Ordering::SeqCst) {
                return Stop::Failed("provider output out of step".to_owned());
            }
            if live.is_closed() {
                return Stop::Failed("provider connection closed".to_owned());
            }
        }
    }

    /// The id of the next `Content-Length` request: the correlation id, else a counter.
    fn next_request_id(&mut self, correlation_id: Option<&str>) -> Value {
        let counter = self.next_id;
        self.next_id += 1;
        match correlation_id {
            Some(id) => Value::String(id.to_owned()),
            None => Value::from(counter),
        }
    }

    /// Fails queries fast until `delay` has passed; `false` if the backend was dropped.
    async fn back_off(&mut self, delay: Duration) -> bool {
        let until = tokio::time::sleep(delay);
        tokio::pin!(until);
        loop {
            tokio::select! {
                job = self.queue.recv() => match job {
                    Some(job) => job.answer(Err(EvidenceError(UNAVAILABLE.to_owned()))),
                    None => return false,
                },
                () = &mut until => return true,
            }
        }
    }
}

impl Live {
    async fn call(&self, id: Value, job: &Job) -> Result<EvidenceResult, CallError> {
        match &self.protocol {
            Protocol::Mcp(session) => {
                let arguments = mcp_client::arguments(&job.query, &job.context);
                session.call(arguments, job.correlation_id.as_deref()).await
            }
            Protocol::Oss => {
                let arguments = serde_json::json!({"query": job.query, "context": job.context});
                super::oss::call(&self.process.pipes, &self.broken, id, arguments).await
            }
        }
    }

    fn is_closed(&self) -> bool {
        match &self.protocol {
            Protocol::Mcp(session) => session.is_closed(),
            Protocol::Oss => false,
        }
    }

    async fn close(self) {
        let Live { process, protocol, .. } = self;
        process.kill().await;
        if let Protocol::Mcp(session) = protocol {
            session.close().await;
        }
    }
}
