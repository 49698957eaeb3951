-- 001-initial.sql: CrowdSpark's first schema (SQLite).
--
-- Applied by cs-store-sqlite.c in one transaction, which then sets
-- PRAGMA user_version = 1.  The PostgreSQL schema mirrors this file.
--
-- Conventions: times are unix seconds (INTEGER, UTC); money is an INTEGER
-- count of minor units beside an ISO 4217 currency; ids are opaque TEXT made
-- by cs_id_new().  Tables are STRICT so that a wrongly typed value is an
-- error, as it would be in PostgreSQL.

-- ---- Accounts ------------------------------------------------------------

CREATE TABLE users (
  id            TEXT    NOT NULL PRIMARY KEY,
  email         TEXT    NOT NULL UNIQUE,           -- normalised (trimmed, lower case)
  username      TEXT    NOT NULL,                  -- unique case-insensitively, see below
  display_name  TEXT,                              -- NULL: shown as the username
  bio           TEXT,
  role          TEXT    NOT NULL DEFAULT 'backer'
                        CHECK (role IN ('backer', 'moderator', 'admin')),
  suspended     INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
  password_hash TEXT    NOT NULL,                  -- argon2id string
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Only SHA-256 hashes of tokens are stored.
CREATE TABLE sessions (
  id             TEXT    NOT NULL PRIMARY KEY,
  user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_hash    TEXT    NOT NULL UNIQUE,          -- the current access token
  access_expires INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  revoked_at     INTEGER                           -- NULL while the session lives
) STRICT;

CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Every refresh token ever issued for a session, so that the reuse of a
-- rotated one (used_at set) is recognised and revokes the session.
CREATE TABLE refresh_tokens (
  hash       TEXT    NOT NULL PRIMARY KEY,
  session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Fixed-window counters shared by every server instance.
CREATE TABLE rate_limits (
  key          TEXT    NOT NULL PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- ---- Catalogue -------------------------------------------------------------

CREATE TABLE categories (
  slug     TEXT    NOT NULL PRIMARY KEY,
  name     TEXT    NOT NULL,
  position INTEGER NOT NULL
) STRICT;

INSERT INTO categories (slug, name, position) VALUES
  ('art',         'Art',           1),
  ('comics',      'Comics',        2),
  ('crafts',      'Crafts',        3),
  ('dance',       'Dance',         4),
  ('design',      'Design',        5),
  ('fashion',     'Fashion',       6),
  ('film',        'Film & Video',  7),
  ('food',        'Food',          8),
  ('games',       'Games',         9),
  ('journalism',  'Journalism',   10),
  ('music',       'Music',        11),
  ('photography', 'Photography',  12),
  ('publishing',  'Publishing',   13),
  ('technology',  'Technology',   14),
  ('theater',     'Theater',      15);

-- ---- Campaigns ---------------------------------------------------------------

CREATE TABLE campaigns (
  rowid            INTEGER NOT NULL PRIMARY KEY,     -- internal: keyset tie-break, FTS rowid
  id               TEXT    NOT NULL UNIQUE,          -- the public id
  creator_id       TEXT    NOT NULL REFERENCES users (id),
  title            TEXT    NOT NULL,
  description      TEXT    NOT NULL DEFAULT '',
  category         TEXT    NOT NULL REFERENCES categories (slug),
  goal_amount      INTEGER NOT NULL CHECK (goal_amount > 0),
  current_amount   INTEGER NOT NULL DEFAULT 0 CHECK (current_amount >= 0),
  currency         TEXT    NOT NULL CHECK (length (currency) = 3),
  backer_count     INTEGER NOT NULL DEFAULT 0 CHECK (backer_count >= 0),
  status           TEXT    NOT NULL DEFAULT 'draft'
                           CHECK (status IN ('draft', 'pending_review', 'live', 'successful',
                                             'failed', 'rejected', 'cancelled', 'suspended')),
  duration_days    INTEGER NOT NULL CHECK (duration_days BETWEEN 1 AND 60),
  start_date       INTEGER,                          -- set on approval
  end_date         INTEGER,                          -- start_date + duration_days
  image_url        TEXT,
  rejection_reason TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  published_at     INTEGER,                          -- first approval; never cleared
  trend_score      INTEGER NOT NULL DEFAULT 0,       -- pledges of the last 7 days (job)
  change_seq       INTEGER NOT NULL,                 -- change_counter value of the last change
  -- Sort keys, kept by the database itself:
  funded_bp        INTEGER GENERATED ALWAYS AS (current_amount * 10000 / goal_amount) STORED,
  listed_at        INTEGER GENERATED ALWAYS AS (coalesce (published_at, created_at)) STORED
) STRICT;

-- One index per list order (scanned backwards for the descending ones; the
-- rowid tie-break is implicit in every index) and per filter.
CREATE INDEX campaigns_listed_idx     ON campaigns (listed_at);                 -- newest
CREATE INDEX campaigns_funded_idx     ON campaigns (funded_bp);                 -- most_funded
CREATE INDEX campaigns_trending_idx   ON campaigns (trend_score, funded_bp);    -- trending
CREATE INDEX campaigns_status_end_idx ON campaigns (status, end_date);          -- ending_soon, jobs
CREATE INDEX campaigns_category_idx   ON campaigns (category, status);          -- live counts
-- A category page is a common view: the same orders within a category.
CREATE INDEX campaigns_category_listed_idx   ON campaigns (category, listed_at);
CREATE INDEX campaigns_category_funded_idx   ON campaigns (category, funded_bp);
CREATE INDEX campaigns_category_trending_idx ON campaigns (category, trend_score, funded_bp);
CREATE INDEX campaigns_creator_idx    ON campaigns (creator_id, created_at);
CREATE INDEX campaigns_change_seq_idx ON campaigns (change_seq);                -- /sync

-- Full-text search over the campaigns (external content: the text lives
-- only in campaigns; the triggers below keep the index in step).
CREATE VIRTUAL TABLE campaigns_fts USING fts5 (
  title, description, category,
  content = 'campaigns', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- A title match weighs more than a category match, which weighs more than
-- a match in the story.
INSERT INTO campaigns_fts (campaigns_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 3.0)');

CREATE TRIGGER campaigns_fts_insert AFTER INSERT ON campaigns BEGIN
  INSERT INTO campaigns_fts (rowid, title, description, category)
  VALUES (new.rowid, new.title, new.description, new.category);
END;

CREATE TRIGGER campaigns_fts_delete AFTER DELETE ON campaigns BEGIN
  INSERT INTO campaigns_fts (campaigns_fts, rowid, title, description, category)
  VALUES ('delete', old.rowid, old.title, old.description, old.category);
END;

CREATE TRIGGER campaigns_fts_update AFTER UPDATE OF title, description, category ON campaigns
WHEN old.title IS NOT new.title OR old.description IS NOT new.description
     OR old.category IS NOT new.category
BEGIN
  INSERT INTO campaigns_fts (campaigns_fts, rowid, title, description, category)
  VALUES ('delete', old.rowid, old.title, old.description, old.category);
  INSERT INTO campaigns_fts (rowid, title, description, category)
  VALUES (new.rowid, new.title, new.description, new.category);
END;

CREATE TABLE reward_tiers (
  id                      TEXT    NOT NULL PRIMARY KEY,
  campaign_id             TEXT    NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  title                   TEXT    NOT NULL,
  description             TEXT    NOT NULL DEFAULT '',
  minimum_pledge          INTEGER NOT NULL CHECK (minimum_pledge > 0),
  estimated_delivery_date TEXT,                      -- 'YYYY-MM-DD'
  quantity_available      INTEGER CHECK (quantity_available IS NULL OR quantity_available >= 0),
                                                     -- NULL: unlimited
  quantity_claimed        INTEGER NOT NULL DEFAULT 0
                                  CHECK (quantity_claimed >= 0 AND
                                         (quantity_available IS NULL OR
                                          quantity_claimed <= quantity_available)),
  position                INTEGER NOT NULL,
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL
) STRICT;

CREATE INDEX reward_tiers_campaign_idx ON reward_tiers (campaign_id, position);

-- ---- Pledges (minimal; the money path adds payments and the ledger) -----------

CREATE TABLE pledges (
  id             TEXT    NOT NULL PRIMARY KEY,
  backer_id      TEXT    NOT NULL REFERENCES users (id),
  campaign_id    TEXT    NOT NULL REFERENCES campaigns (id),
  reward_tier_id TEXT    REFERENCES reward_tiers (id),
  amount         INTEGER NOT NULL CHECK (amount > 0),
  currency       TEXT    NOT NULL CHECK (length (currency) = 3),
  status         TEXT    NOT NULL
                         CHECK (status IN ('pending', 'authorized', 'failed', 'cancelled',
                                           'collected', 'capture_failed', 'voided', 'refunded')),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX pledges_backer_idx   ON pledges (backer_id, created_at);
CREATE INDEX pledges_campaign_idx ON pledges (campaign_id, status, created_at);
CREATE INDEX pledges_tier_idx     ON pledges (reward_tier_id);
CREATE INDEX pledges_created_idx  ON pledges (created_at);                -- trending window
-- A backer holds at most one active pledge per campaign.
CREATE UNIQUE INDEX pledges_one_active_key ON pledges (backer_id, campaign_id)
  WHERE status IN ('pending', 'authorized', 'collected', 'capture_failed');

-- ---- Updates -----------------------------------------------------------------

CREATE TABLE updates (
  rowid       INTEGER NOT NULL PRIMARY KEY,          -- insertion order: the tie-break
  id          TEXT    NOT NULL UNIQUE,
  campaign_id TEXT    NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  author_id   TEXT    NOT NULL REFERENCES users (id),
  title       TEXT    NOT NULL,
  content     TEXT    NOT NULL,
  visibility  TEXT    NOT NULL CHECK (visibility IN ('public', 'backers')),
  created_at  INTEGER NOT NULL
) STRICT;

-- Newest first (created_at, then rowid) = this index scanned backwards.
CREATE INDEX updates_campaign_idx ON updates (campaign_id, created_at);

-- ---- Moderation audit trail (append-only; no foreign keys, it outlives all) ----

CREATE TABLE audit_log (
  rowid        INTEGER NOT NULL PRIMARY KEY,         -- insertion order: the tie-break
  id           TEXT    NOT NULL UNIQUE,
  actor_id     TEXT,                                 -- NULL: the system (settlement)
  action       TEXT    NOT NULL,                     -- e.g. 'campaign.approve'
  subject_type TEXT    NOT NULL,
  subject_id   TEXT    NOT NULL,
  reason       TEXT,
  detail       TEXT,
  created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_log_created_idx ON audit_log (created_at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, created_at);

-- ---- Offline sync ----------------------------------------------------------
--
-- Every write transaction that changes a campaign or its tiers increments
-- the single change_counter row (UPDATE ... RETURNING value) and stores the
-- new value in campaigns.change_seq, or in tombstones.seq for a deletion.
-- A sync cursor is such a value.

CREATE TABLE change_counter (
  id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
) STRICT;

INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE tombstones (
  seq         INTEGER NOT NULL,
  type        TEXT    NOT NULL CHECK (type IN ('campaign', 'reward_tier')),
  id          TEXT    NOT NULL,
  campaign_id TEXT,                                  -- the tier's campaign
  deleted_at  INTEGER NOT NULL,
  creator_id  TEXT    NOT NULL,                      -- for visibility, like the campaign's
  published   INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1))
) STRICT;

CREATE INDEX tombstones_seq_idx ON tombstones (seq);
