-- 002-money.sql: the money path (PostgreSQL): identity status, platform
-- settings, fee snapshots, pledges with their payment state, idempotency
-- records, payment jobs, the ledger, gateway events and withdrawals.
--
-- Mirrors sqlite/002-money.sql table by table, in PostgreSQL's idioms.
-- Applied in one transaction after 001-initial.sql (schema_migrations
-- version 2).  Same conventions as 001: bigint unix seconds, bigint minor
-- units beside an ISO 4217 currency, text ids compared byte-wise
-- (COLLATE "C"); where SQLite has a rowid tie-break, a bigint identity
-- column named rowid keeps insertion order.

-- ---- Accounts and settings ---------------------------------------------------

-- Updated by the identity checks (003-trust.sql).  Only 'verified' creators
-- may submit a campaign or withdraw.
ALTER TABLE users ADD COLUMN kyc_status text NOT NULL DEFAULT 'unverified'
  CONSTRAINT users_kyc_status_check
  CHECK (kyc_status IN ('unverified', 'pending', 'review', 'verified', 'rejected'));

-- Platform settings, e.g. "fees.platform_bps", "fees.processing_bps",
-- "fees.processing_fixed", "sandbox.clock_offset".  A missing key means the
-- built-in default (no rows here: the defaults live in the code).
CREATE TABLE settings (
  key   text   COLLATE "C" NOT NULL PRIMARY KEY,
  value bigint NOT NULL
);

-- The fee rates of the moment a campaign succeeded (NULL before): every
-- capture of the campaign is charged at these, whatever an admin sets later.
ALTER TABLE campaigns
  ADD COLUMN fee_platform_bps     bigint CHECK (fee_platform_bps BETWEEN 0 AND 10000),
  ADD COLUMN fee_processing_bps   bigint CHECK (fee_processing_bps BETWEEN 0 AND 10000),
  ADD COLUMN fee_processing_fixed bigint CHECK (fee_processing_fixed >= 0),
  ADD COLUMN settled_at           bigint;

-- ---- Pledges (rebuilt, like SQLite's: a new table with the payment state) ------
--
-- Keys and indexes are added after the old table is gone, so that they get
-- their final names.

CREATE TABLE pledges_new (
  rowid               bigint  GENERATED ALWAYS AS IDENTITY,   -- internal: keyset tie-break
  id                  text    COLLATE "C" NOT NULL,
  backer_id           text    COLLATE "C" NOT NULL,
  campaign_id         text    COLLATE "C" NOT NULL,
  reward_tier_id      text    COLLATE "C",
  amount              bigint  NOT NULL CONSTRAINT pledges_amount_check CHECK (amount > 0),
  currency            text    NOT NULL CONSTRAINT pledges_currency_check CHECK (length (currency) = 3),
  status              text    NOT NULL
                              CONSTRAINT pledges_status_check
                              CHECK (status IN ('pending', 'authorized', 'failed', 'cancelled',
                                                'collected', 'capture_failed', 'voided', 'refunded')),
  payment_method_id   text    COLLATE "C",          -- the gateway's token (pm_…), never a card
  charge_id           text    COLLATE "C",          -- the gateway's current charge (ch_…)
  pending_job_id      text    COLLATE "C",          -- the AUTHORIZE/CHARGE job whose answer we await
  transaction_id      text    COLLATE "C",          -- the newest money transaction (txn_…)
  failure_reason      text,
  capture_retry_until bigint,                       -- capture_failed: deadline to fix the card
  -- 'campaign_ended': voided because the campaign failed or was cancelled
  -- while the pledge was authorized (still counted: history);
  -- 'campaign_suspended': voided by a suspension (not counted: a reinstated
  -- campaign counts only money that is held);
  -- 'late_authorization': the authorization arrived after such an end
  -- (never counted).
  void_reason         text    CONSTRAINT pledges_void_reason_check
                              CHECK (void_reason IN ('campaign_ended', 'campaign_suspended',
                                                     'late_authorization')),
  created_at          bigint  NOT NULL,
  updated_at          bigint  NOT NULL,
  -- Whether the pledge is in its campaign's current_amount and backer_count.
  counted             boolean GENERATED ALWAYS AS (
                        status IN ('authorized', 'collected', 'capture_failed', 'refunded')
                        OR (status = 'voided' AND void_reason = 'campaign_ended')) STORED,
  CONSTRAINT pledges_voided_check CHECK ((status = 'voided') = (void_reason IS NOT NULL)),
  CONSTRAINT pledges_capture_failed_check
    CHECK (status <> 'capture_failed' OR capture_retry_until IS NOT NULL)
);

INSERT INTO pledges_new (id, backer_id, campaign_id, reward_tier_id, amount, currency, status,
                         capture_retry_until, void_reason, created_at, updated_at)
SELECT id, backer_id, campaign_id, reward_tier_id, amount, currency, status,
       CASE WHEN status = 'capture_failed' THEN updated_at + 604800 END,
       CASE WHEN status = 'voided' THEN 'campaign_ended' END,
       created_at, updated_at
FROM pledges ORDER BY created_at, id;

DROP TABLE pledges;
ALTER TABLE pledges_new RENAME TO pledges;
ALTER SEQUENCE pledges_new_rowid_seq RENAME TO pledges_rowid_seq;

ALTER TABLE pledges
  ADD CONSTRAINT pledges_pkey PRIMARY KEY (id),
  ADD CONSTRAINT pledges_backer_id_fkey FOREIGN KEY (backer_id) REFERENCES users (id),
  ADD CONSTRAINT pledges_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id),
  ADD CONSTRAINT pledges_reward_tier_id_fkey FOREIGN KEY (reward_tier_id) REFERENCES reward_tiers (id);

-- Every index is written by every pledge: only the lookups that need one
-- have one.  Status is in none of them but the partial ones.  The lists'
-- keyset order (created_at, rowid) is the index order.
CREATE INDEX pledges_backer_idx   ON pledges (backer_id, created_at, rowid);   -- a backer's list
CREATE INDEX pledges_campaign_idx ON pledges (campaign_id, created_at, rowid); -- backer list, settlement
CREATE INDEX pledges_tier_idx     ON pledges (reward_tier_id) WHERE reward_tier_id IS NOT NULL;
CREATE INDEX pledges_created_idx  ON pledges (created_at);                     -- trending window
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
  user_id      text    COLLATE "C" NOT NULL,
  key          text    COLLATE "C" NOT NULL,
  scope        text    NOT NULL,                     -- method and route
  request_hash text    COLLATE "C" NOT NULL,         -- SHA-256 of scope and body
  status       integer NOT NULL CHECK (status BETWEEN 100 AND 599),
  body         bytea   NOT NULL,                     -- the answer, byte for byte
  created_at   bigint  NOT NULL,
  PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- ---- Withdrawals --------------------------------------------------------------------

CREATE TABLE withdrawals (
  rowid          bigint  GENERATED ALWAYS AS IDENTITY,   -- internal: keyset tie-break
  id             text    COLLATE "C" NOT NULL PRIMARY KEY,
  campaign_id    text    COLLATE "C" NOT NULL REFERENCES campaigns (id),
  creator_id     text    COLLATE "C" NOT NULL REFERENCES users (id),
  amount         bigint  NOT NULL CHECK (amount > 0),
  currency       text    NOT NULL CHECK (length (currency) = 3),
  status         text    NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  payout_method  text    NOT NULL,                     -- the destination's token (ba_…)
  payout_id      text    COLLATE "C",                  -- the gateway's payout (po_…)
  transaction_id text    COLLATE "C",                  -- the newest money transaction
  failure_reason text,
  created_at     bigint  NOT NULL,
  updated_at     bigint  NOT NULL
);

CREATE INDEX withdrawals_creator_idx  ON withdrawals (creator_id, created_at, rowid);
CREATE INDEX withdrawals_campaign_idx ON withdrawals (campaign_id, status);

-- ---- The ledger (append-only) ----------------------------------------------------------
--
-- Every money movement is one transaction with balanced entries: signed
-- amounts, debits positive, summing to zero per transaction (checked at
-- commit by ledger_entries_balanced below).  Accounts are described in
-- cs-store-money.h.  Fees are two transactions per capture (kinds
-- platform_fee and processing_fee), so that a campaign's balance reads them
-- apart from the creator's account alone.

CREATE TABLE money_transactions (
  id            text    COLLATE "C" NOT NULL PRIMARY KEY,   -- txn_…
  kind          text    NOT NULL
                        CHECK (kind IN ('authorization', 'void', 'release', 'capture',
                                        'platform_fee', 'processing_fee', 'refund',
                                        'withdrawal', 'payout', 'payout_failed')),
  campaign_id   text    COLLATE "C" NOT NULL REFERENCES campaigns (id),
  pledge_id     text    COLLATE "C" REFERENCES pledges (id),
  withdrawal_id text    COLLATE "C" REFERENCES withdrawals (id),
  amount        bigint  NOT NULL CHECK (amount > 0),
  currency      text    NOT NULL CHECK (length (currency) = 3),
  gateway_ref   text    COLLATE "C",                        -- the charge or payout it follows
  created_at    bigint  NOT NULL,
  CHECK ((pledge_id IS NULL) <> (withdrawal_id IS NULL))
);

CREATE INDEX money_transactions_pledge_idx     ON money_transactions (pledge_id, kind)
  WHERE pledge_id IS NOT NULL;
CREATE INDEX money_transactions_withdrawal_idx ON money_transactions (withdrawal_id, kind)
  WHERE withdrawal_id IS NOT NULL;
-- A pledge is captured at most once, whatever arrives twice.
CREATE UNIQUE INDEX money_transactions_one_capture_key ON money_transactions (pledge_id)
  WHERE kind = 'capture';

-- A transaction moves each account at most once.
CREATE TABLE ledger_entries (
  transaction_id text    COLLATE "C" NOT NULL REFERENCES money_transactions (id),
  account        text    COLLATE "C" NOT NULL,          -- e.g. 'campaign:cmp_…:creator'
  currency       text    NOT NULL CHECK (length (currency) = 3),
  amount         bigint  NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (transaction_id, account)
);

-- Account balances (sums by account) and a campaign's balance by kind,
-- from the index alone.
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account, currency)
  INCLUDE (amount, transaction_id);

-- Append-only: UPDATE, DELETE and TRUNCATE are refused.
CREATE FUNCTION ledger_append_only () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER money_transactions_no_update BEFORE UPDATE ON money_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only ();
CREATE TRIGGER money_transactions_no_delete BEFORE DELETE ON money_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only ();
CREATE TRIGGER money_transactions_no_truncate BEFORE TRUNCATE ON money_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only ();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only ();
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only ();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only ();

-- Each transaction's entries sum to zero, checked when the transaction that
-- wrote them commits (the entries of one money transaction are inserted by
-- several statements).  The code checks the same before it writes.
CREATE FUNCTION ledger_entries_balanced () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  total numeric;
BEGIN
  SELECT coalesce (sum (amount), 0) INTO total
  FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'The entries of money transaction % sum to %, not 0', NEW.transaction_id, total;
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT OR UPDATE ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_balanced ();

-- ---- Payment jobs: our outbox toward the gateway ---------------------------------------
--
-- A claim moves next_attempt_at to the end of the lease: a job is due when
-- next_attempt_at <= now, whether it was never tried, is waiting for a
-- retry, or its worker died.

CREATE TABLE payment_jobs (
  id                text    COLLATE "C" NOT NULL PRIMARY KEY,  -- also the gateway's idempotency key
  kind              text    NOT NULL
                            CHECK (kind IN ('authorize', 'capture', 'void', 'charge', 'refund',
                                            'payout')),
  pledge_id         text    COLLATE "C" REFERENCES pledges (id),
  withdrawal_id     text    COLLATE "C" REFERENCES withdrawals (id),
  charge_id         text    COLLATE "C",                       -- capture, void, refund
  payment_method_id text    COLLATE "C",                       -- authorize, charge, payout
  amount            bigint  NOT NULL CHECK (amount > 0),
  currency          text    NOT NULL CHECK (length (currency) = 3),
  attempts          bigint  NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at   bigint  NOT NULL,
  claimed_by        text,
  claimed_until     bigint,
  last_error        text,
  created_at        bigint  NOT NULL,
  CHECK ((kind = 'payout') = (withdrawal_id IS NOT NULL)),
  CHECK ((kind = 'payout') = (pledge_id IS NULL)),
  CHECK (kind NOT IN ('capture', 'void', 'refund') OR charge_id IS NOT NULL),
  CHECK (kind NOT IN ('authorize', 'charge', 'payout') OR payment_method_id IS NOT NULL)
);

CREATE INDEX payment_jobs_due_idx ON payment_jobs (next_attempt_at, created_at);

-- Gateway events already applied (deduplication by the event's id).
CREATE TABLE payment_events (
  id        text   COLLATE "C" NOT NULL PRIMARY KEY,   -- evt_…
  type      text   NOT NULL,
  object_id text   COLLATE "C",
  reference text   COLLATE "C",
  seen_at   bigint NOT NULL
);
