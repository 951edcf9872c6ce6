// CPU used by processes of this run, read from /proc (Linux): the load generator's own and that of a child
// found by its command name (the object store server, which the bench does not spawn itself).
import * as fs from "node:fs";

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** user+system microseconds of process `pid`, from /proc/PID/stat. */
export function processCpuUs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime are fields 14 and 15
}

/** The pid of a direct child of this process whose command name is `comm`, if any. */
export function childPid(comm: string): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (name === comm && ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export function ownCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
