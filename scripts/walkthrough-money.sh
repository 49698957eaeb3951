#!/usr/bin/env bash
# walkthrough-money.sh: one campaign from launch to a paid-out withdrawal,
# through the API alone, against a server running with --sandbox:
#
#   scripts/walkthrough-money.sh http://127.0.0.1:8080 ADMIN_EMAIL ADMIN_PASSWORD
#
# (the demo's admin is admin@crowdspark.test / crowdspark-demo).  Every step
# prints the call and the part of the answer that matters.  It moves the
# sandbox test clock forward by 8 days.
set -euo pipefail

BASE=${1:?usage: $0 BASE_URL ADMIN_EMAIL ADMIN_PASSWORD}/api/v1
ADMIN_EMAIL=${2:?}
ADMIN_PASSWORD=${3:?}
RUN=$RANDOM$RANDOM

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# api METHOD PATH [TOKEN] [BODY] [IDEMPOTENCY_KEY]: prints the JSON answer
api() {
  local args=(-sS -X "$1" "$BASE$2" -H 'Content-Type: application/json')
  [[ -n ${3:-} ]] && args+=(-H "Authorization: Bearer $3")
  [[ -n ${4:-} ]] && args+=(-d "$4")
  [[ -n ${5:-} ]] && args+=(-H "Idempotency-Key: $5")
  curl "${args[@]}"
}
get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
# wait_for METHOD PATH TOKEN FIELD VALUE: the webhooks arrive asynchronously
wait_for() {
  local i value
  for ((i = 0; i < 100; i++)); do
    value=$(api GET "$1" "$2" | get "['$3']")
    [[ $value = "$4" ]] && { echo "  $1: $3 = $value"; return; }
    sleep 0.2
  done
  echo "  $1: $3 stayed $value, expected $4" >&2
  exit 1
}
login() {
  api POST /auth/login "" "{\"email\": \"$1\", \"password\": \"$2\"}" | get "['access_token']"
}
register() {
  api POST /auth/register "" "{\"email\": \"$1-$RUN@example.org\", \"username\": \"$1$RUN\", \"password\": \"correct horse battery\"}" \
    | get "['access_token']"
}

say "1. A creator and a backer sign up; an admin signs in"
CREATOR=$(register creator)
BACKER=$(register backer)
ADMIN=$(api POST /auth/login "" "{\"email\": \"$ADMIN_EMAIL\", \"password\": \"$ADMIN_PASSWORD\"}" | get "['access_token']")
echo "  tokens received"

say "2. The creator verifies their identity (sandbox provider, answered by webhook)"
api POST /me/kyc "$CREATOR" '{"full_name": "Ada Maker", "country": "GB", "document_type": "passport", "document_number": "GB1234567"}' \
  | get "['status']"
wait_for /me/kyc "$CREATOR" status verified

say "3. The creator drafts a campaign (goal 100.00 USD, 3 days), submits it; the admin approves it"
CAMPAIGN=$(api POST /campaigns "$CREATOR" '{"title": "Walkthrough lamp", "description": "A lamp.", "category": "design",
  "goal_amount": 10000, "currency": "USD", "duration_days": 3,
  "rewards": [{"title": "One lamp", "minimum_pledge": 12000, "quantity_available": 10}]}' | get "['id']")
TIER=$(api GET "/campaigns/$CAMPAIGN" "$CREATOR" | get "['rewards'][0]['id']")
api POST "/campaigns/$CAMPAIGN/submit" "$CREATOR" | get "['status']"
api POST "/admin/campaigns/$CAMPAIGN/approve" "$ADMIN" | get "['status']"

say "4. The backer tokenises a test card and pledges 120.00 for the lamp"
PM=$(api POST /sandbox/gateway/payment_methods "" '{"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}' \
  | get "['id']")
PLEDGE=$(api POST "/campaigns/$CAMPAIGN/pledges" "$BACKER" "{\"amount\": 12000, \"reward_tier_id\": \"$TIER\", \"payment_method\": \"$PM\"}" \
  "walkthrough-$RUN" | get "['id']")
echo "  pledge $PLEDGE is pending until the gateway's authorization webhook"
wait_for "/pledges/$PLEDGE" "$BACKER" status authorized
api GET "/campaigns/$CAMPAIGN" "" | get "['current_amount'], '(current_amount)'"

say "5. The deadline passes (sandbox test clock): the campaign succeeds, the pledge is captured"
api POST /sandbox/clock "$ADMIN" '{"advance_seconds": 345600}' | get "['now']"
# sessions age with the server's clock like everything else: 15-minute access tokens have expired
CREATOR=$(login "creator-$RUN@example.org" "correct horse battery")
BACKER=$(login "backer-$RUN@example.org" "correct horse battery")
wait_for "/campaigns/$CAMPAIGN" "" status successful
wait_for "/pledges/$PLEDGE" "$BACKER" status collected

say "6. The creator's balance (fees: 5 % + 2.9 % + 0.30, per pledge, half up)"
api GET "/campaigns/$CAMPAIGN/balance" "$CREATOR"
echo
AVAILABLE=$(api GET "/campaigns/$CAMPAIGN/balance" "$CREATOR" | get "['available_amount']")

say "7. The creator withdraws everything; the gateway pays out"
WITHDRAWAL=$(api POST "/campaigns/$CAMPAIGN/withdrawals" "$CREATOR" "{\"amount\": $AVAILABLE}" "payout-$RUN" | get "['id']")
for ((i = 0; i < 100; i++)); do
  STATUS=$(api GET /me/withdrawals "$CREATOR" | get "['items'][0]['status']")
  [[ $STATUS = paid ]] && break
  sleep 0.2
done
echo "  withdrawal $WITHDRAWAL: $STATUS"
api GET "/campaigns/$CAMPAIGN/balance" "$CREATOR"
echo
