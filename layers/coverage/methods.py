"""The ways coverage is measured, named once: straight-line (euclidean) or over the road network, on
foot or by car. Below every coverage module, so none of them needs another to know the names.
"""

from __future__ import annotations

METHODS = ("euclidean", "network")
MODES = ("walking", "driving")
# Nobody joins the network from the side of these (access-controlled: 高速公路 only at interchanges,
# which the roads layer does not record): facilities and households snap to other roads.
NO_ACCESS_CLASSES = ["expressway"]
