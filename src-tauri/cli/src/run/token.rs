//! `mailgrant token`: a fresh access token alone on stdout, for mail clients' password commands.

use super::*;

pub(super) async fn token(api: &Api, name: &str, resource: Option<ResourceArg>) -> Outcome {
    let resource = match resource {
        Some(ResourceArg::Outlook) => Resource::Outlook,
        Some(ResourceArg::Graph) => Resource::Graph,
        None => {
            let account = api.account(name)?;
            token_lifecycle::primary_resource(&account)
                .ok_or_else(|| usage(format!("{name:?} has no services")))?
        }
    };
    let issued = api.tokens.access_token(name, resource).await?;
    deliver(format_args!("{}\n", issued.token.expose()), "the token")?;
    Ok(EXIT_OK)
}
