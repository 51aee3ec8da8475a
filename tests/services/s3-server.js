// S3-compatible server for the sccache system tests: @20minutes/s3rver 5.0.0, which checks
// AWS Signature V4 (a wrong secret gets 403 SignatureDoesNotMatch). The package ships no
// working CLI, hence this launcher.
//
//   node s3-server.js DATA_DIR PORT ACCESS_KEY SECRET BUCKET...
//
// Listens on 127.0.0.1:PORT (PORT 0 = any free port) with path-style addressing only
// (http://127.0.0.1:PORT/BUCKET/KEY), keeps objects as plain files under DATA_DIR
// (DATA_DIR/BUCKET/KEY._S3rver_object ...), accepts the key pair ACCESS_KEY/SECRET (besides
// s3rver's built-in S3RVER/S3RVER) and creates every BUCKET at start. Unsigned (anonymous)
// requests are allowed by s3rver. When ready it prints one line to stdout:
//   s3rver listening on 127.0.0.1:PORT buckets: BUCKET...
// Then one line per request, `METHOD URL STATUS` (S3RVER_QUIET=1 turns that off; s3rver's own
// logging stays off). SIGTERM/SIGINT stop it (exit 0).
// Needs node_modules from `bash tests/services/install.sh`.
'use strict';

const path = require('node:path');
const fs = require('node:fs');

const usage = 'usage: node s3-server.js DATA_DIR PORT ACCESS_KEY SECRET BUCKET...';
const args = process.argv.slice(2);
if (args.length < 5) {
  console.error(usage);
  process.exit(2);
}
const [dir, portArg, accessKey, secret, ...buckets] = args;
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`s3-server.js: bad PORT '${portArg}'\n${usage}`);
  process.exit(2);
}
if (!accessKey || !secret) {
  console.error(`s3-server.js: ACCESS_KEY and SECRET must not be empty\n${usage}`);
  process.exit(2);
}

let S3rver, DUMMY_ACCOUNT;
try {
  S3rver = require('@20minutes/s3rver');
  ({ DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account'));
} catch (e) {
  console.error(`s3-server.js: cannot load @20minutes/s3rver (${e.message}); ` +
    `run: bash ${path.join(__dirname, 'install.sh')}`);
  process.exit(3);
}

fs.mkdirSync(dir, { recursive: true });
DUMMY_ACCOUNT.createKeyPair(accessKey, secret);

const server = new S3rver({
  directory: dir,
  address: '127.0.0.1',
  port,
  silent: true, // s3rver's own log is coloured and truncates URLs; see the request log below
  vhostBuckets: false, // path-style only: the Host header is never taken as a bucket name
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server
  .run()
  .then(({ address, port: actual }) => {
    if (process.env.S3RVER_QUIET !== '1') {
      server.httpServer.prependListener('request', (req, res) => {
        res.on('finish', () => console.log(`${req.method} ${req.url} ${res.statusCode}`));
      });
    }
    console.log(`s3rver listening on ${address}:${actual} buckets: ${buckets.join(' ')}`);
  })
  .catch((e) => {
    console.error(`s3-server.js: failed to start: ${e.stack || e}`);
    process.exit(1);
  });
