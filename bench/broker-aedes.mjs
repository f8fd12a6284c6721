// The fallback broker for the benchmarks when Mosquitto is not installed: aedes on
// 127.0.0.1:<port> (argv[2]) with Nagle off, in its own process.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = createServer({ noDelay: true }, aedes.handle);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => aedes.close(() => server.close(() => process.exit(0))));
