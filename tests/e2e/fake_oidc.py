"""A stand-in OpenID Connect provider on loopback for the sign-in browser test: it approves every sign-in at once,
as the person named by `PUT /person`, and checks what a real provider checks (client, redirect, PKCE, nonce).

`python -m tests.e2e.fake_oidc PORT CLIENT_ID CLIENT_SECRET`
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import sys
import time
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey


def create_app(issuer: str, client_id: str, client_secret: str) -> FastAPI:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
    codes: dict[str, dict] = {}
    person = {"email": "nobody@example.com"}
    app = FastAPI()

    @app.put("/person")
    def set_person(email: str) -> dict:
        person["email"] = email
        return person

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict:
        return {"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks", "end_session_endpoint": f"{issuer}/logout",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    @app.get("/jwks")
    def jwks() -> dict:
        return {"keys": [key.as_dict(private=False)]}

    @app.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        q = request.query_params
        if q.get("client_id") != client_id or q.get("response_type") != "code":
            raise HTTPException(400, "unknown client or response type")
        code = secrets.token_urlsafe(16)
        codes[code] = {"nonce": q.get("nonce"), "challenge": q.get("code_challenge"),
                       "redirect_uri": q["redirect_uri"], "email": person["email"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302)

    @app.post("/token")
    def token(request: Request, grant_type: str = Form(), code: str = Form(), redirect_uri: str = Form(),
              code_verifier: str = Form("")) -> dict:
        basic = request.headers.get("authorization", "").removeprefix("Basic ")
        if base64.b64decode(basic).decode() != f"{client_id}:{client_secret}":
            raise HTTPException(401, "wrong client credentials")
        grant = codes.pop(code, None)
        if grant is None or grant_type != "authorization_code" or redirect_uri != grant["redirect_uri"]:
            raise HTTPException(400, "invalid_grant")
        digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["challenge"] and digest != grant["challenge"]:
            raise HTTPException(400, "wrong code_verifier")
        now = int(time.time())
        claims = {"iss": issuer, "aud": client_id, "sub": grant["email"], "iat": now, "exp": now + 3600,
                  "nonce": grant["nonce"], "email": grant["email"], "email_verified": True}
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                "id_token": jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)}

    @app.get("/logout")
    def logout(post_logout_redirect_uri: str) -> RedirectResponse:
        return RedirectResponse(post_logout_redirect_uri, 302)

    return app


if __name__ == "__main__":
    port, client, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(create_app(f"http://127.0.0.1:{port}", client, secret), host="127.0.0.1", port=port,
                log_level="warning")
