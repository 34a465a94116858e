//! JSON-RPC 2.0 framing of the control socket: one JSON object per line, at most [`MAX_LINE`]
//! bytes. The envelope (`jsonrpc`, `id`, `method`, `params`) is checked here; the method and its
//! params become a typed [`crate::request::Call`].
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Longest request or response line accepted, newline excluded (1 MiB).
pub const MAX_LINE: usize = 1 << 20;

/// Longest request id accepted, in bytes of its JSON text: a shim keeps the ids of parked
/// requests, so a client must not make it hold megabytes of them.
pub const MAX_ID: usize = 1024;

/// Error codes of the control protocol: JSON-RPC's own, then the protocol's (-32000 and below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The line is not JSON (-32700).
    ParseError,
    /// JSON, but not a JSON-RPC 2.0 request (-32600).
    InvalidRequest,
    /// No such method (-32601).
    MethodNotFound,
    /// The method's params are wrong (-32602).
    InvalidParams,
    /// The shim failed to do what was asked (-32603).
    Internal,
    /// The request does not fit the container's state, e.g. freezing a stopped one (-32001).
    InvalidState,
    /// The operation did not complete in time (-32002).
    Timeout,
}

impl ErrorCode {
    /// The number carried on the wire.
    pub fn code(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Internal => -32603,
            ErrorCode::InvalidState => -32001,
            ErrorCode::Timeout => -32002,
        }
    }
}

/// The `error` member of a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    /// One of [`ErrorCode`]'s numbers.
    pub code: i64,
    /// One line saying what failed.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code: code.code(),
            message: message.into(),
        }
    }

    /// Whether this error has `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.code()
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A request's envelope, checked; its method and params are still untyped.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The request's id; `None` for a notification (no answer is sent).
    pub id: Option<Value>,
    /// The method name.
    pub method: String,
    /// The params object (`{}` when absent).
    pub params: Value,
}

impl Envelope {
    /// Parses one line. On failure returns the error response to send back (with the request's
    /// id when it could be read and is a valid id, else null).
    pub fn parse(line: &[u8]) -> Result<Envelope, Response> {
        let value: Value = serde_json::from_slice(line).map_err(|e| {
            Response::error(
                Value::Null,
                RpcError::new(ErrorCode::ParseError, format!("parse error: {e}")),
            )
        })?;
        let Value::Object(mut obj) = value else {
            return Err(invalid(Value::Null, "not a JSON object"));
        };
        let id = obj.remove("id");
        if let Some(id) = &id {
            if !(id.is_string() || id.is_number() || id.is_null()) {
                return Err(invalid(
                    Value::Null,
                    "id must be a string, a number or null",
                ));
            }
            if id.to_string().len() > MAX_ID {
                return Err(invalid(
                    Value::Null,
                    &format!("id longer than {MAX_ID} bytes"),
                ));
            }
        }
        let reply_id = id.clone().unwrap_or(Value::Null);
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(invalid(reply_id, "\"jsonrpc\" must be \"2.0\""));
        }
        let method = match obj.remove("method") {
            Some(Value::String(m)) => m,
            _ => return Err(invalid(reply_id, "\"method\" must be a string")),
        };
        let params = match obj.remove("params") {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(p @ Value::Object(_)) => p,
            Some(_) => {
                return Err(Response::error(
                    reply_id,
                    RpcError::new(
                        ErrorCode::InvalidParams,
                        "invalid params: must be an object",
                    ),
                ))
            }
        };
        Ok(Envelope { id, method, params })
    }
}

fn invalid(id: Value, msg: &str) -> Response {
    Response::error(
        id,
        RpcError::new(ErrorCode::InvalidRequest, format!("invalid request: {msg}")),
    )
}

/// A response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Always "2.0".
    pub jsonrpc: String,
    /// The id of the request answered.
    #[serde(default)]
    pub id: Value,
    /// The result, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

impl Response {
    /// A success.
    pub fn ok(id: Value, result: Value) -> Self {
        Response {
            jsonrpc: "2.0".into(),
            id,
            result: Some(result),
            error: None,
        }
    }

    /// A failure.
    pub fn error(id: Value, error: RpcError) -> Self {
        Response {
            jsonrpc: "2.0".into(),
            id,
            result: None,
            error: Some(error),
        }
    }

    /// A success or a failure.
    pub fn from_result(id: Value, result: Result<Value, RpcError>) -> Self {
        match result {
            Ok(v) => Response::ok(id, v),
            Err(e) => Response::error(id, e),
        }
    }

    /// The line to send, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        line(self)
    }
}

/// A notification of a subscription: `{"jsonrpc":"2.0","method":M,"params":P}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification<'a, P: Serialize> {
    /// Always "2.0".
    pub jsonrpc: &'static str,
    /// What is notified, e.g. "state".
    pub method: &'static str,
    /// Its content.
    pub params: &'a P,
}

impl<'a, P: Serialize> Notification<'a, P> {
    /// A notification of `method` with `params`.
    pub fn new(method: &'static str, params: &'a P) -> Self {
        Notification {
            jsonrpc: "2.0",
            method,
            params,
        }
    }
}

/// Anything a client reads: a response (`id` set) or a notification of a subscription
/// (`method` and `params` set, no `id`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Message {
    /// The id of the request answered; null for a notification.
    #[serde(default)]
    pub id: Value,
    /// The result, on success.
    #[serde(default)]
    pub result: Option<Value>,
    /// The error, on failure.
    #[serde(default)]
    pub error: Option<RpcError>,
    /// A notification's method, e.g. "state".
    #[serde(default)]
    pub method: Option<String>,
    /// A notification's params.
    #[serde(default)]
    pub params: Option<Value>,
}

/// A success's line with a typed `result`, whose fields keep their declared order (a `Value`
/// would sort them), newline included.
pub fn ok_line<T: Serialize + ?Sized>(id: &Value, result: &T) -> Vec<u8> {
    #[derive(Serialize)]
    struct Ok<'a, T: ?Sized> {
        jsonrpc: &'static str,
        id: &'a Value,
        result: &'a T,
    }
    line(&Ok {
        jsonrpc: "2.0",
        id,
        result,
    })
}

/// A failure's line, newline included.
pub fn error_line(id: &Value, error: &RpcError) -> Vec<u8> {
    Response::error(id.clone(), error.clone()).to_line()
}

/// `value` as one line of JSON, newline included. Serializing our own types cannot fail (their
/// keys are strings); should it ever, the line is a JSON null rather than nothing, so that the
/// reader still sees a line.
pub fn line<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn golden_responses() {
        let ok = Response::ok(json!(1), json!({"state": "RUNNING"}));
        assert_eq!(
            String::from_utf8(ok.to_line()).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"state\":\"RUNNING\"}}\n"
        );
        let err = Response::error(json!("a"), RpcError::new(ErrorCode::MethodNotFound, "x"));
        assert_eq!(
            String::from_utf8(err.to_line()).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":-32601,\"message\":\"x\"}}\n"
        );
        let params = json!({"seq": 1});
        let n = Notification::new("state", &params);
        assert_eq!(
            String::from_utf8(line(&n)).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"method\":\"state\",\"params\":{\"seq\":1}}\n"
        );
    }

    #[test]
    fn bad_envelopes() {
        let err = |line: &str| Envelope::parse(line.as_bytes()).unwrap_err();
        let code = |line: &str| err(line).error.unwrap().code;
        assert_eq!(code("{"), -32700);
        assert_eq!(code("[]"), -32600);
        assert_eq!(code(r#"{"id":1,"method":"state"}"#), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":7}"#), -32600);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":{},"method":"state"}"#),
            -32600
        );
        assert_eq!(
            err(r#"{"jsonrpc":"2.0","id":[1],"method":"state"}"#).id,
            Value::Null,
            "an id that is not a string, number or null is answered with null"
        );
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":"{}","method":"state"}}"#,
            "x".repeat(MAX_ID)
        );
        let e = err(&big);
        assert_eq!(e.id, Value::Null);
        assert_eq!(e.error.unwrap().code, -32600);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"state","params":[1]}"#),
            -32602
        );
        assert_eq!(err(r#"{"jsonrpc":"2.0","id":5,"method":1}"#).id, json!(5));
    }

    #[test]
    fn good_envelope() {
        let r = Envelope::parse(br#"{"jsonrpc":"2.0","id":"x","method":"info"}"#).unwrap();
        assert_eq!(r.method, "info");
        assert_eq!(r.id, Some(json!("x")));
        assert_eq!(r.params, json!({}));
        let n = Envelope::parse(br#"{"jsonrpc":"2.0","method":"state"}"#).unwrap();
        assert_eq!(n.id, None);
    }
}
