// Google's token endpoint and an authenticating front for the GCS emulator, for the sccache
// system tests. The firebase storage emulator (gcs-emulator.js) checks no credentials at all;
// this server does, the way Google does for a service account:
//
//   node gcs-auth.js PORT EMULATOR_PORT PUBLIC_KEY_PEM CLIENT_EMAIL [TOKEN_LIFETIME_SECONDS]
//
// POST /token        RFC 7523 JWT bearer grant (grant_type=urn:ietf:params:oauth:grant-type:
//                    jwt-bearer&assertion=JWT): the assertion must be RS256, signed with the key
//                    of PUBLIC_KEY_PEM, iss = CLIENT_EMAIL, aud = http://127.0.0.1:PORT/token, a
//                    devstorage scope, iat within 5 minutes of now, exp after now and at most an
//                    hour after iat. Answers {"access_token": "ya29.test-N", "expires_in": L,
//                    "token_type": "Bearer"}, or 400 {"error": "invalid_grant",
//                    "error_description": why}; every refusal is logged as `refused: why`.
// GET /credentials   what SCCACHE_GCS_CREDENTIALS_URL serves: {"accessToken", "expireTime"}
//                    (RFC 3339), a read_write token.
// GET /oauth         a metadata-server style token ({"access_token", "expires_in"}), for
//                    SCCACHE_GCS_OAUTH_URL; needs the header Metadata-Flavor: Google (else 403).
// /storage, /upload, /download
//                    forwarded to the emulator on 127.0.0.1:EMULATOR_PORT only with
//                    `Authorization: Bearer T` for a token T issued here and not expired (else
//                    401); writes (POST, PUT, PATCH, DELETE) need a read_write or full_control
//                    token (else 403). The emulator down: 502.
// GET /__stats       counters as JSON: token_requests, token_failures, credential_requests,
//                    oauth_requests, forwarded, unauthorized, forbidden, uploads (uploads the
//                    emulator accepted).
//
// Prints `gcs-auth listening on 127.0.0.1:PORT` when ready, then one line per request
// (`METHOD PATH STATUS`; query strings are left out, tokens never printed). SIGTERM stops it.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

const usage = 'usage: node gcs-auth.js PORT EMULATOR_PORT PUBLIC_KEY_PEM CLIENT_EMAIL [TOKEN_LIFETIME_SECONDS]';
const [portArg, emuPortArg, keyPath, clientEmail, lifetimeArg] = process.argv.slice(2);
const port = Number(portArg);
const emuPort = Number(emuPortArg);
const lifetime = Number(lifetimeArg || 3600);
if (!Number.isInteger(port) || !Number.isInteger(emuPort) || !keyPath || !clientEmail ||
    !Number.isInteger(lifetime) || lifetime < 1) {
  console.error(usage);
  process.exit(2);
}
const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath));
const audience = `http://127.0.0.1:${port}/token`;
const SCOPE_PREFIX = 'https://www.googleapis.com/auth/devstorage.';
const WRITE_SCOPES = new Set(['read_write', 'full_control']);

const stats = {
  token_requests: 0, token_failures: 0, credential_requests: 0, oauth_requests: 0,
  forwarded: 0, unauthorized: 0, forbidden: 0, uploads: 0,
};
const tokens = new Map(); // token -> { expires (ms), write (bool) }
let issued = 0;

function issue(write) {
  const token = `ya29.test-${++issued}`;
  tokens.set(token, { expires: Date.now() + lifetime * 1000, write });
  return token;
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function b64json(part, what) {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (e) {
    throw new Error(`the ${what} is not base64url JSON`);
  }
}

// The reason an assertion is refused, or the scope names it grants (e.g. ['read_write']).
function checkAssertion(assertion) {
  const parts = (assertion || '').split('.');
  if (parts.length !== 3) throw new Error('the assertion is not a JWT (three parts)');
  const header = b64json(parts[0], 'JWT header');
  const claims = b64json(parts[1], 'JWT claims');
  if (header.alg !== 'RS256') throw new Error(`alg is ${header.alg}, not RS256`);
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!crypto.verify('RSA-SHA256', signed, publicKey, Buffer.from(parts[2], 'base64url'))) {
    throw new Error('bad signature (not the service account key)');
  }
  if (claims.iss !== clientEmail) throw new Error(`iss is ${claims.iss}, not ${clientEmail}`);
  if (claims.aud !== audience) throw new Error(`aud is ${claims.aud}, not ${audience}`);
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(claims.iat) || Math.abs(claims.iat - now) > 300) throw new Error(`iat ${claims.iat} is not now (${now})`);
  if (!Number.isInteger(claims.exp) || claims.exp <= now || claims.exp - claims.iat > 3600) {
    throw new Error(`exp ${claims.exp} is not in (now, iat + 3600]`);
  }
  const scopes = String(claims.scope || '').split(' ').filter((s) => s.startsWith(SCOPE_PREFIX))
    .map((s) => s.slice(SCOPE_PREFIX.length));
  if (scopes.length === 0) throw new Error(`scope '${claims.scope}' has no devstorage scope`);
  return scopes;
}

function tokenGrant(req, res, body) {
  stats.token_requests++;
  const form = new URLSearchParams(body);
  try {
    if (req.method !== 'POST') throw new Error(`method ${req.method}, not POST`);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      throw new Error(`grant_type is ${form.get('grant_type')}`);
    }
    const scopes = checkAssertion(form.get('assertion'));
    const token = issue(scopes.some((s) => WRITE_SCOPES.has(s)));
    send(res, 200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
  } catch (e) {
    stats.token_failures++;
    console.log(`refused: ${e.message}`);
    send(res, 400, { error: 'invalid_grant', error_description: e.message });
  }
}

function credentials(req, res) {
  stats.credential_requests++;
  const token = issue(true);
  send(res, 200, { accessToken: token, expireTime: new Date(Date.now() + lifetime * 1000).toISOString() });
}

function metadataToken(req, res) {
  stats.oauth_requests++;
  if (req.headers['metadata-flavor'] !== 'Google') {
    console.log('refused: an OAuth URL request without Metadata-Flavor: Google');
    return send(res, 403, { error: 'missing Metadata-Flavor: Google' });
  }
  send(res, 200, { access_token: issue(true), expires_in: lifetime, token_type: 'Bearer' });
}

function gcsError(res, status, message) {
  send(res, status, { error: { code: status, message, errors: [{ message, reason: 'required' }] } });
}

function forward(req, res, body) {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization || '');
  const grant = m && tokens.get(m[1]);
  if (!grant || grant.expires <= Date.now()) {
    stats.unauthorized++;
    return gcsError(res, 401, grant ? 'the access token has expired' : 'no valid access token');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD' && !grant.write) {
    stats.forbidden++;
    return gcsError(res, 403, 'the token has a read-only scope');
  }
  stats.forwarded++;
  const headers = { ...req.headers, host: `127.0.0.1:${emuPort}` };
  delete headers.authorization;
  const up = http.request({ host: '127.0.0.1', port: emuPort, method: req.method, path: req.url, headers }, (r) => {
    if (req.url.startsWith('/upload/') && r.statusCode === 200) stats.uploads++;
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) gcsError(res, 502, `the storage emulator: ${e.message}`);
    else res.destroy();
  });
  up.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const path = req.url.split('?')[0];
    res.on('finish', () => console.log(`${req.method} ${path} ${res.statusCode}`));
    if (path === '/token') return tokenGrant(req, res, body.toString('utf8'));
    if (path === '/credentials') return credentials(req, res);
    if (path === '/oauth') return metadataToken(req, res);
    if (path === '/__stats') return send(res, 200, stats);
    if (/^\/(storage|upload|download)\//.test(path)) return forward(req, res, body);
    gcsError(res, 404, `no route ${path}`);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`gcs-auth listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
