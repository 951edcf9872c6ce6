// Store URIs, parsed strictly (pure): anything unexpected is one INVALID_ARGUMENT saying what is wrong.
//   local://DIR                                      DIR absolute (local:///srv/data) or relative to the cwd
//   s3://BUCKET[/PREFIX]
//   azure://ACCOUNT/CONTAINER[/PREFIX]
//   https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]
// A PREFIX is taken literally (no percent-decoding) and becomes "PREFIX/" in front of every key.
import * as path from "node:path";
import { invalidArgument } from "../errors";

export type StoreLocation =
  | { kind: "local"; root: string }
  | { kind: "s3"; bucket: string; prefix: string }
  | { kind: "azure"; account: string; container: string; prefix: string };

const EXPECTED = "expected local://DIR, s3://BUCKET/PREFIX, azure://ACCOUNT/CONTAINER/PREFIX or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX";
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const AZURE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const AZURE_CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const AZURE_HOST = /^([^./]+)\.blob\.core\.windows\.net$/;

export function parseStoreUri(uri: string, cwd: string = process.cwd()): StoreLocation {
  const bad = (why: string) => invalidArgument(`object store URI '${uri}' is not valid: ${why}`);
  if (typeof uri !== "string" || uri === "") throw invalidArgument(`object store URI is empty: ${EXPECTED}`);
  if (uri.includes("\0")) throw bad("it contains a NUL character");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1];
  if (!scheme) throw bad(EXPECTED);
  const rest = uri.slice(scheme.length + 3);
  switch (scheme) {
    case "local": {
      if (rest === "") throw bad("no directory after local://");
      return { kind: "local", root: path.resolve(cwd, rest) };
    }
    case "s3": {
      const [bucket, prefix] = splitFirst(rest);
      if (!S3_BUCKET.test(bucket) || /^\d+\.\d+\.\d+\.\d+$/.test(bucket) || bucket.includes("..")) {
        throw bad(`'${bucket}' is not an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')`);
      }
      return { kind: "s3", bucket, prefix: checkPrefix(prefix, bad) };
    }
    case "azure": {
      const [account, afterAccount] = splitFirst(rest);
      return azureLocation(account, afterAccount, bad);
    }
    case "https": {
      const [host, afterHost] = splitFirst(rest);
      const account = AZURE_HOST.exec(host)?.[1];
      if (!account) throw bad(`the only https URIs accepted are Azure blob URLs (ACCOUNT.blob.core.windows.net); ${EXPECTED}`);
      return azureLocation(account, afterHost, bad);
    }
    default:
      throw bad(`unknown scheme '${scheme}': ${EXPECTED}`);
  }
}

function azureLocation(account: string, rest: string, bad: (why: string) => Error): StoreLocation {
  if (!AZURE_ACCOUNT.test(account)) throw bad(`'${account}' is not an Azure storage account name (3-24 lower-case letters and digits)`);
  const [container, prefix] = splitFirst(rest);
  if (container === "") throw bad("no container after the account");
  if (!AZURE_CONTAINER.test(container)) {
    throw bad(`'${container}' is not an Azure container name (3-63 lower-case letters, digits and single '-')`);
  }
  return { kind: "azure", account, container, prefix: checkPrefix(prefix, bad) };
}

const splitFirst = (s: string): [string, string] => {
  const slash = s.indexOf("/");
  return slash < 0 ? [s, ""] : [s.slice(0, slash), s.slice(slash + 1)];
};

/** "" stays ""; "a/b" and "a/b/" become "a/b/". Empty, "." and ".." segments and ?/# are refused. */
function checkPrefix(prefix: string, bad: (why: string) => Error): string {
  if (prefix === "") return "";
  if (/[?#]/.test(prefix)) throw bad("query strings and fragments are not allowed");
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  for (const segment of trimmed.split("/")) {
    if (segment === "") throw bad("the prefix has an empty path segment ('//')");
    if (segment === "." || segment === "..") throw bad(`the prefix has a '${segment}' segment`);
  }
  return trimmed + "/";
}
