use aws_lambda_events::event::sqs::SqsEvent;
use c2s_platform::{aws, secrets, telemetry, Env};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sdk = aws::lambda_config().await;
    let env = secrets::resolve(Env::from_process(), &sdk).await?;
    let clients = aws::Clients::new(&sdk, &env);
    let app = reminders_worker::App::from_env(&env, &clients)?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(reminders_worker::handle(app, event.payload).await)
    }))
    .await
}
