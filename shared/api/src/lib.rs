//! The HTTP conventions of the six API functions, in one place: JSON in and out,
//! `{"code","message"}` errors with a French message that `?` carries from any store call,
//! `Cache-Control: no-store` on everything (it is all personal data), a route table per
//! function that a test holds against `template.yaml` and `openapi.yaml`, who the caller is,
//! and the views of a renewal that several functions answer.

pub mod access;
pub mod announcement;
pub mod callers;
pub mod credentials;
pub mod error;
pub mod messages;
pub mod request;
pub mod response;
pub mod routes;
pub mod views;

pub use lambda_http;

pub use error::{ApiError, Code, ResultExt};
pub use request::{bearer, json_body, query, segments, PAGE};
pub use response::{attachment, finish, json, no_content, text};
