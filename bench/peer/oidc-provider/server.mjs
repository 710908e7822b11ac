// A peer for egov's identity benchmarks: oidc-provider (the certified
// Node.js OpenID Provider) with one confidential client that may use the
// client-credentials and refresh-token grants, and nothing else switched on.
//
//   node server.mjs [HOST [PORT]]        (default 127.0.0.1, 0 = any free port)
//
// Environment: PEER_CLIENT_ID, PEER_CLIENT_SECRET (defaults below);
// PEER_REFRESH_CHAINS=N and PEER_REFRESH_FILE=PATH to start N refresh chains
// before listening: N grants of scope `openid offline_access`, one refresh
// token each, written to PATH one per line (what a sign-in and a code
// exchange would have left; the peer has no sign-in pages switched on).
// Refresh tokens rotate on every use and each grant answers an ID token, as
// egov's do.
// Prints "oidc-provider listening on http://HOST:PORT" once it answers.
//
// Tokens are opaque and kept by oidc-provider's default in-memory adapter:
// no database, unlike egov, which writes every token and an audit record.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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
server.listen(port, host, async () => {
  const { port: bound } = server.address();
  const issuer = `http://${host}:${bound}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1:9/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'api',
      },
    ],
    scopes: ['openid', 'offline_access', 'api'],
    findAccount: (ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    rotateRefreshToken: true,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
    },
    routes: { token: '/oidc/token' },
  });
  const chains = Number(process.env.PEER_REFRESH_CHAINS ?? 0);
  if (chains > 0) {
    const client = await provider.Client.find(clientId);
    const tokens = [];
    for (let i = 0; i < chains; i += 1) {
      const accountId = `citizen-${i}`;
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid offline_access');
      const grantId = await grant.save();
      const token = new provider.RefreshToken({
        accountId,
        client,
        grantId,
        gty: 'authorization_code',
        scope: 'openid offline_access',
        authTime: Math.floor(Date.now() / 1000),
      });
      tokens.push(await token.save());
    }
    writeFileSync(process.env.PEER_REFRESH_FILE, `${tokens.join('\n')}\n`);
  }
  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
