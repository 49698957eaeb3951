-- 003-trust.sql: identity checks (KYC), the sandbox processor's records and
-- the webhook outbox (PostgreSQL).
--
-- Mirrors sqlite/003-trust.sql table by table.  Applied after 002-money.sql
-- (which adds users.kyc_status and the settings table) in one transaction.
-- Same conventions as 001-initial.sql: bigint unix seconds, bigint minor
-- units, text ids.  Where SQLite has an implicit rowid tie-break, a bigint
-- identity column named rowid keeps insertion order.

-- ---- Identity checks -------------------------------------------------------
--
-- One row per submission.  The document number itself never reaches the
-- database: only its last (at most) 4 characters, which the CHECK enforces.
-- 'expired' is internal: a pending check the provider never answered,
-- replaced by a new submission (never shown; a late answer for it is refused).

CREATE TABLE kyc_checks (
  rowid          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: the tie-break
  id             text    NOT NULL UNIQUE,
  user_id        text    NOT NULL REFERENCES users (id),
  status         text    NOT NULL
                         CHECK (status IN ('pending', 'review', 'verified', 'rejected', 'expired')),
  full_name      text    NOT NULL CHECK (char_length (full_name) BETWEEN 1 AND 200),
  country        text    NOT NULL CHECK (country ~ '^[A-Z][A-Z]$'),
  document_type  text    NOT NULL CHECK (document_type IN ('passport', 'id_card', 'driving_licence')),
  document_last4 text    NOT NULL CHECK (char_length (document_last4) BETWEEN 1 AND 4),
  reason         text,                               -- the provider's or moderator's reason
  decided_by     text,                               -- a moderator; NULL: the provider (no FK, like audit_log)
  decided_at     bigint,
  created_at     bigint  NOT NULL,
  updated_at     bigint  NOT NULL,
  CONSTRAINT kyc_checks_decided_check CHECK ((status IN ('pending', 'expired')) = (decided_at IS NULL)),
  CONSTRAINT kyc_checks_decided_by_check CHECK (decided_by IS NULL OR status IN ('verified', 'rejected'))
);

-- A user's newest check.
CREATE INDEX kyc_checks_user_idx ON kyc_checks (user_id, rowid);
-- At most one check per user waits for a decision.
CREATE UNIQUE INDEX kyc_checks_open_key ON kyc_checks (user_id) WHERE status IN ('pending', 'review');
-- The moderators' queue, oldest first.
CREATE INDEX kyc_checks_review_idx ON kyc_checks (created_at, rowid) WHERE status = 'review';

-- ---- The sandbox payment processor's own records ------------------------------
--
-- These tables play the processor's side, so nothing of the platform refers
-- to them by foreign key.  A card is kept only as a processor would show it:
-- the number never reaches the database (last4 is exactly 4 digits).

CREATE TABLE sandbox_payment_methods (
  id         text    NOT NULL PRIMARY KEY,           -- pm_…
  brand      text    NOT NULL CHECK (char_length (brand) BETWEEN 1 AND 15),
  last4      text    NOT NULL CHECK (last4 ~ '^[0-9][0-9][0-9][0-9]$'),
  exp_month  integer NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
  exp_year   integer NOT NULL CHECK (exp_year BETWEEN 2000 AND 9999),
  behaviour  integer NOT NULL CHECK (behaviour >= 0), -- the sandbox's CsSandboxCard value
  created_at bigint  NOT NULL
);

-- Charges (ch_…) and payouts (po_…).
CREATE TABLE sandbox_charges (
  id                text    NOT NULL PRIMARY KEY,
  payment_method_id text,                            -- charges; NULL for payouts
  reference         text    NOT NULL,                -- the platform's pledge or withdrawal id
  amount            bigint  NOT NULL CHECK (amount > 0),
  captured_amount   bigint  NOT NULL DEFAULT 0 CHECK (captured_amount BETWEEN 0 AND amount),
  refunded_amount   bigint  NOT NULL DEFAULT 0 CHECK (refunded_amount BETWEEN 0 AND captured_amount),
  currency          text    NOT NULL CHECK (char_length (currency) = 3),
  status            text    NOT NULL
                            CHECK (status IN ('authorized', 'declined', 'captured', 'capture_failed',
                                              'voided', 'refunded', 'paid', 'failed')),
  created_at        bigint  NOT NULL,
  updated_at        bigint  NOT NULL
);

CREATE INDEX sandbox_charges_reference_idx ON sandbox_charges (reference);

-- The processor's idempotency keys: an operation retried with the same key
-- is answered from here and changes nothing; the primary key decides
-- between two instances running the same operation at once.  Kept (small
-- rows): a key must stay recognised for as long as the platform may retry
-- its job.
CREATE TABLE sandbox_operations (
  op_key     text    NOT NULL PRIMARY KEY,
  charge_id  text,                                   -- the charge it touched, or NULL
  created_at bigint  NOT NULL
);

-- ---- Webhooks ------------------------------------------------------------------
--
-- What the sandbox processor and identity provider send us, delivered at
-- least once with backoff.  A worker claims due rows for a lease
-- (claimed_by, claimed_until) with FOR UPDATE SKIP LOCKED; a crashed
-- worker's lease simply expires.  Delivered rows stay a week for
-- inspection, then are deleted.

CREATE TABLE webhook_outbox (
  rowid           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: the tie-break
  id              text    NOT NULL UNIQUE,           -- msg_…
  endpoint        text    NOT NULL CHECK (endpoint IN ('payments', 'kyc')),
  event_id        text    NOT NULL UNIQUE,           -- one message per event
  body            text    NOT NULL,                  -- signed at each delivery, not here
  attempts        bigint  NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
  next_attempt_at bigint  NOT NULL,
  claimed_by      text,
  claimed_until   bigint,
  last_error      text,
  delivered_at    bigint,
  created_at      bigint  NOT NULL,
  CONSTRAINT webhook_outbox_claim_check CHECK ((claimed_by IS NULL) = (claimed_until IS NULL)),
  CONSTRAINT webhook_outbox_delivered_check CHECK (delivered_at IS NULL OR claimed_by IS NULL)
);

-- Due messages in order; also counts what is waiting.
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (next_attempt_at, rowid) WHERE delivered_at IS NULL;
-- Delivered messages by age, for their deletion.
CREATE INDEX webhook_outbox_delivered_idx ON webhook_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Incoming webhook event ids already processed (deduplication: the primary
-- key decides, INSERT … ON CONFLICT DO NOTHING).  Kept: a sender may retry
-- an event for as long as it was not acknowledged.
CREATE TABLE webhook_events_seen (
  event_id text    NOT NULL PRIMARY KEY,
  seen_at  bigint  NOT NULL
);
