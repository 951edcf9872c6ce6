// TARN_ADMIN_ACCESS_KEY_ID / TARN_ADMIN_SECRET_ACCESS_KEY: the admin keys of a new cluster (both or neither).
import { invalidArgument } from "../errors";

export function adminKeysFromEnv(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } | undefined {
  const id = env.TARN_ADMIN_ACCESS_KEY_ID || undefined;
  const secret = env.TARN_ADMIN_SECRET_ACCESS_KEY || undefined;
  if ((id === undefined) !== (secret === undefined)) {
    throw invalidArgument(`${id ? "TARN_ADMIN_ACCESS_KEY_ID" : "TARN_ADMIN_SECRET_ACCESS_KEY"} is set without the other: set both, or neither to generate keys`);
  }
  return id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined;
}
