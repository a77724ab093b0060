//! `POST /api/v1/control`: `hadns ctl` over HTTP, as rndc with a key. The
//! command runs through the node's one control dispatch
//! ([`node::Controller::run`]), the one the Unix socket uses, and
//! answers with the same JSON. An API token is the authentication: any
//! valid token may run the commands that only read (`status`, `zones`,
//! `zone-status`), a read-write token every command.

use std::sync::Arc;

use api::ApiError;
use api::own::ControlRequest;
use node::control::{Command, ControlError, ErrorKind};

use super::error::{Failure, WriteErrors};
use super::extract::{JsonBody, Reader};
use crate::state::AppState;

/// Runs one control command.
#[utoipa::path(
    post,
    path = "/api/v1/control",
    tag = "control",
    request_body = ControlRequest,
    responses(
        (status = 200, description = "The command's result: what `hadns ctl --json` prints (`status`, `zones` and `zone-status` give their data, the other commands `{\"ok\": true, \"message\"}`)", body = Object),
        WriteErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn control(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    JsonBody(request): JsonBody<ControlRequest>,
) -> Result<axum::Json<serde_json::Value>, Failure> {
    let controller = state.control.as_ref().ok_or_else(|| {
        ApiError::Unprocessable("this server runs no node to control".to_string())
    })?;
    let command = Command::parse(
        &request.command,
        request.zone.as_deref(),
        request.view.as_deref(),
    )
    .map_err(failure)?;
    if !command.only_reads() && !caller.may_write() {
        return Err(ApiError::Forbidden(format!(
            "Forbidden: API token `{}` is read-only; `{}` needs a read-write token",
            caller.0.name,
            command.name()
        ))
        .into());
    }
    // Operators run the zone commands; what acts on the whole node is an
    // admin's (the route table admits operators, crate::access).
    if matches!(command.name(), "reload" | "sync" | "stop" | "querylog") && !caller.1.is_admin() {
        return Err(ApiError::Forbidden(format!(
            "Forbidden: {} may not run `{}`: it is for admins",
            caller.1.who(),
            command.name()
        ))
        .into());
    }
    tracing::info!(
        command = command.name(),
        user = %caller.0.user,
        token = %caller.0.name,
        "control command over the API"
    );
    // Held until the answer is written: `stop` answers before the node
    // exits (the HTTP server stops gracefully and is waited for).
    let _hold = Arc::clone(controller.shutdown()).hold();
    let value = controller.run(command).await.map_err(failure)?;
    Ok(axum::Json(value))
}

/// A control error as the API answers it.
fn failure(error: ControlError) -> Failure {
    let text = error.to_string();
    Failure(match error.kind() {
        ErrorKind::BadRequest => ApiError::BadRequest(text),
        ErrorKind::NotFound => ApiError::NotFound(text),
        ErrorKind::Refused => ApiError::Unprocessable(text),
        ErrorKind::Unavailable | ErrorKind::Internal => ApiError::Internal(text),
    })
}
