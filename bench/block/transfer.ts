// One adapter's measurement, run in a process of its own (started by main.ts) so that its peak RSS is
// its own: no other adapter's SDK loaded, no earlier transfer's high-water mark. Sends a generated
// stream of `sizeBytes` up through the store (never the whole object in memory), reads it back, checks
// the SHA-256 both ways, and prints progress lines then one JSON line with the figures.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { openObjectStore, type ObjectStoreConfig } from "../../src/block";
import { Meter } from "../../src/block/streams";

export interface TransferJob {
  adapter: string;
  uri: string;
  config: ObjectStoreConfig;
  sizeBytes: number;
}

export interface TransferResult {
  adapter: string;
  size_mb: number;
  upload_mb_per_s: number;
  download_mb_per_s: number;
  peak_rss_mb: number;
  sha256_ok: boolean;
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB

/** Pseudo-random bytes, 1 MiB per chunk, each chunk stamped with its index so misplaced data shows. */
function generated(size: number): Readable {
  const block = randomBytes(1024 * 1024);
  let sent = 0;
  let n = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)));
      chunk.writeUInt32LE(n++, 0);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

async function transfer(job: TransferJob): Promise<TransferResult> {
  const { adapter, sizeBytes: size } = job;
  const store = openObjectStore(job.uri, job.config);
  const key = `bench/${randomBytes(4).toString("hex")}`;
  try {
    const source = new Meter("sha256");
    generated(size).pipe(source);
    let start = process.hrtime.bigint();
    const put = await store.put(key, source);
    const up = Number(process.hrtime.bigint() - start) / 1e9;
    const sent = source.digest().toString("hex");
    console.log(`${adapter}: up ${mb(put.size).toFixed(0)} MiB in ${up.toFixed(1)} s = ${(mb(size) / up).toFixed(1)} MB/s, peak RSS so far ${peakRssMb()} MB`);

    start = process.hrtime.bigint();
    const back = new Meter("sha256");
    (await store.get(key)).pipe(back);
    for await (const _chunk of back) {
      // drained: only the digest and the byte count matter
    }
    const down = Number(process.hrtime.bigint() - start) / 1e9;
    const ok = back.digest().toString("hex") === sent && back.bytes === size;
    console.log(`${adapter}: down ${mb(back.bytes).toFixed(0)} MiB in ${down.toFixed(1)} s = ${(mb(size) / down).toFixed(1)} MB/s, sha256 ${ok ? "matches" : "MISMATCH"}, peak RSS ${peakRssMb()} MB`);
    await store.delete(key);
    return {
      adapter,
      size_mb: Math.round(mb(size)),
      upload_mb_per_s: +(mb(size) / up).toFixed(1),
      download_mb_per_s: +(mb(size) / down).toFixed(1),
      peak_rss_mb: peakRssMb(),
      sha256_ok: ok,
    };
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  transfer(JSON.parse(process.argv[2]) as TransferJob)
    .then((result) => console.log(JSON.stringify(result)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
