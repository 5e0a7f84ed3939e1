use c2s_platform::{aws, telemetry, Env};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let env = Env::from_process();
    let clients = aws::Clients::new(&aws::sdk_config().await, &env);
    let app = purge::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |_: LambdaEvent<Value>| async move {
        purge::run(app).await.map_err(Error::from)
    }))
    .await
}
