//! One kept-alive connection, byte by byte: what a client that reuses its
//! socket sees after the server refused a request's body.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

crate::store_tests!(
    the_request_after_a_413_on_a_kept_alive_connection_is_answered,
    a_413_sent_before_the_body_is_read_closes_the_connection_and_says_so,
    a_refusal_before_a_small_body_arrived_keeps_the_connection,
);

/// How many times each case is tried: the failure this guards against showed
/// about once in 40.
const ROUNDS: usize = 120;

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// One response: its status, its head (lower-cased) and its body, read by
/// its `Content-Length`. `None` when the connection ends first.
async fn read_response(stream: &mut TcpStream, buffered: &mut Vec<u8>) -> Option<(u16, String)> {
    let head_end = loop {
        if let Some(at) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buffered.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffered[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    while buffered.len() < head_end + length {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buffered.extend_from_slice(&chunk[..n]);
    }
    buffered.drain(..head_end + length);
    Some((status, head))
}

fn post_head(app: &TestApp, length: usize) -> String {
    format!(
        "POST /v1/clients HTTP/1.1\r\nHost: test\r\nX-Api-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        app.admin_key
    )
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

/// A body over the limit, sent whole (head and body in one write, as most
/// clients do, and in pieces), then a second request on the same socket.
async fn the_request_after_a_413_on_a_kept_alive_connection_is_answered(app: TestApp) {
    let body = format!("{{\"first_name\": \"Ann\", \"last_name\": \"Lee\", \"notes\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    for round in 0..ROUNDS {
        let mut stream = connect(&app).await;
        let mut request = post_head(&app, body.len()).into_bytes();
        if round % 2 == 0 {
            request.extend_from_slice(body.as_bytes());
            stream.write_all(&request).await.expect("write");
        } else {
            stream.write_all(&request).await.expect("write head");
            for piece in body.as_bytes().chunks(64 * 1024) {
                stream.write_all(piece).await.expect("write body");
            }
        }
        let mut buffered = Vec::new();
        let (status, head) = read_response(&mut stream, &mut buffered).await.unwrap_or_else(|| panic!("round {round}: no 413"));
        assert_eq!(status, 413, "round {round}");
        if head.contains("connection: close") {
            continue;
        }
        stream.write_all(HEALTH).await.expect("write the second request");
        let second = read_response(&mut stream, &mut buffered).await;
        assert_eq!(second.map(|(s, _)| s), Some(200), "round {round}: the request after the 413 got no answer");
    }
}

/// A declared length far over any limit is refused before the body is read:
/// the server cannot keep the connection (the rest of the body would be
/// read as the next request), so it must say `Connection: close` and close.
async fn a_413_sent_before_the_body_is_read_closes_the_connection_and_says_so(app: TestApp) {
    for round in 0..ROUNDS / 4 {
        let mut stream = connect(&app).await;
        stream.write_all(post_head(&app, 64 * 1024 * 1024).as_bytes()).await.expect("write");
        stream.write_all(&[b' '; 4096]).await.expect("write some body");
        let mut buffered = Vec::new();
        let (status, head) = read_response(&mut stream, &mut buffered).await.unwrap_or_else(|| panic!("round {round}: no 413"));
        assert_eq!(status, 413, "round {round}");
        assert!(head.contains("connection: close"), "round {round}: {head}");
        let mut rest = [0u8; 1024];
        let end = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut rest)).await.expect("the server closes");
        assert!(matches!(end, Ok(0) | Err(_)), "round {round}: the connection stayed open");
    }
}

/// A request refused before its (small) body has arrived, the rest of the
/// body coming a moment later: the server reads and drops that rest, and the
/// connection serves the next request.
async fn a_refusal_before_a_small_body_arrived_keeps_the_connection(app: TestApp) {
    let body = format!("{{\"first_name\": \"Ann\", \"last_name\": \"Lee\", \"notes\": \"{}\"}}", "x".repeat(8 * 1024));
    let (first, rest) = body.as_bytes().split_at(100);
    for round in 0..ROUNDS / 8 {
        let mut stream = connect(&app).await;
        let head = format!(
            "POST /v1/clients HTTP/1.1\r\nHost: test\r\nX-Api-Key: not-a-key\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(&[head.as_bytes(), first].concat()).await.expect("write");
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.write_all(rest).await.expect("write the rest");
        let mut buffered = Vec::new();
        let (status, head) = read_response(&mut stream, &mut buffered).await.unwrap_or_else(|| panic!("round {round}: no 401"));
        assert_eq!(status, 401, "round {round}");
        assert!(!head.contains("connection: close"), "round {round}: {head}");
        stream.write_all(HEALTH).await.expect("write the second request");
        let second = read_response(&mut stream, &mut buffered).await;
        assert_eq!(second.map(|(s, _)| s), Some(200), "round {round}: the request after the 401 got no answer");
    }
}
