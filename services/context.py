"""What every listener needs, built once by the app factory and passed to ``register``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from services.people import PeopleDirectory


@dataclass(frozen=True)
class AppContext:
    engine: sa.Engine
    people: PeopleDirectory
    # An aware "now"; tests pin it, production reads the system clock.
    clock: Callable[[], datetime]
