//! What the server keeps across restarts, behind [`Storage`]: accounts as
//! SCRAM records (never a password), rosters with versions, blocklists and
//! offline messages. [`SqliteStorage`] is the embedded default; another
//! backend (PostgreSQL for several nodes) implements the same trait.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use stanzio_jid::BareJid;
use stanzio_sasl::{HashAlgorithm, RecordParameters, StoredCredentials};

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The account exists already.
    #[error("the account {0} exists already")]
    AccountExists(String),
    /// No such account.
    #[error("no account {0}")]
    NoAccount(String),
    /// The password cannot be prepared (SASLprep refuses it).
    #[error("the password is not acceptable: {0}")]
    Password(String),
    /// The database was written by a newer version of this server.
    #[error("the database schema version {found} is newer than this server's {supported}")]
    SchemaTooNew {
        /// Found in the file.
        found: i64,
        /// What this build knows.
        supported: i64,
    },
    /// A stanza could not be written or read back.
    #[error("stored stanza: {0}")]
    Message(String),
    /// A lock was poisoned by a panic elsewhere.
    #[error("the storage lock was poisoned")]
    Poisoned,
}

/// A roster item as stored (RFC 6121 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRosterItem {
    /// The contact.
    pub jid: BareJid,
    /// The user's name for the contact.
    pub name: Option<String>,
    /// `none`, `to`, `from` or `both` (RFC 6121 §2.1.2.5).
    pub subscription: String,
    /// A subscription request of the user is pending (`ask='subscribe'`).
    pub ask: bool,
    /// The user pre-approved the contact's subscription (RFC 6121 §3.4).
    pub approved: bool,
    /// A contact's request is pending (RFC 6121 Appendix A "+PI" states),
    /// kept so it can be replayed at the next login (§3.1.3).
    pub pending_in: bool,
    /// Whether the user's roster shows the item: an entry that only holds
    /// a contact's pending request is not an item (RFC 6121 A.1, "None +
    /// Pending In").
    pub in_roster: bool,
    /// Groups.
    pub groups: Vec<String>,
}

/// The server's persistent state.
pub trait Storage: Send + Sync {
    /// Creates an account with SCRAM records for SHA-1, SHA-256 and
    /// SHA-512 derived from `password`.
    ///
    /// # Errors
    ///
    /// [`StorageError::AccountExists`], [`StorageError::Password`].
    fn create_account(&self, jid: &BareJid, password: &str) -> Result<(), StorageError>;
    /// Replaces the password (all records).
    ///
    /// # Errors
    ///
    /// [`StorageError::NoAccount`], [`StorageError::Password`].
    fn set_password(&self, jid: &BareJid, password: &str) -> Result<(), StorageError>;
    /// Deletes the account and everything it owns.
    ///
    /// # Errors
    ///
    /// [`StorageError::NoAccount`].
    fn delete_account(&self, jid: &BareJid) -> Result<(), StorageError>;
    /// The account's record for `hash`, if the account exists.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn credentials(
        &self,
        jid: &BareJid,
        hash: HashAlgorithm,
    ) -> Result<Option<StoredCredentials>, StorageError>;
    /// Whether the account exists.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn account_exists(&self, jid: &BareJid) -> Result<bool, StorageError>;
    /// The roster and its version (XEP-0237: a number that grows with every
    /// change).
    ///
    /// # Errors
    ///
    /// Database failures.
    fn roster(&self, owner: &BareJid) -> Result<(u64, Vec<StoredRosterItem>), StorageError>;
    /// Adds or replaces an item; returns the new roster version.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn put_roster_item(
        &self,
        owner: &BareJid,
        item: &StoredRosterItem,
    ) -> Result<u64, StorageError>;
    /// Removes an item; returns the new roster version.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn remove_roster_item(&self, owner: &BareJid, contact: &BareJid) -> Result<u64, StorageError>;
    /// The blocklist (XEP-0191), as the JIDs were given.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn blocklist(&self, owner: &BareJid) -> Result<Vec<String>, StorageError>;
    /// Adds entries to the blocklist.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn block(&self, owner: &BareJid, jids: &[String]) -> Result<(), StorageError>;
    /// Removes entries; an empty list clears it (XEP-0191 §3.5).
    ///
    /// # Errors
    ///
    /// Database failures.
    fn unblock(&self, owner: &BareJid, jids: &[String]) -> Result<(), StorageError>;
    /// Keeps a message (its XML) for an offline user, unless the user
    /// already has `limit` waiting; `false` when refused.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn store_offline(&self, owner: &BareJid, xml: &str, limit: usize)
    -> Result<bool, StorageError>;
    /// Takes every waiting message, oldest first.
    ///
    /// # Errors
    ///
    /// Database failures.
    fn take_offline(&self, owner: &BareJid) -> Result<Vec<String>, StorageError>;
    /// The server's secret for fake SCRAM records of unknown users: made
    /// once, then the same across restarts (a changing fake salt for one
    /// name would tell that the name does not exist).
    ///
    /// # Errors
    ///
    /// Database failures.
    fn server_secret(&self) -> Result<Vec<u8>, StorageError>;
}

/// The schema this build writes (SQLite `user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE accounts (jid TEXT PRIMARY KEY NOT NULL) STRICT;
CREATE TABLE credentials (
    jid TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    salt BLOB NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BLOB NOT NULL,
    server_key BLOB NOT NULL,
    PRIMARY KEY (jid, hash)
) STRICT;
CREATE TABLE roster_versions (
    owner TEXT PRIMARY KEY NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    version INTEGER NOT NULL
) STRICT;
CREATE TABLE roster (
    owner TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    name TEXT,
    subscription TEXT NOT NULL,
    ask INTEGER NOT NULL,
    approved INTEGER NOT NULL,
    pending_in INTEGER NOT NULL,
    in_roster INTEGER NOT NULL,
    groups TEXT NOT NULL,
    PRIMARY KEY (owner, contact)
) STRICT;
CREATE TABLE blocklist (
    owner TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    PRIMARY KEY (owner, jid)
) STRICT;
CREATE TABLE offline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    xml TEXT NOT NULL
) STRICT;
CREATE INDEX offline_owner ON offline(owner, id);
CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) STRICT;
";

/// Accounts, rosters, blocklists and offline messages in one SQLite file,
/// in WAL mode, every change one transaction: a crash mid-write leaves the
/// database as it was before the change or after it.
pub struct SqliteStorage {
    connection: Mutex<Connection>,
    parameters: RecordParameters,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage").finish_non_exhaustive()
    }
}

fn hash_name(hash: HashAlgorithm) -> &'static str {
    hash.as_str()
}

impl SqliteStorage {
    /// Opens (or creates) the database at `path`, migrating its schema.
    ///
    /// # Errors
    ///
    /// Database failures; [`StorageError::SchemaTooNew`].
    pub fn open(path: &Path, parameters: RecordParameters) -> Result<Self, StorageError> {
        Self::with_connection(Connection::open(path)?, parameters)
    }

    /// A database in memory (tests, the demo).
    ///
    /// # Errors
    ///
    /// Database failures.
    pub fn in_memory(parameters: RecordParameters) -> Result<Self, StorageError> {
        Self::with_connection(Connection::open_in_memory()?, parameters)
    }

    fn with_connection(
        connection: Connection,
        parameters: RecordParameters,
    ) -> Result<Self, StorageError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            connection.execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        Ok(SqliteStorage {
            connection: Mutex::new(connection),
            parameters,
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StorageError> {
        self.connection.lock().map_err(|_| StorageError::Poisoned)
    }

    fn records(&self, password: &str) -> Result<Vec<StoredCredentials>, StorageError> {
        // A failing OS random source is not recoverable here; `unwrap_err`
        // panics with the OS error, as `rand` does.
        let mut rng = rand_core::TryRngCore::unwrap_err(rand_core::OsRng);
        HashAlgorithm::STRONGEST_FIRST
            .into_iter()
            .map(|hash| {
                StoredCredentials::generate(hash, password, &self.parameters, &mut rng)
                    .map_err(|error| StorageError::Password(error.to_string()))
            })
            .collect()
    }

    fn write_records(
        transaction: &rusqlite::Transaction<'_>,
        jid: &str,
        records: &[StoredCredentials],
    ) -> Result<(), StorageError> {
        transaction.execute("DELETE FROM credentials WHERE jid = ?1", params![jid])?;
        for record in records {
            transaction.execute(
                "INSERT INTO credentials (jid, hash, salt, iterations, stored_key, server_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    jid,
                    hash_name(record.hash),
                    record.salt,
                    record.iterations,
                    record.stored_key,
                    record.server_key
                ],
            )?;
        }
        Ok(())
    }

    fn bump_version(
        transaction: &rusqlite::Transaction<'_>,
        owner: &str,
    ) -> Result<u64, StorageError> {
        transaction.execute(
            "INSERT INTO roster_versions (owner, version) VALUES (?1, 1) \
             ON CONFLICT(owner) DO UPDATE SET version = version + 1",
            params![owner],
        )?;
        let version: i64 = transaction.query_row(
            "SELECT version FROM roster_versions WHERE owner = ?1",
            params![owner],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(version).unwrap_or_default())
    }
}

impl Storage for SqliteStorage {
    fn create_account(&self, jid: &BareJid, password: &str) -> Result<(), StorageError> {
        // PBKDF2 runs outside the lock: three derivations take a while.
        let records = self.records(password)?;
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        let inserted = transaction.execute(
            "INSERT OR IGNORE INTO accounts (jid) VALUES (?1)",
            params![jid.as_str()],
        )?;
        if inserted == 0 {
            return Err(StorageError::AccountExists(jid.to_string()));
        }
        Self::write_records(&transaction, jid.as_str(), &records)?;
        transaction.commit()?;
        Ok(())
    }

    fn set_password(&self, jid: &BareJid, password: &str) -> Result<(), StorageError> {
        let records = self.records(password)?;
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        let exists: Option<i64> = transaction
            .query_row(
                "SELECT 1 FROM accounts WHERE jid = ?1",
                params![jid.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        if exists.is_none() {
            return Err(StorageError::NoAccount(jid.to_string()));
        }
        Self::write_records(&transaction, jid.as_str(), &records)?;
        transaction.commit()?;
        Ok(())
    }

    fn delete_account(&self, jid: &BareJid) -> Result<(), StorageError> {
        let connection = self.lock()?;
        let deleted =
            connection.execute("DELETE FROM accounts WHERE jid = ?1", params![jid.as_str()])?;
        if deleted == 0 {
            return Err(StorageError::NoAccount(jid.to_string()));
        }
        Ok(())
    }

    fn credentials(
        &self,
        jid: &BareJid,
        hash: HashAlgorithm,
    ) -> Result<Option<StoredCredentials>, StorageError> {
        let connection = self.lock()?;
        let record = connection
            .query_row(
                "SELECT salt, iterations, stored_key, server_key FROM credentials \
                 WHERE jid = ?1 AND hash = ?2",
                params![jid.as_str(), hash_name(hash)],
                |row| {
                    Ok(StoredCredentials {
                        hash,
                        salt: row.get(0)?,
                        iterations: row.get(1)?,
                        stored_key: row.get(2)?,
                        server_key: row.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(record)
    }

    fn account_exists(&self, jid: &BareJid) -> Result<bool, StorageError> {
        let connection = self.lock()?;
        let exists: Option<i64> = connection
            .query_row(
                "SELECT 1 FROM accounts WHERE jid = ?1",
                params![jid.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        Ok(exists.is_some())
    }

    fn roster(&self, owner: &BareJid) -> Result<(u64, Vec<StoredRosterItem>), StorageError> {
        let connection = self.lock()?;
        let version: Option<i64> = connection
            .query_row(
                "SELECT version FROM roster_versions WHERE owner = ?1",
                params![owner.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        let mut statement = connection.prepare(
            "SELECT contact, name, subscription, ask, approved, pending_in, in_roster, groups \
             FROM roster WHERE owner = ?1 ORDER BY contact",
        )?;
        let rows = statement.query_map(params![owner.as_str()], |row| {
            let contact: String = row.get(0)?;
            let groups: String = row.get(7)?;
            Ok((
                contact,
                StoredRosterItemRow {
                    name: row.get(1)?,
                    subscription: row.get(2)?,
                    ask: row.get(3)?,
                    approved: row.get(4)?,
                    pending_in: row.get(5)?,
                    in_roster: row.get(6)?,
                    groups,
                },
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (contact, row) = row?;
            // A row that no longer parses (never written by this server)
            // is skipped rather than failing the whole roster.
            if let Ok(jid) = BareJid::new(&contact) {
                items.push(StoredRosterItem {
                    jid,
                    name: row.name,
                    subscription: row.subscription,
                    ask: row.ask,
                    approved: row.approved,
                    pending_in: row.pending_in,
                    in_roster: row.in_roster,
                    groups: row
                        .groups
                        .split('\n')
                        .filter(|g| !g.is_empty())
                        .map(str::to_owned)
                        .collect(),
                });
            }
        }
        Ok((
            version.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
            items,
        ))
    }

    fn put_roster_item(
        &self,
        owner: &BareJid,
        item: &StoredRosterItem,
    ) -> Result<u64, StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        transaction.execute(
            "INSERT INTO roster (owner, contact, name, subscription, ask, approved, pending_in, \
             in_roster, groups) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT(owner, contact) DO UPDATE SET name = ?3, subscription = ?4, ask = ?5, \
             approved = ?6, pending_in = ?7, in_roster = ?8, groups = ?9",
            params![
                owner.as_str(),
                item.jid.as_str(),
                item.name,
                item.subscription,
                item.ask,
                item.approved,
                item.pending_in,
                item.in_roster,
                item.groups.join("\n")
            ],
        )?;
        let version = Self::bump_version(&transaction, owner.as_str())?;
        transaction.commit()?;
        Ok(version)
    }

    fn remove_roster_item(&self, owner: &BareJid, contact: &BareJid) -> Result<u64, StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        transaction.execute(
            "DELETE FROM roster WHERE owner = ?1 AND contact = ?2",
            params![owner.as_str(), contact.as_str()],
        )?;
        let version = Self::bump_version(&transaction, owner.as_str())?;
        transaction.commit()?;
        Ok(version)
    }

    fn blocklist(&self, owner: &BareJid) -> Result<Vec<String>, StorageError> {
        let connection = self.lock()?;
        let mut statement =
            connection.prepare("SELECT jid FROM blocklist WHERE owner = ?1 ORDER BY jid")?;
        let rows = statement.query_map(params![owner.as_str()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn block(&self, owner: &BareJid, jids: &[String]) -> Result<(), StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        for jid in jids {
            transaction.execute(
                "INSERT OR IGNORE INTO blocklist (owner, jid) VALUES (?1, ?2)",
                params![owner.as_str(), jid],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    fn unblock(&self, owner: &BareJid, jids: &[String]) -> Result<(), StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        if jids.is_empty() {
            transaction.execute(
                "DELETE FROM blocklist WHERE owner = ?1",
                params![owner.as_str()],
            )?;
        }
        for jid in jids {
            transaction.execute(
                "DELETE FROM blocklist WHERE owner = ?1 AND jid = ?2",
                params![owner.as_str(), jid],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    fn store_offline(
        &self,
        owner: &BareJid,
        xml: &str,
        limit: usize,
    ) -> Result<bool, StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        let waiting: i64 = transaction.query_row(
            "SELECT COUNT(*) FROM offline WHERE owner = ?1",
            params![owner.as_str()],
            |row| row.get(0),
        )?;
        if usize::try_from(waiting).unwrap_or(usize::MAX) >= limit {
            return Ok(false);
        }
        transaction.execute(
            "INSERT INTO offline (owner, xml) VALUES (?1, ?2)",
            params![owner.as_str(), xml],
        )?;
        transaction.commit()?;
        Ok(true)
    }

    fn take_offline(&self, owner: &BareJid) -> Result<Vec<String>, StorageError> {
        let mut connection = self.lock()?;
        let transaction = connection.transaction()?;
        let messages = {
            let mut statement =
                transaction.prepare("SELECT xml FROM offline WHERE owner = ?1 ORDER BY id")?;
            let rows = statement.query_map(params![owner.as_str()], |row| row.get(0))?;
            rows.collect::<Result<Vec<String>, _>>()?
        };
        transaction.execute(
            "DELETE FROM offline WHERE owner = ?1",
            params![owner.as_str()],
        )?;
        transaction.commit()?;
        Ok(messages)
    }

    fn server_secret(&self) -> Result<Vec<u8>, StorageError> {
        self.secret_or_new()
    }
}

impl SqliteStorage {
    fn secret_or_new(&self) -> Result<Vec<u8>, StorageError> {
        let mut fresh = [0u8; 32];
        rand_core::RngCore::fill_bytes(
            &mut rand_core::TryRngCore::unwrap_err(rand_core::OsRng),
            &mut fresh,
        );
        let connection = self.lock()?;
        connection.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES ('sasl_secret', ?1)",
            params![fresh.as_slice()],
        )?;
        Ok(connection.query_row(
            "SELECT value FROM settings WHERE key = 'sasl_secret'",
            [],
            |row| row.get(0),
        )?)
    }
}

struct StoredRosterItemRow {
    name: Option<String>,
    subscription: String,
    ask: bool,
    approved: bool,
    pending_in: bool,
    in_roster: bool,
    groups: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> RecordParameters {
        RecordParameters::default()
    }

    fn jid(s: &str) -> BareJid {
        s.parse().unwrap()
    }

    #[test]
    fn accounts_keep_scram_records_never_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let storage = SqliteStorage::open(&path, fast()).unwrap();
            storage
                .create_account(&jid("juliet@capulet.lit"), "r0m30")
                .unwrap();
            assert!(matches!(
                storage.create_account(&jid("juliet@capulet.lit"), "again"),
                Err(StorageError::AccountExists(_))
            ));
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(5).any(|w| w == b"r0m30"),
            "no plaintext password on disk"
        );
        // A restart keeps the account.
        let storage = SqliteStorage::open(&path, fast()).unwrap();
        for hash in HashAlgorithm::STRONGEST_FIRST {
            let record = storage
                .credentials(&jid("juliet@capulet.lit"), hash)
                .unwrap()
                .unwrap();
            let expected =
                StoredCredentials::derive(hash, "r0m30", &record.salt, record.iterations).unwrap();
            assert_eq!(record.stored_key, expected.stored_key);
            assert_eq!(record.server_key, expected.server_key);
        }
        storage
            .set_password(&jid("juliet@capulet.lit"), "new")
            .unwrap();
        let record = storage
            .credentials(&jid("juliet@capulet.lit"), HashAlgorithm::Sha256)
            .unwrap()
            .unwrap();
        let new = StoredCredentials::derive(
            HashAlgorithm::Sha256,
            "new",
            &record.salt,
            record.iterations,
        )
        .unwrap();
        assert_eq!(record.stored_key, new.stored_key);
        storage.delete_account(&jid("juliet@capulet.lit")).unwrap();
        assert!(!storage.account_exists(&jid("juliet@capulet.lit")).unwrap());
        assert!(
            storage
                .credentials(&jid("juliet@capulet.lit"), HashAlgorithm::Sha1)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn rosters_blocklists_and_offline_messages_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let owner = jid("juliet@capulet.lit");
        let item = StoredRosterItem {
            jid: jid("romeo@montague.lit"),
            name: Some("Romeo".into()),
            subscription: "both".into(),
            ask: false,
            approved: false,
            pending_in: false,
            in_roster: true,
            groups: vec!["Friends".into(), "Lovers".into()],
        };
        {
            let storage = SqliteStorage::open(&path, fast()).unwrap();
            storage.create_account(&owner, "x").unwrap();
            assert_eq!(storage.put_roster_item(&owner, &item).unwrap(), 1);
            storage
                .block(
                    &owner,
                    &["tybalt@capulet.lit".into(), "montague.lit".into()],
                )
                .unwrap();
            storage.unblock(&owner, &["montague.lit".into()]).unwrap();
            assert!(storage.store_offline(&owner, "<message/>", 2).unwrap());
            assert!(
                storage
                    .store_offline(&owner, "<message id='2'/>", 2)
                    .unwrap()
            );
            assert!(
                !storage
                    .store_offline(&owner, "<message id='3'/>", 2)
                    .unwrap(),
                "bounded"
            );
        }
        let storage = SqliteStorage::open(&path, fast()).unwrap();
        assert_eq!(storage.roster(&owner).unwrap(), (1, vec![item.clone()]));
        assert_eq!(storage.blocklist(&owner).unwrap(), ["tybalt@capulet.lit"]);
        assert_eq!(
            storage.take_offline(&owner).unwrap(),
            ["<message/>", "<message id='2'/>"]
        );
        assert!(storage.take_offline(&owner).unwrap().is_empty());
        assert_eq!(storage.remove_roster_item(&owner, &item.jid).unwrap(), 2);
        assert_eq!(storage.roster(&owner).unwrap(), (2, vec![]));
        storage.unblock(&owner, &[]).unwrap();
        assert!(storage.blocklist(&owner).unwrap().is_empty());
    }

    #[test]
    fn the_server_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let first = SqliteStorage::open(&path, fast())
            .unwrap()
            .server_secret()
            .unwrap();
        let again = SqliteStorage::open(&path, fast())
            .unwrap()
            .server_secret()
            .unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(first, again);
        let other = SqliteStorage::in_memory(fast())
            .unwrap()
            .server_secret()
            .unwrap();
        assert_ne!(first, other);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let connection = Connection::open(&path).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        assert!(matches!(
            SqliteStorage::open(&path, fast()),
            Err(StorageError::SchemaTooNew { found: 99, .. })
        ));
    }
}
