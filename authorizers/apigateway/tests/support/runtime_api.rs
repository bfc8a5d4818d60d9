//! The Lambda Runtime API stand-in (`lambda-runtime-stub`), adapted for this crate's tests and
//! benchmark: invocations that must answer, and the function started as Lambda would start it.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::{process::Child, time::Duration};

pub use lambda_runtime_stub::{Reply, RuntimeApi, finish};
use serde_json::Value;

/// Invocations in tests: the function must answer within 10 s.
pub trait Call {
    /// Queues `event` and returns the function's answer.
    fn call(&mut self, event: Value) -> impl std::future::Future<Output = Reply>;
}

impl Call for RuntimeApi {
    async fn call(&mut self, event: Value) -> Reply {
        self.invoke(event, Duration::from_secs(10))
            .await
            .expect("the function answered")
    }
}

/// Starts `binary` as Lambda would, against `api`, with `env` on top of the variables
/// lambda_runtime requires. Output is captured (see [`finish`]).
pub fn spawn_function(binary: &str, api: &RuntimeApi, env: &[(&str, String)]) -> Child {
    let mut command = lambda_runtime_stub::function_command(binary, api, "apigateway-authorizer");
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("start the function binary")
}
