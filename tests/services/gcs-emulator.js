// The GCS JSON API of the firebase storage emulator (firebase-tools 15.34.2), for the sccache
// system tests. `firebase emulators:start --only storage` cannot run here (it wants Java 21 and
// downloads a rules-runtime jar); its Node HTTP app alone serves the JSON API, whose routes
// never consult the rules runtime (see ../shared/TEST-SERVICES.md, section 5):
//
//   node gcs-emulator.js PORT
//
// Listens on 127.0.0.1:PORT; buckets are created on first use; objects live in memory and the
// OS temp dir. It checks no credentials: the tests put gcs-auth.js in front of it. Prints
// `gcs emulator on 127.0.0.1:PORT` when ready. SIGTERM stops it. Depends on firebase-tools
// internals: keep the version pinned in package.json.
'use strict';

const path = require('node:path');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node gcs-emulator.js PORT');
  process.exit(2);
}
let base;
try {
  base = path.join(path.dirname(require.resolve('firebase-tools/package.json')), 'lib', 'emulator', 'storage');
} catch (e) {
  console.error(`gcs-emulator.js: cannot find firebase-tools (${e.message}); run: bash ${path.join(__dirname, 'install.sh')}`);
  process.exit(3);
}
const { StorageEmulator } = require(path.join(base, 'index.js'));
const { createApp } = require(path.join(base, 'server.js'));
const { EmulatorRegistry } = require(path.join(base, '..', 'registry.js'));

const emulator = new StorageEmulator({ projectId: 'demo-sccache', host: '127.0.0.1', port, rules: [], auto_download: false });
// Object metadata URLs are built from the registry (without it: HTTP 500).
EmulatorRegistry.set('storage', emulator);
createApp('demo-sccache', emulator)
  .then((app) => app.listen(port, '127.0.0.1', () => console.log(`gcs emulator on 127.0.0.1:${port}`)))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
