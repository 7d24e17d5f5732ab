//! The outbox: a request that causes mail queues it here and answers at once; a background
//! task sends it through the relay. So no answer waits for the relay, and how long an answer
//! takes tells nothing about whether a mail went out (no account enumeration by time). A
//! message the relay does not take is sent again after each of the retry delays, then given
//! up; every failure is logged with the subject and the relay's error, never the body (it
//! carries links). The queue is in memory: what is not sent when the service stops is lost,
//! and the user asks again (signing in re-sends a verification link, a reset can be asked
//! for again).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use crate::mail::Mailer;

/// How long to wait before each further attempt: about 25 minutes in all.
pub const RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(1200),
];

/// Messages in the relay's hands at once.
const PARALLEL_SENDS: usize = 4;

/// One queued message.
#[derive(Clone)]
struct Letter {
    to: String,
    subject: String,
    body: String,
    /// Attempts made so far.
    attempts: usize,
}

/// Where mail is queued. Cheap to clone; the sending task ends when every clone is gone.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::UnboundedSender<Letter>,
}

impl Outbox {
    /// Starts the sending task (inside a Tokio runtime) with the usual [`RETRY_DELAYS`].
    pub fn start(mailer: Mailer) -> Outbox {
        Outbox::with_retries(mailer, RETRY_DELAYS.to_vec())
    }

    /// Starts the sending task; a message is retried after each of `retries`.
    pub fn with_retries(mailer: Mailer, retries: Vec<Duration>) -> Outbox {
        let (queue, mut letters) = mpsc::unbounded_channel::<Letter>();
        let requeue = queue.downgrade();
        let retries = Arc::new(retries);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(PARALLEL_SENDS));
            while let Some(letter) = letters.recv().await {
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    break;
                };
                let (mailer, requeue, retries) =
                    (mailer.clone(), requeue.clone(), Arc::clone(&retries));
                tokio::spawn(async move {
                    let mut letter = letter;
                    let sent = mailer
                        .send(&letter.to, &letter.subject, letter.body.clone())
                        .await;
                    drop(slot);
                    letter.attempts += 1;
                    let (subject, attempts) = (letter.subject.clone(), letter.attempts);
                    let e = match sent {
                        Ok(()) => {
                            if attempts > 1 {
                                tracing::info!(subject, attempts, "mail sent after retrying");
                            }
                            return;
                        }
                        Err(e) => e,
                    };
                    let Some(delay) = retries.get(attempts - 1) else {
                        tracing::error!(subject, attempts, "mail given up: {e}");
                        return;
                    };
                    tracing::warn!(
                        subject,
                        attempts,
                        retry_in_secs = delay.as_secs(),
                        "mail not sent yet: {e}"
                    );
                    tokio::time::sleep(*delay).await;
                    if let Some(queue) = requeue.upgrade() {
                        let _ = queue.send(letter);
                    }
                });
            }
        });
        Outbox { queue }
    }

    /// Queues a plain-text message to `to`.
    pub fn send(&self, to: &str, subject: &str, body: String) {
        let letter = Letter {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
            attempts: 0,
        };
        if self.queue.send(letter).is_err() {
            tracing::error!(subject, "mail not queued: the sending task has stopped");
        }
    }
}
