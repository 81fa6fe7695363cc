"""Cemetery siting: 三沿六区 rule sets, site checks, candidate sites, suitable land, coverage, graves.

Domain only (no HTTP). Distances are measured in EPSG:4550 metres (DOMAIN.md §2).
"""
