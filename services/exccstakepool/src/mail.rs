//! E-mail to users (address verification, password reset, e-mail change, notices) through
//! the operator's SMTP relay: STARTTLS or implicit TLS with certificate checks against the
//! system's roots (plus an optional private CA), or plain SMTP to a relay on this machine.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (refused if the relay does not offer it).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No TLS: only for a relay on this machine (loopback).
    None,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// What the operator configured under `[smtp]`.
#[derive(Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password for AUTH, if the relay wants them.
    pub login: Option<(String, String)>,
    /// The sender, e.g. `EXCC pool <pool@example.org>`.
    pub from: Mailbox,
    /// An extra trusted root (PEM) for a relay with a private CA.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.login.as_ref().map(|(u, _)| u))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp.ca_file is not a PEM certificate: {0}")]
    Ca(lettre::transport::smtp::Error),
    #[error("cannot set up TLS for {host}: {source}")]
    Tls {
        host: String,
        source: lettre::transport::smtp::Error,
    },
    #[error("{0:?} is not an e-mail address")]
    Recipient(String),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the mail relay {relay} did not take the message: {source}")]
    Send {
        relay: String,
        source: lettre::transport::smtp::Error,
    },
}

/// Sends mail through one relay. Cheap to share; each message opens its own connection.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl Mailer {
    pub fn new(s: &MailSettings) -> Result<Mailer, MailError> {
        let tls = |host: &str| {
            let mut b = TlsParameters::builder(host.to_owned());
            if let Some(pem) = &s.ca_pem {
                b = b.add_root_certificate(Certificate::from_pem(pem).map_err(MailError::Ca)?);
            }
            b.build_rustls().map_err(|source| MailError::Tls {
                host: host.to_owned(),
                source,
            })
        };
        let tls = match s.security {
            Security::StartTls => Tls::Required(tls(&s.host)?),
            Security::Tls => Tls::Wrapper(tls(&s.host)?),
            Security::None => Tls::None,
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
            .port(s.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((user, password)) = &s.login {
            b = b.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: b.build(),
            from: s.from.clone(),
            relay: format!("{}:{}", s.host, s.port),
        })
    }

    /// Sends a plain-text message to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| MailError::Recipient(to.to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport
            .send(message)
            .await
            .map_err(|source| MailError::Send {
                relay: self.relay.clone(),
                source,
            })?;
        Ok(())
    }
}
