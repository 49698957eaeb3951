-- 003-trust.sql: identity checks (KYC), the sandbox processor's records and
-- the webhook outbox (SQLite).
--
-- Applied after 002-money.sql (which adds users.kyc_status) in one
-- transaction, which then sets PRAGMA user_version = 3.  Same conventions
-- as 001-initial.sql: unix seconds, integer minor units, STRICT tables.

-- ---- Identity checks -------------------------------------------------------
--
-- One row per submission.  The document number itself never reaches the
-- database: only its last (at most) 4 characters, which the CHECK enforces.
-- 'expired' is internal: a pending check the provider never answered,
-- replaced by a new submission (never shown; a late answer for it is refused).

CREATE TABLE kyc_checks (
  rowid          INTEGER NOT NULL PRIMARY KEY,       -- insertion order: the tie-break
  id             TEXT    NOT NULL UNIQUE,
  user_id        TEXT    NOT NULL REFERENCES users (id),
  status         TEXT    NOT NULL
                         CHECK (status IN ('pending', 'review', 'verified', 'rejected', 'expired')),
  full_name      TEXT    NOT NULL CHECK (length (full_name) BETWEEN 1 AND 200),
  country        TEXT    NOT NULL CHECK (length (country) = 2 AND country GLOB '[A-Z][A-Z]'),
  document_type  TEXT    NOT NULL CHECK (document_type IN ('passport', 'id_card', 'driving_licence')),
  document_last4 TEXT    NOT NULL CHECK (length (document_last4) BETWEEN 1 AND 4),
  reason         TEXT,                               -- the provider's or moderator's reason
  decided_by     TEXT,                               -- a moderator; NULL: the provider (no FK, like audit_log)
  decided_at     INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  CHECK ((status IN ('pending', 'expired')) = (decided_at IS NULL)),
  CHECK (decided_by IS NULL OR status IN ('verified', 'rejected'))
) STRICT;

-- A user's newest check (the rowid tie-break is implicit in the index).
CREATE INDEX kyc_checks_user_idx ON kyc_checks (user_id);
-- At most one check per user waits for a decision.
CREATE UNIQUE INDEX kyc_checks_open_key ON kyc_checks (user_id) WHERE status IN ('pending', 'review');
-- The moderators' queue, oldest first.
CREATE INDEX kyc_checks_review_idx ON kyc_checks (created_at) WHERE status = 'review';

-- ---- The sandbox payment processor's own records ------------------------------
--
-- These tables play the processor's side, so nothing of the platform refers
-- to them by foreign key.  A card is kept only as a processor would show it:
-- the number never reaches the database (last4 is exactly 4 digits).

CREATE TABLE sandbox_payment_methods (
  id         TEXT    NOT NULL PRIMARY KEY,           -- pm_…
  brand      TEXT    NOT NULL CHECK (length (brand) BETWEEN 1 AND 15),
  last4      TEXT    NOT NULL CHECK (length (last4) = 4 AND last4 GLOB '[0-9][0-9][0-9][0-9]'),
  exp_month  INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
  exp_year   INTEGER NOT NULL CHECK (exp_year BETWEEN 2000 AND 9999),
  behaviour  INTEGER NOT NULL CHECK (behaviour >= 0), -- the sandbox's CsSandboxCard value
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Charges (ch_…) and payouts (po_…).
CREATE TABLE sandbox_charges (
  id                TEXT    NOT NULL PRIMARY KEY,
  payment_method_id TEXT,                            -- charges; NULL for payouts
  reference         TEXT    NOT NULL,                -- the platform's pledge or withdrawal id
  amount            INTEGER NOT NULL CHECK (amount > 0),
  captured_amount   INTEGER NOT NULL DEFAULT 0 CHECK (captured_amount BETWEEN 0 AND amount),
  refunded_amount   INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount BETWEEN 0 AND captured_amount),
  currency          TEXT    NOT NULL CHECK (length (currency) = 3),
  status            TEXT    NOT NULL
                            CHECK (status IN ('authorized', 'declined', 'captured', 'capture_failed',
                                              'voided', 'refunded', 'paid', 'failed')),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sandbox_charges_reference_idx ON sandbox_charges (reference);

-- The processor's idempotency keys: an operation retried with the same key
-- is answered from here and changes nothing.  Kept (small rows): a key must
-- stay recognised for as long as the platform may retry its job.
CREATE TABLE sandbox_operations (
  op_key     TEXT    NOT NULL PRIMARY KEY,
  charge_id  TEXT,                                   -- the charge it touched, or NULL
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- ---- Webhooks ------------------------------------------------------------------
--
-- What the sandbox processor and identity provider send us, delivered at
-- least once with backoff.  A worker claims due rows for a lease
-- (claimed_by, claimed_until); a crashed worker's lease simply expires.
-- Delivered rows stay a week for inspection, then are deleted.

CREATE TABLE webhook_outbox (
  rowid           INTEGER NOT NULL PRIMARY KEY,      -- insertion order: the tie-break
  id              TEXT    NOT NULL UNIQUE,           -- msg_…
  endpoint        TEXT    NOT NULL CHECK (endpoint IN ('payments', 'kyc')),
  event_id        TEXT    NOT NULL UNIQUE,           -- one message per event
  body            TEXT    NOT NULL,                  -- signed at each delivery, not here
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
  next_attempt_at INTEGER NOT NULL,
  claimed_by      TEXT,
  claimed_until   INTEGER,
  last_error      TEXT,
  delivered_at    INTEGER,
  created_at      INTEGER NOT NULL,
  CHECK ((claimed_by IS NULL) = (claimed_until IS NULL)),
  CHECK (delivered_at IS NULL OR claimed_by IS NULL)
) STRICT;

-- Due messages in order; also counts what is waiting.
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
-- Delivered messages by age, for their deletion.
CREATE INDEX webhook_outbox_delivered_idx ON webhook_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Incoming webhook event ids already processed (deduplication).  Kept: a
-- sender may retry an event for as long as it was not acknowledged.
CREATE TABLE webhook_events_seen (
  event_id TEXT    NOT NULL PRIMARY KEY,
  seen_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
