//! The throwaway servers `cargo test` starts on a machine where PostgreSQL
//! and Redis are installed but not running (`tests/services`): they answer,
//! and they are gone, files and all, once the process that started them
//! exits. The starting process is this test binary run again as a child.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::services::{answers, redis_answers, start_throwaway_postgres, start_throwaway_redis};

const CHILD: &str = "CLIENTELE_TEST_THROWAWAY_CHILD";

/// Not a test of its own: the child's entry point (it does nothing unless
/// the parent test runs it). Starts both servers, prints their URLs and
/// directories, and exits at once.
#[test]
fn throwaway_servers_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let (postgres, redis) = (start_throwaway_postgres(), start_throwaway_redis());
    assert!(answers(port(&postgres.url)), "PostgreSQL at {} does not answer", postgres.url);
    assert!(redis_answers(port(&redis.url)), "Redis at {} does not answer", redis.url);
    for (name, server) in [("POSTGRES", postgres), ("REDIS", redis)] {
        println!("{name}={}", server.url);
        println!("{name}_DIR={}", server.dir.display());
    }
}

#[tokio::test]
async fn throwaway_servers_answer_and_are_reaped_when_their_process_exits() {
    let output = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "fresh_machine::throwaway_servers_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let url = |name: &str| {
        stdout.lines().find_map(|l| l.split_once(&format!("{name}=")).map(|(_, v)| v)).unwrap_or_else(|| panic!("no {name} in {stdout}")).to_string()
    };
    let (postgres, redis) = (url("POSTGRES"), url("REDIS"));
    let (pg_port, redis_port) = (port(&postgres), port(&redis));

    // The child is gone; its reaper stops what it started within moments.
    let began = Instant::now();
    while answers(pg_port) || redis_answers(redis_port) {
        assert!(began.elapsed() < Duration::from_secs(20), "the throwaway servers outlived their process");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Their files go with them (removed just after the stop).
    for dir in [url("POSTGRES_DIR"), url("REDIS_DIR")] {
        let began = Instant::now();
        while std::path::Path::new(&dir).exists() {
            assert!(began.elapsed() < Duration::from_secs(10), "{dir} was left behind");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The port of `scheme://host:port[/db]`.
fn port(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|rest| rest.split('/').next()).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {url}"))
}
