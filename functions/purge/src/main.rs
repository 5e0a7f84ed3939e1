use c2s_platform::{aws, secrets, telemetry, Env};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sdk = aws::lambda_config().await;
    let env = secrets::resolve(Env::from_process(), &sdk).await?;
    let clients = aws::Clients::new(&sdk, &env);
    let app = purge::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        purge::handle(app, event.payload).await.map_err(Error::from)
    }))
    .await
}
