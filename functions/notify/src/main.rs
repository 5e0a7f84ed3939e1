use aws_lambda_events::event::sqs::SqsEvent;
use c2s_platform::{aws, telemetry, Env};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let env = Env::from_process();
    let clients = aws::Clients::new(&aws::lambda_config().await, &env);
    let app = notify::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(notify::handle(app, event.payload).await)
    }))
    .await
}
