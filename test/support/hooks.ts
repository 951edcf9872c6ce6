// Mocha root hooks: stop every process a test fixture started, even when tests fail.
import { stopAllProcesses } from "./processes";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopAllProcesses();
  },
};
