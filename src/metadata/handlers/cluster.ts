// ClusterService, through the ClusterView the server was given.
import { invalidArgument } from "../../errors";
import type { ClusterStatusInfo, MemberRole } from "../cluster";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type { AddMemberRequest, ClusterStatus, MemberRoleName, RemoveMemberRequest, TransferLeaderRequest } from "../messages";

const ROLE: Record<MemberRole, MemberRoleName> = {
  leader: "MEMBER_ROLE_LEADER",
  follower: "MEMBER_ROLE_FOLLOWER",
  candidate: "MEMBER_ROLE_CANDIDATE",
  "pre-candidate": "MEMBER_ROLE_PRE_CANDIDATE",
  learner: "MEMBER_ROLE_LEARNER",
  unreachable: "MEMBER_ROLE_UNREACHABLE",
};

export const clusterStatusMessage = (s: ClusterStatusInfo): ClusterStatus => ({ ...s, members: s.members.map((m) => ({ ...m, role: ROLE[m.role] })) });

const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function clusterService({ cluster }: ServiceDeps): ServiceHandlers {
  return {
    GetClusterStatus: unary(async () => clusterStatusMessage(await cluster.status())),
    AddMember: unary(async (r: AddMemberRequest) => {
      if (!MEMBER_ID.test(r.id)) throw invalidArgument(`invalid member id ${JSON.stringify(r.id)}: 1 to 63 letters, digits, '.', '_' and '-'`);
      const port = ADDRESS.exec(r.address)?.[2];
      if (!port || Number(port) < 1 || Number(port) > 65535) throw invalidArgument(`invalid member address ${JSON.stringify(r.address)}: expected HOST:PORT`);
      return clusterStatusMessage(await cluster.addMember(r.id, r.address, r.asLearner));
    }),
    RemoveMember: unary(async (r: RemoveMemberRequest) => {
      if (r.id === "") throw invalidArgument("member id is required");
      return clusterStatusMessage(await cluster.removeMember(r.id));
    }),
    TransferLeader: unary(async (r: TransferLeaderRequest) => clusterStatusMessage(await cluster.transferLeader(r.targetId))),
  };
}
