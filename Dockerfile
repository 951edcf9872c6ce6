# The Tarn server image the Helm chart (charts/tarn) runs: `tarn metadata`, `tarn gateway`, `tarn run`.
# Build: docker build -t tarn:0.1.0 .

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, so source edits reuse the cached layer... except that `npm ci` runs the `prepare`
# script (tsc over src, raft, test and bench), so the sources tsconfig.json includes must be here too.
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY proto ./proto
COPY src ./src
COPY raft ./raft
COPY test ./test
COPY bench ./bench
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric uid/gid: the chart's securityContext (runAsUser 10001, fsGroup 10001) matches it.
RUN groupadd --system --gid 10001 tarn \
 && useradd --system --uid 10001 --gid tarn --home-dir /home/tarn --create-home --shell /usr/sbin/nologin tarn
# package.json is read for `tarn --version`; proto/ is loaded at run time (found above dist/).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto ./proto
USER 10001:10001
# 8000: S3 gateway / HTTP, 9000: gRPC (metadata API and Raft peers), 9100: metrics of `tarn metadata`.
EXPOSE 8000 9000 9100
# Node flags for the gateway's large uploads, which arrive in 64 KiB buffers that Node's HTTP parser allocates
# outside the JS heap (bench/gateway with BENCH_TRACE_GC; src/gateway/scavenge-pacer.ts has the whole story):
#   --min-semi-space-size=8: once V8 had shrunk the young generation (to about 1 MB after quieter periods), an
#     upload ran a young collection every ~7 MB (145 per 2 GB moved; 51 with the floor). Costs about 10 MB.
#   --initial-old-space-size=64: V8 counts those buffers against the old generation's allocation limit until
#     they are freed, and with the limit just above a small live heap, a run could fall into a full
#     mark-compact every 20-40 MB of upload (up to 71 in one 2 GB phase, the gateway's CPU per MB doubled).
#     The flag keeps the limit at 64 MB or more; with it and the gateway's byte-paced young collections, no run
#     fell into that state.
# V8 takes these only on the command line (not from NODE_OPTIONS).
ENTRYPOINT ["node", "--min-semi-space-size=8", "--initial-old-space-size=64", "bin/tarn"]
CMD ["--help"]
