"""Checks egov's OpenID Connect provider with Authlib, an independent
relying-party library: discovery, the authorization code flow with PKCE (S256)
through egov's own login form, the token exchange (client_secret_post), ID
token validation against the JWKS, UserInfo (POST), refresh with rotation, and
the refusal of a replayed refresh token and of a reused authorization code.

Usage: python check.py [BASE_URL [CLIENT_ID [CLIENT_SECRET]]]
or the environment: EGOV_BASE_URL, EGOV_CLIENT_ID, EGOV_CLIENT_SECRET,
EGOV_USERNAME, EGOV_PASSWORD, EGOV_REDIRECT_URI, EGOV_EXPECTED_ALG.

Prints `ok - NAME` or `not ok - NAME: REASON` per check and ends with
`N passed, M failed`; exits 1 if any check failed.
"""

import os
import sys
import time
import warnings
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata

# authlib.jose is deprecated in favour of joserfc from Authlib 1.7 on and
# stays until 2.0; it is still the JOSE API Authlib documents for this.
warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402

ARGS = sys.argv[1:]
BASE = (ARGS[0] if len(ARGS) > 0 else os.environ.get("EGOV_BASE_URL", "")).rstrip("/")
CLIENT_ID = ARGS[1] if len(ARGS) > 1 else os.environ.get("EGOV_CLIENT_ID", "")
CLIENT_SECRET = ARGS[2] if len(ARGS) > 2 else os.environ.get("EGOV_CLIENT_SECRET", "")
USERNAME = os.environ.get("EGOV_USERNAME", "zhang.san")
PASSWORD = os.environ.get("EGOV_PASSWORD", "Chang-Cheng-Wan-Li-9")
REDIRECT_URI = os.environ.get("EGOV_REDIRECT_URI", "http://127.0.0.1:9/callback")
EXPECTED_ALG = os.environ.get("EGOV_EXPECTED_ALG", "ES256")
TIMEOUT = 30

passed = 0
failed = 0


class CheckFailed(Exception):
    pass


def require(cond, message):
    if not cond:
        raise CheckFailed(message)


def describe(exc):
    if isinstance(exc, OAuthError):
        return f"OAuthError: error={exc.error}, description={exc.description}"
    return f"{type(exc).__name__}: {exc}"


def check(name, fn):
    """Runs one check; returns its value, or None when it failed."""
    global passed, failed
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - every failure is reported
        failed += 1
        print(f"not ok - {name}: {' '.join(describe(exc).split())}", flush=True)
        return None
    passed += 1
    print(f"ok - {name}", flush=True)
    return True if value is None else value


def skip(name, because):
    global failed
    failed += 1
    print(f"not ok - {name}: skipped, {because} failed", flush=True)


# ---- a browser-like user agent: a cookie jar, redirects handled by hand ----


class HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            a = dict(attrs)
            if a.get("type") == "hidden" and "name" in a:
                self.values[a["name"]] = a.get("value") or ""


def hidden_inputs(html):
    parser = HiddenInputs()
    parser.feed(html)
    return parser.values


def redirect_target(res):
    require(res.status_code in (302, 303), f"expected a redirect, got HTTP {res.status_code} from {res.request.method} {res.request.path_url}")
    loc = res.headers.get("location")
    require(loc, "redirect without a Location header")
    return urljoin(res.url, loc)


def sign_in_and_authorize(authorization_url):
    """Signs the user in through egov's login form, starting at the
    authorization URL; returns the callback URL the provider redirected to."""
    browser = requests.Session()
    browser.headers["accept"] = "text/html"
    res = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
    login_url = redirect_target(res)
    require(urlsplit(login_url).path == "/login", f"authorize without a session should go to /login, went to {login_url}")

    res = browser.get(login_url, allow_redirects=False, timeout=TIMEOUT)
    require(res.status_code == 200, f"GET /login answered HTTP {res.status_code}")
    fields = hidden_inputs(res.text)
    require(fields.get("csrf"), "login form has no csrf field")
    require(browser.cookies.get("egov_form"), "login form set no egov_form cookie")
    nxt = fields.get("next", "")
    require(nxt.startswith("/oidc/authorize?"), f"login form's next is not the authorize path: {nxt}")

    res = browser.post(
        urljoin(BASE, "/login"),
        data={"username": USERNAME, "password": PASSWORD, "csrf": fields["csrf"], "next": nxt},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    after_login = redirect_target(res)
    require(browser.cookies.get("egov_session"), "signing in set no egov_session cookie")
    require(urlsplit(after_login).path == "/oidc/authorize", f"after sign-in went to {after_login}, not back to authorize")

    res = browser.get(after_login, allow_redirects=False, timeout=TIMEOUT)
    if res.status_code == 200:
        # The consent page: the person allows the application, as a browser
        # posts the page's form with the allow button.
        require('name="egov_consent"' in res.text, "authorize answered a page that is not the consent page")
        answer = dict(hidden_inputs(res.text), egov_consent="approve")
        res = browser.post(urljoin(BASE, "/oidc/authorize"), data=answer, allow_redirects=False, timeout=TIMEOUT)
    callback = redirect_target(res)
    require(callback.startswith(REDIRECT_URI), f"authorize redirected to {callback}, not {REDIRECT_URI}")
    return callback


# ---- the relying party ----


class Recorder:
    """Keeps the last token endpoint exchange so checks can look at the wire."""

    def __init__(self):
        self.last = None

    def __call__(self, res, *args, **kwargs):
        self.last = res
        return res


def bearer_error(res):
    challenge = res.headers.get("www-authenticate", "")
    require(challenge.lower().startswith("bearer"), f"no Bearer challenge (WWW-Authenticate: {challenge!r})")
    return challenge


def main():
    if not (BASE and CLIENT_ID and CLIENT_SECRET):
        print("usage: check.py BASE_URL CLIENT_ID CLIENT_SECRET (or EGOV_BASE_URL, EGOV_CLIENT_ID, EGOV_CLIENT_SECRET)", file=sys.stderr)
        return 2

    recorder = Recorder()
    session = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="openid profile phone",
        redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
    )
    session.hooks["response"].append(recorder)
    st = {}

    def discovery():
        res = requests.get(f"{BASE}/.well-known/openid-configuration", timeout=TIMEOUT)
        require(res.status_code == 200, f"HTTP {res.status_code}")
        md = OpenIDProviderMetadata(res.json())
        md.validate()
        require(md["issuer"] == BASE, f"issuer {md['issuer']} is not {BASE}")
        require("S256" in md.get("code_challenge_methods_supported", []), "S256 is not supported")
        require("client_secret_post" in md.get("token_endpoint_auth_methods_supported", []), "client_secret_post is not supported")
        require(EXPECTED_ALG in md["id_token_signing_alg_values_supported"], f"{EXPECTED_ALG} is not supported")
        return md

    md = check("discovery (validated as OpenID Provider Metadata)", discovery)
    if not md:
        for n in ("authorization code flow", "token exchange", "ID token", "UserInfo", "refresh", "refresh token replay", "reused code refused"):
            skip(n, "discovery")
        return 1

    def authorize():
        st["verifier"] = generate_token(64)
        st["nonce"] = generate_token(24)
        url, state = session.create_authorization_url(
            md["authorization_endpoint"], code_verifier=st["verifier"], nonce=st["nonce"]
        )
        st["state"] = state
        query = parse_qs(urlsplit(url).query)
        require(query.get("code_challenge_method") == ["S256"], "Authlib sent no S256 challenge")
        callback = sign_in_and_authorize(url)
        params = parse_qs(urlsplit(callback).query)
        require(params.get("code"), "callback has no code")
        require(params.get("state") == [state], "callback state differs")
        # RFC 9207: the authorization response names its issuer.
        require(params.get("iss") == [md["issuer"]], f"callback iss is {params.get('iss')}")
        return callback

    callback = check("authorization code flow with PKCE (S256) through the login form", authorize)
    if not callback:
        for n in ("token exchange", "ID token", "UserInfo", "refresh", "refresh token replay", "reused code refused"):
            skip(n, "the authorization")
        return 1

    def exchange():
        token = session.fetch_token(
            md["token_endpoint"],
            authorization_response=callback,
            state=st["state"],
            code_verifier=st["verifier"],
        )
        req = recorder.last.request
        body = parse_qs(req.body if isinstance(req.body, str) else req.body.decode())
        require(body.get("client_secret") == [CLIENT_SECRET], "client_secret was not in the request body")
        require("authorization" not in {k.lower() for k in req.headers}, "an Authorization header was sent too")
        require(body.get("code_verifier") == [st["verifier"]], "code_verifier was not sent")
        require(token.get("access_token"), "no access_token")
        require(str(token.get("token_type", "")).lower() == "bearer", f"token_type is {token.get('token_type')}")
        require(isinstance(token.get("expires_in"), int) and token["expires_in"] > 0, f"expires_in is {token.get('expires_in')}")
        require(token.get("refresh_token"), "no refresh_token")
        require(token.get("id_token"), "no id_token")
        return dict(token)

    token = check("token exchange (client_secret_post, PKCE verifier)", exchange)

    if token:

        def id_token():
            jwks = requests.get(md["jwks_uri"], timeout=TIMEOUT)
            require(jwks.status_code == 200, f"JWKS answered HTTP {jwks.status_code}")
            key_set = JsonWebKey.import_key_set(jwks.json())
            # Only the algorithm registered for this client is acceptable.
            jwt = JsonWebToken([EXPECTED_ALG])
            claims = jwt.decode(
                token["id_token"],
                key_set,
                claims_options={
                    "iss": {"essential": True, "value": md["issuer"]},
                    "aud": {"essential": True, "value": CLIENT_ID},
                    "sub": {"essential": True},
                    "exp": {"essential": True},
                    "iat": {"essential": True},
                    "nonce": {"essential": True, "value": st["nonce"]},
                },
            )
            claims.validate(now=int(time.time()), leeway=30)
            require(claims.header.get("alg") == EXPECTED_ALG, f"alg is {claims.header.get('alg')}")
            # The same claims under Authlib's OpenID Connect Core rules
            # (azp, auth_time, at_hash when present, nonce).
            oidc_claims = CodeIDToken(
                dict(claims),
                dict(claims.header),
                {"iss": {"essential": True, "value": md["issuer"]}, "aud": {"essential": True, "value": CLIENT_ID}},
                {"nonce": st["nonce"], "client_id": CLIENT_ID, "access_token": token["access_token"]},
            )
            oidc_claims.validate(leeway=30)
            require(isinstance(claims.get("auth_time"), int), "no auth_time")
            require(claims.get("egov_kind") == "citizen", f"egov_kind is {claims.get('egov_kind')}")
            require(isinstance(claims.get("roles"), list), "roles is not a list")
            require(claims.get("name"), "no name claim")
            return dict(claims)

        st["claims"] = check(f"ID token ({EXPECTED_ALG}) validated against the JWKS (signature, iss, aud, nonce, exp)", id_token)

        def userinfo():
            res = session.post(md["userinfo_endpoint"], timeout=TIMEOUT)
            require(res.status_code == 200, f"HTTP {res.status_code}: {res.text[:200]}")
            require(res.request.headers.get("authorization", "").startswith("Bearer "), "no Bearer header sent")
            info = res.json()
            if st.get("claims"):
                require(info.get("sub") == st["claims"]["sub"], "UserInfo sub differs from the ID token's")
            require(info.get("name"), "no name (profile scope)")
            require(info.get("phone_number"), "no phone_number (phone scope)")
            require(info.get("egov_kind") == "citizen", f"egov_kind is {info.get('egov_kind')}")

        check("UserInfo (POST, Bearer) matches the ID token subject", userinfo)

        def refresh():
            old_refresh = session.token["refresh_token"]
            new = session.refresh_token(md["token_endpoint"])
            require(new.get("access_token") and new["access_token"] != token["access_token"], "the access token did not change")
            require(new.get("refresh_token") and new["refresh_token"] != old_refresh, "the refresh token was not rotated")
            res = session.post(md["userinfo_endpoint"], timeout=TIMEOUT)
            require(res.status_code == 200, f"UserInfo with the refreshed access token: HTTP {res.status_code}")
            st["refreshed_access"] = new["access_token"]

        refreshed = check("refresh token grant (rotating)", refresh)

        if refreshed:

            def refresh_replay():
                try:
                    session.refresh_token(md["token_endpoint"], refresh_token=token["refresh_token"])
                except OAuthError as exc:
                    require(recorder.last.status_code == 400, f"HTTP {recorder.last.status_code}")
                    require(exc.error == "invalid_grant", f"error is {exc.error}")
                    return
                raise CheckFailed("the spent refresh token was accepted again")

            check("replayed (spent) refresh token refused (invalid_grant)", refresh_replay)

            def family_revoked():
                res = requests.post(
                    md["userinfo_endpoint"],
                    headers={"authorization": f"Bearer {st['refreshed_access']}"},
                    timeout=TIMEOUT,
                )
                require(res.status_code == 401, f"UserInfo answered HTTP {res.status_code}")
                challenge = bearer_error(res)
                require('error="invalid_token"' in challenge, f"challenge is {challenge!r}")

            check("tokens descended from the replayed refresh token are revoked", family_revoked)
        else:
            skip("replayed refresh token refused", "the refresh")
            skip("tokens descended from the replayed refresh token are revoked", "the refresh")
    else:
        for n in ("ID token", "UserInfo", "refresh", "refresh token replay", "refresh token family revoked"):
            skip(n, "the token exchange")

    def code_reuse():
        try:
            session.fetch_token(
                md["token_endpoint"],
                authorization_response=callback,
                state=st["state"],
                code_verifier=st["verifier"],
            )
        except OAuthError as exc:
            res = recorder.last
            require(res.status_code == 400, f"HTTP {res.status_code}")
            require(res.json().get("error") == "invalid_grant", f"body is {res.text[:200]}")
            require(exc.error == "invalid_grant", f"error is {exc.error}")
            return
        raise CheckFailed("the second exchange of the same code succeeded")

    check("reused authorization code refused (invalid_grant)", code_reuse)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    code = main()
    if code != 2:
        print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(code if failed == 0 else 1)
