-- 002-money.sql: the money path (SQLite): identity status, platform
-- settings, fee snapshots, pledges with their payment state, idempotency
-- records, payment jobs, the ledger, gateway events and withdrawals.
--
-- Applied in one transaction after 001-initial.sql (PRAGMA user_version = 2).
-- Same conventions as 001: unix seconds, INTEGER minor units beside an
-- ISO 4217 currency, opaque TEXT ids, STRICT tables.

-- ---- Accounts and settings ---------------------------------------------------

-- Updated by the identity checks (003-trust.sql).  Only 'verified' creators
-- may submit a campaign or withdraw.
ALTER TABLE users ADD COLUMN kyc_status TEXT NOT NULL DEFAULT 'unverified'
  CHECK (kyc_status IN ('unverified', 'pending', 'review', 'verified', 'rejected'));

-- Platform settings, e.g. "fees.platform_bps", "fees.processing_bps",
-- "fees.processing_fixed", "sandbox.clock_offset".  A missing key means the
-- built-in default.
CREATE TABLE settings (
  key   TEXT    NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The fee rates of the moment a campaign succeeded (NULL before): every
-- capture of the campaign is charged at these, whatever an admin sets later.
ALTER TABLE campaigns ADD COLUMN fee_platform_bps     INTEGER CHECK (fee_platform_bps BETWEEN 0 AND 10000);
ALTER TABLE campaigns ADD COLUMN fee_processing_bps   INTEGER CHECK (fee_processing_bps BETWEEN 0 AND 10000);
ALTER TABLE campaigns ADD COLUMN fee_processing_fixed INTEGER CHECK (fee_processing_fixed >= 0);
ALTER TABLE campaigns ADD COLUMN settled_at           INTEGER;

-- ---- Pledges (rebuilt: SQLite cannot add constraints to a table) --------------

CREATE TABLE pledges_new (
  rowid               INTEGER NOT NULL PRIMARY KEY,  -- internal: keyset tie-break
  id                  TEXT    NOT NULL UNIQUE,
  backer_id           TEXT    NOT NULL REFERENCES users (id),
  campaign_id         TEXT    NOT NULL REFERENCES campaigns (id),
  reward_tier_id      TEXT    REFERENCES reward_tiers (id),
  amount              INTEGER NOT NULL CHECK (amount > 0),
  currency            TEXT    NOT NULL CHECK (length (currency) = 3),
  status              TEXT    NOT NULL
                              CHECK (status IN ('pending', 'authorized', 'failed', 'cancelled',
                                                'collected', 'capture_failed', 'voided', 'refunded')),
  payment_method_id   TEXT,                          -- the gateway's token (pm_…), never a card
  charge_id           TEXT,                          -- the gateway's current charge (ch_…)
  pending_job_id      TEXT,                          -- the AUTHORIZE/CHARGE job whose answer we await
  transaction_id      TEXT,                          -- the newest money transaction (txn_…)
  failure_reason      TEXT,
  capture_retry_until INTEGER,                       -- capture_failed: deadline to fix the card
  -- 'campaign_ended': voided because the campaign failed or was cancelled
  -- while the pledge was authorized (still counted: history);
  -- 'campaign_suspended': voided by a suspension (not counted: a reinstated
  -- campaign counts only money that is held);
  -- 'late_authorization': the authorization arrived after such an end
  -- (never counted).
  void_reason         TEXT    CHECK (void_reason IN ('campaign_ended', 'campaign_suspended', 'late_authorization')),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  -- Whether the pledge is in its campaign's current_amount and backer_count.
  counted             INTEGER GENERATED ALWAYS AS (
                        status IN ('authorized', 'collected', 'capture_failed', 'refunded')
                        OR (status = 'voided' AND void_reason = 'campaign_ended')) VIRTUAL,
  CHECK ((status = 'voided') = (void_reason IS NOT NULL)),
  CHECK (status <> 'capture_failed' OR capture_retry_until IS NOT NULL)
) STRICT;

INSERT INTO pledges_new (id, backer_id, campaign_id, reward_tier_id, amount, currency, status,
                         capture_retry_until, void_reason, created_at, updated_at)
SELECT id, backer_id, campaign_id, reward_tier_id, amount, currency, status,
       CASE WHEN status = 'capture_failed' THEN updated_at + 604800 END,
       CASE WHEN status = 'voided' THEN 'campaign_ended' END,
       created_at, updated_at
FROM pledges ORDER BY created_at, id;

DROP TABLE pledges;
ALTER TABLE pledges_new RENAME TO pledges;

-- Every index is written by every pledge (a commit writes each touched page
-- to the WAL): only the lookups that need one have one.  Status is in none
-- of them but the partial ones, so a status change rewrites few pages.
CREATE INDEX pledges_backer_idx   ON pledges (backer_id, created_at);      -- a backer's list
CREATE INDEX pledges_campaign_idx ON pledges (campaign_id, created_at);    -- backer list, settlement
CREATE INDEX pledges_tier_idx     ON pledges (reward_tier_id) WHERE reward_tier_id IS NOT NULL;
CREATE INDEX pledges_created_idx  ON pledges (created_at);                 -- trending window
-- A backer holds at most one active pledge per campaign.
CREATE UNIQUE INDEX pledges_one_active_key ON pledges (backer_id, campaign_id)
  WHERE status IN ('pending', 'authorized', 'collected', 'capture_failed');
-- The expiry job's scan.
CREATE INDEX pledges_capture_failed_idx ON pledges (capture_retry_until)
  WHERE status = 'capture_failed';

-- ---- Idempotency-Key records -----------------------------------------------------

-- The first answer to a money-moving request, replayed to a repeat with the
-- same key and request hash.  Kept 48 hours (the housekeeping job).
CREATE TABLE idempotency_keys (
  user_id      TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  scope        TEXT    NOT NULL,                     -- method and route
  request_hash TEXT    NOT NULL,                     -- SHA-256 of scope and body
  status       INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
  body         BLOB    NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- ---- Withdrawals --------------------------------------------------------------------

CREATE TABLE withdrawals (
  rowid          INTEGER NOT NULL PRIMARY KEY,       -- internal: keyset tie-break
  id             TEXT    NOT NULL UNIQUE,
  campaign_id    TEXT    NOT NULL REFERENCES campaigns (id),
  creator_id     TEXT    NOT NULL REFERENCES users (id),
  amount         INTEGER NOT NULL CHECK (amount > 0),
  currency       TEXT    NOT NULL CHECK (length (currency) = 3),
  status         TEXT    NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  payout_method  TEXT    NOT NULL,                   -- the destination's token (ba_…)
  payout_id      TEXT,                               -- the gateway's payout (po_…)
  transaction_id TEXT,                               -- the newest money transaction
  failure_reason TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX withdrawals_creator_idx  ON withdrawals (creator_id, created_at);
CREATE INDEX withdrawals_campaign_idx ON withdrawals (campaign_id, status);

-- ---- The ledger (append-only) ----------------------------------------------------------
--
-- Every money movement is one transaction with balanced entries: signed
-- amounts, debits positive, summing to zero per transaction.  Accounts are
-- described in cs-store-money.h.  Fees are two transactions per capture
-- (kinds platform_fee and processing_fee), so that a campaign's balance
-- reads them apart from the creator's account alone.

CREATE TABLE money_transactions (
  id            TEXT    NOT NULL PRIMARY KEY,        -- txn_…
  kind          TEXT    NOT NULL
                        CHECK (kind IN ('authorization', 'void', 'release', 'capture',
                                        'platform_fee', 'processing_fee', 'refund',
                                        'withdrawal', 'payout', 'payout_failed')),
  campaign_id   TEXT    NOT NULL REFERENCES campaigns (id),
  pledge_id     TEXT    REFERENCES pledges (id),
  withdrawal_id TEXT    REFERENCES withdrawals (id),
  amount        INTEGER NOT NULL CHECK (amount > 0),
  currency      TEXT    NOT NULL CHECK (length (currency) = 3),
  gateway_ref   TEXT,                                -- the charge or payout it follows
  created_at    INTEGER NOT NULL,
  CHECK ((pledge_id IS NULL) <> (withdrawal_id IS NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX money_transactions_pledge_idx     ON money_transactions (pledge_id, kind)
  WHERE pledge_id IS NOT NULL;
CREATE INDEX money_transactions_withdrawal_idx ON money_transactions (withdrawal_id, kind)
  WHERE withdrawal_id IS NOT NULL;
-- A pledge is captured at most once, whatever arrives twice.
CREATE UNIQUE INDEX money_transactions_one_capture_key ON money_transactions (pledge_id)
  WHERE kind = 'capture';

-- A transaction moves each account at most once.
CREATE TABLE ledger_entries (
  transaction_id TEXT    NOT NULL REFERENCES money_transactions (id),
  account        TEXT    NOT NULL,                   -- e.g. 'campaign:cmp_…:creator'
  currency       TEXT    NOT NULL CHECK (length (currency) = 3),
  amount         INTEGER NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (transaction_id, account)
) STRICT, WITHOUT ROWID;

-- Account balances (sums by account) and a campaign's balance by kind,
-- from the index alone (it ends with the primary key).
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account, currency, amount);

CREATE TRIGGER money_transactions_no_update BEFORE UPDATE ON money_transactions
BEGIN SELECT RAISE (ABORT, 'money_transactions is append-only'); END;
CREATE TRIGGER money_transactions_no_delete BEFORE DELETE ON money_transactions
BEGIN SELECT RAISE (ABORT, 'money_transactions is append-only'); END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE (ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE (ABORT, 'ledger_entries is append-only'); END;

-- ---- Payment jobs: our outbox toward the gateway ---------------------------------------
--
-- A claim moves next_attempt_at to the end of the lease: a job is due when
-- next_attempt_at <= now, whether it was never tried, is waiting for a
-- retry, or its worker died.

CREATE TABLE payment_jobs (
  id                TEXT    NOT NULL PRIMARY KEY,      -- also the gateway's idempotency key
  kind              TEXT    NOT NULL
                            CHECK (kind IN ('authorize', 'capture', 'void', 'charge', 'refund',
                                            'payout')),
  pledge_id         TEXT    REFERENCES pledges (id),
  withdrawal_id     TEXT    REFERENCES withdrawals (id),
  charge_id         TEXT,                              -- capture, void, refund
  payment_method_id TEXT,                              -- authorize, charge, payout
  amount            INTEGER NOT NULL CHECK (amount > 0),
  currency          TEXT    NOT NULL CHECK (length (currency) = 3),
  attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at   INTEGER NOT NULL,
  claimed_by        TEXT,
  claimed_until     INTEGER,
  last_error        TEXT,
  created_at        INTEGER NOT NULL,
  CHECK ((kind = 'payout') = (withdrawal_id IS NOT NULL)),
  CHECK ((kind = 'payout') = (pledge_id IS NULL)),
  CHECK (kind NOT IN ('capture', 'void', 'refund') OR charge_id IS NOT NULL),
  CHECK (kind NOT IN ('authorize', 'charge', 'payout') OR payment_method_id IS NOT NULL)
) STRICT, WITHOUT ROWID;

CREATE INDEX payment_jobs_due_idx ON payment_jobs (next_attempt_at, created_at);

-- Gateway events already applied (deduplication by the event's id).
CREATE TABLE payment_events (
  id        TEXT    NOT NULL PRIMARY KEY,            -- evt_…
  type      TEXT    NOT NULL,
  object_id TEXT,
  reference TEXT,
  seen_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
