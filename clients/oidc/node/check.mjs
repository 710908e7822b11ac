// Checks egov's OpenID Connect provider with openid-client (v6), an
// independent, certified relying-party library: discovery, the authorization
// code flow with PKCE (S256) through egov's own login form, the token
// exchange, ID token validation against the JWKS, UserInfo, refresh, and the
// refusal of a reused authorization code.
//
// Usage: node check.mjs [BASE_URL [CLIENT_ID [CLIENT_SECRET]]]
// or the environment: EGOV_BASE_URL, EGOV_CLIENT_ID, EGOV_CLIENT_SECRET,
// EGOV_USERNAME, EGOV_PASSWORD, EGOV_REDIRECT_URI, EGOV_EXPECTED_ALG.
//
// Prints `ok - NAME` or `not ok - NAME: REASON` per check and ends with
// `N passed, M failed`; exits 1 if any check failed.

import * as client from 'openid-client'

const base = (process.argv[2] ?? process.env.EGOV_BASE_URL ?? '').replace(/\/+$/, '')
const clientId = process.argv[3] ?? process.env.EGOV_CLIENT_ID ?? ''
const clientSecret = process.argv[4] ?? process.env.EGOV_CLIENT_SECRET ?? ''
const username = process.env.EGOV_USERNAME ?? 'zhang.san'
const password = process.env.EGOV_PASSWORD ?? 'Chang-Cheng-Wan-Li-9'
const redirectUri = process.env.EGOV_REDIRECT_URI ?? 'http://127.0.0.1:9/callback'
const expectedAlg = process.env.EGOV_EXPECTED_ALG ?? 'RS256'

if (!base || !clientId || !clientSecret) {
  console.error('usage: node check.mjs BASE_URL CLIENT_ID CLIENT_SECRET (or EGOV_BASE_URL, EGOV_CLIENT_ID, EGOV_CLIENT_SECRET)')
  process.exit(2)
}

let passed = 0
let failed = 0

function describe(err) {
  if (err instanceof client.ResponseBodyError) {
    return `${err.name}: ${err.message} (HTTP ${err.status}, error=${err.error}${err.error_description ? `, error_description=${err.error_description}` : ''})`
  }
  let text = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`
  if (err?.code) text += ` [${err.code}]`
  const cause = err?.cause
  if (cause instanceof Error) {
    text += `; cause: ${describe(cause)}`
  } else if (cause !== undefined) {
    try {
      text += `; cause: ${JSON.stringify(cause)}`
    } catch {
      text += `; cause: ${String(cause)}`
    }
  }
  return text
}

// Runs one check; a check throws to fail. Returns the check's value, or
// undefined when it failed.
async function check(name, fn) {
  try {
    const value = await fn()
    passed += 1
    console.log(`ok - ${name}`)
    return value ?? true
  } catch (err) {
    failed += 1
    console.log(`not ok - ${name}: ${describe(err).replace(/\s+/g, ' ')}`)
    return undefined
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

function skip(name, because) {
  failed += 1
  console.log(`not ok - ${name}: skipped, ${because} failed`)
}

// ---- a browser-like user agent: a cookie jar, redirects handled by hand ----

const jar = new Map()

function storeCookies(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';')
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))
    if (expired || value === '') jar.delete(name)
    else jar.set(name, value)
  }
}

async function browse(url, init = {}) {
  const headers = new Headers(init.headers ?? {})
  if (jar.size > 0) {
    headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  }
  headers.set('accept', 'text/html')
  const res = await fetch(url, { ...init, headers, redirect: 'manual' })
  storeCookies(res)
  return res
}

function location(res, from) {
  assert(res.status === 303 || res.status === 302, `expected a redirect, got HTTP ${res.status}`)
  const loc = res.headers.get('location')
  assert(loc, 'redirect without a Location header')
  return new URL(loc, from)
}

function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function hiddenInput(html, name) {
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const n = tag.match(/\bname="([^"]*)"/i)
    if (n && n[1] === name) {
      const v = tag.match(/\bvalue="([^"]*)"/i)
      return v ? decodeEntities(v[1]) : ''
    }
  }
  return undefined
}

// Signs the user in through egov's login form, starting at the authorization
// URL, and returns the callback URL the provider redirected to.
async function signInAndAuthorize(authorizationUrl) {
  let res = await browse(authorizationUrl)
  const loginUrl = location(res, authorizationUrl)
  assert(loginUrl.pathname === '/login', `authorize without a session should go to /login, went to ${loginUrl}`)

  res = await browse(loginUrl)
  assert(res.status === 200, `GET ${loginUrl.pathname} answered HTTP ${res.status}`)
  const html = await res.text()
  const csrf = hiddenInput(html, 'csrf')
  const next = hiddenInput(html, 'next')
  assert(csrf, 'login form has no csrf field')
  assert(jar.has('egov_form'), 'login form set no egov_form cookie')
  assert(next && next.startsWith('/oidc/authorize?'), `login form's next is not the authorize path: ${next}`)

  const form = new URLSearchParams({ username, password, csrf, next })
  const postUrl = new URL('/login', base)
  res = await browse(postUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  })
  const afterLogin = location(res, postUrl)
  assert(jar.has('egov_session'), 'signing in set no egov_session cookie')
  assert(afterLogin.pathname === '/oidc/authorize', `after sign-in went to ${afterLogin}, not back to authorize`)

  res = await browse(afterLogin)
  if (res.status === 200) {
    // The consent page: the person allows the application, as a browser
    // posts the page's form with the allow button.
    const page = await res.text()
    assert(page.includes('name="egov_consent"'), `authorize answered a page that is not the consent page`)
    const fields = new URLSearchParams()
    for (const tag of page.match(/<input\b[^>]*type="hidden"[^>]*>/gi) ?? []) {
      const name = decodeEntities(tag.match(/\bname="([^"]*)"/i)[1])
      fields.append(name, hiddenInput(tag, name))
    }
    fields.append('egov_consent', 'approve')
    res = await browse(new URL('/oidc/authorize', base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    })
  }
  const callback = location(res, afterLogin)
  assert(callback.href.startsWith(redirectUri), `authorize redirected to ${callback}, not ${redirectUri}`)
  return callback
}

function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'))
}

// ---- the checks ----

const issuerUrl = new URL(base)

const config = await check('discovery', async () => {
  const c = await client.discovery(issuerUrl, clientId, clientSecret, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  })
  const md = c.serverMetadata()
  assert(md.issuer === base, `issuer ${md.issuer} is not ${base}`)
  assert(md.supportsPKCE('S256'), 'S256 is not among code_challenge_methods_supported')
  assert(md.jwks_uri && md.userinfo_endpoint && md.token_endpoint, 'metadata lacks an endpoint')
  return c
})

let tokens
let claims
let callbackUrl
let accessToken
let refreshToken
let refreshedAccessToken

if (!config) {
  for (const n of ['authorization code flow with PKCE', 'token exchange', 'ID token validated against the JWKS', 'UserInfo', 'refresh', 'reused code refused']) {
    skip(n, 'discovery')
  }
} else {
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()

  callbackUrl = await check('authorization code flow with PKCE (S256) through the login form', async () => {
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier)
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile phone',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    })
    const cb = await signInAndAuthorize(url)
    assert(cb.searchParams.get('code'), 'callback has no code')
    assert(cb.searchParams.get('state') === state, 'callback state differs')
    assert(cb.searchParams.get('iss') === base, `callback iss is ${cb.searchParams.get('iss')}`)
    return cb
  })

  if (!callbackUrl) {
    for (const n of ['token exchange', 'ID token validated against the JWKS', 'UserInfo', 'refresh', 'reused code refused']) {
      skip(n, 'the authorization')
    }
  } else {
    tokens = await check('token exchange (client_secret_basic, PKCE verifier, state, nonce, iss checked)', async () => {
      const t = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      })
      assert(t.access_token, 'no access_token')
      assert(t.token_type?.toLowerCase() === 'bearer', `token_type is ${t.token_type}`)
      assert(typeof t.expires_in === 'number' && t.expires_in > 0, `expires_in is ${t.expires_in}`)
      assert(t.refresh_token, 'no refresh_token')
      assert(t.id_token, 'no id_token')
      return t
    })

    if (tokens) {
      accessToken = tokens.access_token
      refreshToken = tokens.refresh_token
      claims = await check(`ID token (${expectedAlg}) validated against the JWKS`, async () => {
        // With enableNonRepudiationChecks the grant above already verified the
        // signature with a key from jwks_uri; check the claims and the key too.
        const c = tokens.claims()
        assert(c, 'no ID token claims')
        const header = jwtHeader(tokens.id_token)
        assert(header.alg === expectedAlg, `alg is ${header.alg}, expected ${expectedAlg}`)
        const jwks = await (await fetch(config.serverMetadata().jwks_uri)).json()
        const key = jwks.keys.find((k) => k.kid === header.kid)
        assert(key, `kid ${header.kid} is not in the JWKS`)
        assert(!key.alg || key.alg === header.alg, `JWKS key alg ${key.alg} differs from ${header.alg}`)
        assert(c.iss === base, `iss ${c.iss}`)
        assert(c.aud === clientId || (Array.isArray(c.aud) && c.aud.includes(clientId)), `aud ${c.aud}`)
        assert(c.nonce === nonce, 'nonce differs')
        assert(c.sub, 'no sub')
        assert(c.exp > Date.now() / 1000, 'already expired')
        assert(typeof c.auth_time === 'number', 'no auth_time')
        assert(c.egov_kind === 'citizen', `egov_kind is ${c.egov_kind}`)
        assert(Array.isArray(c.roles), 'roles is not an array')
        assert(c.name, 'no name claim')
        return c
      })
    } else {
      skip('ID token validated against the JWKS', 'the token exchange')
    }

    if (accessToken) {
      await check('UserInfo (GET, Bearer) matches the ID token subject', async () => {
        const info = await client.fetchUserInfo(config, accessToken, claims?.sub ?? client.skipSubjectCheck)
        assert(info.sub, 'no sub')
        assert(info.name, 'no name (profile scope)')
        assert(info.phone_number, 'no phone_number (phone scope)')
        assert(info.egov_kind === 'citizen', `egov_kind is ${info.egov_kind}`)
      })
    } else {
      skip('UserInfo', 'the token exchange')
    }

    if (refreshToken) {
      await check('refresh token grant', async () => {
        const t = await client.refreshTokenGrant(config, refreshToken)
        assert(t.access_token, 'no access_token')
        assert(t.access_token !== accessToken, 'the access token did not change')
        assert(t.token_type?.toLowerCase() === 'bearer', `token_type is ${t.token_type}`)
        assert(t.refresh_token && t.refresh_token !== refreshToken, 'the refresh token was not rotated')
        refreshedAccessToken = t.access_token
        const c = t.claims()
        if (c && claims) assert(c.sub === claims.sub, 'refreshed ID token has another sub')
        const info = await client.fetchUserInfo(config, t.access_token, claims?.sub ?? client.skipSubjectCheck)
        assert(info.sub, 'UserInfo with the refreshed access token has no sub')
      })
    } else {
      skip('refresh token grant', 'the token exchange')
    }

    // Last: a replayed code is refused, and (RFC 6749 section 4.1.2) egov then
    // revokes what it had issued from that code.
    await check('reused authorization code refused (invalid_grant)', async () => {
      let err
      try {
        await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: codeVerifier,
          expectedState: state,
          expectedNonce: nonce,
        })
      } catch (e) {
        err = e
      }
      assert(err, 'the second exchange of the same code succeeded')
      assert(err instanceof client.ResponseBodyError, `refused, but not by an OAuth error response: ${describe(err)}`)
      assert(err.status === 400, `HTTP ${err.status}`)
      assert(err.error === 'invalid_grant', `error is ${err.error}`)
    })

    if (refreshedAccessToken) {
      await check('tokens issued from the replayed code are revoked', async () => {
        let err
        try {
          await client.fetchUserInfo(config, refreshedAccessToken, client.skipSubjectCheck)
        } catch (e) {
          err = e
        }
        assert(err, 'UserInfo still accepts the access token')
        assert(err instanceof client.WWWAuthenticateChallengeError, `refused, but not by a Bearer challenge: ${describe(err)}`)
        const challenge = err.cause?.find((ch) => ch.scheme === 'bearer')
        assert(challenge?.parameters?.error === 'invalid_token', `challenge error is ${challenge?.parameters?.error}`)
      })
    } else {
      skip('tokens issued from the replayed code are revoked', 'the refresh')
    }
  }
}

console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1
