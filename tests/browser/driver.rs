//! A real headless Chromium for tests, driven over WebDriver.
//!
//! [`Browser::start`] launches its own `chromedriver` on a free port and
//! opens a session in a fresh profile; dropping the [`Browser`] ends both,
//! Chromium included. The methods panic with the page's URL and the CSS
//! selector at hand, so a failing test says where it went wrong.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long to wait for chromedriver to answer, and for a page or an
/// element to appear: generous, for a loaded CI machine.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A headless Chromium session with its own chromedriver and profile.
pub struct Browser {
    client: Client,
    // Field order is drop order: the driver (and Chromium with it) goes
    // before the profile folder is removed.
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. Panics, saying
    /// how to install them, when they are not installed.
    pub async fn start() -> Self {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's chromium and \
                 chromium-driver. Install them with `scripts/install-browser` \
                 (as root), then run the tests again."
            );
        }
        let driver = ChromeDriver::start().await;
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // Root in a container: Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-gpu",
                    // No internet here: nothing may try to reach out.
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1200,900",
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not start Chromium: {e}\n{}",
                    driver.log_tail()
                )
            });
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// The fantoccini client, for what the helpers here do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// The address of the page now shown.
    pub async fn current_url(&self) -> url::Url {
        self.client.current_url().await.expect("current URL")
    }

    /// The path of the page shown in the current frame (WebDriver's own
    /// current URL is always the top page's).
    pub async fn path(&self) -> String {
        match self
            .client
            .execute("return window.location.pathname;", vec![])
            .await
        {
            Ok(Value::String(path)) => path,
            other => panic!("could not read the page's path: {other:?}"),
        }
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("page title")
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "no element matches `{css}` on {}: {e}",
                self.where_am_i().await
            ),
        }
    }

    /// Whether an element matches `css` now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(_) => true,
            Err(e) if e.is_no_such_element() => false,
            Err(e) => panic!("looking for `{css}`: {e}"),
        }
    }

    /// Replaces the content of the field at `css` with `text`, typed key
    /// by key as a person would.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("could not clear `{css}`: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("could not type into `{css}`: {e}"));
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("could not click `{css}`: {e}"));
    }

    /// Clicks the element at `css` (a submit button or a link) and waits
    /// until the page it leads to has loaded.
    pub async fn click_and_wait(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_for_new_page(&format!("clicking `{css}`")).await;
    }

    /// Presses keys that lead to a new page (Enter on a link or button)
    /// and waits for it, like [`Browser::click_and_wait`].
    pub async fn keys_and_wait(&self, keys: &str) {
        self.mark_page().await;
        self.keys(keys).await;
        self.wait_for_new_page(&format!("pressing {keys:?}")).await;
    }

    /// A mark on the current document: gone once another one loaded.
    async fn mark_page(&self) {
        self.client
            .execute("window.__tipdesk_old_page = true;", vec![])
            .await
            .expect("mark the page");
    }

    async fn wait_for_new_page(&self, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let state = self
                .client
                .execute(
                    "return window.__tipdesk_old_page === true ? 'old' : document.readyState;",
                    vec![],
                )
                .await;
            // An error means the page is being replaced just now.
            if let Ok(Value::String(s)) = &state {
                if s == "complete" {
                    self.wait_for_rendering().await;
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not lead to a new page within {TIMEOUT:?} ({})",
                self.where_am_i().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page has been rendered twice. A loaded document is
    /// not yet a page as the reader meets it: the browser runs `autofocus`
    /// (the error summary takes the focus that way) in its next rendering
    /// update (HTML, "flush autofocus candidates"), which on a busy machine
    /// comes well after `readyState` is `complete`. Two animation frames
    /// put that update behind us.
    async fn wait_for_rendering(&self) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("the page was not rendered: {e}"));
    }

    /// The visible text of the element at `css`.
    /// Sends the follow-up page's reply form and checks that the page
    /// says it was sent (`sent`: `follow-up-sent` in the page's language).
    pub async fn send_reply(&self, sent: &str) {
        self.click_and_wait("form.reply button[type=submit]").await;
        assert_eq!(self.text_of("#follow-up-notice").await, sent);
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("could not read the text of `{css}`: {e}"))
    }

    /// The current value of the form field at `css` (what is in the box
    /// now, not the HTML attribute it started with).
    pub async fn value_of(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("could not read the value of `{css}`: {e}"))
            .unwrap_or_default()
    }

    /// The HTML attribute `name` of the element at `css`, if it has one.
    pub async fn attr_of(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("could not read `{name}` of `{css}`: {e}"))
    }

    /// Whether the checkbox or radio button at `css` is ticked.
    pub async fn is_checked(&self, css: &str) -> bool {
        self.find(css)
            .await
            .is_selected()
            .await
            .unwrap_or_else(|e| panic!("could not read the state of `{css}`: {e}"))
    }

    /// The computed CSS `property` of the element at `css`.
    pub async fn css_of(&self, css: &str, property: &str) -> String {
        self.find(css)
            .await
            .css_value(property)
            .await
            .unwrap_or_else(|e| panic!("could not read `{property}` of `{css}`: {e}"))
    }

    /// Enters the first `<iframe>` matching `css`: later calls act inside
    /// it until [`Browser::leave_frame`].
    pub async fn enter_frame(&self, css: &str) {
        self.find(css)
            .await
            .enter_frame()
            .await
            .unwrap_or_else(|e| panic!("could not enter the frame `{css}`: {e}"));
    }

    /// Back from a frame to the page around it.
    pub async fn leave_frame(&self) {
        self.client
            .enter_parent_frame()
            .await
            .expect("leave the frame");
    }

    /// Presses keys on whatever has the focus, as a person at the keyboard
    /// does (`fantoccini::key::Key` as `char`s for Tab, Enter...). A
    /// modifier (Control, Shift, Alt, Meta) stays down until `Key::Null`
    /// or the end, as with WebDriver's Element Send Keys.
    ///
    /// Sent as WebDriver key actions (W3C WebDriver, "Perform Actions"),
    /// not as Element Send Keys to the focused element: a real keyboard
    /// has no target, and chromedriver reads keys sent to a focused
    /// `<input type=file>` as a file path to upload, so Tab could not
    /// leave the attachments field.
    pub async fn keys(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        use fantoccini::key::Key;
        let modifiers: Vec<char> = [Key::Control, Key::Shift, Key::Alt, Key::Meta]
            .into_iter()
            .map(char::from)
            .collect();
        let null = char::from(Key::Null);
        let mut held = Vec::new();
        let mut actions = KeyActions::new("keyboard".to_owned());
        for c in keys.chars() {
            if modifiers.contains(&c) {
                actions = actions.then(KeyAction::Down { value: c });
                held.push(c);
            } else if c == null {
                for m in held.drain(..) {
                    actions = actions.then(KeyAction::Up { value: m });
                }
            } else {
                actions = actions
                    .then(KeyAction::Down { value: c })
                    .then(KeyAction::Up { value: c });
            }
        }
        for m in held.drain(..) {
            actions = actions.then(KeyAction::Up { value: m });
        }
        let here = self.where_am_i().await;
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("could not type {keys:?} ({here}): {e}"));
    }

    /// Whether the focused element matches `css`.
    pub async fn focused_is(&self, css: &str) -> bool {
        self.client
            .execute(
                "const a = document.activeElement; return !!a && a.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("could not ask what has the focus: {e}"))
            == Value::Bool(true)
    }

    /// A short description of the focused element (tag, id, name, text).
    pub async fn focused(&self) -> String {
        let v = self
            .client
            .execute(
                "const a = document.activeElement; if (!a) return 'nothing'; \
                 return `<${a.tagName.toLowerCase()}${a.id ? ' id=' + a.id : ''}${a.name ? ' name=' + a.name : ''}> ${(a.innerText || a.value || '').slice(0, 40)}`;",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("could not ask what has the focus: {e}"));
        v.as_str().unwrap_or("?").to_owned()
    }

    /// The focused element's focus indicator, as computed: its outline
    /// (style, width) and box shadow. For checking the ring is drawn.
    pub async fn focus_ring(&self) -> (String, String, String) {
        let v = self
            .client
            .execute(
                "const s = getComputedStyle(document.activeElement); \
                 return [s.outlineStyle, s.outlineWidth, s.boxShadow];",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("could not read the focus ring: {e}"));
        let v: Vec<String> = serde_json::from_value(v).expect("three strings");
        (v[0].clone(), v[1].clone(), v[2].clone())
    }

    /// Presses Tab until the element at `css` has the focus, checking at
    /// every stop that tipdesk's own focus ring is drawn; panics after
    /// `most` presses, listing where the focus went.
    pub async fn tab_to(&self, css: &str, most: usize) {
        let tab = char::from(fantoccini::key::Key::Tab).to_string();
        let mut path = Vec::new();
        for _ in 0..most {
            self.keys(&tab).await;
            let here = self.focused().await;
            let (style, width, shadow) = self.focus_ring().await;
            assert!(
                style == "solid" && width == "3px" && shadow.contains("rgb(255, 221, 0)"),
                "no focus ring of tipdesk's own on {here}: outline {style} {width}, shadow {shadow} ({})",
                self.where_am_i().await
            );
            path.push(here);
            if self.focused_is(css).await {
                return;
            }
        }
        panic!(
            "{most} presses of Tab never reached `{css}` ({}); the focus went:\n  {}",
            self.where_am_i().await,
            path.join("\n  ")
        );
    }

    /// Sets the window's size in CSS pixels, e.g. 390 wide for a phone.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("could not resize the window to {width}x{height}: {e}"));
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// How far the page scrolls sideways, in CSS pixels (0: it fits).
    pub async fn sideways_scroll(&self) -> i64 {
        self.js(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        )
        .await
        .as_i64()
        .expect("a number of pixels")
    }

    /// Fails if the page scrolls sideways at the window's width (WCAG
    /// 1.4.10, reflow), naming the elements that stick out and saving a
    /// screenshot `NAME-overflowing`.
    pub async fn assert_no_sideways_scroll(&self, name: &str) {
        if self.sideways_scroll().await == 0 {
            return;
        }
        let wide = self
            .js(
                "const w = document.documentElement.clientWidth; \
                 return [w, [...document.querySelectorAll('body *')] \
                   .filter((e) => e.getBoundingClientRect().right > w + 1 || e.getBoundingClientRect().left < -1) \
                   .slice(0, 30).map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().width)}px`)];",
            )
            .await;
        self.screenshot(&format!("{name}-overflowing")).await;
        panic!(
            "{name} scrolls sideways at {} px; too wide: {}",
            wide[0], wide[1]
        );
    }

    /// Switches the desk to language `tag` with the switch in its bar.
    pub async fn switch_desk_language(&self, tag: &str) {
        self.js(&format!(
            "document.querySelector('form.language select').value = '{tag}';"
        ))
        .await;
        self.click_and_wait("form.language button[type=submit]")
            .await;
    }

    /// Saves a PNG of the whole page (not just the window) as
    /// `target/screenshots/NAME.png` and returns its path. For people
    /// looking at a run; nothing compares it.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // Grow the window to the page's height for the shot, then restore.
        let hidden = self
            .client
            .execute(
                "return Math.max(0, document.documentElement.scrollHeight - window.innerHeight);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0);
        let (width, height) = self.client.get_window_size().await.expect("window size");
        let (width, height) = (
            u32::try_from(width).unwrap_or(1200),
            u32::try_from(height).unwrap_or(900),
        );
        if hidden > 0 {
            self.client
                .set_window_size(width, height + hidden)
                .await
                .expect("grow the window");
        }
        let png = self.client.screenshot().await;
        if hidden > 0 {
            self.client
                .set_window_size(width, height)
                .await
                .expect("restore the window");
        }
        let png = png.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("could not create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
        path
    }

    /// Runs axe-core (the accessibility rules engine, installed by
    /// `scripts/install-axe`) over the page shown, with every rule it runs
    /// by default plus WCAG 2.2's target size (2.5.8, off by default), and
    /// returns what it found broken: one line per rule and element, with
    /// axe's own explanation. Empty when the page passes.
    pub async fn axe(&self) -> Vec<String> {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .expect("ask whether axe is loaded");
        if loaded != Value::Bool(true) {
            // WebDriver's scripts run outside the page's CSP (which allows
            // no script at all), as a browser extension's would.
            self.client
                .execute(&format!("{}\nreturn true;", axe_source()), vec![])
                .await
                .unwrap_or_else(|e| panic!("could not load axe-core into the page: {e}"));
        }
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
axe.run(document, {
  rules: { 'target-size': { enabled: true } },
  resultTypes: ['violations'],
}).then(
  (r) => done(r.violations.flatMap((v) => v.nodes.map((n) =>
    `${v.impact} ${v.id}: ${v.help} at ${n.target.join(' ')}\n    ${(n.failureSummary || '').replace(/\n/g, '\n    ')}`))),
  (e) => done([`axe failed: ${e}`]),
);"#,
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe-core did not finish: {e}"));
        serde_json::from_value(found).expect("axe's findings as strings")
    }

    /// Panics, listing each finding, unless axe-core finds nothing wrong
    /// with the page shown. `what` names the page in the message.
    pub async fn assert_accessible(&self, what: &str) {
        let found = self.axe().await;
        assert!(
            found.is_empty(),
            "axe-core: {} problem(s) on {what} ({}):\n  {}",
            found.len(),
            self.where_am_i().await,
            found.join("\n  ")
        );
    }

    /// Ends the session: Chromium quits. Dropping the browser does the
    /// same, less politely.
    pub async fn close(self) {
        // Best effort: the driver is killed on drop in any case.
        let _ = self.client.clone().close().await;
    }

    async fn where_am_i(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("an unknown page ({e})"),
        }
    }
}

/// `target/`, or CARGO_TARGET_DIR when that is set.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// `target/screenshots`.
fn screenshot_dir() -> PathBuf {
    target_dir().join("screenshots")
}

/// axe-core's script, read once per test binary from where
/// `scripts/install-axe` put it.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = target_dir().join("browser-tools/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}. The accessibility checks need axe-core: run \
                 `scripts/install-axe` (or `scripts/test`, which does).",
                path.display()
            )
        })
    })
}

/// A chromedriver process of our own, in a process group of its own so
/// that it and the Chromium it started can be ended together.
struct ChromeDriver {
    child: Child,
    url: String,
    log: tempfile::NamedTempFile,
}

impl ChromeDriver {
    async fn start() -> Self {
        // The port may be taken between our look and chromedriver's bind;
        // a driver that exits at once gets another try on a new port.
        let mut failures = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("chromedriver log file");
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.path().display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("could not run {CHROMEDRIVER}: {e}"));
            let mut driver = Self {
                child,
                url: format!("http://127.0.0.1:{port}"),
                log,
            };
            match driver.wait_until_ready().await {
                Ready::Yes => return driver,
                Ready::Exited => failures.push_str(&driver.log_tail()),
                Ready::Silent => panic!(
                    "chromedriver did not answer on {} within {TIMEOUT:?}\n{}",
                    driver.url,
                    driver.log_tail()
                ),
            }
        }
        panic!("chromedriver exited at start three times\n{failures}");
    }

    /// Polls `/status` until chromedriver says it is ready, or it exits.
    async fn wait_until_ready(&mut self) -> Ready {
        let http = reqwest::Client::new();
        let status = format!("{}/status", self.url);
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ready::Exited;
            }
            if let Ok(res) = http.get(&status).send().await {
                if let Ok(body) = res.json::<Value>().await {
                    if body["value"]["ready"] == Value::Bool(true) {
                        return Ready::Yes;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ready::Silent
    }

    /// The end of chromedriver's log, for failure messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("chromedriver log ({}):\n{tail}", self.log.path().display())
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium process it
        // started, since a test that panicked never closed its session.
        // (In `sh`'s kill, a negative number names a process group.)
        let _ = Command::new("sh")
            .args(["-c", "kill -KILL -\"$0\"", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Ready {
    Yes,
    /// chromedriver exited (typically: the port was taken).
    Exited,
    /// Running but not answering.
    Silent,
}

/// A TCP port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A page of another site, served on loopback for as long as this value
/// lives: a newsroom's article holding an embed, say. (A `data:` URL will
/// not do: Chromium's Local Network Access checks count it as a public
/// page, which may not frame a loopback address.)
pub struct HostPage {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

/// A port taken for a host page whose origin must be known before the page
/// (e.g. to allow it in tipdesk's `embed.allowed_origins`).
pub struct HostSlot {
    listener: tokio::net::TcpListener,
}

impl HostSlot {
    /// `http://127.0.0.1:PORT`, as a browser sends it in `Origin`.
    pub fn origin(&self) -> String {
        format!(
            "http://{}",
            self.listener.local_addr().expect("host page address")
        )
    }

    /// Serves `html` to every request on this port.
    pub async fn serve(self, html: String) -> HostPage {
        HostPage::serve_on(self.listener, html)
    }
}

impl HostPage {
    /// Takes a free port for a page served later.
    pub async fn bind() -> HostSlot {
        HostSlot {
            listener: tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind a local port for the host page"),
        }
    }

    /// Serves `html` to every request on a free port.
    pub async fn serve(html: String) -> Self {
        Self::bind().await.serve(html).await
    }

    fn serve_on(listener: tokio::net::TcpListener, html: String) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let url = format!(
            "http://{}/",
            listener.local_addr().expect("host page address")
        );
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{html}",
            html.len()
        );
        let server = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let response = response.clone();
                tokio::spawn(async move {
                    // Read the request head, whatever it asks for.
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { url, server }
    }

    /// Where the page is served.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for HostPage {
    fn drop(&mut self) {
        self.server.abort();
    }
}
