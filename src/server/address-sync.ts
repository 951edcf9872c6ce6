// Workaround (reported to the owners of raft/ and src/state/): a member that learns the membership from a
// snapshot (a joining member, or one restarted after compaction) gets the peers' ids but not their
// addresses into its Raft transport, so it refuses their messages ("not a member") and cannot answer them.
// The state machine does keep the addresses with the snapshot; this copies any the transport lacks, once a
// second, until the runtime does it itself.
import type { StateNode } from "../state";

interface RuntimeInternals {
  addresses?: Map<string, string>;
  transport?: { setPeer?(id: string, address: string): void; peerAddress?(id: string): string | undefined };
}

export function syncPeerAddresses(node: StateNode, selfId: string): () => void {
  const runtime = node.raft as unknown as RuntimeInternals;
  const sync = () => {
    const { confState, addresses } = node.machine.membership();
    const members = new Set([...confState.voters, ...confState.learners, ...confState.votersOutgoing, ...confState.learnersNext]);
    for (const [id, address] of Object.entries(addresses)) {
      if (id === selfId || !members.has(id) || !address) continue;
      if (runtime.transport?.peerAddress?.(id) === address) continue;
      runtime.addresses?.set(id, address);
      runtime.transport?.setPeer?.(id, address);
    }
  };
  sync();
  const timer = setInterval(sync, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
