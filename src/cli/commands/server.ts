// tarn run, tarn metadata, tarn gateway: the server processes (src/server).
import * as grpc from "@grpc/grpc-js";
import { Command, Option } from "commander";
import type { LogLevel } from "../../metadata";
import { runGateway, runMetadataMember, runServer } from "../../server";

/** grpc-js's own stderr lines (e.g. "E No address added") are not JSON: quiet unless GRPC_VERBOSITY asks. */
const quietGrpc = () => {
  if (!process.env.GRPC_VERBOSITY) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
};

const logLevel = () => new Option("--log-level <level>", "debug, info, warn or error").choices(["debug", "info", "warn", "error"]).default("info");

export function registerServerCommands(program: Command): void {
  program
    .command("run")
    .description("run all of Tarn in one process: a single-node metadata service, a local object store in the data dir, the S3 gateway")
    .option("--data-dir <dir>", "where state, snapshots and repositories' default storage live", "./tarn-data")
    .option("--listen <host:port>", "HTTP: the S3 gateway, /metrics and /healthz", "127.0.0.1:8000")
    .option("--grpc-listen <host:port>", "gRPC: the metadata API the CLI and SDKs call", "127.0.0.1:9000")
    .option("--cluster-secret-file <file>", "the secret that encrypts stored credentials (default: TARN_CLUSTER_SECRET, else one kept in the data dir)")
    .addOption(logLevel())
    .addHelpText(
      "after",
      "\nOn an empty data dir it creates the admin user with TARN_ADMIN_ACCESS_KEY_ID and TARN_ADMIN_SECRET_ACCESS_KEY,\nor generates keys, prints them once and writes them to ~/.tarn/config.yaml (when that file does not exist).\n\nExample:\n  tarn run --data-dir /var/lib/tarn",
    )
    .action(async (opts: { dataDir: string; listen: string; grpcListen: string; clusterSecretFile?: string; logLevel: LogLevel }) => {
      quietGrpc();
      await runServer(opts);
    });

  program
    .command("metadata")
    .description("run one member of a metadata cluster (metadata API and Raft peer API on one gRPC port)")
    .requiredOption("--id <id>", "this member's id, unique and stable")
    .requiredOption("--data-dir <dir>", "this member's Raft log, state database and caches")
    .requiredOption("--listen <host:port>", "gRPC address (clients and peers)")
    .requiredOption("--peers <list>", "ID=HOST:PORT,... of the members (this one included); with --join, the members to join")
    .option("--join", "join a running cluster (then: tarn cluster add-member ID HOST:PORT)")
    .option("--snapshot-store <uri>", "where Raft snapshots go, shared by the members (s3://BUCKET/PREFIX, azure://ACCOUNT/CONTAINER/PREFIX; default local in the data dir)")
    .option("--cluster-secret-file <file>", "the shared cluster secret (default: TARN_CLUSTER_SECRET)")
    .option("--metrics-listen <host:port>", "serve Prometheus /metrics on this HTTP address")
    .option("--s3-endpoint <url>", "an S3-compatible server for s3:// stores (default: TARN_S3_ENDPOINT)")
    .option("--azure-endpoint <url>", "the Azure blob endpoint for azure:// stores (default: TARN_AZURE_ENDPOINT)")
    .option("--default-namespace <uri>", "repositories created without a storage namespace get URI/NAME")
    .option("--tick-ms <ms>", "milliseconds per Raft tick", (v) => Number(v), 100)
    .option("--snapshot-entries <n>", "take a snapshot every this many applied entries (for a large state: once they hold a quarter of the last snapshot's bytes, at the latest after 16 times as many)", (v) => Number(v), 10000)
    .addOption(logLevel())
    .addHelpText(
      "after",
      "\nExample (three members; the first start creates the admin user from TARN_ADMIN_*):\n  export TARN_CLUSTER_SECRET=... TARN_ADMIN_ACCESS_KEY_ID=... TARN_ADMIN_SECRET_ACCESS_KEY=...\n  tarn metadata --id m1 --data-dir /var/lib/tarn --listen 10.0.0.1:9000 \\\n    --peers m1=10.0.0.1:9000,m2=10.0.0.2:9000,m3=10.0.0.3:9000 --snapshot-store s3://bucket/tarn-snapshots",
    )
    .action(
      async (opts: {
        id: string;
        dataDir: string;
        listen: string;
        peers: string;
        join?: boolean;
        snapshotStore?: string;
        clusterSecretFile?: string;
        metricsListen?: string;
        s3Endpoint?: string;
        azureEndpoint?: string;
        defaultNamespace?: string;
        tickMs: number;
        snapshotEntries: number;
        logLevel: LogLevel;
      }) => {
        quietGrpc();
        await runMetadataMember({ ...opts, defaultNamespacePrefix: opts.defaultNamespace });
      },
    );

  program
    .command("gateway")
    .description("run a stateless S3 gateway in front of a metadata cluster")
    .requiredOption("--listen <host:port>", "HTTP address of the S3 gateway (also /metrics, /healthz)")
    .requiredOption("--metadata <list>", "HOST:PORT,... of the metadata members")
    .option("--cluster-secret-file <file>", "the shared cluster secret (default: TARN_CLUSTER_SECRET)")
    .option("--domain <domain>", "accept virtual-host style requests under this domain (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .addOption(logLevel())
    .addHelpText("after", "\nExample:\n  tarn gateway --listen 0.0.0.0:8000 --metadata 10.0.0.1:9000,10.0.0.2:9000,10.0.0.3:9000")
    .action(async (opts: { listen: string; metadata: string; clusterSecretFile?: string; domain?: string[]; logLevel: LogLevel }) => {
      quietGrpc();
      await runGateway({ ...opts, domains: opts.domain });
    });
}
