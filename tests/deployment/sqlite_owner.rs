//! One server per SQLite database: a second `clientele serve` on the same
//! file is refused while the first runs (its client cache sees only its own
//! writes), and the CLI still works beside it.

use std::process::Command;
use std::time::Duration;

use crate::process::{cli, free_port, Node, BIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_is_refused_until_the_first_stops() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("owned.db").display());
    let mut first = Node::start(&url, &[]).await;
    let second = || {
        Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{}", free_port()), "--database-url", &url, "--log", "warn"])
            .output()
            .expect("run clientele")
    };
    let refused = second();
    assert!(!refused.status.success(), "a second server started on the same file");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("another clientele server is serving"), "{stderr}");
    // The CLI is not a server: it works beside the running one.
    let firm = cli(&url, &["firms", "create", "--name", "Beside"]);
    assert!(firm["admin_key"]["secret"].is_string(), "{firm}");
    assert!(first.terminate(Duration::from_secs(10)).success());
    // Once the first has stopped, the file is free again.
    let _next = Node::start(&url, &[]).await;
}
