// tarn fs upload|download|cat|ls|stat|rm. Bytes move straight between this machine and the object store
// (TarnClient.upload/download); many files go in parallel with a progress bar on a terminal's stderr.
import { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TarnClient } from "../../client";
import { invalidArgument, notFound } from "../../errors";
import type { ObjectStats } from "../../metadata/messages";
import { context } from "../main";
import { table } from "../output";
import { parallel, Progress } from "../progress";
import { formatBytes, formatTime, positiveInt, withClient } from "../session";
import { parseBranchUri, parseRefUri } from "../uri";

const counting = (onBytes: (n: number) => void) =>
  new Transform({
    transform(chunk: Buffer, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });

/** Every regular file under `dir`, as paths relative to it with '/' separators, sorted. */
function walk(dir: string): { rel: string; size: number }[] {
  const found: { rel: string; size: number }[] = [];
  const visit = (abs: string, rel: string) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const a = path.join(abs, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(a, r);
      else if (entry.isFile()) found.push({ rel: r, size: fs.statSync(a).size });
    }
  };
  visit(dir, "");
  return found.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

const joinPath = (prefix: string, rel: string) => (prefix === "" || prefix.endsWith("/") ? prefix + rel : `${prefix}/${rel}`);

async function listAll(client: TarnClient, repository: string, ref: string, prefix: string, delimiter = ""): Promise<ObjectStats[]> {
  const out: ObjectStats[] = [];
  let after = "";
  for (;;) {
    let page = 0;
    let hasMore = false;
    for await (const batch of client.listObjects({ repository, ref, prefix, delimiter, after, amount: 1000 })) {
      out.push(...batch.results);
      page += batch.results.length;
      if (batch.pagination) {
        hasMore = batch.pagination.hasMore;
        after = batch.pagination.nextOffset;
      }
    }
    if (!hasMore || page === 0) return out;
  }
}

function statText(s: ObjectStats): string {
  const lines = [
    `Path:              ${s.path}`,
    `Size:              ${s.sizeBytes} (${formatBytes(s.sizeBytes)})`,
    `Modified:          ${formatTime(s.mtime)}`,
    `Checksum:          ${s.checksum}`,
    `Physical address:  ${s.physicalAddress}`,
    `Content type:      ${s.contentType}`,
  ];
  for (const [k, v] of Object.entries(s.userMetadata).sort()) lines.push(`Metadata:          ${k} = ${v}`);
  return lines.join("\n");
}

export function registerFsCommands(program: Command): void {
  const fsCmd = program.command("fs").description("upload, download, list, inspect and remove objects");

  fsCmd
    .command("upload <local> <uri>")
    .description("upload a file, or a directory with --recursive, to a branch (staged until commit)")
    .option("-r, --recursive", "upload every file under the LOCAL directory")
    .option("-p, --parallelism <n>", "files uploaded at once", positiveInt, 8)
    .option("--content-type <type>", "the objects' content type")
    .addHelpText("after", "\nExamples:\n  tarn fs upload ./data tarn://my-data/main/raw/ --recursive\n  tarn fs upload report.csv tarn://my-data/main/reports/2024.csv")
    .action(async (local: string, uri: string, opts: { recursive?: boolean; parallelism: number; contentType?: string }, cmd: Command) => {
      const dest = parseBranchUri(uri, "optional");
      const { out } = context(cmd);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(local);
      } catch {
        throw notFound(`${local}: no such file or directory`);
      }
      let files: { abs: string; dest: string; size: number }[];
      if (stat.isDirectory()) {
        if (!opts.recursive) throw invalidArgument(`${local} is a directory: pass --recursive to upload everything under it`);
        files = walk(local).map((f) => ({ abs: path.join(local, f.rel), dest: joinPath(dest.path, f.rel), size: f.size }));
      } else {
        const target = dest.path === "" || dest.path.endsWith("/") ? dest.path + path.basename(local) : dest.path;
        files = [{ abs: local, dest: target, size: stat.size }];
      }
      if (!(opts.parallelism >= 1)) throw invalidArgument("--parallelism must be at least 1");
      const progress = new Progress({ verb: "upload", totalFiles: files.length, totalBytes: files.reduce((s, f) => s + f.size, 0) });
      const uploaded: ObjectStats[] = [];
      await withClient((c) =>
        parallel(files, opts.parallelism, async (f) => {
          const body = fs.createReadStream(f.abs).pipe(counting((n) => progress.addBytes(n)));
          uploaded.push(await c.upload(dest.repository, dest.branch, f.dest, body, { contentType: opts.contentType }));
          progress.fileDone();
        }),
      );
      progress.finish();
      uploaded.sort((a, b) => (a.path < b.path ? -1 : 1));
      out.print(uploaded, (rows) => `Uploaded ${rows.length} object${rows.length === 1 ? "" : "s"} (${formatBytes(rows.reduce((s, r) => s + r.sizeBytes, 0))}) to tarn://${dest.repository}/${dest.branch}/${dest.path}`);
    });

  fsCmd
    .command("download <uri> [local]")
    .description("download an object, or every object under a prefix with --recursive")
    .option("-r, --recursive", "download every object under the path")
    .option("-p, --parallelism <n>", "files downloaded at once", positiveInt, 8)
    .addHelpText("after", "\nExamples:\n  tarn fs download tarn://my-data/main/raw/ ./raw --recursive\n  tarn fs download tarn://my-data/main/reports/2024.csv")
    .action(async (uri: string, local: string | undefined, opts: { recursive?: boolean; parallelism: number }, cmd: Command) => {
      const src = parseRefUri(uri, opts.recursive ? "optional" : "required");
      const { out } = context(cmd);
      const written: { path: string; file: string; sizeBytes: number }[] = [];
      await withClient(async (c) => {
        let items: { path: string; file: string; size: number }[];
        if (opts.recursive) {
          const root = local ?? ".";
          const objects = await listAll(c, src.repository, src.ref, src.path);
          items = objects.map((o) => {
            const rel = o.path.slice(src.path.length).replace(/^\/+/, "");
            const file = path.join(root, ...rel.split("/"));
            if (!path.resolve(file).startsWith(path.resolve(root))) throw invalidArgument(`object path '${o.path}' would be written outside ${root}`);
            return { path: o.path, file, size: o.sizeBytes };
          });
        } else {
          const base = src.path.split("/").pop() ?? src.path;
          const file = local === undefined ? base : fs.existsSync(local) && fs.statSync(local).isDirectory() ? path.join(local, base) : local;
          items = [{ path: src.path, file, size: 0 }];
        }
        const progress = new Progress({ verb: "download", totalFiles: items.length, totalBytes: items.reduce((s, i) => s + i.size, 0) });
        await parallel(items, opts.parallelism, async (item) => {
          const { stats, body } = await c.download(src.repository, src.ref, item.path);
          fs.mkdirSync(path.dirname(path.resolve(item.file)), { recursive: true });
          await pipeline(body, counting((n) => progress.addBytes(n)), fs.createWriteStream(item.file));
          written.push({ path: item.path, file: item.file, sizeBytes: stats.sizeBytes });
          progress.fileDone();
        });
        progress.finish();
      });
      written.sort((a, b) => (a.path < b.path ? -1 : 1));
      out.print(written, (rows) => `Downloaded ${rows.length} object${rows.length === 1 ? "" : "s"} (${formatBytes(rows.reduce((s, r) => s + r.sizeBytes, 0))})`);
    });

  fsCmd
    .command("cat <uri>")
    .description("write an object's bytes to stdout")
    .action(async (uri: string) => {
      const src = parseRefUri(uri, "required");
      await withClient(async (c) => {
        const { body } = await c.download(src.repository, src.ref, src.path);
        for await (const chunk of body) {
          if (!process.stdout.write(chunk as Buffer)) await new Promise((r) => process.stdout.once("drain", r));
        }
      });
    });

  fsCmd
    .command("ls <uri>")
    .description("list objects and common prefixes under a path (one level; all of them with --recursive)")
    .option("-r, --recursive", "list every object under the path")
    .addHelpText("after", "\nExamples:\n  tarn fs ls tarn://my-data/main/\n  tarn fs ls tarn://my-data/main/raw/ --recursive")
    .action(async (uri: string, opts: { recursive?: boolean }, cmd: Command) => {
      const src = parseRefUri(uri, "optional");
      const { out } = context(cmd);
      const rows = await withClient((c) => listAll(c, src.repository, src.ref, src.path, opts.recursive ? "" : "/"));
      out.print(rows, (list) =>
        list.length === 0
          ? "No objects."
          : table(
              ["TYPE", "SIZE", "MODIFIED", "PATH"],
              list.map((o) => (o.pathType === "PATH_TYPE_COMMON_PREFIX" ? ["prefix", "", "", o.path] : ["object", String(o.sizeBytes), formatTime(o.mtime), o.path])),
            ),
      );
    });

  fsCmd
    .command("stat <uri>")
    .description("an object's metadata")
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const src = parseRefUri(uri, "required");
      const { out } = context(cmd);
      out.print(await withClient((c) => c.statObject({ repository: src.repository, ref: src.ref, path: src.path })), statText);
    });

  fsCmd
    .command("rm <uri>")
    .description("remove an object, or every object under a prefix with --recursive (staged until commit)")
    .option("-r, --recursive", "remove every object under the path")
    .action(async (uri: string, opts: { recursive?: boolean }, cmd: Command) => {
      const dest = parseBranchUri(uri, opts.recursive ? "optional" : "required");
      const { out } = context(cmd);
      const removed = await withClient(async (c) => {
        if (!opts.recursive) {
          await c.deleteObject({ repository: dest.repository, branch: dest.branch, path: dest.path });
          return [dest.path];
        }
        const paths = (await listAll(c, dest.repository, dest.branch, dest.path)).map((o) => o.path);
        for (let i = 0; i < paths.length; i += 1000) {
          const res = await c.deleteObjects({ repository: dest.repository, branch: dest.branch, paths: paths.slice(i, i + 1000) });
          if (res.errors.length > 0) throw invalidArgument(`could not remove ${res.errors[0].path}: ${res.errors[0].message}${res.errors.length > 1 ? ` (and ${res.errors.length - 1} more)` : ""}`);
        }
        return paths;
      });
      out.print(removed, (rows) => `Removed ${rows.length} object${rows.length === 1 ? "" : "s"}.`);
    });
}
