// No `windows_subsystem = "windows"`: given a subcommand it runs it as `mailgrant` does, on its console.
fn main() -> std::process::ExitCode {
    mailgrant_lib::run()
}
