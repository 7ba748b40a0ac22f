//! `mailgrant test`: IMAP, SMTP, POP and Graph, layer by layer.

use mailgrant_core::api::accounts::{self, ProbeProgress, TestEvent, TestRequest};

use super::*;

pub(super) struct TestOptions {
    pub(super) only: BTreeSet<probe::Protocol>,
    pub(super) send_to_self: bool,
    pub(super) timeout: Duration,
    pub(super) json: bool,
}

pub(super) async fn test(api: &Api, name: &str, options: &TestOptions) -> Outcome {
    let request = TestRequest {
        only: options.only.clone(),
        send_to_self: options.send_to_self,
        timeout: Some(options.timeout),
    };
    let (json, colour) = (options.json, out::colour_stderr());
    let reports = accounts::test(api, name, &request, |event| match event {
        _ if json => {}
        TestEvent::Started { protocol, server } => note!("{} {server}", protocol.name()),
        TestEvent::Layer(ProbeProgress { layer, .. }) => {
            let (word, tone) = match layer.status {
                LayerStatus::Passed => ("ok", Tone::Good),
                LayerStatus::Warning => ("warning", Tone::Warn),
                LayerStatus::Failed => ("failed", Tone::Bad),
                LayerStatus::Skipped => return,
            };
            note!(
                "  {:<8} {:<8} {:>7.0} ms  {}",
                layer.layer.name(),
                out::paint(word, tone, colour),
                layer.elapsed.as_secs_f64() * 1000.0,
                layer.detail
            );
        }
    })
    .await?;
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
                reports.first().map_or(name, |r| r.mailbox.as_str())
            );
        } else {
            say!("{failed} of {} tests failed.", reports.len());
        }
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_ATTENTION })
}
