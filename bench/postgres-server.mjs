// A throwaway PostgreSQL for bench/storage.sh (Debian's postgresql, 127.0.0.1, a free port, a temp
// dir; the same starter as the tests). Prints the URL of a fresh database on stdout, then runs until
// SIGTERM/SIGINT and removes everything. Needs a build (dist/test/helpers/postgres.js).
import { startPostgres } from '../dist/test/helpers/postgres.js';

const server = await startPostgres();
const url = await server.createDatabase();
process.stdout.write(`${url}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
