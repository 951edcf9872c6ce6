// Errors of the peer transport, with gRPC status codes so the edges map them without parsing text.
import { status } from "@grpc/grpc-js";

export class TransportError extends Error {
  readonly grpcCode: status;

  constructor(grpcCode: status, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.grpcCode = grpcCode;
    this.name = new.target.name;
  }
}

/** A peer message that does not parse, breaks a limit, or claims to come from someone else. */
export class MalformedMessageError extends TransportError {
  constructor(message: string) {
    super(status.INVALID_ARGUMENT, message);
  }
}
