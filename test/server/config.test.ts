// Pure parts of the server processes: listen addresses, --peers, object-store settings from the environment,
// admin keys; and the CLI's progress line.
import { strict as assert } from "node:assert";
import { renderProgress } from "../../src/cli/progress";
import { parseEndpointList, parseHostPort, parsePeers, storeConfigFromEnv } from "../../src/server";
import { adminKeysFromEnv } from "../../src/server/admin-env";

describe("server configuration", () => {
  it("parses HOST:PORT and refuses anything else with the flag's name", () => {
    assert.deepEqual(parseHostPort("127.0.0.1:9000", "--listen"), { host: "127.0.0.1", port: 9000 });
    assert.deepEqual(parseHostPort("[::1]:0", "--listen"), { host: "::1", port: 0 });
    assert.throws(() => parseHostPort("localhost", "--listen"), /--listen: 'localhost' is not HOST:PORT/);
    assert.throws(() => parseHostPort("h:70000", "--grpc-listen"), /--grpc-listen: port 70000/);
  });

  it("parses --peers and --metadata lists", () => {
    assert.deepEqual(parsePeers("m1=10.0.0.1:9000,m2=[::1]:9001"), { m1: "10.0.0.1:9000", m2: "[::1]:9001" });
    assert.throws(() => parsePeers("m1=a:1,m1=b:2"), /member 'm1' is listed twice/);
    assert.throws(() => parsePeers("m1:9000"), /'m1:9000' is not ID=HOST:PORT/);
    assert.throws(() => parsePeers("bad id=a:1"), /invalid member id 'bad id'/);
    assert.deepEqual(parseEndpointList("a:1,b:2", "--metadata"), ["a:1", "b:2"]);
  });

  it("reads object-store settings from the environment", () => {
    const config = storeConfigFromEnv({ TARN_S3_ENDPOINT: "http://127.0.0.1:7070", TARN_S3_ACCESS_KEY_ID: "k", TARN_S3_SECRET_ACCESS_KEY: "s", TARN_AZURE_CONNECTION_STRING: "cs" });
    assert.deepEqual(config, { s3: { endpoint: "http://127.0.0.1:7070", forcePathStyle: true, accessKeyId: "k", secretAccessKey: "s" }, azure: { connectionString: "cs" } });
    assert.deepEqual(storeConfigFromEnv({}), {});
    assert.equal(storeConfigFromEnv({ TARN_S3_ENDPOINT: "http://x", TARN_S3_FORCE_PATH_STYLE: "false" }).s3?.forcePathStyle, false);
    assert.throws(() => storeConfigFromEnv({ TARN_S3_ACCESS_KEY_ID: "k" }), /must be set together/);
    assert.throws(() => storeConfigFromEnv({ TARN_S3_FORCE_PATH_STYLE: "yes" }), /'true' or 'false'/);
  });

  it("takes admin keys as a pair", () => {
    assert.equal(adminKeysFromEnv({}), undefined);
    assert.deepEqual(adminKeysFromEnv({ TARN_ADMIN_ACCESS_KEY_ID: "a", TARN_ADMIN_SECRET_ACCESS_KEY: "b" }), { accessKeyId: "a", secretAccessKey: "b" });
    assert.throws(() => adminKeysFromEnv({ TARN_ADMIN_ACCESS_KEY_ID: "a" }), /TARN_ADMIN_ACCESS_KEY_ID is set without the other/);
  });

  it("renders a progress line that fits the terminal", () => {
    const line = renderProgress("upload", 5, 10, 512 * 1024, 1024 * 1024, 1000, 80);
    assert.match(line, /^upload \[#+\.+\] 50% 5\/10 files 512\.0 KiB\/1\.0 MiB 512\.0 KiB\/s$/);
    assert.ok(line.length <= 80, `${line.length} columns`);
    assert.match(renderProgress("download", 0, 0, 0, 0, 0), / 100% 0\/0 files/);
  });
});
