"""Auth tables: users, role definitions, user roles, API tokens, UI sessions, the audit log.

Secrets are never stored: passwords as scrypt hashes, tokens and session ids as sha256
digests of high-entropy random strings.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from loopml.store.tables._meta import metadata

users = Table(
    "auth_users",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("password_hash", String(512), nullable=True),
    Column("display_name", String(256), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Built-in roles are rows too (seeded on first use) so a store lists what it enforces.
roles = Table(
    "auth_roles",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("description", Text, nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("builtin", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

user_roles = Table(
    "auth_user_roles",
    metadata,
    Column(
        "user",
        String(256),
        ForeignKey("auth_users.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(128), primary_key=True),
)

tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column(
        "user",
        String(256),
        ForeignKey("auth_users.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(256), nullable=False),
    # None: the token acts with its user's roles; else a subset of them.
    Column("roles", JSON, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("last_used_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
)

sessions = Table(
    "auth_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column(
        "user",
        String(256),
        ForeignKey("auth_users.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("principal", String(256), nullable=False),
    Column("via", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("client", String(128), nullable=True),
    Column("detail", JSON, nullable=True),
)
Index("ix_audit_log_at", audit_log.c.at)
Index("ix_audit_log_principal_at", audit_log.c.principal, audit_log.c.at)
