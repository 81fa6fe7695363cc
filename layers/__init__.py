"""The domain: thematic layers, their registry and the analyses that belong to them."""
