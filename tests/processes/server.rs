//! `inkseal serve` as a child process: started on a free port, its log
//! collected as it is written, stopped with SIGTERM or killed with SIGKILL.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const API_KEY: &str = "process-test-key-0123456789";

/// A running server.
pub struct Server {
    child: Child,
    pub base: String,
    lines: Arc<Mutex<Vec<String>>>,
    seen: usize,
}

/// Where a server keeps its data: a folder (keys, SQLite) and optionally a
/// PostgreSQL URL.
#[derive(Clone)]
pub struct Place {
    pub data: std::path::PathBuf,
    pub database_url: Option<String>,
}

impl Place {
    pub fn sqlite(data: &Path) -> Self {
        Self { data: data.to_owned(), database_url: None }
    }

    /// A fresh schema in the test database, reached through `search_path`.
    pub async fn postgres(data: &Path) -> Self {
        let base = std::env::var("INKSEAL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut name = [0u8; 8];
        getrandom::fill(&mut name).unwrap();
        let schema = format!("p_{}", hex::encode(name));
        let admin = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| panic!("PostgreSQL at {base} is needed: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        Self { data: data.to_owned(), database_url: Some(format!("{base}{sep}options=-c%20search_path%3D{schema}")) }
    }

    /// `inkseal` with this place's `--data` and `--database-url`.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_inkseal"));
        cmd.env_remove("DATABASE_URL").env_remove("INKSEAL_DATA_KEYS");
        cmd
    }

    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_owned(), self.data.display().to_string()];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }
}

impl Server {
    /// Starts `inkseal serve` on `place` with `extra` arguments and `log` as INKSEAL_LOG.
    pub fn start(place: &Place, extra: &[&str], log: &str) -> Self {
        let mut child = place
            .command()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(place.args())
            .args(extra)
            .env("INKSEAL_API_KEYS", API_KEY)
            .env("INKSEAL_LOG", log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("listening on http://127.0.0.1:"), "{line:?}\n{}", lines.lock().unwrap().join("\n"));
        Self { child, base: line.trim().trim_start_matches("listening on ").to_owned(), lines, seen: 0 }
    }

    /// Waits until `count` log lines (since the last wait) contain `needle`.
    pub fn wait_for(&mut self, needle: &str, count: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let lines = self.lines.lock().unwrap();
            if lines[self.seen..].iter().filter(|l| l.contains(needle)).count() >= count {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "no {count}× {needle:?} in the log:\n{}", lines.join("\n"));
            drop(lines);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// SIGKILL: no shutdown, no flushing, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then the exit status and the whole log.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        // The reader thread drains the rest of stderr after the exit.
        std::thread::sleep(Duration::from_millis(100));
        (status, self.log())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
