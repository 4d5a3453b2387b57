// The notes app: GET /health answers "ok <version>"; GET /notes lists the notes (psql, as JSON).
const http = require('node:http');
const { execFile } = require('node:child_process');

const version = process.env.APP_VERSION;
const columns = process.env.APP_COLUMNS;

const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end(`ok ${version}`);
  if (req.url === '/notes') {
    const sql = `SELECT coalesce(json_agg(n ORDER BY n.id), '[]') FROM (SELECT ${columns} FROM notes) n`;
    return execFile('sh', ['bin/pg-tool.sh', 'psql', '-X', '-q', '-A', '-t', '-c', sql], (err, out, errOut) => {
      res.writeHead(err ? 500 : 200, { 'content-type': 'application/json' });
      res.end(err ? JSON.stringify({ error: String(errOut).trim() }) : out);
    });
  }
  res.writeHead(404).end();
});
server.listen(Number(process.env.APP_PORT), '127.0.0.1', () => console.log(`notes ${version} on 127.0.0.1:${process.env.APP_PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
