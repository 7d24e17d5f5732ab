//! A real browser for UI tests: headless Chromium driven over the DevTools protocol (a
//! WebSocket per page). Needs the `chromium` package (tests/run installs it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Browser {
    child: Child,
    page: Socket,
    next_id: u64,
}

/// True when Chromium is installed.
pub fn available() -> bool {
    Path::new("/usr/bin/chromium").exists()
}

impl Browser {
    /// Starts Chromium with a fresh profile in `dir` and attaches to its first page.
    pub async fn start(dir: &Path) -> Browser {
        Self::start_with(dir, &[]).await
    }

    /// [`Browser::start`] with extra command-line switches (e.g. a lab's
    /// `--ignore-certificate-errors`: its certificates come from a CA Chromium does not know).
    pub async fn start_with(dir: &Path, switches: &[&str]) -> Browser {
        let profile = dir.join("chromium-profile");
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new("/usr/bin/chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .args(switches)
            .arg("about:blank")
            .arg(format!("--user-data-dir={}", profile.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let port_file = profile.join("DevToolsActivePort");
        let port: u16 = crate::wait_for(30, "Chromium's DevTools port", || async {
            std::fs::read_to_string(&port_file)
                .ok()?
                .lines()
                .next()?
                .parse()
                .ok()
        })
        .await;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let ws_url = crate::wait_for(30, "Chromium's page target", || async {
            let (_, body) = crate::http::request(addr, "GET", "/json/list", &[], "").await?;
            let targets: Vec<Value> = serde_json::from_str(&body).ok()?;
            targets.iter().find(|t| t["type"] == "page")?["webSocketDebuggerUrl"]
                .as_str()
                .map(str::to_owned)
        })
        .await;
        let (page, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .expect("DevTools WebSocket");
        Browser {
            child,
            page,
            next_id: 1,
        }
    }

    /// One DevTools command; its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let v = self.try_call(method, params).await;
        v.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// One DevTools command; its result, or the error Chromium answered.
    async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({ "id": id, "method": method, "params": params }).to_string();
        self.page
            .send(Message::text(msg))
            .await
            .expect("send to Chromium");
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), self.page.next())
                .await
                .unwrap_or_else(|_| panic!("Chromium did not answer {method}"))
                .expect("Chromium closed the page")
                .expect("DevTools message");
            let Message::Text(text) = m else { continue };
            let v: Value = serde_json::from_str(&text).expect("DevTools JSON");
            if v["id"] == id {
                return match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                };
            }
        }
    }

    /// Evaluates `js` in the page; its value.
    pub async fn eval(&mut self, js: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{js}: {r}");
        r["result"]["value"].clone()
    }

    /// Waits until the loaded page's path is `path`; returns the page's text.
    pub async fn wait_for_page(&mut self, path: &str) -> String {
        let js = format!(
            "document.readyState === 'complete' && location.pathname === {} && document.body ? document.body.innerText : null",
            json!(path)
        );
        self.wait_for_text(&js).await
    }

    /// Waits until `js` evaluates to a string and returns it. The page itself re-checks `js`
    /// every 20 ms and answers when it holds; a navigation that replaces the
    /// document ends that wait with an error, and the wait starts again in the new one.
    /// Gives up after 30 s.
    pub async fn wait_for_text(&mut self, js: &str) -> String {
        let waiting = format!(
            "new Promise(resolve => {{ const check = () => {{ let v = null; try {{ v = ({js}); }} catch (e) {{}} if (typeof v === 'string') resolve(v); else setTimeout(check, 20); }}; check(); }})"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = self
                .try_call(
                    "Runtime.evaluate",
                    json!({ "expression": waiting, "returnByValue": true, "awaitPromise": true }),
                )
                .await;
            if let Ok(r) = &r
                && r.get("exceptionDetails").is_none()
                && let Some(text) = r["result"]["value"].as_str()
            {
                return text.to_owned();
            }
            assert!(Instant::now() < deadline, "waited 30 s for {js}: {r:?}");
        }
    }

    /// Waits until a loaded page shows a message (`#message`, set by every form answer);
    /// returns its text.
    pub async fn wait_for_message(&mut self) -> String {
        self.wait_for_text(
            "document.readyState === 'complete' && document.getElementById('message') ? document.getElementById('message').innerText : null",
        )
        .await
    }

    /// Opens `url` and waits until the page at `path` has loaded.
    pub async fn open(&mut self, url: &str, path: &str) -> String {
        self.call("Page.navigate", json!({ "url": url })).await;
        self.wait_for_page(path).await
    }

    /// Types `value` into the element `#id`.
    pub async fn fill(&mut self, id: &str, value: &str) {
        let js = format!(
            "document.getElementById({}).value = {}",
            json!(id),
            json!(value)
        );
        self.eval(&js).await;
    }

    /// Every cookie the browser holds (DevTools `Network.getAllCookies`).
    pub async fn cookies(&mut self) -> Vec<Value> {
        let r = self.call("Network.getAllCookies", json!({})).await;
        r["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// Sets `cookie` (as [`Browser::cookies`] lists it) for the site `url` instead of its own.
    pub async fn copy_cookie_to(&mut self, cookie: &Value, url: &str) {
        self.call(
            "Network.setCookie",
            json!({
                "name": cookie["name"],
                "value": cookie["value"],
                "url": url,
                "path": cookie["path"],
                "secure": cookie["secure"],
                "httpOnly": cookie["httpOnly"],
            }),
        )
        .await;
    }

    /// Clicks the element `#id`.
    pub async fn click(&mut self, id: &str) {
        self.eval(&format!("document.getElementById({}).click()", json!(id)))
            .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
