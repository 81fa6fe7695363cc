# The service image used by docker-compose.yml (front-end assets come from the npm registry at build).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm postgresql-client && rm -rf /var/lib/apt/lists/*
# The service runs as an unprivileged user: a file that tricks a parser still cannot read what only
# root may read (/etc/shadow) or write to the code. It owns nothing but its data folder.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gis
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && python -m web_map.assets
# photos, thumbnails and logs (a volume in docker-compose.yml); uploads go to private folders in /tmp
RUN mkdir -p /var/lib/haicheng-gis && chown gis:gis /var/lib/haicheng-gis && chmod 0700 /var/lib/haicheng-gis
ENV GIS_HOST=0.0.0.0 GIS_PORT=8000 GIS_DATA_DIR=/var/lib/haicheng-gis
USER gis:gis
EXPOSE 8000
CMD ["sh", "-c", "haicheng-gis migrate && haicheng-gis serve"]
