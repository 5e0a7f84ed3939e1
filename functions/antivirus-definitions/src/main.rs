use c2s_platform::{aws, telemetry, Env};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sdk = aws::lambda_config().await;
    let env = Env::from_process();
    let clients = aws::Clients::new(&sdk, &env);
    let app = antivirus_definitions::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        antivirus_definitions::handle(app, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
