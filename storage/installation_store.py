"""slack-sdk's SQLAlchemy installation and OAuth state stores, on our database and our tables.

Imported only in multi-workspace (OAuth) mode, so a single-workspace bot never loads it.
Tokens are sealed with Fernet: ``TOKEN_ENCRYPTION_KEYS`` holds one key or more, comma-separated;
the first encrypts, every one decrypts (``MultiFernet``), so a key is rotated by putting a new
one first, running ``referral-bot rotate-keys`` (re-seals every token), then dropping the old one.
OAuth states are signed with ``SLACK_STATE_SECRET`` so that a state this app did not issue is
refused before the database is asked.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from storage.installations import EncryptedToken, bots_table, installations_table, oauth_states_table

log = logging.getLogger(__name__)


def token_cipher(keys: Sequence[str]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one Fernet key is needed")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """Upstream's store, reading and writing our tables through token columns that encrypt."""

    def __init__(self, *, client_id: str, engine: sa.Engine, cipher: MultiFernet):
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = sa.MetaData()
        self.bots = bots_table(self.metadata, cipher)
        self.installations = installations_table(self.metadata, cipher)
        self.cipher = cipher

    def create_tables(self) -> None:
        raise RuntimeError("the OAuth tables are created by migrations (referral-bot db upgrade)")

    def workspaces(self) -> set[tuple[str | None, str | None]]:
        """(enterprise_id, team_id) of every workspace with a bot token: where deliveries may go."""
        c = self.bots.c
        query = sa.select(c.enterprise_id, c.team_id).where(c.client_id == self.client_id,
                                                            c.bot_token.is_not(None)).distinct()
        with self.engine.connect() as conn:
            return {(row.enterprise_id, row.team_id) for row in conn.execute(query)}

    def reseal_all(self) -> int:
        """Re-encrypt every stored token with the first key (after a key rotation). Returns rows touched."""
        touched = 0
        with self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                tokens = [c.name for c in table.c if isinstance(c.type, EncryptedToken)]
                raw = sa.Table(table.name, sa.MetaData(), *(sa.Column(n, sa.Text) for n in tokens),
                               sa.Column("id", sa.Integer, primary_key=True))
                for row in conn.execute(sa.select(raw)).mappings():
                    sealed = {n: self.cipher.rotate(row[n].encode("ascii")).decode("ascii")
                              for n in tokens if row[n] is not None}
                    if sealed:
                        conn.execute(raw.update().where(raw.c.id == row["id"]).values(**sealed))
                        touched += 1
        return touched


class SignedOAuthStateStore(SQLAlchemyOAuthStateStore):
    """Upstream's state store on our table, with states signed by SLACK_STATE_SECRET."""

    def __init__(self, *, engine: sa.Engine, secret: str, expiration_seconds: int = 600):
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = sa.MetaData()
        self.oauth_states = oauth_states_table(self.metadata)
        self._secret = secret.encode()

    def create_tables(self) -> None:
        raise RuntimeError("the OAuth tables are created by migrations (referral-bot db upgrade)")

    def _signature(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: object, **kwargs: object) -> str:
        nonce = uuid.uuid4().hex
        signed = f"{nonce}.{self._signature(nonce)}"
        expire_at = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=self.expiration_seconds)
        with self.engine.begin() as conn:
            conn.execute(self.oauth_states.insert(), {"state": signed, "expire_at": expire_at})
        return signed

    def consume(self, state: str) -> bool:
        nonce, _, signature = (state or "").rpartition(".")
        if not nonce or not hmac.compare_digest(signature, self._signature(nonce)):
            log.warning("refused an OAuth state this app did not sign")
            return False
        return super().consume(state)
