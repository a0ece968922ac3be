-- Optional second factor for staff logins (RFC 6238 TOTP).
-- The shared secret, sealed with the key ring (field "totp", bound to the
-- account); NULL while the account has no second factor.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- The time step of the last code accepted: a code is good once, so one
-- seen over a shoulder or in a proxy log cannot be used again.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes for a lost authenticator; only their SHA-256.
CREATE TABLE recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);
