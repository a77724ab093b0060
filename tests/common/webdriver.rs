//! A small W3C WebDriver client over [`super::http_request`], enough to
//! drive headless Chromium through `chromedriver` (Debian `chromium` and
//! `chromium-driver`): open pages, find elements by CSS selector, type,
//! click, read text, take screenshots. Every wait is bounded.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Process, free_port, http_request, require_program};

/// Where browser tests put their screenshots: `target/ui-screenshots/`.
pub fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots")
}

/// The key under which WebDriver returns element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session; the driver (and with it the browser) ends when this
/// is dropped.
pub struct Browser {
    driver: SocketAddr,
    session: String,
    _process: Process,
}

/// An element on the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium window of `width` x
    /// `height` pixels; logs go to `dir`.
    pub fn start(dir: &Path, width: u32, height: u32) -> Browser {
        let chromedriver = require_program("chromedriver", "chromium-driver");
        let chromium = require_program("chromium", "chromium");
        let port = free_port();
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}"));
        let process = Process::start("chromedriver", command, &dir.join("chromedriver.log"));
        let driver = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect_timeout(&driver, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = dir.join("chromium-profile");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let response = call(driver, "POST", "/session", Some(&capabilities));
        let session = response["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {response}"))
            .to_string();
        Browser {
            driver,
            session,
            _process: process,
        }
    }

    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        call(
            self.driver,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    /// Logs in to `node`'s web UI as admin (its first-start password),
    /// landing on the zones page.
    pub fn log_in(&self, node: &super::ApiNode) {
        self.open(&format!("http://{}/ui/login", node.api));
        self.fill("#username", "admin");
        self.fill("#password", &node.initial_password());
        self.click_on("section.login button[type=submit]");
        self.wait_for("h1", "Zones");
    }

    /// Opens `url` and waits for it to load.
    pub fn open(&self, url: &str) {
        self.command("POST", "/url", Some(&json!({ "url": url })));
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's HTML as the browser holds it now.
    pub fn source(&self) -> String {
        self.command("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching `css` now, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let found = call_raw(
            self.driver,
            "POST",
            &format!("/session/{}/element", self.session),
            Some(&json!({"using": "css selector", "value": css})),
        );
        found["value"][ELEMENT]
            .as_str()
            .map(|id| Element(id.to_string()))
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.command(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (up to 15 s) for an element matching `css` whose text contains
    /// `text` (any text when empty).
    pub fn wait_for(&self, css: &str, text: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            for element in self.find_all(css) {
                if text.is_empty() || self.text(&element).contains(text) {
                    return element;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no `{css}` containing {text:?} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The rendered text of `element`.
    pub fn text(&self, element: &Element) -> String {
        call_raw(
            self.driver,
            "GET",
            &format!("/session/{}/element/{}/text", self.session, element.0),
            None,
        )["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Replaces the value of the input matching `css` with `text`.
    pub fn fill(&self, css: &str, text: &str) {
        let element = self.wait_for(css, "");
        self.command(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(&json!({})),
        );
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(&json!({ "text": text })),
        );
    }

    /// Types `text` into the element matching `css` without clearing it
    /// first (for a file input: the path of the file to choose).
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css, "");
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(&json!({ "text": text })),
        );
    }

    /// Clicks `element`.
    pub fn click(&self, element: &Element) {
        self.command(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(&json!({})),
        );
    }

    /// Clicks the first element matching `css`.
    pub fn click_on(&self, css: &str) {
        let element = self.wait_for(css, "");
        self.click(&element);
    }

    /// Resizes the window (a phone's viewport, say).
    pub fn resize(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "/window/rect",
            Some(&json!({"width": width, "height": height})),
        );
    }

    /// Runs `script` (a function body) in the page; returns its value.
    pub fn execute(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": []})),
        )
    }

    /// Saves a PNG screenshot of the window to `path`.
    pub fn screenshot(&self, path: &Path) {
        let data = self.command("GET", "/screenshot", None);
        let png =
            wire::base64::decode(data.as_str().unwrap_or_default()).expect("a base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closes the browser; the driver process is killed after.
        let _ = call_raw(
            self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

/// One WebDriver command; returns the whole response object.
fn call_raw(driver: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let text = body.map(Value::to_string);
    let response = http_request(
        driver,
        method,
        path,
        &[("Content-Type", "application/json; charset=utf-8")],
        text.as_deref().map(str::as_bytes),
    );
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// One WebDriver command that must succeed; returns its `value`.
fn call(driver: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let response = call_raw(driver, method, path, body);
    let value = response["value"].clone();
    if let Some(error) = value.get("error") {
        panic!(
            "WebDriver {method} {path} failed: {error}: {}",
            value["message"]
        );
    }
    value
}
