use c2s_platform::{aws, telemetry, Env};
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let env = Env::from_process();
    let clients = aws::Clients::new(&aws::sdk_config().await, &env);
    let app = partner::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(partner::handle(app, req).await)
    }))
    .await
}
