// proto/metadata.proto parses with protobufjs, every RPC resolves its types, every RPC documents its
// errors, and every RPC has a permission rule in src/auth/methods.ts.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { COVERED_METHODS, requiredPermission } from "../../src/auth";

/** The checkout's root, found from here whether the test runs from test/ (tsx) or dist/test/ (compiled). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "proto", "metadata.proto")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
  }
  throw new Error(`proto/metadata.proto not found above ${__dirname}`);
}

const PROTO = path.join(repoRoot(), "proto", "metadata.proto");
const PACKAGE = "tarn.metadata.v1";

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(PROTO, { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

function services(root: protobuf.Root): protobuf.Service[] {
  const ns = root.lookup(PACKAGE) as protobuf.Namespace;
  return ns.nestedArray.filter((n): n is protobuf.Service => n instanceof protobuf.Service);
}

const ERROR_CODES = /NOT_FOUND|ALREADY_EXISTS|FAILED_PRECONDITION|INVALID_ARGUMENT|UNAUTHENTICATED|PERMISSION_DENIED|UNAVAILABLE/;

describe("proto/metadata.proto", () => {
  const root = load();
  const all = services(root);
  const methods = all.flatMap((s) => s.methodsArray.map((m) => ({ service: s, method: m, path: `/${PACKAGE}.${s.name}/${m.name}` })));

  it("declares the services of the metadata API", () => {
    assert.deepEqual(
      all.map((s) => s.name).sort(),
      ["AuthService", "BranchService", "ClusterService", "CommitService", "ObjectService", "RefService", "RepositoryService", "TagService"],
    );
  });

  it("covers every operation of the versioning engine, auth and cluster", () => {
    const names = new Set(methods.map((m) => m.method.name));
    for (const op of [
      "CreateRepository", "GetRepository", "ListRepositories", "DeleteRepository",
      "CreateBranch", "CreateBranches", "GetBranch", "ListBranches", "DeleteBranch", "ResetBranch", "HardResetBranch", "RevertCommit", "CherryPick",
      "CreateTag", "GetTag", "ListTags", "DeleteTag",
      "PrepareUpload", "PresignUploadParts", "AbortMultipartUpload", "ListParts", "ListMultipartUploads", "StageObject", "StageObjects", "GetObject", "StatObject", "ListObjects", "DeleteObject", "DeleteObjects",
      "Commit", "Log", "GetCommit", "Diff", "DiffUncommitted", "Merge",
      "WhoAmI", "CreateUser", "CreateAccessKey", "DeleteAccessKey", "ListAccessKeys",
      "GetClusterStatus", "AddMember", "RemoveMember", "TransferLeader",
    ]) {
      assert.ok(names.has(op), `missing RPC ${op}`);
    }
  });

  it("resolves the request and response type of every method", () => {
    assert.ok(methods.length >= 40, `only ${methods.length} methods`);
    for (const { method, path: p } of methods) {
      assert.ok(method.resolvedRequestType instanceof protobuf.Type, `${p}: request type ${method.requestType} unresolved`);
      assert.ok(method.resolvedResponseType instanceof protobuf.Type, `${p}: response type ${method.responseType} unresolved`);
    }
  });

  it("streams long listings and diffs from the server, and nothing else", () => {
    const streaming = methods.filter((m) => m.method.responseStream).map((m) => m.method.name).sort();
    assert.deepEqual(streaming, ["Diff", "DiffUncommitted", "ListObjects"]);
    assert.ok(methods.every((m) => !m.method.requestStream), "no method streams requests");
  });

  it("documents the errors of every method", () => {
    for (const { method, path: p } of methods) {
      assert.ok(method.comment, `${p} has no comment`);
      const documented = ERROR_CODES.test(method.comment) || /^(WhoAmI|GetClusterStatus)$/.test(method.name);
      assert.ok(documented, `${p}'s comment names no error code: ${method.comment}`);
    }
    const header = fs.readFileSync(PROTO, "utf8").slice(0, 3000);
    assert.match(header, /x-tarn-leader/);
    assert.match(header, /forwards the call to the leader/);
  });

  it("round-trips a request with maps, enums and nested messages", () => {
    const StageObjectRequest = root.lookupType(`${PACKAGE}.StageObjectRequest`);
    const value = {
      repository: "repo-1",
      branch: "main",
      path: "a/b.parquet",
      physical_address: "data/gabc",
      address_type: 1,
      checksum: "etag",
      size_bytes: 1234,
      user_metadata: { owner: "x" },
      multipart: { upload_id: "u", parts: [{ part_number: 1, etag: "e1" }] },
    };
    assert.equal(StageObjectRequest.verify(value), null);
    const decoded = StageObjectRequest.toObject(StageObjectRequest.decode(StageObjectRequest.encode(StageObjectRequest.fromObject(value)).finish()), {
      longs: Number,
    });
    assert.deepEqual(decoded, value);
  });

  it("has a permission rule for every method, and no rule for a method that does not exist", () => {
    const paths = methods.map((m) => m.path).sort();
    assert.deepEqual([...COVERED_METHODS].sort(), paths);
    for (const p of paths) assert.notEqual(requiredPermission(p, { repository: "r" }, "u"), undefined, p);
    assert.equal(requiredPermission(`/${PACKAGE}.ObjectService/Nope`, {}, "u"), undefined);
  });
});
