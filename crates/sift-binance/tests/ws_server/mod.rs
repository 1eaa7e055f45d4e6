//! A small Binance-like combined-stream server for the client's tests: records what the client
//! sends (URL streams, control messages with times, pongs, closes) and does what the test asks
//! (send a frame, ping, go silent, close). Data: one forming kline per subscribed kline stream
//! every `data_interval`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_util::sync::CancellationToken;

/// What the test tells one server connection to do.
#[derive(Debug)]
pub(crate) enum ServerCmd {
    Send(Message),
    /// Close with a close frame (a server close).
    Close,
    /// Stop sending anything and stop answering (a half-open connection).
    Silence,
}

/// One accepted connection, as the server saw it.
#[derive(Debug)]
pub(crate) struct ConnRecord {
    pub(crate) url_streams: Vec<String>,
    pub(crate) subscribed: BTreeSet<String>,
    /// Control messages received: (when, method, params).
    pub(crate) controls: Vec<(Instant, String, Vec<String>)>,
    pub(crate) pongs: Vec<Vec<u8>>,
    pub(crate) open: bool,
    pub(crate) closed_by_client: bool,
    /// Data frames sent.
    pub(crate) sent: usize,
    commands: mpsc::UnboundedSender<ServerCmd>,
}

#[derive(Debug, Default)]
pub(crate) struct ServerState {
    pub(crate) conns: Vec<ConnRecord>,
    /// TCP connections accepted (connection attempts).
    pub(crate) attempts: Vec<Instant>,
    /// Drop every TCP connection at once.
    pub(crate) refuse: bool,
    /// Streams whose SUBSCRIBE is answered with an error.
    pub(crate) reject: BTreeSet<String>,
}

pub(crate) struct WsServer {
    pub(crate) url: String,
    pub(crate) state: Arc<Mutex<ServerState>>,
    stop: CancellationToken,
}

impl Drop for WsServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl WsServer {
    /// Starts a server sending kline data every `data_interval` (none if `None`).
    pub(crate) async fn start(data_interval: Option<Duration>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a port");
        let addr: SocketAddr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(ServerState::default()));
        let stop = CancellationToken::new();
        let (task_state, task_stop) = (Arc::clone(&state), stop.clone());
        tokio::spawn(async move {
            loop {
                let (socket, _) = tokio::select! {
                    () = task_stop.cancelled() => return,
                    accepted = listener.accept() => accepted.expect("accepting"),
                };
                let refuse = {
                    let mut state = task_state.lock().expect("server state lock");
                    state.attempts.push(Instant::now());
                    state.refuse
                };
                if refuse {
                    drop(socket);
                    continue;
                }
                tokio::spawn(serve_conn(
                    socket,
                    Arc::clone(&task_state),
                    data_interval,
                    task_stop.clone(),
                ));
            }
        });
        Self {
            url: format!("ws://{addr}"),
            state,
            stop,
        }
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut ServerState) -> R) -> R {
        f(&mut self.state.lock().expect("server state lock"))
    }

    pub(crate) fn command(&self, conn: usize, command: ServerCmd) {
        self.with(|s| {
            s.conns[conn]
                .commands
                .send(command)
                .expect("connection task alive")
        });
    }

    pub(crate) fn conn_count(&self) -> usize {
        self.with(|s| s.conns.len())
    }

    pub(crate) fn open_count(&self) -> usize {
        self.with(|s| s.conns.iter().filter(|c| c.open).count())
    }
}

async fn serve_conn(
    socket: TcpStream,
    state: Arc<Mutex<ServerState>>,
    data_interval: Option<Duration>,
    stop: CancellationToken,
) {
    let mut path = String::new();
    // The handshake callback's error type is tungstenite's, large by design.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        path = request.uri().to_string();
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(socket, callback).await else {
        return;
    };
    let url_streams: Vec<String> = path
        .split_once("streams=")
        .map(|(_, list)| list.split('/').map(str::to_owned).collect())
        .unwrap_or_default();
    let (tx, mut commands) = mpsc::unbounded_channel();
    let index = {
        let mut state = state.lock().expect("server state lock");
        state.conns.push(ConnRecord {
            subscribed: url_streams.iter().cloned().collect(),
            url_streams,
            controls: Vec::new(),
            pongs: Vec::new(),
            open: true,
            closed_by_client: false,
            sent: 0,
            commands: tx,
        });
        state.conns.len() - 1
    };
    let mut ticker = tokio::time::interval(data_interval.unwrap_or(Duration::from_secs(3600)));
    let mut silent = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            command = commands.recv() => match command {
                Some(ServerCmd::Send(message)) => {
                    if ws.send(message).await.is_err() {
                        break;
                    }
                }
                Some(ServerCmd::Close) => {
                    let _ = ws.close(None).await;
                }
                Some(ServerCmd::Silence) => silent = true,
                None => break,
            },
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) if !silent => {
                    let reply = control(&state, index, text.as_str());
                    if ws.send(Message::text(reply)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Pong(payload))) => {
                    state.lock().expect("server state lock").conns[index].pongs.push(payload.to_vec());
                }
                Some(Ok(Message::Close(_))) => {
                    state.lock().expect("server state lock").conns[index].closed_by_client = true;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            _ = ticker.tick(), if data_interval.is_some() && !silent => {
                let streams: Vec<String> = state.lock().expect("server state lock").conns[index]
                    .subscribed
                    .iter()
                    .filter(|s| s.contains("@kline_"))
                    .cloned()
                    .collect();
                for stream in streams {
                    if ws.send(Message::text(kline_frame(&stream))).await.is_err() {
                        break;
                    }
                    state.lock().expect("server state lock").conns[index].sent += 1;
                }
            }
        }
    }
    state.lock().expect("server state lock").conns[index].open = false;
}

/// Records a control message and returns the answer.
fn control(state: &Mutex<ServerState>, index: usize, text: &str) -> String {
    let request: serde_json::Value = serde_json::from_str(text).expect("control message json");
    let method = request["method"].as_str().expect("method").to_owned();
    let params: Vec<String> = request["params"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| p.as_str().expect("stream name").to_owned())
        .collect();
    let id = request["id"].as_u64().expect("numeric id");
    let mut state = state.lock().expect("server state lock");
    let rejected = method == "SUBSCRIBE" && params.iter().any(|p| state.reject.contains(p));
    let conn = &mut state.conns[index];
    conn.controls
        .push((Instant::now(), method.clone(), params.clone()));
    if rejected {
        return format!(r#"{{"code":2,"msg":"Invalid request","id":{id}}}"#);
    }
    for param in params {
        if method == "SUBSCRIBE" {
            conn.subscribed.insert(param);
        } else {
            conn.subscribed.remove(&param);
        }
    }
    format!(r#"{{"result":null,"id":{id}}}"#)
}

/// A forming kline of the current minute for `stream` (`sym@kline_1m`), combined-wrapped.
pub(crate) fn kline_frame(stream: &str) -> String {
    let (symbol, interval) = stream.split_once("@kline_").expect("a kline stream");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let open = now - now % 60_000;
    let upper = symbol.to_ascii_uppercase();
    format!(
        r#"{{"stream":"{stream}","data":{{"e":"kline","E":{now},"s":"{upper}","k":{{"t":{open},"T":{close},"s":"{upper}","i":"{interval}","f":100,"L":200,"o":"1.0","c":"2.0","h":"2.5","l":"0.5","v":"10","n":5,"x":false,"q":"15","V":"5","Q":"7","B":"0"}}}}}}"#,
        close = open + 59_999
    )
}
