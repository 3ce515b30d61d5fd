use clap::Parser;

/// mimalloc instead of the system allocator: under load glibc's malloc was
/// about 30% of a list request's CPU, much of it consolidating and locking
/// arenas across the blocking-pool threads (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = clientele::cli::Cli::parse();
    if let Err(message) = clientele::cli::run(cli).await {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
