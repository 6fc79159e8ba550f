//! Everything at rest is encrypted, and any altered byte is an integrity error, never a wrong
//! value or a panic.

use std::path::Path;

use hush_core::Error;
use hush_core::address::Address;
use hush_core::secret::SecretString;
use hush_core::session::{Session, system_clock, unwrap_account_key};
use hush_core::store::Store;
use hush_tests::{Device, PASSWORD, contains_bytes, files_under};
use sqlx::Row;

const VALUE: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const NAME: &str = "STRIPE_SECRET_KEY_UNIQUE";
const NOTE: &str = "the-note-text-written-by-a-person";
const TAG: &str = "tag-typed-by-a-person";
const VAULT: &str = "vault-name-typed-by-a-person";
const TEAM: &str = "team-name-typed-by-a-person";
const PERSON: &str = "display-name-of-a-person";

fn populated() -> Device {
    let d = Device::init(PERSON);
    d.hush(&["team", "create", TEAM]).assert().success();
    d.hush(&["vault", "create", VAULT]).assert().success();
    let addr = format!("{VAULT}/{NAME}");
    d.hush(&[
        "set",
        &addr,
        VALUE,
        "--note",
        NOTE,
        "--tag",
        TAG,
        "--url",
        "https://provider.example/keys",
    ])
    .assert()
    .success();
    d
}

#[test]
fn nothing_a_person_typed_is_stored_in_plaintext() {
    let d = populated();
    // Keep the agent running during the search too: it must not write secrets anywhere.
    d.hush(&["unlock"]).assert().success();
    d.hush_no_password(&["get", &format!("{VAULT}/{NAME}")])
        .assert()
        .success();
    let needles: [&str; 8] = [
        VALUE,
        NAME,
        NOTE,
        TAG,
        VAULT,
        TEAM,
        PERSON,
        "provider.example",
    ];
    let mut checked = 0;
    for file in files_under(d.dir.path()) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        checked += bytes.len();
        for n in needles {
            assert!(
                !contains_bytes(&bytes, n.as_bytes()),
                "{n:?} found in plaintext in {}",
                file.display()
            );
            // SQLite may store text as UTF-16 in some configurations; check that form too.
            let utf16: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert!(
                !contains_bytes(&bytes, &utf16),
                "{n:?} (UTF-16) found in {}",
                file.display()
            );
        }
    }
    d.hush(&["lock"]).assert().success();
    assert!(
        checked > 4096,
        "the data directory should contain the database ({checked} bytes)"
    );
    // The value is really there (the test would be vacuous otherwise).
    assert_eq!(
        d.out(&["get", &format!("{VAULT}/{NAME}")]),
        format!("{VALUE}\n")
    );
}

/// Every (table, column, key) that holds ciphertext or authenticated bytes.
async fn sealed_cells(db: &Path) -> Vec<(String, String, String, usize)> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open db");
    let mut cells = Vec::new();
    for col in ["account_key", "identity", "teams", "teams_mac"] {
        let len: Vec<u8> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {col} FROM header")))
                .fetch_one(&pool)
                .await
                .expect("header");
        cells.push(("header".into(), col.into(), "id = 1".into(), len.len()));
    }
    for row in sqlx::query("SELECT hex(team_id), length(settings), length(head_mac) FROM teams")
        .fetch_all(&pool)
        .await
        .expect("teams")
    {
        let id: String = row.get(0);
        cells.push((
            "teams".into(),
            "settings".into(),
            format!("team_id = x'{id}'"),
            row.get::<i64, _>(1) as usize,
        ));
        cells.push((
            "teams".into(),
            "head_mac".into(),
            format!("team_id = x'{id}'"),
            row.get::<i64, _>(2) as usize,
        ));
    }
    for row in sqlx::query("SELECT hex(team_id), seq, length(bytes) FROM events")
        .fetch_all(&pool)
        .await
        .expect("events")
    {
        let id: String = row.get(0);
        let seq: i64 = row.get(1);
        cells.push((
            "events".into(),
            "bytes".into(),
            format!("team_id = x'{id}' AND seq = {seq}"),
            row.get::<i64, _>(2) as usize,
        ));
    }
    pool.close().await;
    cells
}

async fn flip(db: &Path, table: &str, col: &str, cond: &str, pos: usize) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open db");
    let sql = format!("SELECT {col} FROM {table} WHERE {cond}");
    let mut v: Vec<u8> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&pool)
        .await
        .expect("read");
    v[pos] ^= 0x01;
    let sql = format!("UPDATE {table} SET {col} = ? WHERE {cond}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(v)
        .execute(&pool)
        .await
        .expect("write");
    pool.close().await;
}

fn copy_home(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in ["hush.db", "hush.db-wal", "hush.db-shm"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).expect("copy");
        }
    }
}

#[test]
fn every_flipped_byte_of_every_sealed_row_is_an_integrity_error() {
    let d = populated();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let home = d.home();
    let password = SecretString::new(PASSWORD.into());
    let addr = Address::parse(&format!("{TEAM}/{VAULT}/{NAME}")).expect("address");
    let account = rt.block_on(async {
        let store = Store::open(&home).await.expect("open");
        let k = unwrap_account_key(&store, &password).await.expect("unwrap");
        store.close().await;
        k
    });
    let cells = rt.block_on(sealed_cells(&Store::db_path(&home)));
    assert!(
        cells.len() >= 8,
        "expected header, team and event rows: {cells:?}"
    );
    // The largest event is the one that carries the secret: flip every one of its bytes.
    let largest_event = cells
        .iter()
        .filter(|c| c.0 == "events")
        .max_by_key(|c| c.3)
        .map(|c| c.2.clone())
        .expect("an event");
    let scratch = tempfile::tempdir().expect("tmp");
    let mut trials = 0;
    for (table, col, cond, len) in &cells {
        // Positions spread over the cell, including its first and last byte.
        let mut positions: Vec<usize> = (0..8).map(|i| i * len / 8).collect();
        positions.push(len - 1);
        if *cond == largest_event {
            positions = (0..*len).collect(); // one event: every single byte
        }
        positions.dedup();
        for pos in positions {
            let h = scratch.path().join(format!("h{trials}"));
            copy_home(&home, &h);
            rt.block_on(flip(&Store::db_path(&h), table, col, cond, pos));
            let outcome = rt.block_on(async {
                if col == "account_key" {
                    // The account key is only read through the password.
                    Session::unlock(&h, &password, system_clock())
                        .await
                        .map(|s| s.get(None, &addr).map(|v| v.expose().to_owned()))
                } else {
                    Session::unlock_with_key(&h, account.clone(), system_clock())
                        .await
                        .map(|s| s.get(None, &addr).map(|v| v.expose().to_owned()))
                }
            });
            match outcome {
                Err(Error::Integrity(_)) | Err(Error::WrongPassword) => {}
                Err(other) => panic!("{table}.{col} byte {pos}: unexpected error kind: {other}"),
                Ok(Ok(v)) => panic!(
                    "{table}.{col} byte {pos}: tampering went unnoticed (value {})",
                    if v == VALUE { "unchanged" } else { "CHANGED" }
                ),
                Ok(Err(e)) => assert!(
                    matches!(e, Error::Integrity(_)),
                    "{table}.{col} byte {pos}: {e}"
                ),
            }
            std::fs::remove_dir_all(&h).ok();
            trials += 1;
        }
    }
    assert!(trials > 500, "only {trials} trials");
    // And the CLI reports such damage as one clean line.
    rt.block_on(flip(
        &Store::db_path(&home),
        "events",
        "bytes",
        &cells.last().expect("event").2,
        40,
    ));
    let e = d.fails(&["ls"]);
    assert!(e.contains("integrity check failed"), "{e}");
}

#[test]
fn swapping_or_dropping_stored_events_is_detected() {
    let d = populated();
    d.hush(&["set", &format!("{VAULT}/SECOND"), "another"])
        .assert()
        .success();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = Store::db_path(&d.home());
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        // Move the newest event's bytes into the previous slot (a ciphertext moved between versions).
        let team: Vec<u8> = sqlx::query_scalar(
            "SELECT team_id FROM events GROUP BY team_id ORDER BY count(*) DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .expect("team");
        let max: i64 = sqlx::query_scalar("SELECT max(seq) FROM events WHERE team_id = ?")
            .bind(&team)
            .fetch_one(&pool)
            .await
            .expect("max");
        let last: Vec<u8> =
            sqlx::query_scalar("SELECT bytes FROM events WHERE team_id = ? AND seq = ?")
                .bind(&team)
                .bind(max)
                .fetch_one(&pool)
                .await
                .expect("last");
        sqlx::query("UPDATE events SET bytes = ? WHERE team_id = ? AND seq = ?")
            .bind(&last)
            .bind(&team)
            .bind(max - 1)
            .execute(&pool)
            .await
            .expect("swap");
        pool.close().await;
    });
    let e = d.fails(&["ls"]);
    assert!(e.contains("integrity check failed"), "{e}");

    // Dropping the newest event (a rollback of the local log) is caught by the checkpoint.
    let d = populated();
    d.hush(&["set", &format!("{VAULT}/SECOND"), "another"])
        .assert()
        .success();
    let db = Store::db_path(&d.home());
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.expect("open");
        sqlx::query("DELETE FROM events WHERE (team_id, seq) IN (SELECT team_id, max(seq) FROM events GROUP BY team_id)").execute(&pool).await.expect("delete");
        pool.close().await;
    });
    let e = d.fails(&["ls"]);
    assert!(
        e.contains("integrity check failed") && e.contains("checkpoint"),
        "{e}"
    );
}

/// Runs `sql` (statements separated by `;`) on the store's database, as someone who edits the
/// data directory without the password could.
fn edit_db(d: &Device, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = Store::db_path(&d.home());
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        pool.close().await;
    });
}

/// `hush ls` and `hush audit verify` both refuse the store, exit non-zero, and say `what`.
fn both_refuse(d: &Device, what: &str) {
    for args in [&["ls"][..], &["audit", "verify"][..]] {
        let e = d.fails(args);
        assert!(
            e.contains("integrity check failed") && e.contains(what),
            "hush {args:?}: {e}"
        );
    }
}

#[test]
fn emptying_the_store_is_an_integrity_error() {
    // Before: the store verifies.
    let d = populated();
    d.hush(&["audit", "verify"]).assert().success();

    // Every event and every checkpoint gone, team rows kept: an empty store.
    edit_db(
        &d,
        "DELETE FROM events; UPDATE teams SET head_seq = NULL, head_hash = NULL, head_mac = NULL",
    );
    both_refuse(&d, "lost its checkpoint");

    // Every event and every team row gone.
    let d = populated();
    edit_db(&d, "DELETE FROM events; DELETE FROM teams");
    both_refuse(&d, "is missing from the store");

    // One team (the one holding the secret) gone, the personal team kept.
    let d = populated();
    edit_db(
        &d,
        "DELETE FROM events WHERE team_id = (SELECT team_id FROM events GROUP BY team_id ORDER BY count(*) DESC LIMIT 1);
         DELETE FROM teams WHERE team_id NOT IN (SELECT team_id FROM events)",
    );
    both_refuse(&d, "is missing from the store");

    // And the commitment itself cannot be stripped to pass the store off as an old one.
    let d = populated();
    edit_db(
        &d,
        "DELETE FROM events; DELETE FROM teams; UPDATE header SET teams = NULL, teams_mac = NULL",
    );
    both_refuse(&d, "commitment to its teams was removed");
}

/// A team row's id and checkpoint (seq, hash, MAC), as copied out of the database.
type TeamRowCopy = (Vec<u8>, i64, Vec<u8>, Vec<u8>);

#[test]
fn a_team_rolled_back_to_an_older_valid_checkpoint_is_an_integrity_error() {
    let d = populated();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("sqlite://{}", Store::db_path(&d.home()).display());
    // Keep every team row as it is now (valid checkpoints with their MACs) ...
    let saved: Vec<TeamRowCopy> = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
        let rows = sqlx::query_as("SELECT team_id, head_seq, head_hash, head_mac FROM teams")
            .fetch_all(&pool)
            .await
            .expect("teams");
        pool.close().await;
        rows
    });
    // ... write once more, then drop the newer event and put the old rows back: each team's
    // log and checkpoint agree with each other again.
    d.hush(&["set", &format!("{VAULT}/SECOND"), "another"])
        .assert()
        .success();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
        let mut dropped = 0;
        for (team, seq, hash, mac) in &saved {
            dropped += sqlx::query("DELETE FROM events WHERE team_id = ? AND seq > ?")
                .bind(team)
                .bind(seq)
                .execute(&pool)
                .await
                .expect("delete")
                .rows_affected();
            sqlx::query(
                "UPDATE teams SET head_seq = ?, head_hash = ?, head_mac = ? WHERE team_id = ?",
            )
            .bind(seq)
            .bind(hash)
            .bind(mac)
            .bind(team)
            .execute(&pool)
            .await
            .expect("restore");
        }
        assert_eq!(dropped, 1, "exactly the newer event is dropped");
        pool.close().await;
    });
    both_refuse(&d, "was rolled back");
}

#[test]
fn a_store_from_before_the_team_commitment_is_upgraded_at_unlock() {
    // Make the store look like one written before the commitment existed: no commitment, and
    // the identity sealed the old way.
    let d = populated();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let home = d.home();
    rt.block_on(async {
        let store = Store::open(&home).await.expect("open");
        let account = unwrap_account_key(&store, &SecretString::new(PASSWORD.into()))
            .await
            .expect("unwrap");
        let (me, committed) = hush_core::session::open_identity(&store, &account)
            .await
            .expect("identity");
        assert!(committed, "a new store commits to its teams");
        let key = hush_core::crypto::subkey(&account, b"hush/v1/identity");
        let old = hush_core::crypto::seal(
            &key,
            &hush_core::session::identity_ad(&me.device_id, false),
            &me.to_secret_bytes(),
        );
        store.close().await;
        let pool =
            sqlx::SqlitePool::connect(&format!("sqlite://{}", Store::db_path(&home).display()))
                .await
                .expect("open");
        sqlx::query("UPDATE header SET identity = ?, teams = NULL, teams_mac = NULL")
            .bind(old)
            .execute(&pool)
            .await
            .expect("downgrade");
        pool.close().await;
    });
    // It opens, and the unlock adds the commitment ...
    assert_eq!(
        d.out(&["get", &format!("{VAULT}/{NAME}")]),
        format!("{VALUE}\n")
    );
    d.hush(&["audit", "verify"]).assert().success();
    // ... so emptying it now is caught like in any new store.
    edit_db(&d, "DELETE FROM events; DELETE FROM teams");
    both_refuse(&d, "is missing from the store");
}

#[test]
fn a_header_with_weakened_kdf_parameters_is_refused() {
    let d = populated();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = Store::db_path(&d.home());
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        sqlx::query("UPDATE header SET kdf_m_kib = 1024, kdf_t = 1")
            .execute(&pool)
            .await
            .expect("downgrade");
        pool.close().await;
    });
    let e = d.fails(&["ls"]);
    assert!(e.contains("below the safe minimum"), "{e}");
}

#[test]
fn a_file_that_is_not_a_store_is_a_clean_error() {
    let d = Device::new();
    std::fs::create_dir_all(d.home()).expect("mkdir");
    std::fs::write(
        d.home().join("hush.db"),
        b"this is not a database, just some text",
    )
    .expect("write");
    let e = d.fails(&["ls"]);
    assert!(
        e.contains("not a Hush database") || e.contains("database"),
        "{e}"
    );
}
