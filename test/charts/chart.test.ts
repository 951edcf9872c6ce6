// The Helm chart (charts/tarn) rendered by the real helm binary: lint, then `helm template` with the default
// values and with S3, Azure and gateway values, asserting on the parsed manifests what a running cluster
// depends on (member ids and peer addresses agree, secrets are wired, volumes, probes, disruption budget).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { helm, runHelm } from "../support/helm";

/** The checkout's root: the nearest folder with a package.json (this file runs from test/ or dist/test/). */
function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

const ROOT = projectRoot();
const CHART = path.join(ROOT, "charts", "tarn");
const RELEASE = "rel";
const NAMESPACE = "tarn-test";
const FULLNAME = "rel-tarn";
const HEADLESS = "rel-tarn-headless";

// Kubernetes objects are checked field by field; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

let valuesDir: string;

function valuesFile(name: string, values: object): string {
  const file = path.join(valuesDir, `${name}.yaml`);
  fs.writeFileSync(file, stringify(values));
  return file;
}

/** `helm template` with these values; fails the test with helm's stderr when it does not render. */
function render(values: object = {}, extraArgs: string[] = []): Manifest[] {
  const file = valuesFile(`values-${Math.random().toString(36).slice(2)}`, values);
  const result = runHelm(["template", RELEASE, CHART, "--namespace", NAMESPACE, "-f", file, ...extraArgs], ROOT);
  assert.equal(result.status, 0, `helm template failed: ${result.stderr}`);
  const docs = parseAllDocuments(result.stdout);
  for (const doc of docs) assert.deepEqual(doc.errors, [], `rendered YAML does not parse: ${doc.errors.join("; ")}`);
  return docs.map((d) => d.toJS()).filter((m) => m !== null);
}

function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` named ${name}` : ""}, found ${found.map((m) => m.metadata.name).join(", ") || "none"}`);
  return found[0];
}

/** The value after `flag` in an argument list (flags are separate items: ["--peers", "m0=..."]). */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function memberContainer(manifests: Manifest[]): Manifest {
  const sts = only(manifests, "StatefulSet", FULLNAME);
  return sts.spec.template.spec.containers.find((c: Manifest) => c.name === "metadata");
}

function envVar(container: Manifest, name: string): Manifest {
  const found = (container.env ?? []).find((e: Manifest) => e.name === name);
  assert.ok(found, `container ${container.name} has no env ${name}`);
  return found;
}

function memberHost(i: number): string {
  return `${FULLNAME}-${i}.${HEADLESS}.${NAMESPACE}.svc`;
}

/**
 * Runs the member container's real command in sh with POD_NAME set and a stand-in `node` on PATH that prints
 * its arguments: returns the arguments `node` would have been started with.
 */
function startedArgs(container: Manifest, podName: string): string[] {
  const bin = fs.mkdtempSync(path.join(valuesDir, "bin-"));
  fs.writeFileSync(path.join(bin, "node"), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
  const [shell, ...rest] = [...container.command, ...container.args];
  const result = spawnSync(shell, rest, { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, POD_NAME: podName } });
  assert.equal(result.status, 0, `the member command failed in sh: ${result.stderr}`);
  return result.stdout.split("\n").slice(0, -1);
}

describe("Helm chart charts/tarn", function () {
  before(function () {
    this.timeout(30 * 60_000); // the first `go install` of helm takes minutes
    helm();
    valuesDir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-chart-test-"));
  });

  after(() => {
    if (valuesDir) fs.rmSync(valuesDir, { recursive: true, force: true });
  });

  it("passes helm lint --strict with the defaults and with the gateway and monitoring on", () => {
    const plain = runHelm(["lint", "--strict", CHART], ROOT);
    assert.equal(plain.status, 0, `helm lint failed:\n${plain.stdout}${plain.stderr}`);
    const everything = valuesFile("lint-all", { gateway: { enabled: true, domains: ["s3.example.com"] }, serviceMonitor: { enabled: true }, snapshotStore: "s3://b/p" });
    const full = runHelm(["lint", "--strict", CHART, "-f", everything], ROOT);
    assert.equal(full.status, 0, `helm lint with gateway and ServiceMonitor failed:\n${full.stdout}${full.stderr}`);
  });

  it("runs the release in package.json: Chart.yaml appVersion and the default image tag", () => {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    const chart = parse(fs.readFileSync(path.join(CHART, "Chart.yaml"), "utf8"));
    assert.equal(chart.apiVersion, "v2");
    assert.equal(chart.appVersion, version);
    assert.equal(memberContainer(render()).image, `tarn:${version}`);
  });

  it("can require members on different nodes, and names a wrong anti-affinity setting", () => {
    const sts = only(render({ podAntiAffinity: "required" }), "StatefulSet");
    const [term] = sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepEqual(term.labelSelector.matchLabels, sts.spec.selector.matchLabels);
    const result = runHelm(["template", RELEASE, CHART, "-f", valuesFile("bad-affinity", { podAntiAffinity: "sometimes" })], ROOT);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /podAntiAffinity must be "preferred", "required" or "", got "sometimes"/);
  });

  describe("default values", () => {
    let manifests: Manifest[];
    before(() => {
      manifests = render();
    });

    it("runs three metadata members with peers naming every member through the headless Service", () => {
      const sts = only(manifests, "StatefulSet", FULLNAME);
      assert.equal(sts.spec.replicas, 3);
      assert.equal(sts.spec.serviceName, HEADLESS);
      const headless = only(manifests, "Service", HEADLESS);
      assert.equal(headless.spec.clusterIP, "None");
      assert.equal(headless.spec.publishNotReadyAddresses, true);
      assert.deepEqual(headless.spec.selector, sts.spec.selector.matchLabels);
      const container = memberContainer(manifests);
      assert.equal(flag(container.args, "--peers"), [0, 1, 2].map((i) => `m${i}=${memberHost(i)}:9000`).join(","));
      assert.equal(flag(container.args, "--listen"), "0.0.0.0:9000");
      assert.equal(container.ports.find((p: Manifest) => p.name === "grpc").containerPort, 9000);
    });

    it("gives each member the id of its pod ordinal, the one --peers lists for its own address", () => {
      const container = memberContainer(manifests);
      assert.equal(envVar(container, "POD_NAME").valueFrom.fieldRef.fieldPath, "metadata.name");
      for (const ordinal of [0, 2]) {
        const args = startedArgs(container, `${FULLNAME}-${ordinal}`);
        assert.deepEqual(args.slice(0, 2), ["/app/bin/tarn", "metadata"]);
        const id = flag(args, "--id");
        assert.equal(id, `m${ordinal}`);
        const peers = Object.fromEntries(flag(args, "--peers")!.split(",").map((p) => p.split("=")));
        assert.equal(peers[id!], `${memberHost(ordinal)}:9000`);
        assert.equal(flag(args, "--data-dir"), "/var/lib/tarn");
      }
    });

    it("wires TARN_CLUSTER_SECRET and the admin keys from generated Secrets", () => {
      const container = memberContainer(manifests);
      const ref = envVar(container, "TARN_CLUSTER_SECRET").valueFrom.secretKeyRef;
      const secret = only(manifests, "Secret", ref.name);
      const value = Buffer.from(secret.data[ref.key], "base64").toString();
      assert.ok(value.length >= 32, `the generated cluster secret is too short: ${value.length} characters`);
      assert.equal(secret.metadata.annotations["helm.sh/resource-policy"], "keep");
      for (const name of ["TARN_ADMIN_ACCESS_KEY_ID", "TARN_ADMIN_SECRET_ACCESS_KEY"]) {
        const adminRef = envVar(container, name).valueFrom.secretKeyRef;
        const admin = only(manifests, "Secret", adminRef.name);
        assert.ok(Buffer.from(admin.data[adminRef.key], "base64").toString().length >= 16, `${name} is empty or short`);
      }
    });

    it("claims a volume per member for the data dir, on the default StorageClass", () => {
      const sts = only(manifests, "StatefulSet", FULLNAME);
      const [claim] = sts.spec.volumeClaimTemplates;
      assert.equal(claim.metadata.name, "data");
      assert.equal(claim.spec.resources.requests.storage, "10Gi");
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
      assert.equal(claim.spec.storageClassName, undefined);
      const container = memberContainer(manifests);
      const mount = container.volumeMounts.find((m: Manifest) => m.name === "data");
      assert.equal(mount.mountPath, flag(container.args, "--data-dir"));
    });

    it("probes the member's metrics port and runs it non-root on a read-only root filesystem", () => {
      const container = memberContainer(manifests);
      const metricsPort = Number(flag(container.args, "--metrics-listen")!.split(":")[1]);
      assert.equal(container.ports.find((p: Manifest) => p.name === "metrics").containerPort, metricsPort);
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        assert.equal(probe.httpGet.port, "metrics");
        assert.match(probe.httpGet.path, /^\/(healthz|metrics)$/);
      }
      const sts = only(manifests, "StatefulSet", FULLNAME);
      assert.equal(sts.spec.template.spec.securityContext.runAsNonRoot, true);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.ok(container.volumeMounts.some((m: Manifest) => m.mountPath === "/tmp"), "no writable /tmp");
    });

    it("spreads members over nodes and lets disruptions take one at a time", () => {
      const sts = only(manifests, "StatefulSet", FULLNAME);
      const [term] = sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
      assert.deepEqual(term.podAffinityTerm.labelSelector.matchLabels, sts.spec.selector.matchLabels);
      const pdb = only(manifests, "PodDisruptionBudget");
      assert.equal(pdb.spec.maxUnavailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, sts.spec.selector.matchLabels);
    });

    it("has a client Service for the gRPC port and no gateway or ServiceMonitor", () => {
      const client = only(manifests, "Service", FULLNAME);
      assert.deepEqual(client.spec.ports.map((p: Manifest) => [p.name, p.port]), [["grpc", 9000]]);
      assert.equal(manifests.filter((m) => m.kind === "Deployment").length, 0);
      assert.equal(manifests.filter((m) => m.kind === "ServiceMonitor").length, 0);
      assert.equal(flag(memberContainer(manifests).args, "--snapshot-store"), undefined);
    });
  });

  it("rejects an even number of members with the reason", () => {
    for (const replicas of [2, 4]) {
      const file = valuesFile(`even-${replicas}`, { replicas });
      const result = runHelm(["template", RELEASE, CHART, "-f", file], ROOT);
      assert.notEqual(result.status, 0, `replicas=${replicas} rendered`);
      assert.match(result.stderr, new RegExp(`replicas must be odd .*got ${replicas}`));
    }
  });

  it("lists five members in --peers when replicas is 5", () => {
    const manifests = render({ replicas: 5 });
    assert.equal(only(manifests, "StatefulSet").spec.replicas, 5);
    assert.equal(flag(memberContainer(manifests).args, "--peers"), [0, 1, 2, 3, 4].map((i) => `m${i}=${memberHost(i)}:9000`).join(","));
  });

  it("takes an S3 snapshot store, credentials from a Secret and a StorageClass", () => {
    const manifests = render({
      snapshotStore: "s3://my-bucket/tarn-snapshots",
      objectStore: { env: { TARN_S3_REGION: "eu-west-1", TARN_S3_FORCE_PATH_STYLE: true }, credentialsSecret: "tarn-s3" },
      persistence: { storageClass: "gp3", size: "50Gi" },
      clusterSecret: { existingSecret: "my-cluster-secret" },
      adminCredentials: { existingSecret: "my-admin" },
    });
    const container = memberContainer(manifests);
    assert.equal(flag(container.args, "--snapshot-store"), "s3://my-bucket/tarn-snapshots");
    assert.equal(envVar(container, "TARN_S3_REGION").value, "eu-west-1");
    assert.equal(envVar(container, "TARN_S3_FORCE_PATH_STYLE").value, "true");
    assert.deepEqual(container.envFrom, [{ secretRef: { name: "tarn-s3" } }]);
    assert.equal(envVar(container, "TARN_CLUSTER_SECRET").valueFrom.secretKeyRef.name, "my-cluster-secret");
    assert.equal(envVar(container, "TARN_ADMIN_ACCESS_KEY_ID").valueFrom.secretKeyRef.name, "my-admin");
    assert.equal(manifests.filter((m) => m.kind === "Secret").length, 0, "existing secrets must not be created again");
    const [claim] = only(manifests, "StatefulSet").spec.volumeClaimTemplates;
    assert.equal(claim.spec.storageClassName, "gp3");
    assert.equal(claim.spec.resources.requests.storage, "50Gi");
  });

  it("takes an Azure snapshot store and Azure settings", () => {
    const manifests = render({
      snapshotStore: "azure://myaccount/tarn/snapshots",
      objectStore: {
        env: { TARN_AZURE_ENDPOINT: "https://myaccount.blob.core.windows.net" },
        extraEnv: [{ name: "TARN_AZURE_ACCOUNT_KEY", valueFrom: { secretKeyRef: { name: "azure", key: "account-key" } } }],
      },
    });
    const container = memberContainer(manifests);
    assert.equal(flag(container.args, "--snapshot-store"), "azure://myaccount/tarn/snapshots");
    assert.equal(envVar(container, "TARN_AZURE_ENDPOINT").value, "https://myaccount.blob.core.windows.net");
    assert.deepEqual(envVar(container, "TARN_AZURE_ACCOUNT_KEY").valueFrom.secretKeyRef, { name: "azure", key: "account-key" });
    assert.equal(container.envFrom, undefined);
  });

  it("adds the S3 gateway only when enabled, pointed at every member", () => {
    const manifests = render({ gateway: { enabled: true, replicas: 3, domains: ["s3.example.com"] }, serviceMonitor: { enabled: true } });
    const deployment = only(manifests, "Deployment", `${FULLNAME}-gateway`);
    assert.equal(deployment.spec.replicas, 3);
    const [container] = deployment.spec.template.spec.containers;
    assert.equal(container.args[0], "gateway");
    const members = [0, 1, 2].map((i) => `${memberHost(i)}:9000`);
    assert.equal(flag(container.args, "--metadata"), members.join(","));
    const peers = flag(memberContainer(manifests).args, "--peers")!.split(",").map((p) => p.split("=")[1]);
    assert.deepEqual(peers, members);
    assert.equal(flag(container.args, "--domain"), "s3.example.com");
    assert.equal(flag(container.args, "--listen"), "0.0.0.0:8000");
    const memberSecret = envVar(memberContainer(manifests), "TARN_CLUSTER_SECRET").valueFrom.secretKeyRef;
    assert.deepEqual(envVar(container, "TARN_CLUSTER_SECRET").valueFrom.secretKeyRef, memberSecret);
    assert.equal(container.readinessProbe.httpGet.path, "/healthz");
    const service = only(manifests, "Service", `${FULLNAME}-gateway`);
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.equal(service.spec.ports[0].port, 8000);
    assert.equal(manifests.filter((m) => m.kind === "ServiceMonitor").length, 2);
  });
});
