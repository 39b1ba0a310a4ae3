# The image of docker-compose.yml (deploy/): one for `finite serve`, `finite worker` and
# `finite migrate`. Build from the project's root: docker build -t finite .
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md LICENSE* ./
COPY src ./src
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /var/lib/finite --create-home finite

USER finite
ENV FINITE_DATA_DIR=/var/lib/finite \
    FINITE_HOST=0.0.0.0 \
    FINITE_PORT=8000
EXPOSE 8000
CMD ["finite", "serve", "--no-migrate"]
