//! Message framing over a child process's pipes, with the 1 MiB message limit.
//!
//! Two framings: newline-delimited JSON (MCP stdio) and `Content-Length: N\r\n\r\n<json>`
//! (Decision Gate OSS-era providers, LSP style). A reader task turns the child's stdout into
//! [`Inbound`] items; a writer task writes already framed messages to its stdin. Both tasks end
//! when the pipes close and are aborted when [`Pipes`] is dropped.
//!
//! A message over [`MAX_MESSAGE_BYTES`] is skipped without being buffered and reported as
//! [`Inbound::TooLarge`], so the stream stays in step. Unparseable `Content-Length` headers
//! cannot be resynchronised: the reader stops, which reads as the provider going away.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::config::StdioFraming;

/// Largest message accepted from (or sent to) a provider: 1 MiB.
pub const MAX_MESSAGE_BYTES: usize = 1_048_576;

/// Largest header line of a `Content-Length` frame.
const MAX_HEADER_LINE_BYTES: usize = 1024;

/// Most header lines in one `Content-Length` frame.
const MAX_HEADER_LINES: usize = 16;

/// One item read from a provider.
#[derive(Debug)]
pub(super) enum Inbound {
    /// A complete message body (not yet parsed).
    Message(Vec<u8>),
    /// A message over [`MAX_MESSAGE_BYTES`] was skipped.
    TooLarge,
}

/// The framed pipes of one provider process.
#[derive(Debug)]
pub(super) struct Pipes {
    framing: StdioFraming,
    /// Messages read from the provider; `None` once its stdout is closed.
    pub(super) inbound: Arc<Mutex<mpsc::Receiver<Inbound>>>,
    /// Framed bytes for the provider's stdin.
    pub(super) outbound: mpsc::Sender<Vec<u8>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Pipes {
    /// Starts the reader and writer tasks (must run inside a Tokio runtime).
    pub(super) fn start<R, W>(stdout: R, stdin: W, framing: StdioFraming) -> Self
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (in_tx, in_rx) = mpsc::channel(16);
        let (out_tx, out_rx) = mpsc::channel(16);
        let reader = tokio::spawn(read_loop(BufReader::new(stdout), framing, in_tx));
        let writer = tokio::spawn(write_loop(stdin, out_rx));
        Pipes { framing, inbound: Arc::new(Mutex::new(in_rx)), outbound: out_tx, reader, writer }
    }

    /// Frames one serialized message for this provider.
    pub(super) fn frame(&self, body: &[u8]) -> Vec<u8> {
        frame(self.framing, body)
    }
}

impl Drop for Pipes {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Frames one serialized message.
pub(super) fn frame(framing: StdioFraming, body: &[u8]) -> Vec<u8> {
    match framing {
        StdioFraming::Newline => {
            let mut out = Vec::with_capacity(body.len() + 1);
            out.extend_from_slice(body);
            out.push(b'\n');
            out
        }
        StdioFraming::ContentLength => {
            let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
            out.extend_from_slice(body);
            out
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(mut stdin: W, mut rx: mpsc::Receiver<Vec<u8>>) {
    while let Some(bytes) = rx.recv().await {
        if stdin.write_all(&bytes).await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
}

async fn read_loop<R: AsyncBufRead + Unpin>(mut reader: R, framing: StdioFraming, tx: mpsc::Sender<Inbound>) {
    loop {
        let item = match framing {
            StdioFraming::Newline => read_line_message(&mut reader).await,
            StdioFraming::ContentLength => read_content_length_message(&mut reader).await,
        };
        match item {
            Ok(Some(item)) => {
                if tx.send(item).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "external provider output cannot be framed; closing");
                return;
            }
        }
    }
}

/// Reads one non-empty line (without `\n`, trailing `\r` removed); `None` at end of input. An
/// unterminated last line is dropped.
pub(super) async fn read_line_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Inbound>> {
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(None);
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk_end = newline.unwrap_or(available.len());
        // One byte of slack for a trailing `\r`.
        if !too_large && line.len() + chunk_end > MAX_MESSAGE_BYTES + 1 {
            too_large = true;
            line = Vec::new();
        }
        if !too_large {
            line.extend_from_slice(&available[..chunk_end]);
        }
        let consumed = newline.map_or(available.len(), |end| end + 1);
        reader.consume(consumed);
        if newline.is_none() {
            continue;
        }
        if too_large {
            return Ok(Some(Inbound::TooLarge));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > MAX_MESSAGE_BYTES {
            return Ok(Some(Inbound::TooLarge));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            line.clear();
            continue;
        }
        return Ok(Some(Inbound::Message(line)));
    }
}

/// Reads one `Content-Length` framed message; `None` at a clean end of input.
pub(super) async fn read_content_length_message<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Inbound>> {
    let mut length: Option<u64> = None;
    let mut lines = 0;
    loop {
        let mut line = Vec::new();
        let read = (&mut *reader).take(MAX_HEADER_LINE_BYTES as u64).read_until(b'\n', &mut line).await?;
        if read == 0 {
            if lines == 0 {
                return Ok(None);
            }
            return Err(invalid("end of input inside frame headers"));
        }
        if line.last() != Some(&b'\n') {
            return Err(invalid("frame header line too long"));
        }
        lines += 1;
        if lines > MAX_HEADER_LINES {
            return Err(invalid("too many frame header lines"));
        }
        let text = std::str::from_utf8(&line).map_err(|_| invalid("frame header is not UTF-8"))?.trim();
        if text.is_empty() {
            if lines == 1 {
                // Tolerate blank lines between frames.
                lines = 0;
                continue;
            }
            break;
        }
        let (name, value) = text.split_once(':').ok_or_else(|| invalid("malformed frame header"))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse().map_err(|_| invalid("invalid Content-Length"))?);
        }
    }
    let length = length.ok_or_else(|| invalid("frame without Content-Length"))?;
    if length > MAX_MESSAGE_BYTES as u64 {
        let skipped = tokio::io::copy(&mut (&mut *reader).take(length), &mut tokio::io::sink()).await?;
        if skipped < length {
            return Err(invalid("end of input inside a frame"));
        }
        return Ok(Some(Inbound::TooLarge));
    }
    let mut body = vec![0; usize::try_from(length).map_err(|_| invalid("invalid Content-Length"))?];
    reader.read_exact(&mut body).await?;
    Ok(Some(Inbound::Message(body)))
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_owned())
}
