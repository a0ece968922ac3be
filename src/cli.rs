//! The command line: `serve`, `articles import`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::config::Settings;
use crate::db::Pool;

#[derive(Parser)]
#[command(name = "tipdesk", version, about = "Reader tips for a newsroom")]
struct Cli {
    /// A TOML file overriding the built-in defaults (config/default.toml).
    #[arg(long, global = true, env = "TIPDESK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service.
    Serve,
    /// Manage the articles readers can send tips about.
    Articles {
        #[command(subcommand)]
        command: ArticlesCommand,
    },
}

#[derive(Subcommand)]
enum ArticlesCommand {
    /// Insert or update articles from CSV (header id,title,url,section) or
    /// a JSON array of such objects. A file is imported whole or not at all.
    Import { file: PathBuf },
}

/// Runs the command line; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tipdesk: {e:#}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings),
        Command::Articles {
            command: ArticlesCommand::Import { file },
        } => {
            let pool = Pool::connect(&settings.database)?;
            let count = pool.with(|conn| crate::articles::import_file(conn, &file))?;
            println!("imported {count} article(s) from {}", file.display());
            Ok(())
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let public_url = settings.server.public_url.clone();
        let app = Application::build(settings)?;
        tracing::info!(port = app.port(), "tipdesk is listening");
        println!(
            "tipdesk is running. Open {} in a browser (Ctrl-C stops it).",
            public_url
        );
        app.run().await?;
        Ok(())
    })
}
