//! A peer that hangs: a TCP port that either forwards every connection to a real server or
//! accepts connections and never answers (the kernel completes the handshake, the process
//! is frozen), switchable at run time. `hang()` also freezes the connections it forwards
//! (they stay open, nothing more passes); `pass()` closes every frozen one and forwards
//! from then on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct HangingPeer {
    pub addr: SocketAddr,
    hanging: watch::Sender<bool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HangingPeer {
    /// Listens on a free port of 127.0.0.1, forwarding to `target` unless `hanging`.
    pub async fn start(target: SocketAddr, hanging: bool) -> HangingPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(hanging);
        let held: Arc<Mutex<Vec<TcpStream>>> = Default::default();
        let keep = Arc::clone(&held);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *rx.borrow() {
                    keep.lock().unwrap().push(client);
                    continue;
                }
                let (keep, mut rx) = (Arc::clone(&keep), rx.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.wait_for(|h| *h) => {
                            // Frozen: both ends stay open, nothing passes.
                            keep.lock().unwrap().extend([client, server]);
                        }
                    }
                });
            }
        });
        HangingPeer {
            addr,
            hanging: tx,
            held,
            task,
        }
    }

    /// From now on nothing is answered.
    pub fn hang(&self) {
        self.hanging.send_replace(true);
    }

    /// Closes every frozen connection and forwards new ones again.
    pub fn pass(&self) {
        self.hanging.send_replace(false);
        self.held.lock().unwrap().clear();
    }

    /// Connections held open without an answer.
    pub fn held(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

impl Drop for HangingPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
