// No `windows_subsystem = "windows"`: the same binary is the CLI, which needs its console on Windows.
fn main() -> std::process::ExitCode {
    mailgrant_lib::run()
}
