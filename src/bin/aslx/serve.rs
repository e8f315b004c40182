//! `aslx serve`: command-line options and process concerns (signals, printing the address).

use aslx::engine::LogSink;
use aslx::runtime::HandlerSpec;
use aslx::serve::backend::{Backend, DEFAULT_MAX_IN_FLIGHT};
use aslx::serve::http::{Limits, Server};
use aslx::serve::mock::MockConfig;
use aslx::serve::ops::{Identity, Service};
use aslx::serve::routes::{RouteSpec, Routes, RoutesServer};
use aslx::serve::sigv4::Credentials;
use aslx::Handlers;
use clap::Args;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `aslx serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8083")]
    bind: SocketAddr,
    /// Region in ARNs (Step Functions Local's AWS_DEFAULT_REGION).
    #[arg(long, env = "AWS_DEFAULT_REGION", default_value = "us-east-1")]
    region: String,
    /// Account in ARNs (Step Functions Local's AWS_ACCOUNT_ID).
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "111111111111")]
    account: String,
    /// RESOURCE=identity | RESOURCE=return:JSON | RESOURCE=raise:ERROR:CAUSE |
    /// RESOURCE=command:PROGRAM ARGS... | RESOURCE=worker:PROGRAM ARGS... | RESOURCE=http:URL
    /// (as `aslx run --handler`); RESOURCE is a Task's Resource string or a Lambda function
    /// name. Repeatable.
    #[arg(long = "handler")]
    handlers: Vec<String>,
    /// A file of --handler specs, one a line (`#` comments).
    #[arg(long = "handlers-file")]
    handlers_file: Option<String>,
    #[command(flatten)]
    integrations: crate::integrations::IntegrationArgs,
    /// Step Functions Local mock configuration file (default: $SFN_MOCK_CONFIG, else
    /// MockConfigFile.json in the working directory when there is one).
    #[arg(long = "mock-config")]
    mock_config: Option<String>,
    /// Scales Wait states and retry intervals: 0.5 waits half as long, 0 not at all (Step
    /// Functions Local's WAIT_TIME_SCALE). Task timeouts and the EXPRESS cap are not scaled.
    #[arg(long, env = "WAIT_TIME_SCALE", default_value_t = 1.0)]
    wait_time_scale: f64,
    /// Directory of log groups: machines whose loggingConfiguration names a CloudWatch Logs
    /// log group write their execution records there (one file per group and day), and the
    /// CloudWatch Logs API on this port reads them (`aws logs tail GROUP`).
    #[arg(long = "log-dir")]
    log_dir: Option<std::path::PathBuf>,
    /// Accept `.waitForTaskToken` and activity Tasks in EXPRESS machines, which AWS refuses
    /// (ValidateStateMachineDefinition still reports AWS's diagnostic).
    #[arg(long)]
    allow_callbacks_in_express: bool,
    /// Require SigV4-signed requests with this key pair: ACCESS_KEY_ID:SECRET_ACCESS_KEY.
    /// Prefer $ASLX_AUTH or --auth-file: a command line is visible to every user (`ps`).
    #[arg(long, env = "ASLX_AUTH", hide_env_values = true)]
    auth: Option<String>,
    /// A file holding --auth's ACCESS_KEY_ID:SECRET_ACCESS_KEY (taken over --auth and
    /// $ASLX_AUTH).
    #[arg(long = "auth-file")]
    auth_file: Option<std::path::PathBuf>,
    /// Without --auth, requests are answered only when their Host is an IP address,
    /// `localhost` or a `*.localhost` name (a defence against DNS rebinding by web pages);
    /// this adds a name (`*.example.com` for its subdomains). Repeatable.
    #[arg(long = "allow-host")]
    allow_hosts: Vec<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 8 << 20)]
    max_body_bytes: usize,
    /// Seconds a client has, from connecting or from its previous request, to send a
    /// request's headers; a connection that has not sent them by then is closed (slow or idle
    /// clients). Bodies have --body-timeout.
    #[arg(long, default_value_t = 30.0)]
    header_timeout: f64,
    /// Seconds a request body's first bytes may take after its headers; after that the body
    /// must keep up --body-min-rate, or the request is answered 408 and the connection closed.
    #[arg(long, default_value_t = 30.0)]
    body_timeout: f64,
    /// Bytes per second a request body must arrive at after --body-timeout.
    #[arg(long, default_value_t = 16 << 10)]
    body_min_rate: u64,
    /// Seconds a connection may sit with no request in flight before it is closed.
    #[arg(long, default_value_t = 60.0)]
    idle_timeout: f64,
    /// Open connections at most; more are closed at once.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Seconds shutdown waits for in-flight requests; requests still running then (sync
    /// executions, long polls) are answered ServiceUnavailable (503).
    #[arg(long, default_value_t = 30.0)]
    drain_timeout: f64,
    /// Executions in flight at most (sync, async, STANDARD); past it a start is refused with
    /// ThrottlingException.
    #[arg(long, default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
    /// An HTTP route that starts a state machine, as an API Gateway integration does:
    /// 'METHOD /path/{param}=MACHINE:sync' (:async, :sync:raw, :async:raw; options +headers,
    /// +headers(a,b), +authorizer, +requestContext, +requestContext(field,...), -querystring,
    /// -path). Repeatable; served on --routes-bind.
    #[arg(long = "route")]
    routes: Vec<String>,
    /// A file of --route specs, one a line (`#` comments).
    #[arg(long = "routes-file")]
    routes_file: Option<String>,
    /// Address of the routes listener (port 0 picks a free port); routes need it, so the AWS
    /// API and the routes do not share a path space.
    #[arg(long = "routes-bind")]
    routes_bind: Option<SocketAddr>,
    /// State machines stored at most; past it CreateStateMachine is refused with
    /// StateMachineLimitExceeded (AWS's default quota).
    #[arg(long, default_value_t = aslx::engine::quotas::DEFAULT_MAX_MACHINES)]
    max_state_machines: usize,
    /// Activities stored at most; past it CreateActivity is refused with
    /// ActivityLimitExceeded (AWS's default quota).
    #[arg(long, default_value_t = aslx::engine::quotas::DEFAULT_MAX_ACTIVITIES)]
    max_activities: usize,
    /// Bytes of definitions held by state machines and their versions at most; past it
    /// CreateStateMachine and UpdateStateMachine are refused with StateMachineLimitExceeded.
    #[arg(long, default_value_t = aslx::engine::quotas::DEFAULT_MAX_DEFINITION_BYTES)]
    max_definition_bytes: usize,
    /// EventBridge rules on one event bus at most; past it PutRule is refused with
    /// LimitExceededException (AWS's default quota, which AWS raises on request).
    #[arg(long, default_value_t = aslx::events::MAX_RULES)]
    events_max_rules: usize,
    #[command(flatten)]
    queue: crate::queue::QueueArgs,
    #[command(flatten)]
    durability: crate::durability::DurabilityArgs,
}

/// The mock file Step Functions Local reads from its working directory.
const DEFAULT_MOCK_FILE: &str = "MockConfigFile.json";

/// Largest configuration file read (mock configuration, handlers, routes, --auth-file): a
/// device or a runaway file is refused rather than read without end.
const MAX_CONFIG_FILE_BYTES: u64 = 64 << 20;

/// Reads a configuration file of at most [`MAX_CONFIG_FILE_BYTES`] as UTF-8.
fn read_config_file(path: impl AsRef<std::path::Path>) -> Result<String, String> {
    use std::io::Read as _;
    let f = std::fs::File::open(path.as_ref()).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    f.take(MAX_CONFIG_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB: not a configuration file",
            MAX_CONFIG_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

/// The key pair of --auth, $ASLX_AUTH or --auth-file.
fn auth(args: &ServeArgs) -> Result<Option<Credentials>, String> {
    let (text, from) = match (&args.auth, &args.auth_file) {
        (Some(a), None) => (a.clone(), "--auth".to_string()),
        (_, Some(f)) => (
            read_config_file(f).map_err(|e| format!("--auth-file {}: {e}", f.display()))?,
            format!("--auth-file {}", f.display()),
        ),
        (None, None) => return Ok(None),
    };
    Credentials::parse(&text)
        .map(Some)
        .map_err(|e| format!("{from}: {e}"))
}

fn seconds(name: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| format!("--{name}: {s} is not a duration in seconds"))
}

/// What `setup` reads before the runtime starts; the service is built on the runtime.
struct Setup {
    handlers: Handlers,
    mocks: Option<MockConfig>,
    limits: Limits,
    auth: Option<Credentials>,
    id: Identity,
    routes: Option<(SocketAddr, Routes)>,
}

/// The routes of --route and --routes-file, checked, with the --routes-bind address.
fn routes(args: &ServeArgs) -> Result<Option<(SocketAddr, Routes)>, String> {
    let Some(addr) = args.routes_bind else {
        let flag = match (&args.routes_file, args.routes.is_empty()) {
            (_, false) => "--route",
            (Some(_), true) => "--routes-file",
            (None, true) => return Ok(None),
        };
        return Err(format!(
            "{flag} needs --routes-bind ADDR: routes are served on their own listener, apart from the AWS API"
        ));
    };
    let mut specs = Vec::new();
    if let Some(f) = &args.routes_file {
        let text = read_config_file(f).map_err(|e| format!("--routes-file {f}: {e}"))?;
        specs.extend(RouteSpec::parse_file(&text).map_err(|e| format!("--routes-file {f}: {e}"))?);
    }
    for s in &args.routes {
        specs.push(RouteSpec::parse(s).map_err(|e| format!("--{e}"))?);
    }
    let routes = Routes::new(specs).map_err(|e| format!("--route: {e}"))?;
    Ok(Some((addr, routes)))
}

fn setup(args: &ServeArgs) -> Result<Setup, String> {
    let mut handlers = Handlers::new();
    let mut specs = Vec::new();
    if let Some(f) = &args.handlers_file {
        let text = read_config_file(f).map_err(|e| format!("--handlers-file {f}: {e}"))?;
        specs.extend(
            HandlerSpec::parse_file(&text).map_err(|e| format!("--handlers-file {f}: {e}"))?,
        );
    }
    for s in &args.handlers {
        specs.push(HandlerSpec::parse(s).map_err(|e| format!("--{e}"))?);
    }
    for s in &specs {
        s.check_for_engine()?;
        s.register(&mut handlers);
    }
    handlers.integrations(args.integrations.build(&args.region)?);
    if let Some(dir) = args.integrations.s3_dir()? {
        handlers.s3_dir(dir);
    }
    // As Step Functions Local: the flag, else SFN_MOCK_CONFIG, else MockConfigFile.json in
    // the directory the server was started from.
    let mock_path = args
        .mock_config
        .clone()
        .or_else(|| {
            std::env::var("SFN_MOCK_CONFIG")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .or_else(|| {
            let default = std::path::Path::new(DEFAULT_MOCK_FILE);
            default.is_file().then(|| DEFAULT_MOCK_FILE.to_string())
        });
    if !(args.wait_time_scale.is_finite() && args.wait_time_scale >= 0.0) {
        return Err(format!(
            "--wait-time-scale: {} is not a scale (a number, 0 or more)",
            args.wait_time_scale
        ));
    }
    let mocks = match &mock_path {
        None => None,
        Some(p) => {
            let text = read_config_file(p).map_err(|e| format!("mock config {p}: {e}"))?;
            Some(MockConfig::parse(&text).map_err(|e| format!("mock config {p}: {e}"))?)
        }
    };
    let auth = auth(args)?;
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        header_read_timeout: seconds("header-timeout", args.header_timeout)?,
        max_connections: args.max_connections.max(1),
        idle_timeout: seconds("idle-timeout", args.idle_timeout)?,
        drain_timeout: seconds("drain-timeout", args.drain_timeout)?,
        body_timeout: seconds("body-timeout", args.body_timeout)?,
        body_min_rate: args.body_min_rate,
        allowed_hosts: aslx::serve::host::AllowedHosts::new(args.allow_hosts.iter().cloned()),
        ..Limits::default()
    };
    let id = Identity {
        partition: "aws".into(),
        region: args.region.clone(),
        account: args.account.clone(),
    };
    Ok(Setup {
        handlers,
        mocks,
        limits,
        auth,
        id,
        routes: routes(args)?,
    })
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn main(args: ServeArgs) -> ExitCode {
    let Setup {
        handlers,
        mocks,
        limits,
        auth,
        id,
        routes,
    } = match setup(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("aslx serve: {e}");
            return ExitCode::from(2);
        }
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aslx serve: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let queue = match args.queue.connect(&rt) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("aslx serve: {e}");
            return ExitCode::from(2);
        }
    };
    let sink = match &args.log_dir {
        None => None,
        Some(d) => match LogSink::directory(d) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "aslx serve: --log-dir {}: cannot write there: {e}",
                    d.display()
                );
                return ExitCode::from(2);
            }
        },
    };
    let mut notes = Vec::new();
    // With --queue, the NATS server keeps the starts, machines and activities.
    let opened = if queue.is_some() {
        Ok(None)
    } else {
        args.durability.open(&mut notes)
    };
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("aslx serve: {e}");
            return ExitCode::from(2);
        }
    };
    let configure = |b: aslx::engine::EngineBuilder| {
        let b = crate::durability::configure(b, store.as_ref());
        let b = b
            .max_in_flight(args.max_in_flight)
            .wait_time_scale(args.wait_time_scale)
            .allow_callbacks_in_express(args.allow_callbacks_in_express)
            .quotas(aslx::engine::Quotas {
                max_machines: args.max_state_machines,
                max_activities: args.max_activities,
                max_definition_bytes: args.max_definition_bytes,
            });
        let b = crate::queue::attach(b, queue.as_ref(), args.queue.max_attempts());
        match sink {
            Some(s) => b.log_sink(s),
            None => b,
        }
    };
    let backend = match Backend::with_engine(handlers, &id, rt.handle().clone(), configure) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("aslx serve: cannot start the engine: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = backend.shared_engine();
    let mut service = Service::new(id, backend, mocks);
    // EventBridge deliveries that were given up, one line each (EventBridge reports them as
    // FailedInvocations; here they go to stderr).
    service
        .events()
        .on_failure(|line| eprintln!("aslx serve: events: delivery failed: {line}"));
    service.events().set_max_rules(args.events_max_rules);
    if let Some(d) = &args.log_dir {
        service = service.with_log_dir(d);
    }
    let has_auth = auth.is_some();
    let stopped = watch_signals(limits.drain_timeout);
    let code = rt.block_on(async move {
        // The store or the queue (never both) holds what a restart reads back.
        let source = match (&queue, &store) {
            (Some(_), _) => Some("--queue"),
            (None, Some(_)) => Some("--data-dir"),
            (None, None) => None,
        };
        if let Some(source) = source {
            if let Err(e) = crate::durability::recover(&engine, source, &mut notes).await {
                eprintln!("aslx serve: {e}");
                return ExitCode::from(2);
            }
        }
        let server = match Server::bind(args.bind, service, limits.clone(), auth).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("aslx serve: cannot listen on {}: {e}", args.bind);
                return ExitCode::from(2);
            }
        };
        let routes_server = match routes {
            None => None,
            Some((addr, routes)) => {
                match RoutesServer::bind(addr, routes, engine, &args.account, limits).await {
                    Ok(s) => Some(s),
                    Err(e) => {
                        eprintln!("aslx serve: --routes-bind: cannot listen on {addr}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
        };
        let addr = server.local_addr().unwrap_or(args.bind);
        if !addr.ip().is_loopback() && !has_auth {
            eprintln!(
                "aslx serve: warning: listening on {addr}, beyond this machine, without --auth: anyone who can reach it can create and run state machines (and their Task handlers)"
            );
        }
        // Written without println!: stdout may be a closed pipe by the time we stop.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "aslx serve: listening on http://{addr} (region {}, account {})",
            args.region, args.account
        );
        if let Some(r) = &routes_server {
            if let Ok(a) = r.local_addr() {
                let _ = writeln!(out, "aslx serve: routes listening on http://{a}");
            }
        }
        // After the routes line, which scripts read second.
        match server.console_login_token() {
            Some(t) => writeln!(out, "aslx serve: console at http://{addr}/?token={t}"),
            None => writeln!(out, "aslx serve: console at http://{addr}/"),
        }
        .ok();
        for n in &notes {
            let _ = writeln!(out, "{n}");
        }
        let _ = out.flush();
        // One signal stops both listeners.
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let api = server.run(until_stopped(stopped.clone()));
        let user = async {
            if let Some(r) = routes_server {
                r.run(until_stopped(stopped)).await;
            }
        };
        tokio::join!(api, user);
        let _ = writeln!(std::io::stdout(), "aslx serve: stopped");
        ExitCode::SUCCESS
    });
    // Work still running on the runtime (an evaluation that does not yield) must not keep
    // the process alive past the drain: the runtime is left to end with the process.
    rt.shutdown_background();
    code
}

/// Waits for Ctrl-C or SIGTERM on a thread and a runtime of its own, so that work that never
/// yields on the server's runtime cannot keep the signal from being seen; the receiver turns
/// true then. Should the server's runtime not finish its drain, the thread ends the process
/// a few seconds after the drain timeout.
fn watch_signals(drain: Duration) -> tokio::sync::watch::Receiver<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(shutdown_signal());
        stop.send_replace(true);
        std::thread::sleep(drain + Duration::from_secs(3));
        eprintln!("aslx serve: still busy after the drain timeout; exiting");
        std::process::exit(1);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("aslx-signals".into())
        .spawn(watcher)
    {
        eprintln!("aslx serve: cannot watch for signals: {e}");
    }
    stopped
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
