"""Coverage of households by shelters and care facilities (issue 9).

Service radii (``radii``), straight-line and road-network coverage (``euclidean``, ``network``),
their refresh when roads or facilities change (``refresh``), shelters' capacity (``shelters``),
care capacity (``care``), child-welfare officers (``child_welfare``) and where to build next
(``suggest``). No HTTP here: ``gis_server/routers/coverage.py`` serves it.
"""
