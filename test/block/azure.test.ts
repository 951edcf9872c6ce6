import { randomBytes } from "node:crypto";
import { openObjectStore } from "../../src/block";
import { azurite } from "../support/azurite";
import { runObjectStoreConformance } from "./conformance";

// Each test gets a fresh prefix in the shared container of the shared Azurite process.
runObjectStoreConformance(
  "azure (Azurite)",
  async () => {
    const az = await azurite();
    return openObjectStore(`azure://${az.accountName}/${az.container}/conformance-${randomBytes(6).toString("hex")}`, {
      azure: { accountKey: az.accountKey, endpoint: az.endpoint },
    });
  },
  { abortForgetsUpload: false, listOrder: "utf16" },
);
