import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";

/** A factory for the engine plus the resources behind it, which the engine itself never releases. */
export interface MigrationBackend {
  description: string;
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}
