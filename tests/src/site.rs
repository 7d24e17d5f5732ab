//! A visitor of a deployed web service (a web host's nginx) over HTTPS, doing what a person
//! in a browser and then their wallet do: the sign-up and sign-in forms (session cookie,
//! CSRF token), the settings page's API token, then the JSON API with that token.

use serde_json::Value;

use crate::http::Answer;
use crate::https::HttpsClient;

/// What went wrong, naming the request.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{method} {url}: no answer (unreachable, certificate not verified, or garbage)")]
    NoAnswer { method: String, url: String },
    #[error("{method} {url}: HTTP {status}, expected {expected}: {body}")]
    Status {
        method: String,
        url: String,
        status: u16,
        expected: &'static str,
        body: String,
    },
    #[error("{url}: {what} not found in the page")]
    Missing { url: String, what: &'static str },
    #[error("{method} {url}: not JSON ({detail}): {body}")]
    NotJson {
        method: String,
        url: String,
        detail: String,
        body: String,
    },
}

/// A browser-like visitor: keeps the session cookie and the last page's CSRF token.
pub struct SiteVisitor {
    client: HttpsClient,
    cookie: String,
    csrf: String,
}

/// A form value: reserved characters percent-encoded.
fn form_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl SiteVisitor {
    pub fn new(client: HttpsClient) -> SiteVisitor {
        SiteVisitor {
            client,
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.base_url())
    }

    /// One request with the session cookie; keeps a new cookie and the page's CSRF token.
    async fn send(&mut self, method: &str, path: &str, form: &str) -> Result<Answer, SiteError> {
        let cookie = format!("Cookie: {}", self.cookie);
        let mut headers = vec!["Content-Type: application/x-www-form-urlencoded"];
        if !self.cookie.is_empty() {
            headers.push(&cookie);
        }
        let a = self
            .client
            .exchange(method, path, &headers, form)
            .await
            .ok_or_else(|| SiteError::NoAnswer {
                method: method.into(),
                url: self.url(path),
            })?;
        if let Some(set) = a.header("set-cookie") {
            self.cookie = set.split(';').next().unwrap_or_default().to_owned();
        }
        if let Some(token) = between(&a.body, "name=\"csrf_token\" value=\"", "\"") {
            self.csrf = token.to_owned();
        }
        Ok(a)
    }

    /// `GET path`, expecting 200.
    pub async fn get(&mut self, path: &str) -> Result<Answer, SiteError> {
        let a = self.send("GET", path, "").await?;
        self.expect(a, "GET", path, |s| s == 200, "200")
    }

    /// Posts a form (`name=value` pairs, values encoded here) with the page's CSRF token;
    /// the answer's status must satisfy `ok`.
    async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        ok: impl Fn(u16) -> bool,
        expected: &'static str,
    ) -> Result<Answer, SiteError> {
        let mut form = format!("csrf_token={}", form_value(&self.csrf));
        for (name, value) in fields {
            form.push_str(&format!("&{name}={}", form_value(value)));
        }
        let a = self.send("POST", path, &form).await?;
        self.expect(a, "POST", path, ok, expected)
    }

    fn expect(
        &self,
        a: Answer,
        method: &str,
        path: &str,
        ok: impl Fn(u16) -> bool,
        expected: &'static str,
    ) -> Result<Answer, SiteError> {
        if ok(a.status) {
            return Ok(a);
        }
        Err(SiteError::Status {
            method: method.into(),
            url: self.url(path),
            status: a.status,
            expected,
            body: a.body.chars().take(500).collect(),
        })
    }

    /// Signs up (an address already taken answers like a free one, so this also works for an
    /// existing account), then signs in: afterwards the visitor is signed in as `email`.
    /// Without e-mail configured a new account is active at once.
    pub async fn sign_up_and_in(&mut self, email: &str, password: &str) -> Result<(), SiteError> {
        self.get("/signup").await?;
        // 303: a new account (signed in); 200: the page again with a message (e.g. the
        // address has an account; signing in below tells whether the password fits).
        self.post(
            "/signup",
            &[
                ("email", email),
                ("password", password),
                ("password_repeat", password),
            ],
            |s| s == 303 || s == 200,
            "303 or 200",
        )
        .await?;
        self.get("/signin").await?;
        self.post(
            "/signin",
            &[("email", email), ("password", password)],
            |s| s == 303,
            "303 (signed in; 200 means the form refused the e-mail or password)",
        )
        .await?;
        Ok(())
    }

    /// The signed-in user's API token, from the settings page (it issues one when none is
    /// stored).
    pub async fn api_token(&mut self) -> Result<String, SiteError> {
        let a = self.get("/settings").await?;
        between(&a.body, "id=\"api-token\">", "<")
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| SiteError::Missing {
                url: self.url("/settings"),
                what: "the API token (id=\"api-token\")",
            })
    }

    /// A JSON API call with `token` (`form` sent as the body): the answer, which must be 200.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        form: &str,
    ) -> Result<Value, SiteError> {
        let auth = format!("Authorization: Bearer {token}");
        let headers = [
            "Content-Type: application/x-www-form-urlencoded",
            auth.as_str(),
        ];
        let url = self.url(path);
        let a = self
            .client
            .exchange(method, path, &headers, form)
            .await
            .ok_or_else(|| SiteError::NoAnswer {
                method: method.into(),
                url: url.clone(),
            })?;
        let a = self.expect(a, method, path, |s| s == 200, "200")?;
        serde_json::from_str(&a.body).map_err(|e| SiteError::NotJson {
            method: method.into(),
            url,
            detail: e.to_string(),
            body: a.body.chars().take(500).collect(),
        })
    }
}

/// The text between `start` and the next `end` in `text`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(
            form_value("a b@c.d&e=f%"),
            "a+b%40c.d%26e%3Df%25".to_owned()
        );
    }

    #[test]
    fn between_finds_the_token() {
        let page = "<p class=\"mono\" id=\"api-token\">abc.def</p>";
        assert_eq!(between(page, "id=\"api-token\">", "<"), Some("abc.def"));
        assert_eq!(between(page, "id=\"nothing\">", "<"), None);
    }
}
