//! The `review-records` function: the DPO's rights, the breaches, the superviseur's export.

use c2s_platform::{aws, secrets, telemetry, Env};
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sdk = aws::lambda_config().await;
    let env = secrets::resolve(Env::from_process(), &sdk).await?;
    let clients = aws::Clients::new(&sdk, &env);
    let app = review::records::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(review::records::handle(app, req).await)
    }))
    .await
}
