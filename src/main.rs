use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = clientele::cli::Cli::parse();
    if let Err(message) = clientele::cli::run(cli).await {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
