"""TLS trust for requests to EPM and the token endpoint: the default CAs plus ``EPM_CA_BUNDLE``."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import requests
import requests.adapters
import requests.utils

CA_BUNDLE_ADVICE = (
    "If a proxy inspects TLS or EPM uses a private CA, set EPM_CA_BUNDLE to a PEM file of "
    "the extra CA certificates"
)


def trust_context(ca_bundle: Path) -> ssl.SSLContext:
    """Build a verifying context that trusts the default CAs and those in ``ca_bundle``.

    The default CAs are the ones requests uses without a bundle (certifi) and the system
    store, so the bundle adds trust and never replaces it. Raise OSError for an unreadable
    file and ssl.SSLError for a file without PEM certificates.
    """
    context = ssl.create_default_context(cafile=requests.utils.DEFAULT_CA_BUNDLE_PATH)
    context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    context.load_verify_locations(cafile=str(ca_bundle))
    return context


def ca_bundle_problem(ca_bundle: Path) -> str | None:
    """Return why ``EPM_CA_BUNDLE`` cannot be used, or None when it loads."""
    if not ca_bundle.is_file():
        return f"EPM_CA_BUNDLE: {ca_bundle} is not a file; give the path of a PEM file of CA certificates"
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(ca_bundle))
    except OSError as exc:
        if isinstance(exc, ssl.SSLError):
            return (
                f"EPM_CA_BUNDLE: {ca_bundle} holds no readable PEM certificate; expected "
                "blocks of -----BEGIN CERTIFICATE-----"
            )
        return f"EPM_CA_BUNDLE: cannot read {ca_bundle}: {exc.strerror or type(exc).__name__}"
    return None


class TrustAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose direct and proxied HTTPS connections verify with one SSLContext."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with the context; requests calls this from __init__."""
        kwargs["ssl_context"] = self.context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Return the proxy manager, whose tunnelled connections use the same context."""
        proxy_kwargs["ssl_context"] = self.context
        return super().proxy_manager_for(proxy, **proxy_kwargs)


def configure_trust(http: requests.Session, ca_bundle: Path | None) -> None:
    """Keep verification on and, with a bundle, trust its CAs on top of the defaults.

    The session keeps ``trust_env``, so HTTPS_PROXY and NO_PROXY apply, but a session-wide
    auth hook stops requests from reading credentials out of ``~/.netrc``.
    """
    http.verify = True
    http.trust_env = True
    http.auth = _keep_headers
    if ca_bundle is not None:
        http.mount("https://", TrustAdapter(trust_context(ca_bundle)))


def _keep_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Leave the request as it is; set as session auth, it stops requests reading ~/.netrc."""
    return request
