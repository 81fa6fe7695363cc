#!/bin/sh
# Run once by the postgis/postgis image on a new data volume (/docker-entrypoint-initdb.d), as its
# superuser: the schema owner (migrations) and the service's login role (DML only), as
# gis_server/db_roles.py makes them for the embedded cluster; tests/security/test_database_roles.py runs
# this script too. For a volume made before this script existed, run it once by hand:
#   docker compose exec db sh /docker-entrypoint-initdb.d/20-haicheng-roles.sh
set -eu
: "${GIS_DB_OWNER_PASSWORD:?set GIS_DB_OWNER_PASSWORD}" "${GIS_DB_APP_PASSWORD:?set GIS_DB_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner="${GIS_DB_OWNER_ROLE:-haicheng_owner}" -v app="${GIS_DB_APP_ROLE:-haicheng_app}" \
  -v owner_password="$GIS_DB_OWNER_PASSWORD" -v app_password="$GIS_DB_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION NOINHERIT PASSWORD :'app_password';
REVOKE :"owner" FROM :"app";
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
-- not trusted extensions: only a superuser may create them (the migrations then find them)
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SELECT 'CREATE EXTENSION IF NOT EXISTS pgrouting'
WHERE EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') \gexec
SQL
