//! One route table per function. `routes!` writes both the dispatching `handle` and the list
//! `ROUTES` of what it serves, from one declaration, so the route is written once; a test in
//! the dev server holds each list against the function's `HttpApi` events in `template.yaml`
//! and against `openapi.yaml`.
//!
//! ```ignore
//! c2s_api::routes! {
//!     pub async fn handle(app: &App, req) as "renewal";
//!     POST ["api", "renewals"] => create(app, &req),
//!     GET ["api", "renewals", id] => read(app, &req, id),
//! }
//! ```
//! A string is a fixed segment, a name a path parameter (`{id}`), bound for the handler.

/// The path template of a route's segments: `"api", "renewals", id` → `/api/renewals/{id}`.
#[doc(hidden)]
#[macro_export]
macro_rules! route_path {
    () => { "" };
    ($seg:literal $(, $rest:tt)*) => {
        concat!("/", $seg, $crate::route_path!($($rest),*))
    };
    ($seg:ident $(, $rest:tt)*) => {
        concat!("/{", stringify!($seg), "}", $crate::route_path!($($rest),*))
    };
}

#[macro_export]
macro_rules! routes {
    (
        $vis:vis async fn $name:ident($app:ident: &$App:ty, $req:ident) as $label:literal;
        $( $method:ident [$($seg:tt),* $(,)?] => $handler:expr, )*
    ) => {
        /// Every route this function serves, as `(method, path template)`.
        pub const ROUTES: &[(&str, &str)] = &[
            $( (stringify!($method), $crate::route_path!($($seg),*)), )*
        ];

        /// Dispatches a request to its handler and renders the answer (unknown routes: 405).
        $vis async fn $name(
            $app: &$App,
            $req: $crate::lambda_http::Request,
        ) -> $crate::lambda_http::Response<$crate::lambda_http::Body> {
            let segments = $crate::request::segments(&$req);
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            match ($req.method(), segments.as_slice()) {
                $(
                    (&$crate::lambda_http::http::Method::$method, [$($seg),*]) => {
                        $crate::response::finish(
                            concat!(stringify!($method), " ", $crate::route_path!($($seg),*)),
                            $handler.await,
                        )
                    }
                )*
                _ => $crate::response::finish(
                    $label,
                    Err($crate::error::Code::MethodNotAllowed.into()),
                ),
            }
        }
    };
}
