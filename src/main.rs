use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = codeloop::cli::Cli::parse();
    let mut sys = codeloop::sys::Sys::from_os();
    codeloop::run(
        cli,
        &mut sys,
        &mut anstream::stdout(),
        &mut anstream::stderr(),
    )
}
