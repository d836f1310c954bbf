#!/usr/bin/env python3
"""An OAuth 2 token endpoint for kfk's tests (the client credentials grant,
RFC 6749 section 4.4), on loopback, beside the test broker.

  token_endpoint.py keys DIR        make DIR/signing.key and DIR/jwks.json
  token_endpoint.py serve DIR PORT  answer POST /token until killed

Tokens are JWTs signed RS256 with DIR/signing.key (by the openssl command,
so that nothing beyond the standard library is needed); the broker checks
them against DIR/jwks.json. Clients (id: secret, token lifetime):

  kfk-oidc        kfk-oidc-secret   3600 s
  kfk-oidc-short  kfk-oidc-secret   SHORT_LIFETIME s (tokens that expire mid-test)

Every token has iss ISSUER, aud AUDIENCE, sub the client id, and the
scope asked for. A wrong client or secret gets 401 invalid_client.
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUER = "kfk-test-issuer"
AUDIENCE = "kfk-test"
KEY_ID = "kfk-test-key"
SECRET = "kfk-oidc-secret"
SHORT_LIFETIME = 6
LIFETIMES = {"kfk-oidc": 3600, "kfk-oidc-short": SHORT_LIFETIME}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    p = subprocess.run(["openssl", *args], input=data, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"token_endpoint: openssl {args[0]} failed: {p.stderr.decode().strip()}")
    return p.stdout


def make_keys(d):
    """An RSA key pair: the private key signs tokens, its public half is
    published as a JWKS file for the broker."""
    os.makedirs(d, exist_ok=True)
    key = os.path.join(d, "signing.key")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
    modulus = openssl("rsa", "-in", key, "-noout", "-modulus").decode().strip().split("=", 1)[1]
    jwk = {"kty": "RSA", "kid": KEY_ID, "use": "sig", "alg": "RS256",
           "n": b64url(bytes.fromhex(modulus)), "e": b64url((65537).to_bytes(3, "big"))}
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk]}, f)


def sign(d, claims):
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": KEY_ID}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = openssl("dgst", "-sha256", "-sign", os.path.join(d, "signing.key"), data=signing_input)
    return f"{header}.{payload}.{b64url(signature)}"


def client_of(headers, form):
    """The client id and secret: HTTP Basic (client_secret_basic) or form
    fields (client_secret_post)."""
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            ident, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return urllib.parse.unquote_plus(ident), urllib.parse.unquote_plus(secret)
        except ValueError:
            return "", ""
    return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]


def handler(d):
    class Token(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if self.path != "/token":
                return self.answer(404, {"error": "not_found"})
            if form.get("grant_type", [""])[0] != "client_credentials":
                return self.answer(400, {"error": "unsupported_grant_type"})
            ident, secret = client_of(self.headers, form)
            if ident not in LIFETIMES or secret != SECRET:
                return self.answer(401, {"error": "invalid_client", "error_description": "unknown client or bad secret"})
            now = int(time.time())
            life = LIFETIMES[ident]
            claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": ident, "iat": now, "exp": now + life}
            scope = form.get("scope", [""])[0]
            if scope:
                claims["scope"] = scope
            self.answer(200, {"access_token": sign(d, claims), "token_type": "Bearer", "expires_in": life})

        def answer(self, status, doc):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Token


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "keys":
        return make_keys(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), handler(sys.argv[2])).serve_forever()
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
