-- What each person let each single sign-on application have: the union of
-- the scopes they consented to, asked once per application.
CREATE TABLE oidc_consents (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    client_id  TEXT    NOT NULL REFERENCES oidc_clients (client_id),
    scope      TEXT    NOT NULL,
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
