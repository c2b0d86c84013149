//! A client of a real server, as the portal and a producer's browser speak
//! to it; every call returns an error instead of panicking, since the
//! server may be killed under it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::server::API_KEY;

pub type Result<T> = std::result::Result<T, String>;

/// The portal's side.
#[derive(Clone)]
pub struct Portal {
    pub client: reqwest::Client,
    pub base: String,
}

/// The principal's name as the example case spells it.
pub const PRINCIPAL: &str = "Charles Ray";

async fn json(res: reqwest::Response) -> Result<(StatusCode, Value)> {
    let status = res.status();
    let text = res.text().await.map_err(|e| e.to_string())?;
    let value = serde_json::from_str(&text).map_err(|_| format!("not JSON ({status}): {text}"))?;
    Ok((status, value))
}

fn expect(got: (StatusCode, Value), want: StatusCode, what: &str) -> Result<Value> {
    if got.0 == want { Ok(got.1) } else { Err(format!("{what}: {} {}", got.0, got.1)) }
}

impl Portal {
    pub fn new(base: &str) -> Self {
        Self { client: reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap(), base: base.to_owned() }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<(StatusCode, Value)> {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(API_KEY);
        if let Some(body) = body {
            req = req.json(body);
        }
        json(req.send().await.map_err(|e| e.to_string())?).await
    }

    pub async fn create(&self, case: &Value) -> Result<Value> {
        expect(self.call(reqwest::Method::POST, "/api/v1/packets", Some(case)).await?, StatusCode::CREATED, "create")
    }

    pub async fn packet(&self, id: &str) -> Result<Value> {
        expect(self.call(reqwest::Method::GET, &format!("/api/v1/packets/{id}"), None).await?, StatusCode::OK, "packet")
    }

    pub async fn verification(&self, id: &str) -> Result<Value> {
        expect(self.call(reqwest::Method::GET, &format!("/api/v1/packets/{id}/verification"), None).await?, StatusCode::OK, "verification")
    }

    /// A new signing link, opened: a producer's session.
    pub async fn session(&self, id: &str) -> Result<Session> {
        let link = expect(self.call(reqwest::Method::POST, &format!("/api/v1/packets/{id}/links"), None).await?, StatusCode::CREATED, "link")?;
        let url = link["url"].as_str().ok_or("no url")?;
        let res = self.client.post(url).header("accept", "application/json").send().await.map_err(|e| e.to_string())?;
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .ok_or("no session cookie")?
            .to_owned();
        let body = expect(json(res).await?, StatusCode::OK, "open link")?;
        let csrf = body["csrf_token"].as_str().ok_or("no csrf token")?.to_owned();
        Ok(Session { client: self.client.clone(), base: self.base.clone(), cookie, csrf, url: url.to_owned() })
    }
}

/// A producer's signed-in browser.
#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
    /// The link that opened it.
    pub url: String,
}

impl Session {
    pub async fn get(&self, path: &str) -> Result<reqwest::Response> {
        self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.map_err(|e| e.to_string())
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<(StatusCode, Value)> {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        json(res).await
    }

    pub async fn packet(&self) -> Result<Value> {
        let res = self.get("/s/packet").await?;
        Ok(expect(json(res).await?, StatusCode::OK, "session packet")?["packet"].clone())
    }

    /// Views step `n`'s document and completes it as it asks.
    pub async fn complete(&self, n: usize, step: &Value) -> Result<(StatusCode, Value)> {
        let res = self.get(&format!("/s/steps/{n}/document")).await?;
        if res.status() != StatusCode::OK {
            return Err(format!("view step {n}: {}", res.status()));
        }
        res.bytes().await.map_err(|e| e.to_string())?;
        match step["action"].as_str() {
            Some("review") => self.post(&format!("/s/steps/{n}/review"), &json!({})).await,
            _ => self.post(&format!("/s/steps/{n}/sign"), &sign_body(step["document"].as_str().unwrap_or_default())).await,
        }
    }
}

/// A signature with the choice each document asks for.
pub fn sign_body(document: &str) -> Value {
    match document {
        "producer-agreement" => json!({"name": PRINCIPAL, "entity_type": {"type": "corporation"}}),
        "w9" => json!({"name": PRINCIPAL, "tax_classification": {"type": "llc", "detail": "S"}}),
        _ => json!({"name": PRINCIPAL}),
    }
}

/// The example case made distinct by `n` (its own case key, name, address).
pub fn case_number(case: &Value, n: usize) -> Value {
    let mut case = case.clone();
    case["case_key"] = json!(format!("OB-2026-{:06}", 200_000 + n));
    case["agency"]["legal_name"] = json!(format!("Mister Insurance Agency {n}"));
    case
}
