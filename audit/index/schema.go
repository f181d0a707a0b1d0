package index

// schemaVersion is PRAGMA user_version of an index this code writes. A file
// of another version is refused: the index is a cache, so the remedy is to
// delete it (which also drops the pinned keys; see Rebuild).
const schemaVersion = 1

// schema creates the tables and indexes. Writer and class are stored once per
// chain (table chains) and events refer to the chain by id: it keeps 10
// million rows compact, and the (chain, seq) key is what retention deletes by.
//
// The secondary indexes are partial where the column is often absent, so that
// events without an actor or a request id cost nothing in them; SQLite uses a
// partial index for "col = ?" and "col IN (...)" because both imply NOT NULL.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS writers (
		writer     TEXT PRIMARY KEY,
		public_key BLOB NOT NULL,
		pinned_at  INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS chains (
		id       INTEGER PRIMARY KEY,
		writer   TEXT NOT NULL,
		class    TEXT NOT NULL,
		last_seq INTEGER NOT NULL DEFAULT 0,
		UNIQUE (writer, class)
	)`,
	// One row per indexed segment: how far it has been read (bytes, and
	// lines for naming a bad one) and which seqs it holds, so that its rows
	// can be dropped when retention deletes it.
	`CREATE TABLE IF NOT EXISTS segments (
		chain     INTEGER NOT NULL REFERENCES chains(id),
		num       INTEGER NOT NULL,
		offset    INTEGER NOT NULL,
		lines     INTEGER NOT NULL,
		first_seq INTEGER NOT NULL DEFAULT 0,
		last_seq  INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (chain, num)
	)`,
	// AUTOINCREMENT: an id (record.Cursor) is never reused, not even after
	// Rebuild, so a forwarder's persisted cursor can only cause a resend,
	// never a skip.
	`CREATE TABLE IF NOT EXISTS events (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		chain       INTEGER NOT NULL,
		seq         INTEGER NOT NULL,
		ts          INTEGER NOT NULL,
		action      TEXT NOT NULL,
		outcome     TEXT NOT NULL,
		actor       TEXT,
		source_ip   TEXT,
		source_hash TEXT,
		resource    TEXT,
		request_id  TEXT,
		-- TEXT, not BLOB: SQLite's LIKE (the free-text filter) does not
		-- match inside a BLOB. The bytes are stored and read back unchanged.
		payload     TEXT NOT NULL
	)`,
}

// secondaryIndexes are kept apart so a bulk load can drop and recreate them.
var secondaryIndexes = []string{
	`CREATE UNIQUE INDEX IF NOT EXISTS events_chain_seq ON events (chain, seq)`,
	`CREATE INDEX IF NOT EXISTS events_ts ON events (ts)`,
	`CREATE INDEX IF NOT EXISTS events_actor_ts ON events (actor, ts) WHERE actor IS NOT NULL`,
	`CREATE INDEX IF NOT EXISTS events_action_ts ON events (action, ts)`,
	`CREATE INDEX IF NOT EXISTS events_request_id ON events (request_id) WHERE request_id IS NOT NULL`,
	`CREATE INDEX IF NOT EXISTS events_source_ip_ts ON events (source_ip, ts) WHERE source_ip IS NOT NULL`,
	`CREATE INDEX IF NOT EXISTS events_source_hash_ts ON events (source_hash, ts) WHERE source_hash IS NOT NULL`,
}

const insertEventSQL = `INSERT INTO events
	(chain, seq, ts, action, outcome, actor, source_ip, source_hash, resource, request_id, payload)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
