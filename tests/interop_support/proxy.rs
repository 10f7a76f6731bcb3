//! A TCP proxy on 127.0.0.1 in front of a server, whose connections can be
//! cut at once: what a lost network looks like to both ends (each reads
//! the end of the stream, without any XMPP close).

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// See the module documentation.
pub struct CutProxy {
    port: u16,
    /// Both sockets of every connection the proxy relays.
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    stopped: Arc<AtomicBool>,
}

impl CutProxy {
    /// Listens on a free port and relays every connection to `server`.
    pub fn start(server: SocketAddr) -> io::Result<CutProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let stopped = Arc::new(AtomicBool::new(false));
        let (kept, stop) = (sockets.clone(), stopped.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(server) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if relay(client, upstream, &kept).is_err() {
                    continue;
                }
            }
        });
        Ok(CutProxy {
            port,
            sockets,
            stopped,
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every connection now: both sockets shut down both ways, so the
    /// client and the server each read the end of the stream. New
    /// connections are still relayed.
    pub fn cut(&self) -> usize {
        let mut sockets = self.sockets.lock().unwrap_or_else(PoisonError::into_inner);
        for socket in sockets.iter() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        let cut = sockets.len() / 2;
        sockets.clear();
        cut
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies both ways between `client` and `upstream` on two threads.
fn relay(client: TcpStream, upstream: TcpStream, kept: &Mutex<Vec<TcpStream>>) -> io::Result<()> {
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    let (mut client_in, mut client_out) = (client.try_clone()?, client.try_clone()?);
    let (mut upstream_in, mut upstream_out) = (upstream.try_clone()?, upstream.try_clone()?);
    kept.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend([client, upstream]);
    thread::spawn(move || {
        let _ = io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    thread::spawn(move || {
        let _ = io::copy(&mut upstream_in, &mut client_out);
        let _ = client_out.shutdown(Shutdown::Write);
    });
    Ok(())
}
