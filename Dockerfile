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
# --min-semi-space-size=8: the gateway receives a large upload in 64 KiB buffers that Node's HTTP parser
# allocates outside the JS heap; V8 answers that memory with young-generation collections, and once the young
# generation has shrunk (V8 shrinks it to about 1 MB after quieter periods) an upload ran one every ~7 MB
# (bench/gateway with BENCH_TRACE_GC: 145 scavenges per 2 GB moved after the small-object phase, 51 with the
# floor). The floor costs about 10 MB of memory. V8 takes the flag only on the command line (not NODE_OPTIONS).
ENTRYPOINT ["node", "--min-semi-space-size=8", "bin/tarn"]
CMD ["--help"]
