#!/bin/sh
# Stands in for Prisma's native schema engine, which would be downloaded from the network.
# Failing loudly keeps `prisma migrate …` from silently doing nothing; use `npm run migrate:*`.
echo "native schema engine unavailable offline; use scripts/migrate.ts (npm run migrate:create / migrate:check)" >&2
exit 1
