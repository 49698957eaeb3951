-- A version-1 offline cache (CS_CACHE_SCHEMA_VERSION 1), for the upgrade test:
-- src/client/cache/001-initial.sql applied alone, a few rows inserted, then
-- "sqlite3 cache.db .dump" (which leaves out PRAGMA user_version, added at the end).
-- Do not regenerate it with a newer 001: it stands for files already on disk.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
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
INSERT INTO campaigns VALUES('cmp_v1cafe','usr_v1a','helene','Hélène Dubois','Café Crème on wheels','A coffee bike for the market square.\n\nEspresso and crème brûlée.','food',500000,120000,'EUR',40,'live',30,1700000000,1702592000,NULL,NULL,1699990000,1700000000,1700000000,0,0);
INSERT INTO campaigns VALUES('cmp_v1game','usr_v1b','dmaster','Dungeon Master','Dungeon Boardgame','A cooperative boardgame of caves and traps.','games',1000000,1500000,'USD',300,'successful',45,1690000000,1693888000,'/media/dungeon.png',NULL,1689990000,1693888000,1690000000,1,0);
INSERT INTO campaigns VALUES('cmp_v1film','usr_v1c','ines','Inês Lopes','The last lighthouse keeper','A documentary on the coast of Portugal.','film',2000000,150000,'EUR',12,'live',60,1705000000,1710184000,NULL,NULL,1704990000,1705000000,1705000000,0,0);
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
INSERT INTO reward_tiers VALUES('tier_v1g1','cmp_v1game','Core box','The game.',5000,'2024-03-01',-1,250,0,1689990000,1689990000);
INSERT INTO reward_tiers VALUES('tier_v1g2','cmp_v1game','Collector box','The game and miniatures.',12000,'2024-03-01',100,50,1,1689990000,1689990000);
CREATE TABLE categories (
  slug  TEXT PRIMARY KEY NOT NULL,
  name  TEXT NOT NULL
);
INSERT INTO categories VALUES('food','Food');
INSERT INTO categories VALUES('games','Games');
INSERT INTO categories VALUES('film','Film & Video');
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
INSERT INTO pledges VALUES('usr_v1','pl_v1','usr_v1','cmp_v1game',5000,'USD','tier_v1g1','collected',NULL,'pm_v1',NULL,0,1691000000,1693900000,NULL,'Dungeon Boardgame','Core box');
CREATE TABLE images (
  url         TEXT PRIMARY KEY NOT NULL,
  bytes       BLOB NOT NULL,
  fetched_at  INTEGER NOT NULL
);
INSERT INTO images VALUES('/media/dungeon.png',X'89504e470d0a1a0a',1693900000);
CREATE TABLE kv (
  key    TEXT PRIMARY KEY NOT NULL,
  value  TEXT NOT NULL
);
INSERT INTO kv VALUES('sync.cursor','v1-cursor');
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
INSERT INTO outbox VALUES(1,'pledge.change','PATCH','/api/v1/pledges/pl_v1','{"amount":6000}','idem-v1','pl_v1',1,NULL,0,1693950000);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('outbox',1);
CREATE INDEX campaigns_trending_idx          ON campaigns (trend_score, funded_bp);
CREATE INDEX campaigns_listed_idx            ON campaigns (listed_at);
CREATE INDEX campaigns_funded_idx            ON campaigns (funded_bp);
CREATE INDEX campaigns_ending_idx            ON campaigns (status, end_date);
CREATE INDEX campaigns_category_trending_idx ON campaigns (category, trend_score, funded_bp);
CREATE INDEX campaigns_category_listed_idx   ON campaigns (category, listed_at);
CREATE INDEX campaigns_category_funded_idx   ON campaigns (category, funded_bp);
CREATE INDEX reward_tiers_campaign_idx ON reward_tiers (campaign_id, position);
CREATE INDEX pledges_user_created_idx ON pledges (user_id, created_at);
COMMIT;
PRAGMA user_version = 1;
