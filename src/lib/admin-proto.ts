// Loads proto/admin.proto at run time with @grpc/proto-loader: the .proto file is the one source of
// the wire format, with no generated code to keep in step. Field names become camelCase and 64-bit
// integers plain numbers, so the messages are the AdminApi types of admin-api.ts as they are.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** From dist/src/lib (the built package) or src/lib: the package root holds proto/. */
export const ADMIN_PROTO_FILE = fileURLToPath(new URL('../../../proto/admin.proto', import.meta.url));

let cached: grpc.ServiceClientConstructor | undefined;

/** The AdminService of robustmq.admin.v1: `.service` for servers, a constructor for clients. */
export function adminServiceClient(): grpc.ServiceClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync(ADMIN_PROTO_FILE, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    robustmq: { admin: { v1: { AdminService: grpc.ServiceClientConstructor } } };
  };
  cached = pkg.robustmq.admin.v1.AdminService;
  return cached;
}

/** Metadata key carrying the RMQ_ERR_* code of a failed call. */
export const ERROR_CODE_KEY = 'rmq-error-code';
