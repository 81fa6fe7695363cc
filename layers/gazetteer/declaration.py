"""The place-name layers as the registry serves them: the models of ``layers.place_names`` with the
gazetteer's write hooks (``layers.gazetteer.writes``). Declared here, above both, so that the models never
import the rules that read them. Extensions use the constants, not a lookup by name.
"""

from __future__ import annotations

from layers.gazetteer.writes import checked_restore, checked_write
from layers.place_names import THEME, WRITERS, PlaceName, PlaceNameSign
from layers.registry import LayerSpec, NewFeaturePage
from layers.roles import EVERYONE

PLACE_NAMES = LayerSpec(
    "place_names", "地名", THEME, PlaceName, "Geometry", EVERYONE, WRITERS, natural_key=("code",), large=True,
    style={"color": "#1f4e9c", "radius": 4}, prepare_write=checked_write, validate_write=checked_restore,
    # a new name is registered as 拟命名 on the gazetteer's page (naming rules, status), not drawn on the map
    new_feature_page=NewFeaturePage("/place-names#pn-new", "到地名管理页登记拟命名 ›"),
    search_api="/api/place-names/search")
PLACE_NAME_SIGNS = LayerSpec("place_name_signs", "地名标志", THEME, PlaceNameSign, "Point", EVERYONE, WRITERS,
                             title_field="inscription", style={"color": "#2a7ab8", "radius": 4})
LAYERS = [PLACE_NAMES, PLACE_NAME_SIGNS]
