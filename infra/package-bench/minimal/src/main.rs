//! The smallest useful HTTP function: what a package costs before any of our code.

use lambda_http::{run, service_fn, tracing, Body, Error, Request, Response};

async fn hello(_req: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder().status(200).body(Body::from("bonjour"))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(hello)).await
}
