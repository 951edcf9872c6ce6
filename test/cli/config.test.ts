import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultConfigPath, loadConfig, parseConfigText, parseEndpoints, requireCredentials, writeConfig } from "../../src/cli/config";
import { TarnError } from "../../src/errors";

function refused(fn: () => unknown, code: string, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TarnError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

const CREDS = { accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: "abcdefghijklmnopqrstuvwxyz0123456789_-AB" };

describe("cli: client configuration", () => {
  let home: string;
  let file: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-config-"));
    file = defaultConfigPath(home);
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it("defaults to 127.0.0.1:9000 without credentials when nothing is configured", () => {
    const config = loadConfig({ env: {}, file });
    assert.deepEqual(config.endpoints, [{ host: "127.0.0.1", port: 9000 }]);
    assert.equal(config.credentials, undefined);
    assert.equal(file, path.join(home, ".tarn", "config.yaml"));
    refused(() => requireCredentials(config), "UNAUTHENTICATED", /no credentials: set TARN_ACCESS_KEY_ID and TARN_SECRET_ACCESS_KEY, or put them in .*config\.yaml/);
  });

  it("writes the file with mode 0600 in a 0700 directory and reads it back", () => {
    writeConfig({ endpoints: parseEndpoints("10.0.0.1:9000,10.0.0.2:9000", "test"), credentials: CREDS }, file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["config.yaml"], "no temporary file left behind");
    const config = loadConfig({ env: {}, file });
    assert.deepEqual(config.endpoints, [{ host: "10.0.0.1", port: 9000 }, { host: "10.0.0.2", port: 9000 }]);
    assert.deepEqual(config.credentials, CREDS);
    assert.equal(config.sources.credentials, file);
    assert.deepEqual(config.warnings, []);
    // Rewriting replaces the file and keeps the mode.
    writeConfig({ endpoints: parseEndpoints("127.0.0.1:9100", "test"), credentials: CREDS }, file);
    assert.deepEqual(loadConfig({ env: {}, file }).endpoints, [{ host: "127.0.0.1", port: 9100 }]);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it("lets the environment win, setting by setting", () => {
    writeConfig({ endpoints: parseEndpoints("filehost:9000", "test"), credentials: CREDS }, file);
    const onlyEndpoint = loadConfig({ env: { TARN_ENDPOINT: "a:1, b:2" }, file });
    assert.deepEqual(onlyEndpoint.endpoints, [{ host: "a", port: 1 }, { host: "b", port: 2 }]);
    assert.equal(onlyEndpoint.sources.endpoints, "TARN_ENDPOINT");
    assert.deepEqual(onlyEndpoint.credentials, CREDS, "credentials still from the file");
    const both = loadConfig({ env: { TARN_ACCESS_KEY_ID: "AKIAENVENVENVENVENV0", TARN_SECRET_ACCESS_KEY: "env-secret" }, file });
    assert.deepEqual(both.credentials, { accessKeyId: "AKIAENVENVENVENVENV0", secretAccessKey: "env-secret" });
    assert.deepEqual(both.endpoints, [{ host: "filehost", port: 9000 }]);
    refused(() => loadConfig({ env: { TARN_ACCESS_KEY_ID: "AKIAENVENVENVENVENV0" }, file }), "INVALID_ARGUMENT", /TARN_ACCESS_KEY_ID is set but TARN_SECRET_ACCESS_KEY is not/);
  });

  it("parses endpoint lists and refuses malformed endpoints by name", () => {
    assert.deepEqual(parseEndpoints("[::1]:9000,localhost:9001,localhost:9001", "X"), [{ host: "[::1]", port: 9000 }, { host: "localhost", port: 9001 }]);
    refused(() => parseEndpoints("", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /TARN_ENDPOINT: no endpoint given/);
    refused(() => parseEndpoints("a:1,,b:2", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /TARN_ENDPOINT: invalid endpoint '': it is empty \(a stray comma\?\)/);
    refused(() => parseEndpoints("localhost", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /invalid endpoint 'localhost': expected HOST:PORT/);
    refused(() => parseEndpoints("http://localhost:9000", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /without a scheme/);
    refused(() => parseEndpoints("localhost:99999", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /port '99999' must be a number from 1 to 65535/);
    refused(() => parseEndpoints("local host:9000", "TARN_ENDPOINT"), "INVALID_ARGUMENT", /'local host' is not a host name or address/);
    refused(() => loadConfig({ env: { TARN_ENDPOINT: "a:0" }, file }), "INVALID_ARGUMENT", /^TARN_ENDPOINT: invalid endpoint 'a:0'/);
  });

  it("accepts the endpoint as a YAML list and an empty file", () => {
    assert.deepEqual(parseConfigText("endpoint:\n  - h1:1\n  - h2:2\n", "f"), { endpoints: [{ host: "h1", port: 1 }, { host: "h2", port: 2 }] });
    assert.deepEqual(parseConfigText("", "f"), {});
    assert.deepEqual(parseConfigText("# only a comment\n", "f"), {});
  });

  it("refuses a malformed file with the file name and what is wrong", () => {
    const cases: Array<[string, RegExp]> = [
      ["endpoint: [a:1\n", /^F: not valid YAML at line \d+, column \d+/],
      ["endpoint: a:1\nendpoint: b:2\n", /^F: not valid YAML at line 2.*unique/i],
      ["- a\n- b\n", /^F: expected a mapping with 'endpoint' and 'credentials' at the top, found a list/],
      ["just text\n", /^F: expected a mapping .* found string "just text"/],
      ["endpoints: a:1\n", /^F: unknown key 'endpoints' \(known: endpoint, credentials\)/],
      ["endpoint: 9000\n", /^F: 'endpoint' must be HOST:PORT.*found number 9000/],
      ["endpoint: nope\n", /^F: endpoint: invalid endpoint 'nope'/],
      ["credentials: AKIA\n", /^F: 'credentials' must be a mapping .* found string "AKIA"/],
      ["credentials:\n  access_key_id: AKIA123\n", /^F: credentials.secret_access_key is missing/],
      ["credentials:\n  access_key_id: AKIA123\n  secret_access_key: 12345\n", /^F: credentials.secret_access_key must be a string \(quote it\); found number 12345/],
      ["credentials:\n  access_key: x\n", /^F: unknown key 'credentials.access_key'/],
    ];
    for (const [text, message] of cases) {
      refused(() => parseConfigText(text, "F"), "INVALID_ARGUMENT", message);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "credentials: [\n", { mode: 0o600 });
    refused(() => loadConfig({ env: {}, file }), "INVALID_ARGUMENT", new RegExp(`^${file.replace(/[.]/g, "\\.")}: not valid YAML`));
  });

  it("warns when a file holding a secret is readable by others", () => {
    writeConfig({ endpoints: parseEndpoints("h:1", "t"), credentials: CREDS }, file);
    fs.chmodSync(file, 0o644);
    const config = loadConfig({ env: {}, file });
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0], /holds a secret but other users can read it \(mode 0644\): run chmod 600/);
  });

  it("reports an unreadable config path clearly", () => {
    fs.mkdirSync(file, { recursive: true }); // a directory where the file should be
    refused(() => loadConfig({ env: {}, file }), "INVALID_ARGUMENT", /cannot read .*config\.yaml: EISDIR/);
  });
});
