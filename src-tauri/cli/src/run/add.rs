//! `mailgrant add`: the account and its app registration, every value checked; secrets to the keychain first.

use mailgrant_core::api::accounts;
use mailgrant_core::wizard;

use super::*;

pub(super) fn checked(check: FieldCheck, what: &str) -> Result<String, ApiError> {
    match check {
        FieldCheck::Ok { value } => Ok(value),
        FieldCheck::Warning { message, .. } | FieldCheck::Problem { message } => {
            Err(usage(format!("{what}: {message}")))
        }
    }
}

/// A `--imap`/`--pop`/`--smtp` server, checked by core's rule.
pub(super) fn host_port(text: Option<&str>, what: &str) -> Result<Option<HostPort>, ApiError> {
    text.map(|t| wizard::check_host_port(t).map_err(|message| usage(format!("--{what} {t:?}: {message}"))))
        .transpose()
}

pub(super) fn cloud_of(args: &AddArgs) -> Result<Cloud, ApiError> {
    let custom_given = args.authority.is_some() || args.graph_url.is_some();
    let kind = match args.cloud {
        Some(kind) if kind != CloudArg::Custom && custom_given => return Err(usage(
            "--authority and --graph-url are for a custom cloud: leave out --cloud, or use --cloud custom",
        )),
        Some(kind) => kind,
        None if custom_given => CloudArg::Custom,
        None => CloudArg::Global,
    };
    Ok(match kind {
        CloudArg::Global => Cloud::Global,
        CloudArg::Usgov => Cloud::UsGov,
        CloudArg::UsgovDod => Cloud::UsGovDod,
        CloudArg::China => Cloud::China,
        CloudArg::Custom => custom_cloud(args)?,
    })
}

/// A custom cloud from the flags, checked by the wizard's rule; mail servers default to the login host.
fn custom_cloud(args: &AddArgs) -> Result<Cloud, ApiError> {
    let authority = args
        .authority
        .clone()
        .ok_or_else(|| usage("--cloud custom needs --authority URL (the login host)"))?;
    let graph = args
        .graph_url
        .clone()
        .ok_or_else(|| usage("--cloud custom needs --graph-url URL"))?;
    let host = url::Url::parse(&authority)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let server = |given: &Option<String>, port: u16| {
        given.clone().unwrap_or_else(|| {
            HostPort {
                host: host.clone(),
                port,
            }
            .to_string()
        })
    };
    let fields = wizard::CustomCloudFields {
        authority,
        graph,
        graph_resource: args.graph_resource.clone().unwrap_or_default(),
        outlook_resource: args.outlook_resource.clone(),
        imap: server(&args.imap, 993),
        pop: server(&args.pop, 995),
        smtp: server(&args.smtp, 587),
    };
    let checked = wizard::check_custom_cloud(&fields);
    // The first problem, in the flag's words.
    if let Some((field, message)) = checked.problems.iter().next() {
        let (flag, value) = match field.as_str() {
            "authority" => ("authority", &fields.authority),
            "graph" => ("graph-url", &fields.graph),
            "graphResource" => ("graph-resource", &fields.graph_resource),
            "outlookResource" => ("outlook-resource", &fields.outlook_resource),
            "imap" => ("imap", &fields.imap),
            "pop" => ("pop", &fields.pop),
            _ => ("smtp", &fields.smtp),
        };
        return Err(usage(format!("--{flag} {value:?}: {message}")));
    }
    checked
        .cloud
        .ok_or_else(|| usage("the custom cloud's addresses are incomplete"))
}

pub(super) fn read_file(path: &std::path::Path, what: &str) -> Result<String, ApiError> {
    std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read the {what} {}: {e}", path.display())))
}

pub(super) async fn add(args: AddArgs, global: &Global) -> Outcome {
    let api = open(global)?;
    let client_id = checked(setup::check_client_id(&args.client_id), "--client-id")?;
    let tenant = checked(setup::check_tenant(&args.tenant), "--tenant")?;
    let cloud = cloud_of(&args)?;
    let custom = matches!(cloud, Cloud::Custom(_));
    let secret = if args.client_secret_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| usage(format!("cannot read the client secret from stdin: {e}")))?;
        let value = text.lines().next().unwrap_or_default();
        let secret = accounts::client_secret(value, None, "the client secret")?;
        let expires = args
            .secret_expires
            .as_deref()
            .map(|t| accounts::secret_expiry(t, "--secret-expires"))
            .transpose()?;
        Some((secret.0, expires))
    } else {
        None
    };
    let certificate = match (&args.certificate, &args.private_key) {
        (Some(cert), Some(key)) => Some((
            read_file(cert, "certificate")?,
            mailgrant_core::SecretString::new(read_file(key, "private key")?),
        )),
        _ => None,
    };
    let services: BTreeSet<Service> = args
        .services
        .iter()
        .map(|s| match s {
            ServiceArg::Imap => Service::Imap,
            ServiceArg::Smtp => Service::Smtp,
            ServiceArg::Pop => Service::Pop,
            ServiceArg::GraphRead => Service::GraphRead,
            ServiceArg::GraphSend => Service::GraphSend,
        })
        .collect();
    let new = NewAccount {
        name: args.name.clone(),
        address: args.email.trim().to_owned(),
        app_name: args.app_name.clone(),
        client_id: client_id
            .parse()
            .map_err(|e| usage(format!("--client-id: {e}")))?,
        tenant: tenant.parse().map_err(|e| usage(format!("--tenant: {e}")))?,
        cloud,
        flow: match args.flow {
            FlowArg::AuthCode => Flow::AuthCode,
            FlowArg::DeviceCode => Flow::DeviceCode,
            FlowArg::ClientCredentials => Flow::ClientCredentials,
        },
        redirect: match args.redirect {
            RedirectArg::Loopback => RedirectMode::Loopback,
            RedirectArg::DeepLink => RedirectMode::DeepLink,
            RedirectArg::Paste => RedirectMode::Paste,
        },
        services,
        shared_mailbox: args.shared_mailbox.clone(),
        // A custom cloud carries its own hosts; elsewhere they override the cloud's.
        imap: if custom {
            None
        } else {
            host_port(args.imap.as_deref(), "imap")?
        },
        pop: if custom {
            None
        } else {
            host_port(args.pop.as_deref(), "pop")?
        },
        smtp: if custom {
            None
        } else {
            host_port(args.smtp.as_deref(), "smtp")?
        },
        secret,
        certificate,
    };
    let account = accounts::add(&api, new, false).await?;
    say!("Added {:?} ({}).", account.name, account.address);
    let next = match account.flow {
        Flow::ClientCredentials => "fetch its first token",
        _ => "sign in",
    };
    say!("Next: `mailgrant sign-in {}` to {next}.", account.name);
    Ok(EXIT_OK)
}
