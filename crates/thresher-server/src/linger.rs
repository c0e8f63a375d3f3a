//! Lingering close for the listener's connections.
//!
//! When a connection ends (graceful shutdown, an idle client, an error) its socket may still
//! hold bytes the client sent that the server never read: window updates for the last answer,
//! the rest of an upload that was refused, a ping. Closing a socket with unread input makes
//! the kernel send RST instead of FIN, and an RST can erase the client's not-yet-read input:
//! the client then sees the answer's headers followed by "connection reset" and loses the
//! answer (RFC 9112, section 9.6). So a closed connection is handed to a task that sends FIN,
//! reads and discards what still arrives until the client closes its side or [`LINGER`]
//! passes, and only then closes the socket. [`Lingering::wait`] lets shutdown wait for those
//! tasks before the process exits.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::task::TaskTracker;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How long a closed connection keeps reading before its socket is closed anyway.
pub const LINGER: Duration = Duration::from_secs(2);

/// Hands each connection's socket to a lingering task when the connection is dropped.
#[derive(Clone, Default)]
pub struct Lingering {
    tasks: TaskTracker,
}

impl Lingering {
    /// Wraps an accepted socket, with Nagle's algorithm off: tonic sets TCP_NODELAY only on
    /// sockets it accepts itself, and without it a small answer waits for the client's delayed
    /// ACK (about 40 ms on Linux) before it is sent.
    pub fn wrap(&self, stream: TcpStream) -> Conn {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        Conn { stream: Some(stream), tasks: self.tasks.clone() }
    }

    /// Resolves once every dropped connection has finished lingering.
    pub async fn wait(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// An accepted socket that lingers when dropped.
pub struct Conn {
    stream: Option<TcpStream>,
    tasks: TaskTracker,
}

impl Conn {
    /// Runs `op` on the socket, which is only taken away in `drop`.
    fn with<T>(
        self: Pin<&mut Self>,
        op: impl FnOnce(Pin<&mut TcpStream>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match self.get_mut().stream.as_mut() {
            Some(s) => op(Pin::new(s)),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else { return };
        // Outside a runtime (never the case for the server) the socket just closes.
        if tokio::runtime::Handle::try_current().is_ok() {
            self.tasks.spawn(linger(stream));
        }
    }
}

async fn linger(mut stream: TcpStream) {
    // FIN first: the client's HTTP/2 stack sees end of input and closes its side.
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 8192];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.with(|s| s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.with(|s| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.with(|s| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|s| s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|s| s.poll_shutdown(cx))
    }
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream
            .as_ref()
            .map(Connected::connect_info)
            .unwrap_or(TcpConnectInfo { local_addr: None, remote_addr: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn a_dropped_connection_reads_late_input_and_closes_with_fin() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let lingering = Lingering::default();
        let mut conn = lingering.wrap(server);
        conn.write_all(b"answer").await.unwrap();
        // The client's input arrives unread, then the server drops the connection: without
        // lingering the kernel would answer with RST and the client could lose "answer".
        client.write_all(&[7u8; 64 * 1024]).await.unwrap();
        drop(conn);
        client.write_all(&[7u8; 64 * 1024]).await.unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.expect("closed with FIN, not reset");
        assert_eq!(got, b"answer");
        drop(client);
        tokio::time::timeout(LINGER, lingering.wait()).await.expect("lingering ends when the client closes");
    }
}
