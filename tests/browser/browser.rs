//! A real headless Chromium, driven through chromedriver with fantoccini:
//! every page a test passes through is screenshotted (whole page) to
//! `target/e2e-screenshots/<test>/` and checked with axe-core.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
/// WebDriver's Tab and Enter keys.
pub const TAB: &str = "\u{e004}";
pub const ENTER: &str = "\u{e007}";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// axe-core's browser bundle, installed by `npm ci --prefix tests/browser`.
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; install it with `npm ci --prefix tests/browser` (.ci/run does)", path.display()))
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: PathBuf,
    count: usize,
    axe: String,
    width: u32,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share a process group.
        let _ = Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of its own, 1280 px wide.
    pub async fn start(test: &str) -> Self {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: install Debian's chromium and chromium-driver (.ci/run does)"
            );
        }
        let port = free_port();
        let driver = {
            use std::os::unix::process::CommandExt as _;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start chromedriver")
        };
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => {
                    last = Some(e.to_string());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let client = client.unwrap_or_else(|| panic!("chromedriver did not start a session: {last:?}"));
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("e2e-screenshots").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Self { client, driver, _profile: profile, shots, count: 0, axe: axe_source(), width: 1280 }
    }

    /// Narrows the window to a phone's width (375 px) or back to a laptop's.
    pub async fn set_width(&mut self, width: u32) {
        self.width = width;
        self.client.set_window_size(width, 900).await.unwrap();
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Path and query of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    pub async fn h1(&self) -> String {
        self.client.find(Locator::Css("h1")).await.unwrap().text().await.unwrap()
    }

    /// The text of the notice at the top, if any.
    pub async fn notice(&self) -> Option<String> {
        match self.client.find(Locator::Css(".notice")).await {
            Ok(e) => Some(e.text().await.unwrap()),
            Err(_) => None,
        }
    }

    /// Clicks something on the page (a checkbox, a radio button).
    pub async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.client.execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&el).unwrap()]).await.unwrap();
        el.click().await.unwrap();
    }

    /// Follows a link (found by CSS) and waits for the next page.
    pub async fn follow(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.navigating(el.click()).await;
    }

    /// Clicks the button or link with these words and waits for the next page.
    pub async fn press(&self, words: &str) {
        let xpath = format!("//button[normalize-space()='{words}'] | //a[normalize-space()='{words}']");
        let el = self.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|e| panic!("no button or link {words:?}: {e}"));
        self.client.execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&el).unwrap()]).await.unwrap();
        self.navigating(el.click()).await;
    }

    /// Runs a click that leaves the page, and waits until the next page has
    /// loaded: a form post may come back to the same address, so the old
    /// document going stale is the sign, not the URL.
    async fn navigating<T>(&self, click: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        click.await.unwrap();
        for _ in 0..300 {
            if old.tag_name().await.is_err() {
                let ready = self.client.execute("return document.readyState;", vec![]).await;
                if ready.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref() == Some("complete") {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page 15 s after the click (still at {})", self.path().await);
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    pub async fn enabled(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.unwrap().is_enabled().await.unwrap()
    }

    /// Types keys into whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        self.client.active_element().await.unwrap().send_keys(keys).await.unwrap();
    }

    /// Types keys that leave the page (Enter on a button) and waits for the next one.
    pub async fn keys_navigating(&self, keys: &str) {
        let el = self.client.active_element().await.unwrap();
        self.navigating(el.send_keys(keys)).await;
    }

    pub async fn focused_text(&self) -> String {
        self.client.active_element().await.unwrap().text().await.unwrap()
    }

    pub async fn focused_id(&self) -> String {
        self.client.active_element().await.unwrap().attr("id").await.unwrap().unwrap_or_default()
    }

    /// Whether the focused element draws a visible outline.
    pub async fn focus_ring(&self) -> bool {
        let style = "const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;";
        self.client.execute(style, vec![]).await.unwrap().as_bool().unwrap_or(false)
    }

    /// Whether every image on the page loaded (the document pictures).
    pub async fn images_loaded(&self) -> bool {
        let v = self
            .client
            .execute("return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);", vec![])
            .await
            .unwrap();
        v.as_bool().unwrap_or(false)
    }

    /// Shows every page of the current document with "Next page", as a reader would.
    pub async fn read_every_page(&mut self, label: &str) {
        assert!(self.images_loaded().await, "a page picture did not load");
        self.snap(&format!("{label}-page-1")).await;
        while self.exists(".move a[rel=next]").await {
            self.follow(".move a[rel=next]").await;
            assert!(self.images_loaded().await, "a page picture did not load at {}", self.path().await);
        }
        self.snap(&format!("{label}-last-page")).await;
    }

    /// Saves a whole-page screenshot and runs axe-core: no serious or
    /// critical violation may be on any page.
    pub async fn snap(&mut self, label: &str) {
        self.count += 1;
        // The window is taller than the page's viewport by the browser's own
        // frame; size the viewport to the whole document.
        let measure = "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];";
        let sizes = self.client.execute(measure, vec![]).await.unwrap();
        let (content, frame) = (sizes[0].as_u64().unwrap_or(900), sizes[1].as_u64().unwrap_or(0));
        let height = (content + frame).clamp(400, 9000) as u32;
        self.client.set_window_size(self.width, height).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        self.client.set_window_size(self.width, 900).await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{label}.png", self.count)), png).unwrap();
        let violations = self.axe().await;
        let serious: Vec<&Value> =
            violations.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
        assert!(serious.is_empty(), "axe-core on {label} ({}): {}", self.path().await, serde_json::to_string_pretty(&serious).unwrap());
    }

    async fn axe(&self) -> Vec<Value> {
        self.client.execute(&format!("{}\nreturn true;", self.axe), vec![]).await.expect("inject axe-core");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ')) }))))
              .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e) }]));
        "#;
        let result = self.client.execute_async(script, vec![]).await.expect("run axe-core");
        result.as_array().cloned().unwrap_or_default()
    }
}
