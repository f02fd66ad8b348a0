use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // The one place that reads the command line.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match codeloop::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => match codeloop::usage_error_document(&args, &e) {
            // `--json` asked for one document, even for a command line clap refused.
            Some(doc) if e.use_stderr() => {
                let _ = writeln!(anstream::stdout(), "{doc}");
                return ExitCode::from(2);
            }
            _ => e.exit(),
        },
    };
    let mut sys = codeloop::sys::Sys::from_os();
    codeloop::run(
        cli,
        &mut sys,
        &mut anstream::stdout(),
        &mut anstream::stderr(),
    )
}
