// The admin endpoints of a node, gRPC and REST over one AdminApi, started and stopped together:
// the broker (one process) and the primary of worker processes both serve them this way.
import type { AdminApi } from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import type { AdminAuth } from './admin-auth.js';
import { loadAdminTls } from './admin-tls.js';
import { AdminGrpcServer } from './grpc-server.js';
import { RestServer } from './rest-server.js';

export class AdminEndpoints {
  grpc?: AdminGrpcServer;
  rest?: RestServer;

  /**
   * Starts the endpoints the config enables (TLS files read here); when one cannot start, those
   * already started are stopped before the error is thrown. `ready` answers /health/ready.
   */
  async start(api: AdminApi, config: BrokerConfig, log: Logger, auth: AdminAuth, ready: () => boolean): Promise<void> {
    const admin = config.admin;
    const tls = loadAdminTls(admin);
    try {
      if (admin.grpc_enabled) {
        const grpc = new AdminGrpcServer(api, admin.grpc_bind, admin.grpc_port, log, auth, tls);
        await grpc.start();
        this.grpc = grpc;
      }
      if (admin.http_enabled) {
        const rest = new RestServer(api, admin.http_bind, admin.http_port, log, ready, auth, tls);
        await rest.start();
        this.rest = rest;
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const { grpc, rest } = this;
    this.grpc = this.rest = undefined;
    await grpc?.stop();
    await rest?.stop();
  }
}
