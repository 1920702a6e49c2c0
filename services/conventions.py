"""The workspace's input conventions: read before every command is parsed; changed by admins."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.conventions import Conventions
from domain.funnel import Workspace
from domain.parsing import SETTINGS_USAGE, ChangeConvention, CommandError
from services.people import Person
from storage.convention_queries import get_conventions, set_convention
from storage.engine import read_scope, run_in_transaction


def workspace_conventions(*, engine: sa.Engine, workspace: Workspace) -> Conventions:
    with read_scope(engine) as session:
        return conventions_of(session=session, workspace=workspace)


def conventions_of(*, session: Session, workspace: Workspace) -> Conventions:
    """In the caller's transaction: a command's parse reads them in the listener's one read."""
    return get_conventions(session=session, workspace=workspace)


def change_convention(*, engine: sa.Engine, workspace: Workspace, actor: Person, command: ChangeConvention,
                      now: datetime) -> Conventions:
    if not actor.is_admin:
        raise CommandError("Only an admin can change how the workspace writes money and dates.", usage=SETTINGS_USAGE)

    def work(session: Session) -> Conventions:
        set_convention(session=session, workspace=workspace, field=command.field, value=command.value, now=now)
        return get_conventions(session=session, workspace=workspace)

    return run_in_transaction(engine, work)
