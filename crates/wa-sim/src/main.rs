//! `wa-sim --listen 127.0.0.1:PORT`: the simulator as a process (state in memory).

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "wa-sim",
    about = "WhatsApp server simulator for wuts tests and demos"
)]
struct Cli {
    /// Address to listen on; the WebSocket is at ws://ADDR/ws/chat, the admin API at /admin.
    #[arg(long, default_value = "127.0.0.1:9780")]
    listen: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let server = wa_sim::SimServer::start(&cli.listen).await?;
    println!(
        "wa-sim listening: ws={} admin={}/admin",
        server.ws_url(),
        server.http_url()
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}
