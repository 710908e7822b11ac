// A peer for egov's identity benchmarks: oidc-provider (the certified
// Node.js OpenID Provider) with one confidential client that may use the
// client-credentials grant, and nothing else switched on.
//
//   node server.mjs [HOST [PORT]]        (default 127.0.0.1, 0 = any free port)
//
// Environment: PEER_CLIENT_ID, PEER_CLIENT_SECRET (defaults below).
// Prints "oidc-provider listening on http://HOST:PORT" once it answers.
//
// Tokens are opaque and kept by oidc-provider's default in-memory adapter:
// no database, unlike egov, which writes every token and an audit record.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 0);
const clientId = process.env.PEER_CLIENT_ID ?? 'bench';
const clientSecret = process.env.PEER_CLIENT_SECRET ?? 'bench-secret-0123456789abcdef0123456789abcdef';

// One RS256 signing key made at start, so no development key is used.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench' };

const server = createServer();
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  const { port: bound } = server.address();
  const issuer = `http://${host}:${bound}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'api',
      },
    ],
    scopes: ['openid', 'api'],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
    },
    routes: { token: '/oidc/token' },
  });
  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
