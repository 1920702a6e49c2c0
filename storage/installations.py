"""The tables behind multi-workspace installs: slack-sdk's installation and OAuth state stores.

The shapes are slack-sdk's own (``SQLAlchemyInstallationStore``, ``SQLAlchemyOAuthStateStore``),
declared here on our metadata so that our Alembic migration creates them and the schema
test checks them; nothing calls ``create_all`` at runtime. Two changes from upstream:
token columns are ``Text`` holding Fernet ciphertext (a rotating token's ciphertext is
longer than upstream's 200 characters), and ``EncryptedToken`` does the encryption at the
column, so every read and write through the store is sealed without copying its logic.

Pure SQLAlchemy: slack-sdk's store classes are imported only in OAuth mode (storage.installation_store).
"""
from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

BOTS_TABLE = "slack_bots"
INSTALLATIONS_TABLE = "slack_installations"
STATES_TABLE = "slack_oauth_states"


class TokenCipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...
    def decrypt(self, token: bytes) -> bytes: ...


class EncryptedToken(TypeDecorator):
    """A token column: Fernet ciphertext in the database, the plain token in Python.

    Without a cipher (the schema declaration that migrations compare against) it is plain Text.
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher | None = None):
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.encrypt(value.encode()).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.decrypt(value.encode("ascii")).decode()


def installations_table(metadata: sa.MetaData, cipher: TokenCipher | None = None) -> sa.Table:
    token = EncryptedToken(cipher)
    return sa.Table(
        INSTALLATIONS_TABLE, metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", token),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", token),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", token),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", token),
        sa.Column("user_token_expires_at", sa.DateTime),
        sa.Column("incoming_webhook_url", token),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean, default=False, nullable=False),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime, nullable=False, default=sa.func.now()),
        sa.Index(f"{INSTALLATIONS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
    )


def bots_table(metadata: sa.MetaData, cipher: TokenCipher | None = None) -> sa.Table:
    token = EncryptedToken(cipher)
    return sa.Table(
        BOTS_TABLE, metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", token),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", token),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("is_enterprise_install", sa.Boolean, default=False, nullable=False),
        sa.Column("installed_at", sa.DateTime, nullable=False, default=sa.func.now()),
        sa.Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )


def oauth_states_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        STATES_TABLE, metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime, nullable=False),
    )


# The schema as migrations create it (plain Text token columns; the store binds its cipher).
installations_table(SQLModel.metadata)
bots_table(SQLModel.metadata)
oauth_states_table(SQLModel.metadata)
