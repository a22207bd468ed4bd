//! Where watch keeps results, check states, state-change events and the alert outbox: SQLite by
//! default (a file next to the manifest, in WAL mode), PostgreSQL for a `postgres://` URL. The
//! same schema and migrations serve both, through sqlx's `Any` driver; statements use only SQL
//! both understand (`$n` parameters, `ON CONFLICT`, BIGINT and TEXT columns).

use super::engine::{CheckState, Health, Transition};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// A store error, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("watch store ({what}): {source}")]
pub struct StoreError {
    pub what: String,
    #[source]
    pub source: sqlx::Error,
}

trait Doing<T> {
    fn doing(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, sqlx::Error> {
    fn doing(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError {
            what: what.to_string(),
            source,
        })
    }
}

/// Schema versions in order; each is applied once, in a transaction, and recorded.
const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE IF NOT EXISTS results (check_id TEXT NOT NULL, at BIGINT NOT NULL, \
         ok BIGINT NOT NULL, latency_ms BIGINT NOT NULL, message TEXT NOT NULL, cert_expiry BIGINT)",
            "CREATE INDEX IF NOT EXISTS results_by_check ON results (check_id, at)",
            "CREATE TABLE IF NOT EXISTS check_state (check_id TEXT PRIMARY KEY, health TEXT NOT NULL, \
         failures BIGINT NOT NULL, successes BIGINT NOT NULL, incident BIGINT NOT NULL, \
         since BIGINT NOT NULL, last_at BIGINT NOT NULL, last_message TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS events (check_id TEXT NOT NULL, at BIGINT NOT NULL, \
         kind TEXT NOT NULL, incident BIGINT NOT NULL, message TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS events_by_check ON events (check_id, at)",
            "CREATE TABLE IF NOT EXISTS outbox (alert_key TEXT PRIMARY KEY, channel TEXT NOT NULL, \
         payload TEXT NOT NULL, created_at BIGINT NOT NULL, attempts BIGINT NOT NULL, \
         next_at BIGINT NOT NULL, delivered_at BIGINT, last_error TEXT)",
        ],
    ),
    (
        2,
        &[
            "CREATE TABLE IF NOT EXISTS heartbeats (name TEXT NOT NULL, at BIGINT NOT NULL, \
             ok BIGINT NOT NULL, message TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS heartbeats_by_name ON heartbeats (name, at)",
        ],
    ),
    (
        3,
        &[
            "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, \
           until_at BIGINT NOT NULL)",
        ],
    ),
    (
        4,
        &[
            "CREATE TABLE IF NOT EXISTS rollup_hourly (check_id TEXT NOT NULL, hour BIGINT NOT NULL, \
             runs BIGINT NOT NULL, failures BIGINT NOT NULL, latency_total BIGINT NOT NULL, \
             latency_max BIGINT NOT NULL, PRIMARY KEY (check_id, hour))",
            "CREATE TABLE IF NOT EXISTS rollup_daily (check_id TEXT NOT NULL, day BIGINT NOT NULL, \
             runs BIGINT NOT NULL, failures BIGINT NOT NULL, latency_total BIGINT NOT NULL, \
             latency_max BIGINT NOT NULL, PRIMARY KEY (check_id, day))",
        ],
    ),
    (
        5,
        &[
            // `start` pings (a run began) beside the `finish` ones (success or failure).
            "ALTER TABLE heartbeats ADD COLUMN phase TEXT NOT NULL DEFAULT 'finish'",
        ],
    ),
    (
        6,
        &[
            // What the status page shows is kept with each check's state, so reading it never
            // walks a check's history.
            "ALTER TABLE check_state ADD COLUMN last_latency BIGINT",
            "ALTER TABLE check_state ADD COLUMN cert_expiry BIGINT",
            "ALTER TABLE check_state ADD COLUMN first_at BIGINT",
            "UPDATE check_state SET \
             last_latency = (SELECT r.latency_ms FROM results r WHERE r.check_id = check_state.check_id ORDER BY r.at DESC LIMIT 1), \
             cert_expiry = (SELECT r.cert_expiry FROM results r WHERE r.check_id = check_state.check_id AND r.cert_expiry IS NOT NULL ORDER BY r.at DESC LIMIT 1), \
             first_at = (SELECT MIN(r.at) FROM results r WHERE r.check_id = check_state.check_id)",
            // Compaction and the dashboard read by time across checks.
            "CREATE INDEX IF NOT EXISTS results_by_at ON results (at)",
            "CREATE INDEX IF NOT EXISTS events_by_at ON events (at)",
        ],
    ),
    (
        7,
        &[
            // With a quorum, what each watcher last saw of each check, and which watchers live.
            "CREATE TABLE IF NOT EXISTS observations (check_id TEXT NOT NULL, watcher TEXT NOT NULL, \
             at BIGINT NOT NULL, ok BIGINT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (check_id, watcher))",
            "CREATE TABLE IF NOT EXISTS watchers (holder TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)",
        ],
    ),
    // From here on each result adds itself to its hour's rollup as it is recorded; compaction
    // sums up raw results only for the hours before (when this version was applied).
    (INCREMENTAL_ROLLUPS, &[]),
];

/// The schema version from which hourly rollups are kept up to date by `record`.
const INCREMENTAL_ROLLUPS: i64 = 8;

/// The PostgreSQL advisory lock migrations run under (any constant no other program uses).
const MIGRATION_LOCK: i64 = 0x6c69_6674_6f66;

/// Connection options for `url` that log statements (and slow ones) at debug level only: a
/// rollup that scans an hour of results is slow on purpose, on a connection of its own, and
/// the watcher's log is for operators.
fn quiet(url: &str) -> Result<sqlx::any::AnyConnectOptions, StoreError> {
    use sqlx::ConnectOptions;
    let options: sqlx::any::AnyConnectOptions = url.parse().doing("read the database address")?;
    Ok(options
        .log_statements(log::LevelFilter::Trace)
        .log_slow_statements(log::LevelFilter::Debug, std::time::Duration::from_secs(1)))
}

/// What one watcher last saw of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub watcher: String,
    pub at: i64,
    pub ok: bool,
    pub message: String,
}

/// Alerts to queue with a result: one per channel, all for the same (incident, kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertBatch {
    /// `down`, `recovered` or `reminder-<n>`: with the check and incident, the idempotency key.
    pub kind: String,
    pub incident: i64,
    /// (channel id, payload).
    pub per_channel: Vec<(String, String)>,
}

/// How long each kind of history is kept, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub results: i64,
    pub hourly: i64,
    pub daily: i64,
    pub events: i64,
}

impl Default for Retention {
    /// Raw results one day, hourly rollups 90 days, daily rollups and events 2 years. A day of
    /// raw results at 10,000 checks a minute is about 2.5 GB; the hourly rollups carry the
    /// weeks after it (uptime, runs, failures, latency) at a sixtieth of the rows.
    fn default() -> Retention {
        const DAY: i64 = 86_400;
        Retention {
            results: DAY,
            hourly: 90 * DAY,
            daily: 730 * DAY,
            events: 730 * DAY,
        }
    }
}

/// One alert waiting in (or delivered from) the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// check + incident + kind + channel: the same transition is never queued twice.
    pub key: String,
    pub channel: String,
    pub payload: String,
    pub attempts: i64,
}

/// Where one check stands, for the API, the dashboard and `/metrics`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CheckStatus {
    pub check: String,
    pub health: Health,
    /// Unix seconds of the last change of health.
    pub since: i64,
    /// Unix seconds of the last result.
    pub last_at: i64,
    pub last_message: String,
    /// Incidents so far (the open one while down).
    pub incident: i64,
    pub latency_ms: Option<i64>,
    /// The certificate's expiry (unix seconds), for certificate checks.
    pub cert_expiry: Option<i64>,
    /// Unix seconds of the first result kept: uptime counts from here, not from before it.
    pub first_at: i64,
}

/// A state change of a check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub check: String,
    pub at: i64,
    /// `down` or `recovered`.
    pub kind: String,
    pub incident: i64,
    pub message: String,
}

/// A check result as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredResult {
    pub at: i64,
    pub ok: bool,
    pub latency_ms: i64,
    pub message: String,
}

/// Every check's status, held in memory so that pages and `/metrics` at 10,000 checks never
/// read the whole state table per request. The process that records results (the only one on
/// SQLite, the leader on PostgreSQL) keeps it exact as it records; any other process re-reads
/// it when it is older than [`BOARD_MAX_AGE`].
#[derive(Debug, Default)]
struct Board {
    by_check: std::collections::BTreeMap<String, CheckStatus>,
    /// What was last handed out, until a record changes something.
    snapshot: Option<std::sync::Arc<Vec<CheckStatus>>>,
    /// When it was last read from the database; `None` until it is (or after losing the writer's
    /// role to another process).
    loaded: Option<std::time::Instant>,
}

/// How stale the board of a process that does not record may get.
const BOARD_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// The watch database.
#[derive(Clone, Debug)]
pub struct Store {
    /// Writes (and, on PostgreSQL, reads): on SQLite one connection, the only writer.
    pool: AnyPool,
    /// Reads: on SQLite their own connections, which WAL lets run beside the writer, so a slow
    /// page never holds up recording results.
    reader: AnyPool,
    /// PostgreSQL (several watchers may share it) rather than SQLite (one process).
    shared: bool,
    /// Every check's status in memory (shared by the clones of this store).
    board: std::sync::Arc<std::sync::Mutex<Board>>,
    /// Whether this process records results, so its board is exact without re-reading: always
    /// on SQLite; on PostgreSQL while it leads.
    recording: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Store {
    /// Opens (creating if needed) the database at `target`: a file path for SQLite or a
    /// `postgres://` URL, and brings its schema up to date.
    pub async fn open(target: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = !(target.starts_with("postgres://") || target.starts_with("postgresql://"));
        let url = if sqlite {
            format!("sqlite://{target}?mode=rwc")
        } else {
            target.to_string()
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_slow_level(log::LevelFilter::Debug);
        if sqlite {
            // In WAL mode, `NORMAL` syncs at checkpoints instead of at every commit: a killed
            // process still loses no committed result (only a power cut may lose the last
            // ones), and the single writer keeps up with 10,000 checks a minute, which a sync
            // per result did not. Set on every connection the pool opens (it is per connection).
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA synchronous=NORMAL")
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                })
            });
        }
        let pool = options.connect_with(quiet(&url)?).await.doing("connect")?;
        if sqlite {
            // WAL: readers never block the writer, and a killed process loses no committed row.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .doing("enable WAL")?;
        }
        let mut store = Store {
            reader: pool.clone(),
            pool,
            shared: !sqlite,
            board: Default::default(),
            recording: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(sqlite)),
        };
        store.migrate().await?;
        if sqlite {
            store.reader = AnyPoolOptions::new()
                .max_connections(4)
                .acquire_slow_level(log::LevelFilter::Debug)
                .connect_with(quiet(&format!("sqlite://{target}?mode=ro"))?)
                .await
                .doing("connect for reading")?;
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // Watchers started together on a new PostgreSQL database would race to create the same
        // tables (`CREATE TABLE IF NOT EXISTS` is not safe against a concurrent creator): one
        // migrates at a time, under a session lock held on one connection. SQLite's single
        // writer serialises them already.
        let mut conn = self.pool.acquire().await.doing("connect to migrate")?;
        if self.shared {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await
                .doing("wait for other watchers' migrations")?;
        }
        let migrated = Self::migrate_on(&mut conn).await;
        if self.shared {
            // Released with the connection anyway, should this fail.
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await;
        }
        migrated
    }

    async fn migrate_on(conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        use sqlx::Connection;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *conn)
        .await
        .doing("create schema_version")?;
        for (version, statements) in MIGRATIONS {
            let mut tx = conn.begin().await.doing("begin migration")?;
            let applied: Option<AnyRow> =
                sqlx::query("SELECT version FROM schema_version WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await
                    .doing("read schema_version")?;
            if applied.is_none() {
                for statement in *statements {
                    sqlx::query(*statement)
                        .execute(&mut *tx)
                        .await
                        .doing(&format!("migration {version}"))?;
                }
                sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .doing("record migration")?;
            }
            tx.commit().await.doing("commit migration")?;
        }
        Ok(())
    }

    /// The state of a check (the default for a check never run).
    pub async fn state(&self, check: &str) -> Result<CheckState, StoreError> {
        let row = sqlx::query(
            "SELECT health, failures, successes, incident, since FROM check_state WHERE check_id = $1",
        )
        .bind(check)
        .fetch_optional(&self.pool)
        .await
        .doing("read check state")?;
        Ok(match row {
            None => CheckState::default(),
            Some(row) => CheckState {
                health: Health::parse(&row.try_get::<String, _>(0).doing("health")?),
                failures: row.try_get::<i64, _>(1).doing("failures")? as u32,
                successes: row.try_get::<i64, _>(2).doing("successes")? as u32,
                incident: row.try_get::<i64, _>(3).doing("incident")?,
                since: row.try_get::<i64, _>(4).doing("since")?,
            },
        })
    }

    /// Records a result, the check's new state and, if it turned, the event and one alert per
    /// channel, all in one transaction: a result is never stored without its alert, nor an alert
    /// queued twice for the same transition.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        &self,
        check: &str,
        at: i64,
        ok: bool,
        latency_ms: i64,
        message: &str,
        cert_expiry: Option<i64>,
        state: &CheckState,
        transition: Option<Transition>,
        alerts: Option<AlertBatch>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.doing("begin")?;
        sqlx::query(
            "INSERT INTO results (check_id, at, ok, latency_ms, message, cert_expiry) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(check)
        .bind(at)
        .bind(i64::from(ok))
        .bind(latency_ms)
        .bind(message)
        .bind(cert_expiry)
        .execute(&mut *tx)
        .await
        .doing("insert result")?;
        sqlx::query(
            "INSERT INTO rollup_hourly (check_id, hour, runs, failures, latency_total, latency_max) \
             VALUES ($1, $2, 1, $3, $4, $4) ON CONFLICT (check_id, hour) DO UPDATE SET \
             runs = rollup_hourly.runs + 1, failures = rollup_hourly.failures + excluded.failures, \
             latency_total = rollup_hourly.latency_total + excluded.latency_total, \
             latency_max = CASE WHEN excluded.latency_max > rollup_hourly.latency_max \
             THEN excluded.latency_max ELSE rollup_hourly.latency_max END",
        )
        .bind(check)
        .bind(at - at.rem_euclid(3600))
        .bind(i64::from(!ok))
        .bind(latency_ms)
        .execute(&mut *tx)
        .await
        .doing("add the result to its hour")?;
        sqlx::query(
            "INSERT INTO check_state (check_id, health, failures, successes, incident, since, last_at, last_message, \
             last_latency, cert_expiry, first_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $7) \
             ON CONFLICT (check_id) DO UPDATE SET health = excluded.health, failures = excluded.failures, \
             successes = excluded.successes, incident = excluded.incident, since = excluded.since, \
             last_at = excluded.last_at, last_message = excluded.last_message, \
             last_latency = excluded.last_latency, \
             cert_expiry = COALESCE(excluded.cert_expiry, check_state.cert_expiry), \
             first_at = COALESCE(check_state.first_at, excluded.first_at)",
        )
        .bind(check)
        .bind(state.health.as_str())
        .bind(i64::from(state.failures))
        .bind(i64::from(state.successes))
        .bind(state.incident)
        .bind(state.since)
        .bind(at)
        .bind(message)
        .bind(latency_ms)
        .bind(cert_expiry)
        .execute(&mut *tx)
        .await
        .doing("update check state")?;
        if let Some(transition) = transition {
            sqlx::query(
                "INSERT INTO events (check_id, at, kind, incident, message) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(check)
            .bind(at)
            .bind(transition.kind())
            .bind(transition.incident())
            .bind(message)
            .execute(&mut *tx)
            .await
            .doing("insert event")?;
        }
        if let Some(batch) = alerts {
            for (channel, payload) in batch.per_channel {
                let key = format!("{check}|{}|{}|{channel}", batch.incident, batch.kind);
                sqlx::query(
                    "INSERT INTO outbox (alert_key, channel, payload, created_at, attempts, next_at) \
                     VALUES ($1, $2, $3, $4, 0, $4) ON CONFLICT (alert_key) DO NOTHING",
                )
                .bind(key)
                .bind(channel)
                .bind(payload)
                .bind(at)
                .execute(&mut *tx)
                .await
                .doing("queue alert")?;
            }
        }
        tx.commit().await.doing("commit")?;
        // The same as the statement above does to the row.
        let mut board = self.lock_board();
        if board.loaded.is_some() {
            let entry = board
                .by_check
                .entry(check.to_string())
                .or_insert_with(|| CheckStatus {
                    check: check.to_string(),
                    health: state.health,
                    since: state.since,
                    last_at: at,
                    last_message: String::new(),
                    incident: state.incident,
                    latency_ms: None,
                    cert_expiry: None,
                    first_at: at,
                });
            entry.health = state.health;
            entry.since = state.since;
            entry.last_at = at;
            entry.last_message = message.to_string();
            entry.incident = state.incident;
            entry.latency_ms = Some(latency_ms);
            entry.cert_expiry = cert_expiry.or(entry.cert_expiry);
            board.snapshot = None;
        }
        Ok(())
    }

    /// The board, even if a panic elsewhere poisoned its lock (it holds plain data, rebuilt
    /// from the database when in doubt).
    fn lock_board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tells the store whether this process records results (leads), so its board is exact;
    /// on taking the role over, the board is read again once (the previous leader wrote it).
    pub fn set_recording(&self, recording: bool) {
        if !self.shared {
            return;
        }
        let was = self
            .recording
            .swap(recording, std::sync::atomic::Ordering::SeqCst);
        if recording && !was {
            self.lock_board().loaded = None;
        }
    }

    /// The current state of every check that has run, by id: from memory, read from the
    /// database only the first time (and, in a process that does not record, when stale).
    pub async fn statuses(&self) -> Result<std::sync::Arc<Vec<CheckStatus>>, StoreError> {
        {
            let mut board = self.lock_board();
            let exact = self.recording.load(std::sync::atomic::Ordering::SeqCst);
            let fresh = board
                .loaded
                .is_some_and(|at| exact || at.elapsed() < BOARD_MAX_AGE);
            if fresh {
                let Board {
                    by_check, snapshot, ..
                } = &mut *board;
                let snapshot = snapshot
                    .get_or_insert_with(|| {
                        std::sync::Arc::new(by_check.values().cloned().collect())
                    })
                    .clone();
                return Ok(snapshot);
            }
        }
        let read = self.read_statuses().await?;
        let snapshot = std::sync::Arc::new(read);
        let mut board = self.lock_board();
        board.by_check = snapshot
            .iter()
            .map(|s| (s.check.clone(), s.clone()))
            .collect();
        board.snapshot = Some(snapshot.clone());
        board.loaded = Some(std::time::Instant::now());
        Ok(snapshot)
    }

    /// Takes or renews the lease `name` for `holder` until `now + ttl`, unless another holder's
    /// lease is still running. Returns whether `holder` holds it now. One statement, so two
    /// watchers racing for an expired lease cannot both win.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl: i64,
    ) -> Result<bool, StoreError> {
        if !self.shared {
            // A SQLite file serves one process, and a restarted one must not wait out the lease
            // of the process it replaces.
            return Ok(true);
        }
        sqlx::query(
            "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
             WHERE leases.until_at < $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl)
        .bind(now)
        .execute(&self.pool)
        .await
        .doing("take lease")?;
        let row = sqlx::query("SELECT holder FROM leases WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .doing("read lease")?;
        Ok(row.try_get::<String, _>(0).doing("holder")? == holder)
    }

    /// Says this watcher is alive at `now` (every watcher does, a few times per lease).
    pub async fn see_watcher(&self, holder: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO watchers (holder, seen_at) VALUES ($1, $2) \
             ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await
        .doing("record a live watcher")?;
        Ok(())
    }

    /// The watchers seen at or after `since`.
    pub async fn live_watchers(&self, since: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT holder FROM watchers WHERE seen_at >= $1 ORDER BY holder")
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .doing("read live watchers")?;
        rows.iter()
            .map(|row| row.try_get(0).doing("holder"))
            .collect()
    }

    /// Keeps what `watcher` saw of `check` at `at`, replacing what it saw before.
    pub async fn observe(
        &self,
        check: &str,
        watcher: &str,
        at: i64,
        ok: bool,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO observations (check_id, watcher, at, ok, message) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (check_id, watcher) DO UPDATE SET at = excluded.at, ok = excluded.ok, \
             message = excluded.message",
        )
        .bind(check)
        .bind(watcher)
        .bind(at)
        .bind(i64::from(ok))
        .bind(message)
        .execute(&self.pool)
        .await
        .doing("record an observation")?;
        Ok(())
    }

    /// What each watcher last saw of `check`, if it saw it at or after `since`, by watcher.
    pub async fn observations(
        &self,
        check: &str,
        since: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let rows = sqlx::query(
            "SELECT watcher, at, ok, message FROM observations WHERE check_id = $1 AND at >= $2 \
             ORDER BY watcher",
        )
        .bind(check)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .doing("read observations")?;
        rows.iter()
            .map(|row| {
                Ok(Observation {
                    watcher: row.try_get(0).doing("watcher")?,
                    at: row.try_get(1).doing("at")?,
                    ok: row.try_get::<i64, _>(2).doing("ok")? != 0,
                    message: row.try_get(3).doing("message")?,
                })
            })
            .collect()
    }

    /// Whether several processes may share this store (PostgreSQL).
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// Claims up to `limit` alerts due at `now` for delivery by this process: each is hidden from
    /// other watchers for `hold` seconds, so two watchers on one PostgreSQL never send the same
    /// alert (`FOR UPDATE SKIP LOCKED`: a row another watcher is claiming is skipped, not waited on).
    pub async fn claim_alerts(
        &self,
        now: i64,
        limit: i64,
        hold: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        if !self.shared {
            // SQLite serves one process: nothing to race with.
            return self.due_alerts(now, limit).await;
        }
        let rows = sqlx::query(
            "UPDATE outbox SET next_at = $1 WHERE alert_key IN (\
             SELECT alert_key FROM outbox WHERE delivered_at IS NULL AND next_at <= $2 \
             ORDER BY created_at, alert_key LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING alert_key, channel, payload, attempts",
        )
        .bind(now + hold)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("claim alerts")?;
        rows.iter().map(alert_from).collect()
    }

    /// Alerts due for delivery at `now`, oldest first.
    pub async fn due_alerts(&self, now: i64, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query(
            "SELECT alert_key, channel, payload, attempts FROM outbox \
             WHERE delivered_at IS NULL AND next_at <= $1 ORDER BY created_at, alert_key LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .doing("read outbox")?;
        rows.iter().map(alert_from).collect()
    }

    /// Marks an alert delivered.
    pub async fn delivered(&self, key: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE alert_key = $2",
        )
        .bind(at)
        .bind(key)
        .execute(&self.pool)
        .await
        .doing("mark delivered")?;
        Ok(())
    }

    /// Records a failed delivery and when to try again.
    pub async fn failed(&self, key: &str, next_at: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE alert_key = $3",
        )
        .bind(next_at)
        .bind(error)
        .bind(key)
        .execute(&self.pool)
        .await
        .doing("record failed delivery")?;
        Ok(())
    }

    /// Alerts not yet delivered.
    pub async fn pending_alerts(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
            .fetch_one(&self.reader)
            .await
            .doing("count outbox")?;
        row.try_get(0).doing("count")
    }

    /// The latest results of a check, newest first.
    pub async fn history(&self, check: &str, limit: i64) -> Result<Vec<StoredResult>, StoreError> {
        self.history_page(check, None, None, limit).await
    }

    /// A page of a check's results, newest first: those before `before` (unix seconds), only
    /// passed or only failed ones when `ok` says which. One indexed range read.
    pub async fn history_page(
        &self,
        check: &str,
        before: Option<i64>,
        ok: Option<bool>,
        limit: i64,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, ok, latency_ms, message FROM results WHERE check_id = $1 AND at < $2 \
             AND ($3 < 0 OR ok = $3) ORDER BY at DESC LIMIT $4",
        )
        .bind(check)
        .bind(before.unwrap_or(i64::MAX))
        .bind(ok.map_or(-1, i64::from))
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .doing("read history")?;
        rows.iter()
            .map(|row| {
                Ok(StoredResult {
                    at: row.try_get(0).doing("at")?,
                    ok: row.try_get::<i64, _>(1).doing("ok")? != 0,
                    latency_ms: row.try_get(2).doing("latency_ms")?,
                    message: row.try_get(3).doing("message")?,
                })
            })
            .collect()
    }

    /// The current state of every check that has run, by id, as the database holds it.
    async fn read_statuses(&self) -> Result<Vec<CheckStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT check_id, health, since, last_at, last_message, incident, last_latency, cert_expiry, first_at \
             FROM check_state ORDER BY check_id",
        )
        .fetch_all(&self.reader)
        .await
        .doing("read check states")?;
        rows.iter()
            .map(|row| {
                Ok(CheckStatus {
                    check: row.try_get(0).doing("check_id")?,
                    health: Health::parse(&row.try_get::<String, _>(1).doing("health")?),
                    since: row.try_get(2).doing("since")?,
                    last_at: row.try_get(3).doing("last_at")?,
                    last_message: row.try_get(4).doing("last_message")?,
                    incident: row.try_get(5).doing("incident")?,
                    latency_ms: row.try_get(6).doing("latency")?,
                    cert_expiry: row.try_get(7).doing("cert_expiry")?,
                    first_at: row
                        .try_get::<Option<i64>, _>(8)
                        .doing("first_at")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Records a heartbeat of a backup job.
    pub async fn record_heartbeat(
        &self,
        name: &str,
        at: i64,
        ok: bool,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO heartbeats (name, at, ok, message) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(at)
            .bind(i64::from(ok))
            .bind(message)
            .execute(&self.pool)
            .await
            .doing("record heartbeat")?;
        Ok(())
    }

    /// Records that a run of a backup job started (`/start`).
    pub async fn record_start(&self, name: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO heartbeats (name, at, ok, message, phase) VALUES ($1, $2, 1, '', 'start')",
        )
        .bind(name)
        .bind(at)
        .execute(&self.pool)
        .await
        .doing("record heartbeat start")?;
        Ok(())
    }

    /// When the latest run of a backup job started, if one ever did.
    pub async fn last_start(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT at FROM heartbeats WHERE name = $1 AND phase = 'start' ORDER BY at DESC LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .doing("read heartbeat start")?;
        row.map(|row| row.try_get(0).doing("at")).transpose()
    }

    /// The latest heartbeat of a backup job: (at, ok, message).
    pub async fn last_heartbeat(
        &self,
        name: &str,
    ) -> Result<Option<(i64, bool, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT at, ok, message FROM heartbeats WHERE name = $1 AND phase = 'finish' \
             ORDER BY at DESC LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .doing("read heartbeat")?;
        row.map(|row| {
            Ok((
                row.try_get(0).doing("at")?,
                row.try_get::<i64, _>(1).doing("ok")? != 0,
                row.try_get(2).doing("message")?,
            ))
        })
        .transpose()
    }

    /// State changes since `since` (unix seconds), oldest first: (check, at, kind, incident, message).
    pub async fn events_since(&self, since: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT check_id, at, kind, incident, message FROM events WHERE at >= $1 ORDER BY at, check_id",
        )
        .bind(since)
        .fetch_all(&self.reader)
        .await
        .doing("read events")?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    check: row.try_get(0).doing("check_id")?,
                    at: row.try_get(1).doing("at")?,
                    kind: row.try_get(2).doing("kind")?,
                    incident: row.try_get(3).doing("incident")?,
                    message: row.try_get(4).doing("message")?,
                })
            })
            .collect()
    }

    /// The latencies of each check's last `per_check` successful results, by check: one short
    /// indexed read per check, so a page about a few checks never scans everyone's history.
    pub async fn recent_latencies(
        &self,
        checks: &[&str],
        per_check: i64,
    ) -> Result<std::collections::HashMap<String, Vec<i64>>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for check in checks {
            let rows = sqlx::query(
                "SELECT latency_ms FROM results WHERE check_id = $1 AND ok = 1 ORDER BY at DESC LIMIT $2",
            )
            .bind(*check)
            .bind(per_check)
            .fetch_all(&self.reader)
            .await
            .doing("read latencies")?;
            let latencies = rows
                .iter()
                .map(|row| row.try_get(0).doing("latency"))
                .collect::<Result<Vec<i64>, _>>()?;
            out.insert(check.to_string(), latencies);
        }
        Ok(out)
    }

    /// Rolls raw results up into hourly and hourly into daily figures (runs, failures, latency),
    /// then deletes what is older than `retention` keeps. Idempotent: a rollup is recomputed
    /// from its sources, so running it twice, or on two watchers, changes nothing. Delivered
    /// alerts older than the events are dropped too; pending ones never are.
    pub async fn compact(&self, now: i64, retention: Retention) -> Result<(), StoreError> {
        const HOUR: i64 = 3600;
        const DAY: i64 = 86_400;
        let this_hour = now - now.rem_euclid(HOUR);
        let today = now - now.rem_euclid(DAY);
        // Incremental: from the last hour (day) already rolled up, redone once in case it was
        // rolled up while still filling, and never further back than the raw results reach.
        let latest = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_one(&self.pool)
                .await
                .doing("read the latest rollup")
                .and_then(|row| row.try_get::<Option<i64>, _>(0).doing("latest rollup"))
        };
        let hours_from = latest("SELECT MAX(hour) FROM rollup_hourly")
            .await?
            .map_or(this_hour - 2 * DAY, |h| (h - HOUR).max(this_hour - 2 * DAY));
        let days_from = latest("SELECT MAX(day) FROM rollup_daily")
            .await?
            .map_or(today - 3 * DAY, |d| (d - DAY).max(today - 3 * DAY));
        // Figures are computed on the read connections (beside the writer, under WAL) one hour
        // (day) at a time and written in short batches: recording results never waits for a
        // scan of the history.
        // Hours recorded since rollups became incremental are complete already; only those
        // before (a store from an earlier version) are summed up from their raw results.
        let incremental_from: Option<i64> =
            sqlx::query("SELECT applied_at FROM schema_version WHERE version = $1")
                .bind(INCREMENTAL_ROLLUPS)
                .fetch_optional(&self.reader)
                .await
                .doing("read when rollups became incremental")?
                .map(|row| row.try_get(0).doing("applied_at"))
                .transpose()?;
        let sum_until = incremental_from.map_or(this_hour, |at| {
            (at - at.rem_euclid(HOUR) + HOUR).min(this_hour)
        });
        let mut hour = hours_from;
        while hour < sum_until {
            let rows = sqlx::query(
                "SELECT check_id, COUNT(*), CAST(SUM(1 - ok) AS BIGINT), CAST(SUM(latency_ms) AS BIGINT), \
                 MAX(latency_ms) FROM results WHERE at >= $1 AND at < $2 GROUP BY check_id",
            )
            .bind(hour)
            .bind(hour + HOUR)
            .fetch_all(&self.reader)
            .await
            .doing("sum up an hour of results")?;
            self.write_rollups("rollup_hourly", "hour", hour, &rows)
                .await?;
            hour += HOUR;
        }
        let mut day = days_from;
        while day < today {
            let rows = sqlx::query(
                "SELECT check_id, CAST(SUM(runs) AS BIGINT), CAST(SUM(failures) AS BIGINT), \
                 CAST(SUM(latency_total) AS BIGINT), MAX(latency_max) FROM rollup_hourly \
                 WHERE hour >= $1 AND hour < $2 GROUP BY check_id",
            )
            .bind(day)
            .bind(day + DAY)
            .fetch_all(&self.reader)
            .await
            .doing("sum up a day of hours")?;
            self.write_rollups("rollup_daily", "day", day, &rows)
                .await?;
            day += DAY;
        }
        // Raw results go at most 10,000 at a time, oldest first (by the `at` index), each slice a
        // short transaction of its own.
        let cutoff = now - retention.results;
        loop {
            let boundary: Option<i64> = sqlx::query(
                "SELECT at FROM results WHERE at < $1 ORDER BY at LIMIT 1 OFFSET 10000",
            )
            .bind(cutoff)
            .fetch_optional(&self.reader)
            .await
            .doing("find the oldest results")?
            .map(|row| row.try_get(0).doing("at"))
            .transpose()?;
            let upto = boundary.unwrap_or(cutoff);
            sqlx::query("DELETE FROM results WHERE at < $1")
                .bind(upto)
                .execute(&self.pool)
                .await
                .doing("delete old results")?;
            if boundary.is_none() {
                break;
            }
        }
        for (statement, keep) in [
            (
                "DELETE FROM rollup_hourly WHERE hour < $1",
                retention.hourly,
            ),
            ("DELETE FROM rollup_daily WHERE day < $1", retention.daily),
            ("DELETE FROM events WHERE at < $1", retention.events),
            ("DELETE FROM heartbeats WHERE at < $1", retention.events),
            (
                "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1",
                retention.events,
            ),
        ] {
            sqlx::query(statement)
                .bind(now - keep)
                .execute(&self.pool)
                .await
                .doing("delete old history")?;
        }
        Ok(())
    }

    /// Writes the figures of one period (`check_id`, runs, failures, latency total, latency
    /// max per row) into a rollup table, replacing what it held for that period, 500 rows per
    /// statement (each its own transaction, well under either database's parameter limit).
    async fn write_rollups(
        &self,
        table: &'static str,
        period_column: &'static str,
        period: i64,
        rows: &[AnyRow],
    ) -> Result<(), StoreError> {
        const PER_STATEMENT: usize = 500;
        for chunk in rows.chunks(PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                })
                .collect();
            let statement = format!(
                "INSERT INTO {table} (check_id, {period_column}, runs, failures, latency_total, latency_max) \
                 VALUES {} ON CONFLICT (check_id, {period_column}) DO UPDATE SET runs = excluded.runs, \
                 failures = excluded.failures, latency_total = excluded.latency_total, \
                 latency_max = excluded.latency_max",
                values.join(", ")
            );
            // Safe to assemble: the table and column names are this module's constants and every
            // value is a bound parameter (`QueryBuilder` would write `?`, which PostgreSQL refuses).
            let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
            for row in chunk {
                query = query
                    .bind(row.try_get::<String, _>(0).doing("check_id")?)
                    .bind(period)
                    .bind(row.try_get::<i64, _>(1).doing("runs")?)
                    .bind(
                        row.try_get::<Option<i64>, _>(2)
                            .doing("failures")?
                            .unwrap_or(0),
                    )
                    .bind(
                        row.try_get::<Option<i64>, _>(3)
                            .doing("latency total")?
                            .unwrap_or(0),
                    )
                    .bind(
                        row.try_get::<Option<i64>, _>(4)
                            .doing("latency max")?
                            .unwrap_or(0),
                    );
            }
            query
                .execute(&self.pool)
                .await
                .doing(&format!("write {table}"))?;
        }
        Ok(())
    }

    /// Daily figures of a check, oldest first: (day, runs, failures, mean latency ms).
    pub async fn daily(&self, check: &str) -> Result<Vec<(i64, i64, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, runs, failures, latency_total FROM rollup_daily WHERE check_id = $1 ORDER BY day",
        )
        .bind(check)
        .fetch_all(&self.reader)
        .await
        .doing("read daily rollups")?;
        rows.iter()
            .map(|row| {
                let runs: i64 = row.try_get(1).doing("runs")?;
                let total: i64 = row.try_get(3).doing("latency_total")?;
                Ok((
                    row.try_get(0).doing("day")?,
                    runs,
                    row.try_get(2).doing("failures")?,
                    total / runs.max(1),
                ))
            })
            .collect()
    }

    /// Closes the pool, waiting for in-flight statements.
    pub async fn close(&self) {
        self.reader.close().await;
        self.pool.close().await;
    }
}

/// An outbox row (alert_key, channel, payload, attempts) as an [`Alert`].
fn alert_from(row: &AnyRow) -> Result<Alert, StoreError> {
    Ok(Alert {
        key: row.try_get(0).doing("alert_key")?,
        channel: row.try_get(1).doing("channel")?,
        payload: row.try_get(2).doing("payload")?,
        attempts: row.try_get(3).doing("attempts")?,
    })
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_states_events_and_the_outbox_round_trip_in_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.db");
        let store = Store::open(path.to_str().unwrap()).await.unwrap();
        let state = CheckState {
            health: Health::Down,
            failures: 3,
            successes: 0,
            incident: 1,
            since: 100,
        };
        let alerts = AlertBatch {
            kind: "down".into(),
            incident: 1,
            per_channel: vec![("webhook".to_string(), "{\"text\":\"down\"}".to_string())],
        };
        let transition = Transition::Down { incident: 1 };
        store
            .record(
                "c",
                100,
                false,
                12,
                "refused",
                None,
                &state,
                Some(transition),
                Some(alerts.clone()),
            )
            .await
            .unwrap();
        // The same transition recorded again (a retried write) queues nothing new.
        store
            .record(
                "c",
                101,
                false,
                12,
                "refused",
                None,
                &state,
                Some(transition),
                Some(alerts),
            )
            .await
            .unwrap();
        assert_eq!(store.state("c").await.unwrap(), state);
        let due = store.due_alerts(200, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].key, "c|1|down|webhook");
        store.failed(&due[0].key, 300, "HTTP 500").await.unwrap();
        assert!(
            store.due_alerts(200, 10).await.unwrap().is_empty(),
            "backed off"
        );
        store.delivered(&due[0].key, 300).await.unwrap();
        assert!(store.due_alerts(400, 10).await.unwrap().is_empty());
        assert_eq!(store.pending_alerts().await.unwrap(), 0);
        assert_eq!(store.history("c", 5).await.unwrap().len(), 2);
        // History a page at a time, from a cursor, and only failures.
        let newest = store.history_page("c", None, None, 1).await.unwrap();
        assert_eq!(newest.len(), 1);
        let older = store
            .history_page("c", Some(newest[0].at), None, 10)
            .await
            .unwrap();
        assert_eq!(older.len(), 1);
        assert!(older[0].at < newest[0].at);
        let failed = store
            .history_page("c", None, Some(false), 10)
            .await
            .unwrap();
        assert!(
            !failed.is_empty() && failed.iter().all(|r| !r.ok),
            "{failed:?}"
        );
        let passed = store.history_page("c", None, Some(true), 10).await.unwrap();
        assert!(passed.iter().all(|r| r.ok), "{passed:?}");
        assert_eq!(failed.len() + passed.len(), 2);
        // Rollups and retention: a day of old results becomes one daily row and goes.
        let day = 86_400;
        let now = 40 * day;
        for (at, ok) in [
            (30 * day + 10, true),
            (30 * day + 3700, false),
            (30 * day + 7300, true),
        ] {
            store
                .record(
                    "old",
                    at,
                    ok,
                    20,
                    "m",
                    None,
                    &CheckState::default(),
                    None,
                    None,
                )
                .await
                .unwrap();
        }
        store.compact(32 * day, Retention::default()).await.unwrap();
        store.compact(32 * day, Retention::default()).await.unwrap();
        assert_eq!(store.daily("old").await.unwrap(), [(30 * day, 3, 1, 20)]);
        let short = Retention {
            results: 5 * day,
            ..Retention::default()
        };
        store.compact(now, short).await.unwrap();
        assert!(
            store.history("old", 10).await.unwrap().is_empty(),
            "raw results expired"
        );
        assert_eq!(
            store.daily("old").await.unwrap().len(),
            1,
            "the rollup stays"
        );
        store.close().await;
        // Reopening keeps everything and does not migrate twice.
        let again = Store::open(path.to_str().unwrap()).await.unwrap();
        assert_eq!(again.state("c").await.unwrap().incident, 1);
    }
}
