-- 001-initial.sql: CrowdSpark's first schema (PostgreSQL).
--
-- Mirrors sqlite/001-initial.sql: the same tables, columns and meaning, in
-- PostgreSQL's idioms.  Applied by cs-store-pg.c in one transaction (with
-- the migration lock held), which then records version 1 in
-- schema_migrations.  Every object is created in the first schema of the
-- search_path.
--
-- Conventions: times are unix seconds (bigint, UTC); money is a bigint
-- count of minor units beside an ISO 4217 currency; ids are opaque text made
-- by cs_id_new(), compared byte-wise (COLLATE "C", like SQLite's BINARY);
-- flags are boolean.

-- ---- Accounts ------------------------------------------------------------

CREATE TABLE users (
  id            text    COLLATE "C" NOT NULL PRIMARY KEY,
  email         text    NOT NULL UNIQUE,           -- normalised (trimmed, lower case)
  username      text    NOT NULL,                  -- unique case-insensitively, see below
  display_name  text,                              -- NULL: shown as the username
  bio           text,
  role          text    NOT NULL DEFAULT 'backer'
                        CHECK (role IN ('backer', 'moderator', 'admin')),
  suspended     boolean NOT NULL DEFAULT false,
  password_hash text    NOT NULL,                  -- argon2id string
  created_at    bigint  NOT NULL,
  updated_at    bigint  NOT NULL
);

CREATE UNIQUE INDEX users_username_key ON users (lower (username));

-- Only SHA-256 hashes of tokens are stored.
CREATE TABLE sessions (
  id             text   COLLATE "C" NOT NULL PRIMARY KEY,
  user_id        text   COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_hash    text   COLLATE "C" NOT NULL UNIQUE,   -- the current access token
  access_expires bigint NOT NULL,
  created_at     bigint NOT NULL,
  revoked_at     bigint                                -- NULL while the session lives
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Every refresh token ever issued for a session, so that the reuse of a
-- rotated one (used_at set) is recognised and revokes the session.
CREATE TABLE refresh_tokens (
  hash       text   COLLATE "C" NOT NULL PRIMARY KEY,
  session_id text   COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  expires_at bigint NOT NULL,
  used_at    bigint,
  created_at bigint NOT NULL
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Fixed-window counters shared by every server instance.
CREATE TABLE rate_limits (
  key          text   COLLATE "C" NOT NULL PRIMARY KEY,
  window_start bigint NOT NULL,
  count        bigint NOT NULL
);

-- ---- Catalogue -------------------------------------------------------------

CREATE TABLE categories (
  slug     text   COLLATE "C" NOT NULL PRIMARY KEY,
  name     text   NOT NULL,
  position bigint NOT NULL
);

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

-- ---- Full-text search --------------------------------------------------------
--
-- SQLite indexes with FTS5's "porter unicode61 remove_diacritics 2": words
-- are runs of letters and digits, folded to lower case without diacritics,
-- then stemmed.  Here: cs_search_fold() turns ASCII punctuation into spaces
-- and strips the diacritics of Latin letters, the parser splits the rest,
-- and the cs_search configuration stems English words (Snowball) without a
-- stop-word list (FTS5 has none either), so every word can be searched.
-- A query is to_tsquery ('cs_search', cs_search_unaccent (…)) of the
-- person's words, each quoted, joined by &, the last one maybe a prefix.

-- Latin letters without their diacritics (the search text is NFC).
CREATE FUNCTION cs_search_unaccent (t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN translate (t,
  'ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆĈĊČçćĉċčĎĐďđÈÉÊËĒĔĖĘĚèéêëēĕėęěĜĞĠĢĝğġģĤĦĥħÌÍÎÏĨĪĬĮİìíîïĩīĭįıĴĵĶķĹĻĽĿŁĺļľŀłÑŃŅŇñńņňÒÓÔÕÖØŌŎŐòóôõöøōŏőŔŖŘŕŗřŚŜŞŠśŝşšŢŤŦţťŧÙÚÛÜŨŪŬŮŰŲùúûüũūŭůűųŴŵÝŶŸýÿŷŹŻŽźżž',
  'AAAAAAAAAaaaaaaaaaCCCCCcccccDDddEEEEEEEEEeeeeeeeeeGGGGggggHHhhIIIIIIIIIiiiiiiiiiJjKkLLLLLlllllNNNNnnnnOOOOOOOOOoooooooooRRRrrrSSSSssssTTTtttUUUUUUUUUUuuuuuuuuuuWwYYYyyyZZZzzz');

-- A text as the search sees it: ASCII punctuation becomes a separator (so
-- "foo@bar.com" or "e-mail" are words, not one e-mail or hyphenated token
-- for the parser), and Latin letters lose their diacritics.  No regular
-- expression classes: they would depend on the database's locale.
CREATE FUNCTION cs_search_fold (t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN cs_search_unaccent (translate (t, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '));

CREATE TEXT SEARCH DICTIONARY cs_search_stem (TEMPLATE = pg_catalog.snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION cs_search (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION cs_search
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
  WITH cs_search_stem;

-- ---- Campaigns ---------------------------------------------------------------

CREATE TABLE campaigns (
  rowid            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                                     -- internal: keyset tie-break
  id               text    COLLATE "C" NOT NULL UNIQUE,   -- the public id
  creator_id       text    COLLATE "C" NOT NULL REFERENCES users (id),
  title            text    NOT NULL,
  description      text    NOT NULL DEFAULT '',
  category         text    COLLATE "C" NOT NULL REFERENCES categories (slug),
  goal_amount      bigint  NOT NULL CHECK (goal_amount > 0),
  current_amount   bigint  NOT NULL DEFAULT 0 CHECK (current_amount >= 0),
  currency         text    NOT NULL CHECK (length (currency) = 3),
  backer_count     bigint  NOT NULL DEFAULT 0 CHECK (backer_count >= 0),
  status           text    NOT NULL DEFAULT 'draft'
                           CHECK (status IN ('draft', 'pending_review', 'live', 'successful',
                                             'failed', 'rejected', 'cancelled', 'suspended')),
  duration_days    bigint  NOT NULL CHECK (duration_days BETWEEN 1 AND 60),
  start_date       bigint,                           -- set on approval
  end_date         bigint,                           -- start_date + duration_days
  image_url        text,
  rejection_reason text,
  created_at       bigint  NOT NULL,
  updated_at       bigint  NOT NULL,
  published_at     bigint,                           -- first approval; never cleared
  trend_score      bigint  NOT NULL DEFAULT 0,       -- pledges of the last 7 days (job)
  change_seq       bigint  NOT NULL,                 -- change_counter value of the last change
  -- Sort keys, kept by the database itself:
  funded_bp        bigint  GENERATED ALWAYS AS (current_amount * 10000 / goal_amount) STORED,
  listed_at        bigint  GENERATED ALWAYS AS (coalesce (published_at, created_at)) STORED,
  -- The search document (campaigns_search_document below).
  search           tsvector NOT NULL DEFAULT ''::tsvector
);

-- The search document: a title match weighs most (A), then the category
-- (B), then the story (C), like FTS5's bm25(10.0, 1.0, 3.0).  Kept by a
-- trigger that only runs when one of those three changes, not as a
-- generated column: PostgreSQL recomputes a generated column on every
-- UPDATE, and every pledge updates its campaign's totals.
CREATE FUNCTION campaigns_search_document () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := setweight (to_tsvector ('cs_search', cs_search_fold (NEW.title)), 'A') ||
                setweight (to_tsvector ('cs_search', cs_search_fold (NEW.category)), 'B') ||
                setweight (to_tsvector ('cs_search', cs_search_fold (NEW.description)), 'C');
  RETURN NEW;
END
$$;

CREATE TRIGGER campaigns_search_on_insert BEFORE INSERT ON campaigns
  FOR EACH ROW EXECUTE FUNCTION campaigns_search_document ();
CREATE TRIGGER campaigns_search_on_update BEFORE UPDATE OF title, category, description ON campaigns
  FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.category IS DISTINCT FROM NEW.category OR
        OLD.description IS DISTINCT FROM NEW.description)
  EXECUTE FUNCTION campaigns_search_document ();

-- One index per list order (scanned backwards for the descending ones; the
-- rowid tie-break is the last key) and per filter.
CREATE INDEX campaigns_listed_idx     ON campaigns (listed_at, rowid);                -- newest
CREATE INDEX campaigns_funded_idx     ON campaigns (funded_bp, rowid);                -- most_funded
CREATE INDEX campaigns_trending_idx   ON campaigns (trend_score, funded_bp, rowid);   -- trending
CREATE INDEX campaigns_status_end_idx ON campaigns (status, end_date, rowid);         -- ending_soon, jobs
CREATE INDEX campaigns_category_idx   ON campaigns (category, status);                -- live counts
-- A category page is a common view: the same orders within a category.
CREATE INDEX campaigns_category_listed_idx   ON campaigns (category, listed_at, rowid);
CREATE INDEX campaigns_category_funded_idx   ON campaigns (category, funded_bp, rowid);
CREATE INDEX campaigns_category_trending_idx ON campaigns (category, trend_score, funded_bp, rowid);
CREATE INDEX campaigns_creator_idx    ON campaigns (creator_id, created_at);
CREATE INDEX campaigns_change_seq_idx ON campaigns (change_seq);                      -- /sync
-- Full-text search.
CREATE INDEX campaigns_search_idx     ON campaigns USING gin (search);

CREATE TABLE reward_tiers (
  id                      text    COLLATE "C" NOT NULL PRIMARY KEY,
  campaign_id             text    COLLATE "C" NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  title                   text    NOT NULL,
  description             text    NOT NULL DEFAULT '',
  minimum_pledge          bigint  NOT NULL CHECK (minimum_pledge > 0),
  estimated_delivery_date text,                      -- 'YYYY-MM-DD'
  quantity_available      bigint  CHECK (quantity_available IS NULL OR quantity_available >= 0),
                                                     -- NULL: unlimited
  quantity_claimed        bigint  NOT NULL DEFAULT 0
                                  CHECK (quantity_claimed >= 0 AND
                                         (quantity_available IS NULL OR
                                          quantity_claimed <= quantity_available)),
  position                bigint  NOT NULL,
  created_at              bigint  NOT NULL,
  updated_at              bigint  NOT NULL
);

CREATE INDEX reward_tiers_campaign_idx ON reward_tiers (campaign_id, position);

-- ---- Pledges (minimal; the money path adds payments and the ledger) -----------

CREATE TABLE pledges (
  id             text    COLLATE "C" NOT NULL PRIMARY KEY,
  backer_id      text    COLLATE "C" NOT NULL REFERENCES users (id),
  campaign_id    text    COLLATE "C" NOT NULL REFERENCES campaigns (id),
  reward_tier_id text    COLLATE "C" REFERENCES reward_tiers (id),
  amount         bigint  NOT NULL CHECK (amount > 0),
  currency       text    NOT NULL CHECK (length (currency) = 3),
  status         text    NOT NULL
                         CHECK (status IN ('pending', 'authorized', 'failed', 'cancelled',
                                           'collected', 'capture_failed', 'voided', 'refunded')),
  created_at     bigint  NOT NULL,
  updated_at     bigint  NOT NULL
);

CREATE INDEX pledges_backer_idx   ON pledges (backer_id, created_at);
CREATE INDEX pledges_campaign_idx ON pledges (campaign_id, status, created_at);
CREATE INDEX pledges_tier_idx     ON pledges (reward_tier_id);
CREATE INDEX pledges_created_idx  ON pledges (created_at);                -- trending window
-- A backer holds at most one active pledge per campaign.
CREATE UNIQUE INDEX pledges_one_active_key ON pledges (backer_id, campaign_id)
  WHERE status IN ('pending', 'authorized', 'collected', 'capture_failed');

-- ---- Updates -----------------------------------------------------------------

CREATE TABLE updates (
  rowid       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- insertion order: the tie-break
  id          text    COLLATE "C" NOT NULL UNIQUE,
  campaign_id text    COLLATE "C" NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  author_id   text    COLLATE "C" NOT NULL REFERENCES users (id),
  title       text    NOT NULL,
  content     text    NOT NULL,
  visibility  text    NOT NULL CHECK (visibility IN ('public', 'backers')),
  created_at  bigint  NOT NULL
);

-- Newest first (created_at, then rowid) = this index scanned backwards.
CREATE INDEX updates_campaign_idx ON updates (campaign_id, created_at, rowid);

-- ---- Moderation audit trail (append-only; no foreign keys, it outlives all) ----

CREATE TABLE audit_log (
  rowid        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: the tie-break
  id           text    COLLATE "C" NOT NULL UNIQUE,
  actor_id     text    COLLATE "C",                 -- NULL: the system (settlement)
  action       text    NOT NULL,                    -- e.g. 'campaign.approve'
  subject_type text    NOT NULL,
  subject_id   text    COLLATE "C" NOT NULL,
  reason       text,
  detail       text,
  created_at   bigint  NOT NULL
);

CREATE INDEX audit_log_created_idx ON audit_log (created_at, rowid);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, created_at);

-- ---- Offline sync ----------------------------------------------------------
--
-- Every write transaction that changes a campaign or its tiers increments
-- the single change_counter row (UPDATE ... RETURNING value, which keeps the
-- row locked until commit, so values are handed out in commit order) and
-- stores the new value in campaigns.change_seq, or in tombstones.seq for a
-- deletion.  A sync cursor is such a value.

CREATE TABLE change_counter (
  id    integer NOT NULL PRIMARY KEY CHECK (id = 1),
  value bigint  NOT NULL
);

INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE tombstones (
  seq         bigint  NOT NULL,
  type        text    NOT NULL CHECK (type IN ('campaign', 'reward_tier')),
  id          text    COLLATE "C" NOT NULL,
  campaign_id text    COLLATE "C",                  -- the tier's campaign
  deleted_at  bigint  NOT NULL,
  creator_id  text    COLLATE "C" NOT NULL,         -- for visibility, like the campaign's
  published   boolean NOT NULL DEFAULT false
);

CREATE INDEX tombstones_seq_idx ON tombstones (seq);
