-- The app's offline cache, version 1 (cs-cache.c applies it in one
-- transaction and sets PRAGMA user_version = 1).  Times are unix seconds.

-- Campaigns as the server sent them (a summary or the full campaign).
CREATE TABLE campaigns (
  id                    TEXT PRIMARY KEY NOT NULL,
  creator_id            TEXT NOT NULL,
  creator_username      TEXT,
  creator_display_name  TEXT,
  title                 TEXT NOT NULL,
  description           TEXT NOT NULL DEFAULT '',
  category              TEXT NOT NULL,
  goal_amount           INTEGER NOT NULL,
  current_amount        INTEGER NOT NULL DEFAULT 0,
  currency              TEXT NOT NULL,
  backer_count          INTEGER NOT NULL DEFAULT 0,
  status                TEXT NOT NULL,
  duration_days         INTEGER NOT NULL DEFAULT 0,
  start_date            INTEGER NOT NULL DEFAULT 0,
  end_date              INTEGER NOT NULL DEFAULT 0,
  image_url             TEXT,
  rejection_reason      TEXT,
  created_at            INTEGER NOT NULL DEFAULT 0,
  updated_at            INTEGER NOT NULL DEFAULT 0,
  published_at          INTEGER NOT NULL DEFAULT 0,
  -- 1 once the full campaign (with its reward tiers) has been stored.
  rewards_loaded        INTEGER NOT NULL DEFAULT 0,
  -- The local approximation of the server's trend score (cs-cache.c,
  -- "trending"), computed when the row is written.
  trend_score           INTEGER NOT NULL DEFAULT 0,
  -- The sort keys of the server (src/server/store/sqlite/001-initial.sql).
  funded_bp             INTEGER GENERATED ALWAYS AS
                          (CASE WHEN goal_amount > 0 THEN current_amount * 10000 / goal_amount ELSE 0 END) STORED,
  listed_at             INTEGER GENERATED ALWAYS AS
                          (CASE WHEN published_at > 0 THEN published_at ELSE created_at END) STORED,
  -- Shown on Discover: live, successful and failed campaigns.
  public                INTEGER GENERATED ALWAYS AS
                          (status IN ('live', 'successful', 'failed')) STORED
);

CREATE INDEX campaigns_trending_idx          ON campaigns (trend_score, funded_bp);
CREATE INDEX campaigns_listed_idx            ON campaigns (listed_at);
CREATE INDEX campaigns_funded_idx            ON campaigns (funded_bp);
CREATE INDEX campaigns_ending_idx            ON campaigns (status, end_date);
CREATE INDEX campaigns_category_trending_idx ON campaigns (category, trend_score, funded_bp);
CREATE INDEX campaigns_category_listed_idx   ON campaigns (category, listed_at);
CREATE INDEX campaigns_category_funded_idx   ON campaigns (category, funded_bp);

CREATE TABLE reward_tiers (
  id                       TEXT PRIMARY KEY NOT NULL,
  campaign_id              TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  title                    TEXT NOT NULL,
  description              TEXT NOT NULL DEFAULT '',
  minimum_pledge           INTEGER NOT NULL,
  estimated_delivery_date  TEXT,
  quantity_available       INTEGER NOT NULL DEFAULT -1,   -- -1: unlimited
  quantity_claimed         INTEGER NOT NULL DEFAULT 0,
  position                 INTEGER NOT NULL DEFAULT 0,
  created_at               INTEGER NOT NULL DEFAULT 0,
  updated_at               INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX reward_tiers_campaign_idx ON reward_tiers (campaign_id, position);

-- Category names from the server (the slugs of cached campaigns may be
-- missing here).
CREATE TABLE categories (
  slug  TEXT PRIMARY KEY NOT NULL,
  name  TEXT NOT NULL
);

-- The signed-in user's pledges; kept when their campaign leaves the cache
-- (hence no foreign key).
CREATE TABLE pledges (
  user_id              TEXT NOT NULL,
  id                   TEXT NOT NULL,
  backer_id            TEXT,
  campaign_id          TEXT NOT NULL,
  amount               INTEGER NOT NULL,
  currency             TEXT NOT NULL,
  reward_tier_id       TEXT,
  status               TEXT NOT NULL,
  transaction_id       TEXT,
  payment_method_id    TEXT,
  failure_reason       TEXT,
  capture_retry_until  INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL DEFAULT 0,
  updated_at           INTEGER NOT NULL DEFAULT 0,
  backer_name          TEXT,
  campaign_title       TEXT,
  reward_title         TEXT,
  PRIMARY KEY (user_id, id)
);

CREATE INDEX pledges_user_created_idx ON pledges (user_id, created_at);

CREATE TABLE images (
  url         TEXT PRIMARY KEY NOT NULL,
  bytes       BLOB NOT NULL,
  fetched_at  INTEGER NOT NULL
);

CREATE TABLE kv (
  key    TEXT PRIMARY KEY NOT NULL,
  value  TEXT NOT NULL
);

-- Writes waiting to be sent, oldest first.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  kind             TEXT NOT NULL,
  method           TEXT NOT NULL,
  path             TEXT NOT NULL,
  body             TEXT,
  idempotency_key  TEXT NOT NULL UNIQUE,
  target_id        TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  failed           INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL
);
