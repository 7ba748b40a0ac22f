//! `mailgrant test`: IMAP, SMTP, POP and Graph, layer by layer.

use super::*;

pub(super) struct TestOptions {
    pub(super) only: BTreeSet<probe::Protocol>,
    pub(super) send_to_self: bool,
    pub(super) timeout: Duration,
    pub(super) json: bool,
}

pub(super) async fn test(context: &Context, name: &str, options: &TestOptions) -> Outcome {
    let plan = SignInPlan::load(&context.tokens, name)?;
    let endpoints = Endpoints::for_cloud(&plan.registration.cloud);
    let mut services: Vec<Service> = Vec::new();
    for service in &plan.account.services {
        // GraphRead and GraphSend are one probe.
        if matches!(service, Service::GraphSend) && plan.account.services.contains(&Service::GraphRead) {
            continue;
        }
        let target = ProbeTarget::for_account(&plan.account, &endpoints, *service);
        if options.only.is_empty() || options.only.contains(&target.protocol) {
            services.push(*service);
        }
    }
    if services.is_empty() {
        return Err(usage(format!(
            "{name:?} does not use the services asked for (it has {})",
            service_words(&plan.account.services)
        )));
    }
    let probe_options = ProbeOptions {
        timeout: options.timeout,
        ca_file: context.ca_file.clone(),
        send_to_self: options.send_to_self,
        ..ProbeOptions::default()
    };
    let colour = out::colour_stderr();
    let mut reports = Vec::new();
    for service in services {
        let target = ProbeTarget::for_account(&plan.account, &endpoints, service);
        let resource = mailgrant_core::identity::permissions::resource_of(service);
        let token = context.tokens.access_token(name, resource).await?;
        if !options.json {
            note!("{} {}", target.protocol.name(), target.server());
        }
        let json = options.json;
        let report = probe::run(&target, &token.token, &probe_options, |layer| {
            if json || layer.status == LayerStatus::Skipped {
                return;
            }
            let (word, tone) = match layer.status {
                LayerStatus::Passed => ("ok", Tone::Good),
                LayerStatus::Warning => ("warning", Tone::Warn),
                LayerStatus::Failed => ("failed", Tone::Bad),
                LayerStatus::Skipped => ("skipped", Tone::Plain),
            };
            note!(
                "  {:<8} {:<8} {:>7.0} ms  {}",
                layer.layer.name(),
                out::paint(word, tone, colour),
                layer.elapsed.as_secs_f64() * 1000.0,
                layer.detail
            );
        })
        .await;
        reports.push(report);
    }
    let failed = reports.iter().filter(|r| !r.outcome.is_ok()).count();
    if options.json {
        say!("{}", serde_json::to_string_pretty(&reports).unwrap_or_default());
    } else {
        for report in &reports {
            if let Some(d) = report.outcome.diagnosis() {
                say!();
                say!("{} {} failed.", report.protocol.name(), report.server);
                say_raw!("{d:#}");
            }
        }
        say!();
        if failed == 0 {
            say!(
                "{} every test passed for {}.",
                out::paint("Working:", Tone::Good, out::colour_stdout()),
                plan.account.address
            );
        } else {
            say!("{failed} of {} tests failed.", reports.len());
        }
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_ATTENTION })
}
