"""Exports of any layer (``GET /api/layers/{layer}/export``): columns with Chinese labels and names
beside codes (``columns``), rows read through the feature store and written by ``formats`` (``build``).
"""
