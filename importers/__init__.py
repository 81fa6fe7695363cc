"""Reading and writing files: reference data, demo data, GIS formats."""
