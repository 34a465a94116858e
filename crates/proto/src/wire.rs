//! JSON-RPC 2.0 framing of the control socket: one JSON object per line, at most [`MAX_LINE`]
//! bytes. Requests are validated here so that the shim only ever sees a well-formed method call.
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

/// Longest request or response line accepted, newline excluded (1 MiB).
pub const MAX_LINE: usize = 1 << 20;

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
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A validated method call.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request's id; `None` for a notification (no answer is sent).
    pub id: Option<Value>,
    /// The method name.
    pub method: String,
    /// The params object (`{}` when absent).
    pub params: Value,
}

impl Request {
    /// A request line (without the newline) for `method` with `params` and `id`.
    pub fn line(id: u64, method: &str, params: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
    }

    /// Parses one line. On failure returns the error response to send back (with the request's
    /// id when it could be read).
    pub fn parse(line: &[u8]) -> Result<Request, Response> {
        let value: Value = serde_json::from_slice(line).map_err(|e| {
            Response::error(
                Value::Null,
                RpcError::new(ErrorCode::ParseError, format!("parse error: {e}")),
            )
        })?;
        let Value::Object(mut obj) = value else {
            return Err(Response::error(
                Value::Null,
                RpcError::new(
                    ErrorCode::InvalidRequest,
                    "invalid request: not a JSON object",
                ),
            ));
        };
        let id = obj.remove("id");
        let reply_id = id.clone().unwrap_or(Value::Null);
        let invalid = |msg: &str| {
            Response::error(
                reply_id.clone(),
                RpcError::new(ErrorCode::InvalidRequest, format!("invalid request: {msg}")),
            )
        };
        if let Some(id) = &id {
            if !(id.is_string() || id.is_number() || id.is_null()) {
                return Err(invalid("id must be a string, a number or null"));
            }
        }
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(invalid("\"jsonrpc\" must be \"2.0\""));
        }
        let method = match obj.remove("method") {
            Some(Value::String(m)) => m,
            _ => return Err(invalid("\"method\" must be a string")),
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
        Ok(Request { id, method, params })
    }
}

/// A response (or, with `id` absent and `method` set, a notification of a subscription).
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

    /// The line to send, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        // Serializing a Value tree cannot fail: every key is a string.
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_request_and_responses() {
        assert_eq!(
            Request::line(1, "state", json!({})),
            r#"{"id":1,"jsonrpc":"2.0","method":"state","params":{}}"#
        );
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
    }

    #[test]
    fn bad_requests() {
        let code = |line: &str| {
            Request::parse(line.as_bytes())
                .unwrap_err()
                .error
                .unwrap()
                .code
        };
        assert_eq!(code("{"), -32700);
        assert_eq!(code("[]"), -32600);
        assert_eq!(code(r#"{"id":1,"method":"state"}"#), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":7}"#), -32600);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":{},"method":"state"}"#),
            -32600
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"state","params":[1]}"#),
            -32602
        );
        let e = Request::parse(br#"{"jsonrpc":"2.0","id":5,"method":1}"#).unwrap_err();
        assert_eq!(e.id, json!(5));
    }

    #[test]
    fn good_request() {
        let r = Request::parse(br#"{"jsonrpc":"2.0","id":"x","method":"info"}"#).unwrap();
        assert_eq!(r.method, "info");
        assert_eq!(r.id, Some(json!("x")));
        assert_eq!(r.params, json!({}));
        let n = Request::parse(br#"{"jsonrpc":"2.0","method":"state"}"#).unwrap();
        assert_eq!(n.id, None);
    }
}
