//! JSON response bodies.
//!
//! Like `axum::Json` as a response, but serialised into a `Vec` sized for a
//! typical record. axum's writes through `BytesMut`'s `io::Write` adapter, and
//! serde_json writes every token separately: for one client that was 14k
//! instructions, the largest part of `GET /v1/clients/{id}` in user space
//! (bench/README.md).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::problem::ApiError;
use crate::service::ServiceError;

/// A body most single records fit in; lists grow it as they go.
const FIRST_CAPACITY: usize = 1024;

pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(FIRST_CAPACITY);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => response(body),
            Err(e) => unserialisable(e).into_response(),
        }
    }
}

/// A 200 response with this (already serialised) JSON body.
pub fn response(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Only a view that cannot be JSON (a map with non-string keys) fails to
/// serialise: a bug, answered as one.
pub fn unserialisable(e: serde_json::Error) -> ApiError {
    ApiError::Service(ServiceError::Internal(format!("response body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    #[tokio::test]
    async fn answers_compact_json_with_its_content_type() {
        let response = Json(serde_json::json!({"a": [1, "two"], "b": null})).into_response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&body[..], br#"{"a":[1,"two"],"b":null}"#);
    }

    #[tokio::test]
    async fn a_body_that_cannot_be_json_is_a_500_problem() {
        let keys_not_strings: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let response = Json(keys_not_strings).into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
}
