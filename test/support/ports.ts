// A free loopback TCP port for a server a test starts. The port is released before the server binds it,
// so another process could take it in between; on a test machine that is rare enough, and the fixtures'
// readiness probes then fail loudly with the server's output.
import * as net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
