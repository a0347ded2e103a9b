//! Closing a connection the way Go's HTTP server does (`conn.closeWriteAndWait`): stop
//! writing, then read and drop what the client still sends, for a while, before closing.
//!
//! A socket closed with unread bytes in its receive buffer answers with a TCP reset, and
//! a reset can overtake the response written just before it: through a TCP proxy (a
//! container's published port) the proxy's read fails and the response never reaches the
//! client. That is how a 431 for an oversized request head, written while the client is
//! still sending the head, would be lost.

use std::net::Shutdown;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Go's `rstAvoidanceDelay`: how long the closing side keeps reading.
const DRAIN_TIME: Duration = Duration::from_millis(500);

/// The most a closing connection reads and drops, in bytes, so that a client that keeps
/// sending cannot hold the connection for the whole delay at full speed.
const DRAIN_BYTES: usize = 4 << 20;

/// A second descriptor of an accepted connection, which keeps the socket open after the
/// server's own stream is dropped, until [`Linger::close`] has drained it.
pub(crate) struct Linger(std::net::TcpStream);

/// Splits off a [`Linger`] of `stream`.
///
/// # Errors
/// The descriptor could not be duplicated or re-registered with the runtime.
pub(crate) fn split_off(stream: TcpStream) -> std::io::Result<(TcpStream, Linger)> {
    let stream = stream.into_std()?;
    let spare = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, Linger(spare)))
}

impl Linger {
    /// Sends FIN, then reads and drops incoming bytes until the client closes, or
    /// [`DRAIN_TIME`] passes, or [`DRAIN_BYTES`] have come; then closes. Call it once the
    /// server's stream has been dropped (a socket must not be registered twice).
    pub(crate) async fn close(self) {
        // Errors here mean the peer is gone already: nothing is left to protect.
        let _ = self.0.shutdown(Shutdown::Write);
        let Ok(mut stream) = TcpStream::from_std(self.0) else {
            return;
        };
        let drain = async {
            let mut buf = vec![0u8; 64 * 1024];
            let mut read = 0;
            while read < DRAIN_BYTES {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
}
