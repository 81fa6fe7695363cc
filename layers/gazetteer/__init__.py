"""The place-name gazetteer (地名): classes, pinyin, naming rules, search, lifecycle, names, signs, publication.

The place records are the ``place_names`` layer (``layers.place_names``); this package holds what
only the gazetteer does. No HTTP here.
"""
