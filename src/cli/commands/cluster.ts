// tarn cluster status|add-member|remove-member|transfer-leader
import { Command } from "commander";
import type { ClusterStatus } from "../../metadata/messages";
import { context } from "../main";
import { table } from "../output";
import { withClient } from "../session";

function statusText(s: ClusterStatus): string {
  const head = `cluster ${s.clusterId}: leader ${s.leaderId || "(none: election in progress)"}, term ${s.term}, commit index ${s.commitIndex} (answered by ${s.responderId})`;
  const rows = s.members.map((m) => [m.id, m.address, m.role.replace("MEMBER_ROLE_", "").toLowerCase(), m.voter ? "voter" : "learner", String(m.matchIndex)]);
  return `${head}\n${table(["MEMBER", "ADDRESS", "ROLE", "VOTE", "MATCH"], rows)}`;
}

export function registerClusterCommands(program: Command): void {
  const cluster = program.command("cluster").description("the metadata cluster: status, membership, leadership");

  cluster
    .command("status")
    .description("members, their roles and the leader")
    .action(async (_opts: unknown, cmd: Command) => {
      const { out } = context(cmd);
      out.print(await withClient((c) => c.getClusterStatus()), statusText);
    });

  cluster
    .command("add-member <id> <address>")
    .description("add a member (started with `tarn metadata --join`) at HOST:PORT; as a voter unless --learner")
    .option("--learner", "add as a non-voting learner")
    .addHelpText("after", "\nExample:\n  tarn metadata --id m2 --join --data-dir /var/lib/tarn --listen 10.0.0.2:9000 --peers m1=10.0.0.1:9000 &\n  tarn cluster add-member m2 10.0.0.2:9000")
    .action(async (id: string, address: string, opts: { learner?: boolean }, cmd: Command) => {
      const { out } = context(cmd);
      out.print(await withClient((c) => c.addMember({ id, address, asLearner: opts.learner ?? false })), statusText);
    });

  cluster
    .command("remove-member <id>")
    .description("remove a member from the Raft group")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { out } = context(cmd);
      out.print(await withClient((c) => c.removeMember({ id })), statusText);
    });

  cluster
    .command("transfer-leader [id]")
    .description("hand leadership to a member (default: the most up-to-date voter)")
    .action(async (id: string | undefined, _opts: unknown, cmd: Command) => {
      const { out } = context(cmd);
      out.print(await withClient((c) => c.transferLeader({ targetId: id ?? "" })), statusText);
    });
}
