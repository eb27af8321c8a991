import type { Client, Connection } from '@temporalio/client';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { parseConfig } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { connectClient } from '../temporal';

/** Lazily built dependencies of a CLI command, closed once at the end. */
export class CliContext {
  private cachedConfig?: Config;
  private cachedBackend?: Backend;
  private connection?: Connection;
  private cachedClient?: Client;

  get config(): Config {
    return (this.cachedConfig ??= parseConfig());
  }

  get backend(): Backend {
    return (this.cachedBackend ??= createBackend(this.config));
  }

  async client(): Promise<Client> {
    if (!this.cachedClient) {
      const { client, connection } = await connectClient(this.config);
      this.cachedClient = client;
      this.connection = connection;
    }
    return this.cachedClient;
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}
