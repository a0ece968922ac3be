//! A `tipdesk` process started by a test, killed when the test ends, even
//! by a panic. An orphan would outlive the test run and, holding the
//! output pipe it inherited, keep whatever reads that pipe (CI) waiting
//! forever; so its output (stdout and stderr) goes to a file instead.

use std::process::{Child, Command, Stdio};

pub struct Running {
    child: Child,
    log: tempfile::NamedTempFile,
    /// The folder it runs in, when it was given one.
    _cwd: Option<tempfile::TempDir>,
}

impl Running {
    /// Starts `cmd` with stdin closed and its output in a log file, in a
    /// scratch folder of its own unless `cmd` names a folder: a default
    /// path (`var/mail`, `var/tipdesk.db`) then lands there, never in the
    /// checkout's `var/`.
    pub fn start(cmd: &mut Command) -> Self {
        let cwd = match cmd.get_current_dir() {
            Some(_) => None,
            None => {
                let dir = tempfile::tempdir().expect("a scratch folder");
                cmd.current_dir(dir.path());
                Some(dir)
            }
        };
        let log = tempfile::NamedTempFile::new().expect("process log file");
        // One open file, duplicated: the two streams share its offset
        // instead of writing over each other.
        let stderr = log.reopen().expect("process log file");
        let stdout = stderr.try_clone().expect("process log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start tipdesk");
        Self {
            child,
            log,
            _cwd: cwd,
        }
    }

    #[allow(dead_code)] // not every test binary reads it
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and wait for it to be gone: no clean-up of any kind.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the process has written so far.
    #[allow(dead_code)] // not every test binary reads it
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The end of the output, for failure messages.
    #[allow(dead_code)]
    pub fn output_tail(&self) -> String {
        let log = self.output();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// `tipdesk serve` started by a test on a free loopback port, its settings
/// added by `configure` (environment variables): returns once it answers
/// (or after ten seconds), with the address it serves. It runs in a
/// scratch folder of its own (see [`Running::start`]).
#[allow(dead_code)] // not every test binary starts one
pub async fn serve(configure: impl FnOnce(&mut Command) -> &mut Command) -> (Running, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tipdesk"));
    cmd.arg("serve")
        .env_remove("TIPDESK_CONFIG")
        .env_remove("RUST_LOG")
        .env("TIPDESK_SERVER__BIND", format!("127.0.0.1:{port}"));
    configure(&mut cmd);
    let running = Running::start(&mut cmd);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (running, base)
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}
