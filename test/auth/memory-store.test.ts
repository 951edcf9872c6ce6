import { MemoryCredentialStore } from "../../src/auth";
import { credentialStoreConformance } from "./credential-store-conformance";

credentialStoreConformance("memory", async () => new MemoryCredentialStore());
