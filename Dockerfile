# The service image used by docker-compose.yml (front-end assets come from the npm registry at build).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && python -m web_map.assets
ENV GIS_HOST=0.0.0.0 GIS_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "haicheng-gis migrate && haicheng-gis serve"]
