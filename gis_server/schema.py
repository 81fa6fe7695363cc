"""All tables of the database, for Alembic and the schema test (imports every model)."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    from gis_server.accounts import models as _accounts  # noqa: F401
    from gis_server.jobs import models as _jobs  # noqa: F401
    from layers import data_versions as _data_versions  # noqa: F401
    from layers import demo_state as _demo_state  # noqa: F401
    from layers import history as _history  # noqa: F401
    from layers import listed as _listed  # noqa: F401
    from layers.base import Base
    from layers.catalog import registry
    from layers.compliance import models as _compliance  # noqa: F401
    from layers.coverage import models as _coverage  # noqa: F401
    from layers.gazetteer import names as _gazetteer_names  # noqa: F401
    from layers.imports import models as _imports  # noqa: F401
    from layers.inspections import models as _inspections  # noqa: F401
    from layers.siting import models as _siting  # noqa: F401

    registry()
    return Base.metadata
