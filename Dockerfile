# syntax=docker/dockerfile:1
# One image, one entry point: `thurkube controller`, `thurkube admission`, `thurkube crd`.
# Build: docker build -t ghcr.io/thurbeen/thurkube:0.1.0 .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: install exactly the lock file, compile TypeScript to dist/, keep production deps only
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY certs ./certs
COPY admission ./admission
COPY controller ./controller
COPY cmd ./cmd
# The kubectl plugin (kubectl-thurkube), compiled with the CLI.
COPY plugin ./plugin
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- run: Node 24 LTS, no build tools, non-root, read-only root file system friendly
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# A small young generation: the services allocate little per request, and V8's default (16 MiB
# semi-spaces) alone costs the controller about 20 MiB of RSS at 1,000 AgentJobs. The benchmarks run
# the compiled services with the same options (dev/cluster/services.ts, IMAGE_NODE_OPTIONS).
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `thurkube` on PATH, so that the entry point reads as the CLI does.
RUN printf '#!/bin/sh\nexec node --enable-source-maps /app/dist/cmd/thurkube.js "$@"\n' > /usr/local/bin/thurkube \
 && chmod 0755 /usr/local/bin/thurkube
# The numeric user the chart's securityContext expects (runAsNonRoot needs a number).
USER 65532:65532
ENTRYPOINT ["thurkube"]
CMD ["--help"]
