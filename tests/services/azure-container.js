// Creates a blob container on Azurite with SharedKey auth (the rules of Microsoft's "Authorize
// with Shared Key", the signer of TEST-SERVICES.md), for the system tests:
//   node azure-container.js BLOB_ENDPOINT CONTAINER   (account and key: AZ_ACCOUNT, AZ_KEY or Azurite's)
// Exit 0 when created (201) or already there (409).
'use strict';
const crypto = require('crypto');
const http = require('http');
const [endpoint, container] = process.argv.slice(2);
const account = process.env.AZ_ACCOUNT || 'devstoreaccount1';
const key = process.env.AZ_KEY ||
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const url = new URL(`${endpoint.replace(/\/$/, '')}/${container}?restype=container`);
const xms = { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': '2021-08-06' };
const canonHeaders = Object.keys(xms).sort().map((k) => `${k}:${xms[k]}\n`).join('');
const canonRes = `/${account}${url.pathname}\nrestype:container`;
const sts = ['PUT', '', '', '', '', '', '', '', '', '', '', ''].join('\n') + '\n' + canonHeaders + canonRes;
const sig = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(sts, 'utf8').digest('base64');
const req = http.request(url, { method: 'PUT', headers: { ...xms, Authorization: `SharedKey ${account}:${sig}`, 'Content-Length': 0 } },
  (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 201 || res.statusCode === 409) process.exit(0);
      console.error(`create container ${container}: HTTP ${res.statusCode}`);
      process.exit(1);
    });
  });
req.on('error', (e) => { console.error(e.message); process.exit(1); });
req.end();
