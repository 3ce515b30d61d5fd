-- Console sign-in (docs/security.md, "Console sign-in"): a staff user's
-- password hash and failure count, and the sessions of signed-in users. Both
-- are kept apart from the user's record, so no read of a user can show them.
CREATE TABLE user_passwords (
    firm_id         BLOB    NOT NULL REFERENCES firms (id),
    user_id         BLOB    NOT NULL,
    password_hash   TEXT    NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (firm_id, user_id)
);

-- Tokens are kept as SHA-256 hashes only; a session's CSRF token is derived
-- from its token (domain::credential::Token::csrf_token), so it is not kept.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE,
    firm_id    BLOB    NOT NULL REFERENCES firms (id),
    user_id    BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (firm_id, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
