// The Google floor: an express app (the framework the plugin's routes are built on) whose routes
// parse the JSON body and answer a fixed JSON body — what any fulfillment endpoint has to do
// at least. Run pinned with `taskset -c 0` by bench/google.mjs. Over IPC:
//   ← {kind:'start', bodies: {<name>: <json>}}  → {kind:'ready', url}; POST /<name> answers bodies[name].
import express from 'express';

process.on('message', (m) => {
  if (m?.kind !== 'start') return;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  for (const [name, body] of Object.entries(m.bodies)) {
    app.post(`/${name}`, express.json({ limit: '128kb' }), (_req, res) => {
      res.json(body);
    });
  }
  const server = app.listen(0, '127.0.0.1', () => process.send({ kind: 'ready', url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('disconnect', () => process.exit(0));
