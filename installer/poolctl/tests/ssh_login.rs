//! poolctl's SSH login against a real OpenSSH server (`/usr/sbin/sshd` on loopback, started
//! here as the current user): a passphrase-protected key made by `ssh-keygen`, and the keys of
//! a real `ssh-agent`. `tests/run` installs openssh-server. sshd needs root (its
//! privilege-separation directory): not root, the tests print why and return; CI runs them
//! as root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pool_tests::proc::{Proc, free_port};
use poolctl::config::Secret;
use poolctl::host::{Host, HostError, RemoteCommand, SshHost, SshOptions, SshTarget};

const PASSPHRASE: &str = "correct horse battery staple";

fn run(program: &str, args: &[&str], env: &[(&str, &Path)]) {
    let out = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (install openssh-client): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ssh-keygen` makes an ed25519 key at `path` (encrypted when `passphrase` is not empty;
/// few KDF rounds, so the unoptimised test build decrypts it quickly).
fn keygen(path: &Path, passphrase: &str) -> PathBuf {
    let p = path.to_str().unwrap();
    run(
        "ssh-keygen",
        &[
            "-q", "-t", "ed25519", "-a", "2", "-N", passphrase, "-C", "test", "-f", p,
        ],
        &[],
    );
    path.to_owned()
}

/// A real sshd on a free loopback port that accepts the given public keys for the current user.
struct Sshd {
    _proc: Proc,
    port: u16,
}

impl Sshd {
    /// `None` (after saying why) when not root.
    async fn start(dir: &Path, authorized: &[&Path]) -> Option<Sshd> {
        if !poolctl::lab::is_root() {
            eprintln!("SKIPPED: not root; sshd needs root (CI runs this as root)");
            return None;
        }
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "needs /usr/sbin/sshd: apt-get install openssh-server"
        );
        // sshd refuses to start without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let host_key = keygen(&dir.join("host_key"), "");
        let mut keys = String::new();
        for k in authorized {
            keys.push_str(&std::fs::read_to_string(k.with_extension("pub")).unwrap());
        }
        std::fs::write(dir.join("authorized_keys"), keys).unwrap();
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\n\
                 PidFile {}\n",
                host_key.display(),
                dir.join("authorized_keys").display(),
                dir.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        let args = ["-D", "-e", "-f", config.to_str().unwrap()].map(String::from);
        let mut proc = Proc::spawn("sshd", sshd, &args, &dir.join("sshd.log"));
        pool_tests::wait_for(20, "sshd to listen", || {
            proc.assert_running();
            let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            async move { up.then_some(()) }
        })
        .await;
        Some(Sshd { _proc: proc, port })
    }

    async fn connect(&self, options: &SshOptions) -> Result<SshHost, HostError> {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let target = SshTarget::new("voting1", "127.0.0.1")
            .port(self.port)
            .user(user);
        let options = options
            .clone()
            .accept_new_host_key(true)
            .connect_timeout(Duration::from_secs(20));
        SshHost::connect(target, None, &options).await
    }
}

async fn logged_in(host: SshHost) {
    let out = host
        .run(&RemoteCommand::new("echo").arg("logged in"))
        .await
        .unwrap();
    assert_eq!(out.stdout_text(), "logged in\n");
    host.close().await;
}

#[tokio::test]
async fn logs_in_with_a_passphrase_protected_key() {
    let dir = pool_tests::test_dir("ssh-passphrase");
    let key = keygen(&dir.path().join("id_ed25519"), PASSPHRASE);
    let Some(sshd) = Sshd::start(dir.path(), &[&key]).await else {
        return;
    };

    // Without the passphrase: a clear error naming the key and both ways out.
    let err = sshd.connect(&SshOptions::new(&key)).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HostError::ClientKey { .. }), "{err:?}");
    assert!(
        text.contains(&key.display().to_string())
            && text.contains("encrypted")
            && text.contains("ssh.key_passphrase")
            && text.contains("ssh.agent"),
        "{text}"
    );

    let wrong = SshOptions::new(&key).key_passphrase(Some(Secret::new("wrong")));
    let err = sshd.connect(&wrong).await.unwrap_err();
    assert!(
        matches!(err, HostError::ClientKey { .. }) && err.to_string().contains("passphrase"),
        "{err:?}"
    );

    let right = SshOptions::new(&key).key_passphrase(Some(Secret::new(PASSPHRASE)));
    logged_in(sshd.connect(&right).await.unwrap()).await;
}

#[tokio::test]
async fn logs_in_with_the_ssh_agent() {
    let dir = pool_tests::test_dir("ssh-agent");
    let agent_key = keygen(&dir.path().join("agent_key"), "");
    let other_key = keygen(&dir.path().join("other_key"), "");
    let Some(sshd) = Sshd::start(dir.path(), &[&agent_key]).await else {
        return;
    };

    let socket = dir.path().join("agent.sock");
    let args = ["-D", "-a", socket.to_str().unwrap()].map(String::from);
    let mut agent = Proc::spawn(
        "ssh-agent",
        Path::new("/usr/bin/ssh-agent"),
        &args,
        &dir.path().join("agent.log"),
    );
    pool_tests::wait_for(10, "ssh-agent's socket", || {
        agent.assert_running();
        let up = socket.exists();
        async move { up.then_some(()) }
    })
    .await;
    // The identity file does not exist: only the agent's keys are used.
    let options = SshOptions::new(dir.path().join("missing")).agent(Some(socket.clone()));

    let err = sshd.connect(&options).await.unwrap_err();
    assert!(err.to_string().contains("holds no keys"), "{err}");

    let sock: &Path = &socket;
    run(
        "ssh-add",
        &["-q", other_key.to_str().unwrap()],
        &[("SSH_AUTH_SOCK", sock)],
    );
    let err = sshd.connect(&options).await.unwrap_err();
    assert!(
        matches!(&err, HostError::AuthRejected { key, .. } if key == "the SSH agent's keys"),
        "{err:?}"
    );

    run(
        "ssh-add",
        &["-q", agent_key.to_str().unwrap()],
        &[("SSH_AUTH_SOCK", sock)],
    );
    logged_in(sshd.connect(&options).await.unwrap()).await;
}
