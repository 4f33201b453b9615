//! `wuts`: the multi-tenant WhatsApp gateway (WUTS API).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;
use wuts::config::Config;

#[derive(Parser)]
#[command(
    name = "wuts",
    version,
    about = "Multi-tenant WhatsApp gateway implementing the WUTS API"
)]
struct Cli {
    /// TOML configuration file (default: ./wuts.toml when present).
    #[arg(long, env = "WUTS_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Listen address (overrides WUTS_LISTEN).
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Database URL (overrides WUTS_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// WhatsApp WebSocket endpoint, e.g. wa-sim's ws://127.0.0.1:9780/ws/chat (overrides WUTS_WHATSAPP_URL).
    #[arg(long, global = true)]
    whatsapp_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants without an API token.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage the platform master token.
    #[command(subcommand, name = "master-token")]
    MasterToken(MasterCommand),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first admin user; prints the admin's token once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "WUTS_ADMIN_PASSWORD")]
        password: String,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
enum MasterCommand {
    /// Replace the stored master token with a new one and print it once.
    Rotate,
}

fn init_logging(cfg: &Config) {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&cfg.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(l) = cli.listen {
        cfg.listen = l;
    }
    if let Some(d) = cli.database_url {
        cfg.database_url = d;
    }
    if let Some(u) = cli.whatsapp_url {
        cfg.whatsapp_url = u;
    }
    init_logging(&cfg);
    let services = wuts::services(&cfg).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = wuts::bind(&cfg).await?;
            wuts::serve(&cfg, services, listener, wuts::shutdown_signal()).await?;
        }
        Command::Migrate => println!("migrations applied to {}", redact(&cfg.database_url)),
        Command::Tenant(TenantCommand::Create {
            name,
            email,
            password,
        }) => {
            let r = services.register(&name, &email, &password, None).await?;
            println!("tenant {} ({})", r.tenant.name, r.tenant.id);
            println!("admin  {} ({})", r.user.email, r.user.id);
            println!("token  {}   (shown only now)", r.token);
        }
        Command::Tenant(TenantCommand::List) => {
            for t in services.list_tenants().await? {
                println!("{}  {}", t.id, t.name);
            }
        }
        Command::MasterToken(MasterCommand::Rotate) => {
            if cfg.master_token.is_some() {
                eprintln!("note: WUTS_MASTER_TOKEN is set and wins over the stored token until it is unset");
            }
            println!("{}", services.rotate_master_token().await?);
        }
    }
    Ok(())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
