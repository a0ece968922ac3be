//! The `tipdesk` command. Everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    tipdesk::cli::main()
}
