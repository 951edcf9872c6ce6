// Leader forwarding: a follower sends the caller's request bytes and signature headers unchanged to the
// leader, which authenticates the caller itself, and relays the answer (or the stream) back.
import * as grpc from "@grpc/grpc-js";
import { FORWARDED_HEADER } from "./proto";

const identity = (b: Buffer) => b;

export class LeaderForwarder {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly selfId: string,
    private readonly maxMessageBytes: number,
  ) {}

  private client(address: string): grpc.Client {
    let c = this.clients.get(address);
    if (!c) {
      c = new grpc.Client(address, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": this.maxMessageBytes,
        "grpc.max_send_message_length": this.maxMessageBytes,
        "grpc.enable_channelz": 0,
      });
      this.clients.set(address, c);
    }
    return c;
  }

  /** The caller's x-tarn-* headers (its signature among them), marked as forwarded by this member. */
  private metadata(incoming: grpc.Metadata): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(incoming.getMap())) {
      if (key.startsWith("x-tarn-") && key !== FORWARDED_HEADER) md.set(key, value);
    }
    md.set(FORWARDED_HEADER, this.selfId);
    return md;
  }

  unary(address: string, path: string, body: Buffer, incoming: grpc.Metadata, deadline: grpc.Deadline): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client(address).makeUnaryRequest(path, identity, identity, body, this.metadata(incoming), { deadline }, (err, reply) => (err ? reject(err) : resolve(reply!)));
    });
  }

  stream(address: string, path: string, body: Buffer, incoming: grpc.Metadata, deadline: grpc.Deadline): grpc.ClientReadableStream<Buffer> {
    return this.client(address).makeServerStreamRequest(path, identity, identity, body, this.metadata(incoming), { deadline });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
