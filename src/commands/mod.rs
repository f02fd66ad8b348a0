//! One module per subcommand: orchestration only, no parsing or file editing.

pub mod init;
