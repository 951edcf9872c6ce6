// The graveler key-value conformance suite against the replicated store: on a one-member group, and on a
// three-member group where consecutive calls go to different members (so writes land on followers too and
// reads on one member must see writes acknowledged by another).
import type { KvStore } from "../../src/graveler/kv/types";
import { runKvConformance } from "../graveler/kv-conformance";
import { startCluster } from "./cluster";

function roundRobin(stores: KvStore[], onClose: () => Promise<void>): KvStore {
  let next = 0;
  const pick = () => stores[next++ % stores.length];
  return {
    get: (key) => pick().get(key),
    scan: (options) => pick().scan(options),
    write: (batch) => pick().write(batch),
    close: onClose,
  };
}

runKvConformance("replicated, one member", async () => {
  const c = await startCluster({ size: 1 });
  const kv = c.leader().kv;
  return { get: (k) => kv.get(k), scan: (o) => kv.scan(o), write: (w) => kv.write(w), close: () => c.stop() };
});

runKvConformance("replicated, three members over gRPC, calls spread over leader and followers", async () => {
  const c = await startCluster({ size: 3 });
  const order = [c.followers()[0], c.leader(), c.followers()[1]];
  return roundRobin(order.map((n) => n.kv), () => c.stop());
});
