# syntax=docker/dockerfile:1
# One image carries the `maie` CLI: operator, scorer, pipeline, backup.
# Build stage: compiles the TypeScript and the WebAssembly TreeSHAP core from source.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY tools/build-wasm.js tools/
COPY src/ src/
RUN npm run build:wasm && npx tsc -p tsconfig.json --rootDir . --outDir dist \
    && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: production dependencies and the compiled output only; no
# compilers, no dev dependencies, no secrets. Runs as a numeric non-root user
# and writes only to mounted volumes (/data, /backups) and /tmp, so the pod
# can use readOnlyRootFilesystem.
FROM node:24-bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="maie" \
      org.opencontainers.image.description="MAIE operator and WebAssembly TreeSHAP scoring sidecar" \
      org.opencontainers.image.source="https://github.com/maie/maie-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/src/ dist/src/
COPY --from=build /src/dist/wasm/ dist/wasm/
USER 10001:10001
EXPOSE 8000 8080
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["--help"]
